/**
 * The analyse stage's answers wiring against a loopback model server that answers each arm (by
 * the arm header the url target sends) as a test asks: same answers, wrong on 5 % of the
 * requests, or rounded to fp16.
 */
import { describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AnswersResult } from '../../../src/checks/answers.ts';
import { parseInputs } from '../../../src/inputs/read.ts';
import type { Settings } from '../../../src/inputs/settings.ts';
import { ARM_HEADER } from '../../../src/load/targets.ts';
import { planRun } from '../../../src/plan.ts';
import { analyse } from '../../../src/stages/analyse.ts';
import { PUSH } from '../../fixtures/inputs.ts';

/** 100 requests, one feature each: the request's number. */
const REQUEST_SET = Array.from({ length: 100 }, (_, i) =>
  JSON.stringify({ id: `r${i}`, inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [i] }] }),
).join('\n');

type Answering = 'same' | 'wrong5' | 'fp16';

/** Class scores of request i: a fixed softmax-like row whose top class depends on i. */
function scores(i: number): number[] {
  const row = [0.1 + (i % 7) / 100, 0.2 + (i % 5) / 100, 0.3 + (i % 3) / 100, 0.15 + (i % 11) / 1000];
  const total = row.reduce((sum, value) => sum + value, 0);
  return row.map((value) => value / total);
}

function fp16(value: number): number {
  const buffer = new Float32Array([value]);
  const bits = new Uint32Array(buffer.buffer);
  bits[0] = (bits[0]! + 0x1000) & ~0x1fff;
  return buffer[0]!;
}

function answer(i: number, arm: string, answering: Answering): number[] {
  const row = scores(i);
  if (arm !== 'canary') return row;
  if (answering === 'fp16') return row.map(fp16);
  // Wrong on every 20th request: the output weights shuffled.
  if (answering === 'wrong5' && i % 20 === 0) return [row[3]!, row[2]!, row[1]!, row[0]!];
  return row;
}

function modelServer(answering: Answering): Server {
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      if (request.method === 'GET') {
        response.end(request.url?.endsWith('/ready') ? '' : '{}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: { data: number[] }[] };
      const i = body.inputs[0]!.data[0]!;
      const arm = String(request.headers[ARM_HEADER]);
      response.end(
        JSON.stringify({
          model_name: 'm',
          outputs: [
            { name: 'probabilities', shape: [1, 4], datatype: 'FP32', data: answer(i, arm, answering) },
          ],
        }),
      );
    });
  });
}

function settingsFor(url: string): Settings {
  const files: Record<string, string> = { 'requests.jsonl': REQUEST_SET, 'model.onnx': 'onnx' };
  const inputs: Record<string, string> = {
    model: 'model.onnx',
    image: 'ghcr.io/acme/m',
    'probe-protocol': 'v2',
    'probe-path': '/v2/models/m/infer',
    'probe-payload': 'requests.jsonl',
    'probe-target': 'url',
    'probe-url': url,
    'probe-rate': '100',
    'probe-duration': '5s',
    warmup: '4s',
  };
  const settings = parseInputs({
    get: (name) => inputs[name] ?? '',
    run: PUSH,
    pathExists: (path) => path in files,
    outsideWorkspace: () => undefined,
    readText: (path) => files[path],
    listFolder: () => undefined,
  });
  // Four seconds at 100 req/s per arm: 400 pairs, past the 299 a verdict needs; the warm-up
  // takes the timer thread's start, which on a busy machine holds the first requests back.
  return { ...settings, probe: { ...settings.probe, durationMs: 4000 } };
}

async function analysed(answering: Answering) {
  const server = modelServer(answering);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const settings = settingsFor(`http://127.0.0.1:${port}`);
    const result = await analyse(planRun(settings), settings, {} as KubeConfig);
    const answers = result.judgement.checks.find((check): check is AnswersResult => check.name === 'answers');
    return { result, answers: answers! };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('analyse: answers compared with stable', () => {
  it('passes when both arms answer alike', async () => {
    const { answers, result } = await analysed('same');
    expect(result.judgement.checks.map((check) => [check.name, check.outcome])).toContainEqual([
      'answers',
      'pass',
    ]);
    expect(answers.outcome).toBe('pass');
    const paired = answers.figures.comparisons[0]!;
    expect(paired).toMatchObject({ against: 'stable', disagreements: [] });
    expect(paired.compared).toBeGreaterThanOrEqual(299);
    expect(paired.agreed).toBe(paired.compared);
  }, 30_000);

  it('reverts a canary as fast as stable that answers 5 % of the requests wrongly', async () => {
    const { result, answers } = await analysed('wrong5');
    expect(answers.outcome).toBe('fail');
    expect(result.judgement.decision).toBe('revert');
    expect(result.judgement.reason).toMatch(/^answers disagree with stable on \d+(\.\d+)?% of requests/);
    const first = answers.figures.comparisons[0]!.disagreements[0]!;
    expect(first.id).toMatch(/^r(0|20|40|60|80)$/);
    expect(first.difference).toMatch(/top-1 0\/1 rows agree/);
    expect(first.request).toContain('"inputs"');
  }, 30_000);

  it('passes a canary whose answers are rounded to fp16, under the default tolerance', async () => {
    const { answers } = await analysed('fp16');
    expect(answers.outcome).toBe('pass');
  }, 30_000);
});
