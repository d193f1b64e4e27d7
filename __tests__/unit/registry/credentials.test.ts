import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RegistryError } from '../../../src/registry/client.ts';
import { dockerConfigPath, registryCredentials } from '../../../src/registry/credentials.ts';

let home: string;
let bin: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'docker-config-'));
  bin = join(home, 'bin');
  mkdirSync(bin);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** An environment whose Docker config is `config` (in DOCKER_CONFIG) and whose PATH has the fake helpers. */
function envWith(config: object): NodeJS.ProcessEnv {
  const dir = join(home, 'docker');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { DOCKER_CONFIG: dir, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`, HOME: home };
}

/** A fake `docker-credential-<name>`: records the server it was asked for, answers with `script`'s output. */
function helper(name: string, script: string): string {
  const asked = join(home, `${name}.asked`);
  const file = join(bin, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = get ] || exit 9\ncat > '${asked}'\n${script}\n`);
  chmodSync(file, 0o755);
  return asked;
}

const basic = (user: string, password: string): string =>
  Buffer.from(`${user}:${password}`).toString('base64');

describe('registryCredentials', () => {
  it('takes the inputs first, naming them as the source', async () => {
    const env = envWith({ auths: { 'ghcr.io': { auth: basic('docker', 'login') } } });
    expect(await registryCredentials('ghcr.io', { inputs: { username: 'ci', password: 'pw' }, env })).toEqual(
      {
        username: 'ci',
        password: 'pw',
        source: 'registry-username/registry-password',
        fromInputs: true,
      },
    );
  });

  it('reads auths: base64 auth, username/password, identitytoken, under any key form docker wrote', async () => {
    const env = envWith({
      auths: {
        'https://ghcr.io': { auth: basic('octo', 'p:a:ss') },
        'registry.example.com:5000': { username: 'u', password: 'p' },
        'myregistry.azurecr.io': { identitytoken: 'refresh-me' },
        'https://index.docker.io/v1/': { auth: basic('hub', 'hubpw') },
      },
    });
    expect(await registryCredentials('ghcr.io', { env })).toMatchObject({
      username: 'octo',
      password: 'p:a:ss',
      fromInputs: false,
      source: `the Docker config's login for ghcr.io (${dockerConfigPath(env)})`,
    });
    expect(await registryCredentials('registry.example.com:5000', { env })).toMatchObject({
      username: 'u',
      password: 'p',
    });
    expect(await registryCredentials('myregistry.azurecr.io', { env })).toMatchObject({
      password: 'refresh-me',
      identityToken: true,
    });
    expect(await registryCredentials('docker.io', { env })).toMatchObject({
      username: 'hub',
      password: 'hubpw',
    });
    expect(await registryCredentials('quay.io', { env })).toBeUndefined();
  });

  it('asks the registry’s credHelper, with the server on stdin, before credsStore and auths', async () => {
    const asked = helper('ecr', `echo '{"ServerURL":"x","Username":"AWS","Secret":"ecr-token"}'`);
    helper('store', `echo '{"Username":"wrong","Secret":"wrong"}'`);
    const env = envWith({
      credHelpers: { '123.dkr.ecr.eu-west-1.amazonaws.com': 'ecr' },
      credsStore: 'store',
      auths: { '123.dkr.ecr.eu-west-1.amazonaws.com': { auth: basic('old', 'old') } },
    });
    const found = await registryCredentials('123.dkr.ecr.eu-west-1.amazonaws.com', { env });
    expect(found).toMatchObject({
      username: 'AWS',
      password: 'ecr-token',
      source: expect.stringContaining('docker-credential-ecr'),
    });
    expect((await import('node:fs')).readFileSync(asked, 'utf8')).toBe('123.dkr.ecr.eu-west-1.amazonaws.com');
  });

  it('uses credsStore for every registry, and falls back to auths when the store has no login', async () => {
    helper('desktop', `echo 'credentials not found in native keychain' >&2; exit 1`);
    const env = envWith({ credsStore: 'desktop', auths: { 'ghcr.io': { auth: basic('a', 'b') } } });
    expect(await registryCredentials('ghcr.io', { env })).toMatchObject({ username: 'a', password: 'b' });
    helper('desktop', `echo '{"Username":"<token>","Secret":"idt"}'`);
    expect(await registryCredentials('ghcr.io', { env })).toMatchObject({
      password: 'idt',
      identityToken: true,
    });
  });

  it('names a helper that is missing, fails or hangs, never its output', async () => {
    const missing = envWith({ credsStore: 'nowhere' });
    await expect(registryCredentials('ghcr.io', { env: missing })).rejects.toThrow(
      /names credential helper nowhere, but docker-credential-nowhere is not on PATH/,
    );
    helper('broken', `echo 'secret-looking-output'; exit 3`);
    const broken = registryCredentials('ghcr.io', { env: envWith({ credsStore: 'broken' }) });
    await expect(broken).rejects.toBeInstanceOf(RegistryError);
    await expect(broken).rejects.toThrow(/docker-credential-broken get exited with 3 for ghcr.io/);
    await expect(broken).rejects.not.toThrow(/secret-looking-output/);
    helper('garbled', `echo 'not-json-secret'`);
    await expect(registryCredentials('ghcr.io', { env: envWith({ credsStore: 'garbled' }) })).rejects.toThrow(
      /answered something that is not JSON/,
    );
    helper('slow', 'sleep 5');
    await expect(
      registryCredentials('ghcr.io', { env: envWith({ credsStore: 'slow' }), timeoutMs: 200 }),
    ).rejects.toThrow(/docker-credential-slow get failed for ghcr.io: killed by SIGTERM/);
  });

  it('is undefined without a Docker config, which lives in DOCKER_CONFIG or ~/.docker', async () => {
    expect(await registryCredentials('ghcr.io', { env: { HOME: home } })).toBeUndefined();
    expect(dockerConfigPath({ HOME: '/home/runner' })).toBe('/home/runner/.docker/config.json');
    expect(dockerConfigPath({ DOCKER_CONFIG: '/tmp/d', HOME: '/h' })).toBe('/tmp/d/config.json');
  });
});
