// SPDX-License-Identifier: GPL-2.0-only
/**
 * The "guide" of `damo report heats`: per target, the time span of the recording and the
 * address ranges that stayed contiguous (never separated by an unmapped gap), with how hot
 * each range was. damo uses it to choose the default heatmap ranges: the first target of
 * the guide list, its whole time span, and its hottest contiguous range.
 *
 * Semantics are damo v2.4.9's `damo_record_info.get_guide_info` (docs/DESIGN-DECISIONS.md 4),
 * quirks included, so `--guide` and the default ranges match damo byte for byte:
 * - the start time is the END of the target's first snapshot;
 * - a lowest address (or a previous region end) of 0 counts as "not set yet";
 * - gaps are intersected snapshot by snapshot and never dropped, so they only shrink;
 * - a contiguous range's heat adds the FULL size x nr_accesses of every region that
 *   touches it (inclusive compare), not just the overlap.
 *
 * The contiguous ranges are known only at the end, yet one pass counts their heats too
 * (GuideScanner with countHeats, "Heats in the gaps pass" below); when a recording's quirks
 * keep it from that, a second pass counts them (GuideHeatCounter). Memory is O(targets x
 * gaps), plus the region bounds met in gaps while the pass runs (few: see below).
 */
import { emptySpan, spanOfSnapshot, type Snapshot, type SnapshotSpan, type TraceSource } from '../core/model.js';
import { forEachSpan } from '../core/trace_walk.js';

export interface GuideRegion {
  start: number;
  end: number;
  /** Sum of region size x nr_accesses over touching regions; null when nothing touched it. */
  heats: ExactSum | null;
}

export interface GuideInfo {
  /** Target id (damo's tid); null when the recording did not have one. */
  tid: bigint | null;
  /** Indexes into TraceHeader.targets with this id, in first-seen order. */
  targetIndexes: number[];
  startNs: number;
  endNs: number;
  lowestAddr: number | null;
  highestAddr: number | null;
  gaps: Array<[number, number]>;
  contigRegions: GuideRegion[];
}

/**
 * An exact non-negative integer sum (damo sums Python ints). Small terms are added in a
 * double while it stays exact; the rest spills into a bigint.
 */
export class ExactSum {
  private small = 0;
  private big = 0n;

  add(size: number, samples: number): void {
    const w = size * samples;
    if (w >= 2 ** 52 || !Number.isSafeInteger(size) || !Number.isSafeInteger(samples)) {
      this.big += BigInt(Math.trunc(size)) * BigInt(Math.trunc(samples));
      return;
    }
    this.small += w;
    if (this.small >= 2 ** 52) {
      this.big += BigInt(this.small);
      this.small = 0;
    }
  }

  value(): bigint {
    return this.big + BigInt(this.small);
  }

  /** Adds another sum's value. */
  addSum(o: ExactSum): void {
    this.big += o.value();
  }
}

/** damo's `heat_per_byte`: float(heats) / size, or 0 when nothing touched the range. */
export function heatPerByte(r: GuideRegion): number {
  if (r.heats === null) return 0;
  return Number(r.heats.value()) / (r.end - r.start);
}

export function totalSpace(g: GuideInfo): number {
  let total = 0;
  for (const r of contigRanges(g)) total += r[1] - r[0];
  return total;
}

/** [lowest, gap0.start], [gap0.end, gap1.start], ..., [gapN.end, highest]. */
export function contigRanges(g: GuideInfo): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = g.lowestAddr ?? 0;
  for (const [gs, ge] of g.gaps) {
    out.push([start, gs]);
    start = ge;
  }
  out.push([start, g.highestAddr ?? 0]);
  return out;
}

function tidKey(tid: bigint | null): string {
  return tid === null ? 'none' : tid.toString();
}

/**
 * Gaps between consecutive regions of one snapshot, with damo's "0 is unset" quirk, as flat
 * [start, end] pairs into `out` (grown when needed); returns the array and sets nrGapsOut
 * to their number.
 */
function snapshotGaps(snap: SnapshotSpan, out: Float64Array): Float64Array {
  const { starts, ends } = snap;
  let lastAddr = 0;
  let n = 0;
  for (let i = snap.from; i < snap.to; i++) {
    if (lastAddr === 0) {
      lastAddr = ends[i]!;
      continue;
    }
    if (lastAddr !== starts[i]!) {
      if (2 * n + 2 > out.length) out = grownPairs(out, 2 * n + 2);
      out[2 * n] = lastAddr;
      out[2 * n + 1] = starts[i]!;
      n++;
    }
    lastAddr = ends[i]!;
  }
  nrGapsOut = n;
  return out;
}

