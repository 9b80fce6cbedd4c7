// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's heatmap (`damo report heatmap`, `damo_report_heatmap.HeatMap`): a grid of
 * time rows by address columns whose cells hold the access frequency averaged over the
 * cell's time and space, NaN where no region was seen. Unlike damo 2.4.9's heats:
 * - with monitoring intervals, the heat is in hz (nr_accesses per second of the snapshot's
 *   aggregation interval), and a region counts from when its current access pattern began
 *   (its age before the snapshot), not only during the snapshot;
 * - without intervals, the heat is nr_accesses (samples).
 *
 * Each snapshot updates the cells it touches; memory is the grid.
 */
import type { Intervals, IntervalsGoal, SnapshotSpan } from '../core/model.js';
import { formatSz, formatSzAccurate, formatTimeNs, pyFixed } from '../core/fmt.js';
import { snapshotIntervalsUs } from './access_records.js';
import { hasExactColumns, heatmapGeometry, type HeatmapGeometry } from './heatgrid.js';
import { heatCells, WASM_MIN_RUN, type WholeRunUpdate } from './heat_rows.js';
import { colorStart, COLOR_RESET, type ColorsetName } from './heats_text.js';

export class HeatMap330 {
  readonly geometry: HeatmapGeometry;
  /** Time-major: cell (row i, column j) is `heats[i * addrResol + j]`; NaN when never touched. */
  readonly heats: Float64Array;
  /** End of the snapshot added last: a region's time counts from there at the earliest. */
  private lastEndNs: number | null = null;

  constructor(
    timeRange: readonly [number, number],
    addrRange: readonly [number, number],
    resol: readonly [number, number],
    private readonly intervals: Intervals | null,
    private readonly goal: IntervalsGoal | undefined,
    private readonly dfPassed: boolean,
    /** The recording's base time (a double): the axis comments print absolute times. */
    private readonly displayBaseNs: number,
    /** false keeps the cells and their update in JavaScript (tests compare the two). */
    useWasm = true,
  ) {
    this.geometry = heatmapGeometry(timeRange, addrRange, resol);
    const cells = heatCells(this.geometry.timeResol * this.geometry.addrResol, useWasm);
    this.heats = cells.heats.fill(NaN);
    this.wholeRun = cells.wholeRunNanAsZero;
    this.exactColumns = hasExactColumns(this.geometry);
  }

  /** hasExactColumns(): add() takes `heatVal * accountTime * unit` once per row. */
  private readonly exactColumns: boolean;
  /** The update of a run of whole columns in WebAssembly, NaN read as 0 (heat_rows.ts), or null. */
  private readonly wholeRun: WholeRunUpdate | null;

  /**
   * damo `HeatMap.add_heat`. Times are relative to the recording's base: damo works in exact
   * absolute integers, which doubles cannot hold for epoch-ns times; the differences are the same.
   */
  add(s: SnapshotSpan, startNs: number, endNs: number): void {
    const g = this.geometry;
    const iv = this.intervals;
    const aggrNs = iv === null ? null : iv.aggrUs * 1000;
    const addrStart = g.addrStart;
    const addrUnit = g.addrUnitBytes;
    const addrResol = g.addrResol;
    const timeStart = g.timeStartNs;
    const timeUnit = g.timeUnitNs;
    const timeResol = g.timeResol;
    const addrEnd = addrStart + addrUnit * addrResol;
    const pixelTimeSpace = timeUnit * addrUnit;
    const heats = this.heats;
    let aggrUs = 0;
    if (iv !== null) {
      aggrUs = snapshotIntervalsUs({ startNs, endNs, sampleIntervalUs: s.extras?.sampleIntervalUs }, iv, this.goal)[1];
    }
    const lastEndNs = this.lastEndNs;
    // The cells' time and address indexes damo computes (int((t - start) / unit)), clamped
    // to the grid: cells outside it are skipped as damo skips them.
    const tEnd = Math.min(Math.trunc((endNs - timeStart) / timeUnit), timeResol - 1);
    const starts = s.starts;
    const ends = s.ends;
    const ages = s.ages;
    const nrAccesses = s.nrAccesses;
    const passed = s.extras?.szFilterPassed;
    const from = s.from;
    for (let i = from; i < s.to; i++) {
      const rs = starts[i] as number;
      const re = ends[i] as number;
      if (re < addrStart || addrEnd < rs) continue;
      const ageAggrs = Math.max(ages[i] as number, 0);
      const observeStart = aggrNs === null ? startNs : startNs - ageAggrs * aggrNs;
      let rangeStart = observeStart;
      if (lastEndNs !== null && rangeStart < lastEndNs) rangeStart = lastEndNs;
      const samples = nrAccesses[i] as number;
      let heatVal = iv === null ? samples : samples / (aggrUs / 1000000);
      if (this.dfPassed) heatVal = (heatVal * (passed?.[i - from] ?? 0)) / (re - rs);
      const exact = this.exactColumns && Number.isSafeInteger(rs) && Number.isSafeInteger(re);
      const aFirst = Math.max(Math.trunc((rs - addrStart) / addrUnit), 0);
      const aLast = Math.min(Math.trunc((re - addrStart) / addrUnit), addrResol - 1);
      for (let ti = Math.max(Math.trunc((rangeStart - timeStart) / timeUnit), 0); ti <= tEnd; ti++) {
        const pixelTime = Math.trunc(timeStart + ti * timeUnit);
        const accountTime = Math.min(endNs, pixelTime + timeUnit) - Math.max(observeStart, pixelTime);
        const row = ti * addrResol;
        if (exact) {
          // The same operations; for a column covered whole, accountSz is addrUnit exactly.
          const whole = heatVal * accountTime * addrUnit;
          const wholeRun = this.wholeRun;
          if (wholeRun !== null && aLast - aFirst >= WASM_MIN_RUN) {
            // The columns covered whole are one run [lo, hi] (pixelAddr >= rs grows with ai,
            // pixelAddr + addrUnit <= re shrinks); the few around it are covered in part.
            let lo = aFirst;
            while (lo <= aLast && addrStart + lo * addrUnit < rs) lo++;
            let hi = aLast;
            while (hi >= lo && addrStart + hi * addrUnit + addrUnit > re) hi--;
            if (hi - lo + 1 >= WASM_MIN_RUN) {
              wholeRun((row + lo) * 8, hi - lo + 1, whole, pixelTimeSpace);
              for (let ai = aFirst; ai <= aLast; ai++) {
                if (ai === lo) ai = hi + 1;
                if (ai > aLast) break;
                const pixelAddr = addrStart + ai * addrUnit;
                const k = row + ai;
                const prev = heats[k] as number;
                const accountSz = Math.min(re, pixelAddr + addrUnit) - Math.max(rs, pixelAddr);
                heats[k] = (heatVal * accountTime * accountSz + (prev !== prev ? 0 : prev) * pixelTimeSpace) / pixelTimeSpace;
              }
              continue;
            }
          }
          for (let ai = aFirst; ai <= aLast; ai++) {
            const pixelAddr = addrStart + ai * addrUnit;
            const k = row + ai;
            const prev = heats[k] as number;
            if (pixelAddr >= rs && pixelAddr + addrUnit <= re) {
              heats[k] = (whole + (prev !== prev ? 0 : prev) * pixelTimeSpace) / pixelTimeSpace;
              continue;
            }
            const accountSz = Math.min(re, pixelAddr + addrUnit) - Math.max(rs, pixelAddr);
            heats[k] = (heatVal * accountTime * accountSz + (prev !== prev ? 0 : prev) * pixelTimeSpace) / pixelTimeSpace;
          }
          continue;
        }
        for (let ai = aFirst; ai <= aLast; ai++) {
          const pixelAddr = Math.trunc(addrStart + ai * addrUnit);
          const accountSz = Math.min(re, pixelAddr + addrUnit) - Math.max(rs, pixelAddr);
          const k = row + ai;
          const prev = heats[k] as number;
          let heat = heatVal * accountTime * accountSz;
          heat += (prev !== prev ? 0 : prev) * pixelTimeSpace;
          heats[k] = heat / pixelTimeSpace;
        }
      }
    }
    this.lastEndNs = endNs;
  }

