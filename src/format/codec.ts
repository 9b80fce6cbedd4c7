// SPDX-License-Identifier: GPL-2.0-only
/**
 * Conversion between the in-memory model (src/core/model.ts) and the protobuf messages of
 * proto/trace.proto, plus a hand-written decoder for the one hot message (Snapshot).
 *
 * The generated decoder builds plain JS arrays element by element and then we copy them
 * into typed arrays; reading straight from the varint stream into Float64Arrays is several
 * times faster. test/unit/format-codec.test.ts proves both decoders agree on random input.
 */
import { DamoError } from '../core/errors.js';
import type {
  DamosFilterInfo,
  HostFacts,
  IntervalsGoal,
  Ops,
  SchemeStatsRecord,
  Snapshot,
  SourceKind,
  TraceEvent,
  TraceHeader,
  TraceTarget,
  TraceTrailer,
} from '../core/model.js';
import { pb } from './pb.js';

/**
 * Version of the file format this code writes. Readers accept this and older. Version 4 added
 * snapshot flag 64 (SnapshotMore: per-snapshot DAMOS stats), which version 3 readers cannot
 * step over; the header fields it added (intervals_goal, Target.scheme_filters) need no bump.
 */
export const FORMAT_VERSION = 4;

// ---------------------------------------------------------------------------------------
// Header

export function encodeHeader(h: TraceHeader): Uint8Array {
  const msg = pb.Header.create({
    formatVersion: h.formatVersion,
    toolVersion: h.toolVersion,
    source: h.source,
    ops: h.ops,
    intervals: h.intervals
      ? { sampleUs: h.intervals.sampleUs, aggrUs: h.intervals.aggrUs, opsUpdateUs: h.intervals.opsUpdateUs }
      : null,
    nrRegions: h.nrRegions ? { min: h.nrRegions.min, max: h.nrRegions.max } : null,
    targets: h.targets.map((t) => ({
      id: t.id === null ? '' : t.id.toString(),
      pid: t.pid ?? 0,
      cmdline: t.cmdline ?? '',
      kdamondIdx: t.kdamondIdx ?? null,
      contextIdx: t.contextIdx ?? null,
      schemeIdx: t.schemeIdx ?? null,
      schemeFilters: (t.schemeFilters ?? []).map(encodeFilter),
    })),
    baseTimeNs: h.baseTimeNs.toString(),
    clock: h.clock,
    host: h.host
      ? { kernelRelease: h.host.kernelRelease, pageSizeBytes: h.host.pageSizeBytes, hostname: h.host.hostname, nrCpus: h.host.nrCpus }
      : null,
    dataSource: h.dataSource ?? '',
    wallStartUnixNs: h.wallStartUnixNs === undefined ? '' : h.wallStartUnixNs.toString(),
    argv: h.argv ?? [],
    schemesJson: h.schemesJson ?? '',
    intervalsGoal: h.intervalsGoal
      ? { accessBp: h.intervalsGoal.accessBp, aggrs: h.intervalsGoal.aggrs, minSampleUs: h.intervalsGoal.minSampleUs, maxSampleUs: h.intervalsGoal.maxSampleUs }
      : null,
  });
  return pb.Header.encode(msg).finish();
}

const U64_MAX = 2n ** 64n - 1n;

/**
 * A byte count as decimal text. Integers are written exactly as the double holds them, except
 * that values a double rounded up past 2^64 - 1 (damo's ULONG_MAX of an unbounded hugepage
 * size) are written as 2^64 - 1, which reads back as the same double.
 */
function bytesText(v: number): string {
  if (!Number.isInteger(v)) return String(v);
  const b = BigInt(v);
  return (b > U64_MAX ? U64_MAX : b).toString();
}

function bytesOfText(text: string | null | undefined, field: string): number {
  const v = Number(text);
  if (text === null || text === undefined || text === '' || !Number.isFinite(v)) {
    throw new DamoError('E_CORRUPT', `header field ${field} is not a number: '${String(text)}'`);
  }
  return v;
}

type FilterMessage = NonNullable<Parameters<typeof pb.DamosFilter.create>[0]>;

function encodeFilter(f: DamosFilterInfo): FilterMessage {
  return {
    filterType: f.filterType,
    matching: f.matching,
    allow: f.allow,
    memcgPath: f.memcgPath,
    addressRange: f.addressRange === null ? null : { start: bytesText(f.addressRange[0]), end: bytesText(f.addressRange[1]) },
    damonTargetIdx: f.damonTargetIdx,
    hugepageSize: f.hugepageSize === null ? null : { start: bytesText(f.hugepageSize[0]), end: bytesText(f.hugepageSize[1]) },
  };
}