/** The number of gaps snapshotGaps() found (a module variable: no pair object per call). */
let nrGapsOut = 0;

function grownPairs(a: Float64Array, need: number): Float64Array {
  const b = new Float64Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

function isSortedPairs(gaps: Float64Array, n: number): boolean {
  for (let i = 1; i < n; i++) {
    if (gaps[2 * i]! < gaps[2 * i - 2]! || gaps[2 * i + 1]! < gaps[2 * i - 1]!) return false;
  }
  return true;
}

/**
 * Gaps in address order, each start at or below its end: what a snapshot of sorted regions
 * gives, and what the heats in the gaps pass rely on (ranges that only grow).
 */
function isOrderedGaps(gaps: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (gaps[2 * i]! > gaps[2 * i + 1]!) return false;
    if (i > 0 && gaps[2 * i - 1]! > gaps[2 * i]!) return false;
  }
  return true;
}

/**
 * damo's `overlapping_regions(old, new)`: each old gap is narrowed by every new gap it
 * overlaps (inclusive), in order, and kept even when nothing overlapped it. When the new
 * gaps are sorted (always, for sorted snapshots) only the ones that can overlap are
 * visited, which gives the same result without the quadratic scan. On flat [start, end]
 * pairs, `old`'s first `nrOld` narrowed in place: the guide pass allocates nothing per
 * snapshot (pairs as arrays were most of its garbage).
 */
function narrowGaps(old: Float64Array, nrOld: number, gaps: Float64Array, nrNew: number): void {
  const sorted = isSortedPairs(gaps, nrNew);
  for (let j = 0; j < nrOld; j++) {
    let s = old[2 * j]!;
    let e = old[2 * j + 1]!;
    let k = 0;
    if (sorted) {
      // First new gap whose end is >= s: earlier ones end before s and cannot overlap,
      // and narrowing only raises s.
      let lo = 0;
      let hi = nrNew;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (gaps[2 * mid + 1]! < s) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
    }
    for (; k < nrNew; k++) {
      const ns = gaps[2 * k]!;
      const ne = gaps[2 * k + 1]!;
      if (sorted && ns > e) break;
      if (!(e < ns || ne < s)) {
        s = Math.max(s, ns);
        e = Math.min(e, ne);
      }
    }
    old[2 * j] = s;
    old[2 * j + 1] = e;
  }
}

/** overlappingRegions() on pairs: damo's `overlapping_regions(old, new)` (narrowGaps()). */
export function overlappingRegions(
  oldGaps: Array<[number, number]>,
  newGaps: Array<[number, number]>,
): Array<[number, number]> {
  const old = Float64Array.from(oldGaps.flat());
  narrowGaps(old, oldGaps.length, Float64Array.from(newGaps.flat()), newGaps.length);
  return oldGaps.map((_, j) => [old[2 * j]!, old[2 * j + 1]!]);
}

/** First guide pass: time span, address bounds and gaps per target id. */
/**
 * How guides differ between damo versions: damo 3.x keeps one guide per (kdamond, context,
 * scheme, target id) and starts it when the first snapshot's oldest region started being
 * monitored (`oldest_monitor_time`); damo 2.4.9 keeps one per target id and starts it at
 * the end of the first snapshot.
 */
export interface GuideDialect {
  /**
   * The guide key of a target index (default: its target id), asked when a pass first meets
   * the index (a streamed source adds targets as its first pass reaches them).
   */
  keyOf?: (targetIndex: number) => string;
  /** The guide's start time from its first snapshot (default: the snapshot's end). */
  startOf?: (first: SnapshotSpan) => number;
}

