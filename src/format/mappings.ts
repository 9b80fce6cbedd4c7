// SPDX-License-Identifier: GPL-2.0-only
/**
 * The mappings of a recorded process: which parts of its address space were mapped, as the
 * recorder read them from /proc/PID/maps. DAMON's vaddr regions span the gaps between
 * mappings (the three-regions rule keeps only the two largest gaps out), so a region can
 * hold hundreds of MiB that no page can ever be in; readers that count bytes (simulate,
 * tune) or rebuild the memory (replay) use these ranges to count only what was mapped.
 *
 * Stored as trace events of kind MAPPINGS_EVENT_KIND (docs/FORMAT.md): the message is the
 * target's mapped ranges, adjacent mappings merged, as space-separated `start-end` in hex,
 * written at the start and whenever they change.
 */
import type { TraceEvent } from '../core/model.js';
import { sniffFile } from './open.js';

export const MAPPINGS_EVENT_KIND = 'mappings';

/** Sorted, disjoint [start, end) ranges. */
export type Ranges = Array<[number, number]>;

/** The text of a mappings event. */
export function formatMappings(ranges: Ranges): string {
  return ranges.map(([s, e]) => `${s.toString(16)}-${e.toString(16)}`).join(' ');
}

/** Parses a mappings event's message; null when it is not one. */
export function parseMappings(message: string): Ranges | null {
  const out: Ranges = [];
  for (const word of message.split(' ')) {
    if (word === '') continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+)$/.exec(word);
    if (m === null) return null;
    const s = parseInt(m[1] as string, 16);
    const e = parseInt(m[2] as string, 16);
    if (!(e > s)) return null;
    out.push([s, e]);
  }
  return mergeRanges(out);
}

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * The mapped ranges in the text of /proc/PID/maps, adjacent mappings merged. [vsyscall]
 * (above the user address space, never in a DAMON region) is left out.
 */
export function parseProcMaps(text: string): Ranges {
  const out: Ranges = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m === null || line.endsWith('[vsyscall]')) continue;
    out.push([parseInt(m[1] as string, 16), parseInt(m[2] as string, 16)]);
  }
  return mergeRanges(out);
}

/** The parts of `pieces` outside `cut` (both sorted and disjoint). */
export function subtractRanges(pieces: ReadonlyArray<[number, number]>, cut: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let j = 0;
  for (const [a, b] of pieces) {
    let at = a;
    while (j < cut.length && (cut[j] as [number, number])[1] <= at) j++;
    for (let k = j; k < cut.length && at < b; k++) {
      const [cs, ce] = cut[k] as [number, number];
      if (cs >= b) break;
      if (cs > at) out.push([at, cs]);
      at = Math.max(at, ce);
    }
    if (at < b) out.push([at, b]);
  }
  return out;
}

/** Bytes of [start, end) inside `ranges` (sorted, disjoint). */
export function bytesInRanges(ranges: Ranges, start: number, end: number): number {
  let total = 0;
  // Binary search for the first range ending after start.
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ranges[mid] as [number, number])[1] <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < ranges.length; i++) {
    const [s, e] = ranges[i] as [number, number];
    if (s >= end) break;
    total += Math.min(e, end) - Math.max(s, start);
  }
  return total;
}

/** The parts of [start, end) inside `ranges`. */
export function clipToRanges(ranges: Ranges, start: number, end: number): Ranges {
  const out: Ranges = [];
  for (const [s, e] of ranges) {
    if (e <= start) continue;
    if (s >= end) break;
    out.push([Math.max(s, start), Math.min(e, end)]);
  }
  return out;
}

/** The mappings one target had over a recording, by time. */
export class MappingHistory {
  private readonly changes: Array<{ timeNs: number; ranges: Ranges }> = [];

  add(timeNs: number, ranges: Ranges): void {
    this.changes.push({ timeNs, ranges });
    this.changes.sort((a, b) => a.timeNs - b.timeNs);
  }

  get empty(): boolean {
    return this.changes.length === 0;
  }

  /** The ranges mapped at `timeNs`: the last reading at or before it, else the first one. */
  at(timeNs: number): Ranges {
    let found = this.changes[0]?.ranges ?? [];
    for (const c of this.changes) {
      if (c.timeNs > timeNs) break;
      found = c.ranges;
    }
    return found;
  }

  /**
   * The times at which at() starts giving another reading, in order: each later reading's
   * time (the last of several at one time is the one in effect), and the first reading's
   * time only when another reading shares it. One pass: a bisection over at() made this
   * quadratic in the number of readings.
   */
  changeTimes(): number[] {
    const out: number[] = [];
    const c = this.changes;
    let current = c[0]?.ranges;
    for (let i = 0; i < c.length; i++) {
      const { timeNs, ranges } = c[i] as { timeNs: number; ranges: Ranges };
      if (i + 1 < c.length && (c[i + 1] as { timeNs: number }).timeNs === timeNs) continue;
      if (ranges !== current) out.push(timeNs);
      current = ranges;
    }
    return out;
  }

  /** Every range mapped at some time of the recording. */
  union(): Ranges {
    return mergeRanges(this.changes.flatMap((c) => c.ranges.map(([s, e]) => [s, e] as [number, number])));
  }
}

/** Per target index, the history of one kind of range event (`mappings`, `resident`). */
export function rangeHistoriesFromEvents(events: Iterable<TraceEvent>, kind: string): Map<number, MappingHistory> {
  const out = new Map<number, MappingHistory>();
  for (const e of events) {
    if (e.kind !== kind) continue;
    const ranges = parseMappings(e.message);
    if (ranges === null) continue;
    const t = e.targetIndex ?? 0;
    let h = out.get(t);
    if (h === undefined) out.set(t, (h = new MappingHistory()));
    h.add(e.timeNs, ranges);
  }
  return out;
}

/** Per target index, from a recording's events. */
export function mappingsFromEvents(events: Iterable<TraceEvent>): Map<number, MappingHistory> {
  return rangeHistoriesFromEvents(events, MAPPINGS_EVENT_KIND);
}

/**
 * The mappings recorded in the file at `path`, per target index. Only our trace format
 * stores them (damo's formats have no place for them): other formats, and recordings made
 * before mappings were recorded or of physical memory, give an empty map.
 */
export async function readRecordedMappings(path: string, strict = false): Promise<Map<number, MappingHistory>> {
  if ((await sniffFile(path)) !== 'protobuf') return new Map();
  const { openProtobufTrace } = await import('./trace_reader.js');
  const trace = await openProtobufTrace(path, { strict });
  const events: TraceEvent[] = [];
  for await (const r of trace.records()) if (r.kind === 'event' && r.event.kind === MAPPINGS_EVENT_KIND) events.push(r.event);
  return mappingsFromEvents(events);
}