function decodeFilter(f: FilterMessage, at: string): DamosFilterInfo {
  const range = (r: { start?: string | null; end?: string | null } | null | undefined, name: string): [number, number] | null =>
    r === null || r === undefined ? null : [bytesOfText(r.start, `${at}.${name}.start`), bytesOfText(r.end, `${at}.${name}.end`)];
  return {
    filterType: f.filterType ?? '',
    matching: f.matching === true,
    allow: f.allow === true,
    memcgPath: f.memcgPath ?? '',
    addressRange: range(f.addressRange, 'address_range'),
    damonTargetIdx: f.damonTargetIdx === undefined || f.damonTargetIdx === null ? null : f.damonTargetIdx,
    hugepageSize: range(f.hugepageSize, 'hugepage_size'),
  };
}

function parseBigintField(text: string, field: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new DamoError('E_CORRUPT', `header field ${field} is not an integer: '${text}'`);
  return BigInt(text);
}

const OPS: readonly string[] = ['vaddr', 'fvaddr', 'paddr', ''];
const CLOCKS: readonly string[] = ['monotonic', 'realtime', 'unknown'];

export function decodeHeader(payload: Uint8Array): TraceHeader {
  const m = pb.Header.decode(payload);
  const targets: TraceTarget[] = m.targets.map((t, i) => {
    const target: TraceTarget = { id: t.id ? parseBigintField(t.id, `targets[${i}].id`) : null };
    if (t.pid) target.pid = t.pid;
    if (t.cmdline) target.cmdline = t.cmdline;
    if (t.kdamondIdx !== undefined && t.kdamondIdx !== null) target.kdamondIdx = t.kdamondIdx;
    if (t.contextIdx !== undefined && t.contextIdx !== null) target.contextIdx = t.contextIdx;
    if (t.schemeIdx !== undefined && t.schemeIdx !== null) target.schemeIdx = t.schemeIdx;
    if (t.schemeFilters && t.schemeFilters.length > 0) target.schemeFilters = t.schemeFilters.map((f, j) => decodeFilter(f, `targets[${i}].scheme_filters[${j}]`));
    return target;
  });
  const host: HostFacts | null = m.host
    ? {
        kernelRelease: m.host.kernelRelease ?? '',
        pageSizeBytes: m.host.pageSizeBytes ?? 0,
        hostname: m.host.hostname ?? '',
        nrCpus: m.host.nrCpus ?? 0,
      }
    : null;
  const header: TraceHeader = {
    formatVersion: m.formatVersion,
    toolVersion: m.toolVersion,
    source: (m.source || 'unknown') as SourceKind,
    ops: (OPS.includes(m.ops) ? m.ops : '') as Ops,
    intervals: m.intervals
      ? { sampleUs: m.intervals.sampleUs ?? 0, aggrUs: m.intervals.aggrUs ?? 0, opsUpdateUs: m.intervals.opsUpdateUs ?? 0 }
      : null,
    nrRegions: m.nrRegions ? { min: m.nrRegions.min ?? 0, max: m.nrRegions.max ?? 0 } : null,
    targets,
    baseTimeNs: m.baseTimeNs ? parseBigintField(m.baseTimeNs, 'base_time_ns') : 0n,
    clock: (CLOCKS.includes(m.clock) ? m.clock : 'unknown') as TraceHeader['clock'],
    host,
  };
  if (m.dataSource) header.dataSource = m.dataSource;
  if (m.wallStartUnixNs) header.wallStartUnixNs = parseBigintField(m.wallStartUnixNs, 'wall_start_unix_ns');
  if (m.argv.length > 0) header.argv = [...m.argv];
  if (m.schemesJson) header.schemesJson = m.schemesJson;
  if (m.intervalsGoal) {
    const g = m.intervalsGoal;
    const goal: IntervalsGoal = { accessBp: g.accessBp ?? 0, aggrs: g.aggrs ?? 0, minSampleUs: g.minSampleUs ?? 0, maxSampleUs: g.maxSampleUs ?? 0 };
    header.intervalsGoal = goal;
  }
  return header;
}

// ---------------------------------------------------------------------------------------
// Snapshot

