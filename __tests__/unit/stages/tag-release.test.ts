/**
 * Release tags against a registry on 127.0.0.1 that keeps tags and manifests: the exact version tag
 * is pushed first, the floating tags (v1.2, v1) move only after the release canary is promoted,
 * and stay (or are put back) where they were otherwise.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RolloutSession } from '../../../src/kube/session.ts';
import type { CanaryState } from '../../../src/kube/rollout.ts';
import { planRun } from '../../../src/plan.ts';
import type { Run, StepAnalysis } from '../../../src/run.ts';
import { decideStage, moveReleaseTags } from '../../../src/stages/decide.ts';
import { moveFloatingTags, tagReleaseStage } from '../../../src/stages/tag-release.ts';
import { parse, SHA, TAG } from '../../fixtures/inputs.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
/** The image config the build labels: runtime and the model's name (read back by release). */
const CONFIG = Buffer.from(
  JSON.stringify({
    config: {
      Labels: { 'dev.model-canary.runtime': 'mlserver', 'org.opencontainers.image.title': 'resnet-50' },
    },
  }),
);
const manifestOf = (name: string) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(CONFIG),
        size: CONFIG.length,
      },
      layers: [],
      name,
    }),
  );

/** A registry holding acme/resnet: tag → digest, digest → bytes; PUTs to `failing` tags answer 500. */
async function registry(tags: Record<string, Buffer>, failing: string[] = []) {
  const blobs = new Map<string, Buffer>();
  const tagged = new Map<string, string>();
  for (const [tag, bytes] of Object.entries(tags)) {
    blobs.set(digestOf(bytes), bytes);
    tagged.set(tag, digestOf(bytes));
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === `/v2/acme/resnet/blobs/${digestOf(CONFIG)}`) {
        response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(CONFIG);
        return;
      }
      const match = /^\/v2\/acme\/resnet\/manifests\/(.+)$/.exec(request.url ?? '');
      const reference = match?.[1] ?? '';
      if (request.method === 'PUT' && match) {
        if (failing.includes(reference)) {
          response.writeHead(500).end('{"errors":[]}');
          return;
        }
        const bytes = Buffer.concat(chunks);
        blobs.set(digestOf(bytes), bytes);
        tagged.set(reference, digestOf(bytes));
        response.writeHead(201, { 'docker-content-digest': digestOf(bytes) }).end();
        return;
      }
      const digest = reference.startsWith('sha256:') ? reference : tagged.get(reference);
      const bytes = digest === undefined ? undefined : blobs.get(digest);
      if (!match || bytes === undefined) {
        response.writeHead(404).end('{"errors":[]}');
        return;
      }
      response.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': digest! });
      response.end(request.method === 'HEAD' ? undefined : bytes);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, tagged };
}

const OLD = manifestOf('v1.2.2');
const NEW = manifestOf(SHA);

async function releaseRun(failing: string[] = []) {
  const fake = await registry({ [SHA]: NEW, 'v1.2.2': OLD, 'v1.2': OLD, v1: OLD }, failing);
  const settings = parse({ mode: 'release', image: `${fake.host}/acme/resnet`, name: 'resnet' }, TAG);
  const run: Run = { settings, plan: planRun(settings), analyses: [] };
  return { ...fake, run };
}

describe('release tags', () => {
  it('tag-release pushes the exact version only; the floating tags wait for the promotion', async () => {
    const { run, tagged } = await releaseRun();
    const produced = await tagReleaseStage(run);
    expect(tagged.get('v1.2.3')).toBe(digestOf(NEW));
    expect(tagged.get('v1.2')).toBe(digestOf(OLD));
    expect(tagged.get('v1')).toBe(digestOf(OLD));
    expect(produced.release).toEqual({ digest: digestOf(NEW), floatingTags: ['v1.2', 'v1'] });
    // Probed as the verifying canary run was: the model's name and runtime from the image's labels.
    expect([produced.image.runtime, produced.image.modelName]).toEqual(['mlserver', 'resnet-50']);

    expect(await moveReleaseTags({ ...run, ...produced })).toBe('');
    expect(tagged.get('v1.2')).toBe(digestOf(NEW));
    expect(tagged.get('v1')).toBe(digestOf(NEW));
  });

  it('a reverted release canary leaves the floating tags where they were', async () => {
    const { run, tagged } = await releaseRun();
    const produced = await tagReleaseStage(run);
    const undone: string[] = [];
    const reverted: Run = {
      ...run,
      ...produced,
      canary: { firstDeploy: false } as CanaryState,
      rollout: { undo: async (cause: string) => undone.push(cause) > 0 } as unknown as RolloutSession,
      analyses: [{ verdict: { decision: 'revert', reason: 'p95 regressed' } } as StepAnalysis],
    };
    const { outcome } = await decideStage(reverted);
    expect(outcome.decision).toBe('reverted');
    expect(undone).toEqual(['p95 regressed']);
    expect(tagged.get('v1.2')).toBe(digestOf(OLD));
    expect(tagged.get('v1')).toBe(digestOf(OLD));
  });

  it('puts the floating tags already moved back when one cannot be moved', async () => {
    const { host, tagged } = await releaseRun(['v1']);
    await expect(
      moveFloatingTags({ repository: `${host}/acme/resnet`, releaseTags: ['v1.2', 'v1'] }, digestOf(NEW)),
    ).rejects.toThrow(/acme\/resnet:v1/);
    expect(tagged.get('v1.2')).toBe(digestOf(OLD));
    expect(tagged.get('v1')).toBe(digestOf(OLD));
  });
});
