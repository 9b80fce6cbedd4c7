// SPDX-License-Identifier: GPL-2.0-only
/**
 * The native sampling engine: DAMON's monitoring algorithm (kdamond) running on a native
 * thread in our addon, with a pluggable access-check primitive. This module validates
 * options, turns native failures into DamoErrors with codes, and yields model Snapshots.
 *
 * API (what `damo record --source native` uses):
 *
 *   nativeCapabilities({ ops?, pid? }) -> { page_idle, soft_dirty, clear_refs, synthetic }
 *       each { available: boolean, code?: ErrorCode, reason: string }. Read-only probes.
 *   nativeAvailability({ ops?, pid? }) -> { usable, reason?, primitive? }
 *       the primitive `auto` would pick (page_idle, then soft_dirty, then clear_refs).
 *
 *   const m = openNativeMonitor({
 *     ops: 'vaddr' | 'fvaddr' | 'paddr',          // default 'vaddr'
 *     pids: [1234],                                 // vaddr: one target per pid
 *     ranges: [{ start, end }],                     // fvaddr (with one pid), paddr (default:
 *                                                   //   biggest System RAM), synthetic (no pid)
 *     targets: [{ pid?, ranges? }],                 // general form instead of pids/ranges
 *     primitive: 'auto' | 'page_idle' | 'soft_dirty' | 'clear_refs' | 'synthetic',
 *     intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 },  // damo defaults
 *     nrRegions: { min: 10, max: 1000 },
 *     seed,                                         // default: random (m.options.seed tells)
 *     synthetic: SyntheticPattern,                  // required for 'synthetic' (see synthetic.ts)
 *     clock: 'real' | 'virtual',                    // virtual: no sleeping, synthetic only
 *     durationUs,                                   // end with 'timeout' after this long
 *   })                                              // throws DamoError E_USAGE / E_UNSUPPORTED /
 *                                                   //   E_PERM / E_NATIVE before anything runs
 *   m.options, m.capabilities, m.header             // resolved options; header fields for the
 *                                                   //   trace (source, ops, intervals, nrRegions,
 *                                                   //   targets, clock)
 *   const { baseTimeNs } = m.start(snapshot => ..., // throws DamoError (E_NOENT for a missing
 *     aggregation => ...)                           //   pid, E_PERM, ...); snapshot times are ns
 *                                                   //   relative to baseTimeNs (CLOCK_MONOTONIC);
 *                                                   //   the optional second callback gets every
 *                                                   //   target's snapshot of one aggregation at once
 *   m.resetAges(targetIndex, [[start, end], ...])   // an online DAMOS action was applied there:
 *                                                   //   the engine resets those regions' ages
 *   for await (const s of m.snapshots()) ...        // alternative to start(cb)
 *   await m.stop()                                  // prompt (within one sampling interval);
 *                                                   //   resolves once the thread is joined
 *   await m.done                                    // { endReason: 'stopped' | 'target-exit' |
 *                                                   //   'timeout', nrSnapshots, stats }; rejects
 *                                                   //   with a DamoError when the run failed
 *
 * One snapshot per target per aggregation interval, delivered in order on the JS thread.
 * Snapshots from the clear_refs primitive carry `granularityBytes` (the largest mapping the
 * answer was spread over): its access information is per mapping, not per page.
 */
import { randomInt } from 'node:crypto';
import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS } from '../core/damon_constants.js';
import { DamoError, type ErrorCode, usageError } from '../core/errors.js';
import { DAMON_OPS, type Intervals, type NrRegionsRange, type Snapshot, type SourceKind, type TraceTarget, type DamonOps } from '../core/model.js';
import { loadNativeAddon, type RawCapability, type RawMonitor, type RawMonitorOptions, type RawSnapshot } from './addon.js';
import { PRIMITIVES, RECORD_PRIMITIVES, type PrimitiveName } from './primitives.js';
import { validateSyntheticPattern, type SyntheticPattern } from './synthetic_pattern.js';


