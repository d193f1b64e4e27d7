import { describe, expect, it } from '@jest/globals';
import { bypassesProxy, describeProxy, proxyAuthorization, proxyFor } from '../../src/proxy.ts';

describe('proxyFor', () => {
  it('takes the variable of the URL scheme, lower case first', () => {
    const environment = {
      HTTPS_PROXY: 'http://upper:3128',
      https_proxy: 'http://lower:3128',
      HTTP_PROXY: 'http://plain:80',
    };
    expect(proxyFor('https://ghcr.io/v2/', environment)?.href).toBe('http://lower:3128/');
    expect(proxyFor('http://models.internal/', environment)?.href).toBe('http://plain/');
    expect(proxyFor('https://ghcr.io/', { HTTP_PROXY: 'http://plain:80' })).toBeUndefined();
  });

  it('reads a proxy without a scheme as http://', () => {
    expect(proxyFor('https://ghcr.io/', { HTTPS_PROXY: 'proxy.corp:3128' })?.href).toBe(
      'http://proxy.corp:3128/',
    );
  });

  it('goes direct for hosts NO_PROXY names', () => {
    const environment = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost, .corp.example,10.0.0.0/8' };
    expect(proxyFor('https://api.corp.example:6443/', environment)).toBeUndefined();
    expect(proxyFor('https://10.1.2.3/', environment)).toBeUndefined();
    expect(proxyFor('https://ghcr.io/', environment)?.host).toBe('proxy:3128');
  });

  it('names the variable when it is no URL', () => {
    expect(() => proxyFor('https://ghcr.io/', { HTTPS_PROXY: 'http://[bad' })).toThrow(
      /^HTTPS_PROXY is not a proxy URL/,
    );
  });
});

describe('bypassesProxy', () => {
  it.each([
    ['https://ghcr.io/', '*', true],
    ['https://ghcr.io/', 'ghcr.io', true],
    ['https://pkg.ghcr.io/', 'ghcr.io', true],
    ['https://pkg.ghcr.io/', '.ghcr.io', true],
    ['https://notghcr.io/', 'ghcr.io', false],
    ['https://ghcr.io/', 'ghcr.io:443', true],
    ['https://ghcr.io:8443/', 'ghcr.io:443', false],
    ['http://127.0.0.1:5000/', '127.0.0.1', true],
    ['http://127.0.0.1:5000/', '127.0.0.0/8', true],
    ['http://192.168.1.1/', '127.0.0.0/8', false],
    ['http://[::1]:5000/', '::1', true],
    ['http://[::1]:5000/', '[::1]:5000', true],
    ['http://localhost:5000/', '', false],
    ['http://127.0.0.1/', 'localhost', false],
  ])('%s with NO_PROXY=%s → %s', (url, noProxy, bypassed) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(bypassed);
  });
});

describe('proxyAuthorization and describeProxy', () => {
  it('sends the URL credentials as Basic and never shows them', () => {
    const proxy = new URL('http://ci%40corp:p%3Ass@proxy:3128');
    expect(proxyAuthorization(proxy)).toBe(`Basic ${Buffer.from('ci@corp:p:ss').toString('base64')}`);
    expect(proxyAuthorization(new URL('http://proxy:3128'))).toBeUndefined();
    expect(describeProxy(proxy)).toBe('http://proxy:3128');
  });
});
