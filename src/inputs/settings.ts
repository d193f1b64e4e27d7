/** The typed, validated settings of one run, in sections; read.ts builds them from the inputs. */
import type { AnswerSettings } from './answers.ts';
import type { BuildSettings } from './build.ts';
import type { ClusterSettings } from './cluster.ts';
import type { GateSettings } from './gate.ts';
import type { MetricsSettings } from './metrics.ts';
import type { ProbeSettings } from './probe.ts';
import type { RunContext } from './run-context.ts';
import type { TrafficSettings } from './traffic.ts';
import type { WorkloadSettings } from './workload.ts';

export const MODES = ['canary', 'preview', 'cleanup', 'promote', 'revert', 'release'] as const;

export type Mode = (typeof MODES)[number];

/** A release tag's semantic version. */
export interface ReleaseVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease?: string;
}

export interface Settings {
  mode: Mode;
  dryRun: boolean;
  name: string;
  build: BuildSettings;
  cluster: ClusterSettings;
  workload: WorkloadSettings;
  traffic: TrafficSettings;
  probe: ProbeSettings;
  gate: GateSettings;
  answers: AnswerSettings;
  /** The metric checks' server and checks; absent without metrics-url. */
  metrics?: MetricsSettings;
  githubToken?: string;
  /** The release tag's semantic version, in release mode. */
  releaseVersion?: ReleaseVersion;
  run: RunContext;
}
