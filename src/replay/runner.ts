// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs a replay: starts the damo_replay executable, streams the plan to its stdin as the
 * trace is read (pipe back-pressure keeps the planner only a few periods ahead), follows its
 * event lines, and optionally measures its resident memory against the plan.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { DamoError, errorMessage } from '../core/errors.js';
import type { TraceSource } from '../core/model.js';
import { projectRoot } from '../core/version.js';
import { parseMapping, type ReplayMapping } from './mapping.js';
import { planPeriods, type ReplayPlan } from './plan.js';
import { encodePlanEnd, encodePlanHeader, encodePlanPeriod } from './plan_codec.js';
import { DEFAULT_PERCENTILES, readSmaps, rssAccuracy, type RssAccuracy, type RssPoint } from './rss.js';

export interface ReplayStatsOut {
  periods: number;
  slots: number;
  touchedPages: number;
  releasedBytes: number;
  lateSlots: number;
  maxSlotLagNs: number;
  maxPeriodLagNs: number;
  cpuUserUs: number;
  cpuSysUs: number;
  maxRssKb: number;
}

export interface ReplayResult {
  outcome: 'done' | 'interrupted' | 'error';
  exitCode: number | null;
  signal: string | null;
  errorMessage: string | null;
  mapping: ReplayMapping | null;
  stats: ReplayStatsOut | null;
  nrPlannedPeriods: number;
  /** Replay time the planned periods span (start delay excluded). */
  plannedDurationNs: number;
  /** Per planned period: the trace's working set (trace bytes). */
  traceWssBytes: number[];
  lostBytes: number;
  clampedRegions: number;
  rss: RssAccuracy | null;
  /** The same scoring for the areas' Referenced bytes per period (checkReferenced). */
  referenced: RssAccuracy | null;
  rssPoints: RssPoint[];
}

export interface ReplayRunOptions {
  binaryPath?: string;
  mappingPath?: string;
  /** Sample the areas' RSS once per period and score it against the plan. */
  checkRss: boolean;
  /**
   * With checkRss: also reset the replay's referenced bits (/proc/PID/clear_refs) after each
   * sample and score the Referenced bytes of each period: what the replay touched, not only
   * what it kept resident. Interferes with a concurrent clear_refs/soft_dirty recording.
   */
  checkReferenced?: boolean;
  rssPercentiles?: number[];
  /** Where in each period to sample, as a fraction of it (default 0.9). */
  rssSampleAt?: number;
}

export interface ReplayHooks {
  onMapping?(mapping: ReplayMapping): void;
  onPeriod?(index: number, lagNs: number): void;
}

/** The executable built by `npm run build:native` (DAMO_REPLAY_BIN overrides it). */
export function replayBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DAMO_REPLAY_BIN ?? join(projectRoot(), 'build', 'Release', 'damo_replay');
}

interface PeriodTiming {
  startOffsetNs: number;
  durationNs: number;
  expectedBytes: number;
  plannedBytes: number;
}

export class ReplayRun {
  private child: ChildProcessWithoutNullStreams | null = null;
  private exited = false;
  private stopping = false;
  private mapping: ReplayMapping | null = null;
  private stats: ReplayStatsOut | null = null;
  private errorText: string | null = null;
  private stderrTail = '';
  private readonly periods: PeriodTiming[] = [];
  private readonly traceWss: number[] = [];
  private lostBytes = 0;
  private clampedRegions = 0;
  private feedDone = false;
  private feedError: unknown = null;
  private readonly rssPoints: RssPoint[] = [];
  /** Read windows (CLOCK_MONOTONIC ns) of the RSS samples, parallel to rssPoints. */
  private readonly rssReads: Array<[bigint, bigint]> = [];
  /** When the executable finished each period (CLOCK_MONOTONIC ns). */
  private readonly periodDoneNs = new Map<number, bigint>();
  /** When the referenced bits were last reset before period i's sample (index i), ns. */
  private readonly clearedNs: bigint[] = [];
  /** How late the executable finished each period, ns. */
  private readonly periodLagNs = new Map<number, number>();
  private sampler: Promise<void> | null = null;
  /** Cancels the sampler's sleeps when the executable exits. */
  private readonly exitAbort = new AbortController();

  constructor(
    private readonly trace: TraceSource,
    private readonly plan: ReplayPlan,
    private readonly options: ReplayRunOptions,
    private readonly hooks: ReplayHooks = {},
  ) {}

