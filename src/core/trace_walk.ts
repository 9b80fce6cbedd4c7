// SPDX-License-Identifier: GPL-2.0-only
/**
 * Walking a recording target by target, the order damo computes and prints in (one record
 * per target, in the order targets first appear). Sources that hold their snapshots in
 * memory hand out each target's list (TraceSource.snapshotsOfTarget); streamed ones take
 * one pass per target, so memory stays bounded.
 */
import type { Snapshot, TraceSource } from './model.js';

/** Calls `fn` for every snapshot of one target, in file order. */
export async function forEachSnapshotOfTarget(
  src: TraceSource,
  targetIndex: number,
  fn: (s: Snapshot) => void | Promise<void>,
): Promise<void> {
  if (src.snapshotsOfTarget !== undefined) {
    for (const s of src.snapshotsOfTarget(targetIndex)) await fn(s);
    return;
  }
  for await (const s of src.snapshots()) if (s.targetIndex === targetIndex) await fn(s);
}

/** The snapshots of one target, in file order (see forEachSnapshotOfTarget). */
export async function* targetSnapshots(src: TraceSource, targetIndex: number): AsyncGenerator<Snapshot> {
  if (src.snapshotsOfTarget !== undefined) {
    yield* src.snapshotsOfTarget(targetIndex);
    return;
  }
  for await (const s of src.snapshots()) if (s.targetIndex === targetIndex) yield s;
}

/**
 * Collects one value per snapshot for every target in one pass. Returns one array per
 * target of header.targets (targets first seen during the pass are appended).
 */
export async function perTargetValues(src: TraceSource, value: (s: Snapshot) => number): Promise<number[][]> {
  if (src.snapshotsOfTarget !== undefined) {
    const held = src.snapshotsOfTarget.bind(src);
    return src.header.targets.map((_, t) => held(t).map(value));
  }
  const out: number[][] = src.header.targets.map(() => []);
  for await (const s of src.snapshots()) {
    while (out.length <= s.targetIndex) out.push([]);
    (out[s.targetIndex] as number[]).push(value(s));
  }
  return out;
}
