import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as runner from '../../../src/github/runner.ts';
import { stdoutOf, stdoutOfSync } from '../../support/stdout.ts';

/** Entries of a command file as the runner parses them: `name<<delimiter` … `delimiter`. */
function commandFileEntries(file: string): Record<string, string> {
  return Object.fromEntries(
    [...readFileSync(file, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [
      m[1]!,
      m[3]!,
    ]),
  );
}

describe('workflow commands', () => {
  it('escapes the runner’s own characters in data and, with the separators, in properties', () => {
    expect(runner.escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(runner.escapeProperty('model-canary: input a,b')).toBe('model-canary%3A input a%2Cb');
    expect(runner.workflowCommand('error', { title: 'x: y', file: undefined, line: 3 }, 'bad\nvalue')).toBe(
      '::error title=x%3A y,line=3::bad%0Avalue',
    );
    expect(runner.workflowCommand('endgroup', {}, '')).toBe('::endgroup::');
  });

  it('writes annotations, masks and groups as single lines', () => {
    const out = stdoutOfSync(() => {
      runner.setSecret('s3cr%t\nline2');
      runner.warning('careful', { title: 'model-canary: report' });
      runner.notice('fyi');
      runner.debug('details');
      runner.info('plain line');
    });
    expect(out.split('\n')).toEqual([
      '::add-mask::s3cr%25t%0Aline2',
      '::warning title=model-canary%3A report::careful',
      '::notice::fyi',
      '::debug::details',
      'plain line',
      '',
    ]);
  });

  it('closes a group even when its work throws', async () => {
    const out = await stdoutOf(async () => {
      await expect(
        runner.group('stage', async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await runner.group('next', async () => 42)).toBe(42);
    });
    expect(out).toBe('::group::stage\n::endgroup::\n::group::next\n::endgroup::\n');
  });
});

describe('inputs and command files', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'model-canary-runner-'));
    for (const [variable, file] of [
      ['GITHUB_OUTPUT', 'output'],
      ['GITHUB_STATE', 'state'],
      ['GITHUB_STEP_SUMMARY', 'summary'],
    ] as const) {
      process.env[variable] = join(dir, file);
      writeFileSync(join(dir, file), '');
    }
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads an input from INPUT_<NAME>, hyphens kept, spaces as underscores, trimmed', () => {
    process.env['INPUT_DRY-RUN'] = '  true \n';
    process.env['INPUT_SOME_NAME'] = 'x';
    expect(runner.getInput('dry-run')).toBe('true');
    expect(runner.getInput('some name')).toBe('x');
    expect(runner.getInput('absent')).toBe('');
  });

  it('writes outputs and state as blocks the runner parses, multi-line values whole', () => {
    runner.setOutput('reason', 'line one\nline two');
    runner.setOutput('decision', 'promoted');
    runner.saveState('model-canary-pending', '{"changes":["canary"]}');
    expect(commandFileEntries(join(dir, 'output'))).toEqual({
      reason: 'line one\nline two',
      decision: 'promoted',
    });
    expect(commandFileEntries(join(dir, 'state'))).toEqual({
      'model-canary-pending': '{"changes":["canary"]}',
    });
  });

  it('refuses a value that contains the block delimiter, so no value can forge another entry', () => {
    expect(() => runner.commandFileEntry('reason', 'x\nEOF\nimage<<EOF', 'EOF')).toThrow(
      /reason contains the command-file delimiter/,
    );
    expect(runner.commandFileEntry('a', 'b', 'D')).toBe('a<<D\nb\nD\n');
    // Random delimiters differ between entries.
    expect(runner.commandFileEntry('a', 'b')).not.toBe(runner.commandFileEntry('a', 'b'));
  });

  it('falls back to the stdout commands on a runner without command files', () => {
    delete process.env['GITHUB_OUTPUT'];
    delete process.env['GITHUB_STATE'];
    const out = stdoutOfSync(() => {
      runner.setOutput('decision', 'skipped');
      runner.saveState('isPost', 'true');
    });
    expect(out).toBe('::set-output name=decision::skipped\n::save-state name=isPost::true\n');
  });

  it('reads saved state from STATE_<name>', () => {
    process.env['STATE_isPost'] = 'true';
    expect(runner.getState('isPost')).toBe('true');
    expect(runner.getState('model-canary-pending')).toBe('');
  });

  it('appends to the job summary, line-terminated, and says so when there is none', () => {
    runner.appendSummary('## one');
    runner.appendSummary('two\n');
    expect(readFileSync(join(dir, 'summary'), 'utf8')).toBe('## one\ntwo\n');
    delete process.env['GITHUB_STEP_SUMMARY'];
    expect(() => runner.appendSummary('x')).toThrow(/GITHUB_STEP_SUMMARY is not set/);
  });
});
