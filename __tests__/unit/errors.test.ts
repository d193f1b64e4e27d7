import { describe, expect, it } from '@jest/globals';
import { connectionFailureOf } from '../../src/errors.ts';

/** fetch's error for a connection that failed with `code` (undici wraps the socket error as `cause`). */
function fetchFailed(code: string, extra: Record<string, unknown> = {}): TypeError {
  return Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error(`${code} happened`), { code, ...extra }),
  });
}

describe('connectionFailureOf', () => {
  const url = 'https://registry.example.com:5000/v2/a/manifests/v1';

  it('names the origin and the address tried, and why', () => {
    expect(
      connectionFailureOf(fetchFailed('ECONNREFUSED', { address: '10.1.2.3', port: 5000 }), url),
    ).toEqual({
      description:
        'could not connect to https://registry.example.com:5000 at 10.1.2.3:5000: the connection was refused (nothing listens at that address) (ECONNREFUSED)',
      tls: false,
      code: 'ECONNREFUSED',
    });
    expect(connectionFailureOf(fetchFailed('ENOTFOUND'), url)?.description).toBe(
      'could not connect to https://registry.example.com:5000: the host name does not resolve (DNS) (ENOTFOUND)',
    );
  });

  it('marks a refused certificate as TLS', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
    ]) {
      expect(connectionFailureOf(fetchFailed(code), url)).toMatchObject({ tls: true });
    }
  });

  it('reads the first of several addresses (happy eyeballs) and a timeout', () => {
    const both = Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([
        Object.assign(new Error('x'), { code: 'ETIMEDOUT', address: '::1', port: 443 }),
      ]),
    });
    expect(connectionFailureOf(both, url)?.description).toContain(
      'at ::1:443: the connection timed out (ETIMEDOUT)',
    );
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(connectionFailureOf(timeout, url)?.description).toContain('no answer before the time limit');
  });

  it('is undefined for an error that is not a connection failure', () => {
    expect(connectionFailureOf(new Error('HTTP 500'), url)).toBeUndefined();
    expect(connectionFailureOf('nope', url)).toBeUndefined();
  });
});
