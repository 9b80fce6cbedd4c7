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

export type TraceLine =
  | {
      kind: 'aggregated';
      pid: number;
      timeNs: bigint;
      targetId: number;
      nrRegions: number;
      start: number;
      end: number;
      nrAccesses: number;
      age: number;
    }
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
  private readonly lastEndNs = new Map<number, number>();
  private sampleIntervalUs: number | undefined;
  /** Snapshots dropped because events were lost or arrived out of order. */
  droppedSnapshots = 0;
  lostEvents = 0;
  foreignLines = 0;

  constructor(private readonly opts: AssemblerOptions) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) break;
      this.line(text.slice(from, nl));
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
      case 'lost': {
        this.lostEvents += l.nrEvents;
        for (const targetId of [...this.pending.keys()]) {
          this.drop(targetId, `the trace buffer of CPU ${l.cpu} overflowed (${l.nrEvents} events lost)`);
        }
        return;
      }
      case 'tune':
        if (this.opts.acceptPid(l.pid)) this.sampleIntervalUs = l.sampleUs;
        return;
      case 'aggregated':
        break;
    }
    if (!this.opts.acceptPid(l.pid)) {
      this.foreignLines++;
      return;
    }
    let p = this.pending.get(l.targetId);
    if (p !== undefined) {
      const lastEnd = p.ends[p.ends.length - 1] ?? 0;
      if (l.nrRegions !== p.nrRegions || l.start < lastEnd) {
        this.drop(l.targetId, `events of the next aggregation arrived after ${p.starts.length} of ${p.nrRegions} regions`);
        p = undefined;
      }
    }
    if (p === undefined) {
      p = { endAbsNs: l.timeNs, nrRegions: l.nrRegions, starts: [], ends: [], nrAccesses: [], ages: [] };
      this.pending.set(l.targetId, p);
    }
    p.starts.push(l.start);
    p.ends.push(l.end);
    p.nrAccesses.push(l.nrAccesses);
    p.ages.push(l.age);
    if (p.starts.length >= p.nrRegions) {
      this.pending.delete(l.targetId);
      this.emit(l.targetId, p);
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
