// SPDX-License-Identifier: GPL-2.0-only
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
 * snapshot lists, region lists) are an explicit state machine over the incremental tokenizer
 * (format/json_tokenizer.ts), which parses every smaller value atomically. Regions, the bulk
 * of the data, are read by json_regions.ts, through the byte template of
 * json_region_template.ts when they are laid out exactly as damo writes them.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createInflate } from 'node:zlib';

import { DamoError, errorMessage } from '../../core/errors.js';
import { textToBp, textToBytes, textToNr, textToNrExact, textToNs, textToUs, TextParseError } from '../../core/fmt.js';
import { emptyHeader, type DamosFilterInfo, type DamosStats, type Intervals, type IntervalsGoal, type TraceHeader, type TraceTarget } from '../../core/model.js';
import { JsonShapeError, keyEquals, NEED_MORE, NumText, u32, type Json } from '../json_tokenizer.js';
import { ConstBytes } from './json_region_template.js';
import { DamoRegionReader } from './json_regions.js';
import type { AbsTime, PendingRecord, PendingSnapshot, SnapshotRangeSink } from './records.js';
import { inflatedOnPool, poolInflater } from '../zlib_handle.js';

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
const W_NULL = u32('null');

/** Fields of the snapshot being parsed; one object, reset for each snapshot. */
interface PendingSnapshotFields {
  start: AbsTime | null;
  end: AbsTime | null;
  totalBytes: number | undefined;
  sampleIntervalUs: number | undefined;
  damosStats: DamosStats | undefined;
}

export interface DamoJsonParserOptions {
  /** Use the byte template for damo's exact region layout (default true; tests compare). */
  templates?: boolean;
  /**
   * Hands each snapshot over as soon as it is parsed instead of keeping it in its record
   * (streamed reading: memory stays flat in the file's size). The regions are views of
   * the parser's arenas, which later snapshots never overwrite unless recycleArenas()
   * says that the snapshots handed out so far are dead.
   */
  onSnapshot?: (snapshot: PendingSnapshot, recordIndex: number) => void;
  /** Regions per arena (records.ts); tests make it small to switch arenas often. */
  arenaRegions?: number | undefined;
  /** Called when a record begins; its target's fields fill in as the record is parsed. */
  onRecord?: (target: TraceTarget, recordIndex: number) => void;
}

export class DamoJsonParser extends DamoRegionReader {
  private state: St = St.TopBegin;

  readonly records: PendingRecord[] = [];
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string | undefined;
  nrRegions = 0;

  private record: PendingRecord | null = null;
  private snapFields: PendingSnapshotFields = { start: null, end: null, totalBytes: undefined, sampleIntervalUs: undefined, damosStats: undefined };
  private recordHasSnapshots = false;
  private recordNrSnapshots = 0;
  private readonly onSnapshot: DamoJsonParserOptions['onSnapshot'];
  private readonly onRecord: DamoJsonParserOptions['onRecord'];

  constructor(opts: DamoJsonParserOptions = {}) {
    super(opts.templates !== false, opts.arenaRegions);
    this.onSnapshot = opts.onSnapshot;
    this.onRecord = opts.onRecord;
  }

  /** Marks the end of input; fails if the JSON is incomplete. */
  finish(): void {
    this.endInput();
    if (this.state !== St.TopDone) {
      throw new JsonShapeError('the JSON text ends before the list of records is closed (truncated file?)', this.base + this.pos);
    }
    if (this.pos < this.end) throw this.err('unexpected data after the end of the list of records');
  }

