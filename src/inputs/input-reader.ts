/**
 * Reading one raw input as a typed value (a number, a duration, KEY=VALUE lines, a repository
 * path…), shared by the section parsers. A bad value is recorded as a problem, never thrown, so
 * one run reports every bad input together.
 */
import {
  isSetProblems,
  readKeyedSet,
  type RepositoryFiles,
  type RequestSet,
} from '../answers/request-set.ts';
import type { InputProblem } from '../errors.ts';
import type { DefaultKubeconfig } from './cluster.ts';
import { INPUT_DEFAULTS, type InputName } from './input-names.ts';
import type { RunContext } from './run-context.ts';

/** What parseInputs may ask of the outside world: raw values and repository files. */
export interface InputSource extends RepositoryFiles {
  get(name: InputName): string;
  run: RunContext;
  /** True when a path relative to the repository root exists. */
  pathExists(relativePath: string): boolean;
  /**
   * Where an existing repository path really leads when that is outside the workspace: the path
   * itself through a symbolic link (its own or a parent folder's), or, for a folder, any link
   * inside it. Undefined when everything stays inside.
   */
  outsideWorkspace(relativePath: string): string | undefined;
  /** The kubeconfig used when input kubeconfig is empty; undefined: not checked. */
  defaultKubeconfig?: DefaultKubeconfig;
}

const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const INTEGER = /^[+]?\d+$/;
const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

/** True for a whole number written as inputs accept it (`12`, `+12`). */
export function isInteger(text: string): boolean {
  return INTEGER.test(text);
}

/** The fields of `record` that are set: an input left empty leaves its key out of the settings. */
export function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** Collects problems while reading inputs, so one run reports every bad input together. */
export class InputReader {
  readonly problems: InputProblem[] = [];
  private readonly source: InputSource;

  constructor(source: InputSource) {
    this.source = source;
  }

  /** Records that `input` is bad; `message` says what was expected instead. */
  problem(input: string, message: string): void {
    this.problems.push({ input, message });
  }

  /** The trimmed raw value, or the default when empty. */
  text(name: InputName): string {
    const value = this.source.get(name).trim();
    if (value !== '') return value;
    return (INPUT_DEFAULTS as Record<string, string>)[name] ?? '';
  }

  /** The trimmed raw value, or undefined when empty and without default. */
  optional(name: InputName): string | undefined {
    const value = this.text(name);
    return value === '' ? undefined : value;
  }

