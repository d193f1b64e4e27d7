/** The gate at the action's defaults (INPUT_DEFAULTS in src/inputs/input-names.ts), for tests and benchmarks. */
import type { Settings } from '../../src/inputs/settings.ts';

export const DEFAULT_GATE: Readonly<Settings['gate']> = {
  maxErrorRate: 0.01,
  maxRegression: 0.1,
  maxRegressionTtft: 0.1,
  maxRegressionTpot: 0.1,
  regressionQuantile: 0.95,
  confidence: 0.95,
  onInconclusive: 'revert',
};
