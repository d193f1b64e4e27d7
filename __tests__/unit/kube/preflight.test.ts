import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Node, V1Pod, V1SelfSubjectAccessReview } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { Cluster } from '../../../src/kube/cluster.ts';
import { trackLabels } from '../../../src/kube/labels.ts';
import {
  checkAccess,
  checkGpuCapacity,
  gpuCapacity,
  rolloutAccessNeeds,
} from '../../../src/kube/preflight.ts';
import { objectNames } from '../../../src/plan.ts';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

const GPU = 'nvidia.com/gpu';
const node = (name: string, gpus: string): V1Node => ({
  metadata: { name },
  status: { allocatable: { [GPU]: gpus } },
});
const pod = (
  nodeName: string,
  gpus: string,
  namespace: string,
  labels: Record<string, string> = {},
): V1Pod => ({
  metadata: { namespace, labels },
  spec: { nodeName, containers: [{ name: 'c', resources: { limits: { [GPU]: gpus } } }] },
  status: { phase: 'Running' },
});

// The demo's case: four GPUs, stable holds one, a killed attempt's canary one, others two.
const NODES = [node('a', '2'), node('b', '2')];
const PODS = [
  pod('a', '1', 'ml', trackLabels('resnet', 'stable')),
  pod('a', '1', 'ml', trackLabels('resnet', 'canary')),
  pod('b', '2', 'other'),
];
const OWN_CANARY = { namespace: 'ml', labels: trackLabels('resnet', 'canary') };

function clusterWith(nodes: V1Node[], pods: V1Pod[]): Cluster {
  return {
    core: {
      listNode: async () => ({ items: nodes }),
      listPodForAllNamespaces: async () => ({ items: pods }),
    },
  } as unknown as Cluster;
}

describe('gpuCapacity', () => {
  it("counts what the replaced pods hold as free, and every other pod's GPUs as taken", () => {
    expect(gpuCapacity(NODES, PODS, GPU, {})).toMatchObject({ requested: 4, heldByTarget: 0, free: 0 });
    expect(gpuCapacity(NODES, PODS, GPU, {}, OWN_CANARY)).toMatchObject({
      allocatable: 4,
      requested: 3,
      heldByTarget: 1,
      free: 1,
    });
  });

  it('does not count a same-named target in another namespace, another preview or another track as ours', () => {
    const lookalikes = [
      pod('a', '1', 'other-ns', trackLabels('resnet', 'canary')),
      pod('a', '1', 'ml', trackLabels('resnet', 'canary', 'pr-7')),
      pod('b', '2', 'ml', trackLabels('resnet', 'stable')),
    ];
    expect(gpuCapacity(NODES, lookalikes, GPU, {}, OWN_CANARY)).toMatchObject({ heldByTarget: 0, free: 0 });
    // A preview's own canary is its own, not the production target's.
    expect(
      gpuCapacity(
        NODES,
        lookalikes,
        GPU,
        {},
        { namespace: 'ml', labels: trackLabels('resnet', 'canary', 'pr-7') },
      ),
    ).toMatchObject({ heldByTarget: 1, free: 1 });
  });
});

describe('checkGpuCapacity', () => {
  it("lets a re-run reuse the GPU its killed attempt's canary holds on a full cluster", async () => {
    const cluster = clusterWith(NODES, PODS);
    await expect(checkGpuCapacity(cluster, GPU, 1, {}, () => {}, OWN_CANARY)).resolves.toMatchObject({
      free: 1,
    });
    await expect(checkGpuCapacity(cluster, GPU, 2, {}, () => {}, OWN_CANARY)).rejects.toThrow(
      /2 needed but only 1 free \(4 allocatable, 3 requested by other pods, 1 held by this target's own pods/,
    );
  });

  it('refuses when none is free and nothing of the target holds one', async () => {
    await expect(checkGpuCapacity(clusterWith(NODES, PODS), GPU, 1, {}, () => {})).rejects.toThrow(
      /1 needed but only 0 free/,
    );
  });
});

describe('checkAccess against the example RBAC (examples/rbac/model-canary.yaml)', () => {
  interface Rule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }
  const documents = parseAllDocuments(
    readFileSync(join(REPO_ROOT, 'examples/rbac/model-canary.yaml'), 'utf8'),
  ).map((document) => document.toJS() as { kind: string; rules?: Rule[] });
  const rules = documents.filter((d) => d.kind === 'Role').flatMap((d) => d.rules ?? []);
  const clusterRules = documents.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []);

  /** The API server's answer to a SelfSubjectAccessReview under the example's Role, as RBAC decides it. */
  function exampleCluster(asked: string[] = []): Cluster {
    const allows = (
      rule: Rule,
      a: { group?: string; resource?: string; subresource?: string; verb?: string; name?: string },
    ) =>
      rule.apiGroups.includes(a.group ?? '') &&
      rule.resources.includes(
        a.subresource !== undefined ? `${a.resource}/${a.subresource}` : (a.resource ?? ''),
      ) &&
      rule.verbs.includes(a.verb ?? '') &&
      (rule.resourceNames === undefined || (a.name !== undefined && rule.resourceNames.includes(a.name)));
    return {
      authorization: {
        createSelfSubjectAccessReview: async ({ body }: { body: V1SelfSubjectAccessReview }) => {
          const attributes = body.spec.resourceAttributes!;
          const resource = `${attributes.resource}${attributes.subresource !== undefined ? `/${attributes.subresource}` : ''}`;
          asked.push(`${attributes.verb} ${resource} ${attributes.name ?? ''}`.trim());
          return { status: { allowed: rules.some((rule) => allows(rule, attributes)) } };
        },
      },
    } as unknown as Cluster;
  }

  it("passes the action's own pre-flight for the example's target, both routers", async () => {
    for (const router of [{ kind: 'replicas' as const }, { kind: 'gateway-api' as const, route: 'resnet' }]) {
      const asked: string[] = [];
      await expect(
        checkAccess(exampleCluster(asked), 'ml-serving', rolloutAccessNeeds(router, objectNames('resnet'))),
      ).resolves.toBeUndefined();
      expect(asked).toEqual(
        expect.arrayContaining([
          'patch deployments resnet-canary',
          'update deployments/scale resnet',
          'list horizontalpodautoscalers',
          'list scaledobjects',
        ]),
      );
    }
  });

  it('names every verb it lacks on another target, with the object, and grants no cluster-wide pod list', async () => {
    const failure = checkAccess(
      exampleCluster(),
      'ml-serving',
      rolloutAccessNeeds({ kind: 'replicas' }, objectNames('bert')),
    );
    await expect(failure).rejects.toThrow(
      /may not: get apps\/deployments bert, get apps\/deployments bert-canary, .*update apps\/deployments\/scale bert, .*delete services bert-canary, .*update coordination\.k8s\.io\/leases model-canary-bert/,
    );
    expect(clusterRules.some((rule) => rule.resources.includes('pods'))).toBe(false);
  });
});
