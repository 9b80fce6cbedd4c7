// SPDX-License-Identifier: GPL-2.0-only
/**
 * `report raw`: every snapshot and region as text, byte-for-byte what damo 3.3.0 prints for
 * `damo report access --raw_form` (and 2.x `damo report raw`, plus the 3.x `data source:`
 * line). Per record (target):
 *
 *   base_time_absolute: <format_time_ns(first start)>
 *   data source: <data_source>
 *
 *   monitoring_start:    <%16s of time since base>
 *   monitoring_end:      ...
 *   monitoring_duration: ...
 *   target_id: <id>
 *   nr_regions: <n>
 *   # start_addr     end_addr        length  nr_accesses   age
 *   %012x-%012x (%12s) %11d %5d
 *   <blank line>
 *
 * damo prints the text with print() (adding a final newline) only when it has at most as
 * many newlines as the terminal has lines (50 when stdout is not a terminal); longer text
 * goes through `less`, which adds nothing. We reproduce the final-newline rule.
 */
import { DamoError } from '../core/errors.js';
import { formatSz, formatTimeNs, padLeft, pyInt } from '../core/fmt.js';
import { interruptCheck } from '../core/interrupts.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { constText, fitsHex12, fitsSmallInt, putHex12At, putSmallIntAt, TextBytes } from '../core/text_bytes.js';
import { putTimeNsAt, TIME_BYTES_ROOM } from '../core/time_bytes.js';
import { forEachSnapshotOfTarget, walksByColumns } from '../core/trace_walk.js';

export interface RawOptions {
  rawNumber: boolean;
  /** Only snapshots starting within [start, end] seconds after the record's first one. */
  durationSec?: [number, number];
  /** damo's pager threshold: terminal lines, or 50 when not a terminal. */
  pagerLines: number;
}

export interface ByteSink {
  /** Settles once the bytes were written (the caller then reuses them). */
  writeBytes(bytes: Uint8Array): Promise<void>;
}

const MONITORING_START = constText('monitoring_start:    ');
const MONITORING_END = constText('\nmonitoring_end:      ');
const MONITORING_DURATION = constText('\nmonitoring_duration: ');
const TARGET_ID = constText('\ntarget_id: ');
const NR_REGIONS = constText('\nnr_regions: ');
const REGION_HEADER = constText('\n# start_addr     end_addr        length  nr_accesses   age\n');
const NEWLINE = constText('\n');
const DASH = constText('-');
const OPEN_SIZE = constText(' (');
const CLOSE_SIZE = constText(') ');
const SPACE = constText(' ');

/** Region sizes whose text RawText keeps, in a table indexed by the size in pages. */
const SIZE_SLOTS = 4096;
const EMPTY = new Uint8Array(0);

/** A region line's bytes besides its size text: two addresses, two numbers of up to 10 characters, punctuation. */
const LINE_ROOM = 12 + 1 + 12 + 2 + 2 + 11 + 1 + 10 + 1;

/**
 * Python's `'%3d' % x` for -1 <= x < 1000 (at index x + 1) as three bytes in one
 * little-endian word: nearly every count and age of a line takes its text from here in a
 * store or two (putSmallIntAt was a quarter of `report raw` on damo's test recording x1000).
 */
const PADDED3 = ((): Uint32Array => {
  const t = new Uint32Array(1001);
  for (let x = -1; x < 1000; x++) {
    const text = String(x).padStart(3, ' ');
    t[x + 1] = text.charCodeAt(0) | (text.charCodeAt(1) << 8) | (text.charCodeAt(2) << 16);
  }
  return t;
})();

/** Text is handed to the sink in chunks of about this many bytes. */
const CHUNK_BYTES = 1 << 20;

function absTime(src: TraceSource, relNs: number): number {
  const base = src.header.baseTimeNs;
  if (base === 0n) return relNs;
  if (Number.isInteger(relNs)) return Number(base + BigInt(relNs));
  return Number(base) + relNs;
}

/**
 * The text of one recording. Every line is written with its newline; damo joins its lines
 * with '\n' and adds one more only when the text fits the terminal, so the end takes the last
 * newline back when it does not (reportRaw).
 */
class RawText {
  readonly out = new TextBytes(CHUNK_BYTES + (CHUNK_BYTES >> 2));
  private readonly raw: boolean;
  /**
   * Region sizes repeat from snapshot to snapshot (damo's small test file: 504 sizes in
   * 9,773 regions), and their text is the costly part of a line: keep the latest ones.
   */
  private readonly sizeKeys = new Float64Array(SIZE_SLOTS).fill(NaN);
  private readonly sizeTexts: Uint8Array[] = new Array<Uint8Array>(SIZE_SLOTS).fill(EMPTY);
  /** A slot's text as three little-endian words when it is twelve bytes (nearly always: '%12s'). */
  private readonly sizeWords = new Uint32Array(SIZE_SLOTS * 3);
  /** A snapshot usually starts where the previous one ended: its time text is reused. */
  private lastEndNs = NaN;
  private readonly lastEndText = new Uint8Array(TIME_BYTES_ROOM);
  private lastEndLength = 0;