export interface AddrRange {
  start: number;
  end: number;
}

export interface NativeTargetSpec {
  pid?: number;
  ranges?: AddrRange[];
}

export interface PrimitiveCapability {
  available: boolean;
  /** Why it is unavailable, and what would fix it ('' when available). */
  reason: string;
  code?: ErrorCode;
}

export type NativeCapabilities = Record<PrimitiveName, PrimitiveCapability>;

export interface NativeMonitorOptions {
  ops?: DamonOps;
  pids?: number[];
  ranges?: AddrRange[];
  targets?: NativeTargetSpec[];
  primitive?: PrimitiveName | 'auto';
  intervals?: Partial<Intervals>;
  nrRegions?: Partial<NrRegionsRange>;
  seed?: number;
  synthetic?: SyntheticPattern;
  clock?: 'real' | 'virtual';
  durationUs?: number;
}

export interface ResolvedNativeOptions {
  ops: DamonOps;
  targets: NativeTargetSpec[];
  /** 'auto' until openNativeMonitor() settles it against the capabilities. */
  primitive: PrimitiveName | 'auto';
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  seed: number;
  clock: 'real' | 'virtual';
  durationUs: number | null;
}

export interface NativeRunStats {
  nrSamples: number;
  /** CPU time the monitor thread used, ns. */
  threadCpuNs: number;
  wallNs: number;
}

export interface NativeRunEnd {
  endReason: 'stopped' | 'target-exit' | 'timeout';
  /** Aggregation intervals completed (each gave one snapshot per target). */
  nrSnapshots: number;
  stats: NativeRunStats;
}

export interface NativeHeaderFields {
  source: SourceKind;
  ops: DamonOps;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  targets: TraceTarget[];
  clock: 'monotonic' | 'unknown';
}

export interface NativeMonitor {
  readonly options: ResolvedNativeOptions & { primitive: PrimitiveName };
  readonly capabilities: NativeCapabilities;
  readonly header: NativeHeaderFields;
  start(onSnapshot: (snapshot: Snapshot) => void, onAggregation?: (snapshots: Snapshot[]) => void): { baseTimeNs: bigint };
  /** Sets the age of the regions in these ranges to 0 before the engine's next sample. */
  resetAges(targetIndex: number, ranges: ReadonlyArray<readonly [number, number]>): void;
  snapshots(): AsyncIterableIterator<Snapshot>;
  stop(): Promise<void>;
  readonly done: Promise<NativeRunEnd>;
}

const ERROR_CODES: readonly ErrorCode[] = [
  'E_USAGE', 'E_NOENT', 'E_IO', 'E_FORMAT', 'E_CORRUPT', 'E_TRUNCATED', 'E_UNSUPPORTED',
  'E_PERM', 'E_BUSY', 'E_NATIVE', 'E_TARGET', 'E_INTERNAL',
];

function asErrorCode(code: unknown): ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'E_NATIVE';
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  E_PERM: 'run as root, or monitor a process you own with the clear_refs primitive',
  E_NOENT: 'check the pid: the process must be running',
};

/** Turns an error thrown by the addon (an Error with a `code`) into a DamoError. */
export function nativeError(err: unknown, context: string): DamoError {
  if (err instanceof DamoError) return err;
  const code = asErrorCode((err as { code?: unknown } | null)?.code);
  const message = err instanceof Error ? err.message : String(err);
  const hint = HINTS[code];
  return new DamoError(code, `${context}: ${message}`, hint === undefined ? { cause: err } : { cause: err, hint });
}

function usage(message: string, hint?: string): DamoError {
  return usageError(`native engine: ${message}`, hint);
}

