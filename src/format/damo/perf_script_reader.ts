// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reader for `perf script` text of DAMON tracepoints (damo's `perf_script` format) and the
 * equivalent trace-cmd `report`/`stream` lines.
 *
 *   kdamond.0  4452 [000] 82877.315633: damon:damon_aggregated: target_id=184466234355824
 *       58880 nr_regions=17 140731667070976-140731668037632: 0 3
 *   kdamond.0-4452 [000] ..... 82877.315633: damon_aggregated: target_id=... (trace-cmd)
 *   ... damon:damos_before_apply: ctx_idx=0 scheme_idx=0 target_idx=0 nr_regions=11 s-e: n age
 *   ... damon:damon_monitor_intervals_tune: sample_us=5000
 *
 * A snapshot is the next `nr_regions` lines of one target; its end time is the first line's
 * timestamp, `int(float(ts) * 1e9)` (truncating the double product exactly as damo does), and
 * its start is the previous snapshot's end (the first is deduced, see records.ts). The age
 * column is absent on kernels before 5.16; damo's own writer prints 'None' when the age is
 * unknown, which we read as unknown. Lines of other events are ignored, but a DAMON line we
 * cannot read is an error naming the line, unlike damo which skips it silently.
 */
import { createReadStream } from 'node:fs';

import { DamoError, errorMessage } from '../../core/errors.js';
import { emptyHeader, type TraceHeader } from '../../core/model.js';
import {
  deduceFirstStartTimes,
  finishRecords,
  MemoryTraceSource,
  RegionAccumulator,
  type PendingRecord,
} from './records.js';

const EVENT_RE = /(?:^|\s)(?:damon:)?(damon_aggregated|damos_before_apply|damon_monitor_intervals_tune):(?=\s|$)/;

class LineError extends Error {}

interface TargetState {
  record: PendingRecord;
  /** Regions of the snapshot being filled, and how many it needs. */
  acc: RegionAccumulator;
  want: number;
  end: number;
  sampleIntervalUs: number | undefined;
}

export interface PerfScriptParseResult {
  records: PendingRecord[];
  warnings: string[];
}

export class PerfScriptParser {
  private readonly targets = new Map<bigint, TargetState>();
  private readonly records: PendingRecord[] = [];
  private sampleIntervalUs: number | undefined;
  private lineNo = 0;
  private carry = '';
  private sawDamonEvent = false;
  readonly warnings: string[] = [];

  constructor(private readonly path: string) {}

