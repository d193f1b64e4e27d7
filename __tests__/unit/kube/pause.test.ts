import { describe, expect, it } from '@jest/globals';
import type { V1Deployment } from '@kubernetes/client-node';
import { ClusterError } from '../../../src/errors.ts';
import { ANNOTATIONS } from '../../../src/kube/labels.ts';
import { v2Serving } from '../../../src/kube/manifests.ts';
import { describePause, howToFinish, pausedCanaryOf, type PausedCanary } from '../../../src/kube/pause.ts';

const DIGEST = 'sha256:4f1c0a1e9b6d2c3a5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';

const PAUSED: PausedCanary = {
  run: 'acme/models/42/1',
  pausedAt: '2025-05-01T10:00:00.000Z',
  step: 2,
  steps: 3,
  weightPercent: 50,
  achievedPercent: 50,
  image: `ghcr.io/acme/resnet@${DIGEST}`,
  stableImage: 'ghcr.io/acme/resnet:v1',
  router: 'gateway-api:resnet',
  serving: v2Serving('resnet'),
  promotion: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'resnet', namespace: 'ml' },
    spec: {
      selector: { matchLabels: { app: 'resnet' } },
      template: { spec: { containers: [{ name: 'model', image: `ghcr.io/acme/resnet@${DIGEST}` }] } },
    },
  },
};

/** The canary Deployment as the cluster returns it, carrying `annotation` as its paused record. */
function canaryWith(annotation: string | undefined): V1Deployment {
  return {
    metadata: {
      name: 'resnet-canary',
      namespace: 'ml',
      annotations: {
        [ANNOTATIONS.model]: 'models/resnet',
        ...(annotation !== undefined ? { [ANNOTATIONS.paused]: annotation } : {}),
      },
    },
  };
}

describe('pausedCanaryOf', () => {
  it('reads back the record a paused run wrote', () => {
    expect(pausedCanaryOf(canaryWith(JSON.stringify(PAUSED)))).toEqual(PAUSED);
  });

  it('finds no record on a canary no run paused', () => {
    expect(pausedCanaryOf(canaryWith(undefined))).toBeUndefined();
    expect(pausedCanaryOf({ metadata: { name: 'resnet-canary' } })).toBeUndefined();
  });

  const withoutServing: Partial<PausedCanary> = { ...PAUSED };
  delete withoutServing.serving;
  it.each([
    ['not JSON', '{"run": ', /cannot be read \(.*JSON/],
    ['JSON but not an object', '[1, 2]', /not an object/],
    ['null', 'null', /not an object/],
    ['without the serving spec', JSON.stringify(withoutServing), /serving missing or of the wrong type/],
    ['with a step that is not a number', JSON.stringify({ ...PAUSED, step: '2' }), /step missing/],
    ['with an empty image', JSON.stringify({ ...PAUSED, image: '' }), /image missing/],
    [
      'with several fields wrong',
      JSON.stringify({ ...PAUSED, router: 3, steps: null }),
      /router, steps missing or of the wrong type/,
    ],
    [
      'whose promotion is not a Deployment',
      JSON.stringify({ ...PAUSED, promotion: { kind: 'Service', metadata: { name: 'resnet' } } }),
      /promotion is not a Deployment/,
    ],
  ])('refuses a record %s, naming the annotation and the way out', (_, text, reason) => {
    const read = () => pausedCanaryOf(canaryWith(text));
    expect(read).toThrow(ClusterError);
    expect(read).toThrow(reason);
    expect(read).toThrow(/Deployment ml\/resnet-canary/);
    expect(read).toThrow(/model-canary\.dev\/paused annotation .*mode revert removes the canary/);
  });
});

describe('describePause', () => {
  it('says who paused it, after which step, at what share, on which images', () => {
    expect(describePause(PAUSED)).toBe(
      `paused by run acme/models/42/1 at 2025-05-01T10:00:00.000Z after step 2/3 (50% asked, 50% served): ` +
        `canary ghcr.io/acme/resnet@${DIGEST}, stable ghcr.io/acme/resnet:v1`,
    );
  });

  it('shows the share a replica split really gives beside the one asked', () => {
    expect(describePause({ ...PAUSED, step: 1, weightPercent: 10, achievedPercent: 25 })).toMatch(
      /after step 1\/3 \(10% asked, 25% served\)/,
    );
  });
});

describe('howToFinish', () => {
  it('names both modes, the target and where the workflow is', () => {
    const text = howToFinish({ target: 'resnet', namespace: 'ml' });
    expect(text).toMatch(/mode: promote .*mode: revert/);
    expect(text).toContain('name: resnet, namespace: ml');
    expect(text).toMatch(/job summary/);
    expect(text).toMatch(/Finish a paused canary by hand/);
  });
});