function isUint(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function checkPid(pid: unknown, where: string): number {
  if (!isUint(pid, 0x3fffffff) || pid === 0) throw usage(`${where}: pid must be a positive integer, got ${String(pid)}`);
  return pid;
}

function checkRanges(ranges: unknown, where: string): AddrRange[] {
  if (!Array.isArray(ranges) || ranges.length === 0) throw usage(`${where}: ranges must be a non-empty array of { start, end }`);
  const out = ranges.map((r: unknown, i) => {
    const rr = r as { start?: unknown; end?: unknown } | null;
    if (!rr || !isUint(rr.start) || !isUint(rr.end)) {
      throw usage(`${where}: range ${i} must have integer start and end between 0 and 2^53`);
    }
    if (rr.end <= rr.start) throw usage(`${where}: range ${i} is empty (end ${rr.end} <= start ${rr.start})`);
    return { start: rr.start, end: rr.end };
  });
  out.sort((a, b) => a.start - b.start);
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    const cur = out[i]!;
    if (cur.start < prev.end) throw usage(`${where}: ranges overlap ([${prev.start}, ${prev.end}) and [${cur.start}, ${cur.end}))`);
  }
  return out;
}

function resolveTargets(o: NativeMonitorOptions, ops: DamonOps, primitive: PrimitiveName | 'auto'): NativeTargetSpec[] {
  let targets: NativeTargetSpec[];
  if (o.targets !== undefined) {
    if (o.pids !== undefined || o.ranges !== undefined) throw usage('give either targets, or pids/ranges, not both');
    if (!Array.isArray(o.targets) || o.targets.length === 0) throw usage('targets must be a non-empty array');
    targets = o.targets.map((t, i) => {
      const spec: NativeTargetSpec = {};
      if (t.pid !== undefined) spec.pid = checkPid(t.pid, `target ${i}`);
      if (t.ranges !== undefined) spec.ranges = checkRanges(t.ranges, `target ${i}`);
      return spec;
    });
  } else if (o.pids !== undefined) {
    if (!Array.isArray(o.pids) || o.pids.length === 0) throw usage('pids must be a non-empty array');
    const pids = o.pids.map((p, i) => checkPid(p, `pid ${i}`));
    if (new Set(pids).size !== pids.length) throw usage('pids must not repeat');
    if (o.ranges !== undefined) {
      if (pids.length !== 1) throw usage('ranges with pids: give exactly one pid (use targets for more)');
      targets = [{ pid: pids[0]!, ranges: checkRanges(o.ranges, 'ranges') }];
    } else {
      targets = pids.map((pid) => ({ pid }));
    }
  } else if (o.ranges !== undefined) {
    targets = [{ ranges: checkRanges(o.ranges, 'ranges') }];
  } else if (ops === 'paddr') {
    targets = [{}];  // the biggest System RAM range, as the kernel defaults to
  } else {
    throw usage(`${ops} needs a target: give pids${ops === 'fvaddr' ? ' and ranges' : ''}`);
  }

  for (const [i, t] of targets.entries()) {
    if (ops === 'vaddr') {
      if (t.pid === undefined) throw usage(`target ${i}: vaddr monitors a process; give its pid (or use fvaddr/paddr for address ranges)`);
      if (t.ranges !== undefined) throw usage(`target ${i}: vaddr builds regions from the process's mappings; use ops 'fvaddr' to give ranges`);
    } else if (ops === 'fvaddr') {
      if (t.ranges === undefined) throw usage(`target ${i}: fvaddr needs address ranges`);
      if (t.pid === undefined && primitive !== 'synthetic') throw usage(`target ${i}: fvaddr needs the pid whose addresses the ranges are`);
    } else if (t.pid !== undefined) {
      throw usage(`target ${i}: paddr monitors physical memory and takes no pid`);
    }
    if (primitive === 'synthetic' && t.pid !== undefined) {
      throw usage(`target ${i}: the synthetic primitive answers from a pattern, not a process; give ranges without a pid`);
    }
    if (primitive === 'synthetic' && t.ranges === undefined) throw usage(`target ${i}: the synthetic primitive needs address ranges`);
  }
  if (ops === 'paddr' && targets.length !== 1) throw usage('paddr takes exactly one target (like the kernel)');
  return targets;
}