  /** Asks the replay to stop (it finishes the current touch and reports what it did). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.stopping = true;
    if (this.child !== null && !this.exited && this.child.pid !== undefined) this.child.kill(signal);
  }

  async run(): Promise<ReplayResult> {
    const bin = this.options.binaryPath ?? replayBinaryPath();
    if (!existsSync(bin)) {
      throw new DamoError('E_NATIVE', `the replay generator ${bin} is missing`, { hint: 'build it with `npm run build:native`' });
    }
    const args = ['--plan', '-', '--max_memory', String(this.plan.options.maxMemoryBytes), '--die_with_parent'];
    if (this.options.mappingPath !== undefined) args.push('--mapping', this.options.mappingPath);
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    // Interrupted while the trace was being scanned: start nothing.
    if (this.stopping) child.kill('SIGTERM');
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
    child.on('exit', () => {
      this.exited = true;
      this.exitAbort.abort();
    });
    child.stdin.on('error', () => {
      // EPIPE when the executable exits early; its own error event says why.
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8192);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => this.onLine(line));

    const feeding = this.feed(child).catch((err: unknown) => {
      this.feedError = err;
      this.stop('SIGTERM');
    });
    const ended = await Promise.race([closed, spawnError.then((err) => err)]);
    if (ended instanceof Error) {
      throw new DamoError('E_NATIVE', `cannot start ${bin}: ${errorMessage(ended)}`);
    }
    await feeding;
    if (this.sampler !== null) await this.sampler;
    if (this.feedError !== null) throw this.feedError;

    const { code, signal } = ended;
    let outcome: ReplayResult['outcome'] = 'error';
    if (code === 0) outcome = 'done';
    else if ((code !== null && code >= 128 && this.stats !== null) || (this.stopping && signal !== null)) outcome = 'interrupted';
    let errorMessageText = this.errorText;
    if (outcome === 'error' && errorMessageText === null) {
      errorMessageText = this.stderrTail.trim() || `damo_replay ended with ${signal ?? `exit status ${code}`}`;
    }
    const last = this.periods[this.periods.length - 1];
    return {
      outcome,
      exitCode: code,
      signal,
      errorMessage: errorMessageText,
      mapping: this.mapping,
      stats: this.stats,
      nrPlannedPeriods: this.periods.length,
      plannedDurationNs: last === undefined ? 0 : last.startOffsetNs + last.durationNs,
      traceWssBytes: this.traceWss,
      lostBytes: this.lostBytes,
      clampedRegions: this.clampedRegions,
      rss: this.options.checkRss ? rssAccuracy(this.scoreRssPoints(false), this.options.rssPercentiles ?? DEFAULT_PERCENTILES) : null,
      referenced:
        this.options.checkRss && this.options.checkReferenced === true
          ? rssAccuracy(this.scoreRssPoints(true), this.options.rssPercentiles ?? DEFAULT_PERCENTILES, (p) => p.referencedBytes ?? 0)
          : null,
      rssPoints: this.rssPoints,
    };
  }

  private onLine(line: string): void {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (ev.event) {
      case 'mapping':
        this.mapping = parseMapping(line, 'damo_replay output');
        this.hooks.onMapping?.(this.mapping);
        if (this.options.checkRss) this.sampler = this.sampleRss(this.mapping);
        break;
      case 'period':
        if (typeof ev.doneNs === 'string' && /^\d+$/.test(ev.doneNs)) this.periodDoneNs.set(Number(ev.index), BigInt(ev.doneNs));
        this.periodLagNs.set(Number(ev.index), Number(ev.lagNs));
        this.hooks.onPeriod?.(Number(ev.index), Number(ev.lagNs));
        break;
      case 'done':
      case 'interrupted':
        this.stats = {
          periods: Number(ev.periods),
          slots: Number(ev.slots),
          touchedPages: Number(ev.touchedPages),
          releasedBytes: Number(ev.releasedBytes),
          lateSlots: Number(ev.lateSlots),
          maxSlotLagNs: Number(ev.maxSlotLagNs),
          maxPeriodLagNs: Number(ev.maxPeriodLagNs),
          cpuUserUs: Number(ev.cpuUserUs),
          cpuSysUs: Number(ev.cpuSysUs),
          maxRssKb: Number(ev.maxRssKb),
        };
        break;
      case 'error':
        this.errorText = typeof ev.message === 'string' ? ev.message : 'damo_replay failed';
        break;
      default:
        break;
    }
  }

  private async feed(child: ChildProcessWithoutNullStreams): Promise<void> {
    const stdin = child.stdin;
    const write = async (buf: Buffer): Promise<boolean> => {
      if (this.exited || this.stopping) return false;
      if (stdin.write(buf)) return true;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdin.off('drain', done);
          stdin.off('close', done);
          child.off('exit', done);
          resolve();
        };
        stdin.once('drain', done);
        stdin.once('close', done);
        child.once('exit', done);
      });
      return !this.exited && !this.stopping;
    };
    let complete = false;
    try {
      if (!(await write(encodePlanHeader(this.plan.header)))) return;
      const scale = this.plan.layout.scale;
      let n = 0;
      for await (const p of planPeriods(this.trace, this.plan)) {
        this.periods.push({
          startOffsetNs: p.startOffsetNs,
          durationNs: p.durationNs,
          expectedBytes: p.traceWssBytes * scale,
          plannedBytes: p.plannedResidentBytes,
        });
        this.traceWss.push(p.traceWssBytes);
        this.lostBytes += p.lostBytes;
        this.clampedRegions += p.clampedRegions;
        n++;
        if (!(await write(encodePlanPeriod(p)))) return;
      }
      if (await write(encodePlanEnd(n))) {
        stdin.end();
        complete = true;
      }
    } finally {
      // A plan cut short ends the executable's read with an error rather than a wait.
      if (!complete) stdin.destroy();
      this.feedDone = true;
    }
  }

  private async sampleRss(mapping: ReplayMapping): Promise<void> {
    try {
      await this.sampleRssUntilExit(mapping);
    } catch (err) {
      if (!this.exitAbort.signal.aborted) throw err;
    }
  }

  private async sampleRssUntilExit(mapping: ReplayMapping): Promise<void> {
    const signal = this.exitAbort.signal;
    const at = this.options.rssSampleAt ?? 0.9;
    const t0 = mapping.startMonotonicNs;
    const referenced = this.options.checkReferenced === true;
    if (referenced) {
      await clearRefs(mapping.pid);
      this.clearedNs[0] = process.hrtime.bigint();
    }
    for (let i = 0; ; i++) {
      while (i >= this.periods.length) {
        if (this.feedDone || this.exited) return;
        await sleep(5, undefined, { signal });
      }
      const p = this.periods[i] as PeriodTiming;
      // Not before the executable has left the previous period (it may be behind the plan).
      while (i > 0 && !this.periodDoneNs.has(i - 1)) {
        if (this.exited) return;
        await sleep(2, undefined, { signal });
      }
      const when = t0 + BigInt(Math.round(p.startOffsetNs + at * p.durationNs));
      const now = process.hrtime.bigint();
      if (when > now) await sleep(Number(when - now) / 1e6, undefined, { signal });
      if (this.exited) return;
      const r0 = process.hrtime.bigint();
      const totals = await readSmaps(mapping.pid, mapping.reserve.start, mapping.reserve.end);
      if (totals === null) return;
      this.rssReads.push([r0, process.hrtime.bigint()]);
      this.rssPoints.push({
        period: i,
        expectedBytes: p.expectedBytes,
        plannedBytes: p.plannedBytes,
        measuredBytes: totals.areaRssBytes,
        ...(referenced ? { referencedBytes: totals.areaReferencedBytes } : {}),
        late: false,
      });
      // Referenced from here to the next sample: the rest of this period's touches (ranges
      // also active in the next period, or released at its start) and the next period's.
      if (referenced) {
        if (!(await clearRefs(mapping.pid))) return;
        this.clearedNs[i + 1] = process.hrtime.bigint();
      }
    }
  }

  /**
   * Marks the samples that did not see their period's steady state: read before the period
   * had run a quarter of its slots (its first touches are in that quarter), or after the
   * executable had moved on to the next period (whose releases may already have run), or in
   * a period the executable finished more than a tenth of its duration late (its touches ran
   * behind their slots). All happen only when the executable falls behind the plan, e.g. on a
   * machine short of CPU; the summary counts them. For the referenced check, also a sample
   * whose preceding reset of the referenced bits ran after the period had started (it may
   * have erased the period's first touches).
   */
  private scoreRssPoints(referenced: boolean): RssPoint[] {
    const t0 = this.mapping?.startMonotonicNs ?? 0n;
    return this.rssPoints.map((pt, k) => {
      const [r0, r1] = this.rssReads[k] as [bigint, bigint];
      const p = this.periods[pt.period] as PeriodTiming;
      const done = this.periodDoneNs.get(pt.period);
      const prevDone = pt.period === 0 ? t0 : this.periodDoneNs.get(pt.period - 1);
      if (done === undefined || prevDone === undefined) return { ...pt, late: true };
      const plannedStart = t0 + BigInt(p.startOffsetNs);
      const actualStart = prevDone > plannedStart ? prevDone : plannedStart;
      const settled = actualStart + BigInt(Math.round(p.durationNs / 4));
      const behind = (this.periodLagNs.get(pt.period) ?? 0) > p.durationNs / 10;
      const cleared = this.clearedNs[pt.period];
      const clearedLate = referenced && (cleared === undefined || cleared > actualStart);
      return { ...pt, late: behind || clearedLate || r0 < settled || r1 > done };
    });
  }
}

/** Resets the accessed bits of every page of the process ("1": all mappings); false once it is gone. */
async function clearRefs(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '1');
    return true;
  } catch {
    return false;
  }
}
