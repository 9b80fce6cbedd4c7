// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one in-memory model of a monitoring recording, shared by every reader, writer,
 * recorder source and report.
 *
 * Units are in the names: `_ns` nanoseconds, `_us` microseconds, `_bytes` bytes.
 * Addresses and sizes are JS numbers: user virtual addresses (up to 57 bits with 5-level
 * paging would not fit, but Linux user space stays below 2^47 / 2^56 and physical
 * addresses below 2^52) fit exactly in a double. Values that may exceed 2^53, such as
 * kernel target ids or absolute clock readings, are bigint.
 */

/** DAMON's operation sets: virtual addresses, fixed virtual ranges, physical addresses. */
export const DAMON_OPS = ['vaddr', 'fvaddr', 'paddr'] as const;
export type DamonOps = (typeof DAMON_OPS)[number];

/** DAMON operation set the recording used. '' when unknown (old damo files). */
export type Ops = DamonOps | '';

/** DAMON monitoring intervals, in microseconds. */
export interface Intervals {
  sampleUs: number;
  aggrUs: number;
  opsUpdateUs: number;
}

export interface NrRegionsRange {
  min: number;
  max: number;
}

/** One monitoring target of a recording. */
export interface TraceTarget {
  /**
   * The id the source gave the target: the pid for our own recordings, the kernel's
   * target id (a pointer-like u64 for old kernels) for damo files. null when unknown.
   */
  id: bigint | null;
  pid?: number;
  cmdline?: string;
  /** damo 3.x record keys; absent when the file had none. */
  kdamondIdx?: number;
  contextIdx?: number;
  schemeIdx?: number;
  /**
   * The DAMOS filters of the scheme that took the snapshots (damo 3.x `scheme_filters`);
   * regions' szFilterPassed counts the bytes these let through. Absent when none.
   */
  schemeFilters?: DamosFilterInfo[];
}

/** A DAMOS filter as damo 3.x records keep it (`scheme_filters`). */
export interface DamosFilterInfo {
  /** anon, active, memcg, young, hugepage_size, unmapped, addr or target. */
  filterType: string;
  matching: boolean;
  allow: boolean;
  memcgPath: string;
  addressRange: [number, number] | null;
  damonTargetIdx: number | null;
  hugepageSize: [number, number] | null;
}

/** DAMON's monitoring intervals auto-tuning goal (damo 3.x `intervals_goal`). */
export interface IntervalsGoal {
  accessBp: number;
  aggrs: number;
  minSampleUs: number;
  maxSampleUs: number;
}

/** Facts about the machine that made the recording. */
export interface HostFacts {
  kernelRelease: string;
  pageSizeBytes: number;
  hostname: string;
  nrCpus: number;
}

/**
 * Where the snapshots came from. Kernel sources are exact DAMON output; native ones ran
 * our user-space engine with the named access-check primitive; damo-* are imports.
 */
export type SourceKind =
  | 'kernel-tracefs'
  | 'kernel-sysfs'
  | 'kernel-debugfs'
  | 'native-page_idle'
  | 'native-soft_dirty'
  | 'native-clear_refs'
  | 'native-synthetic'
  | 'damo-json'
  | 'damo-json_compressed'
  | 'damo-perf_script'
  | 'damo-legacy'
  | 'synthetic'
  | 'unknown';

export interface TraceHeader {
  /** Version of our trace format that wrote this (or 0 for imported damo files). */
  formatVersion: number;
  /** Version string of the tool that wrote the recording ('' when unknown). */
  toolVersion: string;
  source: SourceKind;
  ops: Ops;
  intervals: Intervals | null;
  /** The intervals auto-tuning goal damo 3.x files carry; absent when unknown. */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange | null;
  targets: TraceTarget[];
  /**
   * Absolute time that snapshot times are relative to, in ns of `clock`. Snapshot
   * `startNs`/`endNs` plus this value give the absolute time. Readers of damo files,
   * whose times are absolute already, use 0n.
   */
  baseTimeNs: bigint;
  /** Clock the times come from: 'monotonic' for kernel and engine, 'realtime' if wall. */
  clock: 'monotonic' | 'realtime' | 'unknown';
  host: HostFacts | null;
  /** damo 3.x 'data_source' value, kept so files round-trip. */
  dataSource?: string;
  /** Wall-clock time when recording started, ns since the Unix epoch. */
  wallStartUnixNs?: bigint;
  /** Command line the recording was made with. */
  argv?: string[];
  /** Schemes applied while recording, in damo's JSON scheme format. */
  schemesJson?: string;
}

/**
 * One aggregation interval's regions for one target. Regions are sorted by address and
 * do not overlap. Arrays are parallel and of equal length.
 */
