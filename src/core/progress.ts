// SPDX-License-Identifier: GPL-2.0-only
/**
 * Progress of long work on a terminal: one line on stderr, redrawn in place at most five
 * times a second, with the fraction done and the time left estimated from the rate so far
 * ("ETA"). Nothing is drawn for work that ends within the first second, nor when stderr is
 * not a terminal; the line is erased when the work ends, before anything else is printed.
 */
const FIRST_DRAW_MS = 1000;
const REDRAW_MS = 200;

export class Progress {
  private readonly startMs: number;
  private lastDrawMs = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly enabled: boolean,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.startMs = this.nowMs();
  }

  /** `fraction` of the work is done (0..1); `detail` says in what units (e.g. "120 snapshots"). */
  update(fraction: number, detail = ''): void {
    if (!this.enabled) return;
    const now = this.nowMs();
    const elapsedMs = now - this.startMs;
    if (elapsedMs < FIRST_DRAW_MS || now - this.lastDrawMs < REDRAW_MS) return;
    this.lastDrawMs = now;
    const f = Math.min(1, Math.max(0, fraction));
    // The time left at the rate so far: an estimate, hence "ETA ~".
    const eta = f > 0.01 ? `, ETA ~${formatSeconds((elapsedMs * (1 - f)) / f / 1000)}` : '';
    this.stream.write(`\r\x1b[2Kdamo: ${this.label}: ${(f * 100).toFixed(0)}%${detail === '' ? '' : ` (${detail})`}${eta}`);
    this.shown = true;
  }

  /** Erases the line; call before printing anything else. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

export function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