/** Checks what the varint encoding relies on; a violation is a bug in the source. */
function assertEncodable(s: Snapshot): void {
  const n = s.starts.length;
  if (s.ends.length !== n || s.nrAccesses.length !== n || s.ages.length !== n) {
    throw new DamoError('E_INTERNAL', `snapshot arrays differ in length (${n}, ${s.ends.length}, ${s.nrAccesses.length}, ${s.ages.length})`);
  }
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    const nr = s.nrAccesses[i] as number;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start || start < 0) {
      throw new DamoError('E_INTERNAL', `snapshot region ${i} has an invalid range [${start}, ${end})`);
    }
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) {
      throw new DamoError('E_INTERNAL', `snapshot region ${i} has an invalid nr_accesses ${nr}`);
    }
  }
}

function agesKnown(s: Snapshot): boolean {
  const n = s.ages.length;
  let known = 0;
  for (let i = 0; i < n; i++) {
    const a = s.ages[i] as number;
    if (a >= 0) {
      if (!Number.isInteger(a) || a > 0xffffffff) throw new DamoError('E_INTERNAL', `snapshot region ${i} has an invalid age ${a}`);
      known++;
    }
  }
  if (known !== 0 && known !== n) {
    throw new DamoError('E_INTERNAL', 'snapshot has ages for some regions but not for others');
  }
  return n > 0 && known === n;
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  assertEncodable(s);
  const n = s.starts.length;
  const startDeltas = new Array<number>(n);
  const sizes = new Array<number>(n);
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    startDeltas[i] = start - prevEnd;
    sizes[i] = end - start;
    prevEnd = end;
  }
  const props: Parameters<typeof pb.Snapshot.create>[0] = {
    targetIndex: s.targetIndex,
    startNs: s.startNs,
    endNs: s.endNs,
    startDeltas,
    sizes,
    nrAccesses: Array.from(s.nrAccesses),
    ages: agesKnown(s) ? Array.from(s.ages) : [],
    szFilterPassed: s.szFilterPassed ? Array.from(s.szFilterPassed) : [],
  };
  if (s.sampleIntervalUs !== undefined) props.sampleIntervalUs = s.sampleIntervalUs;
  if (s.totalBytes !== undefined) props.totalBytes = s.totalBytes;
  if (s.granularityBytes !== undefined) props.granularityBytes = s.granularityBytes;
  return pb.Snapshot.encode(pb.Snapshot.create(props)).finish();
}

/** Builds a model Snapshot from the generated decoder's output (the reference decoder). */
export function decodeSnapshotReference(payload: Uint8Array): Snapshot {
  const m = pb.Snapshot.decode(payload);
  const n = m.sizes.length;
  if (m.startDeltas.length !== n || m.nrAccesses.length !== n || (m.ages.length !== 0 && m.ages.length !== n)) {
    throw new DamoError('E_CORRUPT', 'snapshot region arrays differ in length');
  }
  const snap: Snapshot = {
    targetIndex: m.targetIndex,
    startNs: m.startNs,
    endNs: m.endNs,
    starts: new Float64Array(n),
    ends: new Float64Array(n),
    nrAccesses: Float64Array.from(m.nrAccesses),
    ages: m.ages.length === n && n > 0 ? Float64Array.from(m.ages) : new Float64Array(n).fill(-1),
  };
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const start = prevEnd + (m.startDeltas[i] as number);
    const end = start + (m.sizes[i] as number);
    snap.starts[i] = start;
    snap.ends[i] = end;
    prevEnd = end;
  }
  if (m.sampleIntervalUs !== undefined && m.sampleIntervalUs !== null) snap.sampleIntervalUs = m.sampleIntervalUs;
  if (m.totalBytes !== undefined && m.totalBytes !== null) snap.totalBytes = m.totalBytes;
  if (m.szFilterPassed.length > 0) snap.szFilterPassed = Float64Array.from(m.szFilterPassed);
  if (m.granularityBytes !== undefined && m.granularityBytes !== null) snap.granularityBytes = m.granularityBytes;
  return snap;
}

/**
 * Hand-written Snapshot decoder: the hot path of every report. Our writer emits each
 * repeated field as one packed run; those are decoded by tight inline varint loops straight
 * into typed arrays. Any other legal layout (unpacked or split runs, unknown fields from a
 * newer writer) goes to the generated decoder. Throws on malformed input.
 */