export interface Snapshot {
  /** Index into TraceHeader.targets. */
  targetIndex: number;
  /** ns relative to TraceHeader.baseTimeNs. May be fractional for deduced start times. */
  startNs: number;
  endNs: number;
  starts: Float64Array;
  ends: Float64Array;
  /** Positive samples in the aggregation interval (DAMON's nr_accesses). */
  nrAccesses: Float64Array;
  /** Aggregation intervals the region kept its access pattern; -1 when unknown. */
  ages: Float64Array;
  /** Optional extras damo 3.x files carry; absent when unknown. */
  sampleIntervalUs?: number;
  totalBytes?: number;
  szFilterPassed?: Float64Array;
  /** DAMOS stats of the snapshot-retrieval scheme, when the file has them (damo 3.x). */
  damosStats?: DamosStats;
  /**
   * Per region, the access rate in percent and the age in us that damo's record filter
   * fills in (from the record's intervals) and its writer then keeps, NaN where unset:
   * `damo adjust` writes them as damo does. Absent otherwise (writers then write null).
   */
  nrAccessesPercent?: Float64Array;
  ageUsec?: Float64Array;
  /** Set by sources whose access check is coarser than a page (clear_refs: per mapping). */
  granularityBytes?: number;
  /** Never set: keeps a SnapshotSpan (whose arrays hold other snapshots too) from passing for a Snapshot. */
  span?: never;
}

/**
 * damo's `DamosStats` of the scheme a snapshot was retrieved with (damo 3.x files carry it per
 * snapshot as `damos_stats`); counts and bytes as the kernel reported them.
 */
export interface DamosStats {
  nrTried: number;
  szTriedBytes: number;
  nrApplied: number;
  szAppliedBytes: number;
  szOpsFilterPassedBytes: number;
  qtExceeds: number;
  nrSnapshots: number;
  maxNrSnapshots: number;
}

/** Something that happened while recording (target exit, layout update, warning). */
export interface TraceEvent {
  /** ns relative to TraceHeader.baseTimeNs. */
  timeNs: number;
  kind: string;
  message: string;
  targetIndex?: number;
}

/** DAMOS statistics of one scheme at one time (kernel stats files or our engine). */
export interface SchemeStatsRecord {
  timeNs: number;
  schemeIndex: number;
  targetIndex: number;
  nrTried: number;
  szTriedBytes: number;
  nrApplied: number;
  szAppliedBytes: number;
  qtExceeds: number;
  szOpsFilterPassedBytes: number;
}

/** Summary written at the end of a recording. */
export interface TraceTrailer {
  nrSnapshots: number;
  nrRegions: number;
  /** End of the last snapshot, ns relative to baseTimeNs. */
  endNs: number;
  /** Why the recording ended: 'target-exit', 'timeout', 'signal:SIGINT', 'error: ...'. */
  endReason: string;
}

/**
 * A recording that can be read (possibly many times, each pass streaming the file
 * again) without holding all snapshots in memory.
 */
export interface TraceSource {
  readonly path: string;
  readonly header: TraceHeader;
  /** A fresh pass over the snapshots, in file order. */
  snapshots(): AsyncIterable<Snapshot>;
  /** The trailer, available after a full pass; null when the file has none. */
  trailer(): TraceTrailer | null;
  /** Warnings collected while reading (e.g. a truncated last frame). */
  readonly warnings: string[];
  /**
   * One target's snapshots in file order, offered by sources that hold the recording in
   * memory (damo's formats are read whole); absent on streamed sources, except a streamed
   * damo file that its first complete pass kept. Walk a target with core/trace_walk.ts,
   * which uses this when present and a filtered pass otherwise.
   */
  snapshotsOfTarget?(targetIndex: number): readonly Snapshot[];
  /**
   * True once a pass reads no file: the source holds the recording in memory, if only in
   * a compact coding (a streamed damo file its first pass kept coded,
   * format/damo/coded_kept_snapshots.ts). Absent on sources that read their file on every
   * pass; snapshotsOfTarget implies it.
   */
  readonly holdsRecording?: boolean;
  /**
   * The same pass as snapshots(), a batch (a block run of a damo-ts trace) at a time in
   * columns: no object per snapshot and one promise per batch. Offered by damo-ts traces;
   * reports use it when present and fall back to snapshots() otherwise.
   */
  snapshotColumns?(): AsyncIterable<SnapshotColumns>;
  /**
   * The same pass as snapshotColumns() without the regions: each snapshot's target, times
   * and number of regions. Offered by damo-ts traces, which can then skip the regions'
   * bytes instead of decoding them; for reports that need the counts alone.
   */
  snapshotCounts?(): AsyncIterable<SnapshotCounts>;
}

/** A batch of snapshots' shapes: SnapshotColumns less the regions (offsets give their numbers). */
export type SnapshotCounts = Pick<SnapshotColumns, 'count' | 'targetIndex' | 'startNs' | 'endNs' | 'offsets'>;

