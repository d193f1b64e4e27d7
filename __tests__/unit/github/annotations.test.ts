import { afterEach, describe, expect, it } from '@jest/globals';
import { CanaryFailed, ClusterError, InputError } from '../../../src/errors.ts';
import { reportFailure, workflowFile } from '../../../src/github/annotations.ts';
import { RegistryError } from '../../../src/registry/client.ts';
import { stdoutOfSync } from '../../support/stdout.ts';

/** The error annotations src/github/runner.ts wrote while `action` ran. */
function annotationsOf(action: () => void): string[] {
  return stdoutOfSync(action)
    .split('\n')
    .filter((line) => line.startsWith('::error'));
}

describe('reportFailure', () => {
  const savedRef = process.env.GITHUB_WORKFLOW_REF;
  afterEach(() => {
    process.exitCode = 0;
    if (savedRef === undefined) delete process.env.GITHUB_WORKFLOW_REF;
    else process.env.GITHUB_WORKFLOW_REF = savedRef;
  });

  it('writes one annotation per bad input, titled with the input and placed on the workflow file', () => {
    process.env.GITHUB_WORKFLOW_REF = 'acme/models/.github/workflows/canary.yml@refs/heads/main';
    const lines = annotationsOf(() =>
      reportFailure(
        new InputError([
          { input: 'replicas', message: "expected a whole number from 1 to 100; got 'two'" },
          { input: 'max-regression', message: "expected a percentage; got '10'" },
        ]),
      ),
    );
    expect(lines).toEqual([
      "::error title=model-canary%3A input replicas,file=.github/workflows/canary.yml::replicas: expected a whole number from 1 to 100; got 'two'",
      "::error title=model-canary%3A input max-regression,file=.github/workflows/canary.yml::max-regression: expected a percentage; got '10'",
    ]);
    expect(process.exitCode).toBe(1);
  });

  it('names the Kubernetes object, the registry image and input, or the canary failure kind', () => {
    const lines = [
      new ClusterError('namespace/ml', 'the kubeconfig user may not: patch apps/deployments'),
      new RegistryError(
        'ghcr.io/acme/resnet:v1',
        'the registry refused to tag it (HTTP 403)',
        'registry-password',
      ),
      new CanaryFailed('FailedScheduling', '0/3 nodes have a free nvidia.com/gpu'),
    ].flatMap((error) => annotationsOf(() => reportFailure(error)));
    expect(lines).toEqual([
      '::error title=model-canary%3A namespace/ml::namespace/ml: the kubeconfig user may not: patch apps/deployments',
      '::error title=model-canary%3A registry ghcr.io/acme/resnet%3Av1 (input registry-password)::ghcr.io/acme/resnet:v1: the registry refused to tag it (HTTP 403)',
      '::error title=model-canary%3A canary failed (FailedScheduling)::0/3 nodes have a free nvidia.com/gpu',
    ]);
  });
});

describe('workflowFile', () => {
  it('takes the path from GITHUB_WORKFLOW_REF', () => {
    expect(workflowFile({ GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/release.yaml@refs/tags/v1.2.3' })).toBe(
      '.github/workflows/release.yaml',
    );
    expect(workflowFile({})).toBeUndefined();
  });
});
