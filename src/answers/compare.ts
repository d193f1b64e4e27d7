/**
 * The rules that say whether two answers to one request agree: `tensor` (Open Inference Protocol
 * outputs within a relative tolerance), `text` (OpenAI chat or completion text, exact after
 * whitespace normalization or similar enough by token edit distance) and `json` (structural
 * equality, some JSON Pointer paths ignored). Pure; docs/answers.md states the rules.
 */

export const COMPARE_MODES = ['tensor', 'text', 'json'] as const;

/** How two answers are compared. */
export type CompareMode = (typeof COMPARE_MODES)[number];

/** The comparison's parameters, from the answers section of the settings. */
export interface CompareRules {
  mode: CompareMode;
  /** tensor: the largest relative difference of an element. */
  tolerance: number;
  /** text: the least token similarity (1 − normalized edit distance) that still agrees. */
  minSimilarity: number;
  /** json: JSON Pointers (RFC 6901) whose values are not compared, e.g. `/id`. */
  ignorePaths: readonly string[];
}

/** Whether two answers agree, and a one-line difference a person reads when they do not. */
export interface AnswerComparison {
  agree: boolean;
  difference: string;
}

/** An element is held to the tolerance relative to the larger value, or to this share of its output's largest. */
const NEAR_ZERO_SHARE = 1e-3;
/** How many elements a tensor comparison reads at most: bigger outputs are compared on their start. */
const MAX_TENSOR_ELEMENTS = 1 << 20;

/** Compares `reference` (stable's or the expected answer) with `candidate` (the canary's). */
export function compareAnswers(rules: CompareRules, reference: string, candidate: string): AnswerComparison {
  switch (rules.mode) {
    case 'tensor':
      return compareTensors(reference, candidate, rules.tolerance);
    case 'text':
      return compareTexts(reference, candidate, rules.minSimilarity);
    case 'json':
      return compareJson(reference, candidate, rules.ignorePaths);
  }
}

function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

// --- tensor ------------------------------------------------------------------------------------

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

/** The outputs of an Open Inference Protocol response, by name; undefined when it is not one. */
export function v2Outputs(text: string): Map<string, Tensor> | undefined {
  const outputs = (parsed(text)?.value as { outputs?: unknown } | undefined)?.outputs;
  if (!Array.isArray(outputs)) return undefined;
  const byName = new Map<string, Tensor>();
  for (const output of outputs as Record<string, unknown>[]) {
    if (output === null || typeof output !== 'object' || typeof output['name'] !== 'string') return undefined;
    const data = Array.isArray(output['data']) ? (output['data'] as unknown[]).flat(Infinity) : [];
    const shape = Array.isArray(output['shape']) ? (output['shape'] as number[]) : [data.length];
    byName.set(output['name'], { name: output['name'], shape, data });
  }
  return byName;
}

function argmaxRows(data: readonly number[], width: number): number[] {
  const rows: number[] = [];
  for (let start = 0; start + width <= data.length; start += width) {
    let best = start;
    for (let i = start + 1; i < start + width; i++) if (data[i]! > data[best]!) best = i;
    rows.push(best - start);
  }
  return rows;
}

/** Per output: max absolute and relative difference, and top-1 agreement for class scores. */
function compareTensors(reference: string, candidate: string, tolerance: number): AnswerComparison {
  const expected = v2Outputs(reference);
  const actual = v2Outputs(candidate);
  if (expected === undefined || actual === undefined) {
    return { agree: reference === candidate, difference: 'not an inference response with outputs' };
  }
  const notes: string[] = [];
  let agree = true;
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (got === undefined) {
      agree = false;
      notes.push(`output '${name}' missing`);
      continue;
    }
    if (want.shape.join('x') !== got.shape.join('x') || want.data.length !== got.data.length) {
      agree = false;
      notes.push(`'${name}' shape [${want.shape.join(',')}] vs [${got.shape.join(',')}]`);
      continue;
    }
    const count = Math.min(want.data.length, MAX_TENSOR_ELEMENTS);
    const numeric = want.data.every((value) => typeof value === 'number');
    if (!numeric) {
      const same = want.data.slice(0, count).every((value, i) => value === got.data[i]);
      if (!same) {
        agree = false;
        notes.push(`'${name}' values differ`);
      }
      continue;
    }
    const a = want.data as number[];
    const b = got.data.map(Number);
    let scale = 0;
    for (let i = 0; i < count; i++) scale = Math.max(scale, Math.abs(a[i]!));
    let maxAbs = 0;
    let maxRel = 0;
    let within = true;
    for (let i = 0; i < count; i++) {
      const diff = Math.abs(a[i]! - b[i]!);
      const magnitude = Math.max(Math.abs(a[i]!), Math.abs(b[i]!), scale * NEAR_ZERO_SHARE);
      const rel = magnitude === 0 ? 0 : diff / magnitude;
      if (!(rel <= tolerance)) within = false;
      maxAbs = Math.max(maxAbs, Number.isNaN(diff) ? Infinity : diff);
      maxRel = Math.max(maxRel, Number.isNaN(rel) ? Infinity : rel);
    }
    if (!within) agree = false;
    let note = `'${name}' max abs ${maxAbs.toExponential(2)}, rel ${maxRel.toExponential(2)}`;
    const width = want.shape.at(-1) ?? 0;
    // Class scores: a float output whose last dimension holds two or more scores per row.
    if (width >= 2 && want.shape.length >= 1 && count === want.data.length) {
      const rowsA = argmaxRows(a, width);
      const rowsB = argmaxRows(b, width);
      const same = rowsA.filter((top, row) => top === rowsB[row]).length;
      note += `, top-1 ${same}/${rowsA.length} rows agree`;
    }
    notes.push(note);
  }
  return { agree, difference: notes.join('; ') };
}

