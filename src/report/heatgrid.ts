// SPDX-License-Identifier: GPL-2.0-only
/**
 * The heat raster of `damo report heats`: a time x address grid where each cell holds the
 * average DAMON nr_accesses over the cell's time x address area.
 *
 * This is damo v1.x-2.6's algorithm (`damo_heatmap.heat_pixels_from_snapshots`, the same
 * since 2021-04, last shipped in v2.4.9; docs/DESIGN-DECISIONS.md section 4), ported operation for
 * operation: the last digits of the output depend on the order of float operations, and
 * the compatibility target is damo's own byte-exact output. Memory is O(resolution): cells
 * are a Float64Array and snapshots are streamed through `add()`.
 */
import { DamoError } from '../core/errors.js';
import { formatSz } from '../core/fmt.js';
import { emptySpan, spanOfSnapshot, type Snapshot, type SnapshotSpan } from '../core/model.js';
import { heatCells, WASM_MIN_RUN, type WholeRunUpdate } from './heat_rows.js';

/** The ranges and resolutions of a heatmap, after damo's compensation. */
export interface HeatmapGeometry {
  /** Rows: time. `timeEndNs` is compensated to `timeStartNs + timeUnitNs * timeResol`. */
  timeStartNs: number;
  timeEndNs: number;
  timeUnitNs: number;
  timeResol: number;
  /** Columns: address. `addrEnd` is compensated the same way. */
  addrStart: number;
  addrEnd: number;
  addrUnitBytes: number;
  addrResol: number;
}

/** Python's `a // b` for non-negative integers held in doubles. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  // The double quotient can round up across an integer when a/b is huge; fix it exactly.
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/** The most cells a heat grid may have: 16,777,216 (128 MiB of cells; damo's default is 500 x 500). */
export const MAX_HEAT_CELLS = 4096 * 4096;

/**
 * The resolution alone, before any recording is read: two positive integers whose product
 * (the cells a grid holds, 8 bytes each, and the lines raw output prints) is at most
 * MAX_HEAT_CELLS (--resol 100000 100000 would be 80 GB; 1000000000 2 printed 52 GB).
 */
export function checkResolution(resol: readonly [number, number]): void {
  const [tres, ares] = resol;
  if (!Number.isInteger(tres) || !Number.isInteger(ares) || tres <= 0 || ares <= 0) {
    throw new DamoError('E_USAGE', `resolution must be two positive integers, got ${tres} ${ares}`);
  }
  const nrCells = tres * ares;
  if (nrCells > MAX_HEAT_CELLS) {
    throw new DamoError(
      'E_USAGE',
      `a resolution of ${tres} x ${ares} is ${nrCells.toLocaleString('en-US')} cells, which would need ` +
        `${formatSz(nrCells * 8, false)} of memory; the most is ${MAX_HEAT_CELLS.toLocaleString('en-US')} cells`,
      { hint: `use a smaller --resol, e.g. ${Math.sqrt(MAX_HEAT_CELLS)} ${Math.sqrt(MAX_HEAT_CELLS)}` },
    );
  }
}

/**
 * damo's axis units: `unit = (max - min) // resol`, then `max = min + unit * resol` so every
 * cell covers a whole number of nanoseconds and bytes (docs/DESIGN-DECISIONS.md section 4).
 */
