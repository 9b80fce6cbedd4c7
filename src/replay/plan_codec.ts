// SPDX-License-Identifier: GPL-2.0-only
/**
 * Binary encoding of a replay plan, the input of native/replay (damo_replay). Little-endian,
 * documented in docs/REPLAY.md, decoded and re-validated by native/replay/plan.cc. The
 * decoder here exists for tests and for `damo replay --plan_out` round trips.
 */
import { DamoError } from '../core/errors.js';

export const PLAN_MAGIC = Buffer.from('DMRPLAN1', 'latin1');
export const PLAN_VERSION = 1;
const PERIOD_TAG = 0x44524550; // "PERD"
const END_TAG = 0x444e4550; // "PEND"

export const PLAN_FLAG_KEEP_COLD = 1;
export const PLAN_FLAG_ALLOW_THP = 2;
export const PLAN_FLAG_PERIOD_EVENTS = 4;

const RANGE_BYTES = 24;

export interface PlanArea {
  traceStart: number;
  traceEnd: number;
  replayBytes: number;
}

export interface PlanHeaderFields {
  pageSizeBytes: number;
  maxMemoryBytes: number;
  seed: number;
  startDelayNs: number;
  /** Split areas into mappings of at most this many bytes (0: one mapping per area). */
  vmaBytes: number;
  nrThreads: number;
  flags: number;
  areas: PlanArea[];
  /** One line of JSON copied into the mapping the executable prints. */
  metaJson: string;
}

export interface PlanRange {
  area: number;
  nrAccesses: number;
  /** Byte offsets inside the area, page-aligned. */
  start: number;
  end: number;
}

export interface PlanPeriod {
  startOffsetNs: number;
  durationNs: number;
  nrSlots: number;
  ranges: PlanRange[];
}

function u64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new DamoError('E_INTERNAL', `plan value ${value} is not a u64`);
  buf.writeBigUInt64LE(BigInt(value), offset);
}

export function encodePlanHeader(h: PlanHeaderFields): Buffer {
  const meta = Buffer.from(h.metaJson, 'utf8');
  const buf = Buffer.alloc(8 + 4 + 8 * 5 + 4 * 4 + h.areas.length * 24 + meta.length);
  let o = 0;
  PLAN_MAGIC.copy(buf, o);
  o += 8;
  buf.writeUInt32LE(PLAN_VERSION, o);
  o += 4;
  for (const v of [h.pageSizeBytes, h.maxMemoryBytes, h.seed, h.startDelayNs, h.vmaBytes]) {
    u64(buf, o, v);
    o += 8;
  }
  for (const v of [h.nrThreads, h.flags, h.areas.length, meta.length]) {
    buf.writeUInt32LE(v, o);
    o += 4;
  }
  for (const a of h.areas) {
    u64(buf, o, a.traceStart);
    u64(buf, o + 8, a.traceEnd);
    u64(buf, o + 16, a.replayBytes);
    o += 24;
  }
  meta.copy(buf, o);
  return buf;
}

export function encodePlanPeriod(p: PlanPeriod): Buffer {
  const buf = Buffer.alloc(4 + 8 + 8 + 4 + 4 + p.ranges.length * RANGE_BYTES);
  buf.writeUInt32LE(PERIOD_TAG, 0);
  u64(buf, 4, p.startOffsetNs);
  u64(buf, 12, p.durationNs);
  buf.writeUInt32LE(p.nrSlots, 20);
  buf.writeUInt32LE(p.ranges.length, 24);
  let o = 28;
  for (const r of p.ranges) {
    buf.writeUInt32LE(r.area, o);
    buf.writeUInt32LE(r.nrAccesses, o + 4);
    u64(buf, o + 8, r.start);
    u64(buf, o + 16, r.end);
    o += RANGE_BYTES;
  }
  return buf;
}

export function encodePlanEnd(nrPeriods: number): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt32LE(END_TAG, 0);
  u64(buf, 4, nrPeriods);
  return buf;
}

/** Decodes a whole plan held in memory (tests, --plan_out checks). Structural checks only. */
export function decodePlan(buf: Buffer): { header: PlanHeaderFields; periods: PlanPeriod[] } {
  let o = 0;
  const need = (n: number): void => {
    if (o + n > buf.length) throw new DamoError('E_CORRUPT', `replay plan ends at byte ${buf.length}, inside a field at ${o}`);
  };
  const r32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(o);
    o += 4;
    return v;
  };
  const r64 = (): number => {
    need(8);
    const v = Number(buf.readBigUInt64LE(o));
    o += 8;
    return v;
  };
  need(8);
  if (!buf.subarray(0, 8).equals(PLAN_MAGIC)) throw new DamoError('E_FORMAT', 'not a damo replay plan (bad magic bytes)');
  o = 8;
  const version = r32();
  if (version !== PLAN_VERSION) throw new DamoError('E_FORMAT', `replay plan version ${version} is not supported`);
  const pageSizeBytes = r64();
  const maxMemoryBytes = r64();
  const seed = r64();
  const startDelayNs = r64();
  const vmaBytes = r64();
  const nrThreads = r32();
  const flags = r32();
  const nrAreas = r32();
  const metaBytes = r32();
  const areas: PlanArea[] = [];
  for (let i = 0; i < nrAreas; i++) areas.push({ traceStart: r64(), traceEnd: r64(), replayBytes: r64() });
  need(metaBytes);
  const metaJson = buf.toString('utf8', o, o + metaBytes);
  o += metaBytes;
  const periods: PlanPeriod[] = [];
  for (;;) {
    const tag = r32();
    if (tag === END_TAG) {
      const n = r64();
      if (n !== periods.length) throw new DamoError('E_CORRUPT', `replay plan end marker counts ${n} periods, found ${periods.length}`);
      break;
    }
    if (tag !== PERIOD_TAG) throw new DamoError('E_CORRUPT', `replay plan: bad period tag at byte ${o - 4}`);
    const startOffsetNs = r64();
    const durationNs = r64();
    const nrSlots = r32();
    const nrRanges = r32();
    const ranges: PlanRange[] = [];
    for (let i = 0; i < nrRanges; i++) ranges.push({ area: r32(), nrAccesses: r32(), start: r64(), end: r64() });
    periods.push({ startOffsetNs, durationNs, nrSlots, ranges });
  }
  return {
    header: { pageSizeBytes, maxMemoryBytes, seed, startDelayNs, vmaBytes, nrThreads, flags, areas, metaJson },
    periods,
  };
}
