/**
 * npm run bench [-- <suite>...]: runs every suite (or the named ones) and writes
 * bench/results/<suite>.json. Suites live in bench/suites/<suite>.ts and export `run: Suite`; one
 * that also exports `publish: Publish` is handed the written file, to render its page from it.
 */
import { readdirSync } from 'node:fs';
import { writeSuiteResults, type Publish, type Suite } from './results.ts';

const available = readdirSync(new URL('./suites/', import.meta.url))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((suite) => !available.includes(suite));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark suite(s): ${unknown.join(', ')}. Available: ${available.join(', ') || 'none'}.`,
  );
  process.exit(1);
}
if (available.length === 0) {
  console.error('No benchmark suites in bench/suites/ yet.');
  process.exit(1);
}

let failed = false;
for (const suite of requested.length > 0 ? requested : available) {
  console.log(`\n=== bench: ${suite} ===`);
  try {
    const { run, publish } = (await import(`./suites/${suite}.ts`)) as { run: Suite; publish?: Publish };
    const path = writeSuiteResults(suite, await run());
    console.log(`wrote ${path}`);
    if (publish !== undefined) console.log(`wrote ${publish(path)}`);
  } catch (error) {
    failed = true;
    console.error(`suite ${suite} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exit(failed ? 1 : 0);