/**
 * Heats in the gaps pass. Gaps only narrow and are never dropped, and the lowest address
 * only falls and the highest only rises, so each contiguous range only grows during the
 * pass, and their number stays that of the first snapshot's gaps plus one. A region that
 * touches range k as it stands when the region is met touches the final range k too: its
 * heat is counted at once. One that does not can touch the final range k only by lying
 * partly in a gap next to it, when that gap later narrows to reach it: ending at or after
 * the gap's current start and before range k's current start (range k then takes it when
 * its final start is at or below the region's end), or the mirror image. Those are kept
 * apart, summed by that one bound, and settled at finish(). Regions that end exactly at a
 * gap's start (every snapshot's last region before it) add to one sum per gap; a region
 * inside a gap is rarer (memory that appeared there), and if more than
 * MAX_DEFERRED_BOUNDS bounds pile up in one guide, or a quirk breaks the growth (a region starting at
 * address 0, which damo takes for "no lowest address yet"; a guide whose first snapshot had
 * no gaps and a later one had; a first snapshot whose regions are not in address order), the
 * scanner stops counting and the caller takes the second pass (heatsCounted()).
 */
const MAX_DEFERRED_BOUNDS = 1 << 16;

/**
 * One guide's contiguous ranges' heats, counted while its gaps pass runs ("Heats in the
 * gaps pass" above). add() takes each snapshot with the ranges as they stand after it;
 * settle() gives the final ranges their heats.
 */
class RangeHeatsInPass {
  /** Per range, the heat of regions known to touch it; null when none has. */
  private readonly sums: Array<ExactSum | null>;
  /** Per range k, by region end: regions ending in the gap before k that may reach it. */
  private readonly below: Array<Map<number, ExactSum>>;
  /** Per range k, by region start: regions starting in the gap after k that may reach it. */
  private readonly above: Array<Map<number, ExactSum>>;
  /** Bounds of the ranges as they now stand (scratch, per snapshot). */
  private readonly cs: Float64Array;
  private readonly ce: Float64Array;
  private nrDeferred = 0;

  constructor(private readonly nrRanges: number) {
    this.sums = new Array<ExactSum | null>(nrRanges).fill(null);
    this.below = Array.from({ length: nrRanges }, () => new Map<number, ExactSum>());
    this.above = Array.from({ length: nrRanges }, () => new Map<number, ExactSum>());
    this.cs = new Float64Array(nrRanges);
    this.ce = new Float64Array(nrRanges);
  }

  /**
   * One snapshot, against the ranges [lowest, gap 0's start], [gap 0's end, gap 1's
   * start], ..., [last gap's end, highest] of `gaps` (flat pairs, nrRanges - 1 of them).
   * False when too many bounds wait: the counts are then to be dropped.
   */
  add(snap: SnapshotSpan, lowest: number, highest: number, gaps: Float64Array): boolean {
    const m = this.nrRanges;
    const { cs, ce, sums } = this;
    cs[0] = lowest;
    for (let k = 0; k < m - 1; k++) {
      ce[k] = gaps[2 * k]!;
      cs[k + 1] = gaps[2 * k + 1]!;
    }
    ce[m - 1] = highest;
    const { starts, ends, nrAccesses } = snap;
    for (let i = snap.from; i < snap.to; i++) {
      const samples = nrAccesses[i]!;
      if (samples === 0) continue;
      const s = starts[i]!;
      const e = ends[i]!;
      for (let k = 0; k < m; k++) {
        if (e >= cs[k]! && s <= ce[k]!) {
          (sums[k] ??= new ExactSum()).add(e - s, samples);
        } else if (e < cs[k]!) {
          // Left of range k: in the gap before it, at or after that gap's start?
          if (k > 0 && e >= ce[k - 1]! && !this.defer(this.below[k]!, e, e - s, samples)) return false;
        } else if (k < m - 1 && s <= cs[k + 1]!) {
          // Right of range k, in the gap after it, at or before that gap's end.
          if (!this.defer(this.above[k]!, s, e - s, samples)) return false;
        }
      }
    }
    return true;
  }

  private defer(m: Map<number, ExactSum>, bound: number, size: number, samples: number): boolean {
    let sum = m.get(bound);
    if (sum === undefined) {
      if (++this.nrDeferred > MAX_DEFERRED_BOUNDS) return false;
      m.set(bound, (sum = new ExactSum()));
    }
    sum.add(size, samples);
    return true;
  }

  /** The final ranges' heats: the sums known to touch, and the kept-apart regions that reach them. */
  settle(regions: GuideRegion[]): void {
    for (let k = 0; k < regions.length; k++) {
      const r = regions[k]!;
      let sum = this.sums[k] ?? null;
      for (const [end, part] of this.below[k] ?? []) {
        if (end >= r.start) (sum ??= new ExactSum()).addSum(part);
      }
      for (const [start, part] of this.above[k] ?? []) {
        if (start <= r.end) (sum ??= new ExactSum()).addSum(part);
      }
      r.heats = sum;
    }
  }
}