/** Validates and fills in defaults. Throws DamoError E_USAGE naming the bad field. */
export function resolveNativeOptions(o: NativeMonitorOptions): ResolvedNativeOptions {
  if (o === null || typeof o !== 'object') throw usage('options must be an object');
  const ops = o.ops ?? 'vaddr';
  if (!(DAMON_OPS as readonly string[]).includes(ops)) throw usage(`ops must be vaddr, fvaddr or paddr, got '${String(ops)}'`);
  const primitive = o.primitive ?? 'auto';
  if (primitive !== 'auto' && !(PRIMITIVES as readonly string[]).includes(primitive)) {
    throw usage(`unknown primitive '${String(primitive)}'`, `use one of: auto, ${PRIMITIVES.join(', ')}`);
  }
  const targets = resolveTargets(o, ops, primitive);

  const intervals: Intervals = { ...DEFAULT_INTERVALS, ...(o.intervals ?? {}) };
  for (const k of ['sampleUs', 'aggrUs', 'opsUpdateUs'] as const) {
    if (!isUint(intervals[k], 2 ** 40) || intervals[k] < 1) throw usage(`intervals.${k} must be a positive integer of microseconds, got ${String(intervals[k])}`);
  }
  if (intervals.sampleUs > intervals.aggrUs) {
    throw usage(`the sampling interval (${intervals.sampleUs} us) must not exceed the aggregation interval (${intervals.aggrUs} us)`);
  }
  const nrRegions: NrRegionsRange = { ...DEFAULT_NR_REGIONS, ...(o.nrRegions ?? {}) };
  if (!isUint(nrRegions.min, 2 ** 31) || nrRegions.min < 3) throw usage(`nrRegions.min must be an integer of at least 3 (DAMON's minimum), got ${String(nrRegions.min)}`);
  if (!isUint(nrRegions.max, 2 ** 31) || nrRegions.max < nrRegions.min) {
    throw usage(`nrRegions.max must be an integer not below nrRegions.min (${nrRegions.min}), got ${String(nrRegions.max)}`);
  }
  const seed = o.seed ?? randomInt(0, 2 ** 47);
  if (!isUint(seed)) throw usage(`seed must be a non-negative integer, got ${String(o.seed)}`);
  const clock = o.clock ?? 'real';
  if (clock !== 'real' && clock !== 'virtual') throw usage(`clock must be 'real' or 'virtual', got '${String(clock)}'`);
  if (primitive === 'synthetic') {
    if (o.synthetic === undefined) throw usage('the synthetic primitive needs a pattern (options.synthetic)');
    validateSyntheticPattern(o.synthetic);
  } else {
    if (o.synthetic !== undefined) throw usage('options.synthetic is only for the synthetic primitive');
    if (clock === 'virtual') throw usage("clock 'virtual' needs the synthetic primitive: real memory is watched in real time");
  }
  const durationUs = o.durationUs ?? null;
  if (durationUs !== null && (!isUint(durationUs) || durationUs < 1)) throw usage(`durationUs must be a positive integer, got ${String(durationUs)}`);
  return { ops, targets, primitive, intervals, nrRegions, seed, clock, durationUs };
}

function convertCapabilities(raw: Record<string, RawCapability>): NativeCapabilities {
  const out = {} as NativeCapabilities;
  for (const name of PRIMITIVES) {
    const c = raw[name];
    const cap: PrimitiveCapability = { available: c?.available === true, reason: c?.reason ?? 'not reported by the addon' };
    if (!cap.available) cap.code = asErrorCode(c?.code);
    out[name] = cap;
  }
  return out;
}

/**
 * Whether each primitive can run here (and for `pid`, when given), and why not. Read-only:
 * opens files to check permissions, writes nothing.
 */
