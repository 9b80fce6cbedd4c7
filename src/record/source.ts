// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the recorder needs from a snapshot source (kernel tracefs stream, kernel sysfs
 * snapshots, kernel debugfs, native engine).
 */
import type { SchemeStatsRecord, Snapshot, SourceKind } from '../core/model.js';
import type { NativeSchemeReport } from '../schemes/online_native.js';

export interface SourceSink {
  onSnapshot(snapshot: Snapshot): void;
  /** The statistics of every scheme being applied (`damo schemes`), one record per scheme. */
  onSchemeStats?(records: SchemeStatsRecord[]): void;
  /** Something worth recording in the trace and telling the user (lost events, ...). */
  onWarning(message: string): void;
}

export interface RecordingSource {
  readonly kind: SourceKind;
  /** Human description for the summary, e.g. "kernel DAMON (sysfs kdamond 0, tracefs instance damo-ts.42)". */
  readonly label: string;
  /**
   * Configures and starts monitoring. On failure everything changed so far is undone
   * and a DamoError says what went wrong and what to do.
   */
  start(sink: SourceSink): Promise<void>;
  /**
   * Resolves when monitoring stops by itself (e.g. the kernel stopped our kdamond because
   * every target exited) with a reason; rejects on a failure that ends the recording.
   */
  readonly ended: Promise<string>;
  /** Stops, delivers what is still buffered, and undoes every change. Returns warnings. */
  stop(): Promise<string[]>;
  /**
   * Sources that keep the schemes' statistics themselves (the native engine): the final
   * counters after stop(), which also waited for the last actions.
   */
  finalSchemeStats?(timeNs: number): SchemeStatsRecord[] | null;
  /** What only the native engine knows: per-scheme process_madvise failures and cost. */
  schemesReport?(): NativeSchemeReport[] | null;
}

/** A promise with its resolve/reject exposed (Node 20 has no Promise.withResolvers). */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // An ended promise nobody awaits (the recording stopped first) must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
