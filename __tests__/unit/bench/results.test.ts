import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSuiteResults, writeSuiteResults } from '../../../bench/results.ts';

describe('parseSuiteResults', () => {
  it('reads back what writeSuiteResults wrote, metrics in file order', () => {
    const directory = mkdtempSync(join(tmpdir(), 'bench-results-'));
    const metrics = {
      zeta_s: { value: 1.5, unit: 's', peer: 'kubectl rollout status', peer_value: 90 },
      alpha_count: { value: 3, unit: 'count' },
    };
    const path = writeSuiteResults('sample', metrics, directory);
    const parsed = parseSuiteResults(readFileSync(path, 'utf8'), path);
    expect(parsed.metrics).toEqual(metrics);
    expect(Object.keys(parsed.metrics)).toEqual(['zeta_s', 'alpha_count']);
    expect(parsed.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(Number.isNaN(Date.parse(parsed.date))).toBe(false);
  });

  it.each([
    ['not JSON', '{', /x\.json is not JSON/],
    ['an array', '[]', /x\.json must hold a JSON object/],
    ['no commit', '{"date": "2026-01-01T00:00:00Z"}', /x\.json lacks "commit" or "date"/],
    ['a numeric date', '{"commit": "abc", "date": 5}', /lacks "commit" or "date"/],
    ['a metric without value', '{"m": {"unit": "s"}, "commit": "a", "date": "d"}', /metric m must be/],
    ['a string value', '{"m": {"value": "1", "unit": "s"}, "commit": "a", "date": "d"}', /metric m must be/],
    ['a metric without unit', '{"m": {"value": 1}, "commit": "a", "date": "d"}', /metric m must be/],
    ['a numeric peer', '{"m": {"value": 1, "unit": "s", "peer": 2}, "commit": "a", "date": "d"}', /metric m/],
    [
      'a string peer_value',
      '{"m": {"value": 1, "unit": "s", "peer": "p", "peer_value": "2"}, "commit": "a", "date": "d"}',
      /metric m/,
    ],
    ['a null metric', '{"m": null, "commit": "a", "date": "d"}', /metric m/],
  ])('refuses %s, naming the file and the entry', (_case, text, message) => {
    expect(() => parseSuiteResults(text, 'bench/results/x.json')).toThrow(message);
  });
});
