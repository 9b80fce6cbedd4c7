// SPDX-License-Identifier: GPL-2.0-only
/**
 * A list of numbers that grows without copying what it holds, for the per-snapshot values
 * a report collects (one per snapshot: 543,000 on damo's test recording x1000).
 *
 * A plain array grown by push() moves its whole content to a larger store at every growth,
 * about three times the final size in all, and every new store is memory the kernel must
 * fault in page by page. Here values go into fixed-size chunks, and toArray() copies them
 * once into a Float64Array of the exact length. docs/PERFORMANCE.md ("Fresh memory") has
 * what the faults cost.
 */
const CHUNK_VALUES = 8192;

export class Float64List {
  private readonly chunks: Float64Array[] = [];
  private current: Float64Array = new Float64Array(0);
  private used = 0;
  length = 0;

  push(value: number): void {
    if (this.used === this.current.length) {
      this.current = new Float64Array(CHUNK_VALUES);
      this.chunks.push(this.current);
      this.used = 0;
    }
    this.current[this.used++] = value;
    this.length++;
  }

  /** The values from index `from` on, as one array of their own. */
  toArray(from = 0): Float64Array {
    const out = new Float64Array(Math.max(0, this.length - from));
    let at = 0;
    let skip = from;
    for (const chunk of this.chunks) {
      const n = chunk === this.current ? this.used : chunk.length;
      if (skip >= n) {
        skip -= n;
        continue;
      }
      out.set(skip === 0 && n === chunk.length ? chunk : chunk.subarray(skip, n), at);
      at += n - skip;
      skip = 0;
    }
    return out;
  }
}
