// SPDX-License-Identifier: GPL-2.0-only
/**
 * Turns the text of a tracefs `trace_pipe` into snapshots.
 *
 * The kernel emits one `damon_aggregated` event per region per aggregation interval,
 * after merging and before resetting nr_accesses (kernel.md §3):
 *
 *   kdamond.0-1234  [001] .....  7935.842179: damon_aggregated: target_id=0 nr_regions=11 122509119488-135708762112: 0 864
 *
 * `target_id` is the target's index in the context (5.18+), the trailing age field exists
 * since 5.16. A snapshot is complete when `nr_regions` lines of one target have arrived;
 * its end is the first line's timestamp and its start the previous snapshot's end (the
 * first one starts one aggregation interval earlier). Lines of other kdamonds (which any
 * tracefs instance with the event enabled also receives) are dropped by pid. A ring-buffer
 * overrun shows up as `CPU:N [LOST M EVENTS]`; partial snapshots are then dropped and
 * reported rather than written with missing regions.
 */
import type { Snapshot } from '../core/model.js';

/** The fields of one `damon_aggregated` line but its time. */
export interface AggregatedFields {
  pid: number;
  targetId: number;
  nrRegions: number;
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
}

export type TraceLine =
  | ({ kind: 'aggregated'; timeNs: bigint } & AggregatedFields)
  | { kind: 'tune'; pid: number; timeNs: bigint; sampleUs: number }
  | { kind: 'lost'; cpu: number; nrEvents: number }
  | { kind: 'other' };

const LINE_RE = /^\s*(.+)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+)\.(\d+):\s+([\w:]+):\s*(.*)$/;
const AGGREGATED_RE = /^target_id=(\d+)\s+nr_regions=(\d+)\s+(\d+)-(\d+):\s+(\d+)(?:\s+(\d+))?\s*$/;
const TUNE_RE = /sample_us=(\d+)/;
const LOST_RE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

function timeToNs(sec: string, frac: string): bigint {
  const padded = (frac + '000000000').slice(0, 9);
  return BigInt(sec) * 1_000_000_000n + BigInt(padded);
}

export function parseTraceLine(text: string): TraceLine {
  const line = text.replace(/[\r\n]+$/, '');
  const lost = LOST_RE.exec(line);
  if (lost !== null) return { kind: 'lost', cpu: Number(lost[1]), nrEvents: Number(lost[2]) };
  const m = LINE_RE.exec(line);
  if (m === null) return { kind: 'other' };
  const event = m[6] ?? '';
  const payload = m[7] ?? '';
  const pid = Number(m[2]);
  const timeNs = timeToNs(m[4] ?? '0', m[5] ?? '0');
  if (event === 'damon_aggregated' || event === 'damon:damon_aggregated') {
    const a = AGGREGATED_RE.exec(payload);
    if (a === null) return { kind: 'other' };
    return {
      kind: 'aggregated',
      pid,
      timeNs,
      targetId: Number(a[1]),
      nrRegions: Number(a[2]),
      start: Number(a[3]),
      end: Number(a[4]),
      nrAccesses: Number(a[5]),
      age: a[6] === undefined ? -1 : Number(a[6]),
    };
  }
  if (event === 'damon_monitor_intervals_tune' || event === 'damon:damon_monitor_intervals_tune') {
    const t = TUNE_RE.exec(payload);
    if (t !== null) return { kind: 'tune', pid, timeNs, sampleUs: Number(t[1]) };
  }
  return { kind: 'other' };
}

/**
 * The fields of a trace_pipe `damon_aggregated` line, filled in place by scanAggregatedLine
 * (the recorder sees one such line per region per aggregation); the time stays as its
 * offsets in the text until a snapshot's first line needs it.
 */
interface ScannedLine extends AggregatedFields {
  secFrom: number;
  dot: number;
  fracEnd: number;
}

function newScannedLine(): ScannedLine {
  return { pid: 0, targetId: 0, nrRegions: 0, start: 0, end: 0, nrAccesses: 0, age: 0, secFrom: 0, dot: 0, fracEnd: 0 };
}

const AGGREGATED_MARK = ': damon_aggregated: ';
const CH_0 = 48;
const CH_9 = 57;
const CH_SPACE = 32;
const CH_TAB = 9;
const CH_DASH = 45;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_CR = 13;
/** Digits a double holds exactly whatever they are; longer numbers go through Number(). */
const EXACT_DIGITS = 15;

const isBlank = (c: number): boolean => c === CH_SPACE || c === CH_TAB;
const isDigit = (c: number): boolean => c >= CH_0 && c <= CH_9;

/** The decimal number of text[from, to) (digits only, checked by the caller). */
function digitsValue(text: string, from: number, to: number): number {
  if (to - from > EXACT_DIGITS) return Number(text.slice(from, to));
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (text.charCodeAt(i) - CH_0);
  return v;
}

