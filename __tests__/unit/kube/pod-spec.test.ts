import { describe, expect, it } from '@jest/globals';
import type { V1Container } from '@kubernetes/client-node';
import { renderPlanMarkdown } from '../../../src/github/plan-summary.ts';
import type { Inputs } from '../../fixtures/inputs.ts';
import { parse, VALID } from '../../fixtures/inputs.ts';
import { renderDeployment, servingFor, v2Serving } from '../../../src/kube/manifests.ts';
import { modelArgs } from '../../../src/kube/pod-spec.ts';
import { LABELS } from '../../../src/kube/labels.ts';
import { planRun } from '../../../src/plan.ts';

const TEMPLATE: Inputs = { ...VALID, 'pod-template': 'deploy/deployment.yaml' };

function canaryOf(inputs: Inputs, serving = v2Serving('resnet')) {
  const settings = parse(inputs);
  const deployment = renderDeployment(planRun(settings), settings, serving, {
    track: 'canary',
    image: 'ghcr.io/acme/resnet:abc',
    replicas: 2,
  });
  return { deployment, pod: deployment.spec!.template.spec!, metadata: deployment.spec!.template.metadata! };
}

describe('renderDeployment from a pod template', () => {
  it('keeps the sidecar, env, envFrom, volumes, service account and securityContext, and puts the model first', () => {
    const { deployment, pod, metadata } = canaryOf({ ...TEMPLATE, gpus: '1' });
    expect(pod.containers.map((c) => c.name)).toEqual(['model', 'log-shipper']);
    expect(pod.containers[1]).toEqual({ name: 'log-shipper', image: 'fluent/fluent-bit:3.0' });
    const model = pod.containers[0]!;
    expect(model.image).toBe('ghcr.io/acme/resnet:abc');
    expect(model.env).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'HF_HOME', value: '/cache' },
    ]);
    expect(model.envFrom).toEqual([{ secretRef: { name: 'model-secrets' } }]);
    expect(model.volumeMounts).toEqual([
      { name: 'cache', mountPath: '/cache' },
      { name: 'dshm', mountPath: '/dev/shm' },
    ]);
    expect(pod.volumes!.map((v) => v.name)).toEqual(['cache', 'dshm']);
    expect(pod.serviceAccountName).toBe('model-reader');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true });
    expect(model.resources!.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists' }]);
    // Replicas and labels are the action's; the template's own are kept beside ours.
    expect(deployment.spec!.replicas).toBe(2);
    expect(metadata.labels).toMatchObject({ team: 'ml', [LABELS.track]: 'canary' });
    expect(deployment.spec!.selector.matchLabels).not.toHaveProperty('team');
    expect(metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true' });
  });

  it("keeps the template's readiness probe and adds only the startup probe", () => {
    const model = canaryOf(TEMPLATE).pod.containers[0]!;
    expect(model.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 'http' } });
    expect(model.startupProbe!.httpGet!.path).toBe('/v2/health/live');
  });

  it('merges the short inputs: env wins by name, env-from and args add, service-account replaces', () => {
    const model = canaryOf({
      ...TEMPLATE,
      env: 'LOG_LEVEL=info\nEXTRA=1',
      'env-from': 'configmap/tuning',
      args: '--enforce-eager',
      'service-account': 'other',
    });
    expect(model.pod.containers[0]!.env).toEqual([
      { name: 'HF_HOME', value: '/cache' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'EXTRA', value: '1' },
    ]);
    expect(model.pod.containers[0]!.envFrom).toEqual([
      { secretRef: { name: 'model-secrets' } },
      { configMapRef: { name: 'tuning' } },
    ]);
    expect(model.pod.containers[0]!.args).toEqual(['--max-model-len=4096', '--enforce-eager']);
    expect(model.pod.serviceAccountName).toBe('other');
  });

  it('says in the plan which container is the model, which fields it overrides and which it keeps', () => {
    const settings = parse({ ...TEMPLATE, gpus: '2', env: 'A=1' });
    const plan = planRun(settings);
    expect(plan.podTemplate).toMatchObject({
      file: 'deploy/deployment.yaml',
      modelContainer: 'model',
      modelContainerReason: 'named model',
      kept: ['containers[model].readinessProbe'],
    });
    expect(plan.podTemplate!.overridden).toEqual(
      expect.arrayContaining([
        'containers[model].image',
        'containers[model].resources.limits.nvidia.com/gpu',
        'containers[model].startupProbe',
        'containers[model].env.A',
        'replicas',
      ]),
    );
    expect(plan.podTemplate!.overridden).not.toContain('containers[model].readinessProbe');
    expect(renderPlanMarkdown(plan, settings)).toMatch(
      /\| pod template \| deploy\/deployment\.yaml: model container 'model' \(named model\); overridden: .*containers\[model\]\.image/,
    );
  });
});

