import { describe, expect, it } from '@jest/globals';
import { secretValuesOf } from '../../../src/inputs/secrets.ts';
import { KUBECONFIG } from '../../fixtures/inputs.ts';

describe('secretValuesOf', () => {
  it('finds the credentials of a kubeconfig and the values of build secrets', () => {
    expect(secretValuesOf('kubeconfig', KUBECONFIG)).toEqual(['s3cr3t-token-value']);
    expect(
      secretValuesOf(
        'kubeconfig',
        'users:\n- user:\n    client-key-data: "LS0tS0VZ"\n    client-certificate-data: LS0tQ0VSVA==',
      ),
    ).toEqual(['LS0tS0VZ', 'LS0tQ0VSVA==']);
    expect(secretValuesOf('build-secrets', 'a=1\nb=x=y\n')).toEqual(['1', 'x=y']);
    expect(secretValuesOf('registry-password', ' pw ')).toEqual(['pw']);
    expect(secretValuesOf('namespace', 'default')).toEqual([]);
  });
});

describe('secret masking of a kubeconfig that does not parse', () => {
  it('still finds credential values line by line', () => {
    expect(secretValuesOf('kubeconfig', 'users: [{ token: abc123, password: "p4ss" ')).toEqual([
      'abc123',
      'p4ss',
    ]);
  });
});
