/**
 * Reader for damo's `json` and `json_compressed` (zlib over the same JSON) record files.
 *
 * Layout (damo `_damo_records.py`): a list of records
 *   { kdamond_idx, context_idx, intervals, scheme_idx, target_id, scheme_filters,
 *     snapshots: [ { start_time, end_time, regions: [ { start, end,
 *         nr_accesses: {samples, percent}, age: {usec, aggr_intervals},
 *         sz_filter_passed, probe_hits } ], total_bytes, damos_stats, sample_interval_us } ],
 *     data_source }
 * Every field may be a JSON number or one of damo's human strings ("94,827,419,009,024",
 * "143.027 MiB", "1 s 500 ms"); keys may come in any order; unknown keys are skipped.
 * target_id is a JSON number that may exceed 2^53 and is kept exact.
 *
 * damo's files are large (about 460 bytes of indented JSON per region), so this is a
 * streaming byte-level parser rather than JSON.parse: input arrives in chunks (overlapping
 * zlib inflation on the thread pool with parsing), the outer containers (the record list,
 * snapshot lists, region lists) are an explicit state machine, and every smaller value is
 * parsed atomically; a value cut by a chunk boundary is re-parsed once the next chunk came.
 */
import { createReadStream } from 'node:fs';
import { createInflate } from 'node:zlib';

import { DamoError, errorMessage } from '../../core/errors.js';
import { ULONG_MAX_F } from '../../core/damon_constants.js';
import {
  textToBp,
  textToBytes,
  textToNr,
  textToNrExact,
  textToNs,
  textToPercent,
  textToUs,
  TextParseError,
} from '../../core/fmt.js';
import { emptyHeader, type DamosFilterInfo, type Intervals, type IntervalsGoal, type TraceHeader, type TraceTarget } from '../../core/model.js';
import {
  finishRecords,
  MemoryTraceSource,
  RegionAccumulator,
  type AbsTime,
  type PendingRecord,
  type PendingSnapshot,
} from './records.js';

/** Thrown inside the parser when a value runs past the bytes received so far. */
const NEED_MORE = { needMore: true } as const;

class JsonShapeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const enum St {
  TopBegin,
  TopFirst,
  TopElem,
  TopNext,
  TopDone,
  RecFirstKey,
  RecKey,
  RecNext,
  SnapsBegin,
  SnapsFirst,
  SnapsElem,
  SnapsNext,
  SnapFirstKey,
  SnapKey,
  SnapNext,
  RegsBegin,
  RegsFirst,
  RegsElem,
  RegsNext,
}

const C_QUOTE = 0x22;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;
const C_LBRACKET = 0x5b;
const C_RBRACKET = 0x5d;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_BACKSLASH = 0x5c;
const C_MINUS = 0x2d;

/** A region needs about 500 bytes; the template path runs only with this many ahead. */
const FAST_REGION_MIN_BYTES = 2048;

/** A constant byte string and its 8-byte words (for DataView compares). */
class ConstBytes {
  readonly bytes: Uint8Array;
  readonly words: Float64Array;
  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
    const n = Math.floor(this.bytes.length / 8);
    const dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.words = new Float64Array(n);
    for (let i = 0; i < n; i++) this.words[i] = dv.getFloat64(i * 8, true);
  }
}

/**
 * The constant parts of a region as damo writes it, for one indentation (the column of
 * its '{'). Layout A is damo <= 3.2 (start, end, nr_accesses, age); layout B is 3.3
 * (plus probe_hits and sz_filter_passed). nr_accesses.percent and age.usec are null.
 */
class RegionLayout {
  readonly head: ConstBytes;
  readonly afterStart: ConstBytes;
  readonly afterEnd: ConstBytes;
  readonly afterSamples: ConstBytes;
  readonly tailA: ConstBytes;
  readonly tailB: ConstBytes;
  readonly endB: ConstBytes;
  constructor(indent: number) {
    const i0 = ' '.repeat(indent);
    const i1 = ' '.repeat(indent + 4);
    const i2 = ' '.repeat(indent + 8);
    this.head = new ConstBytes(`{\n${i1}"start": "`);
    this.afterStart = new ConstBytes(`",\n${i1}"end": "`);
    this.afterEnd = new ConstBytes(`",\n${i1}"nr_accesses": {\n${i2}"samples": `);
    this.afterSamples = new ConstBytes(`,\n${i2}"percent": null\n${i1}},\n${i1}"age": {\n${i2}"usec": null,\n${i2}"aggr_intervals": `);
    this.tailA = new ConstBytes(`\n${i1}}\n${i0}}`);
    this.tailB = new ConstBytes(`\n${i1}},\n${i1}"probe_hits": [],\n${i1}"sz_filter_passed": "`);
    this.endB = new ConstBytes(`\n${i0}}`);
  }
}

/** Bytes of the next chunk joined to a value cut at a chunk boundary. */
const BRIDGE_BYTES = 64 * 1024;

/** Little-endian u32 of the first four bytes of `text` (shorter texts are zero-padded). */
function u32(text: string): number {
  let v = 0;
  for (let i = 0; i < 4 && i < text.length; i++) v |= text.charCodeAt(i) << (8 * i);
  return v >>> 0;
}

const W_STAR = u32('star');
const W_T_Q = u32('t"');
const W_END_Q = u32('end"');
const W_AGE_Q = u32('age"');
const W_NR_A = u32('nr_a');
const W_CCES = u32('cces');
const W_SES_Q = u32('ses"');
const W_SAMP = u32('samp');
const W_LES_Q = u32('les"');
const W_PERC = u32('perc');
const W_ENT_Q = u32('ent"');
const W_USEC = u32('usec');
const W_AGGR = u32('aggr');
const W__INT = u32('_int');
const W_ERVA = u32('erva');
const W_LS_Q = u32('ls"');
const W_SZ_F = u32('sz_f');
const W_NULL = u32('null');
const W_ILTE = u32('ilte');
const W_R_PA = u32('r_pa');
const W_SSED = u32('ssed');
const W_PROB = u32('prob');
const W_E_HI = u32('e_hi');
const W_TS_Q = u32('ts"');

/** Eight ASCII spaces read as one double. */
const SPACES8 = new Float64Array(new Uint8Array(8).fill(0x20).buffer)[0] as number;