describe('renderDeployment without a pod template', () => {
  it('starts the args from the image CMD when args are added (Kubernetes args replace CMD)', () => {
    const triton = servingFor('triton', 'resnet', 'v2');
    const model = canaryOf({ ...VALID, args: '--log-verbose=1' }, triton).pod.containers[0]!;
    expect(model.args).toEqual([...triton.serverCommand!, '--log-verbose=1']);
    expect(canaryOf(VALID, triton).pod.containers[0]!.args).toBeUndefined();
  });

  it('adds env, env-from and the service account to the pod it writes', () => {
    const { pod } = canaryOf({ ...VALID, env: 'A=1', 'env-from': 'secret/s', 'service-account': 'sa' });
    expect(pod.containers[0]).toMatchObject({
      name: 'model',
      env: [{ name: 'A', value: '1' }],
      envFrom: [{ secretRef: { name: 's' } }],
    });
    expect(pod.serviceAccountName).toBe('sa');
  });
});

describe('modelArgs: vLLM on several GPUs', () => {
  const vllm = servingFor('vllm', 'llama', 'openai');
  const argsFor = (inputs: Inputs, template?: string[]): string[] | undefined =>
    modelArgs(parse({ ...VALID, ...inputs }), vllm, template);

  it('adds --tensor-parallel-size=<gpus> when gpus > 1', () => {
    expect(argsFor({ gpus: '4' })).toEqual(['--tensor-parallel-size=4']);
    expect(argsFor({ gpus: '2', args: '--enforce-eager' })).toEqual([
      '--enforce-eager',
      '--tensor-parallel-size=2',
    ]);
    expect(argsFor({ gpus: '2' }, ['--max-model-len=4096'])).toEqual([
      '--max-model-len=4096',
      '--tensor-parallel-size=2',
    ]);
  });

  it('leaves it to the user when their args set it, in any spelling', () => {
    expect(argsFor({ gpus: '4', args: '--tensor-parallel-size=2' })).toEqual(['--tensor-parallel-size=2']);
    expect(argsFor({ gpus: '4', args: '--tensor-parallel-size\n2' })).toEqual([
      '--tensor-parallel-size',
      '2',
    ]);
    expect(argsFor({ gpus: '4' }, ['-tp=2'])).toEqual(['-tp=2']);
  });

  it('adds nothing for one GPU, or for a runtime without the flag', () => {
    expect(argsFor({ gpus: '1' })).toBeUndefined();
    expect(modelArgs(parse({ ...VALID, gpus: '4' }), v2Serving('resnet'))).toBeUndefined();
  });
});

describe('the model container of a template without one named model', () => {
  it('is the first container, and the plan says so', () => {
    const inputs = { ...VALID, 'pod-template': 'deploy/first.yaml' };
    const { pod } = canaryOf(inputs);
    expect(pod.containers.map((c: V1Container) => [c.name, c.image])).toEqual([
      ['server', 'ghcr.io/acme/resnet:abc'],
      ['proxy', 'envoy:1'],
    ]);
    const settings = parse(inputs);
    expect(planRun(settings).podTemplate).toMatchObject({
      modelContainer: 'server',
      modelContainerReason: 'first container',
    });
    expect(renderPlanMarkdown(planRun(settings), settings)).toContain(
      "model container 'server' (the first container; name one model",
    );
  });
});
