// SPDX-License-Identifier: GPL-2.0-only
/**
 * Online application of schemes by the native engine: the engine hands over one snapshot
 * per target every aggregation interval; the kernel's DAMOS decision step (DamosCore, the
 * code the simulator runs) decides which ranges each scheme acts on; process_madvise(2)
 * applies the actions to the target processes; and the engine is told to reset the age of
 * the regions an action was applied to, as the kernel does.
 *
 * Order of things per aggregation interval:
 *   1. decide (synchronously, on the snapshot's regions and ages),
 *   2. ask the engine to reset the ages of every range a non-stat action was applied to
 *      (it does so before its next sample, so the next merge sees them, as in the kernel),
 *   3. queue the actions: grouped per scheme in scheme order (for each region the kernel
 *      runs the schemes in order, and regions are independent), on a worker thread, one
 *      interval's actions after the previous interval's.
 *   4. credit each range's result: sz_applied counts ranges the advice fully applied to
 *      (the kernel's damos_madvise() counts the whole length on success, 0 on failure).
 *
 * Differences from kernel DAMOS, all stated in docs/SCHEMES.md: actions run a few
 * milliseconds after the aggregation ends while the engine keeps sampling (the kernel's
 * kdamond stops monitoring while it applies); watermarks are evaluated once per
 * aggregation interval; only core filters (addr, target) can be evaluated.
 */
import { readFileSync } from 'node:fs';

import { DamoError } from '../core/errors.js';
import type { DamonOps, SchemeStatsRecord, Snapshot } from '../core/model.js';
import { explainRangeErrno, isMadviseAction, MADVISE_ACTIONS, type MadviseAction, type MadviseActions } from '../native/actions.js';
import { DamosCore, regionList, type ApplyRequest, type DamosTarget, type SchemeStats } from './damos.js';
import type { SchemeIntervals } from './kernel.js';
import { describeScheme, isCoreFilter, type DamosAction, type Scheme } from './model.js';

/**
 * How the native engine can apply an action to another process with process_madvise(2)
 * (mm/madvise.c process_madvise_remote_valid): the advice number, or why it cannot.
 */
export function processMadviseAdvice(action: DamosAction): { advice: number; name: string } | { reason: string } {
  if (isMadviseAction(action)) return MADVISE_ACTIONS[action];
  switch (action) {
    case 'hugepage':
    case 'nohugepage':
      return { reason: `process_madvise() refuses MADV_${action.toUpperCase()} for another process; only the kernel's DAMON can apply it` };
    case 'migrate_hot':
    case 'migrate_cold':
      return { reason: 'page migration needs move_pages(2), which the native engine does not use; use the kernel backend' };
    case 'lru_prio':
    case 'lru_deprio':
      return { reason: 'LRU (de)prioritisation has no user-space interface; use the kernel backend with paddr' };
  }
}

/** The action as process_madvise(2) applies it; throws when it cannot. */
function madviseActionOf(action: DamosAction): MadviseAction {
  const a = processMadviseAdvice(action);
  if ('reason' in a || !isMadviseAction(action)) {
    throw new DamoError('E_UNSUPPORTED', `the native engine cannot apply '${action}': ${'reason' in a ? a.reason : 'not a process_madvise action'}`);
  }
  return action;
}

/** Why the native engine cannot apply these schemes, or null when it can. */
export function nativeSchemesProblem(schemes: readonly Scheme[], ops: DamonOps): string | null {
  for (const [i, s] of schemes.entries()) {
    const who = `${describeScheme(s, i)} (${s.action})`;
    if (ops === 'paddr' && s.action !== 'stat') {
      return `${who}: process_madvise(2) acts on a process's virtual memory; physical-address schemes need kernel DAMON`;
    }
    const advice = processMadviseAdvice(s.action);
    if ('reason' in advice) return `${who}: ${advice.reason}`;
    const opsFilter = s.filters.find((f) => !isCoreFilter(f.type));
    if (opsFilter !== undefined) {
      return `${who}: '${opsFilter.type}' filters need page state that only kernel DAMON sees (the native engine evaluates addr and target filters)`;
    }
    const goal = s.quotas.goals.find((g) => g.metric !== 'user_input');
    if (goal !== undefined) return `${who}: the quota goal on '${goal.metric}' needs kernel DAMON's metrics (the native engine supports user_input goals)`;
  }
  return null;
}

export interface RangeFailure {
  errno: string;
  nrRanges: number;
  bytes: number;
  meaning: string;
}

/** The kernel's counters (SchemeStats) plus what only the process_madvise path knows. */
export interface NativeSchemeReport extends SchemeStats {
  /** Ranges process_madvise() failed on, by errno. */
  failures: RangeFailure[];
  nrSyscalls: number;
  /** Time spent in process_madvise() for this scheme. */
  actionNs: number;
}

export interface NativeApplierOptions {
  schemes: readonly Scheme[];
  intervals: SchemeIntervals;
  ops: DamonOps;
  /** Pid of each target index (vaddr, fvaddr). */
  pids: readonly number[];
  minRegionSz: number;
  actions: MadviseActions;
  /** The engine's age reset (NativeMonitor.resetAges). */
  resetAges: (targetIndex: number, ranges: Array<[number, number]>) => void;
  /** /proc/meminfo text, for free_mem_rate watermarks. */
  readMeminfo?: () => string;
}