// --- text --------------------------------------------------------------------------------------

/**
 * The generated text of an OpenAI answer: chat `message.content`, completion `text`, or the
 * concatenated deltas of a server-sent-event stream. The raw body when it is none of these.
 */
export function openAiText(body: string): string {
  const whole = parsed(body)?.value as { choices?: { message?: { content?: unknown }; text?: unknown }[] };
  if (Array.isArray(whole?.choices)) {
    return whole.choices
      .map((choice) => {
        const text = choice?.message?.content ?? choice?.text;
        return typeof text === 'string' ? text : '';
      })
      .join('\n');
  }
  if (!body.includes('data:')) return body;
  let text = '';
  for (const line of body.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('data:')) continue;
    const event = parsed(trimmed.slice(5).trim())?.value as
      { choices?: { delta?: { content?: unknown }; text?: unknown }[] } | undefined;
    const piece = event?.choices?.[0]?.delta?.content ?? event?.choices?.[0]?.text;
    if (typeof piece === 'string') text += piece;
  }
  return text;
}

/** Runs of whitespace become one space; leading and trailing whitespace goes. */
export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** 1 − (token edit distance / the longer token count): 1 for equal texts, 0 for nothing shared. */
export function tokenSimilarity(a: string, b: string): number {
  const x = a === '' ? [] : a.split(' ');
  const y = b === '' ? [] : b.split(' ');
  const longer = Math.max(x.length, y.length);
  if (longer === 0) return 1;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return 1 - previous[y.length]! / longer;
}

function compareTexts(reference: string, candidate: string, minSimilarity: number): AnswerComparison {
  const a = normalizeWhitespace(openAiText(reference));
  const b = normalizeWhitespace(openAiText(candidate));
  if (a === b) return { agree: true, difference: 'same text' };
  const similarity = tokenSimilarity(a, b);
  return { agree: similarity >= minSimilarity, difference: `token similarity ${similarity.toFixed(3)}` };
}

// --- json --------------------------------------------------------------------------------------

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The first JSON Pointer at which two values differ, ignoring `ignored`; undefined when equal. */
export function firstDifference(
  a: unknown,
  b: unknown,
  ignored: ReadonlySet<string>,
  at = '',
): string | undefined {
  if (ignored.has(at)) return undefined;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return at || '/';
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) {
      if (i >= a.length || i >= b.length) return `${at}/${i}`;
      const found = firstDifference(a[i], b[i], ignored, `${at}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const path = `${at}/${escapePointer(key)}`;
      if (ignored.has(path)) continue;
      if (!(key in a) || !(key in b)) return path;
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        ignored,
        path,
      );
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : at || '/';
}

function compareJson(reference: string, candidate: string, ignorePaths: readonly string[]): AnswerComparison {
  const a = parsed(reference);
  const b = parsed(candidate);
  if (a === undefined || b === undefined) {
    const agree = reference === candidate;
    return { agree, difference: agree ? 'same bytes' : 'not JSON, and the bytes differ' };
  }
  const at = firstDifference(a.value, b.value, new Set(ignorePaths));
  return at === undefined
    ? { agree: true, difference: 'equal' }
    : { agree: false, difference: `differs at ${at}` };
}
