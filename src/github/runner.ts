/**
 * The runner's side of a step, spoken directly: inputs from INPUT_* variables, workflow commands
 * on stdout (log groups, annotations, masks) and the step's command files (GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY), as GitHub documents them ("Workflow commands for GitHub
 * Actions"). Why not @actions/core: importing it loads its OIDC client and with it undici, about
 * 100 ms before the first line runs, and we use none of that (docs/bundle.md).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

/** Where an annotation points, and its title (the properties GitHub's annotation commands take). */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
}

/** Command data: the runner reads `%`, CR and LF as its own escapes. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command property value: data escapes plus the separators `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line, e.g. `::error title=x::message`. */
export function workflowCommand(
  name: string,
  properties: Readonly<Record<string, string | number | undefined>>,
  message: string,
): string {
  const listed = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${name}${listed === '' ? '' : ` ${listed}`}::${escapeData(message)}`;
}

/**
 * A `name<<delimiter` block of a command file. The delimiter is random, and a name or value that
 * contains it is refused, so a value can never end the block early and forge another entry.
 */
export function commandFileEntry(
  name: string,
  value: string,
  delimiter = `ghadelimiter_${randomUUID()}`,
): string {
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`the value of ${name} contains the command-file delimiter; it cannot be written safely`);
  }
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

function issue(line: string): void {
  process.stdout.write(line + EOL);
}

/** The command file a runner names in `variable`, or undefined on a runner too old to have one. */
function commandFile(variable: string): string | undefined {
  const file = process.env[variable];
  return file === undefined || file === '' ? undefined : file;
}

/** A name/value for the runner: in its command file, else as the older stdout command. */
function setNamed(variable: string, legacyCommand: string, name: string, value: string): void {
  const file = commandFile(variable);
  if (file === undefined) issue(workflowCommand(legacyCommand, { name }, value));
  else appendFileSync(file, commandFileEntry(name, value), 'utf8');
}

/** The value of input `name` (action.yml), trimmed; empty when not given. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Tells the runner to mask `value` in every later log line. */
export function setSecret(value: string): void {
  issue(workflowCommand('add-mask', {}, value));
}

/** A log line. */
export function info(message: string): void {
  issue(message);
}

/** A debug log line, shown when step debug logging is on. */
export function debug(message: string): void {
  issue(workflowCommand('debug', {}, message));
}

/** An annotation of the step: a notice, a warning or an error. */
function annotate(
  level: 'notice' | 'warning' | 'error',
  message: string,
  properties: AnnotationProperties,
): void {
  issue(
    workflowCommand(
      level,
      { title: properties.title, file: properties.file, line: properties.line },
      message,
    ),
  );
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  annotate('notice', message, properties);
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  annotate('warning', message, properties);
}

export function error(message: string, properties: AnnotationProperties = {}): void {
  annotate('error', message, properties);
}

/** Opens a foldable group of log lines. */
export function startGroup(name: string): void {
  issue(workflowCommand('group', {}, name));
}

/** Closes the group startGroup opened. */
export function endGroup(): void {
  issue(workflowCommand('endgroup', {}, ''));
}

/** Runs `work` inside a log group that closes whatever happens. */
export async function group<T>(name: string, work: () => Promise<T>): Promise<T> {
  startGroup(name);
  try {
    return await work();
  } finally {
    endGroup();
  }
}

/** Sets step output `name` (action.yml) for later steps. */
export function setOutput(name: string, value: string): void {
  setNamed('GITHUB_OUTPUT', 'set-output', name, value);
}

/** Saves `value` under `name` for this action's post step. */
export function saveState(name: string, value: string): void {
  setNamed('GITHUB_STATE', 'save-state', name, value);
}

/** What the main step saved under `name` (the runner hands it to the post step as STATE_<name>). */
export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

/** Appends Markdown to the job summary. */
export function appendSummary(markdown: string): void {
  const file = commandFile('GITHUB_STEP_SUMMARY');
  if (file === undefined) throw new Error('GITHUB_STEP_SUMMARY is not set: this runner has no job summary');
  appendFileSync(file, markdown.endsWith(EOL) ? markdown : markdown + EOL, 'utf8');
}
