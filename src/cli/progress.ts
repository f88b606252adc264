// Progress bars for a terminal: rows of "label [====    ] 45% 1.2 MiB/4.0 MiB 3.1 MiB/s ETA 0:02",
// redrawn in place below the permanent lines. Written here (no dependency): the package's runtime
// dependencies are installed for every library user, and this is ~100 lines.
import { eta, formatBytes, formatDuration, formatRate } from './format.js';

export interface BarRow {
  label: string;
  done: number;
  total: number | undefined;
  bytesPerSecond: number;
}

const ESC = '\x1b[';
export const HIDE_CURSOR = `${ESC}?25l`;
export const SHOW_CURSOR = `${ESC}?25h`;

/**
 * One bar line, never wider than `width` (a wrapped line would break the in-place redraw).
 * `labelWidth`: the column the labels of a frame are padded to, so that their bars line up.
 */
export function renderRow(row: BarRow, width: number, labelWidth = row.label.length): string {
  const pct = row.total === undefined || row.total === 0 ? undefined : Math.min(1, row.done / row.total);
  const amount = row.total === undefined ? formatBytes(row.done) : `${formatBytes(row.done)}/${formatBytes(row.total)}`;
  const tail = ` ${pct === undefined ? '  ?%' : `${String(Math.floor(pct * 100)).padStart(3)}%`} ${amount} ${formatRate(row.bytesPerSecond)} ETA ${formatDuration(eta(row.done, row.total, row.bytesPerSecond))}`;
  const room = width - tail.length - 3; // label + ' [' + bar + ']'
  const column = Math.max(0, Math.min(labelWidth, Math.floor(room / 2)));
  const label = row.label.length > column ? `…${row.label.slice(row.label.length - column + 1)}` : row.label;
  const barWidth = Math.max(0, room - column);
  const filled = pct === undefined ? 0 : Math.round(pct * barWidth);
  const line = `${label.padEnd(column)} [${'='.repeat(filled)}${' '.repeat(barWidth - filled)}]${tail}`;
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}

export interface Terminal {
  write(text: string): unknown;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

/**
 * The bars at the bottom of the terminal. `log()` prints a permanent line above them; `finish()`
 * erases them and shows the cursor again (also safe to call from a signal handler, twice).
 */
export class LiveBars {
  readonly #out: Terminal;
  readonly #intervalMs: number;
  #rows: BarRow[] = [];
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastDraw = 0;
  #finished = false;

  constructor(out: Terminal, { intervalMs = 100 }: { intervalMs?: number } = {}) {
    this.#out = out;
    this.#intervalMs = intervalMs;
  }

  /** Replaces the rows; redraws at most every `intervalMs`. */
  update(rows: BarRow[]): void {
    if (this.#finished) return;
    this.#rows = rows;
    const wait = this.#lastDraw + this.#intervalMs - Date.now();
    if (wait <= 0) this.#draw();
    else
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#draw();
      }, wait);
  }

  log(line: string): void {
    if (this.#finished) {
      this.#out.write(`${line}\n`);
      return;
    }
    this.#out.write(`${this.#erase()}${line}\n${this.#frame()}`);
  }

  /**
   * Runs `write`, which prints to another stream on the same terminal (stderr), with the bars
   * erased first and drawn again below it: otherwise the next redraw would erase the wrong lines.
   */
  interject(write: () => void): void {
    if (this.#finished) {
      write();
      return;
    }
    this.#out.write(this.#erase());
    write();
    this.#out.write(this.#frame());
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#out.write(`${this.#erase()}${SHOW_CURSOR}`);
  }

  #draw(): void {
    this.#lastDraw = Date.now();
    this.#out.write(`${this.#drawn === 0 ? HIDE_CURSOR : ''}${this.#erase()}${this.#frame()}`);
  }

  /** Moves to the first bar line and clears to the end of the screen. */
  #erase(): string {
    const up = this.#drawn;
    this.#drawn = 0;
    return up === 0 ? '' : `${ESC}${up}A\r${ESC}J`;
  }

  #frame(): string {
    const width = Math.max(20, (this.#out.columns ?? 80) - 1);
    const maxRows = Math.max(1, (this.#out.rows ?? 24) - 2);
    const rows =
      this.#rows.length > maxRows
        ? [...this.#rows.slice(0, maxRows - 1), this.#rows[this.#rows.length - 1] as BarRow]
        : this.#rows;
    this.#drawn = rows.length;
    const labelWidth = Math.max(0, ...rows.map((r) => r.label.length));
    return rows.map((r) => `${renderRow(r, width, labelWidth)}\n`).join('');
  }
}