/** A number token kept as its text, so integers beyond 2^53 can become exact bigints. */
class NumText {
  constructor(readonly text: string) {}
}

type Json = null | boolean | string | NumText | Json[] | { [k: string]: Json };

/** Fields of the snapshot being parsed; one object, reset for each snapshot. */
interface PendingSnapshotFields {
  start: AbsTime | null;
  end: AbsTime | null;
  totalBytes: number | undefined;
  sampleIntervalUs: number | undefined;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes bytes [s, e); views of shared memory are copied first (TextDecoder refuses them). */
function decodeRange(b: Uint8Array, s: number, e: number): string {
  return textDecoder.decode(b.buffer instanceof SharedArrayBuffer ? b.slice(s, e) : b.subarray(s, e));
}

export interface DamoJsonParserOptions {
  /** Use the byte template for damo's exact region layout (default true; tests compare). */
  templates?: boolean;
}

export class DamoJsonParser {
  private readonly templates: boolean;

  constructor(opts: DamoJsonParserOptions = {}) {
    this.templates = opts.templates !== false;
  }

  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  /** Offset of buf[0] in the whole JSON text, for error messages. */
  private base = 0;
  private final = false;
  private state: St = St.TopBegin;

  readonly records: PendingRecord[] = [];
  intervals: Intervals | null = null;
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string | undefined;
  nrRegions = 0;

  private record: PendingRecord | null = null;
  private snapFields: PendingSnapshotFields = { start: null, end: null, totalBytes: undefined, sampleIntervalUs: undefined };
  private regions = new RegionAccumulator();
  private recordHasSnapshots = false;

  /** Feeds the next chunk of JSON text. */
  feed(chunk: Uint8Array): void {
    if (this.pos >= this.end) {
      this.base += this.end;
      this.setBuffer(chunk, 0);
      this.run();
      return;
    }
    // A value straddles the chunk boundary. Parse across it in a small joined buffer, then
    // go on in the chunk itself, so the bulk of the data is never copied.
    const rest = this.end - this.pos;
    const bridgeLen = Math.min(chunk.length, BRIDGE_BYTES);
    const joined = new Uint8Array(rest + bridgeLen);
    joined.set(this.buf.subarray(this.pos, this.end), 0);
    joined.set(chunk.subarray(0, bridgeLen), rest);
    this.base += this.pos;
    this.setBuffer(joined, 0);
    this.run();
    if (bridgeLen === chunk.length) return;
    if (this.pos >= rest) {
      this.base += rest;
      this.setBuffer(chunk, this.pos - rest);
      this.run();
      return;
    }
    // One value is longer than the bridge: join the rest of the chunk as well.
    const left = this.end - this.pos;
    const all = new Uint8Array(left + chunk.length - bridgeLen);
    all.set(joined.subarray(this.pos), 0);
    all.set(chunk.subarray(bridgeLen), left);
    this.base += this.pos;
    this.setBuffer(all, 0);
    this.run();
  }

  private setBuffer(b: Uint8Array, pos: number): void {
    this.buf = b;
    this.pos = pos;
    this.end = b.length;
    this.setWords();
  }

  /** Marks the end of input; fails if the JSON is incomplete. */
  finish(): void {
    this.final = true;
    this.run();
    this.skipWs();
    if (this.state !== St.TopDone) {
      throw new JsonShapeError('the JSON text ends before the list of records is closed (truncated file?)', this.base + this.pos);
    }
    if (this.pos < this.end) throw this.err('unexpected data after the end of the list of records');
  }

  private err(message: string, at = this.pos): JsonShapeError {
    return new JsonShapeError(message, this.base + at);
  }

  private run(): void {
    for (;;) {
      const mark = this.pos;
      try {
        if (!this.step()) return;
      } catch (e) {
        if (e === NEED_MORE) {
          if (this.final) throw this.err('the JSON text ends in the middle of a value (truncated file?)', mark);
          this.pos = mark;
          return;
        }
        throw e;
      }
    }
  }

