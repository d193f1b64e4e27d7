import { describe, expect, it } from '@jest/globals';
import {
  parseAuthChallenge,
  registryBaseUrl,
  RegistryError,
  RegistrySession,
} from '../../../src/registry/client.ts';

describe('parseAuthChallenge', () => {
  it('reads a Bearer challenge as registries send it', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/resnet:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      parameters: {
        realm: 'https://ghcr.io/token',
        service: 'ghcr.io',
        scope: 'repository:acme/resnet:pull',
      },
    });
  });

  it('reads a Basic challenge and unquoted values', () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm", charset=UTF-8')).toEqual({
      scheme: 'basic',
      parameters: { realm: 'Registry Realm', charset: 'UTF-8' },
    });
  });
});

describe('registryBaseUrl', () => {
  it.each([
    ['localhost:5000', 'http://localhost:5000'],
    ['127.0.0.1:41234', 'http://127.0.0.1:41234'],
    ['ghcr.io', 'https://ghcr.io'],
    ['docker.io', 'https://registry-1.docker.io'],
    ['registry.example.com:5000', 'https://registry.example.com:5000'],
  ])('%s → %s', (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url);
  });
});

describe('RegistrySession', () => {
  it('refuses a reference with a tag, naming the image input', () => {
    expect(() => new RegistrySession('ghcr.io/acme/resnet:v1')).toThrow(RegistryError);
    expect(() => new RegistrySession('ghcr.io/acme/resnet:v1')).toThrow(/is not an image repository/);
  });
});
