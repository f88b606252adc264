// What a run prints. One Reporter interface, three shapes: lines for people (with live bars when
// stdout is a terminal), one JSON document (--json), NDJSON events (--json --progress).
import { describeError } from './exit.js';
import { formatBytes, formatRate } from './format.js';
import { LiveBars, SHOW_CURSOR, type BarRow } from './progress.js';

export interface FileOutcome {
  op: 'put' | 'get' | 'rm' | 'mkdir' | 'mv' | 'copy' | 'delete';
  /** Local path, when the operation has one. */
  local?: string;
  remote: string;
  bytes?: number;
  durationMs?: number;
  /** What the dry run would do, or why the file was skipped. */
  note?: string;
}

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

export interface Reporter {
  /** Bytes of one file so far (`done` once complete). */
  progress(name: string, bytes: number, total: number | undefined, bytesPerSecond: number): void;
  /** A file of a folder run stopped moving (its outcome comes later, with done or failed): its bar goes. */
  fileEnded(name: string): void;
  /** Totals of a multi-file run, known up front or growing. */
  totals(bytes: number, files: number): void;
  /** Progress of a folder run as a whole (files finished so far). */
  overall(bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number): void;
  done(outcome: FileOutcome): void;
  failed(name: string, err: unknown): void;
  /** A result line of a listing or of probe (stdout, also with -q: it is the output asked for). */
  print(line: string): void;
  warn(message: string): void;
  /** Ends the run: `result` is the JSON document (--json) and is ignored otherwise. */
  finish(result: unknown): void;
  /** Leaves the terminal as it was (bars erased, cursor shown); safe on Ctrl-C and twice. */
  restore(): void;
}

interface FileBar {
  bytes: number;
  total: number | undefined;
  rate: number;
}

/** Lines for people. With a TTY: live bars per running file plus an overall bar. */
export class HumanReporter implements Reporter {
  readonly #out: Stream;
  readonly #err: Stream;
  readonly #quiet: boolean;
  readonly #bars: LiveBars | undefined;
  readonly #running = new Map<string, FileBar>();
  #totalBytes = 0;
  #totalFiles = 0;
  #doneBytes = 0;
  #doneFiles = 0;
  readonly #started = performance.now();
  #tree: { bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number } | undefined;

  /** `redrawMs`: the bars' redraw interval (LiveBars' default, 100 ms, unless given). */
  constructor(out: Stream, err: Stream, { quiet, redrawMs }: { quiet: boolean; redrawMs?: number }) {
    this.#out = out;
    this.#err = err;
    this.#quiet = quiet;
    this.#bars =
      !quiet && out.isTTY === true
        ? new LiveBars(out, redrawMs === undefined ? {} : { intervalMs: redrawMs })
        : undefined;
  }

