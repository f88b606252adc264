// When and after how long the pool tries an operation again: exponential backoff with jitter and a
// caller's hook. Which operations may be repeated at all is the pool's decision (see pool.ts).

/** How the pool retries an operation after a failure; every field has a default. */
export interface RetryPolicyOptions {
  /** Retries after the first attempt. Default 2. */
  retries?: number;
  /** Pause before the first retry. Default 100 ms. */
  minDelayMs?: number;
  /** Longest pause between two attempts. Default 5 000 ms. */
  maxDelayMs?: number;
  /** Each pause is the previous one times this (>= 1). Default 2. */
  factor?: number;
  /** Fraction (0–1) of each pause taken off at random, so many clients do not retry in step. Default 0.5. */
  jitter?: number;
  /**
   * Whether to retry after `error`; `attempt` is the retry about to be made (1 for the first).
   * Default: `isTransientError(error)`. Only consulted for operations that are safe to repeat.
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
}

/** A validated retry policy. */
export class RetryPolicy {
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly #retryOn: (error: unknown, attempt: number) => boolean;

  constructor(options: RetryPolicyOptions, defaultRetryOn: (error: unknown) => boolean) {
    this.retries = integer('retry.retries', options.retries ?? 2);
    this.minDelayMs = nonNegative('retry.minDelayMs', options.minDelayMs ?? 100);
    this.maxDelayMs = nonNegative('retry.maxDelayMs', options.maxDelayMs ?? Math.max(5_000, this.minDelayMs));
    if (this.maxDelayMs < this.minDelayMs)
      throw new RangeError('Option "retry.maxDelayMs" must be >= "retry.minDelayMs"');
    this.factor = nonNegative('retry.factor', options.factor ?? 2);
    if (this.factor < 1) throw new RangeError('Option "retry.factor" must be >= 1');
    this.jitter = nonNegative('retry.jitter', options.jitter ?? 0.5);
    if (this.jitter > 1) throw new RangeError('Option "retry.jitter" must be between 0 and 1');
    const retryOn = options.retryOn;
    if (retryOn !== undefined && typeof retryOn !== 'function')
      throw new TypeError('Option "retry.retryOn" must be a function');
    this.#retryOn = retryOn ?? ((error) => defaultRetryOn(error));
  }

  /** Whether retry number `attempt` (1-based) should be made after `error`. */
  shouldRetry(error: unknown, attempt: number, retries = this.retries): boolean {
    return attempt <= retries && this.#retryOn(error, attempt);
  }

  /** The pause before retry number `attempt` (1-based): min · factor^(attempt−1), capped, minus jitter. */
  delayMs(attempt: number, random: () => number = Math.random): number {
    const base = Math.min(this.maxDelayMs, this.minDelayMs * this.factor ** (attempt - 1));
    return base * (1 - this.jitter * random());
  }
}

function integer(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new RangeError(`Option "${name}" must be an integer >= 0, got ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new RangeError(`Option "${name}" must be a number >= 0, got ${String(value)}`);
  return value;
}