  /** damo `highest_lowest_heats`: [highest, lowest], undefined when no cell has a heat. */
  highestLowest(): [number, number] | undefined {
    let hi: number | undefined;
    let lo: number | undefined;
    for (const h of this.heats) {
      if (Number.isNaN(h)) continue;
      if (hi === undefined || hi < h) hi = h;
      if (lo === undefined || lo > h) lo = h;
    }
    return hi === undefined || lo === undefined ? undefined : [hi, lo];
  }

  /** damo `fmt_ascii_str`: the map in the terminal, then the axis comments. */
  asciiText(colorset: ColorsetName, printColorset: boolean, heatUnit: string): string {
    const g = this.geometry;
    const lines: string[] = [];
    const hl = this.highestLowest();
    if (hl !== undefined) {
      const [hi, lo] = hl;
      const unit = (hi + 1 - lo) / 9;
      for (let i = 0; i < g.timeResol; i++) {
        let row = '';
        for (let j = 0; j < g.addrResol; j++) {
          const h = this.heats[i * g.addrResol + j] as number;
          if (Number.isNaN(h)) {
            row += `${colorStart(colorset, 4)} `;
            continue;
          }
          const level = Math.min(Math.trunc((h - lo) / unit), 9);
          row += `${colorStart(colorset, level)}${level}`;
        }
        lines.push(row + COLOR_RESET);
      }
    }
    if (printColorset) {
      let samples = '';
      for (let level = 0; level <= 9; level++) samples += `${colorStart(colorset, level)}${level}`;
      const [hi, lo] = hl ?? [NaN, NaN];
      lines.push(`# access_frequency: ${samples}${COLOR_RESET} (${fixed3(lo)}-${fixed3(hi)} ${heatUnit})`);
    }
    const addrLen = g.addrUnitBytes * g.addrResol;
    lines.push(`# x-axis: space [${formatSzAccurate(g.addrStart, false)}, ${formatSzAccurate(g.addrStart + addrLen, false)}) (${formatSz(addrLen, false)})`);
    const timeLen = g.timeUnitNs * g.timeResol;
    const t0 = g.timeStartNs + this.displayBaseNs;
    lines.push(`# y-axis: time [${formatTimeNs(t0, false)}, ${formatTimeNs(t0 + timeLen, false)}) (${formatTimeNs(timeLen, false)})`);
    lines.push(
      `# resolution: ${g.addrResol}x${g.timeResol} (${formatSz(addrLen / g.addrResol, false)} and ${formatTimeNs(timeLen / g.timeResol, false)} for each character)`,
    );
    return lines.join('\n');
  }
}

function fixed3(x: number): string {
  return pyFixed(x, 3);
}
