/**
 * Pure: what a metric check is (input `metrics-checks`, and the built-in checks of
 * src/metrics/built-in.ts), and how a YAML list of them is read and checked before anything is
 * built. Each problem names the item, its line and the field. docs/metrics.md is the reference.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { TEMPLATE_VARIABLES, templateVariablesOf } from './query.ts';

/** One metric check: a PromQL template and the bounds its value is held to. */
export interface MetricCheckSpec {
  /** How the report names it (`queue-time`); unique among a run's checks. */
  name: string;
  /** PromQL with `{{ selector }}` (or `{{ pods }}`) and optionally `{{ window }}` (docs/metrics.md). */
  query: string;
  /**
   * Set when the query returns cumulative histogram buckets (series with an `le` label): the check
   * judges this quantile of them, bucket-aware, instead of a plain value.
   */
  quantile?: number;
  /** Largest value the canary may have (absolute, in the query's unit). */
  max?: number;
  /** Smallest value the canary may have. */
  min?: number;
  /** Largest canary ÷ stable ratio. */
  maxRatio?: number;
  /** Largest canary − stable difference, in the query's unit. */
  maxIncrease?: number;
  /** With `quantile`: largest relative slow-down of the canary's quantile over stable's (0.1 = 10 %). */
  maxRegression?: number;
  /** A canary value at or below this passes the comparisons with stable (noise floor of tiny values). */
  ignoreBelow?: number;
  /** True: a query that returns nothing for both arms means the metric is not exported, and the check is left out. */
  ifPresent: boolean;
  /** Shown beside the values (`s`, `bytes`); free text. */
  unit?: string;
  /** Where the check came from, for messages: `metrics-checks item 2`, `built-in (vllm)`. */
  source: string;
}

/** The bound fields of a check, as YAML spells them. */
const BOUND_FIELDS = {
  max: 'max',
  min: 'min',
  'max-ratio': 'maxRatio',
  'max-increase': 'maxIncrease',
  'max-regression': 'maxRegression',
} as const satisfies Record<string, keyof MetricCheckSpec>;

const KNOWN_FIELDS = [
  'name',
  'query',
  'quantile',
  ...Object.keys(BOUND_FIELDS),
  'ignore-below',
  'if-present',
  'unit',
] as const;

const CHECK_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A share written as `10%` or `0.1`, or a quantile as `p95` or `0.95`; NaN when neither. */
function shareOf(value: unknown, percentSuffix: '%' | 'p'): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  if (percentSuffix === '%' && text.endsWith('%')) return Number(text.slice(0, -1)) / 100;
  if (percentSuffix === 'p' && /^p\d/i.test(text)) return Number(text.slice(1)) / 100;
  return Number(text);
}

/** A number in YAML (`1e9`, `0.5`) or a numeric string; NaN otherwise. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value.trim());
  return Number.NaN;
}

/**
 * Reads a YAML list of metric checks (`where` names the input or file in messages), or returns
 * its problems, each naming the item, the line and the field.
 */
export function readMetricChecks(
  where: string,
  text: string,
): { checks: MetricCheckSpec[] } | { problems: string[] } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map(
        (error) =>
          `${where}:${lines.linePos(error.pos[0]).line}: not valid YAML (${error.message.split('\n')[0]})`,
      ),
    };
  }
  const root = document.contents;
  if (!isSeq(root)) {
    return { problems: [`${where}: expected a YAML list of checks (- name: …, query: …, max: …)`] };
  }
  const problems: string[] = [];
  const checks: MetricCheckSpec[] = [];
  const names = new Set<string>();
  root.items.forEach((node, index) => {
    const line =
      node !== null && typeof node === 'object' && 'range' in node && node.range ? node.range[0] : 0;
    const at = `${where}:${lines.linePos(line).line} (item ${index + 1})`;
    if (!isMap(node)) return problems.push(`${at}: expected a mapping with name, query and a bound`);
    const item = node.toJS(document) as Record<string, unknown>;
    const read = readCheck(item, `metrics-checks item ${index + 1}`);
    if (typeof read === 'string') return problems.push(`${at}: ${read}`);
    if (read.problems.length > 0) return problems.push(...read.problems.map((p) => `${at}: ${p}`));
    if (names.has(read.check.name)) return problems.push(`${at}: name '${read.check.name}' is used twice`);
    names.add(read.check.name);
    checks.push(read.check);
  });
  if (problems.length === 0 && checks.length === 0)
    return { problems: [`${where}: the list holds no check`] };
  return problems.length > 0 ? { problems } : { checks };
}