  private skipWs(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = b[p] as number;
      if (c === 0x20) {
        // damo indents with long runs of spaces: compare eight bytes at a time.
        const dv = this.view;
        const last = end - 8;
        while (p <= last && dv.getFloat64(p, true) === SPACES8) p += 8;
        while (p < end && b[p] === 0x20) p++;
      } else if (c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** Sets the DataView that skipWs() reads eight bytes at a time through. */
  private setWords(): void {
    const b = this.buf;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Next significant byte without consuming it. */
  private peek(): number {
    this.skipWs();
    if (this.pos >= this.end) throw NEED_MORE;
    return this.buf[this.pos] as number;
  }

  private expect(c: number, what: string): void {
    if (this.peek() !== c) throw this.err(`expected ${what}`);
    this.pos++;
  }

  /** One step of the container state machine; false when it must wait for input. */
  private step(): boolean {
    switch (this.state) {
      case St.TopBegin:
        // A UTF-8 byte order mark some editors add.
        if (this.base === 0 && this.pos === 0 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
        if (this.peek() !== C_LBRACKET) throw this.err('a damo record file must be a JSON list of records');
        this.pos++;
        this.state = St.TopFirst;
        return true;
      case St.TopFirst:
        if (this.peek() === C_RBRACKET) {
          this.pos++;
          this.state = St.TopDone;
          return true;
        }
        this.state = St.TopElem;
        return true;
      case St.TopElem:
        if (this.peek() !== C_LBRACE) throw this.err('each record must be a JSON object');
        this.pos++;
        this.beginRecord();
        this.state = St.RecFirstKey;
        return true;
      case St.TopNext: {
        const c = this.peek();
        this.pos++;
        if (c === C_COMMA) this.state = St.TopElem;
        else if (c === C_RBRACKET) this.state = St.TopDone;
        else throw this.err("expected ',' or ']' after a record", this.pos - 1);
        return true;
      }
      case St.TopDone:
        return false;

      case St.RecFirstKey:
        if (this.peek() === C_RBRACE) {
          this.pos++;
          this.endRecord();
          this.state = St.TopNext;
          return true;
        }
        this.state = St.RecKey;
        return true;
      case St.RecKey: {
        const key = this.parseKey();
        if (key === 'snapshots') {
          this.state = St.SnapsBegin;
          return true;
        }
        this.recordField(key);
        this.state = St.RecNext;
        return true;
      }
      case St.RecNext: {
        const c = this.peek();
        this.pos++;
        if (c === C_COMMA) this.state = St.RecKey;
        else if (c === C_RBRACE) {
          this.endRecord();
          this.state = St.TopNext;
        } else throw this.err("expected ',' or '}' in a record", this.pos - 1);
        return true;
      }

      case St.SnapsBegin:
        if (this.peek() !== C_LBRACKET) throw this.err("a record's 'snapshots' must be a list");
        this.pos++;
        this.recordHasSnapshots = true;
        this.state = St.SnapsFirst;
        return true;
      case St.SnapsFirst:
        if (this.peek() === C_RBRACKET) {
          this.pos++;
          this.state = St.RecNext;
          return true;
        }
        this.state = St.SnapsElem;
        return true;
      case St.SnapsElem:
        if (this.peek() !== C_LBRACE) throw this.err('each snapshot must be a JSON object');
        this.pos++;
        {
          const f = this.snapFields;
          f.start = null;
          f.end = null;
          f.totalBytes = undefined;
          f.sampleIntervalUs = undefined;
        }
        this.regions.reset();
        this.state = St.SnapFirstKey;
        return true;
      case St.SnapsNext: {
        const c = this.peek();
        this.pos++;
        if (c === C_COMMA) this.state = St.SnapsElem;
        else if (c === C_RBRACKET) this.state = St.RecNext;
        else throw this.err("expected ',' or ']' after a snapshot", this.pos - 1);
        return true;
      }

      case St.SnapFirstKey:
        if (this.peek() === C_RBRACE) {
          this.pos++;
          this.endSnapshot();
          this.state = St.SnapsNext;
          return true;
        }
        this.state = St.SnapKey;
        return true;
      case St.SnapKey: {
        const key = this.snapshotKey();
        if (key === 'regions') {
          this.state = St.RegsBegin;
          return true;
        }
        this.snapshotField(key);
        this.state = St.SnapNext;
        return true;
      }
      case St.SnapNext: {
        const c = this.peek();
        this.pos++;
        if (c === C_COMMA) this.state = St.SnapKey;
        else if (c === C_RBRACE) {
          this.endSnapshot();
          this.state = St.SnapsNext;
        } else throw this.err("expected ',' or '}' in a snapshot", this.pos - 1);
        return true;
      }

      case St.RegsBegin:
        if (this.peek() !== C_LBRACKET) throw this.err("a snapshot's 'regions' must be a list");
        this.pos++;
        this.state = St.RegsFirst;
        return true;
      case St.RegsFirst:
        if (this.peek() === C_RBRACKET) {
          this.pos++;
          this.state = St.SnapNext;
          return true;
        }
        this.state = St.RegsElem;
        return true;
      case St.RegsElem:
        this.parseRegion();
        this.state = St.RegsNext;
        // Regions are the bulk of the file: parse runs of them without leaving this case.
        for (;;) {
          const mark = this.pos;
          let c: number;
          try {
            c = this.peek();
            if (c === C_COMMA) {
              this.pos++;
              this.parseRegion();
              continue;
            }
          } catch (e) {
            if (e !== NEED_MORE) throw e;
            // Resume before the separator once more input came.
            if (this.final) throw this.err('the JSON text ends in the middle of a region list (truncated file?)', mark);
            this.pos = mark;
            return false;
          }
          if (c === C_RBRACKET) {
            this.pos++;
            this.state = St.SnapNext;
            return true;
          }
          throw this.err("expected ',' or ']' after a region");
        }
      case St.RegsNext: {
        const c = this.peek();
        this.pos++;
        if (c === C_COMMA) this.state = St.RegsElem;
        else if (c === C_RBRACKET) this.state = St.SnapNext;
        else throw this.err("expected ',' or ']' after a region", this.pos - 1);
        return true;
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Records and snapshots

  private beginRecord(): void {
    const target: TraceTarget = { id: null };
    this.record = { target, snapshots: [] };
    this.recordHasSnapshots = false;
  }

  private endRecord(): void {
    const record = this.record as PendingRecord;
    if (!this.recordHasSnapshots) {
      throw this.err(`record ${this.records.length} has no 'snapshots' list`, this.pos - 1);
    }
    this.records.push(record);
    this.record = null;
  }

  private endSnapshot(): void {
    const f = this.snapFields;
    const record = this.record as PendingRecord;
    const idx = record.snapshots.length;
    if (f.start === null) throw this.err(`snapshot ${idx} of record ${this.records.length} has no 'start_time'`, this.pos - 1);
    if (f.end === null) throw this.err(`snapshot ${idx} of record ${this.records.length} has no 'end_time'`, this.pos - 1);
    // take()'s object becomes the snapshot (one allocation instead of two).
    const snap = this.regions.take() as PendingSnapshot;
    snap.start = f.start;
    snap.end = f.end;
    if (f.totalBytes !== undefined) snap.totalBytes = f.totalBytes;
    if (f.sampleIntervalUs !== undefined) snap.sampleIntervalUs = f.sampleIntervalUs;
    this.nrRegions += snap.starts.length;
    record.snapshots.push(snap);
  }

  private recordField(key: string): void {
    const at = this.pos;
    const target = (this.record as PendingRecord).target;
    switch (key) {
      case 'kdamond_idx':
      case 'context_idx':
      case 'scheme_idx': {
        const v = this.parseValue();
        if (v === null) return;
        const n = this.toNumber(v, key, at);
        if (key === 'kdamond_idx') target.kdamondIdx = n;
        else if (key === 'context_idx') target.contextIdx = n;
        else target.schemeIdx = n;
        return;
      }
      case 'target_id': {
        const v = this.parseValue();
        target.id = v === null ? null : this.toBigInt(v, key, at);
        return;
      }
      case 'intervals': {
        const v = this.parseValue();
        if (v === null) return;
        if (typeof v !== 'object' || Array.isArray(v) || v instanceof NumText) {
          throw this.err("'intervals' must be an object or null", at);
        }
        const intervals: Intervals = {
          sampleUs: this.convert(v['sample_us'] ?? null, textToUs, 'intervals.sample_us', at),
          aggrUs: this.convert(v['aggr_us'] ?? null, textToUs, 'intervals.aggr_us', at),
          opsUpdateUs: this.convert(v['ops_update_us'] ?? null, textToUs, 'intervals.ops_update_us', at),
        };
        this.intervals ??= intervals;
        const goal = v['intervals_goal'];
        if (goal !== undefined && goal !== null && typeof goal === 'object' && !Array.isArray(goal) && !(goal instanceof NumText)) {
          this.intervalsGoal ??= {
            accessBp: this.convert(goal['access_bp'] ?? null, textToBp, 'intervals_goal.access_bp', at),
            aggrs: this.convert(goal['aggrs'] ?? null, textToNr, 'intervals_goal.aggrs', at),
            minSampleUs: this.convert(goal['min_sample_us'] ?? null, textToUs, 'intervals_goal.min_sample_us', at),
            maxSampleUs: this.convert(goal['max_sample_us'] ?? null, textToUs, 'intervals_goal.max_sample_us', at),
          };
        }
        return;
      }
      case 'scheme_filters': {
        const v = this.parseValue();
        if (v === null) return;
        if (!Array.isArray(v)) throw this.err("'scheme_filters' must be a list or null", at);
        const filters = v.map((f) => this.schemeFilter(f, at));
        if (filters.length > 0) target.schemeFilters = filters;
        return;
      }
      case 'data_source': {
        const v = this.parseValue();
        if (typeof v === 'string') this.dataSource ??= v;
        return;
      }
      default:
        this.skipValue();
    }
  }

  /** One entry of 'scheme_filters' (damo `DamosFilter.from_kvpairs`). */
  private schemeFilter(f: Json, at: number): DamosFilterInfo {
    if (f === null || typeof f !== 'object' || Array.isArray(f) || f instanceof NumText) {
      throw this.err("each 'scheme_filters' entry must be an object", at);
    }
    const bool = (x: Json | undefined): boolean => x === true || x === 'true' || x === 'True' || x === 'Y' || x === 'yes';
    const type = f['filter_type'];
    if (typeof type !== 'string') throw this.err("a scheme filter needs a 'filter_type' string", at);
    const range = f['address_range'];
    const hp = f['hugepage_size'];
    const tidx = f['damon_target_idx'];
    return {
      filterType: type,
      matching: bool(f['matching']),
      allow: bool(f['allow'] ?? f['filter_pass']),
      memcgPath: type === 'memcg' && typeof f['memcg_path'] === 'string' ? f['memcg_path'] : '',
      // damo keeps the address range of addr filters and the target index of target ones only.
      addressRange:
        type === 'addr' && range !== undefined && range !== null && typeof range === 'object' && !Array.isArray(range) && !(range instanceof NumText)
          ? [this.convert(range['start'] ?? null, textToBytes, 'address_range.start', at), this.convert(range['end'] ?? null, textToBytes, 'address_range.end', at)]
          : null,
      damonTargetIdx: type !== 'target' || tidx === undefined || tidx === null ? null : this.convert(tidx, textToNr, 'damon_target_idx', at),
      hugepageSize: Array.isArray(hp) && hp.length === 2
        ? [this.convert(hp[0] ?? null, textToBytes, 'hugepage_size', at), this.convert(hp[1] ?? null, textToBytes, 'hugepage_size', at)]
        : null,
    };
  }

  /** A snapshot key; the common ones are matched without decoding a string. */
  private snapshotKey(): string {
    if (this.peek() !== C_QUOTE) throw this.err('expected a quoted key');
    const b = this.buf;
    const s = this.pos + 1;
    if (s + 12 <= this.end) {
      let key: string | undefined;
      if (b[s + 7] === C_QUOTE && keyEquals(b, s, 'regions')) key = 'regions';
      else if (b[s + 10] === C_QUOTE && keyEquals(b, s, 'start_time')) key = 'start_time';
      else if (b[s + 8] === C_QUOTE && keyEquals(b, s, 'end_time')) key = 'end_time';
      else if (b[s + 11] === C_QUOTE && keyEquals(b, s, 'total_bytes')) key = 'total_bytes';
      if (key !== undefined) {
        this.pos = s + key.length + 1;
        this.expect(C_COLON, "':' after a key");
        return key;
      }
    }
    return this.parseKey();
  }

  /**
   * A value that is a plain non-negative integer of at most 15 digits, quoted or not, read
   * from the bytes; -1 (nothing consumed) for anything else.
   */
  private plainInteger(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    const quoted = b[p] === C_QUOTE;
    if (quoted) p++;
    const s = p;
    let v = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) v = v * 10 + (d - 0x30);
      else break;
    }
    if (p >= end || p === s || p - s > 15) return -1;
    const d = b[p] as number;
    if (quoted) {
      if (d !== C_QUOTE) return -1;
      p++;
    } else if (d === 0x2e || d === 0x65 || d === 0x45) return -1;
    this.pos = p;
    return v;
  }

  private snapshotField(key: string): void {
    const at = this.pos;
    const f = this.snapFields;
    if (key === 'start_time' || key === 'end_time' || key === 'total_bytes') {
      this.peek();
      const v = this.plainInteger();
      if (v >= 0) {
        if (key === 'start_time') f.start = v;
        else if (key === 'end_time') f.end = v;
        else f.totalBytes = v;
        return;
      }
    }
    switch (key) {
      case 'start_time':
        f.start = this.parseTime(key, at);
        return;
      case 'end_time':
        f.end = this.parseTime(key, at);
        return;
      case 'total_bytes': {
        const v = this.parseValue();
        if (v !== null) f.totalBytes = this.convert(v, textToBytes, key, at);
        return;
      }
      case 'sample_interval_us': {
        const v = this.parseValue();
        if (v !== null) f.sampleIntervalUs = this.convert(v, textToUs, key, at);
        return;
      }
      default:
        this.skipValue();
    }
  }

  /** A snapshot time: exact integer text stays exact (bigint beyond 2^53). */
  private parseTime(key: string, at: number): AbsTime {
    const v = this.parseValue();
    if (v === null) throw this.err(`'${key}' must not be null`, at);
    const text = v instanceof NumText ? v.text : typeof v === 'string' ? v : undefined;
    if (text === undefined) throw this.err(`'${key}' must be a number or a time string`, at);
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : BigInt(text);
    }
    try {
      const ns = textToNs(text);
      if (Number.isNaN(ns)) throw new TextParseError('not a number');
      return ns;
    } catch (e) {
      throw this.err(`'${key}' value '${text}' is not a time (${errorMessage(e)})`, at);
    }
  }

  private convert(v: Json, fn: (t: string | number) => number, what: string, at: number): number {
    if (v instanceof NumText) return Number(v.text);
    if (typeof v === 'string') {
      try {
        const n = fn(v);
        if (Number.isNaN(n)) throw new TextParseError('not a number');
        return n;
      } catch (e) {
        throw this.err(`'${what}' value '${v}' cannot be read (${errorMessage(e)})`, at);
      }
    }
    throw this.err(`'${what}' must be a number or a string`, at);
  }

  private toNumber(v: Json, what: string, at: number): number {
    return this.convert(v, textToNr, what, at);
  }

  private toBigInt(v: Json, what: string, at: number): bigint {
    let text: string;
    if (v instanceof NumText) text = v.text;
    else if (typeof v === 'string') text = v;
    else throw this.err(`'${what}' must be an integer or null`, at);
    try {
      const n = textToNrExact(text);
      if (typeof n === 'bigint') return n;
      if (!Number.isFinite(n)) throw new TextParseError('not finite');
      return BigInt(Math.trunc(n));
    } catch (e) {
      throw this.err(`'${what}' value '${text}' is not an integer (${errorMessage(e)})`, at);
    }
  }

  // -------------------------------------------------------------------------------------
  // Regions: the hot path

  private parseRegion(): void {
    if (this.peek() !== C_LBRACE) throw this.err('each region must be a JSON object');
    if (this.templates && this.end - this.pos > FAST_REGION_MIN_BYTES) {
      const layout = this.layoutFor(this.pos);
      if (layout !== null && this.fastRegion(layout)) return;
    }
    const at = this.pos;
    this.pos++;
    let start = NaN;
    let end = NaN;
    let samples = NaN;
    let percent = NaN;
    let hasNrAccesses = false;
    let age = -1;
    let ageUsec = NaN;
    let szFilterPassed = NaN;
    if (this.peek() === C_RBRACE) {
      this.pos++;
    } else {
      for (;;) {
        const k = this.regionKey();
        switch (k) {
          case RK_START:
            start = this.sizeValue('start');
            break;
          case RK_END:
            end = this.sizeValue('end');
            break;
          case RK_NR_ACCESSES: {
            hasNrAccesses = true;
            const c = this.peek();
            if (c === C_LBRACE) {
              this.pos++;
              if (this.peek() === C_RBRACE) this.pos++;
              else {
                for (;;) {
                  const sub = this.regionKey();
                  if (sub === RK_SAMPLES) samples = this.nrValue('nr_accesses.samples', textToNr);
                  else if (sub === RK_PERCENT) percent = this.nrValue('nr_accesses.percent', textToPercent);
                  else this.skipValue();
                  if (this.closeOrComma(C_RBRACE, 'nr_accesses')) break;
                }
              }
            } else this.nullValue("a region's 'nr_accesses' must be an object or null");
            break;
          }
          case RK_AGE: {
            const c = this.peek();
            if (c === C_LBRACE) {
              this.pos++;
              if (this.peek() === C_RBRACE) this.pos++;
              else {
                for (;;) {
                  const sub = this.regionKey();
                  if (sub === RK_AGGR_INTERVALS) {
                    const v = this.nrValue('age.aggr_intervals', textToNr);
                    if (!Number.isNaN(v)) age = v;
                  } else if (sub === RK_USEC) ageUsec = this.nrValue('age.usec', textToUs);
                  else this.skipValue();
                  if (this.closeOrComma(C_RBRACE, 'age')) break;
                }
              }
            } else this.nullValue("a region's 'age' must be an object or null");
            break;
          }
          case RK_SZ_FILTER_PASSED:
            szFilterPassed = this.sizeValue('sz_filter_passed', true);
            break;
          default:
            this.skipValue();
        }
        if (this.closeOrComma(C_RBRACE, 'region')) break;
      }
    }
    if (Number.isNaN(start) || Number.isNaN(end)) {
      throw this.err("a region needs both 'start' and 'end'", at);
    }
    if (Number.isNaN(samples)) {
      const iv = this.intervals;
      if (!Number.isNaN(percent) && iv !== null && iv.sampleUs > 0) {
        // damo's add_unset_unit: samples = int(percent * (aggr / sample) / 100)
        samples = Math.trunc((percent * (iv.aggrUs / iv.sampleUs)) / 100);
      } else if (hasNrAccesses) {
        throw this.err("a region's nr_accesses has no 'samples' (and no 'percent' with known intervals)", at);
      } else {
        throw this.err("a region has no 'nr_accesses'", at);
      }
    }
    if (age === -1 && !Number.isNaN(ageUsec) && this.intervals !== null && this.intervals.aggrUs > 0) {
      age = Math.trunc(ageUsec / this.intervals.aggrUs);
    }
    const acc = this.regions;
    if (!Number.isNaN(szFilterPassed)) acc.hasSzFilterPassed = true;
    acc.push(start, end, samples, age, Number.isNaN(szFilterPassed) ? 0 : szFilterPassed);
  }

  // -------------------------------------------------------------------------------------
  // damo's exact region layout (json.dumps(indent=4)) as a template: the constant bytes
  // between the values are compared eight at a time and the values read in place. Anything
  // else (other whitespace, key order, units, a chunk end) goes through parseRegion's
  // general path, which gives identical results.

  private layouts = new Map<number, RegionLayout | null>();

  /** The template for a region whose '{' is at `at`, by the indentation before it. */
  private layoutFor(at: number): RegionLayout | null {
    const b = this.buf;
    let p = at - 1;
    while (p >= 0 && b[p] === 0x20) p--;
    if (p < 0 || b[p] !== 0x0a) return null;
    const indent = at - 1 - p;
    let layout = this.layouts.get(indent);
    if (layout === undefined) {
      layout = indent % 4 === 0 && indent <= 64 ? new RegionLayout(indent) : null;
      this.layouts.set(indent, layout);
    }
    return layout;
  }

  /** Compares the bytes at `p` with a constant; true when they are equal. */
  private same(p: number, c: ConstBytes): boolean {
    const dv = this.view;
    const w = c.words;
    for (let i = 0; i < w.length; i++) if (dv.getFloat64(p + i * 8, true) !== w[i]) return false;
    const b = this.buf;
    const t = c.bytes;
    for (let i = w.length * 8; i < t.length; i++) if (b[p + i] !== t[i]) return false;
    return true;
  }

  /** Digits with comma groups up to the closing quote: the value (fastPos = the quote), or -1. */
  private fastDigits(p: number): number {
    const b = this.buf;
    let v = 0;
    let digits = 0;
    for (;;) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        v = v * 10 + (d - 0x30);
        digits++;
      } else if (d !== C_COMMA) break;
      p++;
    }
    if (b[p] !== C_QUOTE || digits === 0 || digits > 15) return -1;
    // At the closing quote, which the next constant starts with.
    this.fastPos = p;
    return v;
  }

  private fastPos = 0;

  /** Parses one region at pos by the template; false (nothing consumed) if it does not fit. */
  private fastRegion(l: RegionLayout): boolean {
    const b = this.buf;
    let p = this.pos;
    if (!this.same(p, l.head)) return false;
    const start = this.fastDigits(p + l.head.bytes.length);
    if (start < 0) return false;
    p = this.fastPos;
    if (!this.same(p, l.afterStart)) return false;
    const end = this.fastDigits(p + l.afterStart.bytes.length);
    if (end < 0) return false;
    p = this.fastPos;
    if (!this.same(p, l.afterEnd)) return false;
    p += l.afterEnd.bytes.length;
    let samples = 0;
    let digits = 0;
    for (;;) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        samples = samples * 10 + (d - 0x30);
        digits++;
        p++;
      } else break;
    }
    if (digits === 0 || digits > 15) return false;
    if (!this.same(p, l.afterSamples)) return false;
    p += l.afterSamples.bytes.length;
    let age = -1;
    if (b[p] === C_QUOTE) {
      const v = this.fastDigits(p + 1);
      if (v < 0) return false;
      age = v;
      p = this.fastPos + 1;
    } else if (this.view.getUint32(p, true) === W_NULL) p += 4;
    else return false;
    let szFilterPassed = NaN;
    if (this.same(p, l.tailA)) p += l.tailA.bytes.length;
    else if (this.same(p, l.tailB)) {
      this.pos = p + l.tailB.bytes.length - 1;
      const v = this.quotedSize();
      if (v < 0) {
        this.pos = p;
        return false;
      }
      p = this.pos;
      if (!this.same(p, l.endB)) return false;
      p += l.endB.bytes.length;
      szFilterPassed = v;
    } else return false;
    this.pos = p;
    const acc = this.regions;
    if (!Number.isNaN(szFilterPassed)) acc.hasSzFilterPassed = true;
    acc.push(start, end, samples, age, Number.isNaN(szFilterPassed) ? 0 : szFilterPassed);
    return true;
  }

