import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCluster, type DefaultKubeconfig } from '../../../src/inputs/cluster.ts';
import { InputReader } from '../../../src/inputs/input-reader.ts';
import { defaultKubeconfig } from '../../../src/inputs/read.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, KUBECONFIG, PUSH, VALID } from '../../fixtures/inputs.ts';

const NO_CURRENT_CONTEXT = KUBECONFIG.replace('current-context: prod-ci\n', '');
const MISSING_CLUSTER = KUBECONFIG.replace('cluster: prod, user: ci', 'cluster: staging, user: ci');
const MISSING_USER = KUBECONFIG.replace('cluster: prod, user: ci', 'cluster: prod, user: deployer');
const NO_SERVER = KUBECONFIG.replace('{ server: https://prod.example.com }', '{}');

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
  [
    'kubeconfig with no current context and no context input',
    { ...VALID, kubeconfig: NO_CURRENT_CONTEXT },
    'kubeconfig',
    /has no current-context; set input context to one of its contexts \(prod-ci\)/,
  ],
  [
    "kubeconfig whose current context's cluster is missing",
    { ...VALID, kubeconfig: MISSING_CLUSTER },
    'kubeconfig',
    /context 'prod-ci' names cluster 'staging', which the kubeconfig does not define \(its clusters: prod\)/,
  ],
  [
    "kubeconfig whose current context's user is missing",
    { ...VALID, kubeconfig: MISSING_USER },
    'kubeconfig',
    /context 'prod-ci' names user 'deployer', which the kubeconfig does not define \(its users: ci\)/,
  ],
  [
    'kubeconfig whose cluster has no server',
    { ...VALID, kubeconfig: NO_SERVER },
    'kubeconfig',
    /cluster 'prod' of context 'prod-ci' has no server address/,
  ],
  ['namespace with upper case', { ...VALID, namespace: 'ML' }, 'namespace', /RFC 1123/],
  ['namespace too long', { ...VALID, namespace: 'n'.repeat(64) }, 'namespace', /RFC 1123/],
];

describe('cluster inputs: bad values', () => {
  itNamesTheInput(BAD_CLUSTER_INPUTS, inputsReadBy(parseCluster));

  it('names the context input when the context it names lacks its user', () => {
    const twoContexts = KUBECONFIG.replace(
      'current-context',
      '- name: other\n  context: { cluster: prod, user: deployer }\ncurrent-context',
    );
    const problems = problemsWith({ kubeconfig: twoContexts, context: 'other' });
    expect(problems).toEqual([expect.objectContaining({ input: 'context' })]);
    expect(problems[0]!.message).toMatch(/context 'other' names user 'deployer'/);
  });

  it('never quotes a credential of the kubeconfig in a problem', () => {
    for (const kubeconfig of [MISSING_CLUSTER, MISSING_USER, NO_CURRENT_CONTEXT, NO_SERVER]) {
      for (const { message } of problemsWith({ kubeconfig })) expect(message).not.toContain('s3cr3t');
    }
  });
});

/** The problems parseCluster records for these inputs, with `fallback` as the runner's kubeconfig. */
function problemsWith(
  inputs: Record<string, string>,
  fallback?: DefaultKubeconfig,
  dryRun = false,
): { input: string; message: string }[] {
  const read = new InputReader({
    get: (name) => inputs[name] ?? '',
    run: PUSH,
    pathExists: () => false,
    readText: () => undefined,
    listFolder: () => undefined,
    outsideWorkspace: () => undefined,
  });
  parseCluster(read, fallback, dryRun);
  return read.problems;
}

describe('cluster inputs: the runner kubeconfig used when input kubeconfig is empty', () => {
  const path = '/home/runner/.kube/config';

  it('checks it as it checks the input, naming its path', () => {
    const problems = problemsWith({}, { inCluster: false, path, text: MISSING_CLUSTER });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain(`the kubeconfig at ${path} (input kubeconfig is empty)`);
    expect(problems[0]!.message).toMatch(/names cluster 'staging'/);
  });

  it('refuses a missing one outside a cluster, but not in a dry run', () => {
    const missing: DefaultKubeconfig = { inCluster: false, path };
    expect(problemsWith({}, missing)).toEqual([
      expect.objectContaining({
        input: 'kubeconfig',
        message: expect.stringContaining(`no kubeconfig at ${path}`),
      }),
    ]);
    expect(problemsWith({}, missing, true)).toEqual([]);
  });

  it('accepts a service account, and a usable file', () => {
    expect(problemsWith({}, { inCluster: true })).toEqual([]);
    expect(problemsWith({}, { inCluster: false, path, text: KUBECONFIG })).toEqual([]);
  });

  it('is the file KUBECONFIG names, else ~/.kube/config, else the service account', () => {
    const home = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    try {
      const file = join(home, 'config.yaml');
      writeFileSync(file, KUBECONFIG);
      expect(defaultKubeconfig({ KUBECONFIG: file })).toEqual({
        inCluster: false,
        path: file,
        text: KUBECONFIG,
      });
      expect(defaultKubeconfig({ KUBECONFIG: `${file}:${file}` })).toBeUndefined();
      expect(defaultKubeconfig({ HOME: home, KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toEqual({
        inCluster: true,
      });
      expect(defaultKubeconfig({ HOME: home })).toEqual({
        inCluster: false,
        path: join(home, '.kube', 'config'),
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
