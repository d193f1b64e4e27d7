import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { InputName } from '../../../src/inputs/input-names.ts';
import { parseInputs } from '../../../src/inputs/read.ts';
import { conflictingManagers } from '../../../src/kube/apply.ts';
import { ANNOTATIONS, LABELS, SCRAPE_ANNOTATIONS } from '../../../src/kube/labels.ts';
import { leaseAvailable, observeLease, sameRunEarlierAttempt } from '../../../src/kube/lease.ts';
import {
  achievedShare,
  budgetFromAnnotation,
  canaryReplicasFor,
  renderDeployment,
  renderPodMonitor,
  renderService,
  routeReferencesService,
  servingFor,
  v2Serving,
  weightedRouteRules,
} from '../../../src/kube/manifests.ts';
import { gpuCapacity } from '../../../src/kube/preflight.ts';
import { pinnedFromImageId } from '../../../src/kube/rollout.ts';
import {
  failureGraceMs,
  podFailure,
  progressDeadlineExceeded,
  rolloutComplete,
} from '../../../src/kube/rollout-watch.ts';
import { planRun } from '../../../src/plan.ts';

const SHA = 'fedcba9876543210fedcba9876543210fedcba98';

function settingsWith(inputs: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = {
    model: 'models/resnet',
    image: 'ghcr.io/org/resnet',
    name: 'resnet',
    ...inputs,
  };
  return parseInputs({
    get: (name) => all[name] ?? '',
    pathExists: () => true,
    outsideWorkspace: () => undefined,
    readText: () => undefined,
    listFolder: () => undefined,
    run: {
      eventName: 'push',
      sha: SHA,
      ref: 'refs/heads/main',
      repository: 'org/repo',
      runId: 42,
      runAttempt: 2,
    },
  });
}