  /** Consumes ',' (false) or the closing byte (true). */
  private closeOrComma(close: number, what: string): boolean {
    const c = this.peek();
    this.pos++;
    if (c === C_COMMA) return false;
    if (c === close) return true;
    throw this.err(`expected ',' or '${String.fromCharCode(close)}' in ${what}`, this.pos - 1);
  }

  private nullValue(message: string): void {
    const v = this.parseValue();
    if (v !== null) throw this.err(message);
  }

  /**
   * Reads a key of a region (or of its nr_accesses/age objects) and the ':' after it,
   * returning one of the RK_* codes without creating a string.
   */
  private regionKey(): number {
    if (this.peek() !== C_QUOTE) throw this.err('expected a quoted key');
    const s = this.pos + 1;
    // Known keys are compared four bytes at a time, closing quote included.
    if (s + 20 <= this.end) {
      const dv = this.view;
      const w0 = dv.getUint32(s, true);
      let code = RK_OTHER;
      let len = 0;
      if (w0 === W_STAR) {
        if ((dv.getUint16(s + 4, true) & 0xffff) === W_T_Q) {
          code = RK_START;
          len = 5;
        }
      } else if (w0 === W_END_Q) {
        code = RK_END;
        len = 3;
      } else if (w0 === W_AGE_Q) {
        code = RK_AGE;
        len = 3;
      } else if (w0 === W_NR_A) {
        if (dv.getUint32(s + 4, true) === W_CCES && dv.getUint32(s + 8, true) === W_SES_Q) {
          code = RK_NR_ACCESSES;
          len = 11;
        }
      } else if (w0 === W_SAMP) {
        if (dv.getUint32(s + 4, true) === W_LES_Q) {
          code = RK_SAMPLES;
          len = 7;
        }
      } else if (w0 === W_PERC) {
        if (dv.getUint32(s + 4, true) === W_ENT_Q) {
          code = RK_PERCENT;
          len = 7;
        }
      } else if (w0 === W_USEC) {
        if (this.buf[s + 4] === C_QUOTE) {
          code = RK_USEC;
          len = 4;
        }
      } else if (w0 === W_AGGR) {
        if (dv.getUint32(s + 4, true) === W__INT && dv.getUint32(s + 8, true) === W_ERVA && (dv.getUint32(s + 12, true) & 0xffffff) === W_LS_Q) {
          code = RK_AGGR_INTERVALS;
          len = 14;
        }
      } else if (w0 === W_SZ_F) {
        if (
          dv.getUint32(s + 4, true) === W_ILTE &&
          dv.getUint32(s + 8, true) === W_R_PA &&
          dv.getUint32(s + 12, true) === W_SSED &&
          this.buf[s + 16] === C_QUOTE
        ) {
          code = RK_SZ_FILTER_PASSED;
          len = 16;
        }
      } else if (w0 === W_PROB) {
        if (dv.getUint32(s + 4, true) === W_E_HI && (dv.getUint32(s + 8, true) & 0xffffff) === W_TS_Q) {
          code = RK_PROBE_HITS;
          len = 10;
        }
      }
      if (code !== RK_OTHER) {
        this.pos = s + len + 1;
        this.expect(C_COLON, "':' after a key");
        return code;
      }
    }
    const key = this.parseKeyString();
    this.expect(C_COLON, "':' after a key");
    return REGION_KEYS.get(key) ?? RK_OTHER;
  }

