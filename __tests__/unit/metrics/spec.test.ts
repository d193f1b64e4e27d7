import { describe, expect, it } from '@jest/globals';
import { describeBounds, formatValue, readMetricChecks } from '../../../src/metrics/spec.ts';

const problemsOf = (text: string): string[] => {
  const read = readMetricChecks('checks.yaml', text);
  return 'problems' in read ? read.problems : [];
};

describe('readMetricChecks', () => {
  it('reads absolute bounds, comparisons, quantiles as p95 or 0.95, and regressions as 10% or 0.1', () => {
    const read = readMetricChecks(
      'checks.yaml',
      [
        '- name: queue',
        '  query: avg(q{ {{ selector }} })',
        '  max: 0.5',
        '  max-ratio: 1.5',
        '  ignore-below: 0.001',
        '- name: ttft',
        '  query: sum by (le) (increase(t_bucket{ {{ selector }} }[{{ window }}]))',
        '  quantile: p99',
        '  max-regression: 10%',
        '  unit: s',
        '- name: gpu',
        '  query: max(DCGM_FI_DEV_FB_USED{ {{ pods }} })',
        '  quantile: 0.5',
        '  max-regression: 0.2',
        '  if-present: true',
        '- name: free',
        '  query: min(free{ {{ selector }} })',
        '  min: 10',
        '  max-increase: 5',
      ].join('\n'),
    );
    expect('checks' in read && read.checks).toEqual([
      {
        name: 'queue',
        query: 'avg(q{ {{ selector }} })',
        max: 0.5,
        maxRatio: 1.5,
        ignoreBelow: 0.001,
        ifPresent: false,
        source: 'metrics-checks item 1',
      },
      {
        name: 'ttft',
        query: 'sum by (le) (increase(t_bucket{ {{ selector }} }[{{ window }}]))',
        quantile: 0.99,
        maxRegression: 0.1,
        unit: 's',
        ifPresent: false,
        source: 'metrics-checks item 2',
      },
      {
        name: 'gpu',
        query: 'max(DCGM_FI_DEV_FB_USED{ {{ pods }} })',
        quantile: 0.5,
        maxRegression: 0.2,
        ifPresent: true,
        source: 'metrics-checks item 3',
      },
      {
        name: 'free',
        query: 'min(free{ {{ selector }} })',
        min: 10,
        maxIncrease: 5,
        ifPresent: false,
        source: 'metrics-checks item 4',
      },
    ]);
  });

  it.each([
    ['not YAML', '- name: [', /checks.yaml:1: not valid YAML/],
    ['not a list', 'name: a', /expected a YAML list of checks/],
    ['an empty list', '[]', /the list holds no check/],
    ['an item that is no mapping', '- up', /item 1\): expected a mapping/],
    [
      'a bad name',
      '- name: Queue Time\n  query: q{ {{ selector }} }\n  max: 1',
      /name must be a lower-case name/,
    ],
    ['no query', '- name: q\n  max: 1', /query must be a PromQL expression/],
    [
      'a query without the arm',
      '- name: q\n  query: up\n  max: 1',
      /select one arm's series with \{\{ selector \}\}/,
    ],
    [
      'an unknown variable',
      '- name: q\n  query: q{ {{ selector }} }[{{ range }}]\n  max: 1',
      /uses \{\{ range \}\}; the variables are/,
    ],
    [
      'no bound',
      '- name: q\n  query: q{ {{ selector }} }',
      /needs a bound: max, min, max-ratio, max-increase, max-regression/,
    ],
    [
      'a misspelt field',
      '- name: q\n  query: q{ {{ selector }} }\n  max_ratio: 2',
      /unknown field 'max_ratio'/,
    ],
    [
      'a bound that is no number',
      '- name: q\n  query: q{ {{ selector }} }\n  max: high',
      /max must be a number; got "high"/,
    ],
    ['a ratio of 0', '- name: q\n  query: q{ {{ selector }} }\n  max-ratio: 0', /max-ratio must be above 0/],
    [
      'min above max',
      '- name: q\n  query: q{ {{ selector }} }\n  max: 1\n  min: 2',
      /min \(2\) is above max \(1\)/,
    ],
    [
      'a regression without quantile',
      '- name: q\n  query: q{ {{ selector }} }\n  max-regression: 10%',
      /add quantile/,
    ],
    [
      'a ratio with a quantile',
      '- name: q\n  query: q{ {{ selector }} }\n  quantile: p95\n  max-ratio: 2',
      /a quantile check is held to max-regression/,
    ],
    [
      'a quantile of 1',
      '- name: q\n  query: q{ {{ selector }} }\n  quantile: 1\n  max: 2',
      /quantile must be between 0 and 1/,
    ],
    [
      'a name used twice',
      '- name: q\n  query: q{ {{ selector }} }\n  max: 1\n- name: q\n  query: r{ {{ selector }} }\n  max: 1',
      /checks.yaml:4 \(item 2\): name 'q' is used twice/,
    ],
  ])('refuses %s, naming where', (_, text, expected) => {
    expect(problemsOf(text).join('\n')).toMatch(expected);
  });
});

describe('describeBounds and formatValue', () => {
  it('writes every bound with its unit', () => {
    expect(
      describeBounds({
        name: 'q',
        query: '',
        max: 0.25,
        min: 0.001,
        maxRatio: 1.5,
        maxIncrease: 2,
        ifPresent: false,
        source: '',
        unit: 's',
      }),
    ).toBe('≤ 0.25 s, ≥ 0.001 s, ≤ 1.5× stable, ≤ stable + 2 s');
    expect(
      describeBounds({
        name: 'q',
        query: '',
        quantile: 0.95,
        maxRegression: 0.1,
        ifPresent: false,
        source: '',
      }),
    ).toBe('≤ stable + 10%');
  });

  it.each([
    [0, '0'],
    [1234.5678, '1235'],
    [0.012345, '0.01235'],
    [2e10, '2e+10'],
    [0.00001234, '1.234e-5'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('formats %p as %p', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});
