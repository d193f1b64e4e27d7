import { describe, expect, it } from '@jest/globals';
import { describePrometheusFailure, seriesOfResult } from '../../../src/metrics/prometheus.ts';

const URL = 'https://mimir.example.com/prometheus';

describe('describePrometheusFailure', () => {
  it("gives PromQL's own message for a query it cannot parse, as a fault of the check", () => {
    const error = describePrometheusFailure(URL, 'rat(x[1m])', {
      status: 400,
      body: '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:1: parse error: unknown function with name \\"rat\\""}',
    });
    expect(error.syntax).toBe(true);
    expect(error.message).toBe(
      `metrics server ${URL} refused the query rat(x[1m]): invalid parameter "query": 1:1: parse error: unknown function with name "rat"; fix the query in metrics-checks`,
    );
  });

  it.each([
    [
      401,
      '',
      /refused the query \(HTTP 401\); check metrics-token, or metrics-username and metrics-password/,
    ],
    [404, 'not found', /HTTP 404 not found; metrics-url must be the root of a Prometheus-compatible API/],
    [
      503,
      '{"status":"error","errorType":"unavailable","error":"store gateway down"}',
      /HTTP 503 store gateway down; the server failed to evaluate it/,
    ],
    [422, '{"status":"error","errorType":"execution","error":"query timed out"}', /HTTP 422 query timed out/],
  ])('names the server and what to do for HTTP %p', (status, body, expected) => {
    const error = describePrometheusFailure(URL, 'up', { status, body });
    expect(error.syntax).toBe(false);
    expect(error.message).toMatch(expected);
    expect(error.server).toBe('https://mimir.example.com');
  });

  it('names the address tried when there was no answer, and the CA input for a refused certificate', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:9090'), {
        code: 'ECONNREFUSED',
        address: '10.0.0.9',
        port: 9090,
      }),
    });
    expect(describePrometheusFailure('http://prometheus:9090', 'up', { error: refused }).message).toBe(
      'metrics server: could not connect to http://prometheus:9090 at 10.0.0.9:9090: the connection was refused (nothing listens at that address) (ECONNREFUSED); check input metrics-url and that the runner can reach it (a proxy goes in HTTPS_PROXY/NO_PROXY)',
    );
    const untrusted = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('self-signed certificate'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    });
    expect(describePrometheusFailure(URL, 'up', { error: untrusted }).message).toMatch(
      /give its CA in input metrics-ca$/,
    );
  });

  it('cuts a long query it quotes', () => {
    const query = `sum(${'x + '.repeat(200)}1)`;
    const message = describePrometheusFailure(URL, query, {
      status: 400,
      body: '{"errorType":"bad_data","error":"bad"}',
    }).message;
    expect(message).toContain('…: bad');
    expect(message.length).toBeLessThan(500);
  });
});

describe('seriesOfResult', () => {
  it('reads vectors and scalars, NaN and infinities kept', () => {
    expect(
      seriesOfResult({
        resultType: 'vector',
        result: [
          { metric: { pod: 'a' }, value: [1, '0.5'] },
          { metric: {}, value: [1, 'NaN'] },
          { metric: { le: '+Inf' }, value: [1, '+Inf'] },
        ],
      }),
    ).toEqual([
      { labels: { pod: 'a' }, value: 0.5 },
      { labels: {}, value: Number.NaN },
      { labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ]);
    expect(seriesOfResult({ resultType: 'scalar', result: [1, '3'] })).toEqual([{ labels: {}, value: 3 }]);
  });

  it('refuses a range vector, saying how to judge one value', () => {
    expect(seriesOfResult({ resultType: 'matrix', result: [] })).toMatch(
      /range vector; .*rate\(x\[\{\{ window \}\}\]\)/,
    );
    expect(seriesOfResult({ resultType: 'string', result: [1, 'x'] })).toMatch(/returns string/);
  });
});