  constructor(raw: boolean) {
    this.raw = raw;
  }

  line(text: string): void {
    this.out.put(text);
    this.out.putConst(NEWLINE);
  }

  /** Writes a time as damo's %16s of format_time_ns; returns where its text starts. */
  private putTime(relNs: number): number {
    const out = this.out;
    const from = out.length;
    if (!this.raw) {
      const end = putTimeNsAt(out.roomFor(TIME_BYTES_ROOM), from, relNs, 16);
      if (end >= 0) {
        out.advanceTo(end, 0);
        return from;
      }
    }
    out.put(padLeft(formatTimeNs(relNs, this.raw), 16));
    return from;
  }

  /** Snapshot durations repeat (every aggregation interval is about the same). */
  private readonly durationTexts = new Map<number, string>();

  private durationText(ns: number): string {
    let text = this.durationTexts.get(ns);
    if (text === undefined) {
      if (this.durationTexts.size >= 4096) this.durationTexts.clear();
      text = padLeft(formatTimeNs(ns, this.raw), 16);
      this.durationTexts.set(ns, text);
    }
    return text;
  }

  private sizeText(bytes: number): Uint8Array {
    return this.sizeTexts[this.sizeSlot(bytes)] as Uint8Array;
  }

  /** The slot holding the text of `bytes` (made if needed). */
  private sizeSlot(bytes: number): number {
    // A slot per size in pages (sizes are mostly whole pages), the latest size in it kept.
    const slot = (bytes >>> 12) & (SIZE_SLOTS - 1);
    if (this.sizeKeys[slot] === bytes) return slot;
    const text = Buffer.from(padLeft(formatSz(bytes, this.raw), 12), 'utf8');
    this.sizeKeys[slot] = bytes;
    this.sizeTexts[slot] = text;
    if (text.length === 12) {
      for (let w = 0; w < 3; w++) this.sizeWords[slot * 3 + w] = text.readUInt32LE(w * 4);
    }
    return slot;
  }

  /** One snapshot: its head lines, regions [from, to) of the arrays, and a blank line. */
  snapshot(
    startRelNs: number,
    endRelNs: number,
    idText: string,
    starts: Float64Array,
    ends: Float64Array,
    nrAccesses: Float64Array,
    ages: Float64Array,
    from: number,
    to: number,
  ): void {
    const out = this.out;
    out.putConst(MONITORING_START);
    const kept = this.lastEndText;
    if (startRelNs === this.lastEndNs) {
      // Copied byte by byte: a view of the text per snapshot (Buffer's subarray) cost more.
      const n = this.lastEndLength;
      const b = out.roomFor(n);
      let p = out.length;
      for (let j = 0; j < n; j++) b[p++] = kept[j] as number;
      out.advanceTo(p, 0);
    } else this.putTime(startRelNs);
    out.putConst(MONITORING_END);
    const endFrom = this.putTime(endRelNs);
    // Kept for the next snapshot's start (a time's text holds no newline).
    const n = out.length - endFrom;
    if (n <= kept.length) {
      const b = out.roomFor(0);
      for (let j = 0; j < n; j++) kept[j] = b[endFrom + j] as number;
      this.lastEndLength = n;
      this.lastEndNs = endRelNs;
    } else this.lastEndNs = NaN;
    out.putConst(MONITORING_DURATION);
    out.put(this.durationText(endRelNs - startRelNs));
    out.putConst(TARGET_ID);
    out.put(idText);
    out.putConst(NR_REGIONS);
    out.putInt(to - from, pyInt);
    out.putConst(REGION_HEADER);
    this.regions(starts, ends, nrAccesses, ages, from, to);
    out.putConst(NEWLINE);
  }

