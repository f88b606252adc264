// What a folder run (put -r, get -r, mirror) shows while it goes: a bar, or NDJSON `progress`
// events, per file being copied (the library's per-file tree progress), the run's total, and each
// copied file's line as soon as it is done. Everything else (skipped files, folders, deletions,
// failures) is reported from the result at the end.
import path from 'node:path';
import type { TreeProgress } from '../../index.js';
import type { Context } from '../context.js';
import { remoteJoin } from '../target.js';

/**
 * What the finished parts of one command moved (single files, earlier folder runs: `put -r a b`),
 * so that the next run's overall bar and the summary line count them too.
 */
export class CommandTotals {
  filesDone = 0;
  filesTotal = 0;
  bytesDone = 0;
  bytesTotal = 0;
}

export class TreeView {
  readonly #ctx: Context;
  readonly #upload: boolean;
  readonly #localRoot: string;
  readonly #remoteRoot: string;
  readonly #before: CommandTotals;
  readonly #shown = new Set<string>();
  #last: TreeProgress | undefined;

  constructor(ctx: Context, upload: boolean, localRoot: string, remoteRoot: string, before = new CommandTotals()) {
    this.#ctx = ctx;
    this.#upload = upload;
    this.#localRoot = localRoot;
    this.#remoteRoot = remoteRoot;
    this.#before = before;
  }

  /** The run is over: its counts join those the next run's overall bar starts from. */
  end(): void {
    const last = this.#last;
    if (last === undefined) return;
    this.#last = undefined;
    this.#before.filesDone += last.filesDone;
    this.#before.filesTotal += last.filesTotal;
    this.#before.bytesDone += last.bytesDone;
    this.#before.bytesTotal += last.bytesTotal;
  }

  localPath(rel: string): string {
    return path.join(this.#localRoot, ...rel.split('/'));
  }

  remotePath(rel: string): string {
    return remoteJoin(this.#remoteRoot, rel);
  }

  /** A file's name in bars, events and error lines: its source (local for uploads, remote for downloads). */
  label(rel: string): string {
    return this.#upload ? this.localPath(rel) : this.remotePath(rel);
  }

  /** True when the copied file's line was printed while the run went on (the result must not repeat it). */
  shown(rel: string): boolean {
    return this.#shown.has(rel);
  }

  readonly onProgress = (p: TreeProgress): void => {
    const reporter = this.#ctx.reporter;
    const label = this.label(p.path);
    if (p.file !== undefined) reporter.progress(label, p.file.bytes, p.file.total, p.file.bytesPerSecond);
    if (p.finished && p.fileIndex > 0) {
      reporter.fileEnded(label);
      // A finished event with the file's final event (done) is a copied file.
      if (p.file?.done === true) {
        this.#shown.add(p.path);
        const bytes = p.file.bytes - p.file.resumedFrom;
        reporter.done({
          op: this.#upload ? 'put' : 'get',
          local: this.localPath(p.path),
          remote: this.remotePath(p.path),
          bytes,
        });
      }
    }
    this.#last = p;
    const b = this.#before;
    reporter.overall(
      b.bytesDone + p.bytesDone + p.bytesInFlight,
      b.bytesTotal + p.bytesTotal,
      b.filesDone + p.filesDone,
      b.filesTotal + p.filesTotal,
    );
  };
}
