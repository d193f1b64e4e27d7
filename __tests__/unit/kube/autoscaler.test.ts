import { describe, expect, it } from '@jest/globals';
import { autoscalerOf, type ScaleTargetHolder } from '../../../src/kube/autoscaler.ts';

const hpa = (name: string, kind: string, target: string): ScaleTargetHolder => ({
  metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind, name: target } },
});
const scaledObject = (name: string, target: string, kind?: string): ScaleTargetHolder => ({
  metadata: { name },
  spec: { scaleTargetRef: { name: target, ...(kind !== undefined ? { kind } : {}) } },
});

describe('autoscalerOf', () => {
  it.each([
    ['no autoscaler', [], [], undefined],
    ['an HPA of another Deployment', [hpa('other', 'Deployment', 'bert')], [], undefined],
    ['an HPA of a StatefulSet of the same name', [hpa('s', 'StatefulSet', 'resnet')], [], undefined],
    [
      'an HPA of stable',
      [hpa('other', 'Deployment', 'bert'), hpa('resnet-hpa', 'Deployment', 'resnet')],
      [],
      { kind: 'HorizontalPodAutoscaler', name: 'resnet-hpa' },
    ],
    // KEDA's own HPA is there too; the ScaledObject is what the user wrote.
    [
      'a ScaledObject of stable (kind left to its default)',
      [hpa('keda-hpa-resnet-queue', 'Deployment', 'resnet')],
      [scaledObject('resnet-queue', 'resnet')],
      { kind: 'ScaledObject', name: 'resnet-queue' },
    ],
    ['a ScaledObject of a StatefulSet', [], [scaledObject('q', 'resnet', 'StatefulSet')], undefined],
    ['an HPA of the canary only', [hpa('c', 'Deployment', 'resnet-canary')], [], undefined],
  ])('%s', (_, hpas, scaledObjects, expected) => {
    expect(
      autoscalerOf(
        [
          { kind: 'ScaledObject', items: scaledObjects },
          { kind: 'HorizontalPodAutoscaler', items: hpas },
        ],
        'resnet',
      ),
    ).toEqual(expected);
  });
});