describe('renderDeployment', () => {
  it('puts gpus × gpu-resource in limits, tolerates the GPU taint, sizes /dev/shm and probes the model', () => {
    const settings = settingsWith({
      gpus: '2',
      'gpu-resource': 'nvidia.com/mig-1g.10gb',
      'shm-size': '8Gi',
      'node-selector': 'pool=a100',
      tolerations: 'dedicated=ml:NoSchedule',
      resources: 'memory=16Gi',
      namespace: 'ml',
    });
    const plan = planRun(settings);
    const deployment = renderDeployment(plan, settings, v2Serving('resnet', 900), {
      track: 'canary',
      image: 'ghcr.io/org/resnet:abc',
      replicas: 1,
      gpuProduct: 'NVIDIA-A100-SXM4-80GB',
      previousImage: 'ghcr.io/org/resnet@sha256:old',
    });
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(deployment.metadata!.name).toBe('resnet-canary');
    expect(deployment.metadata!.namespace).toBe('ml');
    expect(container.resources).toEqual({
      requests: { memory: '16Gi' },
      limits: { memory: '16Gi', 'nvidia.com/mig-1g.10gb': '2' },
    });
    expect(pod.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists' },
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
    ]);
    expect(pod.nodeSelector).toEqual({ pool: 'a100', 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
    expect(pod.volumes).toEqual([{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }]);
    expect(container.volumeMounts).toEqual([{ name: 'dshm', mountPath: '/dev/shm' }]);
    expect(container.readinessProbe!.httpGet!.path).toBe('/v2/models/resnet/ready');
    expect(container.startupProbe!.httpGet!.path).toBe('/v2/health/live');
    // The startup probe gives the model its whole loading budget: 900 s at 5 s a probe.
    expect(container.startupProbe!.periodSeconds! * container.startupProbe!.failureThreshold!).toBe(900);
    expect(deployment.spec!.selector.matchLabels).toEqual({
      [LABELS.name]: 'resnet',
      [LABELS.managedBy]: 'model-canary',
      [LABELS.target]: 'resnet',
      [LABELS.track]: 'canary',
    });
    expect(deployment.metadata!.annotations).toEqual({
      [ANNOTATIONS.model]: 'models/resnet',
      [ANNOTATIONS.commit]: SHA,
      [ANNOTATIONS.run]: 'org/repo/42/2',
      [ANNOTATIONS.previousImage]: 'ghcr.io/org/resnet@sha256:old',
    });
  });

  it('renders CPU pods without GPU limits, toleration or product pin', () => {
    const settings = settingsWith({ gpus: '0', replicas: '3' });
    const deployment = renderDeployment(planRun(settings), settings, v2Serving('resnet'), {
      track: 'stable',
      image: 'img',
      replicas: 3,
      gpuProduct: 'NVIDIA-H100',
    });
    const pod = deployment.spec!.template.spec!;
    expect(pod.containers[0]!.resources).toEqual({});
    expect(pod.tolerations).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
    expect(deployment.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('rolls several GPU replicas without a surge pod, since GPU nodes rarely have a spare GPU', () => {
    const settings = settingsWith({ replicas: '4' });
    const deployment = renderDeployment(planRun(settings), settings, v2Serving('resnet'), {
      track: 'stable',
      image: 'img',
      replicas: 4,
    });
    expect(deployment.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('replaces a single GPU canary pod without a surge, so a re-run fits in the GPU it already holds', () => {
    const settings = settingsWith({ replicas: '4' });
    const arm = (track: 'stable' | 'canary') =>
      renderDeployment(planRun(settings), settings, v2Serving('resnet'), {
        track,
        image: 'img',
        replicas: 1,
      });
    expect(arm('canary').spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(arm('stable').spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it("leaves replicas out when an autoscaler owns them, and takes the budget's rolling update", () => {
    const settings = settingsWith({ replicas: '4' });
    const deployment = renderDeployment(planRun(settings), settings, v2Serving('resnet'), {
      track: 'stable',
      image: 'img',
      replicas: undefined,
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(deployment.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('keeps the GPU budget on the canary Deployment (not its pods), readable back', () => {
    const settings = settingsWith({});
    const budget = {
      mode: 'shift' as const,
      reason: 'gpu-budget shift',
      stableReplicas: 4,
      replicaSlots: 5,
      autoscaler: { kind: 'ScaledObject' as const, name: 'q' },
    };
    const deployment = renderDeployment(planRun(settings), settings, v2Serving('resnet'), {
      track: 'canary',
      image: 'img',
      replicas: 0,
      budget,
    });
    const text = deployment.metadata!.annotations![ANNOTATIONS.gpuBudget];
    expect(deployment.spec!.template.metadata!.annotations![ANNOTATIONS.gpuBudget]).toBeUndefined();
    expect(budgetFromAnnotation(text)).toEqual({ ...budget, reason: 'kept on the canary Deployment' });
  });

  it.each([
    undefined,
    'not json',
    '{"mode":"borrow","stableReplicas":1,"replicaSlots":2}',
    '{"mode":"shift","stableReplicas":-1,"replicaSlots":2}',
    '{"mode":"spare","stableReplicas":2}',
  ])('reads no budget from the annotation %s', (text) => {
    expect(budgetFromAnnotation(text)).toBeUndefined();
  });
});

describe('servingFor', () => {
  it("takes a preset runtime's port and paths whatever the probe speaks", () => {
    expect(servingFor('vllm', 'llama', 'openai')).toMatchObject({ port: 8000, readyPath: '/health' });
    expect(servingFor('mlserver', 'resnet', 'v2')).toMatchObject({
      port: 8080,
      readyPath: '/v2/models/resnet/ready',
    });
  });

  it("probes a user's Dockerfile on the defaults of the protocol its probe speaks", () => {
    expect(servingFor('dockerfile', 'chat', 'openai')).toMatchObject({
      port: 8000,
      healthPath: '/health',
      readyPath: '/health',
    });
    expect(servingFor('dockerfile', 'resnet', 'v2')).toEqual(v2Serving('resnet'));
    expect(servingFor('dockerfile', 'resnet', 'http')).toEqual(v2Serving('resnet'));
  });
});

describe('renderService', () => {
  const settings = settingsWith({});
  const plan = planRun(settings);
  const serving = v2Serving('resnet');

  it('selects both arms for the replicas router and stable only for Gateway API', () => {
    expect(renderService(plan, serving, 'user', 'replicas').spec!.selector).toEqual({
      [LABELS.target]: 'resnet',
    });
    expect(renderService(plan, serving, 'user', 'gateway-api').spec!.selector).toEqual({
      [LABELS.target]: 'resnet',
      [LABELS.track]: 'stable',
    });
  });

  it('gives each arm its own Service selecting one track', () => {
    const canary = renderService(plan, serving, 'canary', 'replicas');
    expect(canary.metadata!.name).toBe('resnet-canary');
    expect(canary.spec!.selector).toEqual({ [LABELS.target]: 'resnet', [LABELS.track]: 'canary' });
    expect(canary.metadata!.labels![LABELS.track]).toBe('canary');
    expect(renderService(plan, serving, 'stable', 'replicas').metadata!.name).toBe('resnet-stable');
  });
});

describe('traffic shares', () => {
  it('follows k8s-deploy: round(replicas × weight), at least one pod', () => {
    expect(canaryReplicasFor(1, 10)).toBe(1);
    expect(canaryReplicasFor(10, 10)).toBe(1);
    expect(canaryReplicasFor(10, 50)).toBe(5);
    expect(canaryReplicasFor(4, 25)).toBe(1);
  });

  it('reports the share the canary really gets', () => {
    expect(achievedShare(1, 1)).toBe(0.5);
    expect(achievedShare(9, 1)).toBe(0.1);
  });

  it('splits the route rules that send to our Service and leaves the rest alone', () => {
    const plan = planRun(settingsWith({}));
    const rules = [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/v2' } }],
        backendRefs: [{ name: 'resnet', port: 8080 }],
      },
      { backendRefs: [{ name: 'other', port: 80 }] },
    ];
    expect(routeReferencesService(rules, 'resnet')).toBe(true);
    expect(routeReferencesService(rules, 'nope')).toBe(false);
    const weighted = weightedRouteRules(rules, plan, 8080, 20);
    expect(weighted[0]).toEqual({
      matches: [{ path: { type: 'PathPrefix', value: '/v2' } }],
      backendRefs: [
        { name: 'resnet-stable', port: 8080, weight: 80 },
        { name: 'resnet-canary', port: 8080, weight: 20 },
      ],
    });
    expect(weighted[1]).toBe(rules[1]);
    // A later step rewrites the arm pair rather than nesting it.
    expect(weightedRouteRules(weighted, plan, 8080, 50)[0]!.backendRefs).toEqual([
      { name: 'resnet-stable', port: 8080, weight: 50 },
      { name: 'resnet-canary', port: 8080, weight: 50 },
    ]);
  });
});

function pod(status: V1Pod['status'], name = 'p'): V1Pod {
  return { metadata: { name }, spec: { containers: [{ name: 'model', image: 'img' }] }, status };
}

describe('failureGraceMs', () => {
  const pulling = (message: string, pullSecrets: string[]): V1Pod => ({
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'model', image: 'registry.example:5443/m:v1' }],
      imagePullSecrets: pullSecrets.map((name) => ({ name })),
    },
    status: {
      containerStatuses: [
        {
          name: 'model',
          image: 'registry.example:5443/m:v1',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ErrImagePull', message } },
        },
      ],
    },
  });
  const graceOf = (target: V1Pod) => failureGraceMs(podFailure(target)!, target, 5000);

  it('waits out the kubelet reading a pull Secret late when the registry refused the pull', () => {
    for (const refusal of [
      'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized',
      'pull access denied, repository does not exist or may require authorization',
      'failed to fetch oauth token: unexpected status from GET request: 403 Forbidden',
      'authentication required',
    ]) {
      expect(graceOf(pulling(refusal, ['m-registry']))).toBe(20_000);
      // Without a pull Secret, nothing can arrive late: a refusal is certain at once.
      expect(graceOf(pulling(refusal, []))).toBe(0);
    }
  });

  it('counts other pull failures at once, and gives unschedulable pods their own grace', () => {
    expect(graceOf(pulling('manifest unknown: manifest unknown', ['m-registry']))).toBe(0);
    expect(graceOf(pulling('dial tcp 10.0.0.1:5443: connect: connection refused', ['m-registry']))).toBe(0);
    const unschedulable: V1Pod = {
      metadata: { name: 'p' },
      status: {
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1' }],
      },
    };
    expect(graceOf(unschedulable)).toBe(5000);
  });
});

describe('podFailure', () => {
  it('names a crash loop with the last exit code', () => {
    const failure = podFailure(
      pod({
        containerStatuses: [
          {
            name: 'model',
            image: 'img',
            imageID: '',
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 3, reason: 'Error' } },
          },
        ],
      }),
    );
    expect(failure?.kind).toBe('CrashLoopBackOff');
    expect(failure?.message).toMatch(/last exit code 3, Error\), restarted 2 time/);
  });

  it('names pull failures, OOM kills and unschedulable pods', () => {
    const waiting = (reason: string) =>
      pod({
        containerStatuses: [
          {
            name: 'model',
            image: 'img',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason } },
          },
        ],
      });
    expect(podFailure(waiting('ErrImagePull'))?.kind).toBe('ImagePullFailed');
    expect(podFailure(waiting('ImagePullBackOff'))?.kind).toBe('ImagePullFailed');
    expect(podFailure(waiting('ContainerCreating'))).toBeUndefined();
    expect(
      podFailure(
        pod({
          containerStatuses: [
            {
              name: 'model',
              image: 'img',
              imageID: '',
              ready: false,
              restartCount: 1,
              lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        }),
      )?.kind,
    ).toBe('OOMKilled');
    const unschedulable = podFailure(
      pod({
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes: Insufficient nvidia.com/gpu',
          },
        ],
      }),
    );
    expect(unschedulable?.kind).toBe('FailedScheduling');
    expect(unschedulable?.message).toMatch(/Insufficient nvidia.com\/gpu/);
  });
});

describe('Deployment status', () => {
  const deployment = (status: V1Deployment['status'], generation = 2): V1Deployment => ({
    metadata: { generation },
    spec: { replicas: 2, selector: {}, template: {} },
    status,
  });

  it('is complete only when the new revision is observed and every replica available', () => {
    const done = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(rolloutComplete(deployment(done))).toBe(true);
    expect(rolloutComplete(deployment({ ...done, observedGeneration: 1 }))).toBe(false);
    expect(rolloutComplete(deployment({ ...done, replicas: 3 }))).toBe(false);
    expect(rolloutComplete(deployment({ ...done, availableReplicas: 1, unavailableReplicas: 1 }))).toBe(
      false,
    );
  });

  it('reads ProgressDeadlineExceeded from the Progressing condition', () => {
    expect(
      progressDeadlineExceeded(
        deployment({
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        }),
      ),
    ).toBe(true);
    expect(
      progressDeadlineExceeded(
        deployment({
          conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
        }),
      ),
    ).toBe(false);
  });
});

describe('gpuCapacity', () => {
  const node = (name: string, gpus: string, labels: Record<string, string> = {}): V1Node => ({
    metadata: { name, labels },
    status: { allocatable: { 'nvidia.com/gpu': gpus } },
  });
  const gpuPod = (nodeName: string, gpus: string, phase = 'Running'): V1Pod => ({
    spec: { nodeName, containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': gpus } } }] },
    status: { phase },
  });

  it('sums allocatable minus requests of unfinished pods on matching nodes', () => {
    const nodes = [node('a', '4', { pool: 'h100' }), node('b', '8', { pool: 'a100' }), node('cpu', '0')];
    const pods = [gpuPod('a', '1'), gpuPod('a', '2', 'Succeeded'), gpuPod('b', '3')];
    expect(gpuCapacity(nodes, pods, 'nvidia.com/gpu', {})).toMatchObject({
      allocatable: 12,
      requested: 4,
      free: 8,
    });
    expect(gpuCapacity(nodes, pods, 'nvidia.com/gpu', { pool: 'h100' })).toMatchObject({
      allocatable: 4,
      requested: 1,
      free: 3,
      nodes: ['a'],
    });
  });
});

describe('Lease availability', () => {
  const lease = (holder: string, renewTime: Date) => ({
    spec: { holderIdentity: holder, leaseDurationSeconds: 30, renewTime },
  });

  it('is free when ours, held by an earlier attempt of our run, or unchanged for its duration as we saw it', () => {
    const now = Date.parse('2025-01-01T10:00:00Z');
    const seenNow = { holder: 'x', renewTime: '', observedAt: now };
    const any = new Date(now);
    expect(leaseAvailable(lease('o/r/1/1', any), 'o/r/1/1', seenNow, now)).toBe(true);
    expect(leaseAvailable(lease('o/r/2/1', any), 'o/r/1/1', seenNow, now)).toBe(false);
    expect(leaseAvailable(lease('o/r/2/1', any), 'o/r/1/1', seenNow, now + 30_000)).toBe(true);
    expect(leaseAvailable(lease('o/r/1/1', any), 'o/r/1/2', seenNow, now)).toBe(true);
    expect(leaseAvailable(lease('o/r/1/2', any), 'o/r/1/1', seenNow, now)).toBe(false);
  });

  it("judges expiry by when this run saw renewTime change, not by the holder's clock", () => {
    const now = Date.parse('2025-01-01T10:00:00Z');
    // The holder's clock is two minutes behind ours: its fresh renewTime reads as long past.
    const skewed = lease('o/r/2/1', new Date(now - 120_000));
    const first = observeLease(undefined, skewed, now);
    expect(leaseAvailable(skewed, 'o/r/3/1', first, now)).toBe(false);
    // Unchanged when read again: the observation keeps its time, and expiry comes a duration later.
    expect(observeLease(first, skewed, now + 10_000)).toBe(first);
    expect(leaseAvailable(skewed, 'o/r/3/1', first, now + 29_000)).toBe(false);
    expect(leaseAvailable(skewed, 'o/r/3/1', first, now + 30_000)).toBe(true);
    // A renewal (renewTime changed, even to a time still behind ours) starts the duration again.
    const renewed = lease('o/r/2/1', new Date(now - 100_000));
    const again = observeLease(first, renewed, now + 20_000);
    expect(again.observedAt).toBe(now + 20_000);
    expect(leaseAvailable(renewed, 'o/r/3/1', again, now + 30_000)).toBe(false);
  });

  it('compares attempts of one run only', () => {
    expect(sameRunEarlierAttempt('o/r/5/1', 'o/r/5/3')).toBe(true);
    expect(sameRunEarlierAttempt('o/r/5/1', 'o/r/6/3')).toBe(false);
  });
});

describe('images and conflicts', () => {
  it('pins the image the pods really run by digest', () => {
    const digest = 'sha256:' + 'a'.repeat(64);
    expect(pinnedFromImageId('localhost:5000/m/x:v2', [`localhost:5000/m/x@${digest}`])).toBe(
      `localhost:5000/m/x@${digest}`,
    );
    expect(pinnedFromImageId('localhost:5000/m/x', [`docker-pullable://x@${digest}`])).toBe(
      `localhost:5000/m/x@${digest}`,
    );
    expect(pinnedFromImageId('ghcr.io/o/x:v1', [])).toBe('ghcr.io/o/x:v1');
  });

  it('names the field managers of an apply conflict', () => {
    const message =
      'Apply failed with 2 conflicts: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas\n' +
      'conflict with "helm" using apps/v1: .spec.template';
    expect(conflictingManagers(message)).toEqual(['kubectl-client-side-apply', 'helm']);
    // The API server's wording for several fields of one manager.
    expect(
      conflictingManagers('Apply failed with 2 conflicts: conflicts with "platform-team":\n- .spec'),
    ).toEqual(['platform-team']);
  });
});

describe('scraping the pods', () => {
  const settings = settingsWith({});
  const plan = planRun(settings);
  const podOf = (serving: ReturnType<typeof servingFor>) =>
    renderDeployment(plan, settings, serving, { track: 'canary', image: 'ghcr.io/org/resnet:1', replicas: 1 })
      .spec!.template;

  it.each([
    ['triton', 'v2', 8002, 'metrics'],
    ['mlserver', 'v2', 8082, 'metrics'],
    ['vllm', 'openai', 8000, 'http'],
    ['dockerfile', 'openai', 8000, 'http'],
  ] as const)('%s: annotations and a metrics port of %p (named %p)', (runtime, protocol, port, name) => {
    const pod = podOf(servingFor(runtime, 'resnet', protocol));
    expect(pod.metadata!.annotations).toMatchObject({
      [SCRAPE_ANNOTATIONS.scrape]: 'true',
      [SCRAPE_ANNOTATIONS.port]: String(port),
      [SCRAPE_ANNOTATIONS.path]: '/metrics',
    });
    const ports = pod.spec!.containers[0]!.ports!;
    expect(ports.find((p) => p.containerPort === port)?.name).toBe(name);
    expect(ports.filter((p) => p.containerPort === port)).toHaveLength(1);
  });

  it('leaves a server whose metrics endpoint is unknown (a V2 Dockerfile) unannotated, and no PodMonitor', () => {
    const serving = servingFor('dockerfile', 'resnet', 'v2');
    expect(podOf(serving).metadata!.annotations?.[SCRAPE_ANNOTATIONS.scrape]).toBeUndefined();
    expect(renderPodMonitor(plan, serving)).toBeUndefined();
  });

  it("keeps a pod template's own scrape annotations", () => {
    const withOwn = {
      ...settings,
      workload: {
        ...settings.workload,
        podTemplate: {
          file: 'deploy/pod.yaml',
          template: {
            metadata: { annotations: { [SCRAPE_ANNOTATIONS.scrape]: 'false' } },
            spec: { containers: [{ name: 'model' }] },
          },
          modelContainer: 'model',
          modelContainerReason: 'named model' as const,
        },
      },
    };
    const pod = renderDeployment(planRun(withOwn), withOwn, servingFor('vllm', 'llama', 'openai'), {
      track: 'stable',
      image: 'x:1',
      replicas: 1,
    }).spec!.template;
    expect(pod.metadata!.annotations![SCRAPE_ANNOTATIONS.scrape]).toBe('false');
  });

  it('selects both arms of the target in a PodMonitor that copies target, track and preview onto series', () => {
    const monitor = renderPodMonitor(plan, servingFor('triton', 'resnet', 'v2'))!;
    expect(monitor).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'resnet', namespace: 'default', labels: { [LABELS.managedBy]: 'model-canary' } },
      spec: {
        selector: { matchLabels: { [LABELS.target]: 'resnet', [LABELS.managedBy]: 'model-canary' } },
        podTargetLabels: [LABELS.target, LABELS.track, LABELS.preview],
        podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '5s' }],
      },
    });
    expect(JSON.stringify(monitor.spec['selector'])).not.toContain(LABELS.track);
  });
});