export interface NativeApplierListeners {
  onWarning?: (message: string) => void;
  /** Statistics after each interval's actions completed. */
  onStats?: (records: SchemeStatsRecord[]) => void;
  /** The action machinery itself failed (not one range): the run should end. */
  onFatal?: (err: unknown) => void;
}

interface Pending {
  scheme: number;
  targetIndex: number;
  start: number;
  end: number;
}

/** free_mem_rate in per-mille: MemFree / MemTotal (the kernel's damos_wmark_metric_value()). */
export function freeMemRatePermil(meminfo: string): number | null {
  const total = /^MemTotal:\s+(\d+)/m.exec(meminfo);
  const free = /^MemFree:\s+(\d+)/m.exec(meminfo);
  if (total === null || free === null) return null;
  const t = Number(total[1]);
  return t > 0 ? Math.floor((Number(free[1]) * 1000) / t) : null;
}

export class NativeSchemesApplier {
  private readonly core: DamosCore;
  private readonly schemes: readonly Scheme[];
  private readonly pidfds: number[] = [];
  private readonly gone = new Set<number>();
  private pending: Pending[] = [];
  private resets = new Map<number, Array<[number, number]>>();
  private chain: Promise<void> = Promise.resolve();
  private prevEndNs: number | null = null;
  private lastEndNs = 0;
  private readonly failures: Array<Map<string, RangeFailure>>;
  private readonly nrSyscalls: number[];
  private readonly actionNs: number[];
  private readonly warned = new Set<string>();
  private fatal: unknown = null;
  private closed = false;
  private listeners: NativeApplierListeners = {};

  constructor(private readonly opts: NativeApplierOptions) {
    const problem = nativeSchemesProblem(opts.schemes, opts.ops);
    if (problem !== null) throw new DamoError('E_UNSUPPORTED', `the native engine cannot apply ${problem}`, { hint: 'use a kernel backend (--backend sysfs or debugfs)' });
    this.schemes = opts.schemes;
    const readMeminfo = opts.readMeminfo ?? (() => readFileSync('/proc/meminfo', 'utf8'));
    let meminfo: { atNs: number; rate: number | null } | null = null;
    this.core = new DamosCore(opts.schemes, {
      intervals: opts.intervals,
      minRegionSz: opts.minRegionSz,
      measuredThroughput: true,
      applyScheme: (req) => this.queue(req),
      onAgeReset: (t, start, end) => {
        let list = this.resets.get(t);
        if (list === undefined) this.resets.set(t, (list = []));
        list.push([start, end]);
      },
      wmarkMetric: () => {
        // One read per aggregation interval serves every scheme.
        if (meminfo === null || meminfo.atNs !== this.lastEndNs) {
          let rate: number | null;
          try {
            rate = freeMemRatePermil(readMeminfo());
          } catch {
            rate = null;
          }
          meminfo = { atNs: this.lastEndNs, rate };
        }
        return meminfo.rate;
      },
    });
    this.failures = opts.schemes.map(() => new Map());
    this.nrSyscalls = opts.schemes.map(() => 0);
    this.actionNs = opts.schemes.map(() => 0);
  }

  /** Where warnings, statistics and a fatal failure go. */
  listen(listeners: NativeApplierListeners): void {
    this.listeners = listeners;
  }