/**
 * Gives `wrapper` (a source that passes `source`'s snapshots on) `source`'s per-target lists
 * and holdsRecording whenever `source` has them, also when it comes to hold them after a pass.
 */
export function heldListsOf(source: TraceSource, wrapper: TraceSource): void {
  Object.defineProperty(wrapper, 'snapshotsOfTarget', {
    get: () => source.snapshotsOfTarget?.bind(source),
    enumerable: true,
    configurable: true,
  });
  Object.defineProperty(wrapper, 'holdsRecording', {
    get: () => source.holdsRecording,
    enumerable: true,
    configurable: true,
  });
}

/**
 * Snapshots in columns: snapshot k has target targetIndex[k], times [startNs[k], endNs[k])
 * and the regions [offsets[k], offsets[k + 1]) of starts/ends/nrAccesses/ages. `extras[k]`
 * holds the optional fields (sampleIntervalUs, totalBytes, granularityBytes,
 * szFilterPassed, damosStats) of snapshots that have any; null when no snapshot of the batch has.
 * Valid until the consumer asks for the next batch.
 */
export interface SnapshotColumns {
  count: number;
  targetIndex: Uint32Array;
  startNs: Float64Array;
  endNs: Float64Array;
  /** count + 1 entries. */
  offsets: Uint32Array;
  starts: Float64Array;
  ends: Float64Array;
  nrAccesses: Float64Array;
  ages: Float64Array;
  extras: (SnapshotExtras | undefined)[] | null;
  /**
   * totalBytes of the snapshots whose only extra it is (damo's files give it to every
   * snapshot), NaN for the others; absent or null when no snapshot of the batch has it so.
   * Kept as a column so that a batch needs no object per snapshot.
   */
  totalBytes?: Float64Array | null;
}

export type SnapshotExtras = Pick<Snapshot, 'sampleIntervalUs' | 'totalBytes' | 'granularityBytes' | 'szFilterPassed' | 'damosStats'>;

/** Snapshot k of a column batch, as views of the batch's arrays (no copy). */
export function snapshotOfColumns(c: SnapshotColumns, k: number): Snapshot {
  const at = c.offsets[k] as number;
  const n = (c.offsets[k + 1] as number) - at;
  const snap: Snapshot = {
    targetIndex: c.targetIndex[k] as number,
    startNs: c.startNs[k] as number,
    endNs: c.endNs[k] as number,
    starts: new Float64Array(c.starts.buffer, c.starts.byteOffset + at * 8, n),
    ends: new Float64Array(c.ends.buffer, c.ends.byteOffset + at * 8, n),
    nrAccesses: new Float64Array(c.nrAccesses.buffer, c.nrAccesses.byteOffset + at * 8, n),
    ages: new Float64Array(c.ages.buffer, c.ages.byteOffset + at * 8, n),
  };
  const x = c.extras?.[k];
  if (x !== undefined) Object.assign(snap, x);
  const totalBytes = c.totalBytes?.[k];
  if (totalBytes !== undefined && !Number.isNaN(totalBytes)) snap.totalBytes = totalBytes;
  return snap;
}

/**
 * A snapshot as the regions [from, to) of arrays it shares with others (a column batch's, or
 * its own): what passes that only read regions take (core/trace_walk.ts forEachSpan). A
 * typed-array view per array and snapshot was most of the garbage of a heatmap's passes
 * over many small snapshots. `extras` holds the optional fields (a batch's totalBytes column
 * aside); its szFilterPassed is the snapshot's own (index i - from). Valid during the call
 * it is given to.
 */
export interface SnapshotSpan extends Pick<Snapshot, 'targetIndex' | 'startNs' | 'endNs' | 'starts' | 'ends' | 'nrAccesses' | 'ages'> {
  readonly span: true;
  from: number;
  to: number;
  extras: SnapshotExtras | undefined;
}

export function emptySpan(): SnapshotSpan {
  const none = new Float64Array(0);
  return { span: true, targetIndex: 0, startNs: 0, endNs: 0, starts: none, ends: none, nrAccesses: none, ages: none, from: 0, to: 0, extras: undefined };
}

/** Points `span` at snapshot k of a column batch; returns it. */
export function spanOfColumns(c: SnapshotColumns, k: number, span: SnapshotSpan): SnapshotSpan {
  span.targetIndex = c.targetIndex[k] as number;
  span.startNs = c.startNs[k] as number;
  span.endNs = c.endNs[k] as number;
  span.starts = c.starts;
  span.ends = c.ends;
  span.nrAccesses = c.nrAccesses;
  span.ages = c.ages;
  span.from = c.offsets[k] as number;
  span.to = c.offsets[k + 1] as number;
  span.extras = c.extras?.[k];
  return span;
}

