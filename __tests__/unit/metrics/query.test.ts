import { describe, expect, it } from '@jest/globals';
import {
  armPodMatchers,
  armSelector,
  promDuration,
  renderQuery,
  seriesLabelName,
  templateVariablesOf,
  type ArmPods,
} from '../../../src/metrics/query.ts';

const CANARY: ArmPods = { namespace: 'ml', target: 'resnet', track: 'canary', deployment: 'resnet-canary' };
const STABLE: ArmPods = { namespace: 'ml', target: 'resnet', track: 'stable', deployment: 'resnet' };
const PREVIEW: ArmPods = {
  namespace: 'ml',
  target: 'resnet-pr-7',
  track: 'stable',
  preview: 'pr-7',
  deployment: 'resnet-pr-7',
};

/** PromQL's regex match is anchored at both ends. */
const matches = (matchers: string, pod: string) =>
  new RegExp(`^${/pod=~"([^"]+)"/.exec(matchers)![1]}$`).test(pod);

describe('metric query templates', () => {
  it('selects one arm by namespace, target, track and preview as Prometheus names pod labels', () => {
    expect(seriesLabelName('model-canary.dev/track')).toBe('model_canary_dev_track');
    expect(armSelector(CANARY)).toBe(
      'namespace="ml",model_canary_dev_target="resnet",model_canary_dev_track="canary",model_canary_dev_preview=""',
    );
    expect(armSelector(PREVIEW)).toContain('model_canary_dev_preview="pr-7"');
  });

  it("matches an arm's pods by name, never the other arm's", () => {
    expect(matches(armPodMatchers(STABLE), 'resnet-7d9f8c6b5-abcde')).toBe(true);
    expect(matches(armPodMatchers(STABLE), 'resnet-canary-7d9f8c6b5-abcde')).toBe(false);
    expect(matches(armPodMatchers(CANARY), 'resnet-canary-7d9f8c6b5-abcde')).toBe(true);
    expect(matches(armPodMatchers(CANARY), 'resnet-7d9f8c6b5-abcde')).toBe(false);
  });

  it('fills in every variable, spaced or not, and leaves the rest of the query alone', () => {
    const query = 'rate(x{ {{selector}} }[{{ window }}]) / on() max(y{ {{ pods }} }) > {{ selector }}';
    expect(templateVariablesOf(query)).toEqual(['selector', 'window', 'pods']);
    const rendered = renderQuery(query, CANARY, 37.4);
    expect(rendered).toBe(
      `rate(x{ ${armSelector(CANARY)} }[37s]) / on() max(y{ ${armPodMatchers(CANARY)} }) > ${armSelector(CANARY)}`,
    );
  });

  it.each([
    [0.2, '1s'],
    [59.6, '60s'],
    [600, '600s'],
  ])('writes a window of %p s as %p', (seconds, text) => {
    expect(promDuration(seconds)).toBe(text);
  });
});