  /**
   * damo's usual size strings read straight from the bytes: "94,827,419,009,024", "0 B",
   * "143.027 MiB" (digits with comma groups, an optional fraction, blanks, a unit). Returns
   * -1 without consuming anything when the text is something else; text_to_bytes then
   * decides. Same arithmetic as damo: int(float(number) * unit).
   */
  private quotedSize(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let v = 0;
    let digits = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        v = v * 10 + (d - 0x30);
        digits++;
      } else if (d !== C_COMMA) break;
    }
    if (p >= end) throw NEED_MORE;
    if (digits === 0 || digits > 15) return -1;
    if (b[p] === C_QUOTE) {
      this.pos = p + 1;
      return v;
    }
    let num = v;
    if (b[p] === 0x2e) {
      // A fraction: let Number() round the decimal text exactly like Python's float().
      const s = this.pos + 1;
      p++;
      while (p < end && (b[p] as number) >= 0x30 && (b[p] as number) <= 0x39) p++;
      if (p >= end) throw NEED_MORE;
      let text = '';
      for (let i = s; i < p; i++) if (b[i] !== C_COMMA) text += String.fromCharCode(b[i] as number);
      num = Number(text);
    }
    while (p < end && b[p] === 0x20) p++;
    if (p + 4 > end) throw NEED_MORE;
    const u = b[p] as number;
    let mult: number;
    if (u === 0x42) mult = 1; // B
    else if (u === 0x4b) mult = 1024; // K
    else if (u === 0x4d) mult = 1024 ** 2;
    else if (u === 0x47) mult = 1024 ** 3;
    else if (u === 0x54) mult = 1024 ** 4;
    else if (u === 0x50) mult = 1024 ** 5;
    else if (u === 0x45) mult = 1024 ** 6;
    else return -1;
    p++;
    if (u !== 0x42) {
      // K, KB or KiB
      if (b[p] === 0x42) p++;
      else if (b[p] === 0x69 && b[p + 1] === 0x42) p += 2;
    }
    if (b[p] !== C_QUOTE) return -1;
    this.pos = p + 1;
    return Math.min(ULONG_MAX_F, Math.trunc(num * mult));
  }

  /** A quoted count like "1,234" read from the bytes; -1 (nothing consumed) otherwise. */
  private quotedCount(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let v = 0;
    let digits = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        v = v * 10 + (d - 0x30);
        digits++;
      } else if (d !== C_COMMA) break;
    }
    if (p >= end) throw NEED_MORE;
    if (digits === 0 || digits > 15 || b[p] !== C_QUOTE) return -1;
    this.pos = p + 1;
    return v;
  }

  /**
   * A size or address: a JSON number or damo's human text. Digits with comma groups
   * ("94,827,419,009,024") are decoded in place; anything else goes through text_to_bytes.
   */
  private sizeValue(what: string, nullable = false): number {
    const c = this.peek();
    if (c === C_QUOTE) {
      const v = this.quotedSize();
      if (v >= 0) return v;
      const at = this.pos;
      const text = this.parseString();
      try {
        const n = textToBytes(text);
        if (Number.isNaN(n)) throw new TextParseError('not a number');
        return n;
      } catch (e) {
        throw this.err(`region '${what}' value '${text}' is not a size (${errorMessage(e)})`, at);
      }
    }
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) return Number(this.parseNumberText());
    if (nullable && c === 0x6e) {
      this.parseLiteral();
      return NaN;
    }
    throw this.err(`region '${what}' must be a number or a size string`);
  }

  /** A count (JSON number or text) or null (NaN). */
  private nrValue(what: string, fn: (t: string) => number): number {
    const c = this.peek();
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) {
      const b = this.buf;
      const end = this.end;
      let p = this.pos;
      let v = 0;
      let neg = false;
      if (c === C_MINUS) {
        neg = true;
        p++;
      }
      const s = p;
      for (; p < end; p++) {
        const d = b[p] as number;
        if (d >= 0x30 && d <= 0x39) v = v * 10 + (d - 0x30);
        else break;
      }
      if (p >= end) throw NEED_MORE;
      const d = b[p] as number;
      if (d !== 0x2e && d !== 0x65 && d !== 0x45 && p > s && p - s <= 15) {
        this.pos = p;
        return neg ? -v : v;
      }
      return Number(this.parseNumberText());
    }
    if (c === C_QUOTE) {
      const v = this.quotedCount();
      if (v >= 0) return v;
      const at = this.pos;
      const text = this.parseString();
      try {
        const n = fn(text);
        if (Number.isNaN(n)) throw new TextParseError('not a number');
        return n;
      } catch (e) {
        throw this.err(`'${what}' value '${text}' cannot be read (${errorMessage(e)})`, at);
      }
    }
    if (c === 0x6e) {
      this.parseLiteral();
      return NaN;
    }
    throw this.err(`'${what}' must be a number, a string or null`);
  }

  // -------------------------------------------------------------------------------------
  // Generic JSON

  private parseKey(): string {
    const key = this.parseKeyString();
    this.expect(C_COLON, "':' after a key");
    return key;
  }

  private parseKeyString(): string {
    if (this.peek() !== C_QUOTE) throw this.err('expected a quoted key');
    return this.parseString();
  }

  /** A JSON string at pos (which holds the opening quote). */
  private parseString(): string {
    const b = this.buf;
    const end = this.end;
    const s = this.pos + 1;
    let p = s;
    let hasEscape = false;
    for (;;) {
      if (p >= end) throw NEED_MORE;
      const c = b[p] as number;
      if (c === C_QUOTE) break;
      if (c === C_BACKSLASH) {
        hasEscape = true;
        p += 2;
        continue;
      }
      if (c < 0x20) throw this.err('control character inside a string', p);
      p++;
    }
    this.pos = p + 1;
    if (!hasEscape) return decodeRange(b, s, p);
    try {
      return JSON.parse(decodeRange(b, s - 1, p + 1)) as string;
    } catch {
      throw this.err('invalid escape in a string', s);
    }
  }

  private parseNumberText(): string {
    const b = this.buf;
    const end = this.end;
    const s = this.pos;
    let p = s;
    while (p < end) {
      const c = b[p] as number;
      if ((c >= 0x30 && c <= 0x39) || c === C_MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) p++;
      else break;
    }
    if (p >= end) throw NEED_MORE;
    const text = decodeRange(b, s, p);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) throw this.err(`invalid number '${text}'`, s);
    this.pos = p;
    return text;
  }

  private parseLiteral(): null | boolean {
    const b = this.buf;
    const p = this.pos;
    if (p + 4 <= this.end && this.view.getUint32(p, true) === W_NULL) {
      this.pos = p + 4;
      return null;
    }
    const c = b[p];
    const word = c === 0x6e ? 'null' : c === 0x74 ? 'true' : c === 0x66 ? 'false' : undefined;
    if (word === undefined) throw this.err('expected a JSON value');
    if (p + word.length > this.end) {
      // Compare what we have so a wrong word fails now instead of waiting.
      for (let i = 0; p + i < this.end; i++) if (b[p + i] !== word.charCodeAt(i)) throw this.err('expected a JSON value');
      throw NEED_MORE;
    }
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) throw this.err('expected a JSON value');
    this.pos = p + word.length;
    return word === 'null' ? null : word === 'true';
  }

  private depth = 0;

  private parseValue(): Json {
    const c = this.peek();
    if (c === C_QUOTE) return this.parseString();
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) return new NumText(this.parseNumberText());
    if (c === C_LBRACE || c === C_LBRACKET) {
      if (++this.depth > 256) throw this.err('JSON nested too deeply');
      try {
        this.pos++;
        if (c === C_LBRACKET) {
          const arr: Json[] = [];
          if (this.peek() === C_RBRACKET) {
            this.pos++;
            return arr;
          }
          for (;;) {
            arr.push(this.parseValue());
            if (this.closeOrComma(C_RBRACKET, 'a list')) return arr;
          }
        }
        const obj: { [k: string]: Json } = {};
        if (this.peek() === C_RBRACE) {
          this.pos++;
          return obj;
        }
        for (;;) {
          const k = this.parseKey();
          obj[k] = this.parseValue();
          if (this.closeOrComma(C_RBRACE, 'an object')) return obj;
        }
      } finally {
        this.depth--;
      }
    }
    return this.parseLiteral();
  }

  private skipValue(): void {
    // "probe_hits": [] in every region of damo 3.x files.
    if (this.peek() === C_LBRACKET) {
      const save = this.pos;
      this.pos++;
      if (this.peek() === C_RBRACKET) {
        this.pos++;
        return;
      }
      this.pos = save;
    }
    this.parseValue();
  }
}

