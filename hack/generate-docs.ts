/**
 * `npm run docs`: writes the generated documentation, so that it cannot drift from its sources.
 *   README.md, between its markers   from action.yml (hack/action-reference.ts)
 *   docs/benchmarks.md               from bench/results/*.json (hack/benchmarks-page.ts)
 *   node hack/generate-docs.ts          rewrite the files that are out of date
 *   node hack/generate-docs.ts --check  exit 1 naming each file that is out of date (part of npm test)
 * Paths are relative to the working directory, the repository root when npm runs it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSuiteResults } from '../bench/results.ts';
import { readmeWithActionReference } from './action-reference.ts';
import { renderBenchmarksPage, type SuiteOnPage } from './benchmarks-page.ts';

/** A generated file: its path under the root, what it should hold, and what it is generated from. */
export interface GeneratedFile {
  path: string;
  content: string;
  source: string;
}

const namesIn = (directory: string, extension: string): string[] =>
  existsSync(directory)
    ? readdirSync(directory)
        .filter((file) => file.endsWith(extension))
        .map((file) => file.slice(0, -extension.length))
    : [];

/** Every suite that has a file in bench/suites/ or results in bench/results/, with its results. */
function recordedSuites(root: string): SuiteOnPage[] {
  const results = join(root, 'bench/results');
  const names = new Set([...namesIn(join(root, 'bench/suites'), '.ts'), ...namesIn(results, '.json')]);
  return [...names].map((name) => {
    const path = join(results, `${name}.json`);
    return existsSync(path)
      ? { name, results: parseSuiteResults(readFileSync(path, 'utf8'), `bench/results/${name}.json`) }
      : { name };
  });
}

/** What each generated file under `root` should hold, from its sources there. */
export function generatedFiles(root: string): GeneratedFile[] {
  return [
    {
      path: 'README.md',
      content: readmeWithActionReference(
        readFileSync(join(root, 'README.md'), 'utf8'),
        readFileSync(join(root, 'action.yml'), 'utf8'),
      ),
      source: 'action.yml',
    },
    {
      path: 'docs/benchmarks.md',
      content: renderBenchmarksPage(recordedSuites(root)),
      source: 'bench/results/',
    },
  ];
}

/** The generated files under `root` whose content differs from what their sources give (or that are missing). */
export function staleFiles(root: string): GeneratedFile[] {
  return generatedFiles(root).filter((file) => {
    const path = join(root, file.path);
    return !existsSync(path) || readFileSync(path, 'utf8') !== file.content;
  });
}

function main(check: boolean): number {
  const stale = staleFiles(process.cwd());
  if (check) {
    for (const file of stale) {
      console.error(
        `${file.path} is out of date with ${file.source}: run \`npm run docs\` and commit ${file.path}.`,
      );
    }
    if (stale.length === 0)
      console.log('README.md and docs/benchmarks.md match action.yml and bench/results/');
    return stale.length === 0 ? 0 : 1;
  }
  for (const file of stale) {
    const path = join(process.cwd(), file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    console.log(`wrote ${file.path}`);
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.includes('--check'));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
