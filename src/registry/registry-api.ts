/**
 * Reads images from an OCI distribution registry (adapter, anonymous pulls): manifests, the image
 * config, and layer blobs. Tests and the build benchmark use it to check what a push really put in
 * the registry (labels, digests, layer reuse) without a container engine.
 */
import { gunzipSync } from 'node:zlib';
import { MANIFEST_MEDIA_TYPES } from './client.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageConfig {
  config?: { Labels?: Record<string, string>; Env?: string[]; Cmd?: string[]; User?: string };
  rootfs?: { diff_ids: string[] };
}

/** Paths of the files in an uncompressed tar layer (ustar headers; PAX extended headers skipped). */
export function tarEntryNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    const prefix = text(345, 155);
    if (type !== 'x' && type !== 'g')
      names.push(((prefix ? `${prefix}/` : '') + text(0, 100)).replace(/^\.?\//, ''));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** One image in a registry: `http://localhost:5000` + `test/tiny-mlp`. */
export class RegistryRepository {
  readonly baseUrl: string;
  readonly path: string;

  constructor(baseUrl: string, path: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.path = path;
  }

  /** The manifest (or index) a tag or digest names, with the digest the registry serves for it. */
  async manifest(reference: string): Promise<{ digest: string; body: Record<string, unknown> }> {
    const response = await fetch(`${this.baseUrl}/v2/${this.path}/manifests/${reference}`, {
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (!response.ok) throw new Error(`GET manifest ${this.path}:${reference}: HTTP ${response.status}`);
    const digest = response.headers.get('docker-content-digest') ?? '';
    return { digest, body: (await response.json()) as Record<string, unknown> };
  }

  /** The image manifest for a platform, following an index when the push made one (attestations). */
  async imageManifest(
    reference: string,
    platform = { os: 'linux', architecture: 'amd64' },
  ): Promise<ImageManifest> {
    const { body } = await this.manifest(reference);
    if (!Array.isArray(body['manifests'])) return body as unknown as ImageManifest;
    const entry = (body['manifests'] as Descriptor[]).find(
      (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
    );
    if (entry === undefined)
      throw new Error(`${this.path}:${reference} has no ${platform.os}/${platform.architecture} image`);
    return (await this.manifest(entry.digest)).body as unknown as ImageManifest;
  }

  async blob(digest: string): Promise<Buffer> {
    const response = await fetch(`${this.baseUrl}/v2/${this.path}/blobs/${digest}`);
    if (!response.ok) throw new Error(`GET blob ${digest}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** A layer's tar stream, uncompressed. */
  async layer(descriptor: Descriptor): Promise<Buffer> {
    const blob = await this.blob(descriptor.digest);
    return descriptor.mediaType.endsWith('gzip') ? gunzipSync(blob) : blob;
  }

  async config(manifest: ImageManifest): Promise<ImageConfig> {
    return JSON.parse((await this.blob(manifest.config.digest)).toString('utf8')) as ImageConfig;
  }
}