export function decodeSnapshotFast(buf: Uint8Array): Snapshot {
  const end = buf.length;
  let pos = 0;
  let targetIndex = 0;
  let startNs = 0;
  let endNs = 0;
  let nDeltas = -1;
  let nSizes = -1;
  let nrAcc: Float64Array | null = null;
  let nNrAcc = 0;
  let ages: Float64Array | null = null;
  let nAges = 0;
  let sampleIntervalUs: number | undefined;
  let totalBytes: number | undefined;
  let granularityBytes: number | undefined;
  let szPassed: Float64Array | null = null;
  let nSzPassed = 0;
  let view: DataView | null = null;

  while (pos < end) {
    const tag = buf[pos++] as number;
    if (tag >= 0x80) return decodeSnapshotReference(buf);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2 && field >= 4 && field <= 7) {
      // Packed run: length, then varints.
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        if (pos >= end) corrupt('snapshot message ends inside a length');
        b = buf[pos++] as number;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b >= 0x80 && shift < 35);
      const stop = pos + len;
      if (stop > end) corrupt('packed field runs past the end of the snapshot');
      switch (field) {
        case 4:
          if (nDeltas >= 0) return decodeSnapshotReference(buf);
          scratchDeltas = ensure(scratchDeltas, len);
          nDeltas = decodePackedVarints(buf, pos, stop, scratchDeltas);
          break;
        case 5:
          if (nSizes >= 0) return decodeSnapshotReference(buf);
          scratchSizes = ensure(scratchSizes, len);
          nSizes = decodePackedVarints(buf, pos, stop, scratchSizes);
          break;
        case 6:
          if (nrAcc !== null) return decodeSnapshotReference(buf);
          nrAcc = new Float64Array(len);
          nNrAcc = decodePackedVarints(buf, pos, stop, nrAcc);
          break;
        case 7:
          if (ages !== null) return decodeSnapshotReference(buf);
          ages = new Float64Array(len);
          nAges = decodePackedVarints(buf, pos, stop, ages);
          break;
      }
      pos = stop;
      continue;
    }
    switch (field) {
      case 1: {
        if (wire !== 0) return decodeSnapshotReference(buf);
        const c = readVarint(buf, pos, end);
        targetIndex = c.value >>> 0;
        pos = c.pos;
        break;
      }
      case 2:
      case 3: {
        if (wire !== 1) return decodeSnapshotReference(buf);
        if (pos + 8 > end) corrupt('snapshot message ends inside a value');
        view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        const v = view.getFloat64(pos, true);
        if (field === 2) startNs = v;
        else endNs = v;
        pos += 8;
        break;
      }
      case 8:
      case 9:
      case 11: {
        if (wire !== 0) return decodeSnapshotReference(buf);
        const c = readVarint(buf, pos, end);
        if (field === 8) sampleIntervalUs = c.value;
        else if (field === 9) totalBytes = c.value;
        else granularityBytes = c.value;
        pos = c.pos;
        break;
      }
      case 10: {
        if (wire !== 2 || szPassed !== null) return decodeSnapshotReference(buf);
        const c = readVarint(buf, pos, end);
        const stop = c.pos + c.value;
        if (stop > end) corrupt('packed field runs past the end of the snapshot');
        szPassed = new Float64Array(c.value);
        nSzPassed = decodePackedVarints(buf, c.pos, stop, szPassed);
        pos = stop;
        break;
      }
      default:
        // Unknown field or unpacked repeated data: the generic decoder handles it.
        return decodeSnapshotReference(buf);
    }
  }

  const n = Math.max(nSizes, 0);
  if (Math.max(nDeltas, 0) !== n || nNrAcc !== n || (ages !== null && nAges !== 0 && nAges !== n)) {
    corrupt('snapshot region arrays differ in length');
  }
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const dv = scratchDeltas;
  const sv = scratchSizes;
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const d = dv[i] as number;
    // Start deltas are zigzag-coded (sint64); most are 0 (adjacent regions).
    const start = d === 0 ? prevEnd : prevEnd + (d % 2 === 0 ? d / 2 : -(d + 1) / 2);
    const e = start + (sv[i] as number);
    starts[i] = start;
    ends[i] = e;
    prevEnd = e;
  }
  const snap: Snapshot = {
    targetIndex,
    startNs,
    endNs,
    starts,
    ends,
    nrAccesses: nrAcc === null ? new Float64Array(0) : fit(nrAcc, n),
    ages: ages !== null && nAges === n && n > 0 ? fit(ages, n) : new Float64Array(n).fill(-1),
  };
  if (sampleIntervalUs !== undefined) snap.sampleIntervalUs = sampleIntervalUs;
  if (totalBytes !== undefined) snap.totalBytes = totalBytes;
  if (szPassed !== null && nSzPassed > 0) snap.szFilterPassed = fit(szPassed, nSzPassed);
  if (granularityBytes !== undefined) snap.granularityBytes = granularityBytes;
  return snap;
}

