import { describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunContext, runContextOf } from '../../../src/inputs/run-context.ts';

const ENV = {
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REF: 'refs/pull/7/merge',
  GITHUB_REPOSITORY: 'acme/models',
  GITHUB_RUN_ID: '123456789',
  GITHUB_RUN_ATTEMPT: '2',
};

describe('runContextOf', () => {
  it('takes the run from the runner variables and the pull request from the payload', () => {
    expect(runContextOf(ENV, { pull_request: { number: 7 } })).toEqual({
      eventName: 'pull_request',
      sha: '0123456789abcdef0123456789abcdef01234567',
      ref: 'refs/pull/7/merge',
      repository: 'acme/models',
      runId: 123456789,
      runAttempt: 2,
      pullRequest: 7,
    });
  });

  it('takes the number of an event about a pull request when there is no pull_request object', () => {
    expect(runContextOf(ENV, { number: 12 }).pullRequest).toBe(12);
    expect(runContextOf(ENV, { pull_request: { number: 7 }, number: 12 }).pullRequest).toBe(7);
  });

  it('has no pull request for other events, nor for a number that is not one', () => {
    expect(runContextOf({ ...ENV, GITHUB_EVENT_NAME: 'push' }, {})).not.toHaveProperty('pullRequest');
    expect(runContextOf(ENV, { number: '7' })).not.toHaveProperty('pullRequest');
  });

  it('names the action as the step uses it, when the runner says both its repository and ref', () => {
    const step = { GITHUB_ACTION_REPOSITORY: 'model-canary/model-canary', GITHUB_ACTION_REF: 'v0.4.1' };
    expect(runContextOf({ ...ENV, ...step }, {}).action).toBe('model-canary/model-canary@v0.4.1');
    // A local action (uses: ./) leaves both empty; half of a reference names nothing.
    expect(
      runContextOf({ ...ENV, GITHUB_ACTION_REPOSITORY: '', GITHUB_ACTION_REF: '' }, {}),
    ).not.toHaveProperty('action');
    expect(runContextOf({ ...ENV, GITHUB_ACTION_REPOSITORY: 'a/b' }, {})).not.toHaveProperty('action');
    expect(runContextOf({ ...ENV, GITHUB_ACTION_REF: 'main' }, {})).not.toHaveProperty('action');
  });

  it('falls back to empty values and the first attempt outside a workflow', () => {
    expect(runContextOf({}, {})).toEqual({
      eventName: '',
      sha: '',
      ref: '',
      repository: '',
      runId: 0,
      runAttempt: 1,
    });
    expect(runContextOf({ GITHUB_RUN_ID: 'x', GITHUB_RUN_ATTEMPT: 'y' }, {})).toMatchObject({
      runId: 0,
      runAttempt: 1,
    });
  });
});

describe('readRunContext', () => {
  it('reads the payload at GITHUB_EVENT_PATH', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'model-canary-event-')), 'event.json');
    writeFileSync(path, JSON.stringify({ action: 'opened', pull_request: { number: 31 } }));
    expect(readRunContext({ ...ENV, GITHUB_EVENT_PATH: path })).toMatchObject({
      eventName: 'pull_request',
      runId: 123456789,
      pullRequest: 31,
    });
  });

  it('says when the event file is missing and goes on without a payload', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const run = readRunContext({ ...ENV, GITHUB_EVENT_PATH: '/nonexistent/event.json' });
      expect(run).not.toHaveProperty('pullRequest');
      expect(write).toHaveBeenCalledWith(
        expect.stringContaining('GITHUB_EVENT_PATH /nonexistent/event.json does not exist'),
      );
    } finally {
      write.mockRestore();
    }
  });

  it('needs no event file', () => {
    expect(readRunContext(ENV)).not.toHaveProperty('pullRequest');
  });
});