  progress(name: string, bytes: number, total: number | undefined, rate: number): void {
    if (this.#bars === undefined) return;
    this.#running.set(name, { bytes, total, rate });
    this.#redraw();
  }

  fileEnded(name: string): void {
    if (this.#running.delete(name)) this.#redraw();
  }

  totals(bytes: number, files: number): void {
    this.#totalBytes = bytes;
    this.#totalFiles = files;
    this.#redraw();
  }

  overall(bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number): void {
    this.#tree = { bytesDone, bytesTotal, filesDone, filesTotal };
    this.#redraw();
  }

  done(o: FileOutcome): void {
    const bar = this.#running.get(o.remote) ?? this.#running.get(o.local ?? '');
    this.#running.delete(o.remote);
    if (o.local !== undefined) this.#running.delete(o.local);
    this.#doneFiles++;
    this.#doneBytes += o.bytes ?? bar?.bytes ?? 0;
    if (this.#quiet) return;
    const route =
      o.op === 'get'
        ? `${o.remote} -> ${o.local ?? ''}`
        : o.local === undefined
          ? o.remote
          : `${o.local} -> ${o.remote}`;
    const size = o.bytes === undefined ? '' : ` ${formatBytes(o.bytes)}`;
    const rate =
      o.bytes !== undefined && o.durationMs !== undefined && o.durationMs > 0
        ? ` ${formatRate((o.bytes * 1000) / o.durationMs)}`
        : '';
    this.#line(`${o.op} ${route}${size}${rate}${o.note === undefined ? '' : ` (${o.note})`}`);
    this.#redraw();
  }

  failed(name: string, err: unknown): void {
    this.#running.delete(name);
    this.#doneFiles++;
    const line = `error: ${name}: ${describeError(err)}\n`;
    if (this.#bars === undefined) this.#err.write(line);
    else this.#bars.interject(() => this.#err.write(line));
    this.#redraw();
  }

  print(line: string): void {
    this.#line(line);
  }

  warn(message: string): void {
    const line = `warning: ${message}\n`;
    if (this.#bars === undefined) this.#err.write(line);
    else this.#bars.interject(() => this.#err.write(line));
  }

  finish(): void {
    this.#bars?.finish();
    if (this.#tree !== undefined) {
      this.#totalFiles = this.#tree.filesTotal;
      this.#doneFiles = this.#tree.filesDone;
      this.#doneBytes = this.#tree.bytesDone;
    }
    if (this.#quiet || this.#totalFiles < 2) return;
    const seconds = (performance.now() - this.#started) / 1000;
    this.#out.write(
      `${this.#doneFiles}/${this.#totalFiles} files, ${formatBytes(this.#doneBytes)} in ${seconds.toFixed(1)} s\n`,
    );
  }

  restore(): void {
    this.#bars?.finish();
  }

  #line(text: string): void {
    if (this.#bars !== undefined) this.#bars.log(text);
    else this.#out.write(`${text}\n`);
  }

  #redraw(): void {
    if (this.#bars === undefined) return;
    const rows: BarRow[] = [...this.#running].map(([label, b]) => ({
      label,
      done: b.bytes,
      total: b.total,
      bytesPerSecond: b.rate,
    }));
    const seconds = (performance.now() - this.#started) / 1000;
    const tree = this.#tree;
    if (tree !== undefined) {
      rows.push({
        label: `total ${tree.filesDone}/${tree.filesTotal}`,
        done: tree.bytesDone,
        total: tree.bytesTotal || undefined,
        bytesPerSecond: seconds > 0 ? tree.bytesDone / seconds : 0,
      });
    } else if (this.#totalFiles > 1) {
      const inFlight = [...this.#running.values()].reduce((n, b) => n + b.bytes, 0);
      const done = this.#doneBytes + inFlight;
      rows.push({
        label: `total ${this.#doneFiles}/${this.#totalFiles}`,
        done,
        total: this.#totalBytes || undefined,
        bytesPerSecond: seconds > 0 ? done / seconds : 0,
      });
    }
    this.#bars.update(rows);
  }
}

/** --json: one document at the end; with --progress, NDJSON events as they happen and the result last. */
export class JsonReporter implements Reporter {
  readonly #out: Stream;
  readonly #events: boolean;
  readonly files: FileOutcome[] = [];
  readonly errors: { name: string; error: string; code?: string }[] = [];
  readonly warnings: string[] = [];

  constructor(out: Stream, { events }: { events: boolean }) {
    this.#out = out;
    this.#events = events;
  }

  #emit(event: Record<string, unknown>): void {
    if (this.#events) this.#out.write(`${JSON.stringify(event)}\n`);
  }

  progress(name: string, bytes: number, total: number | undefined, bytesPerSecond: number): void {
    this.#emit({ event: 'progress', name, bytes, total: total ?? null, bytesPerSecond: Math.round(bytesPerSecond) });
  }

  fileEnded(): void {
    // The file's last `progress` event came just before; its `done` or `failed` event follows.
  }

  totals(bytes: number, files: number): void {
    this.#emit({ event: 'totals', bytes, files });
  }

  overall(bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number): void {
    this.#emit({ event: 'overall', bytesDone, bytesTotal, filesDone, filesTotal });
  }

  done(outcome: FileOutcome): void {
    this.files.push(outcome);
    this.#emit({ event: 'done', ...outcome });
  }

  failed(name: string, err: unknown): void {
    const entry = {
      name,
      error: describeError(err),
      ...(typeof (err as { code?: unknown })?.code === 'string' ? { code: (err as { code: string }).code } : {}),
    };
    this.errors.push(entry);
    this.#emit({ event: 'failed', ...entry });
  }

  print(): void {
    // Listings and probe reports are part of the result document.
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.#emit({ event: 'warning', message });
  }

  finish(result: unknown): void {
    const doc = {
      ...(result as object),
      files: this.files,
      errors: this.errors,
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
    };
    this.#out.write(
      `${JSON.stringify(this.#events ? { event: 'result', ...doc } : doc, null, this.#events ? undefined : 2)}\n`,
    );
  }

  restore(): void {}
}

/** Last resort for a terminal left with a hidden cursor (process exit on a second Ctrl-C). */
export function showCursor(out: Stream): void {
  if (out.isTTY === true) out.write(SHOW_CURSOR);
}
