// SPDX-License-Identifier: GPL-2.0-only
/**
 * Walking a recording target by target, the order damo computes and prints in (one record
 * per target, in the order targets first appear). Sources that hold their snapshots in
 * memory hand out each target's list (TraceSource.snapshotsOfTarget); streamed ones take
 * one pass per target, so memory stays bounded. Every walk lets signal handlers run
 * between snapshots (core/interrupts.ts), so an interrupt ends even a walk over a list
 * already in memory within a fraction of a second.
 */
import { interruptCheck, interruptible } from './interrupts.js';
import { emptySpan, snapshotOfColumns, spanOfColumns, spanOfSnapshot, type Snapshot, type SnapshotSpan, type TraceSource } from './model.js';

/** Calls `fn` for every snapshot of one target, in file order. */
export async function forEachSnapshotOfTarget(
  src: TraceSource,
  targetIndex: number,
  fn: (s: Snapshot) => void | Promise<void>,
): Promise<void> {
  for await (const s of targetSnapshots(src, targetIndex)) await fn(s);
}

/**
 * The snapshots of one target, in file order (see forEachSnapshotOfTarget). A recording of
 * one target takes a plain pass even when its source holds it: its snapshots in file order
 * are that target's, and a per-target list built for the call (json_source.ts's kept
 * snapshots) would keep every snapshot object of it alive at once (25 MB more for `report
 * heatmap` on damo's test recording x100).
 */
export async function* targetSnapshots(src: TraceSource, targetIndex: number): AsyncGenerator<Snapshot> {
  if (src.snapshotsOfTarget !== undefined && src.header.targets.length > 1) {
    yield* interruptible(src.snapshotsOfTarget(targetIndex));
    return;
  }
  for await (const s of interruptible(src.snapshots())) if (s.targetIndex === targetIndex) yield s;
}

/**
 * Whether a pass over `src` should take its column batches: whenever it offers them (a damo
 * JSON file kept by its first pass replays them as views of what it keeps, no object per
 * snapshot).
 */
export function walksByColumns(src: TraceSource): src is TraceSource & Required<Pick<TraceSource, 'snapshotColumns'>> {
  return src.snapshotColumns !== undefined;
}

/** Snapshots handed out between two checks for a pending interrupt, on lists in memory. */
const SNAPSHOTS_PER_CHECK = 1024;

/**
 * Calls `fn` for every snapshot in file order, or for every snapshot of one target when
 * `targetIndex` is given, synchronously within each batch the source reads: one promise
 * per batch where `for await` over snapshots() takes one per snapshot (40-60 ms of every
 * pass over damo's test recording x100, 54,300 snapshots). Snapshots of a column source are
 * views of its current batch, valid during the call only: a consumer that keeps one must
 * copy it.
 */
export async function forEachSnapshot(src: TraceSource, fn: (s: Snapshot) => void, targetIndex?: number): Promise<void> {
  if (targetIndex !== undefined && src.snapshotsOfTarget !== undefined && src.header.targets.length > 1) {
    const list = src.snapshotsOfTarget(targetIndex);
    for (let i = 0; i < list.length; i++) {
      if (i % SNAPSHOTS_PER_CHECK === 0) {
        const turn = interruptCheck();
        if (turn !== undefined) await turn;
      }
      fn(list[i] as Snapshot);
    }
    return;
  }
  if (walksByColumns(src)) {
    for await (const c of src.snapshotColumns()) {
      for (let k = 0; k < c.count; k++) if (targetIndex === undefined || c.targetIndex[k] === targetIndex) fn(snapshotOfColumns(c, k));
      const turn = interruptCheck();
      if (turn !== undefined) await turn;
    }
    return;
  }
  for await (const s of interruptible(src.snapshots())) if (targetIndex === undefined || s.targetIndex === targetIndex) fn(s);
}

/**
 * forEachSnapshot for passes that only read regions: each snapshot as a span of arrays
 * (core/model.ts SnapshotSpan), one object reused for the whole walk, so a column batch's
 * snapshots cost no allocation at all. The span is valid during the call only.
 */
export async function forEachSpan(src: TraceSource, fn: (s: SnapshotSpan) => void, targetIndex?: number): Promise<void> {
  const span = emptySpan();
  if (walksByColumns(src)) {
    for await (const c of src.snapshotColumns()) {
      for (let k = 0; k < c.count; k++) if (targetIndex === undefined || c.targetIndex[k] === targetIndex) fn(spanOfColumns(c, k, span));
      const turn = interruptCheck();
      if (turn !== undefined) await turn;
    }
    return;
  }
  await forEachSnapshot(src, (s) => fn(spanOfSnapshot(s, span)), targetIndex);
}

/**
 * Collects one value per snapshot for every target in one pass. Returns one array per
 * target of header.targets (targets first seen during the pass are appended).
 */
export async function perTargetValues(src: TraceSource, value: (s: Snapshot) => number): Promise<number[][]> {
  if (src.snapshotsOfTarget !== undefined) {
    const out: number[][] = [];
    for (let t = 0; t < src.header.targets.length; t++) {
      const values: number[] = [];
      for (const s of src.snapshotsOfTarget(t)) {
        const turn = interruptCheck();
        if (turn !== undefined) await turn;
        values.push(value(s));
      }
      out.push(values);
    }
    return out;
  }
  const out: number[][] = src.header.targets.map(() => []);
  for await (const s of interruptible(src.snapshots())) {
    while (out.length <= s.targetIndex) out.push([]);
    (out[s.targetIndex] as number[]).push(value(s));
  }
  return out;
}
