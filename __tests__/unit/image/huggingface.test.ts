import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuildFailed } from '../../../src/errors.ts';
import { resolveHubRevision } from '../../../src/image/huggingface.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A fake hub answering every request with `status` (and a commit on 200). */
async function hub(status: number): Promise<string> {
  const server = createServer((request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(status === 200 ? { sha: 'a'.repeat(40) } : { error: 'no' }));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('resolveHubRevision failures', () => {
  it('resolves a branch to its commit', async () => {
    expect(await resolveHubRevision('acme/tiny', 'main', { endpoint: await hub(200) })).toBe('a'.repeat(40));
  });

  it('names the hub, the model, the status and HF_TOKEN on 401, as an error of input model', async () => {
    const endpoint = await hub(401);
    const attempt = resolveHubRevision('acme/tiny', 'main', { endpoint });
    await expect(attempt).rejects.toBeInstanceOf(BuildFailed);
    await expect(attempt).rejects.toMatchObject({ input: 'model' });
    await expect(attempt).rejects.toThrow(
      `hf://acme/tiny@main: the Hugging Face hub ${endpoint} answered HTTP 401 to ${endpoint}/api/models/acme/tiny/revision/main; a private or gated repository needs HF_TOKEN`,
    );
    await expect(resolveHubRevision('acme/tiny', 'main', { endpoint, token: 'hf_x' })).rejects.toThrow(
      /HF_TOKEN was refused: give a token with read access/,
    );
  });

  it('names the address it could not reach', async () => {
    const endpoint = await hub(200);
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
    await expect(resolveHubRevision('acme/tiny', 'v1', { endpoint })).rejects.toThrow(
      new RegExp(
        `^hf://acme/tiny@v1: could not look the revision up on the Hugging Face hub: could not connect to ${endpoint} at 127\\.0\\.0\\.1:\\d+: the connection was refused`,
      ),
    );
  });
});