  /**
   * The region lines of a snapshot: regions [from, to) of the arrays. Apart from snapshot()
   * so that V8 optimizes the hot loop on its own, sooner (docs/PERFORMANCE.md, "Small hot
   * functions").
   */
  private regions(starts: Float64Array, ends: Float64Array, nrAccesses: Float64Array, ages: Float64Array, from: number, to: number): void {
    const out = this.out;
    for (let i = from; i < to; i++) {
      const start = starts[i] as number;
      const end = ends[i] as number;
      const nr = nrAccesses[i] as number;
      const age = ages[i] as number;
      // %012x-%012x (%12s) %11d %5d
      if (fitsHex12(start) && fitsHex12(end) && fitsSmallInt(nr) && fitsSmallInt(age)) {
        // The usual line, written in one go.
        const slot = this.sizeSlot(end - start);
        const size = this.sizeTexts[slot] as Uint8Array;
        const b = out.roomFor(size.length + LINE_ROOM);
        const v = out.roomView();
        let p = putHex12At(v, out.length, start);
        b[p++] = 0x2d;
        p = putHex12At(v, p, end);
        b[p++] = 0x20;
        b[p++] = 0x28;
        if (size.length === 12) {
          const words = this.sizeWords;
          v.setUint32(p, words[slot * 3] as number, true);
          v.setUint32(p + 4, words[slot * 3 + 1] as number, true);
          v.setUint32(p + 8, words[slot * 3 + 2] as number, true);
          p += 12;
        } else for (let j = 0; j < size.length; j++) b[p++] = size[j] as number;
        b[p++] = 0x29;
        b[p++] = 0x20;
        if (nr >= 0 && nr < 1000 && age >= -1 && age < 1000) {
          // '%11d %5d\n': eight spaces, the count's three bytes, a space, two spaces, the
          // age's three bytes, a newline, in five little-endian stores.
          const ageText = PADDED3[age + 1] as number;
          v.setUint32(p, 0x20202020);
          v.setUint32(p + 4, 0x20202020);
          v.setUint32(p + 8, (PADDED3[nr + 1] as number) | 0x20000000, true);
          v.setUint32(p + 12, 0x2020 | ((ageText & 0xffff) << 16), true);
          v.setUint16(p + 16, (ageText >>> 16) | 0x0a00, true);
          out.advanceTo(p + 18, 1);
          continue;
        }
        p = putSmallIntAt(b, v, p, nr, 11);
        b[p++] = 0x20;
        p = putSmallIntAt(b, v, p, age, 5);
        b[p++] = 0x0a;
        out.advanceTo(p, 1);
        continue;
      }
      out.putHex12(start);
      out.putConst(DASH);
      out.putHex12(end);
      out.putConst(OPEN_SIZE);
      const size = this.sizeText(end - start);
      out.putBytes(size);
      out.putConst(CLOSE_SIZE);
      out.putPaddedInt(nrAccesses[i] as number, 11, pyInt);
      out.putConst(SPACE);
      out.putPaddedInt(ages[i] as number, 5, pyInt);
      out.putConst(NEWLINE);
    }
  }
}

/** Writes damo's raw text for the recording; resolves when everything was written. */
export async function reportRaw(src: TraceSource, opts: RawOptions, sink: ByteSink): Promise<void> {
  if (src.header.targets.length === 0) {
    throw new DamoError('E_FORMAT', `${src.path}: no monitoring results in the file (it has no records)`);
  }
  const raw = opts.rawNumber;
  const text = new RawText(raw);
  const out = text.out;
  const flushIfFull = async (): Promise<void> => {
    if (out.length < CHUNK_BYTES) return;
    await sink.writeBytes(out.bytes());
    out.reset();
  };
  const dataSource = src.header.dataSource ?? 'unknown';
  // Column batches when the source offers them (core/trace_walk.ts): no snapshot object and
  // no promise per snapshot.
  const byColumns = walksByColumns(src);
  for (let t = 0; t < src.header.targets.length; t++) {
    const target = src.header.targets[t];
    const idText = target?.id === null || target?.id === undefined ? 'None' : target.id.toString();
    let base: number | undefined;
    let done = false;
    /** Writes the snapshot unless the duration filter leaves it out. */
    const take = (startNs: number): boolean => {
      if (base === undefined) {
        base = startNs;
        text.line(`base_time_absolute: ${formatTimeNs(absTime(src, base), raw)}`);
        text.line(`data source: ${dataSource}\n`);
      }
      if (opts.durationSec === undefined) return true;
      const offsetSec = (startNs - base) / 1e9;
      if (offsetSec < opts.durationSec[0]) return false;
      if (offsetSec > opts.durationSec[1]) {
        done = true;
        return false;
      }
      return true;
    };
    if (byColumns) {
      for await (const c of src.snapshotColumns()) {
        for (let k = 0; k < c.count && !done; k++) {
          if (c.targetIndex[k] !== t) continue;
          const startNs = c.startNs[k] as number;
          const endNs = c.endNs[k] as number;
          if (!take(startNs)) continue;
          const b = base as number;
          text.snapshot(startNs - b, endNs - b, idText, c.starts, c.ends, c.nrAccesses, c.ages, c.offsets[k] as number, c.offsets[k + 1] as number);
          if (out.length >= CHUNK_BYTES) await flushIfFull();
        }
        const turn = interruptCheck();
        if (turn !== undefined) await turn;
        if (done) break;
      }
    } else {
      await forEachSnapshotOfTarget(src, t, async (s: Snapshot) => {
        if (done || !take(s.startNs)) return;
        const b = base as number;
        text.snapshot(s.startNs - b, s.endNs - b, idText, s.starts, s.ends, s.nrAccesses, s.ages, 0, s.starts.length);
        await flushIfFull();
      });
    }
  }
  out.putConst(NEWLINE);
  // Newlines of damo's joined text: one fewer than the lines written.
  if (out.newlines - 1 > opts.pagerLines) out.dropLastByte();
  if (out.length > 0) await sink.writeBytes(out.bytes());
}
