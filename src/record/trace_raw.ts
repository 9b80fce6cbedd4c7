// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reads DAMON's trace events from the binary per-CPU ring-buffer pages of tracefs
 * (`per_cpu/cpuN/trace_pipe_raw`) instead of the text of `trace_pipe`: the kernel then
 * copies pages rather than formatting one line per region (docs/RECORDING.md, "Reading the
 * trace"; kernel.md §3).
 *
 * The layouts come from the instance's own description files, never from constants: the
 * page header from `events/header_page`, the event header from `events/header_event`, each
 * event's record from `events/damon/<event>/format`. A page is the kernel's
 * `buffer_data_page` (kernel/trace/ring_buffer.c): a u64 time stamp, the `commit` word
 * (bytes of data, with RB_MISSED_EVENTS in bit 31 and RB_MISSED_STORED in bit 30), then the
 * events. Each event starts with a 32-bit word, `type_len` in its low 5 bits and
 * `time_delta` in the other 27: type_len 1..28 is a record of type_len * 4 bytes; 0 a
 * record whose length is the next word; 29 padding (time_delta 0: the rest of the page is
 * empty; otherwise a discarded record, whose delta still counts); 30 a time extend (delta
 * += next word << 27); 31 an absolute time stamp (the same encoding, not a delta).
 *
 * Events of one CPU come in time order; a kdamond that moves between CPUs leaves one
 * aggregation's events in two buffers. The reader therefore merges what each read brings
 * by time and holds back the events of the last few milliseconds, which a CPU may still be
 * committing, until the next read (RawEventMerger).
 */
import * as os from 'node:os';

/** A field of an event record: where it is and how wide. */
export interface FieldSpot {
  offset: number;
  size: number;
  signed: boolean;
}

export interface EventFormat {
  name: string;
  id: number;
  fields: Map<string, FieldSpot>;
}

/** Parses a tracefs `events/<system>/<event>/format` file. */
export function parseEventFormat(text: string): EventFormat {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (name === undefined || id === undefined) throw new Error('no name or ID line');
  const fields = new Map<string, FieldSpot>();
  for (const m of text.matchAll(/^\s*field:([^;]*);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/gm)) {
    const fieldName = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(m[1] ?? '')?.[1];
    if (fieldName !== undefined) fields.set(fieldName, { offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
  }
  return { name, id: Number(id), fields };
}

/** Where a ring-buffer page keeps its time stamp, commit word and data. */
export interface PageLayout {
  commitOffset: number;
  commitSize: number;
  dataOffset: number;
  /** The whole page: header and data; one read of trace_pipe_raw returns one. */
  pageBytes: number;
}

/** Parses `events/header_page` (ring_buffer_print_page_header). */
export function parsePageHeader(text: string): PageLayout {
  const spot = (name: string): FieldSpot => {
    const m = new RegExp(`field:[^;]*\\b${name};\\s*offset:(\\d+);\\s*size:(\\d+);`).exec(text);
    if (m === null) throw new Error(`no '${name}' field in header_page`);
    return { offset: Number(m[1]), size: Number(m[2]), signed: false };
  };
  const ts = spot('timestamp');
  const commit = spot('commit');
  const data = spot('data');
  if (ts.offset !== 0 || ts.size !== 8) throw new Error(`an unexpected page time stamp (offset ${ts.offset}, size ${ts.size})`);
  if (commit.size !== 4 && commit.size !== 8) throw new Error(`an unexpected commit word of ${commit.size} bytes`);
  if (data.offset < commit.offset + commit.size || data.size <= 0) throw new Error('an unexpected data field');
  return { commitOffset: commit.offset, commitSize: commit.size, dataOffset: data.offset, pageBytes: data.offset + data.size };
}

/** Checks `events/header_event` describes the event header this module decodes. */
export function checkEventHeader(text: string): void {
  const expect: Array<[RegExp, string]> = [
    [/type_len\s*:\s*5 bits/, 'type_len of 5 bits'],
    [/time_delta\s*:\s*27 bits/, 'time_delta of 27 bits'],
    [/padding\s*:\s*type == 29/, 'padding of type 29'],
    [/time_extend\s*:\s*type == 30/, 'time extends of type 30'],
    [/time_stamp\s*:\s*type == 31/, 'time stamps of type 31'],
    [/data max type_len\s*==\s*28/, 'records of type_len up to 28'],
  ];
  for (const [re, what] of expect) if (!re.test(text)) throw new Error(`header_event does not describe ${what}`);
}

const TYPE_LEN_MASK = 0x1f;
const TYPE_PADDING = 29;
const TYPE_TIME_EXTEND = 30;
const TYPE_TIME_STAMP = 31;
const TS_SHIFT_MUL = 2 ** 27;
const RB_MISSED_EVENTS = 0x80000000;
const RB_MISSED_STORED = 0x40000000;
const COMMIT_SIZE_MASK = 0x3fffffff;
/** The top five bits an absolute time stamp leaves out (rb_fix_abs_ts). */
const TS_MSB = 0xf8n << 56n;

/** A little-endian u64 as a number: exact up to 2^53, rounded to nearest above, as Number() of its digits. */
function u64At(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 4294967296;
}

type FieldReader = (b: Buffer, at: number) => number;

/** An integer field of a record, read little-endian. */
function fieldReader(spot: FieldSpot): FieldReader {
  const o = spot.offset;
  if (spot.size === 8) return (b, at) => u64At(b, at + o);
  if (spot.size === 4) return spot.signed ? (b, at) => b.readInt32LE(at + o) : (b, at) => b.readUInt32LE(at + o);
  if (spot.size === 2) return (b, at) => b.readUInt16LE(at + o);
  throw new Error(`a field of ${spot.size} bytes`);
}

/** One event's record: its type id, the bytes its fields need, and a reader per field. */
interface RecordLayout<K extends string> {
  id: number;
  bytes: number;
  read: Record<K, FieldReader>;
}

/** Everything needed to decode DAMON's events from the pages of one tracefs instance. */
export interface RawDamonLayout {
  page: PageLayout;
  /** common_type, where every record says which event it is, and the bytes it needs. */
  type: FieldReader;
  typeBytes: number;
  aggregated: RecordLayout<'common_pid' | 'target_id' | 'nr_regions' | 'start' | 'end' | 'nr_accesses'>;
  /** age exists since Linux 5.16. */
  age: FieldReader | null;
  tune: RecordLayout<'common_pid' | 'sample_us'> | null;
}

function recordOf<K extends string>(f: EventFormat, names: readonly K[]): RecordLayout<K> {
  const read = {} as Record<K, FieldReader>;
  let bytes = 0;
  for (const name of names) {
    const spot = f.fields.get(name);
    if (spot === undefined) throw new Error(`${f.name} has no field '${name}'`);
    read[name] = fieldReader(spot);
    bytes = Math.max(bytes, spot.offset + spot.size);
  }
  return { id: f.id, bytes, read };
}

/** The layout from the description files' text; throws Error saying what does not fit. */
export function rawDamonLayout(files: { headerPage: string; headerEvent: string; aggregatedFormat: string; tuneFormat?: string | undefined }): RawDamonLayout {
  if (os.endianness() !== 'LE') throw new Error('the pages are decoded little-endian only');
  checkEventHeader(files.headerEvent);
  const page = parsePageHeader(files.headerPage);
  const agg = parseEventFormat(files.aggregatedFormat);
  const withAge = agg.fields.has('age');
  const aggregated = recordOf(agg, ['common_pid', 'target_id', 'nr_regions', 'start', 'end', 'nr_accesses'] as const);
  const type = recordOf(agg, ['common_type'] as const);
  const age = withAge ? recordOf(agg, ['age'] as const) : null;
  aggregated.bytes = Math.max(aggregated.bytes, type.bytes, age?.bytes ?? 0);
  const tune = files.tuneFormat === undefined ? null : recordOf(parseEventFormat(files.tuneFormat), ['common_pid', 'sample_us'] as const);
  return { page, type: type.read.common_type, typeBytes: type.bytes, aggregated, age: age === null ? null : age.read.age, tune };
}

/** One decoded event; `ns` is nanoseconds after the recording's base time. */
export type RawEvent =
  | { kind: 'aggregated'; ns: number; cpu: number; pid: number; targetId: number; nrRegions: number; start: number; end: number; nrAccesses: number; age: number }
  | { kind: 'tune'; ns: number; cpu: number; pid: number; sampleUs: number }
  /** Events the kernel overwrote before this page (nrEvents -1: how many is not known). */
  | { kind: 'lost'; ns: number; cpu: number; nrEvents: number }
  /** A page that does not decode; what follows it on this CPU cannot be trusted. */
  | { kind: 'damaged'; ns: number; cpu: number; why: string };

/**
 * Appends the DAMON events of one page (the `n` bytes one read returned) to `out`, in the
 * page's order. Records of other events are skipped; a page that does not decode ends in a
 * `damaged` event.
 */
export function decodePage(page: Buffer, n: number, cpu: number, layout: RawDamonLayout, baseNs: bigint, out: RawEvent[]): void {
  const { dataOffset, commitOffset } = layout.page;
  if (n < dataOffset) {
    out.push({ kind: 'damaged', ns: 0, cpu, why: `a read of ${n} bytes, shorter than a page header` });
    return;
  }
  const pageTs = page.readBigUInt64LE(0);
  let ns = Number(pageTs - baseNs);
  const commit = page.readUInt32LE(commitOffset);
  const len = commit & COMMIT_SIZE_MASK;
  if (dataOffset + len > n) {
    out.push({ kind: 'damaged', ns, cpu, why: `a page that says ${len} bytes of events in a read of ${n}` });
    return;
  }
  if ((commit & RB_MISSED_EVENTS) !== 0) {
    const stored = (commit & RB_MISSED_STORED) !== 0 && dataOffset + len + 8 <= n;
    const at = dataOffset + len;
    out.push({ kind: 'lost', ns, cpu, nrEvents: stored ? u64At(page, at) : -1 });
  }
  const { type: typeOf, typeBytes, aggregated: agg, age: ageOf, tune } = layout;
  const end = dataOffset + len;
  let e = dataOffset;
  while (e + 4 <= end) {
    const word = page.readUInt32LE(e);
    const typeLen = word & TYPE_LEN_MASK;
    const delta = word >>> 5;
    let total: number;
    let data = -1;
    let dataBytes = 0;
    if (typeLen === TYPE_PADDING) {
      if (delta === 0) break;
      if (e + 8 > end) break;
      total = page.readUInt32LE(e + 4) + 4;
      // A discarded record keeps its delta (rb_event_discard sets 1 when it was 0).
      if (delta !== 1) ns += delta;
    } else if (typeLen === TYPE_TIME_EXTEND) {
      if (e + 8 > end) break;
      total = 8;
      ns += page.readUInt32LE(e + 4) * TS_SHIFT_MUL + delta;
    } else if (typeLen === TYPE_TIME_STAMP) {
      if (e + 8 > end) break;
      total = 8;
      let abs = (BigInt(page.readUInt32LE(e + 4)) << 27n) | BigInt(delta);
      abs |= pageTs & TS_MSB;
      ns = Number(abs - baseNs);
    } else if (typeLen === 0) {
      if (e + 8 > end) break;
      const length = page.readUInt32LE(e + 4);
      total = length + 4;
      data = e + 8;
      dataBytes = length - 4;
      ns += delta;
    } else {
      total = typeLen * 4 + 4;
      data = e + 4;
      dataBytes = typeLen * 4;
      ns += delta;
    }
    if (total < 8 || e + total > end) {
      out.push({ kind: 'damaged', ns, cpu, why: `an event of ${total} bytes at byte ${e - dataOffset} of ${len}` });
      return;
    }
    if (data >= 0 && dataBytes >= typeBytes) {
      const type = typeOf(page, data);
      const r = agg.read;
      if (type === agg.id && dataBytes >= agg.bytes) {
        out.push({
          kind: 'aggregated',
          ns,
          cpu,
          pid: r.common_pid(page, data),
          targetId: r.target_id(page, data),
          nrRegions: r.nr_regions(page, data),
          start: r.start(page, data),
          end: r.end(page, data),
          nrAccesses: r.nr_accesses(page, data),
          age: ageOf === null ? -1 : ageOf(page, data),
        });
      } else if (tune !== null && type === tune.id && dataBytes >= tune.bytes) {
        out.push({ kind: 'tune', ns, cpu, pid: tune.read.common_pid(page, data), sampleUs: tune.read.sample_us(page, data) });
      }
    }
    e += total;
  }
}

/**
 * Puts the events of several CPUs' reads in time order. `add` takes one read's events
 * (each CPU's in its own order); `take(untilNs)` returns, in time order, those at or
 * before `untilNs` and keeps the rest for later: a CPU may still be committing events a
 * little older than the newest seen on another.
 */
export class RawEventMerger {
  private held: RawEvent[] = [];

  add(events: RawEvent[]): void {
    for (const e of events) this.held.push(e);
  }

  take(untilNs: number): RawEvent[] {
    const held = this.held;
    if (held.length === 0) return held;
    // Stable (events of one CPU with the same time keep their order), and linear on the
    // usual input, already in order.
    held.sort((x, y) => x.ns - y.ns);
    let n = 0;
    while (n < held.length && (held[n] as RawEvent).ns <= untilNs) n++;
    const out = held.slice(0, n);
    this.held = held.slice(n);
    return out;
  }

  get size(): number {
    return this.held.length;
  }
}