  /**
   * One step of the container state machine; false when it must wait for input. The states
   * met once per record are in recordStep(): V8 then compiles this one, which runs for every
   * snapshot, without them.
   */
  protected step(): boolean {
    switch (this.state) {
      case St.SnapsElem:
        if (this.peek() !== C_LBRACE) throw this.err('each snapshot must be a JSON object');
        this.pos++;
        {
          const f = this.snapFields;
          f.start = null;
          f.end = null;
          f.totalBytes = undefined;
          f.sampleIntervalUs = undefined;
          f.damosStats = undefined;
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
        // Regions are the bulk of the file: parse runs of them without leaving this case,
        // those in damo's own layout by the template (it never throws NEED_MORE).
        for (;;) {
          if (this.templates) this.templateRegions();
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
            if (this.templates && this.snapshotBoundary()) {
              this.state = St.RegsFirst;
              return true;
            }
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
      default:
        return this.recordStep();
    }
  }

  /** The states of step() around records and their snapshot lists. */
  private recordStep(): boolean {
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
      default:
        throw new Error(`damo json parser: state ${this.state} is not a record state`);
    }
  }

  private boundaries = new Map<number, SnapshotBoundary>();

  /**
   * At the ']' closing a snapshot's regions: when the bytes up to the next snapshot's
   * regions are exactly as damo writes them (total_bytes, then the next snapshot's
   * start_time, end_time and '"regions": ['), ends this snapshot and begins the next as the
   * general path would, pos just past that '['. False, nothing consumed, otherwise.
   */
  private snapshotBoundary(): boolean {
    const indent = this.regionIndent;
    const f = this.snapFields;
    if (indent < 8 || this.end - this.pos <= SNAPSHOT_BOUNDARY_MIN_BYTES || f.start === null || f.end === null) return false;
    let l = this.boundaries.get(indent);
    if (l === undefined) {
      l = new SnapshotBoundary(indent);
      this.boundaries.set(indent, l);
    }
    let p = this.pos + 1;
    let totalBytes: number | undefined;
    let sampleIntervalUs: number | undefined;
    if (l.totalBytes.matches(this.view, this.buf, p)) {
      p = this.quotedDigits(p + l.totalBytes.length);
      if (p < 0) return false;
      totalBytes = this.fastValue;
      p++;
      if (l.nullStats.matches(this.view, this.buf, p)) {
        p += l.nullStats.length;
        if (this.view.getUint32(p, true) === W_NULL) p += 4;
        else if (this.buf[p] === C_QUOTE) {
          p = this.quotedDigits(p + 1);
          if (p < 0) return false;
          sampleIntervalUs = this.fastValue;
          p++;
        } else return false;
      }
    }
    if (!l.next.matches(this.view, this.buf, p)) return false;
    p = this.quotedDigits(p + l.next.length);
    if (p < 0) return false;
    const start = this.fastValue;
    if (!l.afterStart.matches(this.view, this.buf, p)) return false;
    p = this.quotedDigits(p + l.afterStart.length);
    if (p < 0) return false;
    const end = this.fastValue;
    if (!l.afterEnd.matches(this.view, this.buf, p)) return false;
    this.pos = p + l.afterEnd.length;
    f.totalBytes = totalBytes;
    f.sampleIntervalUs = sampleIntervalUs;
    this.endSnapshot();
    f.start = start;
    f.end = end;
    f.totalBytes = undefined;
    f.sampleIntervalUs = undefined;
    f.damosStats = undefined;
    this.regions.reset();
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Records and snapshots

  private beginRecord(): void {
    const target: TraceTarget = { id: null };
    this.record = { target, snapshots: [] };
    this.recordHasSnapshots = false;
    this.recordNrSnapshots = 0;
    this.onRecord?.(target, this.records.length);
  }

  private endRecord(): void {
    const record = this.record as PendingRecord;
    if (!this.recordHasSnapshots) {
      throw this.err(`record ${this.records.length} has no 'snapshots' list`, this.pos - 1);
    }
    this.records.push(record);
    this.record = null;
  }

  /** See DamoJsonParseStream.recycleArenas(). */
  recycleArenas(): void {
    this.regions.keepRetired = true;
    this.regions.recycle();
  }

  /** Where finished snapshots go from now on instead of onSnapshot (null: back to it). */
  private rangeSink: SnapshotRangeSink | null = null;
  setRangeSink(sink: SnapshotRangeSink | null): void {
    this.rangeSink = sink;
  }

  private endSnapshot(): void {
    const f = this.snapFields;
    const record = this.record as PendingRecord;
    const idx = this.recordNrSnapshots++;
    if (f.start === null) throw this.err(`snapshot ${idx} of record ${this.records.length} has no 'start_time'`, this.pos - 1);
    if (f.end === null) throw this.err(`snapshot ${idx} of record ${this.records.length} has no 'end_time'`, this.pos - 1);
    const sink = this.rangeSink;
    if (sink !== null) {
      // No objects per snapshot: a column pass takes the range of the arena.
      const acc = this.regions;
      this.nrRegions += acc.length;
      sink.add(this.records.length, f.start, f.end, acc, f.totalBytes, f.sampleIntervalUs, f.damosStats);
      acc.skip();
      return;
    }
    // take()'s object becomes the snapshot (one allocation instead of two).
    const snap = this.regions.take() as PendingSnapshot;
    snap.start = f.start;
    snap.end = f.end;
    if (f.totalBytes !== undefined) snap.totalBytes = f.totalBytes;
    if (f.sampleIntervalUs !== undefined) snap.sampleIntervalUs = f.sampleIntervalUs;
    if (f.damosStats !== undefined) snap.damosStats = f.damosStats;
    this.nrRegions += snap.starts.length;
    if (this.onSnapshot !== undefined) this.onSnapshot(snap, this.records.length);
    else record.snapshots.push(snap);
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
      case 'damos_stats': {
        // damo `DamosStats.from_kvpairs`: the six counters required, the snapshot counts 0 when absent.
        const v = this.parseValue();
        if (v === null) return;
        if (typeof v !== 'object' || Array.isArray(v) || v instanceof NumText) throw this.err("'damos_stats' must be an object or null", at);
        const field = (k: string, parse: (t: string | number | bigint) => number, dflt?: number): number => {
          const x = v[k];
          if (x === undefined && dflt !== undefined) return dflt;
          return this.convert(x ?? null, parse, `damos_stats.${k}`, at);
        };
        f.damosStats = {
          nrTried: field('nr_tried', textToNr),
          szTriedBytes: field('sz_tried', textToBytes),
          nrApplied: field('nr_applied', textToNr),
          szAppliedBytes: field('sz_applied', textToBytes),
          szOpsFilterPassedBytes: field('sz_ops_filter_passed', textToBytes),
          qtExceeds: field('qt_exceeds', textToNr),
          nrSnapshots: field('nr_snapshots', textToNr, 0),
          maxNrSnapshots: field('max_nr_snapshots', textToNr, 0),
        };
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
}

/** The snapshot boundary template runs only with this many bytes ahead (it needs ~400). */
const SNAPSHOT_BOUNDARY_MIN_BYTES = 2048;

/**
 * The constant bytes after the ']' that closes a snapshot's regions, up to the '[' that
 * opens the next one's, as damo writes them for regions indented by `regionIndent` (the
 * snapshot's keys 4 less, its braces 8 less): no total_bytes (damo 2.x), total_bytes
 * (later), or total_bytes, null damos_stats and sample_interval_us (damo 3.3); then the
 * next snapshot's start_time and end_time.
 */
class SnapshotBoundary {
  readonly totalBytes: ConstBytes;
  /** After total_bytes' closing quote, up to sample_interval_us's value. */
  readonly nullStats: ConstBytes;
  /** After the last field, up to the next start_time's opening quote. */
  readonly next: ConstBytes;
  readonly afterStart: ConstBytes;
  readonly afterEnd: ConstBytes;
  constructor(regionIndent: number) {
    const key = ' '.repeat(regionIndent - 4);
    const brace = ' '.repeat(regionIndent - 8);
    this.totalBytes = new ConstBytes(`,\n${key}"total_bytes": "`);
    this.nullStats = new ConstBytes(`,\n${key}"damos_stats": null,\n${key}"sample_interval_us": `);
    this.next = new ConstBytes(`\n${brace}},\n${brace}{\n${key}"start_time": "`);
    this.afterStart = new ConstBytes(`",\n${key}"end_time": "`);
    this.afterEnd = new ConstBytes(`",\n${key}"regions": [`);
  }
}

export interface DamoJsonReadOptions {
  compressed: boolean;
  /** The parser's regions per arena (DamoJsonParserOptions). */
  arenaRegions?: number | undefined;
}

/** Bytes of inflated JSON per chunk. */
const INFLATE_CHUNK_BYTES = 1 << 20;

/**
 * The JSON text of a damo json or json_compressed file, in chunks. A chunk of a compressed
 * file is valid until the chunk after the next one is asked for: inflation runs on the
 * thread pool, two chunks ahead, into buffers that take turns (zlib_handle.ts says why);
 * the parser is done with a chunk once it is fed the next one. zlib errors become
 * DamoErrors, after the chunks before the damage. Stopping the iteration early closes the file.
 */
export async function* damoJsonChunks(path: string, opts: DamoJsonReadOptions): AsyncGenerator<Buffer> {
  if (!opts.compressed) {
    yield* fileChunks(path);
    return;
  }
  const z = poolInflater();
  if (z === null) {
    yield* streamInflated(path);
    return;
  }
  try {
    yield* inflatedOnPool(z, fileChunks(path), INFLATE_CHUNK_BYTES);
  } catch (e) {
    throw zlibError(e, path);
  }
}

/** Bytes of the file per read. */
const FILE_CHUNK_BYTES = 1 << 20;

/**
 * The file's bytes in chunks, in two buffers that take turns: a chunk is valid until the
 * chunk after the next one is asked for, as the inflated chunks are (the parser is done with
 * a chunk once it is fed the next one; the pool inflater with a piece before it asks for the
 * next). A new buffer per chunk was fresh memory for the kernel to fault in
 * (docs/PERFORMANCE.md, "Fresh memory"). Synchronous reads: a file stream would read on the
 * thread pool, which for a file in the page cache only added a wait per chunk, and loading
 * node's file streams (with node:fs/promises and readline) cost start-up.
 */
async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  const buffers: Buffer[] = [];
  try {
    for (let k = 0; ; k++) {
      const buf = (buffers[k % 2] ??= Buffer.allocUnsafe(FILE_CHUNK_BYTES));
      const n = readSync(fd, buf, 0, FILE_CHUNK_BYTES, null);
      if (n === 0) return;
      yield n < FILE_CHUNK_BYTES ? buf.subarray(0, n) : buf;
    }
  } finally {
    closeSync(fd);
  }
}

/** node:zlib's stream, for a Node whose zlib handle is not reachable (zlib_handle.ts). */
async function* streamInflated(path: string): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES, autoClose: true });
  const inflate = createInflate({ chunkSize: INFLATE_CHUNK_BYTES, readableHighWaterMark: 4 * INFLATE_CHUNK_BYTES } as Parameters<typeof createInflate>[0]);
  file.on('error', (e) => inflate.destroy(e));
  file.pipe(inflate);
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (e) {
    throw zlibError(e, path);
  } finally {
    inflate.destroy();
    file.destroy();
  }
}

