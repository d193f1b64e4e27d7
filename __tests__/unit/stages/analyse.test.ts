import { describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ContainerCrash } from '../../../src/checks/canary-pods.ts';
import type { StepJudgement } from '../../../src/checks/step.ts';
import { parseInputs } from '../../../src/inputs/read.ts';
import type { Settings } from '../../../src/inputs/settings.ts';
import { ARM_HEADER } from '../../../src/load/targets.ts';
import { planRun } from '../../../src/plan.ts';
import { analyse, lookSchedule, stepVerdictOf } from '../../../src/stages/analyse.ts';
import { PUSH } from '../../fixtures/inputs.ts';

describe('lookSchedule', () => {
  it('spaces the judge looks evenly up to the planned samples per arm', () => {
    expect(lookSchedule(800, 4)).toEqual([200, 400, 600, 800]);
    expect(lookSchedule(10, 3)).toEqual([3, 7, 10]);
  });
});

describe('stepVerdictOf', () => {
  const verdict = (decision: StepJudgement['decision']) => ({ decision, reason: 'only 40 canary samples' });

  it('passes promote and revert through and resolves inconclusive by on-inconclusive', () => {
    expect(stepVerdictOf(verdict('revert'), 'promote')).toEqual({
      decision: 'revert',
      reason: 'only 40 canary samples',
    });
    expect(stepVerdictOf(verdict('inconclusive'), 'promote').decision).toBe('promote');
    expect(stepVerdictOf(verdict('inconclusive'), 'revert')).toEqual({
      decision: 'revert',
      reason: 'only 40 canary samples; on-inconclusive revert: revert',
    });
    // extend measured once more already; still unclear, stable stays.
    expect(stepVerdictOf(verdict('inconclusive'), 'extend').decision).toBe('revert');
  });
});

describe('analyse: a canary container that crashes during the analysis', () => {
  /** Both arms answer alike and at once: nothing in the requests tells the crash. */
  function modelServer(counts: { canary: number }): Server {
    return createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.headers[ARM_HEADER] === 'canary') counts.canary++;
        response.setHeader('content-type', 'application/json');
        response.end(request.method === 'GET' ? '' : '{"outputs":[]}');
      });
    });
  }

  function settingsFor(url: string): Settings {
    const inputs: Record<string, string> = {
      model: 'model.onnx',
      image: 'ghcr.io/acme/m',
      'probe-protocol': 'http',
      'probe-path': '/predict',
      'probe-target': 'url',
      'probe-url': url,
      'probe-rate': '100',
      'probe-duration': '5s',
      warmup: '0s',
    };
    return parseInputs({
      get: (name) => inputs[name] ?? '',
      run: PUSH,
      pathExists: (path) => path === 'model.onnx',
      outsideWorkspace: () => undefined,
      readText: () => undefined,
      listFolder: () => undefined,
    });
  }

  const OOM: ContainerCrash = {
    pod: 'm-canary-7d9f',
    container: 'model',
    exitCode: 137,
    reason: 'OOMKilled',
    restarts: 1,
  };

  it('reverts at once naming the container, exit code, OOMKilled and restarts, though no request failed', async () => {
    const counts = { canary: 0 };
    const server = modelServer(counts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const settings = settingsFor(`http://127.0.0.1:${port}`);
      // The pod watch sees the OOM kill once the canary has answered 50 requests.
      const result = await analyse(planRun(settings), settings, {} as KubeConfig, {
        crashes: () => (counts.canary >= 50 ? [OOM] : []),
      });
      expect(result.judgement.decision).toBe('revert');
      expect(result.judgement.reason).toBe(
        'the canary crashed: container model of pod m-canary-7d9f was OOM-killed (exit code 137) after it became ready, restarted 1 time(s)',
      );
      expect(result.arms.canary!.errorRate).toBe(0);
      // Stopped at the crash, before even the first planned look (of 500 requests per arm).
      expect(result.stoppedEarly).toBe(true);
      expect(result.arms.canary!.attempted).toBeLessThan(lookSchedule(500, 4)[0]!);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);
});
