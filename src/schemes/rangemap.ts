// SPDX-License-Identifier: GPL-2.0-only
/**
 * A map from disjoint address ranges [start, end) to numbers, kept sorted. The simulator
 * uses it for what outlives one snapshot's region list: when an action last reset the age
 * of an address, and which scheme paged an address out or advised huge pages for it.
 * Adjacent ranges with the same value are merged, so the size follows the number of
 * distinct decisions, not the number of snapshots.
 */
export type RemovedPiece = (start: number, end: number, value: number) => void;

export class RangeMap {
  private starts: number[] = [];
  private ends: number[] = [];
  private values: number[] = [];
  private total = 0;

  get sizeBytes(): number {
    return this.total;
  }

  get nrRanges(): number {
    return this.starts.length;
  }

  /** Index of the first range whose end is > addr. */
  private firstEndingAfter(addr: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] ?? 0) > addr) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Removes [start, end), reporting each removed piece with its value. */
  remove(start: number, end: number, onRemoved?: RemovedPiece): void {
    if (end <= start) return;
    let i = this.firstEndingAfter(start);
    const newStarts: number[] = [];
    const newEnds: number[] = [];
    const newValues: number[] = [];
    const first = i;
    while (i < this.starts.length && (this.starts[i] ?? 0) < end) {
      const s = this.starts[i] ?? 0;
      const e = this.ends[i] ?? 0;
      const v = this.values[i] ?? 0;
      const cutS = Math.max(s, start);
      const cutE = Math.min(e, end);
      if (cutE > cutS) {
        onRemoved?.(cutS, cutE, v);
        this.total -= cutE - cutS;
      }
      if (s < start) {
        newStarts.push(s);
        newEnds.push(start);
        newValues.push(v);
      }
      if (e > end) {
        newStarts.push(end);
        newEnds.push(e);
        newValues.push(v);
      }
      i++;
    }
    if (i === first) return;
    this.starts.splice(first, i - first, ...newStarts);
    this.ends.splice(first, i - first, ...newEnds);
    this.values.splice(first, i - first, ...newValues);
  }

  /** Sets [start, end) to value, replacing what was there (reported through onRemoved). */
  set(start: number, end: number, value: number, onRemoved?: RemovedPiece): void {
    if (end <= start) return;
    this.remove(start, end, onRemoved);
    const i = this.firstEndingAfter(start);
    // i is where the new range goes; merge with equal-valued neighbours that touch it.
    let s = start;
    let e = end;
    let from = i;
    let to = i;
    if (i > 0 && this.ends[i - 1] === start && this.values[i - 1] === value) {
      from = i - 1;
      s = this.starts[i - 1] ?? start;
    }
    if (i < this.starts.length && this.starts[i] === end && this.values[i] === value) {
      e = this.ends[i] ?? end;
      to = i + 1;
    }
    this.starts.splice(from, to - from, s);
    this.ends.splice(from, to - from, e);
    this.values.splice(from, to - from, value);
    this.total += end - start;
  }

  /** Calls fn for each stored piece overlapping [start, end), clipped to it. */
  forEachOverlap(start: number, end: number, fn: (start: number, end: number, value: number) => void): void {
    for (let i = this.firstEndingAfter(start); i < this.starts.length && (this.starts[i] ?? 0) < end; i++) {
      const s = Math.max(this.starts[i] ?? 0, start);
      const e = Math.min(this.ends[i] ?? 0, end);
      if (e > s) fn(s, e, this.values[i] ?? 0);
    }
  }

  /** Whether any stored range overlaps [start, end). */
  overlaps(start: number, end: number): boolean {
    const i = this.firstEndingAfter(start);
    return i < this.starts.length && (this.starts[i] ?? 0) < end;
  }

  entries(): Array<[number, number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i] ?? 0, this.values[i] ?? 0]);
  }
}
