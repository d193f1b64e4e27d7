/**
 * Golden files: rendered text compared byte for byte with a file under __tests__/unit/golden/.
 * `UPDATE_GOLDEN=1 npm run -s test:unit -- <pattern>` rewrites them; review the diff before committing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';

const GOLDEN_DIR = import.meta.dirname;

/** Asserts that `text` equals the golden file `name` (or rewrites it under UPDATE_GOLDEN=1). */
export function expectGolden(name: string, text: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 to write it, then review it`);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}
