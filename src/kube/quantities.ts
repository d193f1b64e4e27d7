/**
 * Kubernetes resource quantities (`2Gi`, `500m`, `1.5`, `1e3`), read and compared in one place:
 * the inputs check resources and shm-size with them, preflight counts free GPUs with them.
 *
 * The grammar is the API server's (resource.Quantity): a decimal number, then a binary suffix
 * (Ki … Ei), a decimal suffix (m, k, M … E) or an exponent (e3, E-2). A sign is refused: every
 * amount the action reads or writes (requests, limits, allocatable) is never negative.
 */

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Decimal suffixes as powers of ten; the number is scaled in its decimal text, so `1.1k` is exactly 1100. */
const DECIMAL_EXPONENT: Record<string, number> = { '': 0, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** The amount a quantity stands for (`2Gi` → 2147483648, `100m` → 0.1); undefined for a non-quantity. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const binary = BINARY_EXPONENT[suffix];
  if (binary !== undefined) return Number(number) * 2 ** binary;
  // `E` alone is exa (10^18); `E` or `e` followed by digits is an exponent.
  const exponent = DECIMAL_EXPONENT[suffix] ?? Number(suffix.slice(1));
  return Number(`${number}e${exponent}`);
}

/** True for a non-negative Kubernetes resource quantity such as `2Gi`, `500m`, `1.5`. */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/** Negative, zero or positive as quantity `a` is below, equal to or above `b` (both valid quantities). */
export function compareQuantities(a: string, b: string): number {
  return Math.sign(parseQuantity(a)! - parseQuantity(b)!);
}