/** A zlib error as the DamoError that names the file; anything else as it is. */
function zlibError(e: unknown, path: string): unknown {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    const what = code === 'Z_BUF_ERROR' ? 'ends early: the file is truncated' : `is corrupt (${errorMessage(e)})`;
    return new DamoError('E_FORMAT', `${path}: the zlib-compressed data ${what}`);
  }
  return e ?? new DamoError('E_FORMAT', `${path}: the zlib-compressed data is corrupt`);
}

/** The DamoError for whatever reading or parsing a damo json file threw. */
export function damoJsonError(e: unknown, path: string, opts: DamoJsonReadOptions): DamoError {
  if (e instanceof JsonShapeError) {
    const kind = opts.compressed ? 'json_compressed' : 'json';
    return new DamoError('E_FORMAT', `${path}: not a valid damo ${kind} record file: ${e.message} (at byte ${e.offset}${opts.compressed ? ' of the decompressed JSON' : ''})`);
  }
  if (e instanceof DamoError) return e;
  return new DamoError('E_IO', `${path}: reading failed: ${errorMessage(e)}`, { cause: e });
}

/** The header of a damo json file as far as `parser` has read it. */
export function damoJsonHeader(parser: Pick<DamoJsonParser, 'intervals' | 'intervalsGoal' | 'dataSource'>, opts: DamoJsonReadOptions): TraceHeader {
  const header: TraceHeader = emptyHeader({
    source: opts.compressed ? 'damo-json_compressed' : 'damo-json',
    intervals: parser.intervals,
    clock: 'unknown',
  });
  if (parser.dataSource !== undefined) header.dataSource = parser.dataSource;
  if (parser.intervalsGoal !== undefined) header.intervalsGoal = parser.intervalsGoal;
  return header;
}