function digitsEnd(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The common line, `COMM-PID [CPU] FLAGS SEC.FRAC: damon_aggregated: target_id=T
 * nr_regions=N START-END: NR_ACCESSES AGE`, read with single spaces in the payload, into
 * `out`; false for any other shape, which parseTraceLine then reads. Where it says true,
 * parseTraceLine gives the same fields (the PID is the last `-digits` before the last `[`
 * ahead of the time, as LINE_RE's greedy comm takes it), without its regular expressions,
 * its per-line objects and a BigInt per line.
 */
function scanAggregatedLine(text: string, from: number, lineEnd: number, out: ScannedLine): boolean {
  let to = lineEnd;
  while (to > from && text.charCodeAt(to - 1) === CH_CR) to--;
  const mark = text.indexOf(AGGREGATED_MARK, from);
  if (mark < 0 || mark >= to) return false;
  // The time, SEC.FRAC right before the mark, after a blank.
  let i = mark;
  while (i > from && isDigit(text.charCodeAt(i - 1))) i--;
  if (i === mark || i - 1 <= from || text.charCodeAt(i - 1) !== CH_DOT) return false;
  out.dot = i - 1;
  out.fracEnd = mark;
  i = out.dot;
  while (i > from && isDigit(text.charCodeAt(i - 1))) i--;
  if (i === out.dot || i <= from || !isBlank(text.charCodeAt(i - 1))) return false;
  out.secFrom = i;
  // [CPU], blanks and maybe one flags word between it and the time.
  const rb = text.lastIndexOf(']', out.secFrom);
  if (rb <= from) return false;
  i = rb + 1;
  if (!isBlank(text.charCodeAt(i))) return false;
  while (isBlank(text.charCodeAt(i))) i++;
  if (i !== out.secFrom) {
    while (i < out.secFrom && !isBlank(text.charCodeAt(i))) i++;
    while (i < out.secFrom && isBlank(text.charCodeAt(i))) i++;
    if (i !== out.secFrom) return false;
  }
  const lb = text.lastIndexOf('[', rb);
  if (lb <= from || digitsEnd(text, lb + 1, rb) !== rb || rb === lb + 1) return false;
  // COMM-PID and blanks before [CPU]; a (TGID) column goes to parseTraceLine.
  i = lb;
  if (!isBlank(text.charCodeAt(i - 1))) return false;
  while (i > from && isBlank(text.charCodeAt(i - 1))) i--;
  const pidEnd = i;
  while (i > from && isDigit(text.charCodeAt(i - 1))) i--;
  if (i === pidEnd || i - 1 <= from || text.charCodeAt(i - 1) !== CH_DASH) return false;
  out.pid = digitsValue(text, i, pidEnd);
  // target_id=T nr_regions=N START-END: NR_ACCESSES[ AGE]
  i = mark + AGGREGATED_MARK.length;
  if (!text.startsWith('target_id=', i)) return false;
  i += 10;
  let e = digitsEnd(text, i, to);
  if (e === i || !text.startsWith(' nr_regions=', e)) return false;
  out.targetId = digitsValue(text, i, e);
  i = e + 12;
  e = digitsEnd(text, i, to);
  if (e === i || text.charCodeAt(e) !== CH_SPACE) return false;
  out.nrRegions = digitsValue(text, i, e);
  i = e + 1;
  e = digitsEnd(text, i, to);
  if (e === i || text.charCodeAt(e) !== CH_DASH) return false;
  out.start = digitsValue(text, i, e);
  i = e + 1;
  e = digitsEnd(text, i, to);
  if (e === i || text.charCodeAt(e) !== CH_COLON || text.charCodeAt(e + 1) !== CH_SPACE) return false;
  out.end = digitsValue(text, i, e);
  i = e + 2;
  e = digitsEnd(text, i, to);
  if (e === i) return false;
  out.nrAccesses = digitsValue(text, i, e);
  if (e === to) {
    out.age = -1;
    return true;
  }
  if (text.charCodeAt(e) !== CH_SPACE) return false;
  i = e + 1;
  e = digitsEnd(text, i, to);
  if (e === i || e !== to) return false;
  out.age = digitsValue(text, i, e);
  return true;
}

function scannedTimeNs(text: string, l: ScannedLine): bigint {
  return timeToNs(text.slice(l.secFrom, l.dot), text.slice(l.dot + 1, l.fracEnd));
}

interface Pending {
  endAbsNs: bigint;
  nrRegions: number;
  starts: number[];
  ends: number[];
  nrAccesses: number[];
  ages: number[];
}

export interface AssemblerOptions {
  /** Absolute monotonic ns that snapshot times are made relative to. */
  baseTimeNs: bigint;
  aggrUs: number;
  /** Pids whose events are ours (the kdamond we started); others are dropped. */
  acceptPid: (pid: number) => boolean;
  /** Maps the kernel's target_id (index in our context) to the header's target index. */
  targetIndexOf: (targetId: number) => number | undefined;
  onSnapshot: (snapshot: Snapshot) => void;
  onWarning: (message: string) => void;
}

export class DamonTraceAssembler {
  private rest = '';
  private readonly pending = new Map<number, Pending>();
  private readonly fast = newScannedLine();
  private readonly lastEndNs = new Map<number, number>();
  private sampleIntervalUs: number | undefined;
  /** Snapshots dropped because events were lost or arrived out of order. */
  droppedSnapshots = 0;
  lostEvents = 0;
  foreignLines = 0;

  constructor(private readonly opts: AssemblerOptions) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const fast = this.fast;
    const scannedTime = (): bigint => scannedTimeNs(text, fast);
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) break;
      if (scanAggregatedLine(text, from, nl, fast)) this.region(fast, scannedTime);
      else this.line(text.slice(from, nl));
      from = nl + 1;
    }
    this.rest = text.slice(from);
  }

  /** End of input: a partial line or snapshot left now can never complete. */
  finish(): void {
    if (this.rest.length > 0) {
      this.line(this.rest);
      this.rest = '';
    }
    for (const [targetId, p] of this.pending) {
      this.drop(targetId, `the recording stopped in the middle of an aggregation (${p.starts.length} of ${p.nrRegions} regions)`, false);
    }
  }

  private drop(targetId: number, why: string, warn = true): void {
    this.pending.delete(targetId);
    this.droppedSnapshots++;
    if (warn) this.opts.onWarning(`dropped an incomplete snapshot of target ${targetId}: ${why}`);
  }

  private line(text: string): void {
    if (text.length === 0) return;
    const l = parseTraceLine(text);
    switch (l.kind) {
      case 'other':
        return;
      case 'lost':
        this.lost(l.cpu, l.nrEvents);
        return;
      case 'tune':
        this.tune(l.pid, l.sampleUs);
        return;
      case 'aggregated':
        this.region(l, () => l.timeNs);
    }
  }

  /** Events the kernel overwrote (nrEvents -1: how many is not known): partial snapshots go. */
  lost(cpu: number, nrEvents: number): void {
    if (nrEvents > 0) this.lostEvents += nrEvents;
    const how = nrEvents >= 0 ? `${nrEvents} events lost` : 'events lost';
    for (const targetId of [...this.pending.keys()]) this.drop(targetId, `the trace buffer of CPU ${cpu} overflowed (${how})`);
  }

  /** Input that cannot be trusted (`why`): partial snapshots go, with a warning. */
  broken(why: string): void {
    this.opts.onWarning(why);
    for (const targetId of [...this.pending.keys()]) this.drop(targetId, why, false);
  }

  /** A damon_monitor_intervals_tune event: the sampling interval from now on. */
  tune(pid: number, sampleUs: number): void {
    if (this.opts.acceptPid(pid)) this.sampleIntervalUs = sampleUs;
  }

  /**
   * One region of an aggregation, from a line or a binary record; `timeNs` (absolute
   * monotonic) is asked only by a snapshot's first region.
   */
  region(l: AggregatedFields, timeNs: () => bigint): void {
    const { targetId, nrRegions, start } = l;
    if (!this.opts.acceptPid(l.pid)) {
      this.foreignLines++;
      return;
    }
    let p = this.pending.get(targetId);
    if (p !== undefined) {
      const lastEnd = p.ends[p.ends.length - 1] ?? 0;
      if (nrRegions !== p.nrRegions || start < lastEnd) {
        this.drop(targetId, `events of the next aggregation arrived after ${p.starts.length} of ${p.nrRegions} regions`);
        p = undefined;
      }
    }
    if (p === undefined) {
      p = { endAbsNs: timeNs(), nrRegions, starts: [], ends: [], nrAccesses: [], ages: [] };
      this.pending.set(targetId, p);
    }
    p.starts.push(start);
    p.ends.push(l.end);
    p.nrAccesses.push(l.nrAccesses);
    p.ages.push(l.age);
    if (p.starts.length >= nrRegions) {
      this.pending.delete(targetId);
      this.emit(targetId, p);
    }
  }

  private emit(targetId: number, p: Pending): void {
    const targetIndex = this.opts.targetIndexOf(targetId);
    if (targetIndex === undefined) {
      this.opts.onWarning(`ignored a snapshot of unknown target_id ${targetId}`);
      return;
    }
    const endNs = Number(p.endAbsNs - this.opts.baseTimeNs);
    const startNs = this.lastEndNs.get(targetId) ?? endNs - this.opts.aggrUs * 1000;
    this.lastEndNs.set(targetId, endNs);
    const snapshot: Snapshot = {
      targetIndex,
      startNs,
      endNs,
      starts: Float64Array.from(p.starts),
      ends: Float64Array.from(p.ends),
      nrAccesses: Float64Array.from(p.nrAccesses),
      ages: Float64Array.from(p.ages),
    };
    if (this.sampleIntervalUs !== undefined) snapshot.sampleIntervalUs = this.sampleIntervalUs;
    this.opts.onSnapshot(snapshot);
  }
}
