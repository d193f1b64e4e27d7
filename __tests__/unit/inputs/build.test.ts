import { describe, expect, it } from '@jest/globals';
import { parseBuild } from '../../../src/inputs/build.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

describe('build inputs', () => {
  it('treats a dockerfile with runtime auto as runtime dockerfile', () => {
    const settings = parse({
      ...VALID,
      dockerfile: 'serving/Dockerfile',
      'probe-protocol': 'http',
      'probe-path': '/predict',
    });
    expect(settings.build.runtime).toBe('dockerfile');
    expect(settings.build.dockerfile).toBe('serving/Dockerfile');
  });
});

const BAD_BUILD_INPUTS: BadInput[] = [
  ['unknown runtime', { ...VALID, runtime: 'torchserve' }, 'runtime', /one of auto, triton/],
  ['model outside the repository', { ...VALID, model: '../secrets' }, 'model', /inside the repository/],
  ['absolute model path', { ...VALID, model: '/etc/passwd' }, 'model', /inside the repository/],
  ['missing model path', { ...VALID, model: 'models/bert' }, 'model', /does not exist/],
  ['malformed hf reference', { ...VALID, model: 'hf://just-a-name' }, 'model', /hf:\/\/org\/name/],
  ['unsupported model scheme', { ...VALID, model: 's3://bucket/model' }, 'model', /only repository paths/],
  ['image with a tag', { ...VALID, image: 'ghcr.io/acme/resnet:latest' }, 'image', /without tag/],
  [
    'image with a digest',
    { ...VALID, image: 'ghcr.io/acme/resnet@sha256:' + 'b'.repeat(64) },
    'image',
    /without tag or digest/,
  ],
  ['image with upper case', { ...VALID, image: 'ghcr.io/Acme/resnet' }, 'image', /lower-case/],
  ['image with spaces', { ...VALID, image: 'ghcr.io/acme/res net' }, 'image', /repository such as/],
  [
    'dockerfile with another runtime',
    { ...VALID, runtime: 'triton', dockerfile: 'serving/Dockerfile' },
    'dockerfile',
    /only used with runtime dockerfile/,
  ],
  [
    'runtime dockerfile without dockerfile',
    { ...VALID, runtime: 'dockerfile', 'probe-protocol': 'v2' },
    'dockerfile',
    /needs the path/,
  ],
  [
    'missing dockerfile',
    { ...VALID, dockerfile: 'Dockerfile.gpu', 'probe-protocol': 'v2' },
    'dockerfile',
    /does not exist/,
  ],
  [
    'username without password',
    { ...VALID, 'registry-username': 'bot' },
    'registry-password',
    /give both or neither/,
  ],
  [
    'password without username',
    { ...VALID, 'registry-password': 'pw' },
    'registry-username',
    /give both or neither/,
  ],
  [
    'bad base image',
    { ...VALID, 'base-image': 'nvcr.io/nvidia/triton server:24.08' },
    'base-image',
    /image reference/,
  ],
  ['build arg without =', { ...VALID, 'build-args': 'FOO' }, 'build-args', /not KEY=VALUE/],
  ['build arg with a bad key', { ...VALID, 'build-args': '1FOO=bar' }, 'build-args', /build argument name/],
  ['build arg given twice', { ...VALID, 'build-args': 'A=1\nA=2' }, 'build-args', /given twice/],
  ['build secret without =', { ...VALID, 'build-secrets': 'hf_token' }, 'build-secrets', /not KEY=VALUE/],
  ['empty build secret', { ...VALID, 'build-secrets': 'hf_token=' }, 'build-secrets', /is empty/],
  ['unknown cache', { ...VALID, cache: 's3' }, 'cache', /one of registry, gha, none/],
  ['bad platform', { ...VALID, platforms: 'linux/amd64,amd64' }, 'platforms', /os\/arch/],
  ['unknown builder', { ...VALID, builder: 'kaniko' }, 'builder', /one of auto, buildx, buildctl/],
  [
    'bad buildkit host',
    { ...VALID, 'buildkit-host': 'buildkitd:1234' },
    'buildkit-host',
    /tcp:\/\/buildkitd:1234/,
  ],
  [
    'buildkit host with buildx',
    { ...VALID, builder: 'buildx', 'buildkit-host': 'tcp://b:1234' },
    'buildkit-host',
    /for builder buildctl/,
  ],
];

describe('build inputs: bad values', () => {
  itNamesTheInput(BAD_BUILD_INPUTS, inputsReadBy(parseBuild));
});
