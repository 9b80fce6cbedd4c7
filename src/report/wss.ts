// SPDX-License-Identifier: GPL-2.0-only
/**
 * `report wss`: the distribution of working set sizes, as damo computes and prints it
 * (damo `damo_wss.py`, `_damo_dist.py`):
 *
 * 1. per record (target): drop the first `exclude_samples` snapshots and re-aggregate the
 *    rest into groups spanning `work_time` (records.ts);
 * 2. per snapshot: wss = total size of regions with nr_accesses >= acc_thres and
 *    size >= sz_thres;
 * 3. sort ascending (unless sorted by time), then, by default, collapse all targets into one
 *    list summed element-wise under target id 0;
 * 4. print percentiles `int(p / 100.0 * len)` (clamped) with a bar, or every value.
 */
import { interruptible } from '../core/interrupts.js';
import { formatSz, padLeft, percentileIndex, pyInt } from '../core/fmt.js';
import { type Snapshot, type SnapshotColumns, snapshotCopyOfColumns, snapshotOfColumns, type TraceSource } from '../core/model.js';
import { Float64List } from '../core/value_list.js';
import { aggregateSnapshots, exactMean, SnapshotAdjuster, type Adjusted } from './records.js';

export interface WssOptions {
  percentiles: number[];
  excludeSamples: number;
  accThres: number;
  szThres: number;
  workTimeUs: number;
  sortBy: 'size' | 'time';
  perTarget: boolean;
  rawNumber: boolean;
  allWss: boolean;
  nrColsBar: number;
}

/** Widest bar chart: a bar is built as one string per line. */
export const MAX_NR_COLS_BAR = 10000;

export const WSS_DEFAULTS: WssOptions = {
  percentiles: [0, 25, 50, 75, 100],
  excludeSamples: 20,
  accThres: 1,
  szThres: 1,
  workTimeUs: 1,
  sortBy: 'size',
  perTarget: false,
  rawNumber: false,
  allWss: false,
  nrColsBar: 59,
};

export interface WssDist {
  /** Decimal target id; '0' for the collapsed list, 'None' for records without an id. */
  targetId: string;
  values: Float64Array;
}

/** Working set of one (adjusted) snapshot: bytes of regions with nr_accesses >= accThres and size >= szThres. */
export function wssOf(a: Adjusted, accThres: number, szThres: number): number {
  let wss = 0;
  if (a.kind === 'same') {
    const s = a.snapshot;
    const n = s.starts.length;
    for (let i = 0; i < n; i++) {
      const sz = (s.ends[i] as number) - (s.starts[i] as number);
      if ((s.nrAccesses[i] as number) < accThres) continue;
      if (sz < szThres) continue;
      wss += sz;
    }
    return wss;
  }
  const s = a;
  const n = s.sizes.length;
  for (let i = 0; i < n; i++) {
    const sz = s.sizes[i] as number;
    if ((s.nrAccesses[i] as number) < accThres) continue;
    if (sz < szThres) continue;
    wss += sz;
  }
  return wss;
}

/**
 * wssOf() of snapshot k of a column batch when its regions are sorted and disjoint (damo's
 * aggregation of it alone is then the identity); -1 when they are not.
 */
function wssOfSortedDisjoint(c: SnapshotColumns, k: number, accThres: number, szThres: number): number {
  const from = c.offsets[k] as number;
  const to = c.offsets[k + 1] as number;
  const starts = c.starts;
  const ends = c.ends;
  const nrAccesses = c.nrAccesses;
  let wss = 0;
  let prevEnd = -Infinity;
  for (let i = from; i < to; i++) {
    const start = starts[i] as number;
    const end = ends[i] as number;
    if (!(start < end) || start < prevEnd) return -1;
    prevEnd = end;
    const sz = end - start;
    if ((nrAccesses[i] as number) < accThres) continue;
    if (sz < szThres) continue;
    wss += sz;
  }
  return wss;
}

function targetIdText(id: bigint | null | undefined): string {
  return id === null || id === undefined ? 'None' : id.toString();
}

/** What else a report counts in the pass over a streamed recording, one snapshot at a time. */
export interface PassObserver {
  add(s: Snapshot): void;
  /** add() of snapshot k of a column batch. */
  addOfColumns(c: SnapshotColumns, k: number): void;
}

/**
 * wssDists() of one column batch. A function of its own, not a loop in wssDists: V8
 * optimizes a small hot function soon, while TurboFan took 30-60 ms to compile the async
 * wssDists with this loop in it, which ran unoptimized until then (docs/PERFORMANCE.md,
 * "Small hot functions").
 */
function addBatchWss(c: SnapshotColumns, perRecord: Float64List[], adjusterOf: (t: number) => SnapshotAdjuster, opts: WssOptions, observers: readonly PassObserver[]): void {
  for (let k = 0; k < c.count; k++) {
    for (let i = 0; i < observers.length; i++) (observers[i] as PassObserver).addOfColumns(c, k);
    const t = c.targetIndex[k] as number;
    const a = adjusterOf(t);
    const taken = a.takesAlone(c.startNs[k] as number, c.endNs[k] as number);
    if (taken === 'skip') continue;
    const wss = taken === 'alone' ? wssOfSortedDisjoint(c, k, opts.accThres, opts.szThres) : -1;
    if (wss >= 0) (perRecord[t] as Float64List).push(wss);
    else if (taken === 'alone') (perRecord[t] as Float64List).push(wssOf(aggregateSnapshots([snapshotOfColumns(c, k)]), opts.accThres, opts.szThres));
    // The adjuster keeps it past this batch, whose memory the next one reuses.
    else a.push(snapshotCopyOfColumns(c, k));
  }
}

