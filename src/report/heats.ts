// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heats`: choose the target and ranges (from the user or, like damo, from the
 * guide), then stream the snapshots into heat grids.
 *
 * Passes over the recording (each one streams it again; nothing is held):
 * - everything given by the user: one pass;
 * - otherwise one guide pass for the target, time span and contiguous ranges, which also
 *   counts the ranges' heats when the recording allows (guide.ts, "Heats in the gaps pass"),
 *   then one grid pass: two in all;
 * - when it does not, without --address_range, one pass that counts the guide heats AND
 *   fills one grid per contiguous range at once, so the hottest range's grid is ready when
 *   the pass ends. If that would need more than PIXEL_BUDGET cells (many ranges x high
 *   resolution), when the source holds the recording in memory (snapshotsOfTarget or
 *   holdsRecording: a pass then reads no file and costs less than drawing the ranges that
 *   are not the hottest: 0.3 s less on damo's test recording x100), or when drawing those
 *   ranges would take longer than the guide pass took (fusedPassPays), a heats pass and a
 *   grid pass.
 */
import { DamoError } from '../core/errors.js';
import { formatTimeNs } from '../core/fmt.js';
import type { SnapshotSpan, TraceSource } from '../core/model.js';
import { forEachSpan } from '../core/trace_walk.js';
import {
  GuideHeatCounter,
  GuideScanner,
  hottestRegion,
  sortGuides,
  targetIdsOf,
  type GuideInfo,
} from './guide.js';
import { HeatGrid, heatmapGeometry, type HeatmapGeometry } from './heatgrid.js';
import { nothingDrawn } from './range_checks.js';

/** A time bound: absolute (in the recording's time base) or relative to the default start. */
export interface TimeBound {
  ns: number;
  relative: boolean;
}

export interface HeatsRequest {
  tid?: bigint | null;
  timeRange?: readonly [TimeBound, TimeBound];
  addressRange?: readonly [number, number];
  /** [time rows, address columns]. */
  resol: readonly [number, number];
}

export interface HeatsResult {
  tid: bigint | null;
  geometry: HeatmapGeometry;
  /** The ranges before compensation (what damo's image axes use). */
  timeRange: [number, number];
  addressRange: [number, number];
  /** One grid per damo record (target index) with the tid, in target-index order. */
  grids: Array<{ targetIndex: number; grid: HeatGrid }>;
  /** The chosen target's guide, when one was computed. */
  guide: GuideInfo | null;
  /** How many times the recording was streamed. */
  nrPasses: number;
}

/** Cells (x 8 bytes) the fused pass may allocate for candidate ranges: 32 MiB. */
const PIXEL_BUDGET = 4 * 1024 * 1024;

/**
 * What adding a snapshot's time fraction to one cell costs, about: HeatGrid.addHeats on the
 * project's 2-CPU machine, where the grid pass of `report heats` on our trace of damo's test
 * recording x1000 (543,000 snapshots over 500 columns: ~271M cell updates) took ~670 ms
 * (2026-12-06, profiled; 5 ns before addHeats took the columns a region covers whole in one
 * loop).
 */
const CELL_UPDATE_NS = 2.5;

/**
 * Whether filling every candidate range's grid in the heats pass (the fused pass) costs
 * less than a pass more for the hottest range's grid alone: `extraCells` is about how many
 * cell updates the ranges that will not be drawn take (each snapshot covers about a row of
 * each range), `passNs` what the guide pass took. A damo-ts trace decodes fast enough that
 * on many small snapshots the pass more is cheaper; a large damo JSON file read anew is not.
 */
export function fusedPassPays(extraCells: number, passNs: number): boolean {
  return extraCells * CELL_UPDATE_NS < passNs;
}

function tidLabel(tid: bigint | null): string {
  return tid === null ? 'none' : tid.toString();
}

/**
 * Whether computeHeats() takes a guide pass first (the recording's ranges are needed). That
 * pass meets every target, so the source need not list them all before it
 * (format/open_for_report.ts, streamDamoJson 'passes').
 */
export function heatsNeedGuide(req: {
  tid?: HeatsRequest['tid'] | undefined;
  timeRange?: HeatsRequest['timeRange'] | undefined;
  addressRange?: HeatsRequest['addressRange'] | undefined;
}): boolean {
  const relativeTime = req.timeRange !== undefined && (req.timeRange[0].relative || req.timeRange[1].relative);
  return req.tid === undefined || req.timeRange === undefined || relativeTime || req.addressRange === undefined;
}

/**
 * `observe`, when given, sees every snapshot once, during the first pass (which walks them
 * all): a report that needs something more of the recording (the image's recorded mean
 * aggregation) gets it without a pass of its own.
 */
export async function computeHeats(source: TraceSource, req: HeatsRequest, observe?: (s: SnapshotSpan) => void): Promise<HeatsResult> {
  let firstPass = observe;
  let ids = targetIdsOf(source);
  const needGuide = heatsNeedGuide(req);
  let nrPasses = 0;
  /** Snapshots per target index, and what the guide pass took: what a pass more would cost. */
  const nrSnapshotsOf: number[] = [];
  let guidePassNs = Infinity;

  let guide: GuideInfo | null = null;
  let tid: bigint | null;
  /** The guide pass counted the contiguous ranges' heats (GuideScanner countHeats). */
  let guideHeatsCounted = false;
  if (needGuide) {
    // Ids as the pass meets the targets: a streamed source may add some during it.
    // Without --address_range the hottest range is drawn: count the ranges' heats now.
    const scanner = new GuideScanner((t) => source.header.targets[t]?.id ?? null, {}, req.addressRange === undefined);
    const startedMs = performance.now();
    await forEachSpan(source, (snap) => {
      firstPass?.(snap);
      scanner.addSpan(snap);
      nrSnapshotsOf[snap.targetIndex] = (nrSnapshotsOf[snap.targetIndex] ?? 0) + 1;
    });
    guidePassNs = (performance.now() - startedMs) * 1e6;
    firstPass = undefined;
    nrPasses += 1;
    ids = targetIdsOf(source);
    const guides = sortGuides(scanner.finish());
    guideHeatsCounted = scanner.heatsCounted();
    if (guides.length === 0) {
      throw new DamoError('E_FORMAT', `${source.path} has no snapshots to draw`);
    }
    if (req.tid === undefined) {
      guide = guides[0]!;
    } else {
      guide = guides.find((g) => g.tid === req.tid) ?? null;
      if (guide === null) throw noSuchTarget(source.path, req.tid, guides.map((g) => g.tid));
    }
    tid = guide.tid;
  } else {
    tid = req.tid ?? null;
  }

  const targetIndexes = ids.flatMap((id, i) => (id === tid ? [i] : []));
  if (targetIndexes.length === 0) {
    throw noSuchTarget(source.path, tid, [...new Set(ids)]);
  }

  const timeRange = resolveTimeRange(req.timeRange, guide);
  if (guide !== null && req.timeRange !== undefined && (timeRange[1] <= guide.startNs || timeRange[0] >= guide.endNs)) {
    // Nothing would be drawn: say what the recording covers instead of printing empty cells.
    const rel = (ns: number): string => formatTimeNs(ns - guide!.startNs, false);
    throw new DamoError(
      'E_USAGE',
      `--time_range ${rel(timeRange[0])} ${rel(timeRange[1])} (from the recording's start) is outside ${source.path}, ` +
        `which spans 0 ns to ${rel(guide.endNs)} (${guide.startNs} to ${guide.endNs} ns of its clock)`,
      { hint: 'run with --guide to see the time span and address ranges of each target' },
    );
  }
  let addressRange: [number, number] | null = req.addressRange ? [req.addressRange[0], req.addressRange[1]] : null;
  if (
    guide !== null && addressRange !== null && guide.lowestAddr !== null && guide.highestAddr !== null &&
    (addressRange[1] <= guide.lowestAddr || addressRange[0] >= guide.highestAddr)
  ) {
    throw new DamoError(
      'E_USAGE',
      `--address_range ${addressRange[0]} ${addressRange[1]} matches nothing in ${source.path}: target ${tidLabel(guide.tid)}'s ` +
        `regions span ${guide.lowestAddr} to ${guide.highestAddr}`,
      { hint: 'run with --guide to see the contiguous address ranges of each target' },
    );
  }
  const resol = req.resol;

  const newGrids = (range: readonly [number, number]): Array<{ targetIndex: number; grid: HeatGrid }> => {
    const geometry = heatmapGeometry(timeRange, range, resol);
    return targetIndexes.map((targetIndex) => ({ targetIndex, grid: new HeatGrid(geometry) }));
  };
  const fill = async (grids: Array<{ targetIndex: number; grid: HeatGrid }>, counter?: GuideHeatCounter): Promise<void> => {
    const byIndex = new Map(grids.map((g) => [g.targetIndex, g.grid]));
    await forEachSpan(source, (snap) => {
      firstPass?.(snap);
      counter?.addSpan(snap);
      byIndex.get(snap.targetIndex)?.addSpan(snap);
    });
    firstPass = undefined;
    nrPasses += 1;
  };

  if (addressRange === null && !guideHeatsCounted) {
    const g = guide!;
    const candidates = g.contigRegions;
    const cells = candidates.length * targetIndexes.length * resol[0] * resol[1];
    let nrSnapshots = 0;
    for (const t of targetIndexes) nrSnapshots += nrSnapshotsOf[t] ?? 0;
    const extraCells = (candidates.length - 1) * nrSnapshots * resol[1];
    if (cells <= PIXEL_BUDGET && source.snapshotsOfTarget === undefined && source.holdsRecording !== true && fusedPassPays(extraCells, guidePassNs)) {
      // Ranges too small for the resolution cannot be drawn; they can still be hottest,
      // which then fails below exactly as it would without the fused pass.
      const perRange = candidates.map((r) => {
        try {
          return newGrids([r.start, r.end]);
        } catch {
          return null;
        }
      });
      const counter = new GuideHeatCounter(ids, [g]);
      const byIndex = new Map<number, HeatGrid[]>();
      for (const grids of perRange) {
        for (const { targetIndex, grid } of grids ?? []) {
          const list = byIndex.get(targetIndex) ?? [];
          list.push(grid);
          byIndex.set(targetIndex, list);
        }
      }
      await forEachSpan(source, (snap) => {
        counter.addSpan(snap);
        const list = byIndex.get(snap.targetIndex);
        if (list !== undefined) for (const grid of list) grid.addSpan(snap);
      });
      nrPasses += 1;
      const hottest = hottestRegion(g)!;
      addressRange = [hottest.start, hottest.end];
      const grids = perRange[candidates.indexOf(hottest)] ?? newGrids(addressRange);
      return { tid, geometry: grids[0]!.grid.geometry, timeRange, addressRange, grids, guide, nrPasses };
    }
    const counter = new GuideHeatCounter(ids, [g]);
    await forEachSpan(source, (snap) => counter.addSpan(snap));
    nrPasses += 1;
  }
  if (addressRange === null) {
    const hottest = hottestRegion(guide!)!;
    addressRange = [hottest.start, hottest.end];
  }

  const grids = newGrids(addressRange);
  await fill(grids);
  // damo 2.4.9 prints an all-zero map for a range no region reaches (e.g. one in a gap
  // between monitored ranges); zero there means "nothing recorded", not "cold".
  const userRange = req.addressRange !== undefined || req.timeRange !== undefined;
  if (userRange && grids.every(({ grid }) => grid.nrRegionsDrawn === 0)) {
    const addressTyped = req.addressRange === undefined ? null : `${req.addressRange[0]} ${req.addressRange[1]}`;
    const timeTyped = req.timeRange === undefined ? null : `${req.timeRange[0].ns} ${req.timeRange[1].ns}`;
    if (guide !== null) throw nothingDrawn(addressTyped, timeTyped, addressRange, guide, `${source.path}'s target ${tidLabel(guide.tid)}`);
    throw new DamoError('E_USAGE', `the asked ranges select no recorded region of ${source.path}: every cell of the map would be empty`, {
      hint: 'run with --guide to see the time span and the contiguous address ranges of each target',
    });
  }
  return { tid, geometry: grids[0]!.grid.geometry, timeRange, addressRange, grids, guide, nrPasses };
}

function resolveTimeRange(range: HeatsRequest['timeRange'], guide: GuideInfo | null): [number, number] {
  if (range === undefined) return [guide!.startNs, guide!.endNs];
  const base = guide?.startNs ?? 0;
  const [a, b] = range;
  return [a.relative ? base + a.ns : a.ns, b.relative ? base + b.ns : b.ns];
}

function noSuchTarget(path: string, tid: bigint | null, available: Array<bigint | null>): DamoError {
  return new DamoError('E_USAGE', `${path} has no target with id ${tidLabel(tid)}`, {
    hint: `its target ids are: ${available.map(tidLabel).join(', ') || '(none)'}; run with --guide to see them`,
  });
}
