import { describe, expect, it } from '@jest/globals';
import { idOfFileName, MAX_SET_ENTRIES, readKeyedSet } from '../../../src/answers/request-set.ts';

const files = (contents: Record<string, string>, folders: Record<string, string[]> = {}) => ({
  readText: (path: string) => contents[path],
  listFolder: (path: string) => folders[path],
});

describe('request sets', () => {
  it('names a file’s entry by its name without .expected.json or .json', () => {
    expect(idOfFileName('payloads/tiny-mlp-v2.expected.json')).toBe('tiny-mlp-v2');
    expect(idOfFileName('tiny-mlp-v2.json')).toBe('tiny-mlp-v2');
    expect(idOfFileName('body.bin')).toBe('body.bin');
  });

  it('takes a folder’s expected answers only when it has some', () => {
    const folder = files({ 'e/a.json': '{}', 'e/b.json': '{}' }, { e: ['b.json', 'a.json'] });
    const read = readKeyedSet(folder, 'e', { expectedAnswers: true, rawSingleFile: false });
    expect(read).toMatchObject({ kind: 'folder', entries: [{ id: 'a' }, { id: 'b' }] });
  });

  it('refuses a JSON line that is not an object, and a set that is too big', () => {
    expect(
      readKeyedSet(files({ 's.jsonl': '[1]\n' }), 's.jsonl', {
        expectedAnswers: false,
        rawSingleFile: false,
      }),
    ).toEqual([{ message: 's.jsonl line 1 is not a JSON object' }]);
    const many = Array.from({ length: MAX_SET_ENTRIES + 1 }, () => '{}').join('\n');
    expect(
      readKeyedSet(files({ 'm.jsonl': many }), 'm.jsonl', { expectedAnswers: false, rawSingleFile: false }),
    ).toEqual([{ message: `m.jsonl holds ${MAX_SET_ENTRIES + 1} entries; at most ${MAX_SET_ENTRIES}` }]);
    expect(readKeyedSet(files({}), 'gone', { expectedAnswers: false, rawSingleFile: false })).toEqual([
      { message: 'gone is neither a file nor a folder' },
    ]);
  });
});