/**
 * Computes the wss lists (damo `get_wss_dists`), one pass over the recording. `observers`
 * see every snapshot of that pass in file order (other numbers a report wants from the same
 * pass); they are only called for sources without snapshotsOfTarget (streamed ones).
 */
export async function wssDists(src: TraceSource, opts: WssOptions, observers: readonly PassObserver[] = []): Promise<WssDist[]> {
  const perRecord: Float64List[] = [];
  const adjusters: SnapshotAdjuster[] = [];
  const adjusterOf = (t: number): SnapshotAdjuster => {
    let a = adjusters[t];
    if (a === undefined) {
      while (perRecord.length <= t) perRecord.push(new Float64List());
      const list = perRecord[t] as Float64List;
      a = new SnapshotAdjuster(opts.excludeSamples, opts.workTimeUs, (agg) => list.push(wssOf(agg, opts.accThres, opts.szThres)));
      adjusters[t] = a;
    }
    return a;
  };
  src.header.targets.forEach((_, t) => adjusterOf(t));
  if (src.snapshotsOfTarget !== undefined) {
    for (let t = 0; t < src.header.targets.length; t++) {
      const a = adjusterOf(t);
      for await (const s of interruptible(src.snapshotsOfTarget(t))) a.push(s);
    }
  } else if (src.snapshotColumns !== undefined) {
    for await (const c of src.snapshotColumns()) addBatchWss(c, perRecord, adjusterOf, opts, observers);
  } else {
    for await (const s of interruptible(src.snapshots())) {
      for (const o of observers) o.add(s);
      adjusterOf(s.targetIndex).push(s);
    }
  }

  // damo keys a dict by target id: a later record with the same id replaces the earlier
  // list but keeps its position.
  const byId = new Map<string, Float64Array>();
  perRecord.forEach((list, t) => {
    const values = list.toArray();
    if (opts.sortBy === 'size') values.sort();
    byId.set(targetIdText(src.header.targets[t]?.id), values);
  });
  if (opts.perTarget) return [...byId].map(([targetId, values]) => ({ targetId, values }));
  // One list collapses to itself (0 + v is v for these sums of sizes, never -0): no copy of
  // 543,000 values in fresh memory for damo's test recording x1000.
  if (byId.size === 1) return [{ targetId: '0', values: byId.values().next().value as Float64Array }];
  let length = 0;
  for (const values of byId.values()) length = Math.max(length, values.length);
  const collapsed = new Float64Array(length);
  for (const values of byId.values()) for (let i = 0; i < values.length; i++) collapsed[i] = (collapsed[i] as number) + (values[i] as number);
  return [{ targetId: '0', values: collapsed }];
}

/** damo `fmt_dists` for one list (no trailing newline). */
export function formatDist(
  metricName: string,
  dists: Float64Array,
  percentiles: number[],
  printAll: boolean,
  format: (v: number, raw: boolean) => string,
  raw: boolean,
  nrColsBar: number,
): string {
  const lines = [`# <percentile> <${metricName}>`];
  if (dists.length === 0) {
    lines.push('# no snapshot');
    return lines.join('\n');
  }
  lines.push(`# avr:\t${format(exactMean(dists), raw)}`);
  if (printAll) {
    dists.forEach((v, i) => lines.push(`${i} ${format(v, raw)}`));
    return lines.join('\n');
  }
  const at = (p: number): number => dists[percentileIndex(p, dists.length)] as number;
  let valPerCol = 1;
  if (nrColsBar > 0) {
    let maxVal = 0;
    for (const p of percentiles) {
      const v = at(p);
      if (maxVal <= v) maxVal = v;
    }
    valPerCol = maxVal > 0 ? maxVal / nrColsBar : 1;
  }
  for (const p of percentiles) {
    const v = at(p);
    let line = `${padLeft(pyInt(p), 3)} ${padLeft(format(v, raw), 15)}`;
    if (nrColsBar > 0) {
      const cols = Math.trunc(v / valPerCol);
      line += ` |${'*'.repeat(Math.max(0, cols))}${' '.repeat(Math.max(0, nrColsBar - cols))}|`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** The text damo prints for `report wss` (with its final newline). */
export function formatWss(dists: WssDist[], opts: WssOptions): string {
  let out = '';
  for (const d of dists) {
    out += `# target_id\t${d.targetId}\n`;
    out += formatDist('wss', d.values, opts.percentiles, opts.allWss, formatSz, opts.rawNumber, opts.nrColsBar) + '\n';
  }
  return out;
}

/** One JSON document for machines: units in field names, ids as exact decimal strings. */
export function wssJson(dists: WssDist[], opts: WssOptions): unknown {
  return {
    report: 'wss',
    collapsed_targets: !opts.perTarget,
    sorted_by: opts.sortBy,
    options: {
      exclude_samples: opts.excludeSamples,
      acc_thres_samples: opts.accThres,
      sz_thres_bytes: opts.szThres,
      work_time_us: opts.workTimeUs,
    },
    targets: dists.map((d) => {
      const n = d.values.length;
      const entry: Record<string, unknown> = {
        target_id: d.targetId === 'None' ? null : d.targetId,
        nr_snapshots: n,
        avr_wss_bytes: n === 0 ? null : exactMean(d.values),
      };
      if (opts.allWss) entry['all_wss_bytes'] = Array.from(d.values);
      else {
        entry['percentiles'] =
          n === 0
            ? []
            : opts.percentiles.map((p) => ({ percentile: p, wss_bytes: d.values[percentileIndex(p, n)] as number }));
      }
      return entry;
    }),
  };
}
