// SPDX-License-Identifier: GPL-2.0-only
/**
 * `report nr_regions`: the distribution of the number of regions per snapshot, as damo
 * prints it (damo `damo_nr_regions.py`): the first 20 snapshots of each record are skipped
 * (DAMON has not adapted its regions yet), values are sorted unless sorted by time, and
 * every record is printed on its own (no collapsing, unlike wss).
 */
import { pyInt, percentileIndex } from '../core/fmt.js';
import { nrRegionsOf, type SnapshotCounts, type TraceSource } from '../core/model.js';
import { perTargetValues } from '../core/trace_walk.js';
import { Float64List } from '../core/value_list.js';
import { exactMean } from './records.js';

/** damo skips this many snapshots, hard-coded. */
export const NR_REGIONS_SKIP = 20;

export interface NrRegionsOptions {
  percentiles: number[];
  sortBy: 'size' | 'time';
}

export interface NrRegionsDist {
  targetId: bigint | null;
  values: Float64Array;
}

export async function nrRegionsDists(src: TraceSource, opts: NrRegionsOptions): Promise<NrRegionsDist[]> {
  const batches = src.snapshotsOfTarget === undefined ? (src.snapshotCounts ?? src.snapshotColumns) : undefined;
  const perTarget = batches !== undefined ? await perTargetNrRegions(batches.call(src), src.header.targets.length) : await perTargetValues(src, nrRegionsOf);
  return perTarget.map((list, t) => {
    const values = list instanceof Float64List ? list.toArray(NR_REGIONS_SKIP) : Float64Array.from(list.slice(NR_REGIONS_SKIP));
    if (opts.sortBy === 'size') values.sort();
    return { targetId: src.header.targets[t]?.id ?? null, values };
  });
}

/** perTargetValues(src, nrRegionsOf) through batches of snapshot shapes (columns, or counts alone). */
async function perTargetNrRegions(batches: AsyncIterable<SnapshotCounts>, nrTargets: number): Promise<Float64List[]> {
  const out: Float64List[] = Array.from({ length: nrTargets }, () => new Float64List());
  for await (const c of batches) addBatchNrRegions(c, out);
  return out;
}

/**
 * perTargetNrRegions() of one batch: the hot loop in a small function of its own, which V8
 * optimizes sooner than the async function around it (docs/PERFORMANCE.md, "Small hot
 * functions").
 */
function addBatchNrRegions(c: SnapshotCounts, out: Float64List[]): void {
  for (let k = 0; k < c.count; k++) {
    const t = c.targetIndex[k] as number;
    while (out.length <= t) out.push(new Float64List());
    (out[t] as Float64List).push((c.offsets[k + 1] as number) - (c.offsets[k] as number));
  }
}

export function formatNrRegions(dists: NrRegionsDist[], opts: NrRegionsOptions): string {
  const lines = ['# <percentile> <# regions>'];
  for (const d of dists) {
    lines.push(`# target_id\t${d.targetId === null ? 'None' : d.targetId.toString()}`);
    if (d.values.length === 0) {
      // damo divides by zero here; say what happened instead.
      lines.push(`# no snapshot (the first ${NR_REGIONS_SKIP} snapshots are skipped)`);
      continue;
    }
    lines.push(`# avr:\t${pyInt(exactMean(d.values))}`);
    for (const p of opts.percentiles) {
      lines.push(`${pyInt(p)}\t${pyInt(d.values[percentileIndex(p, d.values.length)] as number)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function nrRegionsJson(dists: NrRegionsDist[], opts: NrRegionsOptions): unknown {
  return {
    report: 'nr_regions',
    sorted_by: opts.sortBy,
    skipped_snapshots: NR_REGIONS_SKIP,
    targets: dists.map((d) => {
      const n = d.values.length;
      return {
        target_id: d.targetId === null ? null : d.targetId.toString(),
        nr_snapshots: n,
        avr_nr_regions: n === 0 ? null : exactMean(d.values),
        percentiles:
          n === 0 ? [] : opts.percentiles.map((p) => ({ percentile: p, nr_regions: d.values[percentileIndex(p, n)] as number })),
      };
    }),
  };
}
