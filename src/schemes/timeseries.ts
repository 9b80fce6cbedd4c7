// SPDX-License-Identifier: GPL-2.0-only
/**
 * Per-step values kept in bounded memory: once more than `maxPoints` points exist,
 * neighbouring pairs are merged (sums add, levels keep the later value, peaks keep the
 * larger), so a day-long trace costs the same as a minute-long one.
 */
export type ColumnKind = 'sum' | 'last' | 'max';

export class TimeSeries {
  readonly times: number[] = [];
  readonly columns: number[][];
  private readonly kinds: readonly ColumnKind[];
  private stride = 1;
  private pending = 0;
  private readonly acc: number[];
  private accTime = 0;

  constructor(kinds: readonly ColumnKind[], private readonly maxPoints = 2048) {
    this.kinds = kinds;
    this.columns = kinds.map(() => []);
    this.acc = kinds.map(() => 0);
  }

  /** Adds one step; `values` in column order. */
  push(timeNs: number, values: readonly number[]): void {
    this.kinds.forEach((kind, c) => {
      const v = values[c] ?? 0;
      const a = this.acc[c] ?? 0;
      this.acc[c] = this.pending === 0 ? v : kind === 'sum' ? a + v : kind === 'max' ? Math.max(a, v) : v;
    });
    this.accTime = timeNs;
    this.pending += 1;
    if (this.pending < this.stride) return;
    this.emit();
  }

  private emit(): void {
    this.times.push(this.accTime);
    this.columns.forEach((col, c) => col.push(this.acc[c] ?? 0));
    this.pending = 0;
    if (this.times.length > this.maxPoints) this.halve();
  }

  private halve(): void {
    const n = Math.floor(this.times.length / 2);
    for (let i = 0; i < n; i++) {
      this.times[i] = this.times[2 * i + 1] ?? 0;
      this.columns.forEach((col, c) => {
        const a = col[2 * i] ?? 0;
        const b = col[2 * i + 1] ?? 0;
        const kind = this.kinds[c];
        col[i] = kind === 'sum' ? a + b : kind === 'max' ? Math.max(a, b) : b;
      });
    }
    const odd = this.times.length % 2 === 1;
    const lastTime = this.times[this.times.length - 1] ?? 0;
    const lastVals = this.columns.map((col) => col[col.length - 1] ?? 0);
    this.times.length = n;
    this.columns.forEach((col) => {
      col.length = n;
    });
    this.stride *= 2;
    if (odd) {
      // The unpaired last point starts the next (now twice as wide) bucket.
      this.pending = this.stride / 2;
      this.accTime = lastTime;
      lastVals.forEach((v, c) => {
        this.acc[c] = v;
      });
    }
  }

  /** Flushes a partly filled last bucket. */
  finish(): void {
    if (this.pending > 0) this.emit();
  }
}