  /**
   * Opens a pidfd per target and asks the kernel whether each scheme's advice is allowed
   * on it. Throws a DamoError that says why not (no process_madvise, advice not allowed
   * remotely on this kernel, no permission, process gone).
   */
  open(): void {
    try {
      for (const pid of this.opts.pids) {
        const fd = this.opts.actions.openPidfd(pid);
        this.pidfds.push(fd);
        for (const s of this.schemes) {
          if (s.action === 'stat') continue;
          const problem = this.opts.actions.probeAdvice(fd, madviseActionOf(s.action), pid);
          if (problem !== null) throw problem;
        }
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private queue(req: ApplyRequest): number {
    const s = this.schemes[req.scheme];
    // ops.apply_scheme of stat: nothing to do; a gone process has no mm (damon_get_mm()).
    if (s === undefined || s.action === 'stat' || this.gone.has(req.targetIndex)) return 0;
    this.pending.push({ scheme: req.scheme, targetIndex: req.targetIndex, start: req.start, end: req.end });
    // Credited when process_madvise() answers.
    return 0;
  }

  /** One aggregation interval: every target's snapshot, in target order. */
  onAggregation(snaps: readonly Snapshot[]): void {
    if (this.closed || snaps.length === 0) return;
    const endNs = Math.max(...snaps.map((s) => s.endNs));
    const startNs = Math.min(...snaps.map((s) => s.startNs));
    const targets: DamosTarget[] = snaps.map((s) => ({ index: s.targetIndex, head: regionList(s.starts, s.ends, s.nrAccesses, s.ages) }));
    this.lastEndNs = endNs;
    this.core.applyAggregation(targets, this.prevEndNs ?? startNs, endNs);
    this.prevEndNs = endNs;
    for (const [t, ranges] of this.resets) {
      try {
        this.opts.resetAges(t, ranges);
      } catch (err) {
        this.warnOnce('reset', `could not reset region ages in the engine: ${(err as Error).message}`);
      }
    }
    this.resets = new Map();
    const work = this.pending;
    this.pending = [];
    this.chain = this.chain.then(() => this.execute(work, endNs));
  }

  private async execute(work: Pending[], endNs: number): Promise<void> {
    if (this.fatal !== null || this.closed) return;
    // Per scheme in scheme order, then per target: each region still sees the schemes in order.
    const groups = new Map<string, Pending[]>();
    for (const p of work) {
      const key = `${p.scheme}:${p.targetIndex}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = []));
      g.push(p);
    }
    const keys = [...groups.keys()].sort((a, b) => {
      const [sa, ta] = a.split(':').map(Number) as [number, number];
      const [sb, tb] = b.split(':').map(Number) as [number, number];
      return sa - sb || ta - tb;
    });
    for (const key of keys) {
      const g = groups.get(key) ?? [];
      const first = g[0];
      if (first === undefined) continue;
      const scheme = this.schemes[first.scheme];
      const fd = this.pidfds[first.targetIndex];
      if (scheme === undefined || fd === undefined || this.gone.has(first.targetIndex)) continue;
      let r;
      try {
        r = await this.opts.actions.adviseRanges(fd, madviseActionOf(scheme.action), g);
      } catch (err) {
        this.fatal = err;
        this.listeners.onFatal?.(err);
        return;
      }
      this.nrSyscalls[first.scheme] = (this.nrSyscalls[first.scheme] ?? 0) + r.nrSyscalls;
      this.actionNs[first.scheme] = (this.actionNs[first.scheme] ?? 0) + r.elapsedNs;
      g.forEach((p, i) => {
        const bytes = r.bytes[i] ?? 0;
        this.core.credit(p.scheme, bytes, i === 0 ? r.elapsedNs : 0);
        const errno = r.errnos[i] ?? '';
        if (errno !== '') this.noteFailure(p, errno);
      });
    }
    this.listeners.onStats?.(this.statsRecords(endNs));
  }

  private noteFailure(p: Pending, errno: string): void {
    if (errno === 'ESRCH') {
      this.gone.add(p.targetIndex);
    }
    const m = this.failures[p.scheme];
    if (m === undefined) return;
    let f = m.get(errno);
    if (f === undefined) m.set(errno, (f = { errno, nrRanges: 0, bytes: 0, meaning: explainRangeErrno(errno) }));
    f.nrRanges += 1;
    f.bytes += p.end - p.start;
    const s = this.schemes[p.scheme];
    // ENOMEM (a range over unmapped gaps, as vaddr regions often are) and EINVAL (a range
    // over [vvar]-like mappings) are what the kernel's DAMOS meets too: the final table
    // reports them; anything else is worth a warning at once.
    if (s !== undefined && errno !== 'ESRCH' && errno !== 'ENOMEM' && errno !== 'EINVAL') {
      this.warnOnce(`${p.scheme}:${errno}`, `${describeScheme(s, p.scheme)}: process_madvise(${s.action}) failed with ${errno} on [${p.start.toString(16)}, ${p.end.toString(16)}) of target ${p.targetIndex}: ${f.meaning} (reported once per scheme and error; see the final table)`);
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.listeners.onWarning?.(message);
  }

  /** Per-scheme statistics now, as trace records (one per scheme, target index 0). */
  statsRecords(timeNs: number): SchemeStatsRecord[] {
    return this.schemes.map((_, i) => {
      const st = this.core.stats(i);
      return {
        timeNs,
        schemeIndex: i,
        targetIndex: 0,
        nrTried: st.nrTried,
        szTriedBytes: st.szTried,
        nrApplied: st.nrApplied,
        szAppliedBytes: st.szApplied,
        qtExceeds: st.qtExceeds,
        szOpsFilterPassedBytes: 0,
      };
    });
  }

  report(): NativeSchemeReport[] {
    return this.schemes.map((_, i) => ({
      ...this.core.stats(i),
      failures: [...(this.failures[i]?.values() ?? [])],
      nrSyscalls: this.nrSyscalls[i] ?? 0,
      actionNs: this.actionNs[i] ?? 0,
    }));
  }

  /** Whether a watermark currently keeps the scheme inactive. */
  isActive(scheme: number): boolean {
    return this.core.isActive(scheme);
  }

  /** Waits for queued actions; rethrows a failure of the action machinery itself. */
  async drain(): Promise<void> {
    await this.chain;
    if (this.fatal !== null) throw this.fatal;
  }

  /** An error that should end the run (the addon failed), or null. */
  get failure(): unknown {
    return this.fatal;
  }

  close(): void {
    this.closed = true;
    for (const fd of this.pidfds.splice(0)) this.opts.actions.closePidfd(fd);
  }
}