/** Points `span` at a snapshot object's own arrays; returns it. */
export function spanOfSnapshot(s: Snapshot, span: SnapshotSpan): SnapshotSpan {
  span.targetIndex = s.targetIndex;
  span.startNs = s.startNs;
  span.endNs = s.endNs;
  span.starts = s.starts;
  span.ends = s.ends;
  span.nrAccesses = s.nrAccesses;
  span.ages = s.ages;
  span.from = 0;
  span.to = s.starts.length;
  span.extras = s;
  return span;
}

/** Snapshot k of a column batch with arrays of its own, to keep past the batch. */
export function snapshotCopyOfColumns(c: SnapshotColumns, k: number): Snapshot {
  const s = snapshotOfColumns(c, k);
  s.starts = s.starts.slice();
  s.ends = s.ends.slice();
  s.nrAccesses = s.nrAccesses.slice();
  s.ages = s.ages.slice();
  // Filter results ride in the batch's extras, whose arrays may be reused with the batch too.
  if (s.szFilterPassed !== undefined) s.szFilterPassed = s.szFilterPassed.slice();
  return s;
}

/** The per-snapshot columns of a batch of `count` snapshots, zeroed, for a builder to fill in. */
export function emptySnapshotCounts(count: number): SnapshotCounts {
  return { count, targetIndex: new Uint32Array(count), startNs: new Float64Array(count), endNs: new Float64Array(count), offsets: new Uint32Array(count + 1) };
}

/** Snapshots as one column batch (copies the numbers). */
export function columnsOfSnapshots(snapshots: readonly Snapshot[]): SnapshotColumns {
  const count = snapshots.length;
  let nrRegions = 0;
  for (const s of snapshots) nrRegions += s.starts.length;
  const store = new Float64Array(nrRegions * 4);
  const c: SnapshotColumns = {
    ...emptySnapshotCounts(count),
    starts: store.subarray(0, nrRegions),
    ends: store.subarray(nrRegions, nrRegions * 2),
    nrAccesses: store.subarray(nrRegions * 2, nrRegions * 3),
    ages: store.subarray(nrRegions * 3),
    extras: null,
  };
  let at = 0;
  snapshots.forEach((s, k) => {
    c.targetIndex[k] = s.targetIndex;
    c.startNs[k] = s.startNs;
    c.endNs[k] = s.endNs;
    c.starts.set(s.starts, at);
    c.ends.set(s.ends, at);
    c.nrAccesses.set(s.nrAccesses, at);
    c.ages.set(s.ages, at);
    at += s.starts.length;
    c.offsets[k + 1] = at;
    const x = extrasOf(s);
    if (x !== undefined) (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = x;
  });
  return c;
}

/** The optional fields a snapshot has, as a batch's extras; undefined when it has none. */
export function extrasOf(s: Readonly<SnapshotExtras>): SnapshotExtras | undefined {
  const x: SnapshotExtras = {};
  if (s.sampleIntervalUs !== undefined) x.sampleIntervalUs = s.sampleIntervalUs;
  if (s.totalBytes !== undefined) x.totalBytes = s.totalBytes;
  if (s.granularityBytes !== undefined) x.granularityBytes = s.granularityBytes;
  if (s.szFilterPassed !== undefined) x.szFilterPassed = s.szFilterPassed;
  if (s.damosStats !== undefined) x.damosStats = s.damosStats;
  return Object.keys(x).length > 0 ? x : undefined;
}

export function nrRegionsOf(snapshot: Snapshot): number {
  return snapshot.starts.length;
}

/** Builds a snapshot from plain region tuples; convenient for tests and small readers. */
export function snapshotFromRegions(
  targetIndex: number,
  startNs: number,
  endNs: number,
  regions: ReadonlyArray<{ start: number; end: number; nrAccesses: number; age?: number }>,
): Snapshot {
  const n = regions.length;
  const snap: Snapshot = {
    targetIndex,
    startNs,
    endNs,
    starts: new Float64Array(n),
    ends: new Float64Array(n),
    nrAccesses: new Float64Array(n),
    ages: new Float64Array(n),
  };
  regions.forEach((r, i) => {
    snap.starts[i] = r.start;
    snap.ends[i] = r.end;
    snap.nrAccesses[i] = r.nrAccesses;
    snap.ages[i] = r.age ?? -1;
  });
  return snap;
}

export function emptyHeader(overrides: Partial<TraceHeader> = {}): TraceHeader {
  return {
    formatVersion: 0,
    toolVersion: '',
    source: 'unknown',
    ops: '',
    intervals: null,
    nrRegions: null,
    targets: [],
    baseTimeNs: 0n,
    clock: 'unknown',
    host: null,
    ...overrides,
  };
}
