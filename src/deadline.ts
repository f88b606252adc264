// The overall deadline of a call (client) or of an operation with its retries (pool).
import { OperationTimeoutError } from './errors.js';

/** An abort signal that fires OperationTimeoutError `ms` after start(); armed when the call starts running. */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  start(): void {
    this.#timer = setTimeout(
      () => this.#controller.abort(new OperationTimeoutError(`The call did not finish within ${this.#ms} ms`)),
      this.#ms,
    );
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