export function heatmapGeometry(
  timeRange: readonly [number, number],
  addrRange: readonly [number, number],
  resol: readonly [number, number],
): HeatmapGeometry {
  const [t0, t1] = timeRange;
  const [a0, a1] = addrRange;
  const [tres, ares] = resol;
  checkResolution(resol);
  if (!(t1 > t0)) {
    throw new DamoError('E_USAGE', `the time range is empty: end (${t1}) is not after start (${t0})`);
  }
  if (!(a1 > a0)) {
    throw new DamoError('E_USAGE', `the address range is empty: end (${a1}) is not after start (${a0})`);
  }
  const tunit = floorDiv(t1 - t0, tres);
  const aunit = floorDiv(a1 - a0, ares);
  if (tunit === 0) {
    throw new DamoError(
      'E_USAGE',
      `the time range (${t1 - t0} ns) is shorter than the time resolution (${tres} rows)`,
      { hint: 'use a smaller first --resol value or a longer --time_range' },
    );
  }
  if (aunit === 0) {
    throw new DamoError(
      'E_USAGE',
      `the address range (${a1 - a0} bytes) is smaller than the address resolution (${ares} columns)`,
      { hint: 'use a smaller second --resol value or a wider --address_range' },
    );
  }
  return {
    timeStartNs: t0,
    timeEndNs: t0 + tunit * tres,
    timeUnitNs: tunit,
    timeResol: tres,
    addrStart: a0,
    addrEnd: a0 + aunit * ares,
    addrUnitBytes: aunit,
    addrResol: ares,
  };
}

/**
 * Whether every column boundary `addrStart + j * addrUnitBytes` of `g` is an integer below
 * 2^53: a column a region covers whole then is exactly `addrUnitBytes` wide, so a grid can
 * take that width's product once per region instead of once per column (same float
 * operations, same bits).
 */
export function hasExactColumns(g: HeatmapGeometry): boolean {
  return Number.isSafeInteger(g.addrStart) && Number.isSafeInteger(g.addrUnitBytes) && Number.isSafeInteger(g.addrStart + (g.addrResol + 1) * g.addrUnitBytes);
}

/**
 * Heat cells of one damo "record" (one target). damo skips the first snapshot of each
 * record (`snapshots[1:]`), so `add()` ignores the first snapshot it is given.
 */
export class HeatGrid {
  readonly geometry: HeatmapGeometry;
  /** Time-major: cell (row i, column j) is `heats[i * addrResol + j]`. */
  readonly heats: Float64Array;
  private seenFirst = false;
  private nrAdded = 0;
  private nrRegionsIn = 0;

  /** hasExactColumns(): addHeats() takes `samples * duration * unit` once per region. */
  private readonly exactColumns: boolean;
  /** The update of a run of whole columns in WebAssembly (heat_rows.ts), or null. */
  private readonly wholeRun: WholeRunUpdate | null;

  /** `useWasm: false` keeps the cells and their update in JavaScript (tests compare the two). */
  constructor(geometry: HeatmapGeometry, useWasm = true) {
    this.geometry = geometry;
    const cells = heatCells(geometry.timeResol * geometry.addrResol, useWasm);
    this.heats = cells.heats;
    this.wholeRun = cells.wholeRun;
    this.exactColumns = hasExactColumns(geometry);
  }

  /** Snapshots that contributed (the skipped first one not counted). */
  get nrSnapshots(): number {
    return this.nrAdded;
  }

  /** Region fractions that fell inside the map: 0 means every cell is empty, not cold. */
  get nrRegionsDrawn(): number {
    return this.nrRegionsIn;
  }

  /** Time of row i as damo prints it: `int(t0 + i * time_unit)`. */
  rowTime(i: number): number {
    return Math.trunc(this.geometry.timeStartNs + i * this.geometry.timeUnitNs);
  }

  /** Address of column j: `int(a0 + j * space_unit)`. */
  colAddr(j: number): number {
    return Math.trunc(this.geometry.addrStart + j * this.geometry.addrUnitBytes);
  }

  private readonly own = emptySpan();

  add(snap: Snapshot): void {
    this.addSpan(spanOfSnapshot(snap, this.own));
  }

  addSpan(snap: SnapshotSpan): void {
    if (!this.seenFirst) {
      this.seenFirst = true;
      return;
    }
    const g = this.geometry;
    const t0 = g.timeStartNs;
    const timeUnit = g.timeUnitNs;
    const end = Math.min(snap.endNs, g.timeEndNs);
    // damo starts at the snapshot's start without a lower bound; a start before t0 gives a
    // negative row that Python wraps to the last rows. Default ranges never do that (t0 is
    // the first snapshot's end); for user ranges we clip to t0 instead.
    let fracStart = Math.max(snap.startNs, t0);
    if (!(fracStart < end)) return;
    this.nrAdded += 1;
    let timeIdx = Math.trunc((fracStart - t0) / timeUnit);
    while (fracStart < end && timeIdx < g.timeResol) {
      const fracEnd = Math.min((timeIdx + 1) * timeUnit + t0, end);
      this.addHeats(snap, fracEnd - fracStart, timeIdx);
      fracStart = fracEnd;
      timeIdx += 1;
    }
  }