  /**
   * A token sent as an HTTP header (github-token, metrics-token), refused when it could not be one:
   * white space inside (a pasted `Bearer ` prefix, two secrets on two lines) or a character outside
   * visible ASCII would fail only at the first request, after the cluster changed. The message never
   * shows the value; `example` shows how to pass it.
   */
  token(name: InputName, example: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined || /^[\x21-\x7e]+$/.test(value)) return value;
    this.problem(
      name,
      `holds white space, a line break or a character no token has (its value is not shown); pass the token alone, e.g. ${example}`,
    );
    return undefined;
  }

  /** One of the allowed words; the first when the value is none of them. */
  oneOf<T extends string>(name: InputName, allowed: readonly T[]): T {
    const value = this.text(name);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(name, `expected one of ${allowed.join(', ')}; got '${value}'`);
    return allowed[0]!;
  }

  /** A whole number from `min` to `max`; `min` when it is not one. */
  integer(name: InputName, min: number, max: number): number {
    const value = this.text(name);
    const parsed = isInteger(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problem(name, `expected a whole number from ${min} to ${max}; got '${value}'`);
    return min;
  }

  /** A decimal number from `min` to `max` (`what` names its unit in the message), when given. */
  decimal(name: InputName, min: number, max: number, what: string): number | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    const parsed = DECIMAL.test(value) ? Number(value) : NaN;
    if (Number.isFinite(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problem(name, `expected ${what} from ${min} to ${max}; got '${value}'`);
    return undefined;
  }

  /** A share written as `5%` or `0.05`; a bare number above 1 is ambiguous and refused. */
  fraction(name: InputName): number {
    const value = this.text(name);
    const percent = /^(.*)%$/.exec(value);
    const number = percent ? percent[1]! : value;
    const parsed = DECIMAL.test(number) ? Number(number) / (percent ? 100 : 1) : NaN;
    if (Number.isFinite(parsed) && parsed >= 0 && parsed <= 1) return parsed;
    const hint = !percent && parsed > 1 ? ` (write ${value}% for a percentage)` : '';
    this.problem(
      name,
      `expected a percentage from 0% to 100% or a fraction from 0 to 1; got '${value}'${hint}`,
    );
    return 0;
  }

  /** A duration such as `1m30s`, in milliseconds from `minMs` to `maxMs`. */
  duration(name: InputName, minMs: number, maxMs: number): number {
    const value = this.text(name);
    if (DURATION.test(value)) {
      let ms = 0;
      for (const [, amount, unit] of value.matchAll(DURATION_PART)) {
        ms += Number(amount) * DURATION_UNIT_MS[unit as keyof typeof DURATION_UNIT_MS];
      }
      if (ms >= minMs && ms <= maxMs) return ms;
      this.problem(
        name,
        `expected a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}; got '${value}'`,
      );
      return minMs;
    }
    this.problem(name, `expected a duration such as 30s, 5m or 1m30s; got '${value}'`);
    return minMs;
  }

  /** True or false, spelled as YAML 1.2 spells them. */
  boolean(name: InputName): boolean {
    const value = this.text(name);
    // The same spellings as @actions/core getBooleanInput (YAML 1.2 core schema).
    if (['true', 'True', 'TRUE'].includes(value)) return true;
    if (['false', 'False', 'FALSE'].includes(value)) return false;
    this.problem(name, `expected true or false; got '${value}'`);
    return false;
  }

  /** Items separated by new lines (and commas, when values cannot contain them). */
  items(name: InputName, splitOnCommas: boolean): string[] {
    const separator = splitOnCommas ? /[\n,]/ : /\n/;
    return this.text(name)
      .split(separator)
      .map((item) => item.trim())
      .filter((item) => item !== '' && !item.startsWith('#'));
  }

  /**
   * `KEY=VALUE` items; VALUE may contain `=`. Keys are checked by `validKey`. For a `secret` input
   * a problem names the item by its number only: a line of a pasted key or certificate can look
   * like KEY=VALUE, so even its key part may be secret.
   */
  keyValues(
    name: InputName,
    splitOnCommas: boolean,
    validKey: (key: string) => boolean,
    keyRule: string,
    validValue: (value: string) => boolean = () => true,
    valueRule = '',
    secret = false,
  ): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [index, item] of this.items(name, splitOnCommas).entries()) {
      const equals = item.indexOf('=');
      const where = `item ${index + 1}`;
      if (equals <= 0) {
        // Never echo the item: it may be a secret value.
        this.problem(name, `${where} is not KEY=VALUE`);
        continue;
      }
      const key = item.slice(0, equals).trim();
      const value = item.slice(equals + 1).trim();
      const keyText = secret ? 'its key' : `key '${key}'`;
      if (!validKey(key)) this.problem(name, `${where}: ${keyText} is not ${keyRule}`);
      else if (key in result) this.problem(name, `${where}: ${keyText} is given twice`);
      else if (!validValue(value))
        this.problem(name, `${where}: value of ${secret ? 'that item' : `'${key}'`} is not ${valueRule}`);
      else result[key] = value;
    }
    return result;
  }

  /**
   * A path relative to the repository root that must exist and stay inside it, symbolic links
   * resolved: a workflow that checks out a pull request's code would otherwise build, or send as
   * a request body, any file on the runner that a link in that code points at.
   */
  repositoryPath(name: InputName, value: string): string | undefined {
    const normalized = value.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
    if (value.startsWith('/') || normalized.split('/').includes('..')) {
      this.problem(name, `expected a path inside the repository; got '${value}'`);
      return undefined;
    }
    if (!this.source.pathExists(normalized)) {
      this.problem(
        name,
        `'${value}' does not exist in the repository (is the checkout step before this one?)`,
      );
      return undefined;
    }
    const outside = this.source.outsideWorkspace(normalized);
    if (outside !== undefined) {
      this.problem(
        name,
        `'${value}' leads outside the workspace, to ${outside}, through a symbolic link; ` +
          'use a path whose files are in the repository itself',
      );
      return undefined;
    }
    return normalized;
  }

  /** The text of a repository file at `path` (already checked by repositoryPath), or undefined. */
  fileText(path: string): string | undefined {
    return this.source.readText(path);
  }

  /**
   * The request set (or expected answers) at a repository path, read and checked now so a bad
   * one fails before anything is built; each problem names the file and line.
   */
  keyedSet(
    name: InputName,
    path: string,
    options: Parameters<typeof readKeyedSet>[2],
  ): RequestSet | undefined {
    const read = readKeyedSet(this.source, path, options);
    if (!isSetProblems(read)) return read;
    for (const { message } of read) this.problem(name, message);
    return undefined;
  }
}

function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
