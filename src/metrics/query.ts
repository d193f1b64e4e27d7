/**
 * Pure: a metric check's PromQL template filled in for one arm of one step. `{{ selector }}`
 * becomes label matchers for the arm's pods as Prometheus labels them when it copies pod labels
 * onto series (the PodMonitor's podTargetLabels, or a `labelmap` of
 * `__meta_kubernetes_pod_label_(.+)`): namespace, target, track and preview. `{{ pods }}` matches
 * by namespace and pod name, for exporters that label a series by the pod it measures (the DCGM
 * exporter). `{{ window }}` is the step's measurement window so far. docs/metrics.md shows both
 * scrape set-ups.
 */
import { LABELS, type Track } from '../kube/labels.ts';

/** The variables a query template may use. */
export const TEMPLATE_VARIABLES = ['selector', 'pods', 'window'] as const;

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variables a template names, in order, without repeats. */
export function templateVariablesOf(template: string): string[] {
  return [...new Set([...template.matchAll(VARIABLE)].map((match) => match[1]!))];
}

/** Which pods one arm of a step is. */
export interface ArmPods {
  namespace: string;
  /** The deployment target (input `name`, or the preview's name). */
  target: string;
  track: Track;
  /** The preview's label value; absent for production's arms (whose series have no such label). */
  preview?: string;
  /** The arm's Deployment: its pods are named `<deployment>-<replica set hash>-<suffix>`. */
  deployment: string;
}

/** A pod label's name as Prometheus writes it on a series: every character outside [a-zA-Z0-9_] becomes `_`. */
export function seriesLabelName(podLabel: string): string {
  return podLabel.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A PromQL string literal. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/**
 * Matchers for one arm's series: `namespace="ml",model_canary_dev_target="resnet",…`. A production
 * arm matches only series without the preview label (`=""`), so a preview's pods never count as stable.
 */
export function armSelector(arm: ArmPods): string {
  return [
    `namespace=${quoted(arm.namespace)}`,
    `${seriesLabelName(LABELS.target)}=${quoted(arm.target)}`,
    `${seriesLabelName(LABELS.track)}=${quoted(arm.track)}`,
    `${seriesLabelName(LABELS.preview)}=${quoted(arm.preview ?? '')}`,
  ].join(',');
}

/**
 * Matchers by pod name: the Deployment's pods are `<deployment>-<hash>-<suffix>`, and neither part
 * holds a '-', so stable's `resnet-…` never matches the canary's `resnet-canary-…-…`.
 */
export function armPodMatchers(arm: ArmPods): string {
  return `namespace=${quoted(arm.namespace)},pod=~${quoted(`${arm.deployment}-[a-z0-9]+-[a-z0-9]+`)}`;
}

/** A duration as PromQL writes it, in whole seconds (at least 1s). */
export function promDuration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds))}s`;
}

/** The template with its variables filled in for one arm and a window of `windowSeconds`. */
export function renderQuery(template: string, arm: ArmPods, windowSeconds: number): string {
  const values: Record<(typeof TEMPLATE_VARIABLES)[number], string> = {
    selector: armSelector(arm),
    pods: armPodMatchers(arm),
    window: promDuration(windowSeconds),
  };
  return template.replace(VARIABLE, (whole, name: string) =>
    name in values ? values[name as keyof typeof values] : whole,
  );
}