  /** damo's `add_heats`: one time fraction of a snapshot into row `timeIdx`. */
  private addHeats(snap: SnapshotSpan, duration: number, timeIdx: number): void {
    const g = this.geometry;
    const a0 = g.addrStart;
    const a1 = g.addrEnd;
    const spaceUnit = g.addrUnitBytes;
    const pixelSz = g.timeUnitNs * spaceUnit;
    const heats = this.heats;
    const rowBase = timeIdx * g.addrResol;
    const { starts, ends, nrAccesses } = snap;
    const n = snap.to;
    for (let r = snap.from; r < n; r++) {
      const start = Math.max(starts[r]!, a0);
      const end = Math.min(ends[r]!, a1);
      if (start >= end) continue;
      this.nrRegionsIn += 1;
      const samples = nrAccesses[r]!;
      let fracStart = start;
      let addrIdx = Math.trunc((fracStart - a0) / spaceUnit);
      if (this.exactColumns && Number.isSafeInteger(end)) {
        // The same operations as the loop below, in three parts: the first column (maybe
        // partly covered), the columns covered whole, where fracEnd - fracStart is exactly
        // spaceUnit (integers below 2^53), then the last one, partly covered.
        const addrResol = g.addrResol;
        if (addrIdx < addrResol) {
          const fracEnd = Math.min((addrIdx + 1) * spaceUnit + a0, end);
          const idx = rowBase + addrIdx;
          heats[idx] = (samples * duration * (fracEnd - fracStart) + heats[idx]! * pixelSz) / pixelSz;
          fracStart = fracEnd;
          addrIdx += 1;
        }
        const whole = samples * duration * spaceUnit;
        let last = Math.min(Math.trunc((end - a0) / spaceUnit), addrResol);
        // Columns [addrIdx, last) end at or before `end`; trunc may be one off either way.
        while (last > addrIdx && last * spaceUnit + a0 > end) last -= 1;
        while (last < addrResol && (last + 1) * spaceUnit + a0 <= end) last += 1;
        const wholeRun = this.wholeRun;
        if (wholeRun !== null && last - addrIdx >= WASM_MIN_RUN) wholeRun((rowBase + addrIdx) * 8, last - addrIdx, whole, pixelSz);
        else for (let j = rowBase + addrIdx, e = rowBase + last; j < e; j++) heats[j] = (whole + heats[j]! * pixelSz) / pixelSz;
        if (last > addrIdx) {
          addrIdx = last;
          fracStart = addrIdx * spaceUnit + a0;
        }
        if (fracStart < end && addrIdx < addrResol) {
          const idx = rowBase + addrIdx;
          heats[idx] = (samples * duration * (end - fracStart) + heats[idx]! * pixelSz) / pixelSz;
        }
        continue;
      }
      while (fracStart < end && addrIdx < g.addrResol) {
        const fracEnd = Math.min((addrIdx + 1) * spaceUnit + a0, end);
        // Same operation order as damo: (samples * duration) * size, then
        // (heat + old * pixel_sz) / pixel_sz.
        let heat = samples * duration * (fracEnd - fracStart);
        const idx = rowBase + addrIdx;
        heat += heats[idx]! * pixelSz;
        heats[idx] = heat / pixelSz;
        fracStart = fracEnd;
        addrIdx += 1;
      }
    }
  }

  highest(): number {
    let max = -Infinity;
    for (const h of this.heats) if (h > max) max = h;
    return max;
  }

  lowest(): number {
    let min = Infinity;
    for (const h of this.heats) if (h < min) min = h;
    return min;
  }
}
