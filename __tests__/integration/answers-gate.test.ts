/**
 * The answers check through `node dist/index.js` as the runner runs it, on the local cluster, with
 * real builds of the example models: a canary as fast as stable but wrong is reverted for its
 * answers, one whose answers differ only within the tolerance is promoted. Two families: the V2
 * tensor model (examples/models/tiny-mlp*) on MLServer, and the tiny chat model on the OpenAI chat
 * protocol, streamed and not (examples/models/tiny-chat, the user's own Dockerfile).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { pushJob } from './action-job.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  PYTHON_BASE_IMAGE,
  REGISTRY,
  requireLocalCluster,
} from './local-cluster.ts';

const MLSERVER_BASE_IMAGE = `${REGISTRY}/model-canary/mlserver:1.7.1`;

let config: KubeConfig;

beforeAll(async () => {
  config = await requireLocalCluster();
});

describe('answers of a V2 tensor model (MLServer, tiny-mlp)', () => {
  let namespace: string;
  const model = (folder: string) => ({
    model: `examples/models/${folder}`,
    'base-image': MLSERVER_BASE_IMAGE,
    'probe-payload': 'examples/models/payloads/tiny-mlp-v2.json',
  });
  beforeAll(async () => {
    namespace = await createTestNamespace(config, 'answers-tensor');
  });
  afterAll(async () => {
    if (namespace !== undefined) await deleteTestNamespace(config, namespace);
  });

  it('holds the first version to its expected outputs, reverts a wrong canary and promotes an fp16 one', async () => {
    const first = await pushJob(namespace, 'mlp', 'first', {
      ...model('tiny-mlp'),
      'expected-outputs': 'examples/models/payloads/tiny-mlp-v2.expected.json',
    });
    expect([first.outputs['decision'], first.code, first.output]).toEqual(['promoted', 0, first.output]);
    expect(first.summary).toMatch(/answers agree with the expected outputs on 100% of \d+ requests/);

    const wrong = await pushJob(namespace, 'mlp', 'wrong', model('tiny-mlp-wrong'));
    expect([wrong.outputs['decision'], wrong.output]).toEqual(['reverted', wrong.output]);
    expect(wrong.outputs['reason']).toMatch(/answers disagree with stable on 100% of requests/);
    expect(wrong.summary).toMatch(/top-1 0\/3 rows agree/);

    const fp16 = await pushJob(namespace, 'mlp', 'fp16', model('tiny-mlp-fp16'));
    expect([fp16.outputs['decision'], fp16.code, fp16.output]).toEqual(['promoted', 0, fp16.output]);
  });
});

describe('answers of a chat model (OpenAI protocol, streamed and not; the user’s Dockerfile)', () => {
  let namespace: string;
  const chat = (weights: string) => ({
    model: 'examples/models/tiny-chat',
    dockerfile: 'examples/models/tiny-chat/Dockerfile',
    'probe-protocol': 'openai',
    'build-args': `BASE_IMAGE=${PYTHON_BASE_IMAGE}\nWEIGHTS=${weights}`,
    'probe-payload': 'examples/models/payloads/tiny-chat.jsonl',
  });
  beforeAll(async () => {
    namespace = await createTestNamespace(config, 'answers-text');
  });
  afterAll(async () => {
    if (namespace !== undefined) await deleteTestNamespace(config, namespace);
  });

  it('reverts a variant that answers some prompts differently and promotes the same model under a new tag', async () => {
    const first = await pushJob(namespace, 'chat', 'first', {
      ...chat('weights.json'),
      'expected-outputs': 'examples/models/payloads/tiny-chat.expected.jsonl',
    });
    expect([first.outputs['decision'], first.code, first.output]).toEqual(['promoted', 0, first.output]);
    expect(first.summary).toMatch(/answers agree with the expected outputs on 100% of \d+ requests/);

    const wrong = await pushJob(namespace, 'chat', 'wrong', chat('weights-wrong.json'));
    expect([wrong.outputs['decision'], wrong.output]).toEqual(['reverted', wrong.output]);
    // 7 of the 24 prompts get other answers (examples/models/generate.py).
    expect(wrong.outputs['reason']).toMatch(/answers disagree with stable on (2\d|3\d)(\.\d+)?% of requests/);

    const again = await pushJob(namespace, 'chat', 'again', chat('weights.json'));
    expect([again.outputs['decision'], again.code, again.output]).toEqual(['promoted', 0, again.output]);
  });
});
