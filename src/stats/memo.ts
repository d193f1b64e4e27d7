/**
 * Results of costly pure computations (order-statistic weights, group-sequential boundaries) kept
 * under a key for a caller that asks for the same ones again: the judge at every look of one
 * analysis, a simulation judging thousands of samples of one size. The caller creates and owns it
 * (house rule: no module-level mutable state), so what it keeps lives as long as the caller's work.
 */
export class Memo {
  readonly #values = new Map<string, unknown>();
  readonly #limit: number;

  /** `limit` bounds what is kept: past it the memo starts again empty. */
  constructor(limit = 256) {
    this.#limit = limit;
  }

  /**
   * The value kept under `key`, computed by `compute` the first time. A key names the computation
   * and its arguments (each module prefixes its own), so one key always means one type of value.
   */
  get<T>(key: string, compute: () => T): T {
    if (this.#values.has(key)) return this.#values.get(key) as T;
    const value = compute();
    if (this.#values.size >= this.#limit) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }
}
