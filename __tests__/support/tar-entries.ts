/** Reads tar streams (pure): the build tests and benchmark look for files in an image's layers. */

/** Paths of the files in an uncompressed tar layer (ustar headers; PAX extended headers skipped). */
export function tarEntryNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    const prefix = text(345, 155);
    if (type !== 'x' && type !== 'g')
      names.push(((prefix ? `${prefix}/` : '') + text(0, 100)).replace(/^\.?\//, ''));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}
