import { describe, expect, it } from '@jest/globals';
import { recordChange, type PendingChanges, type RolloutChange } from '../../../src/kube/rollout.ts';

const EMPTY: PendingChanges = { namespace: 'ml', target: 'resnet', changes: [], holder: 'org/repo/1/1' };
const change = (extra: Omit<RolloutChange, 'action' | 'at'>): RolloutChange => ({
  action: 'x',
  at: 0,
  ...extra,
});

describe('recordChange', () => {
  it('adds each kind of pending change once, in order, with the router and the image to restore', () => {
    let record = recordChange(
      EMPTY,
      change({ pending: 'canary', router: { kind: 'gateway-api', route: 'web' } }),
    );
    record = recordChange(record, change({ pending: 'promotion', restore: 'r@sha256:aa' }));
    record = recordChange(record, change({ pending: 'canary' }));
    expect(record).toEqual({
      ...EMPTY,
      changes: ['canary', 'promotion'],
      router: 'gateway-api:web',
      stableImage: 'r@sha256:aa',
    });
  });

  it('returns the same record when a change adds nothing to undo, so nothing is saved again', () => {
    const record = recordChange(EMPTY, change({ pending: 'canary', router: { kind: 'replicas' } }));
    expect(recordChange(record, change({ pending: 'canary' }))).toBe(record);
    expect(recordChange(record, change({ pending: 'canary', router: { kind: 'replicas' } }))).toBe(record);
    expect(recordChange(record, change({ pending: 'none' }))).toBe(record);
    expect(
      recordChange(record, change({ pending: 'canary', router: { kind: 'gateway-api', route: 'r' } })),
    ).not.toBe(record);
  });
});