// Reused across calls: deltas and sizes are consumed before decodeSnapshotFast returns.
let scratchDeltas: Float64Array = new Float64Array(1024);
let scratchSizes: Float64Array = new Float64Array(1024);

function ensure(a: Float64Array, n: number): Float64Array {
  return a.length >= n ? a : new Float64Array(Math.max(n, a.length * 2));
}

function fit(a: Float64Array, n: number): Float64Array {
  return a.length === n ? a : a.slice(0, n);
}

function corrupt(message: string): never {
  throw new DamoError('E_CORRUPT', message);
}

const TWO_POW_28 = 2 ** 28;

/**
 * Decodes the varints in buf[pos, stop) into out; returns how many. Values above 2^28 take
 * a slower branch that accumulates in doubles (exact below 2^53).
 */
function decodePackedVarints(buf: Uint8Array, pos: number, stop: number, out: Float64Array): number {
  let k = 0;
  while (pos < stop) {
    let b = buf[pos++] as number;
    if (b < 0x80) {
      out[k++] = b;
      continue;
    }
    let v = b & 0x7f;
    b = buf[pos++] as number;
    v |= (b & 0x7f) << 7;
    if (b < 0x80) {
      out[k++] = v;
      continue;
    }
    b = buf[pos++] as number;
    v |= (b & 0x7f) << 14;
    if (b < 0x80) {
      out[k++] = v;
      continue;
    }
    b = buf[pos++] as number;
    v |= (b & 0x7f) << 21;
    if (b < 0x80) {
      out[k++] = v;
      continue;
    }
    let hi = 0;
    let scale = 1;
    let i = 4;
    for (; i < 10; i++) {
      b = buf[pos++] as number;
      hi += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    if (i === 10) corrupt('varint longer than 10 bytes');
    out[k++] = v + hi * TWO_POW_28;
  }
  // A varint that ran over the end of its run read bytes that belong to something else.
  if (pos !== stop || k > out.length) corrupt('packed field ends inside a value');
  return k;
}

function readVarint(buf: Uint8Array, pos: number, end: number): { value: number; pos: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) corrupt('snapshot message ends inside a value');
    const b = buf[pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, pos };
    scale *= 128;
  }
  return corrupt('varint longer than 10 bytes');
}

// ---------------------------------------------------------------------------------------
// Other frames

export function encodeTrailer(t: TraceTrailer): Uint8Array {
  return pb.Trailer.encode(
    pb.Trailer.create({ nrSnapshots: t.nrSnapshots, nrRegions: t.nrRegions, endNs: t.endNs, endReason: t.endReason }),
  ).finish();
}

export function decodeTrailer(payload: Uint8Array): TraceTrailer {
  const m = pb.Trailer.decode(payload);
  return { nrSnapshots: m.nrSnapshots, nrRegions: m.nrRegions, endNs: m.endNs, endReason: m.endReason };
}

export function encodeEvent(e: TraceEvent): Uint8Array {
  return pb.Event.encode(
    pb.Event.create({ timeNs: e.timeNs, kind: e.kind, message: e.message, targetIndex: e.targetIndex ?? 0 }),
  ).finish();
}

export function decodeEvent(payload: Uint8Array): TraceEvent {
  const m = pb.Event.decode(payload);
  return { timeNs: m.timeNs, kind: m.kind, message: m.message, targetIndex: m.targetIndex };
}

export function encodeSchemeStats(s: SchemeStatsRecord): Uint8Array {
  return pb.SchemeStats.encode(
    pb.SchemeStats.create({
      timeNs: s.timeNs,
      schemeIndex: s.schemeIndex,
      targetIndex: s.targetIndex,
      nrTried: s.nrTried,
      szTried: s.szTriedBytes,
      nrApplied: s.nrApplied,
      szApplied: s.szAppliedBytes,
      qtExceeds: s.qtExceeds,
      szOpsFilterPassed: s.szOpsFilterPassedBytes,
    }),
  ).finish();
}

export function decodeSchemeStats(payload: Uint8Array): SchemeStatsRecord {
  const m = pb.SchemeStats.decode(payload);
  return {
    timeNs: m.timeNs,
    schemeIndex: m.schemeIndex,
    targetIndex: m.targetIndex,
    nrTried: m.nrTried,
    szTriedBytes: m.szTried,
    nrApplied: m.nrApplied,
    szAppliedBytes: m.szApplied,
    qtExceeds: m.qtExceeds,
    szOpsFilterPassedBytes: m.szOpsFilterPassed,
  };
}