export function nativeCapabilities(opts: { ops?: DamonOps; pid?: number } = {}): NativeCapabilities {
  const addon = loadNativeAddon();
  const pid = opts.pid === undefined ? -1 : checkPid(opts.pid, 'capabilities');
  try {
    return convertCapabilities(addon.capabilities(opts.ops ?? 'vaddr', pid));
  } catch (err) {
    throw nativeError(err, 'native capability probe');
  }
}

/** The primitive auto would choose for these ops/pid, or why none can run. */
export function nativeAvailability(opts: { ops?: DamonOps; pid?: number } = {}): { usable: boolean; reason?: string; primitive?: PrimitiveName } {
  let caps: NativeCapabilities;
  try {
    caps = nativeCapabilities(opts);
  } catch (err) {
    return { usable: false, reason: err instanceof Error ? err.message : String(err) };
  }
  for (const name of RECORD_PRIMITIVES) if (caps[name].available) return { usable: true, primitive: name };
  return { usable: false, reason: RECORD_PRIMITIVES.map((n) => `${n}: ${caps[n].reason}`).join('; ') };
}

function toSnapshot(raw: RawSnapshot, sampleUs: number): Snapshot {
  const s: Snapshot = {
    targetIndex: raw.targetIndex,
    startNs: raw.startNs,
    endNs: raw.endNs,
    starts: raw.starts,
    ends: raw.ends,
    nrAccesses: raw.nrAccesses,
    ages: raw.ages,
    sampleIntervalUs: sampleUs,
  };
  if (raw.granularityBytes > 0) s.granularityBytes = raw.granularityBytes;
  return s;
}

function flatRanges(ranges: AddrRange[] | undefined): Float64Array {
  const out = new Float64Array((ranges?.length ?? 0) * 2);
  ranges?.forEach((r, i) => {
    out[2 * i] = r.start;
    out[2 * i + 1] = r.end;
  });
  return out;
}

/**
 * Validates the options, probes the chosen primitive, and prepares a monitor. Nothing runs
 * until start(). Throws DamoError: E_USAGE for bad options, the primitive's code (E_UNSUPPORTED,
 * E_PERM, ...) with its reason when it cannot run here, E_NATIVE when the addon is missing.
 */