const RK_OTHER = 0;
const RK_START = 1;
const RK_END = 2;
const RK_NR_ACCESSES = 3;
const RK_AGE = 4;
const RK_SZ_FILTER_PASSED = 5;
const RK_SAMPLES = 6;
const RK_PERCENT = 7;
const RK_USEC = 8;
const RK_AGGR_INTERVALS = 9;
/** Known but unused (damo 3.x): skipped without decoding the key. */
const RK_PROBE_HITS = 10;
const REGION_KEYS = new Map<string, number>([
  ['samples', RK_SAMPLES],
  ['percent', RK_PERCENT],
  ['usec', RK_USEC],
  ['aggr_intervals', RK_AGGR_INTERVALS],
  ['start', RK_START],
  ['end', RK_END],
  ['nr_accesses', RK_NR_ACCESSES],
  ['age', RK_AGE],
  ['sz_filter_passed', RK_SZ_FILTER_PASSED],
]);

function keyEquals(b: Uint8Array, s: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (b[s + i] !== key.charCodeAt(i)) return false;
  return true;
}

export interface DamoJsonReadOptions {
  compressed: boolean;
}

/** Reads a damo json or json_compressed file completely into memory. */
export async function readDamoJson(path: string, opts: DamoJsonReadOptions): Promise<MemoryTraceSource> {
  const parser = new DamoJsonParser();
  const kind = opts.compressed ? 'json_compressed' : 'json';
  const file = createReadStream(path, { highWaterMark: 1 << 20, autoClose: true });
  try {
    if (opts.compressed) {
      try {
        // Inflation runs on the thread pool, a few chunks ahead of the parser.
        const inflate = createInflate({ chunkSize: 1 << 20, readableHighWaterMark: 4 << 20 } as Parameters<typeof createInflate>[0]);
        file.on('error', (e) => inflate.destroy(e));
        file.pipe(inflate);
        for await (const chunk of inflate) parser.feed(chunk as Buffer);
      } catch (e) {
        if (e instanceof JsonShapeError) throw e;
        if (e instanceof DamoError) throw e;
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('Z_')) {
          const what = code === 'Z_BUF_ERROR' ? 'ends early: the file is truncated' : `is corrupt (${errorMessage(e)})`;
          throw new DamoError('E_FORMAT', `${path}: the zlib-compressed data ${what}`);
        }
        throw e;
      }
    } else {
      for await (const chunk of file) parser.feed(chunk as Buffer);
    }
    parser.finish();
  } catch (e) {
    if (e instanceof JsonShapeError) {
      throw new DamoError('E_FORMAT', `${path}: not a valid damo ${kind} record file: ${e.message} (at byte ${e.offset}${opts.compressed ? ' of the decompressed JSON' : ''})`);
    }
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: reading failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    file.destroy();
  }
  const header: TraceHeader = emptyHeader({
    source: opts.compressed ? 'damo-json_compressed' : 'damo-json',
    intervals: parser.intervals,
    clock: 'unknown',
  });
  if (parser.dataSource !== undefined) header.dataSource = parser.dataSource;
  if (parser.intervalsGoal !== undefined) header.intervalsGoal = parser.intervalsGoal;
  const perTarget = finishRecords(parser.records, header);
  return new MemoryTraceSource(path, header, perTarget);
}
