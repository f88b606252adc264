// Progress of a tree run: finished files and bytes, plus the bytes of the files still moving, with
// the run's rate and an ETA. Fed by each file's own progress events (throttled per file), which
// ride along as `file`: a per-file bar and a single transfer's bar read the same ProgressEvent.
import type { ProgressEvent } from './progress.js';
import type { TreeProgress } from './tree-types.js';

export class TreeProgressMeter {
  readonly #listener: ((progress: TreeProgress) => void) | undefined;
  readonly #filesTotal: number;
  readonly #bytesTotal: number;
  readonly #inFlight = new Map<string, number>();
  /** Each running file's latest single-file event (kept until the file is reported finished). */
  readonly #latest = new Map<string, ProgressEvent>();
  #filesDone = 0;
  #bytesDone = 0;
  #started = 0;

  constructor(listener: ((progress: TreeProgress) => void) | undefined, filesTotal: number, bytesTotal: number) {
    this.#listener = listener;
    this.#filesTotal = filesTotal;
    this.#bytesTotal = bytesTotal;
  }

  get bytesDone(): number {
    return this.#bytesDone;
  }

  /** The per-file listener for `rel` (the transfer's own progress), or undefined when nobody listens. */
  fileListener(rel: string, index: number): ((event: ProgressEvent) => void) | undefined {
    if (this.#listener === undefined) return undefined;
    return (event) => {
      this.#latest.set(rel, event);
      if (event.done) return; // the finished file is reported by fileDone, with this event
      this.#inFlight.set(rel, event.bytes - event.resumedFrom);
      this.#emit(rel, index, false, event);
    };
  }

  /** A file starts moving: the clock of the run starts with the first one. */
  fileStarted(rel: string): void {
    if (this.#started === 0) this.#started = performance.now();
    this.#inFlight.set(rel, 0);
    this.#latest.delete(rel); // a retry starts a new transfer
  }

  /** A file finished (copied or failed): `bytes` moved for it, counted only when copied. */
  fileDone(rel: string, index: number, copiedBytes: number | undefined): void {
    this.#inFlight.delete(rel);
    this.#filesDone++;
    if (copiedBytes !== undefined) this.#bytesDone += copiedBytes;
    const latest = this.#latest.get(rel);
    this.#latest.delete(rel);
    // `done: true` means copied: not for a file whose transfer completed but whose step after it failed.
    this.#emit(rel, index, true, copiedBytes === undefined && latest?.done === true ? undefined : latest);
  }

  /** A deletion finished. */
  deleted(rel: string): void {
    this.#emit(rel, 0, true);
  }

  #emit(path: string, fileIndex: number, finished: boolean, file?: ProgressEvent): void {
    if (this.#listener === undefined) return;
    let bytesInFlight = 0;
    for (const n of this.#inFlight.values()) bytesInFlight += n;
    const seconds = this.#started === 0 ? 0 : (performance.now() - this.#started) / 1000;
    const moved = this.#bytesDone + bytesInFlight;
    const bytesPerSecond = seconds > 0 ? Math.round(moved / seconds) : 0;
    const left = Math.max(0, this.#bytesTotal - moved);
    const progress: TreeProgress = {
      filesDone: this.#filesDone,
      filesTotal: this.#filesTotal,
      bytesDone: this.#bytesDone,
      bytesTotal: this.#bytesTotal,
      bytesInFlight,
      filesRunning: this.#inFlight.size,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? left / bytesPerSecond : undefined,
      path,
      fileIndex,
      finished,
      ...(file === undefined ? {} : { file }),
    };
    try {
      this.#listener(progress);
    } catch {
      /* a throwing listener must not break the run */
    }
  }
}
