import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDeployment, v2Serving } from '../../../src/kube/manifests.ts';
import { LABELS } from '../../../src/kube/labels.ts';
import { pullSecretName, renderPullSecret } from '../../../src/kube/pull-secret.ts';
import { planRun } from '../../../src/plan.ts';
import { pullCredentialsFor } from '../../../src/registry/credentials.ts';
import { parse, VALID } from '../../fixtures/inputs.ts';

describe('renderPullSecret', () => {
  it('is a dockerconfigjson Secret for the registry, labelled as ours', () => {
    const plan = planRun(parse({ ...VALID, namespace: 'ml' }));
    const secret = renderPullSecret(plan, { registry: 'ghcr.io', username: 'octo', password: 'p:w' });
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: {
        name: `${plan.target}-registry`,
        namespace: 'ml',
        labels: { [LABELS.managedBy]: 'model-canary' },
      },
    });
    const config = JSON.parse(Buffer.from(secret.data!['.dockerconfigjson']!, 'base64').toString('utf8'));
    expect(config.auths['ghcr.io']).toEqual({
      username: 'octo',
      password: 'p:w',
      auth: Buffer.from('octo:p:w').toString('base64'),
    });
    const hub = renderPullSecret(plan, { registry: 'docker.io', username: 'a', password: 'b' });
    expect(
      Object.keys(JSON.parse(Buffer.from(hub.data!['.dockerconfigjson']!, 'base64').toString()).auths),
    ).toEqual(['https://index.docker.io/v1/']);
  });
});

describe('imagePullSecrets of both arms', () => {
  it("are added to the pod template's own", () => {
    const settings = parse({ ...VALID, 'pod-template': 'deploy/deployment.yaml' });
    const plan = planRun(settings);
    const pod = renderDeployment(plan, settings, v2Serving('resnet'), {
      track: 'stable',
      image: 'ghcr.io/acme/resnet:abc',
      replicas: 1,
      imagePullSecrets: [pullSecretName(plan)],
    }).spec!.template.spec!;
    expect(pod.imagePullSecrets).toEqual([{ name: `${plan.target}-registry` }]);
  });
});

describe('pullCredentialsFor', () => {
  const servers: Server[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A registry that answers manifests with 200 when `anonymous`, else 401 without credentials. */
  async function registry(anonymous: boolean): Promise<string> {
    const server = createServer((request, response) => {
      const authorized = anonymous || request.headers.authorization !== undefined;
      response.writeHead(authorized ? 200 : 401, {
        ...(authorized ? { 'docker-content-digest': `sha256:${'b'.repeat(64)}` } : {}),
        ...(!authorized ? { 'www-authenticate': 'Basic realm="r"' } : {}),
      });
      response.end();
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** An environment whose Docker config logs in to `host`. */
  function loggedIn(host: string): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(tmpdir(), 'pull-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [host]: { username: 'u', password: 'p' } } }),
    );
    return { DOCKER_CONFIG: dir, HOME: dir };
  }

  it('gives the credentials when the registry refuses an anonymous pull', async () => {
    const host = await registry(false);
    expect(await pullCredentialsFor(`${host}/acme/resnet:abc`, { env: loggedIn(host) })).toMatchObject({
      registry: host,
      username: 'u',
      password: 'p',
    });
  });

  it('gives none for an image anyone may pull, or without a login', async () => {
    const open = await registry(true);
    expect(await pullCredentialsFor(`${open}/acme/resnet:abc`, { env: loggedIn(open) })).toBeUndefined();
    const closed = await registry(false);
    expect(
      await pullCredentialsFor(`${closed}/acme/resnet:abc`, { env: { HOME: '/nonexistent' } }),
    ).toBeUndefined();
  });
});