/** One item's check, or its problems (each naming the field). */
function readCheck(
  item: Record<string, unknown>,
  source: string,
): { check: MetricCheckSpec; problems: string[] } | string {
  const problems: string[] = [];
  const unknown = Object.keys(item).filter((key) => !(KNOWN_FIELDS as readonly string[]).includes(key));
  for (const key of unknown) {
    problems.push(`unknown field '${key}' (a check has ${KNOWN_FIELDS.join(', ')})`);
  }
  const name = item['name'];
  if (typeof name !== 'string' || !CHECK_NAME.test(name)) {
    return `name must be a lower-case name of letters, digits and '-' (at most 63), such as queue-time; got ${JSON.stringify(name ?? null)}`;
  }
  const query = item['query'];
  if (typeof query !== 'string' || query.trim() === '') {
    problems.push('query must be a PromQL expression');
  } else {
    const used = templateVariablesOf(query);
    for (const variable of used) {
      if (!(TEMPLATE_VARIABLES as readonly string[]).includes(variable)) {
        problems.push(
          `query uses {{ ${variable} }}; the variables are ${TEMPLATE_VARIABLES.map((v) => `{{ ${v} }}`).join(', ')}`,
        );
      }
    }
    if (!used.includes('selector') && !used.includes('pods')) {
      problems.push(
        "query must select one arm's series with {{ selector }} (or {{ pods }}), e.g. rate(x_total{ {{ selector }} }[{{ window }}])",
      );
    }
  }
  const check: MetricCheckSpec = {
    name,
    query: typeof query === 'string' ? query.trim() : '',
    ifPresent: false,
    source,
  };
  if (item['quantile'] !== undefined) {
    const quantile = shareOf(item['quantile'], 'p');
    if (!(quantile > 0 && quantile < 1)) {
      problems.push(
        `quantile must be between 0 and 1, or p50 … p99.9; got ${JSON.stringify(item['quantile'])}`,
      );
    } else check.quantile = quantile;
  }
  for (const [field, key] of Object.entries(BOUND_FIELDS)) {
    const raw = item[field];
    if (raw === undefined) continue;
    const value = key === 'maxRegression' ? shareOf(raw, '%') : numberOf(raw);
    if (!Number.isFinite(value)) problems.push(`${field} must be a number; got ${JSON.stringify(raw)}`);
    else if ((key === 'maxRatio' && value <= 0) || (key === 'maxRegression' && value < 0)) {
      problems.push(
        `${field} must be ${key === 'maxRatio' ? 'above 0' : '0% or more'}; got ${JSON.stringify(raw)}`,
      );
    } else check[key] = value;
  }
  const given = Object.keys(BOUND_FIELDS).filter((field) => item[field] !== undefined);
  if (given.length === 0) {
    problems.push(`needs a bound: ${Object.keys(BOUND_FIELDS).join(', ')}`);
  }
  if (item['quantile'] !== undefined) {
    for (const field of ['max-ratio', 'max-increase'].filter((f) => item[f] !== undefined)) {
      problems.push(
        `${field} compares plain values; a quantile check is held to max-regression (and max, min)`,
      );
    }
  } else if (item['max-regression'] !== undefined) {
    problems.push(
      'max-regression holds the quantile of histogram buckets; add quantile (e.g. p95), or use max-ratio',
    );
  }
  if (check.max !== undefined && check.min !== undefined && check.min > check.max) {
    problems.push(`min (${check.min}) is above max (${check.max}), so every canary would fail`);
  }
  if (item['ignore-below'] !== undefined) {
    const value = numberOf(item['ignore-below']);
    if (!Number.isFinite(value))
      problems.push(`ignore-below must be a number; got ${JSON.stringify(item['ignore-below'])}`);
    else check.ignoreBelow = value;
  }
  if (item['if-present'] !== undefined) {
    if (typeof item['if-present'] !== 'boolean') problems.push('if-present must be true or false');
    else check.ifPresent = item['if-present'];
  }
  if (item['unit'] !== undefined) {
    if (typeof item['unit'] !== 'string') problems.push('unit must be text, such as s or bytes');
    else check.unit = item['unit'];
  }
  return { check, problems };
}

/** The bounds of a check as one line people read: `max-ratio 1.5, max 0.2 s`. */
export function describeBounds(check: MetricCheckSpec): string {
  const unit = check.unit !== undefined ? ` ${check.unit}` : '';
  const parts: string[] = [];
  if (check.max !== undefined) parts.push(`≤ ${formatValue(check.max)}${unit}`);
  if (check.min !== undefined) parts.push(`≥ ${formatValue(check.min)}${unit}`);
  if (check.maxRatio !== undefined) parts.push(`≤ ${formatValue(check.maxRatio)}× stable`);
  if (check.maxIncrease !== undefined) parts.push(`≤ stable + ${formatValue(check.maxIncrease)}${unit}`);
  if (check.maxRegression !== undefined) {
    parts.push(`≤ stable + ${+(check.maxRegression * 100).toFixed(2)}%`);
  }
  return parts.join(', ');
}

/** A metric value for people: 4 significant digits, exponent form for the very large and small. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}
