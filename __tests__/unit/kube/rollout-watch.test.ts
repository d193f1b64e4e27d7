import { describe, expect, it } from '@jest/globals';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { containerCrashes, modelImageIds, restartCounts } from '../../../src/kube/rollout-watch.ts';

const START = Date.parse('2025-01-01T10:00:00Z');
const pod = (...statuses: Partial<V1ContainerStatus>[]): V1Pod => ({
  metadata: { name: 'r-canary-1' },
  status: {
    containerStatuses: statuses.map((s) => ({
      name: 'model',
      image: 'i',
      imageID: '',
      ready: true,
      restartCount: 0,
      ...s,
    })),
  },
});

describe('containerCrashes', () => {
  it('names a container OOM-killed since the watch began, with its exit code and restarts', () => {
    const oom = pod({
      restartCount: 1,
      state: { running: { startedAt: new Date(START + 5000) } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(START + 4000) } },
    });
    expect(containerCrashes(oom, new Map([['model', 0]]), START)).toEqual([
      { pod: 'r-canary-1', container: 'model', exitCode: 137, reason: 'OOMKilled', restarts: 1 },
    ]);
  });

  it('counts a container terminated now, before its restart, with any exit code', () => {
    const exited = pod({
      state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: new Date(START + 1) } },
    });
    expect(containerCrashes(exited, new Map(), START)).toEqual([
      { pod: 'r-canary-1', container: 'model', exitCode: 0, reason: 'Completed', restarts: 0 },
    ]);
  });

  it('ignores restarts and exits from before the watch began', () => {
    const earlier = pod({
      restartCount: 3,
      state: { running: { startedAt: new Date(START - 1000) } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(START - 2000) } },
    });
    expect(containerCrashes(earlier, restartCounts(earlier), START)).toEqual([]);
    expect(containerCrashes(earlier, new Map([['model', 2]]), START)).toHaveLength(1);
  });
});

describe('modelImageIds', () => {
  const pod = (containers: string[], statuses: Record<string, string>): V1Pod => ({
    spec: { containers: containers.map((name) => ({ name })) },
    status: {
      containerStatuses: Object.entries(statuses)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, imageID]) => ({ name, imageID }) as V1ContainerStatus),
    },
  });

  it("takes the model container's image, not a sidecar's listed before it", () => {
    // The kubelet lists statuses by name: log-shipper comes before the model container.
    const pods = [
      pod(['server', 'log-shipper'], {
        'log-shipper': 'registry/debian@sha256:aaa',
        server: 'registry/model@sha256:bbb',
      }),
      pod(['server', 'zz-proxy'], {
        server: 'registry/model@sha256:bbb',
        'zz-proxy': 'registry/proxy@sha256:ccc',
      }),
    ];
    expect(modelImageIds(pods)).toEqual(['registry/model@sha256:bbb', 'registry/model@sha256:bbb']);
  });

  it('skips containers that have not reported an image yet', () => {
    expect(modelImageIds([pod(['model'], { model: '' })])).toEqual([]);
    expect(modelImageIds([{ spec: { containers: [{ name: 'model' }] } }])).toEqual([]);
  });
});
