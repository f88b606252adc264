// What a folder run (put -r, get -r, mirror) shows while it goes: a bar, or NDJSON `progress`
// events, per file being copied (the library's per-file tree progress), the run's total, and each
// copied file's line as soon as it is done. Everything else (skipped files, folders, deletions,
// failures) is reported from the result at the end.
import path from 'node:path';
import type { TreeProgress } from '../../index.js';
import type { Context } from '../context.js';
import { remoteJoin } from '../target.js';

export class TreeView {
  readonly #ctx: Context;
  readonly #upload: boolean;
  readonly #localRoot: string;
  readonly #remoteRoot: string;
  readonly #shown = new Set<string>();

  constructor(ctx: Context, upload: boolean, localRoot: string, remoteRoot: string) {
    this.#ctx = ctx;
    this.#upload = upload;
    this.#localRoot = localRoot;
    this.#remoteRoot = remoteRoot;
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
        reporter.done({ op: this.#upload ? 'put' : 'get', local: this.localPath(p.path), remote: this.remotePath(p.path), bytes });
      }
    }
    reporter.overall(p.bytesDone + p.bytesInFlight, p.bytesTotal, p.filesDone, p.filesTotal);
  };
}
