import { describe, expect, it } from '@jest/globals';
import type { ContainerCrash } from '../../../src/checks/canary-pods.ts';
import { judgeStep } from '../../../src/checks/step.ts';
import { DEFAULT_GATE as GATE } from '../../support/gate.ts';

/** Two alike arms of 2,000 requests: every other check passes them. */
const latencies = Array.from({ length: 2000 }, (_, i) => 20 * Math.exp(0.3 * Math.sin(i * 12.9898)));
const healthy = { latenciesMs: latencies, errors: 0, requests: latencies.length };
const CRASH: ContainerCrash = {
  pod: 'r-canary-1',
  container: 'model',
  exitCode: 139,
  reason: 'Error',
  restarts: 2,
};

describe('check canary-pods', () => {
  it('reverts a canary whose container exited, with that cause, though its requests all succeeded', () => {
    const judgement = judgeStep({ canary: healthy, stable: healthy, gate: GATE, crashes: [CRASH] });
    expect(judgement.decision).toBe('revert');
    expect(judgement.reason).toBe(
      'the canary crashed: container model of pod r-canary-1 exited with code 139 (Error) after it became ready, restarted 2 time(s)',
    );
  });

  it('gives the crash as the reason before a failing error rate', () => {
    const failing = { latenciesMs: latencies.slice(0, 1500), errors: 500, requests: 2000 };
    const oom = { ...CRASH, exitCode: 137, reason: 'OOMKilled', restarts: 1 };
    const judgement = judgeStep({ canary: failing, stable: healthy, gate: GATE, crashes: [oom] });
    expect(judgement.reason).toMatch(
      /^the canary crashed: container model of pod r-canary-1 was OOM-killed \(exit code 137\)/,
    );
    expect(judgement.checks.find((c) => c.name === 'error-rate')?.outcome).toBe('fail');
  });

  it('passes when the watched canary never exited, and is absent when its pods were not watched', () => {
    const watched = judgeStep({ canary: healthy, stable: healthy, gate: GATE, crashes: [] });
    expect(watched.checks[0]).toMatchObject({ name: 'canary-pods', outcome: 'pass' });
    expect(watched.decision).toBe('promote');
    const unwatched = judgeStep({ canary: healthy, stable: healthy, gate: GATE });
    expect(unwatched.checks.map((c) => c.name)).not.toContain('canary-pods');
  });
});
