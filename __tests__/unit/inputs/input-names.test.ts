import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../../../src/inputs/input-names.ts';

describe('action.yml', () => {
  const action = parseYaml(readFileSync('action.yml', 'utf8')) as {
    inputs: Record<string, { description: string; default?: string }>;
    outputs: Record<string, { description: string }>;
    runs: Record<string, string>;
  };

  it('declares exactly the inputs the action reads, each with a description and a default', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description.length).toBeGreaterThan(20);
      expect(typeof input.default).toBe('string');
      expect([name, input.default]).toEqual([
        name,
        (INPUT_DEFAULTS as Record<string, string>)[name] ?? expectedEmptyDefault(name),
      ]);
    }
  });

  it('declares every output the report writes', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(
      [
        'image',
        'digest',
        'decision',
        'reason',
        'p50-ms',
        'p95-ms',
        'p99-ms',
        'error-rate',
        'baseline-p95-ms',
        'report',
        'preview-url',
      ].sort(),
    );
  });

  it('runs on node24 with a post step that always runs, from its own entry into the same bundle', () => {
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post.js',
      'post-if': 'always()',
    });
  });
});

/** Inputs without a default in INPUT_DEFAULTS are empty in action.yml, except the token expression. */
function expectedEmptyDefault(name: string): string {
  return name === 'github-token' ? '${{ github.token }}' : '';
}
