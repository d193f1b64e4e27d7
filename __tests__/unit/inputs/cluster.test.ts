import { describe } from '@jest/globals';
import { parseCluster } from '../../../src/inputs/cluster.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, KUBECONFIG, VALID } from '../../fixtures/inputs.ts';

const BAD_CLUSTER_INPUTS: BadInput[] = [
  [
    'kubeconfig that is not YAML',
    { ...VALID, kubeconfig: 'token: [unclosed' },
    'kubeconfig',
    /not valid YAML/,
  ],
  [
    'kubeconfig without clusters',
    { ...VALID, kubeconfig: 'apiVersion: v1\nkind: Pod' },
    'kubeconfig',
    /not a kubeconfig/,
  ],
  [
    'context missing from kubeconfig',
    { ...VALID, kubeconfig: KUBECONFIG, context: 'staging' },
    'context',
    /not in the kubeconfig \(it has: prod-ci\)/,
  ],
  ['namespace with upper case', { ...VALID, namespace: 'ML' }, 'namespace', /RFC 1123/],
  ['namespace too long', { ...VALID, namespace: 'n'.repeat(64) }, 'namespace', /RFC 1123/],
];

describe('cluster inputs: bad values', () => {
  itNamesTheInput(BAD_CLUSTER_INPUTS, inputsReadBy(parseCluster));
});
