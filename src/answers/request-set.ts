/**
 * Request sets and keyed answers read from the repository: one file, a JSON Lines file, or a
 * folder of files, each entry with the id that pairs a request with its answers. Pure: the input
 * parser hands in the files' text; docs/answers.md says how ids are chosen.
 */

/** One request of the set: its id, its body as sent, and where it was read (for messages). */
export interface KeyedEntry {
  id: string;
  body: string;
  where: string;
}

/** A request set: the probe cycles through `entries` in order. */
export interface RequestSet {
  /** `file`: one request; `lines`: a JSON Lines file; `folder`: one request per file. */
  kind: 'file' | 'lines' | 'folder';
  entries: KeyedEntry[];
}

/** What the reader may ask of the repository: a file's text and a folder's file names. */
export interface RepositoryFiles {
  /** The text of a file, or undefined when the path is not a file. */
  readText(relativePath: string): string | undefined;
  /** The names of the files directly in a folder, or undefined when the path is not a folder. */
  listFolder(relativePath: string): string[] | undefined;
}

/** The largest request set, in entries: the load generator keeps every one encoded per arm. */
export const MAX_SET_ENTRIES = 10_000;
/** The largest request set, in bytes of text, for the same reason. */
export const MAX_SET_BYTES = 32 * 1024 * 1024;

const JSON_LINES = /\.(jsonl|ndjson)$/i;
const EXPECTED_SUFFIX = /\.expected\.json$/i;
const JSON_SUFFIX = /\.json$/i;

/** Reading failed: `message` says where (file and line) and why. */
export type SetProblem = { message: string };

/** The id a file gives its one entry: its name without `.expected.json` or `.json`. */
export function idOfFileName(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.replace(EXPECTED_SUFFIX, '').replace(JSON_SUFFIX, '');
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The entries of a JSON Lines text: blank lines skipped; id the `id` string field, else the line number. */
function linesOf(path: string, text: string, problems: SetProblem[]): KeyedEntry[] {
  const entries: KeyedEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${path} line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ message: `${where} is not JSON (${(error as Error).message})` });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ message: `${where} is not a JSON object` });
      return;
    }
    const id = (value as { id?: unknown }).id;
    entries.push({ id: typeof id === 'string' && id !== '' ? id : String(index + 1), body: line, where });
  });
  return entries;
}

/**
 * Reads a request set (`expectedAnswers` false) or a set of expected answers (true) at `path`.
 * A folder takes its `*.json` files in name order; requests skip `*.expected.json`, answers take
 * only those when the folder has any. `rawSingleFile` lets one request file be any text (plain
 * HTTP bodies); everything else must be JSON. Returns the problems instead when there are any.
 */
export function readKeyedSet(
  files: RepositoryFiles,
  path: string,
  options: { expectedAnswers: boolean; rawSingleFile: boolean },
): RequestSet | SetProblem[] {
  const problems: SetProblem[] = [];
  let set: RequestSet;
  const folder = files.listFolder(path);
  if (folder !== undefined) {
    const json = folder.filter((name) => JSON_SUFFIX.test(name)).sort();
    const expected = json.filter((name) => EXPECTED_SUFFIX.test(name));
    const chosen = options.expectedAnswers
      ? expected.length > 0
        ? expected
        : json
      : json.filter((name) => !EXPECTED_SUFFIX.test(name));
    const entries: KeyedEntry[] = [];
    for (const name of chosen) {
      const where = `${path}/${name}`;
      const body = files.readText(where) ?? '';
      if (!parsesAsJson(body)) problems.push({ message: `${where} is not JSON` });
      else entries.push({ id: idOfFileName(name), body: body.trim(), where });
    }
    set = { kind: 'folder', entries };
  } else {
    const text = files.readText(path);
    if (text === undefined) return [{ message: `${path} is neither a file nor a folder` }];
    if (JSON_LINES.test(path)) set = { kind: 'lines', entries: linesOf(path, text, problems) };
    else {
      if (!options.rawSingleFile && !parsesAsJson(text)) problems.push({ message: `${path} is not JSON` });
      set = { kind: 'file', entries: [{ id: idOfFileName(path), body: text, where: path }] };
    }
  }
  if (problems.length > 0) return problems;
  return checkSet(path, set);
}

function checkSet(path: string, set: RequestSet): RequestSet | SetProblem[] {
  if (set.entries.length === 0) return [{ message: `${path} holds no entries` }];
  if (set.entries.length > MAX_SET_ENTRIES) {
    return [{ message: `${path} holds ${set.entries.length} entries; at most ${MAX_SET_ENTRIES}` }];
  }
  const bytes = set.entries.reduce((sum, entry) => sum + entry.body.length, 0);
  if (bytes > MAX_SET_BYTES) return [{ message: `${path} holds ${bytes} bytes; at most ${MAX_SET_BYTES}` }];
  const seen = new Map<string, string>();
  const problems: SetProblem[] = [];
  for (const entry of set.entries) {
    const first = seen.get(entry.id);
    if (first !== undefined)
      problems.push({ message: `id '${entry.id}' of ${entry.where} is also ${first}'s` });
    else seen.set(entry.id, entry.where);
  }
  return problems.length > 0 ? problems : set;
}

/** True when reading gave problems rather than a set. */
export function isSetProblems(read: RequestSet | SetProblem[]): read is SetProblem[] {
  return Array.isArray(read);
}