interface KeptGaps {
  pairs: Float64Array;
  n: number;
  /** While the heats are counted: made at the guide's first snapshot. */
  heats: RangeHeatsInPass | null;
}

export class GuideScanner {
  private readonly byTid = new Map<string, GuideInfo>();
  /** Per guide key, its gaps so far as flat pairs (set into GuideInfo.gaps by finish()). */
  private readonly gapsOf = new Map<string, KeptGaps>();
  /** Counting the heats in this pass, and nothing has stopped it. */
  private countingHeats: boolean;
  private scratch: Float64Array = new Float64Array(64);
  private readonly idOf: (targetIndex: number) => bigint | null;

  /** Each target index's guide key, made once: a bigint's text per snapshot showed in profiles. */
  private readonly keys: string[] = [];
  private readonly own = emptySpan();

  /**
   * `targetIds`: the id of each target index, or a function that gives it when the scanner
   * first meets the index (a streamed source adds targets as its first pass reaches them).
   */
  constructor(
    targetIds: ReadonlyArray<bigint | null> | ((targetIndex: number) => bigint | null),
    private readonly dialect: GuideDialect = {},
    /** Count the contiguous ranges' heats in this pass when the recording allows it. */
    countHeats = false,
  ) {
    this.idOf = typeof targetIds === 'function' ? targetIds : (t) => targetIds[t] ?? null;
    this.countingHeats = countHeats;
  }

  /** Whether finish() gives the ranges' heats (else they are null, for GuideHeatCounter). */
  heatsCounted(): boolean {
    return this.countingHeats;
  }

  private stopCountingHeats(): void {
    this.countingHeats = false;
    for (const kept of this.gapsOf.values()) kept.heats = null;
  }

  add(snap: Snapshot): void {
    this.addSpan(spanOfSnapshot(snap, this.own));
  }

  addSpan(snap: SnapshotSpan): void {
    const t = snap.targetIndex;
    const key = this.keys[t] ?? (this.keys[t] = this.dialect.keyOf?.(t) ?? tidKey(this.idOf(t)));
    let guide = this.byTid.get(key);
    if (guide === undefined) {
      guide = {
        tid: this.idOf(t),
        targetIndexes: [],
        startNs: this.dialect.startOf?.(snap) ?? snap.endNs,
        endNs: snap.endNs,
        lowestAddr: null,
        highestAddr: null,
        gaps: [],
        contigRegions: [],
      };
      this.byTid.set(key, guide);
    }
    if (!guide.targetIndexes.includes(snap.targetIndex)) guide.targetIndexes.push(snap.targetIndex);
    guide.endNs = snap.endNs;
    const { starts, ends } = snap;
    for (let i = snap.from; i < snap.to; i++) {
      const s = starts[i]!;
      const e = ends[i]!;
      if (!guide.lowestAddr || s < guide.lowestAddr) guide.lowestAddr = s;
      if (!guide.highestAddr || e > guide.highestAddr) guide.highestAddr = e;
      if (s === 0 && this.countingHeats) this.stopCountingHeats();
    }
    let kept = this.gapsOf.get(key);
    if (kept === undefined) this.gapsOf.set(key, (kept = { pairs: new Float64Array(64), n: 0, heats: null }));
    const gaps = (this.scratch = snapshotGaps(snap, this.scratch));
    const n = nrGapsOut;
    if (kept.n === 0) {
      if (kept.pairs.length < 2 * n) kept.pairs = grownPairs(kept.pairs, 2 * n);
      kept.pairs.set(gaps.subarray(0, 2 * n));
      kept.n = n;
      // Gaps adopted after the guide's first snapshot (heats already made) change the ranges' number.
      if (n > 0 && this.countingHeats && (kept.heats !== null || !isOrderedGaps(kept.pairs, n))) this.stopCountingHeats();
    } else narrowGaps(kept.pairs, kept.n, gaps, n);
    if (this.countingHeats) this.countHeats(snap, guide, kept);
  }

  /** Heats in the gaps pass (above), for one snapshot, against the ranges as they now stand. */
  private countHeats(snap: SnapshotSpan, guide: GuideInfo, kept: KeptGaps): void {
    kept.heats ??= new RangeHeatsInPass(kept.n + 1);
    if (!kept.heats.add(snap, guide.lowestAddr ?? 0, guide.highestAddr ?? 0, kept.pairs)) this.stopCountingHeats();
  }

