// SPDX-License-Identifier: GPL-2.0-only
/**
 * The mapping between a trace's addresses and times and those of its replay, as printed by
 * damo_replay (and written by `damo replay --mapping FILE`). `damo compare` uses it to put a
 * recording of the replay back into the original trace's coordinates.
 *
 * Addresses: each area maps [traceStart, traceEnd) linearly onto [replayStart, replayEnd).
 * Times: the replay's period 0 began at CLOCK_MONOTONIC `startMonotonicNs`, which stands for
 * the trace's `plan.traceStartNs`; replay durations are trace durations x `plan.timeScale`.
 */
import { readFile } from 'node:fs/promises';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';

export interface MappingArea {
  traceStart: number;
  traceEnd: number;
  replayStart: number;
  replayEnd: number;
}

export interface ReplayMapping {
  pid: number;
  startMonotonicNs: bigint;
  pageSizeBytes: number;
  reserve: { start: number; end: number };
  areas: MappingArea[];
  /** What the planner recorded; fields may be missing in hand-made mappings. */
  plan: {
    trace?: string;
    target?: number;
    traceStartNs?: number;
    traceEndNs?: number;
    timeScale?: number;
    scale?: number;
    [key: string]: unknown;
  };
}

function fail(source: string, message: string): never {
  throw new DamoError('E_FORMAT', `${source}: ${message}`, {
    hint: 'a mapping is written by `damo replay --mapping FILE` (or damo_replay --mapping FILE)',
  });
}

function num(source: string, obj: Record<string, unknown>, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(source, `${where}.${key} is not a non-negative integer`);
  return v;
}

export function parseMapping(text: string, source: string): ReplayMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(source, `not JSON (${errorMessage(err)})`);
  }
  if (typeof raw !== 'object' || raw === null) fail(source, 'not a JSON object');
  const m = raw as Record<string, unknown>;
  // The executable prints {"event":"mapping","mapping":{...}}; accept that line as well.
  const obj = m.event === 'mapping' && typeof m.mapping === 'object' && m.mapping !== null ? (m.mapping as Record<string, unknown>) : m;
  if (obj.format !== 'damo-replay-mapping') fail(source, 'is not a damo replay mapping (no "format": "damo-replay-mapping")');
  if (obj.version !== 1) fail(source, `mapping version ${String(obj.version)} is not supported`);
  const startText = obj.startMonotonicNs;
  if (typeof startText !== 'string' || !/^\d+$/.test(startText)) fail(source, 'startMonotonicNs is not a decimal string');
  const reserveRaw = obj.reserve;
  if (typeof reserveRaw !== 'object' || reserveRaw === null) fail(source, 'reserve is missing');
  const reserve = {
    start: num(source, reserveRaw as Record<string, unknown>, 'start', 'reserve'),
    end: num(source, reserveRaw as Record<string, unknown>, 'end', 'reserve'),
  };
  if (!Array.isArray(obj.areas) || obj.areas.length === 0) fail(source, 'areas is not a non-empty array');
  const areas: MappingArea[] = obj.areas.map((a: unknown, i: number) => {
    if (typeof a !== 'object' || a === null) fail(source, `areas[${i}] is not an object`);
    const r = a as Record<string, unknown>;
    const area = {
      traceStart: num(source, r, 'traceStart', `areas[${i}]`),
      traceEnd: num(source, r, 'traceEnd', `areas[${i}]`),
      replayStart: num(source, r, 'replayStart', `areas[${i}]`),
      replayEnd: num(source, r, 'replayEnd', `areas[${i}]`),
    };
    if (area.traceEnd <= area.traceStart || area.replayEnd <= area.replayStart) fail(source, `areas[${i}] is empty or reversed`);
    return area;
  });
  for (let i = 1; i < areas.length; i++) {
    const prev = areas[i - 1] as MappingArea;
    const cur = areas[i] as MappingArea;
    if (cur.replayStart < prev.replayEnd || cur.traceStart < prev.traceEnd) fail(source, `areas[${i}] overlaps or is out of order`);
  }
  const plan = typeof obj.plan === 'object' && obj.plan !== null ? (obj.plan as ReplayMapping['plan']) : {};
  if (plan.timeScale !== undefined && !(typeof plan.timeScale === 'number' && plan.timeScale > 0)) {
    fail(source, 'plan.timeScale is not a positive number');
  }
  return {
    pid: num(source, obj, 'pid', 'mapping'),
    startMonotonicNs: BigInt(startText),
    pageSizeBytes: num(source, obj, 'pageSizeBytes', 'mapping'),
    reserve,
    areas,
    plan,
  };
}

export async function readMapping(path: string): Promise<ReplayMapping> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DamoError(errnoCode(err) === 'ENOENT' ? 'E_NOENT' : 'E_IO', `cannot read the mapping ${path}: ${errorMessage(err)}`);
  }
  return parseMapping(text, path);
}