export function openNativeMonitor(o: NativeMonitorOptions): NativeMonitor {
  const opts = resolveNativeOptions(o);
  const addon = loadNativeAddon();
  const firstPid = opts.targets.find((t) => t.pid !== undefined)?.pid ?? -1;
  let rawCaps: Record<string, RawCapability>;
  try {
    rawCaps = addon.capabilities(opts.ops, firstPid);
  } catch (err) {
    throw nativeError(err, 'native capability probe');
  }
  const capabilities = convertCapabilities(rawCaps);
  let primitive: PrimitiveName;
  if (opts.primitive === 'auto') {
    const pick = RECORD_PRIMITIVES.find((n) => capabilities[n].available);
    if (pick === undefined) {
      throw new DamoError('E_UNSUPPORTED', `native engine: no access-check primitive works here (${RECORD_PRIMITIVES.map((n) => `${n}: ${capabilities[n].reason}`).join('; ')})`);
    }
    primitive = pick;
  } else {
    primitive = opts.primitive;
  }
  const resolved = { ...opts, primitive };
  const cap = capabilities[resolved.primitive];
  if (!cap.available) {
    throw new DamoError(cap.code ?? 'E_UNSUPPORTED', `native engine: the ${resolved.primitive} primitive cannot run here: ${cap.reason}`);
  }

  const rawOptions: RawMonitorOptions = {
    ops: resolved.ops,
    primitive: resolved.primitive,
    targets: resolved.targets.map((t) => ({ pid: t.pid ?? -1, ranges: flatRanges(t.ranges) })),
    sampleUs: resolved.intervals.sampleUs,
    aggrUs: resolved.intervals.aggrUs,
    opsUpdateUs: resolved.intervals.opsUpdateUs,
    minNrRegions: resolved.nrRegions.min,
    maxNrRegions: resolved.nrRegions.max,
    seed: resolved.seed,
    virtualTime: resolved.clock === 'virtual',
    durationUs: resolved.durationUs ?? 0,
  };
  if (o.synthetic !== undefined) rawOptions.synthetic = o.synthetic.toRaw();

  let raw: RawMonitor;
  try {
    raw = new addon.Monitor(rawOptions);
  } catch (err) {
    throw nativeError(err, 'native engine');
  }

  let resolveDone!: (end: NativeRunEnd) => void;
  let rejectDone!: (err: DamoError) => void;
  const done = new Promise<NativeRunEnd>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  // Callers that only use stop() must not see an unhandled rejection.
  done.catch(() => undefined);
  let started = false;
  let listener: ((s: Snapshot) => void) | null = null;
  let batchListener: ((s: Snapshot[]) => void) | null = null;
  const sampleUs = resolved.intervals.sampleUs;

  const monitor: NativeMonitor = {
    options: resolved,
    capabilities,
    header: {
      source: `native-${resolved.primitive}` as SourceKind,
      ops: resolved.ops,
      intervals: { ...resolved.intervals },
      nrRegions: { ...resolved.nrRegions },
      targets: resolved.targets.map((t) => (t.pid === undefined ? { id: null } : { id: BigInt(t.pid), pid: t.pid })),
      clock: resolved.clock === 'virtual' ? 'unknown' : 'monotonic',
    },
    start(onSnapshot, onAggregation) {
      if (started) throw usage('the monitor was already started');
      started = true;
      listener = onSnapshot;
      batchListener = onAggregation ?? null;
      let p: Promise<{ endReason: NativeRunEnd['endReason']; nrSnapshots: number; nrSamples: number; threadCpuNs: number; wallNs: number }>;
      try {
        p = raw.start((snaps) => {
          const converted = snaps.map((s) => toSnapshot(s, sampleUs));
          for (const s of converted) listener?.(s);
          batchListener?.(converted);
        });
      } catch (err) {
        const e = nativeError(err, 'native engine');
        rejectDone(e);
        throw e;
      }
      p.then(
        (end) => resolveDone({ endReason: end.endReason, nrSnapshots: end.nrSnapshots, stats: { nrSamples: end.nrSamples, threadCpuNs: end.threadCpuNs, wallNs: end.wallNs } }),
        (err: unknown) => rejectDone(nativeError(err, 'native engine')),
      );
      return { baseTimeNs: raw.baseTimeNs };
    },
    resetAges(targetIndex, ranges) {
      if (ranges.length === 0) return;
      const flat = new Float64Array(ranges.length * 2);
      ranges.forEach(([start, end], i) => {
        flat[2 * i] = start;
        flat[2 * i + 1] = end;
      });
      try {
        raw.resetAges(targetIndex, flat);
      } catch (err) {
        throw nativeError(err, 'native engine');
      }
    },
    snapshots() {
      return iterate(monitor);
    },
    async stop() {
      if (!started) return;
      raw.stop();
      try {
        await done;
      } catch {
        // the failure is reported through `done`
      }
    },
    done,
  };
  return monitor;
}

/** Starts the monitor (if needed) and yields its snapshots until the run ends. */
async function* iterate(m: NativeMonitor): AsyncIterableIterator<Snapshot> {
  const queue: Snapshot[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  m.start((s) => {
    queue.push(s);
    wake?.();
  });
  const end = m.done.then(
    () => {
      finished = true;
      wake?.();
    },
    () => {
      finished = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) break;
      await new Promise<void>((res) => (wake = res));
      wake = null;
    }
    await end;
    await m.done;  // rethrows a failure
  } finally {
    if (!finished) await m.stop();
  }
}
