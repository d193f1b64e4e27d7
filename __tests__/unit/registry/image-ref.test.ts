import { describe, expect, it } from '@jest/globals';
import {
  digestOf,
  isDigest,
  parseImageReference,
  pinnedReference,
  repositoryOf,
  repositoryOfReference,
} from '../../../src/registry/image-ref.ts';

describe('parseImageReference', () => {
  it.each([
    ['ghcr.io/acme/resnet', { registry: 'ghcr.io', path: 'acme/resnet' }],
    [
      'localhost:5000/model-canary/python:3.11-bookworm',
      { registry: 'localhost:5000', path: 'model-canary/python', tag: '3.11-bookworm' },
    ],
    ['ubuntu', { registry: 'docker.io', path: 'library/ubuntu' }],
    ['acme/resnet:v1', { registry: 'docker.io', path: 'acme/resnet', tag: 'v1' }],
    [
      '[::1]:5000/x@sha256:' + 'c'.repeat(64),
      { registry: '[::1]:5000', path: 'x', digest: 'sha256:' + 'c'.repeat(64) },
    ],
    [
      'nvcr.io/nvidia/tritonserver:24.08-py3',
      { registry: 'nvcr.io', path: 'nvidia/tritonserver', tag: '24.08-py3' },
    ],
  ])('parses %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each(['', 'UPPER/case', 'a//b', 'ghcr.io/acme/resnet:', 'x@sha256:short', 'ghcr.io/-bad/x', 'a b'])(
    'refuses %p',
    (text) => {
      expect(parseImageReference(text)).toBeUndefined();
    },
  );
});

const DIGEST = 'sha256:4f1c0a1e9b6d2c3a5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';

describe('repositoryOf', () => {
  it.each([
    ['ubuntu:24.04', 'docker.io/library/ubuntu'],
    ['acme/resnet', 'docker.io/acme/resnet'],
    ['localhost:5000/acme/resnet:v1', 'localhost:5000/acme/resnet'],
    [`ghcr.io/acme/team/resnet@${DIGEST}`, 'ghcr.io/acme/team/resnet'],
  ])('names Docker Hub where %s leaves it out: %s', (text, repository) => {
    expect(repositoryOf(parseImageReference(text)!)).toBe(repository);
  });
});

describe('repositoryOfReference', () => {
  it.each([
    ['localhost:5000/acme/resnet:abc', 'localhost:5000/acme/resnet'],
    ['ghcr.io/acme/resnet', 'ghcr.io/acme/resnet'],
    [`ghcr.io/acme/resnet:v1@${DIGEST}`, 'ghcr.io/acme/resnet'],
    [`localhost:5000/acme/resnet@${DIGEST}`, 'localhost:5000/acme/resnet'],
    ['localhost:5000/acme/resnet', 'localhost:5000/acme/resnet'],
    ['registry.example.com:8443/a/b/c/model:1.2.3-rc.1', 'registry.example.com:8443/a/b/c/model'],
    ['[::1]:5000/x:v1', '[::1]:5000/x'],
    ['ubuntu:24.04', 'ubuntu'],
    ['nvcr.io/nvidia/tritonserver:24.08-py3', 'nvcr.io/nvidia/tritonserver'],
  ])('repository of %s is %s', (reference, repository) => {
    expect(repositoryOfReference(reference)).toBe(repository);
  });

  it.each([
    'localhost:5000/acme/resnet:abc',
    `registry.example.com:8443/a/b/c/model:1.2.3-rc.1@${DIGEST}`,
    `[::1]:5000/x@${DIGEST}`,
    'acme/resnet:v1',
    'ubuntu',
  ])('keeps the registry and path the parser finds in %s', (reference) => {
    const { registry, path } = parseImageReference(reference)!;
    expect(parseImageReference(repositoryOfReference(reference))).toEqual({ registry, path });
  });
});

describe('isDigest', () => {
  it('accepts sha256 and 64 lower-case hex digits only', () => {
    expect(isDigest(DIGEST)).toBe(true);
    expect(isDigest('sha256:' + '0'.repeat(64))).toBe(true);
  });

  it.each([
    ['upper-case hex', DIGEST.toUpperCase()],
    ['upper-case hex digits', 'sha256:' + 'A'.repeat(64)],
    ['63 digits', 'sha256:' + 'a'.repeat(63)],
    ['65 digits', 'sha256:' + 'a'.repeat(65)],
    ['another algorithm', 'sha512:' + 'a'.repeat(64)],
    ['no algorithm', 'a'.repeat(64)],
    ['a pinned reference', `ghcr.io/acme/resnet@${DIGEST}`],
    ['a trailing newline', `${DIGEST}\n`],
    ['nothing', ''],
  ])('refuses %s', (_case, text) => {
    expect(isDigest(text)).toBe(false);
  });
});

describe('digestOf', () => {
  it.each([
    [`ghcr.io/acme/resnet@${DIGEST}`, DIGEST],
    [`localhost:5000/acme/resnet:v1.2.3@${DIGEST}`, DIGEST],
    [`[::1]:5000/a/b/c@${DIGEST}`, DIGEST],
    ['localhost:5000/acme/resnet:v1.2.3', undefined],
    ['ghcr.io/acme/resnet', undefined],
    [`ghcr.io/acme/resnet@${DIGEST.toUpperCase().replace('SHA256', 'sha256')}`, undefined],
    [`ghcr.io/acme/resnet@sha256:${'a'.repeat(63)}`, undefined],
    [`ghcr.io/acme/resnet@sha512:${'a'.repeat(64)}`, undefined],
    [DIGEST, undefined],
    ['', undefined],
  ])('the digest of %s is %s', (reference, digest) => {
    expect(digestOf(reference)).toBe(digest);
  });
});

describe('pinnedReference', () => {
  it('pins a repository to a digest, and digestOf and repositoryOfReference take it apart', () => {
    const pinned = pinnedReference('localhost:5000/acme/resnet', DIGEST);
    expect(pinned).toBe(`localhost:5000/acme/resnet@${DIGEST}`);
    expect(digestOf(pinned)).toBe(DIGEST);
    expect(repositoryOfReference(pinned)).toBe('localhost:5000/acme/resnet');
    expect(parseImageReference(pinned)).toEqual({
      registry: 'localhost:5000',
      path: 'acme/resnet',
      digest: DIGEST,
    });
  });
});
