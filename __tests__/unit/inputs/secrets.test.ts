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

describe('secretValuesOf: every credential a kubeconfig or build-secrets can hold', () => {
  it('masks auth-provider config tokens and secrets and the values an exec plugin is given', () => {
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      '- name: oidc',
      '  user:',
      '    auth-provider:',
      '      name: oidc',
      '      config:',
      '        client-id: kubernetes',
      '        client-secret: PLANTED-client-secret',
      '        access-token: PLANTED-access-token',
      '        id-token: PLANTED-id-token',
      '        refresh-token: PLANTED-refresh-token',
      '- name: cloud',
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1',
      '      command: cloud-auth',
      '      env:',
      '      - name: CLOUD_API_KEY',
      '        value: PLANTED-exec-env-key',
      '      - name: VERBOSE',
      '        value: "1"',
      '- name: basic',
      '  user: { username: admin, password: PLANTED-password }',
    ].join('\n');
    expect(secretValuesOf('kubeconfig', kubeconfig).sort()).toEqual([
      'PLANTED-access-token',
      'PLANTED-client-secret',
      'PLANTED-exec-env-key',
      'PLANTED-id-token',
      'PLANTED-password',
      'PLANTED-refresh-token',
    ]);
  });

  it('masks a build-secrets line that is no KEY=VALUE whole, `=` inside it or not', () => {
    expect(secretValuesOf('build-secrets', 'pem=-----BEGIN\nMIIEv+Qk/AB==\nplain\n-----END')).toEqual([
      '-----BEGIN',
      'MIIEv+Qk/AB==',
      'plain',
      '-----END',
    ]);
  });
});
