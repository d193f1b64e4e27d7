import { describe, expect, it } from '@jest/globals';
import { isDnsLabel, isQualifiedName, toDnsLabel } from '../../../src/kube/names.ts';

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
