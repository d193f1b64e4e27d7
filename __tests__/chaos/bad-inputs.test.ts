/**
 * The bad-input corpus of issue #15 (__tests__/fixtures/bad-inputs.ts), each case run through
 * `node dist/index.js` as the runner runs it: it fails before anything is built or changed (exit 1,
 * decision skipped, no connection to any stand-in server, no build tool started), its errors name
 * exactly the inputs at fault, no planted secret reaches anything it writes, and its post step finds
 * nothing to undo. Two controls show the harness sees what it claims to: the corpus's baseline is
 * accepted and its build starts BuildKit's client, and its dry run contacts nothing. Needs no cluster.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { INPUT_NAMES } from '../../src/inputs/input-names.ts';
import { MASKED_INPUTS } from '../../src/inputs/secrets.ts';
import { BAD_INPUT_CASES, type BadInputCase } from '../fixtures/bad-inputs.ts';
import {
  runBadInputCase,
  runBadInputCases,
  SERVER_ROLES,
  wrongsOf,
  type CaseRun,
} from '../support/bad-input-run.ts';

/** Cases run side by side: each has its own listeners and workspace. */
const PARALLEL = 3;

const NO_CONTACT = Object.fromEntries(SERVER_ROLES.map((role) => [role, 0]));

describe('the bad-input corpus', () => {
  it('holds at least 120 cases with distinct ids', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(120);
    expect(new Set(BAD_INPUT_CASES.map((c) => c.id)).size).toBe(BAD_INPUT_CASES.length);
  });

  it('refuses every input of action.yml in some case, and every secret input malformed', () => {
    const refused = new Set(BAD_INPUT_CASES.flatMap((c) => c.refused));
    expect(INPUT_NAMES.filter((name) => !refused.has(name))).toEqual([]);
    // A secret input given a malformed (non-empty) value, refused for it.
    const malformed = (name: string) =>
      BAD_INPUT_CASES.some((c) => (c.inputs[name] ?? '') !== '' && c.refused.includes(name));
    expect(MASKED_INPUTS.filter((name) => !malformed(name))).toEqual([]);
  });

  it('leads out of the workspace through a symbolic link for every path input', () => {
    const linkedOut = (c: BadInputCase) =>
      (c.files ?? []).some((file) => 'linkTo' in file && /^(\{outside\}|\/|\.\.)/.test(file.linkTo));
    const refusedThroughLinks = new Set(BAD_INPUT_CASES.filter(linkedOut).flatMap((c) => c.refused));
    for (const input of ['model', 'dockerfile', 'probe-payload', 'pod-template', 'expected-outputs']) {
      expect([input, refusedThroughLinks.has(input)]).toEqual([input, true]);
    }
  });
});

describe('the harness (controls)', () => {
  it('sees a build start: the baseline is accepted and runs buildctl against the BuildKit stand-in', async () => {
    const run = await runBadInputCase({ id: 'baseline', inputs: {}, refused: [] });
    expect(run.named.filter((name) => !name.startsWith('(not an input)'))).toEqual([]);
    expect(run.toolCalls).toEqual([
      expect.stringMatching(/^buildctl --addr tcp:\/\/127\.0\.0\.1:\d+ build /),
    ]);
    expect(run.decision).toBe('failed');
  });

  it('sees nothing for a dry run of the baseline, which contacts nothing', async () => {
    const run = await runBadInputCase({ id: 'baseline dry run', inputs: { 'dry-run': 'true' }, refused: [] });
    expect({ code: run.code, decision: run.decision, named: run.named }).toEqual({
      code: 0,
      decision: 'skipped',
      named: [],
    });
    expect({ contacts: run.contacts, toolCalls: run.toolCalls, leaks: run.leaks }).toEqual({
      contacts: NO_CONTACT,
      toolCalls: [],
      leaks: [],
    });
  });
});

describe('each bad input, through node dist/index.js', () => {
  const runs = new Map<string, CaseRun>();

  beforeAll(async () => {
    for (const run of await runBadInputCases(BAD_INPUT_CASES, PARALLEL)) runs.set(run.id, run);
  }, 30 * 60_000);

  it.each(BAD_INPUT_CASES.map((c) => [c.id, c] as const))('%s', (_id, testCase) => {
    const run = runs.get(testCase.id)!;
    // The log goes with the failure, so a wrong case says what the step did.
    expect({ wrongs: wrongsOf(testCase, run), log: run.log }).toEqual({ wrongs: [], log: run.log });
  });
});
