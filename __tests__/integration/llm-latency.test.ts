/**
 * The LLM latencies our own probes judge, through `node dist/index.js` on the local cluster: the
 * tiny chat model (examples/models/tiny-chat, the user's own Dockerfile) streams its answers with
 * a prefill delay before the first word and a delay per word, both set by env, so a canary can be
 * made 30 % slower to its first token with its decode unchanged, or 30 % slower per token with
 * its first token on time. Each must be reverted by its own check (ttft, tpot) while the other
 * holds; the overall latency is given room (max-regression 50 %) so it does not decide first.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { pushJob } from './action-job.ts';
import {
  createTestNamespace,
  deleteTestNamespace,
  PYTHON_BASE_IMAGE,
  requireLocalCluster,
} from './local-cluster.ts';

/** Stable: 40 ms of prefill, then 10 ms a word, so TTFT ≈ 50 ms and TPOT ≈ 10 ms. */
const STABLE = { prefill: 40, token: 10 };

let config: KubeConfig;
let namespace: string;

beforeAll(async () => {
  config = await requireLocalCluster();
  namespace = await createTestNamespace(config, 'llm-latency');
});

afterAll(async () => {
  if (namespace !== undefined) await deleteTestNamespace(config, namespace);
});

/** One push of the chat model whose server waits `prefill` ms before its first word and `token` ms a word. */
function push(label: string, delays: { prefill: number; token: number }) {
  return pushJob(namespace, 'chat', label, {
    model: 'examples/models/tiny-chat',
    dockerfile: 'examples/models/tiny-chat/Dockerfile',
    'probe-protocol': 'openai',
    'build-args': `BASE_IMAGE=${PYTHON_BASE_IMAGE}`,
    // Half of these prompts are streamed: those give the TTFT and TPOT samples.
    'probe-payload': 'examples/models/payloads/tiny-chat.jsonl',
    env: `PREFILL_DELAY_MS=${delays.prefill}\nTOKEN_DELAY_MS=${delays.token}`,
    'probe-duration': '30s',
    'max-regression': '50%',
    'max-regression-ttft': '10%',
    'max-regression-tpot': '10%',
  });
}

/** The outcome column of one check's row in the job summary. */
function outcomeOf(summary: string, check: string): string | undefined {
  return new RegExp(`^\\| ${check} \\| (✅ pass|❌ fail|❔ inconclusive) \\|`, 'm').exec(summary)?.[1];
}

describe('TTFT and TPOT of streamed answers', () => {
  it('deploys the first version', async () => {
    const job = await push('first', STABLE);
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['promoted', 0, job.output]);
  });

  it('reverts a canary 30 % slower to its first token whose time per token is unchanged', async () => {
    // TTFT 65 ms instead of 50: 55 ms of prefill, the same 10 ms a word.
    const job = await push('ttft', { prefill: 55, token: 10 });
    expect([job.outputs['decision'], job.output]).toEqual(['reverted', job.output]);
    expect(outcomeOf(job.summary, 'ttft')).toBe('❌ fail');
    expect(outcomeOf(job.summary, 'tpot')).not.toBe('❌ fail');
    expect(job.outputs['reason']).toMatch(/TTFT/);
  });

  it('reverts a canary 30 % slower per token whose first token is on time', async () => {
    // TPOT 13 ms instead of 10, TTFT still 50 ms: 37 ms of prefill and 13 ms for the first word.
    const job = await push('tpot', { prefill: 37, token: 13 });
    expect([job.outputs['decision'], job.output]).toEqual(['reverted', job.output]);
    expect(outcomeOf(job.summary, 'tpot')).toBe('❌ fail');
    expect(outcomeOf(job.summary, 'ttft')).not.toBe('❌ fail');
    expect(job.outputs['reason']).toMatch(/TPOT/);
  });

  it('promotes the same delays under a new commit', async () => {
    const job = await push('again', STABLE);
    expect([job.outputs['decision'], job.code, job.output]).toEqual(['promoted', 0, job.output]);
  });
});
