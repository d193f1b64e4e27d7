import { describe, expect, it } from '@jest/globals';
import { parseImageReference } from '../../../src/registry/image-ref.ts';
import { isDnsLabel, isQualifiedName, toDnsLabel } from '../../../src/kube/names.ts';

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

describe('kubernetes names', () => {
  it('checks RFC 1123 labels and qualified names', () => {
    expect(isDnsLabel('resnet-50')).toBe(true);
    expect(isDnsLabel('-resnet')).toBe(false);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isQualifiedName('nvidia.com/gpu.product')).toBe(true);
    expect(isQualifiedName('gpu', true)).toBe(false);
    expect(isQualifiedName('Bad_Domain/x')).toBe(false);
  });

  it('turns free text into a label', () => {
    expect(toDnsLabel('My_Model.v2', 40)).toBe('my-model-v2');
    expect(toDnsLabel('___', 40)).toBe('');
    expect(toDnsLabel('x'.repeat(39) + '-y', 40)).toBe('x'.repeat(39));
  });
});