  /** Guides in first-seen order, with contiguous regions set and heats not yet counted. */
  finish(): GuideInfo[] {
    for (const [key, kept] of this.gapsOf) {
      const g = this.byTid.get(key) as GuideInfo;
      g.gaps = Array.from({ length: kept.n }, (_, j) => [kept.pairs[2 * j]!, kept.pairs[2 * j + 1]!] as [number, number]);
    }
    const guides = [...this.byTid.values()];
    for (const g of guides) {
      g.contigRegions = contigRanges(g).map(([start, end]) => ({ start, end, heats: null }));
    }
    if (this.countingHeats) {
      for (const [key, kept] of this.gapsOf) kept.heats?.settle((this.byTid.get(key) as GuideInfo).contigRegions);
    }
    return guides;
  }
}

/** Second guide pass: heats of the contiguous regions of the given guides. */
export class GuideHeatCounter {
  private readonly byTid = new Map<string, GuideInfo>();
  private readonly targetIds: ReadonlyArray<bigint | null>;

  constructor(
    targetIds: ReadonlyArray<bigint | null>,
    guides: GuideInfo[],
    private readonly keys?: readonly string[],
  ) {
    this.targetIds = targetIds;
    for (const g of guides) this.byTid.set(keys?.[g.targetIndexes[0] as number] ?? tidKey(g.tid), g);
    this.guideOf = targetIds.map((tid, t) => this.byTid.get(keys?.[t] ?? tidKey(tid)));
  }

  /** Each target index's guide, found once. */
  private readonly guideOf: Array<GuideInfo | undefined>;
  private readonly own = emptySpan();

  add(snap: Snapshot): void {
    this.addSpan(spanOfSnapshot(snap, this.own));
  }

  addSpan(snap: SnapshotSpan): void {
    const t = snap.targetIndex;
    const guide = t < this.guideOf.length ? this.guideOf[t] : this.byTid.get(this.keys?.[t] ?? tidKey(this.targetIds[t] ?? null));
    if (guide === undefined) return;
    const regions = guide.contigRegions;
    const { starts, ends, nrAccesses } = snap;
    for (let i = snap.from; i < snap.to; i++) {
      const samples = nrAccesses[i]!;
      if (samples === 0) continue;
      const s = starts[i]!;
      const e = ends[i]!;
      for (const gr of regions) {
        if (e < gr.start || gr.end < s) continue;
        gr.heats ??= new ExactSum();
        gr.heats.add(e - s, samples);
      }
    }
  }
}

/** damo's order: by total contiguous space, largest first; ties keep first-seen order. */
export function sortGuides(guides: GuideInfo[]): GuideInfo[] {
  return guides
    .map((g, i) => ({ g, i, space: totalSpace(g) }))
    .sort((a, b) => b.space - a.space || a.i - b.i)
    .map((x) => x.g);
}

/** The contiguous region with the highest heat per byte; the first one on ties. */
export function hottestRegion(guide: GuideInfo): GuideRegion | null {
  let best: GuideRegion | null = null;
  let bestHeat = -Infinity;
  for (const r of guide.contigRegions) {
    const h = heatPerByte(r);
    if (h > bestHeat) {
      best = r;
      bestHeat = h;
    }
  }
  return best;
}

export function targetIdsOf(source: TraceSource): Array<bigint | null> {
  return source.header.targets.map((t) => t.id);
}

/** Both passes; guides sorted as damo prints them. */
export async function computeGuides(source: TraceSource, dialect: GuideDialect = {}): Promise<GuideInfo[]> {
  // Ids as the pass meets the targets: a streamed source may add some during it.
  const scanner = new GuideScanner((t) => source.header.targets[t]?.id ?? null, dialect, true);
  await forEachSpan(source, (snap) => scanner.addSpan(snap));
  const guides = scanner.finish();
  if (scanner.heatsCounted()) return sortGuides(guides);
  const keyOf = dialect.keyOf;
  const counter = new GuideHeatCounter(targetIdsOf(source), guides, keyOf === undefined ? undefined : source.header.targets.map((_, t) => keyOf(t)));
  await forEachSpan(source, (snap) => counter.addSpan(snap));
  return sortGuides(guides);
}
