import { describe, expect, it } from '@jest/globals';
import { parseMetrics } from '../../../src/inputs/metrics.ts';
import { secretValuesOf } from '../../../src/inputs/secrets.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

const URL_ONLY = { ...VALID, 'metrics-url': 'http://prometheus.monitoring:9090/' };

describe('metrics inputs', () => {
  it('has no metric checks without metrics-url', () => {
    expect(parse(VALID).metrics).toBeUndefined();
  });

  it('runs the built-in checks alone when only metrics-url is set (trailing slash dropped)', () => {
    expect(parse(URL_ONLY).metrics).toEqual({
      server: { url: 'http://prometheus.monitoring:9090' },
      checks: [],
      builtIn: true,
    });
  });

  it('reads checks written in the workflow, a bearer token, and turns the built-in checks off', () => {
    const metrics = parse({
      ...URL_ONLY,
      'metrics-token': 'secret-token',
      'metrics-builtin': 'false',
      'metrics-checks':
        '- name: gpu-memory\n  query: max(gpu_bytes{ {{ selector }} })\n  max: 2e10\n  unit: bytes\n',
    }).metrics!;
    expect(metrics.server.auth).toEqual({ kind: 'bearer', token: 'secret-token' });
    expect(metrics.builtIn).toBe(false);
    expect(metrics.checks).toEqual([
      {
        name: 'gpu-memory',
        query: 'max(gpu_bytes{ {{ selector }} })',
        max: 2e10,
        unit: 'bytes',
        ifPresent: false,
        source: 'metrics-checks item 1',
      },
    ]);
  });

  it('reads checks and a CA from repository files, and basic auth', () => {
    const metrics = parse({
      ...URL_ONLY,
      'metrics-checks': 'monitoring/checks.yaml',
      'metrics-ca': 'monitoring/ca.pem',
      'metrics-username': 'ci',
      'metrics-password': 'hunter22',
    }).metrics!;
    expect(metrics.checksFile).toBe('monitoring/checks.yaml');
    expect(metrics.checks.map((check) => [check.name, check.maxRatio])).toEqual([['queue-time', 1.5]]);
    expect(metrics.server.ca).toContain('BEGIN CERTIFICATE');
    expect(metrics.server.auth).toEqual({ kind: 'basic', username: 'ci', password: 'hunter22' });
  });

  it('masks the token and the password whole', () => {
    expect(secretValuesOf('metrics-token', ' abc123 ')).toEqual(['abc123']);
    expect(secretValuesOf('metrics-password', 'hunter22')).toEqual(['hunter22']);
    expect(secretValuesOf('metrics-username', 'ci')).toEqual([]);
  });
});

const BAD_METRICS_INPUTS: BadInput[] = [
  ['a URL that is not one', { ...VALID, 'metrics-url': 'prometheus:9090' }, 'metrics-url', /http\(s\) URL/],
  [
    'a URL down to /api/v1',
    { ...VALID, 'metrics-url': 'http://p:9090/api/v1' },
    'metrics-url',
    /without \/api\/v1: http:\/\/p:9090/,
  ],
  ['a URL with a login', { ...VALID, 'metrics-url': 'http://u:p@p:9090' }, 'metrics-url', /metrics-username/],
  [
    'checks without a server',
    { ...VALID, 'metrics-checks': 'monitoring/checks.yaml' },
    'metrics-checks',
    /needs metrics-url/,
  ],
  [
    'a token and a login',
    { ...URL_ONLY, 'metrics-token': 't', 'metrics-username': 'u', 'metrics-password': 'p' },
    'metrics-token',
    /not both/,
  ],
  [
    'a token with a Bearer prefix',
    { ...URL_ONLY, 'metrics-token': 'Bearer abc123' },
    'metrics-token',
    /white space, a line break or a character no token has \(its value is not shown\)/,
  ],
  [
    'a token of two lines',
    { ...URL_ONLY, 'metrics-token': 'abc123\ndef456' },
    'metrics-token',
    /no token has/,
  ],
  [
    'a username without password',
    { ...URL_ONLY, 'metrics-username': 'u' },
    'metrics-password',
    /both metrics-username and metrics-password/,
  ],
  ['a password without username', { ...URL_ONLY, 'metrics-password': 'p' }, 'metrics-username', /both/],
  [
    'a CA that is no certificate',
    { ...URL_ONLY, 'metrics-ca': 'probe/request.json' },
    'metrics-ca',
    /PEM certificates/,
  ],
  [
    'a check file that is missing',
    { ...URL_ONLY, 'metrics-checks': 'monitoring/none.yaml' },
    'metrics-checks',
    /does not exist/,
  ],
  [
    'a check without a bound',
    { ...URL_ONLY, 'metrics-checks': '- name: a\n  query: up{ {{ selector }} }\n' },
    'metrics-checks',
    /metrics-checks:1 \(item 1\): needs a bound/,
  ],
  ['built-in not a boolean', { ...URL_ONLY, 'metrics-builtin': 'yes' }, 'metrics-builtin', /true or false/],
];

describe('metrics inputs: bad values', () => {
  itNamesTheInput(BAD_METRICS_INPUTS, inputsReadBy(parseMetrics));
});