  feed(text: string): void {
    const data = this.carry + text;
    let start = 0;
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl === -1) break;
      this.line(data.slice(start, nl));
      start = nl + 1;
    }
    this.carry = data.slice(start);
  }

  finish(strict: boolean): PerfScriptParseResult {
    if (this.carry !== '') this.line(this.carry);
    this.carry = '';
    if (!this.sawDamonEvent) {
      throw new DamoError('E_FORMAT', `${this.path}: no damon_aggregated or damos_before_apply events found`, {
        hint: 'expected `perf script` (or trace-cmd report) output of DAMON tracepoints',
      });
    }
    for (const [id, t] of this.targets) {
      if (t.acc.length > 0) {
        const msg = `${this.path}: the last snapshot of target ${id} has ${t.acc.length} of its ${t.want} regions (truncated file?)`;
        if (strict) throw new DamoError('E_TRUNCATED', msg);
        this.warnings.push(`${msg}; it is kept as it is`);
        this.flush(t);
      }
    }
    return { records: this.records, warnings: this.warnings };
  }

  private fail(message: string): never {
    throw new DamoError('E_FORMAT', `${this.path}:${this.lineNo}: ${message}`);
  }

  private line(raw: string): void {
    this.lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = EVENT_RE.exec(line);
    if (m === null) return;
    this.sawDamonEvent = true;
    try {
      this.event(line, m);
    } catch (e) {
      if (e instanceof LineError) this.fail(`${e.message}: '${line.trim()}'`);
      throw e;
    }
  }

  private event(line: string, m: RegExpExecArray): void {
    const event = m[1] as string;
    const before = line.slice(0, m.index).trim().split(/\s+/);
    const tsField = before[before.length - 1] ?? '';
    if (!tsField.endsWith(':')) throw new LineError('no timestamp before the event name');
    const tsText = tsField.slice(0, -1);
    if (!/^\d+(\.\d+)?$/.test(tsText)) throw new LineError(`timestamp '${tsText}' is not a number`);
    // damo: int(float(ts) * 1000000000); the double product truncated, bit for bit.
    const endNs = Math.trunc(parseFloat(tsText) * 1e9);
    const fields = line.slice(m.index + m[0].length).trim().split(/\s+/).filter((f) => f !== '');

    if (event === 'damon_monitor_intervals_tune') {
      const v = keyValue(fields, 'sample_us');
      if (v === undefined) throw new LineError('no sample_us= field');
      this.sampleIntervalUs = Number(v);
      return;
    }
    let idKey = 'target_id';
    let rest = 2;
    if (event === 'damos_before_apply') {
      idKey = 'target_idx';
      rest = 4;
    }
    const idText = keyValue(fields, idKey);
    const nrText = keyValue(fields, 'nr_regions');
    if (idText === undefined) throw new LineError(`no ${idKey}= field`);
    if (nrText === undefined) throw new LineError('no nr_regions= field');
    if (!/^\d+$/.test(idText)) throw new LineError(`${idKey} '${idText}' is not an integer`);
    if (!/^\d+$/.test(nrText) || Number(nrText) === 0) throw new LineError(`nr_regions '${nrText}' is not a positive integer`);
    const regionFields = fields.slice(rest);
    if (regionFields.length < 2) throw new LineError('the region range or nr_accesses is missing');
    if (regionFields.length > 3) throw new LineError('unexpected fields after the age');
    const range = /^(\d+)-(\d+):$/.exec(regionFields[0] as string);
    if (range === null) throw new LineError(`'${regionFields[0]}' is not a 'start-end:' address range`);
    const start = Number(range[1]);
    const end = Number(range[2]);
    const nrText2 = regionFields[1] as string;
    if (!/^-?\d+$/.test(nrText2)) throw new LineError(`nr_accesses '${nrText2}' is not an integer`);
    const nrAccesses = Number(nrText2);
    let age = -1;
    if (regionFields.length === 3) {
      const ageText = regionFields[2] as string;
      if (ageText !== 'None') {
        if (!/^-?\d+$/.test(ageText)) throw new LineError(`age '${ageText}' is not an integer`);
        age = Number(ageText);
      }
    } else if (event === 'damos_before_apply') {
      throw new LineError('the age is missing');
    }
    const id = BigInt(idText);
    const want = Number(nrText);
    let t = this.targets.get(id);
    if (t === undefined) {
      const record: PendingRecord = { target: { id }, snapshots: [] };
      this.records.push(record);
      t = { record, acc: new RegionAccumulator(), want: 0, end: 0, sampleIntervalUs: undefined };
      this.targets.set(id, t);
    }
    const prev = t.record.snapshots[t.record.snapshots.length - 1];
    const lastEnd = t.acc.length > 0 ? t.end : prev?.end;
    if (lastEnd !== undefined && (lastEnd as number) > endNs) {
      this.fail(`trace is not time-sorted (this line's time is before the target's previous snapshot)`);
    }
    if (t.acc.length === 0) {
      t.want = want;
      t.end = endNs;
      t.sampleIntervalUs = this.sampleIntervalUs;
    }
    t.acc.push(start, end, nrAccesses, age, 0);
    if (t.acc.length >= t.want) this.flush(t);
  }

  private flush(t: TargetState): void {
    const snaps = t.record.snapshots;
    const prev = snaps[snaps.length - 1];
    const s = { start: prev === undefined ? null : prev.end, end: t.end, ...t.acc.take() };
    delete s.szFilterPassed;
    const pending = t.sampleIntervalUs === undefined ? s : { ...s, sampleIntervalUs: t.sampleIntervalUs };
    snaps.push(pending);
  }
}

function keyValue(fields: string[], key: string): string | undefined {
  const prefix = key + '=';
  for (const f of fields) if (f.startsWith(prefix)) return f.slice(prefix.length);
  return undefined;
}

/** Reads perf script / trace-cmd text from a file. */
export async function readPerfScript(path: string, opts: { strict?: boolean } = {}): Promise<MemoryTraceSource> {
  const parser = new PerfScriptParser(path);
  try {
    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    for await (const chunk of stream) parser.feed(chunk as string);
  } catch (e) {
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: reading failed: ${errorMessage(e)}`, { cause: e });
  }
  return perfScriptSource(path, parser.finish(opts.strict === true));
}

/** The recording a finished parse describes (perf script text, or `perf script` run on perf.data). */
export function perfScriptSource(path: string, result: PerfScriptParseResult, source: TraceHeader['source'] = 'damo-perf_script'): MemoryTraceSource {
  const header = emptyHeader({ source, clock: 'monotonic' });
  deduceFirstStartTimes(result.records, null);
  const perTarget = finishRecords(result.records, header);
  return new MemoryTraceSource(path, header, perTarget, result.warnings);
}
