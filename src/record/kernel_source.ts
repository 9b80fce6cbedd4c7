// SPDX-License-Identifier: GPL-2.0-only
/**
 * Recording sources that use kernel DAMON:
 * - `tracefs`: our own sysfs kdamond, snapshots streamed from damon:damon_aggregated in a
 *   tracefs instance of our own (every aggregation, complete, no sysfs polling);
 * - `sysfs`: our own sysfs kdamond with `stat` schemes, snapshots read from tried_regions
 *   after `update_schemes_tried_regions` every snapshot interval;
 * - `debugfs`: the legacy debugfs root context, snapshots from the tracepoint.
 * Each undoes every change on stop() and on every failure path, and registers the same
 * undo steps with the crash guardian in case this process is killed.
 *
 * With `schemes` (`damo schemes`), the kdamond also applies the user's schemes, and every
 * `statsIntervalMs` their statistics are read back (sysfs: update_schemes_stats and
 * stats/*; debugfs: the schemes file) and handed to the sink, once more just before the
 * kdamond is stopped. With `snapshots: false` no snapshots are taken at all: only the
 * kdamond and its schemes run (no tracefs instance, no stat scheme).
 */
import { DamoError, errorMessage } from '../core/errors.js';
import type { Intervals, IntervalsGoal, NrRegionsRange, Ops, SchemeStatsRecord, Snapshot, SourceKind } from '../core/model.js';
import { debugfsText } from '../schemes/kernel.js';
import type { Scheme } from '../schemes/model.js';
import { DebugfsMonitor } from './debugfs.js';
import type { Detection } from './detect.js';
import type { KernelSourceKind } from './source_names.js';
import type { Guardian } from './guardian.js';
import type { KernelFs } from './kfs.js';
import type { KernelRoots } from './roots.js';
import { deferred, type RecordingSource, type SourceSink } from './source.js';
import { OurKdamond, toDamoError, type KdamondTarget, type KernelSchemeStats } from './sysfs.js';
import { ongoingStillRuns, type OngoingKdamond } from './ongoing.js';
import { DamonTraceAssembler } from './trace_parse.js';
import { TraceInstance } from './tracefs.js';
import type { RawEvent } from './trace_raw.js';

export interface KernelSourceConfig {
  kind: KernelSourceKind;
  kfs: KernelFs;
  roots: KernelRoots;
  guardian: Guardian;
  detection: Detection;
  ops: Ops;
  intervals: Intervals;
  /** The intervals auto-tuning goal of our sysfs kdamond (written as `damo start` writes it). */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  /** Absolute CLOCK_MONOTONIC ns that snapshot times are relative to. */
  baseTimeNs: bigint;
  /** CLOCK_MONOTONIC now, in ns. */
  nowNs: () => bigint;
  /** How often trace_pipe is read (ms). */
  pollMs?: number;
  /** How often we check that our kdamond still runs (ms). */
  aliveCheckMs?: number;
  /** sysfs snapshots: µs between snapshots (default: the aggregation interval). */
  snapshotIntervalUs?: number;
  /** Schemes for the kernel to apply (installed before monitoring starts). */
  schemes?: readonly Scheme[];
  /** How often the schemes' statistics are read back (ms); default 1000. */
  statsIntervalMs?: number;
  /** false: no snapshots, only the kdamond and its schemes (default true). */
  snapshots?: boolean;
  /** Record this running kdamond instead of creating one (`damo record ongoing`; tracefs only). */
  ongoing?: OngoingKdamond;
}

interface Controller {
  setup(): void;
  start(): number;
  isRunning(): boolean;
  stop(): void;
  restore(): string[];
  /** The user's schemes' statistics now; null entries for counters the kernel lacks. */
  readSchemeStats(): Array<Omit<KernelSchemeStats, 'nrApplied' | 'szApplied' | 'qtExceeds'> & { nrApplied: number | null; szApplied: number | null; qtExceeds: number | null }>;
  readonly description: string;
}

function sysfsController(cfg: KernelSourceConfig, statSchemes: boolean): Controller & { kd: OurKdamond } {
  const kd = new OurKdamond(
    cfg.kfs,
    cfg.roots.sysfs,
    { ops: cfg.ops, intervals: cfg.intervals, ...(cfg.intervalsGoal !== undefined ? { intervalsGoal: cfg.intervalsGoal } : {}), nrRegions: cfg.nrRegions, targets: cfg.targets, statSchemes, ...(cfg.schemes !== undefined ? { schemes: cfg.schemes } : {}) },
    cfg.guardian,
  );
  return {
    kd,
    setup: () => kd.setup(),
    start: () => kd.start(),
    isRunning: () => kd.isRunning(),
    stop: () => kd.stop(),
    restore: () => kd.restore(),
    readSchemeStats: () => kd.updateSchemeStats(),
    description: 'sysfs kdamond 0',
  };
}

function debugfsController(cfg: KernelSourceConfig): Controller {
  const mon = new DebugfsMonitor(
    cfg.kfs,
    cfg.roots.debugfs,
    cfg.detection.debugfs.monitorOnFile ?? 'monitor_on',
    {
      ops: cfg.ops,
      intervals: cfg.intervals,
      nrRegions: cfg.nrRegions,
      targets: cfg.targets,
      kernelRelease: cfg.detection.kernelRelease,
      ...(cfg.schemes !== undefined && cfg.schemes.length > 0 ? { schemesText: debugfsText(cfg.schemes, cfg.intervals, 'v4') } : {}),
    },
    cfg.guardian,
  );
  return {
    setup: () => mon.setup(),
    start: () => mon.start(),
    isRunning: () => mon.isRunning(),
    stop: () => mon.stop(),
    restore: () => mon.restore(),
    readSchemeStats: () => mon.readSchemeStats().map((st) => ({ ...st, szOpsFilterPassed: 0 })),
    description: 'debugfs',
  };
}

/** A kdamond someone else runs: only watched, never configured, stopped or removed. */
function ongoingController(cfg: KernelSourceConfig, k: OngoingKdamond): Controller {
  return {
    setup: () => undefined,
    start: () => k.pid,
    isRunning: () => ongoingStillRuns(cfg.kfs, cfg.roots.sysfs, k),
    stop: () => undefined,
    restore: () => [],
    readSchemeStats: () => [],
    description: `running sysfs kdamond ${k.index}`,
  };
}

/** Kernel target ids: the index in our context from 5.18; older kernels use pointers. */
function targetMapper(nrTargets: number): (id: number) => number | undefined {
  const seen = new Map<number, number>();
  return (id) => {
    if (id < nrTargets) return id;
    let idx = seen.get(id);
    if (idx === undefined && seen.size < nrTargets) {
      idx = seen.size;
      seen.set(id, idx);
    }
    return idx;
  };
}

/**
 * Reads the schemes' statistics every statsIntervalMs and once more before the kdamond
 * stops. A failed read while the kdamond still runs is a warning (once), not the end.
 */
class SchemeStatsPoller {
  private timer: NodeJS.Timeout | null = null;
  private warned = new Set<string>();

  constructor(
    private readonly cfg: KernelSourceConfig,
    private readonly controller: Controller,
    private readonly sink: SourceSink,
  ) {}

  get enabled(): boolean {
    return (this.cfg.schemes?.length ?? 0) > 0;
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.poll(), Math.max(10, this.cfg.statsIntervalMs ?? 1000));
  }

  poll(): void {
    if (!this.enabled) return;
    let stats;
    try {
      stats = this.controller.readSchemeStats();
    } catch (err) {
      // The kdamond stopped under us (targets exited): the alive check ends the run.
      let running: boolean;
      try {
        running = this.controller.isRunning();
      } catch {
        running = false;
      }
      if (running) this.warnOnce('read', `could not read the schemes' statistics: ${errorMessage(err)}`);
      return;
    }
    const timeNs = Number(this.cfg.nowNs() - this.cfg.baseTimeNs);
    if (stats.some((st) => st.nrApplied === null)) {
      this.warnOnce('516', "this kernel's debugfs counts only the regions each scheme was tried on (Linux 5.16); applied bytes are unknown and shown as 0");
    }
    const records: SchemeStatsRecord[] = stats.map((st, i) => ({
      timeNs,
      schemeIndex: i,
      targetIndex: 0,
      nrTried: st.nrTried,
      szTriedBytes: st.szTried,
      nrApplied: st.nrApplied ?? 0,
      szAppliedBytes: st.szApplied ?? 0,
      qtExceeds: st.qtExceeds ?? 0,
      szOpsFilterPassedBytes: st.szOpsFilterPassed,
    }));
    this.sink.onSchemeStats?.(records);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.sink.onWarning(message);
  }

  /** The last reading, while the kdamond still runs; then no more. */
  finish(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      if (this.enabled && this.controller.isRunning()) this.poll();
    } catch {
      // nothing more to read
    }
  }
}

/** tracefs and debugfs: a controller plus our tracefs instance. */
class TraceStreamSource implements RecordingSource {
  readonly kind: SourceKind;
  label: string;
  private readonly endedD = deferred<string>();
  readonly ended = this.endedD.promise;
  private readonly controller: Controller;
  private instance: TraceInstance | null = null;
  private assembler: DamonTraceAssembler | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private aliveTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private stats: SchemeStatsPoller | null = null;

  constructor(private readonly cfg: KernelSourceConfig) {
    this.kind = cfg.kind === 'debugfs' ? 'kernel-debugfs' : 'kernel-tracefs';
    this.controller = cfg.ongoing !== undefined ? ongoingController(cfg, cfg.ongoing) : cfg.kind === 'debugfs' ? debugfsController(cfg) : sysfsController(cfg, false);
    this.label = `kernel DAMON (${this.controller.description}, tracefs)`;
  }

  async start(sink: SourceSink): Promise<void> {
    const { cfg } = this;
    this.controller.setup();
    const instance = new TraceInstance(cfg.kfs, cfg.roots.tracefs, cfg.guardian);
    this.instance = instance;
    try {
      instance.create();
    } catch (err) {
      const warnings = [...instance.remove(), ...this.controller.restore()];
      const e = toDamoError(err, `setting up the tracefs instance ${instance.dir}`);
      throw new DamoError(e.code, e.message + warnings.map((w) => `; ${w}`).join(''), e.hint === undefined ? {} : { hint: e.hint });
    }
    let pid: number;
    try {
      pid = this.controller.start();
    } catch (err) {
      instance.remove();
      throw err;
    }
    try {
      instance.setEventPid(pid);
    } catch (err) {
      sink.onWarning(`could not limit the trace instance to kdamond pid ${pid} (${errorMessage(err)}); filtering by pid while parsing`);
    }
    this.label = `kernel DAMON (${this.controller.description} pid ${pid}, tracefs instance ${instance.name}, ${instance.readerDescription})`;
    this.assembler = new DamonTraceAssembler({
      baseTimeNs: cfg.baseTimeNs,
      aggrUs: cfg.intervals.aggrUs,
      acceptPid: (p) => p === pid,
      targetIndexOf: targetMapper(cfg.targets.length),
      onSnapshot: (s) => sink.onSnapshot(s),
      onWarning: (m) => sink.onWarning(m),
    });
    this.pollTimer = setInterval(() => this.poll(), cfg.pollMs ?? tracePipePollMs(cfg.intervals.aggrUs));
    this.stats = new SchemeStatsPoller(cfg, this.controller, sink);
    this.stats.start();
    this.aliveTimer = setInterval(() => {
      try {
        if (!this.controller.isRunning()) {
          this.poll(true);
          this.endedD.resolve('kdamond-stopped');
        }
      } catch (err) {
        this.endedD.reject(toDamoError(err, 'checking our kdamond'));
      }
    }, cfg.aliveCheckMs ?? 500);
  }

  /** Hands what the trace holds to the assembler; `all` once the kdamond has stopped. */
  private poll(all = false): void {
    const { instance, assembler } = this;
    if (instance === null || assembler === null) return;
    try {
      if (instance.readsRaw) {
        const base = this.cfg.baseTimeNs;
        const untilNs = all ? Infinity : Number(this.cfg.nowNs() - base) - RAW_HOLD_BACK_NS;
        for (const ev of instance.readRaw(base, untilNs)) deliverRawEvent(assembler, ev, base);
      } else {
        const text = instance.read();
        if (text.length > 0) assembler.push(text);
      }
    } catch (err) {
      this.endedD.reject(toDamoError(err, 'reading the trace pipe'));
    }
  }

  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.aliveTimer !== null) clearInterval(this.aliveTimer);
    this.stats?.finish();
    const warnings: string[] = [];
    try {
      this.controller.stop();
    } catch (err) {
      warnings.push(`could not stop monitoring: ${errorMessage(err)}`);
    }
    // Events are in the ring buffer once the kdamond has stopped; take them all.
    this.poll(true);
    this.assembler?.finish();
    if (this.instance !== null) warnings.push(...this.instance.remove());
    warnings.push(...this.controller.restore());
    return warnings;
  }
}

/**
 * Events of the last RAW_HOLD_BACK_NS wait for the next read of trace_pipe_raw: another
 * CPU may still be committing events that old (the kdamond moved while writing an
 * aggregation), and they must come first.
 */
const RAW_HOLD_BACK_NS = 20_000_000;

function deliverRawEvent(assembler: DamonTraceAssembler, ev: RawEvent, baseNs: bigint): void {
  switch (ev.kind) {
    case 'aggregated':
      assembler.region(ev, () => baseNs + BigInt(ev.ns));
      return;
    case 'tune':
      assembler.tune(ev.pid, ev.sampleUs);
      return;
    case 'lost':
      assembler.lost(ev.cpu, ev.nrEvents);
      return;
    case 'damaged':
      assembler.broken(`a trace_pipe_raw page of CPU ${ev.cpu} does not decode (${ev.why}); the snapshots in progress were dropped`);
  }
}

/** Bounds of how often trace_pipe is read (tracePipePollMs). */
const TRACE_POLL_MIN_MS = 50;
const TRACE_POLL_MAX_MS = 250;

/**
 * How often to read trace_pipe for an aggregation interval: twice an aggregation, within
 * [50, 250] ms. Each aggregation's events arrive at once, so reading more often finds
 * nothing (an EAGAIN read each time, which under TCG cost the recorder a few percent of a
 * CPU at 20 reads a second: docs/ACCURACY.md, "Run 11: where the recorder's CPU goes"); 250 ms
 * keeps a snapshot at most that long from the file, and the instance's ring buffer (about
 * 1.4 MB a CPU) holds many aggregations of 1,000 regions (about 50 KB each) meanwhile.
 */
export function tracePipePollMs(aggrUs: number): number {
  return Math.min(TRACE_POLL_MAX_MS, Math.max(TRACE_POLL_MIN_MS, Math.round(aggrUs / 2000)));
}

/** sysfs snapshots: tried regions of stat schemes, read every snapshot interval. */
class SysfsSnapshotSource implements RecordingSource {
  readonly kind: SourceKind = 'kernel-sysfs';
  label = 'kernel DAMON (sysfs kdamond 0, tried-regions snapshots)';
  private readonly endedD = deferred<string>();
  readonly ended = this.endedD.promise;
  private readonly controller: ReturnType<typeof sysfsController>;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly lastEndNs = new Map<number, number>();
  private nextTickNs = 0n;
  private stats: SchemeStatsPoller | null = null;

  constructor(private readonly cfg: KernelSourceConfig) {
    this.controller = sysfsController(cfg, true);
  }

  private get intervalNs(): bigint {
    return BigInt(Math.max(1, this.cfg.snapshotIntervalUs ?? this.cfg.intervals.aggrUs)) * 1000n;
  }

  async start(sink: SourceSink): Promise<void> {
    this.controller.setup();
    const pid = this.controller.start();
    this.label = `kernel DAMON (sysfs kdamond 0 pid ${pid}, tried-regions snapshots)`;
    this.nextTickNs = this.cfg.nowNs() + this.intervalNs;
    this.stats = new SchemeStatsPoller(this.cfg, this.controller, sink);
    this.stats.start();
    this.schedule(sink);
  }

  private schedule(sink: SourceSink): void {
    if (this.stopped) return;
    const delayMs = Math.max(0, Number(this.nextTickNs - this.cfg.nowNs()) / 1e6);
    this.timer = setTimeout(() => this.tick(sink), delayMs);
  }

  private tick(sink: SourceSink): void {
    if (this.stopped) return;
    try {
      if (!this.controller.isRunning()) {
        this.endedD.resolve('kdamond-stopped');
        return;
      }
      this.snapshot(sink);
    } catch (err) {
      // The update fails when the kdamond stopped while we asked (its targets exited).
      try {
        if (!this.controller.isRunning()) {
          this.endedD.resolve('kdamond-stopped');
          return;
        }
      } catch {
        // fall through to the original error
      }
      this.endedD.reject(toDamoError(err, 'taking a snapshot (update_schemes_tried_regions)'));
      return;
    }
    // Skip ticks we are late for rather than bursting to catch up.
    const now = this.cfg.nowNs();
    do this.nextTickNs += this.intervalNs;
    while (this.nextTickNs <= now);
    this.schedule(sink);
  }

  private snapshot(sink: SourceSink): void {
    const tried = this.controller.kd.updateTriedRegions();
    const endNs = Number(this.cfg.nowNs() - this.cfg.baseTimeNs);
    tried.forEach((r, targetIndex) => {
      if (r.starts.length === 0) return;
      const startNs = this.lastEndNs.get(targetIndex) ?? endNs - this.cfg.intervals.aggrUs * 1000;
      this.lastEndNs.set(targetIndex, endNs);
      const snap: Snapshot = {
        targetIndex,
        startNs,
        endNs,
        starts: Float64Array.from(r.starts),
        ends: Float64Array.from(r.ends),
        nrAccesses: Float64Array.from(r.nrAccesses),
        ages: Float64Array.from(r.ages),
      };
      sink.onSnapshot(snap);
    });
  }

  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.stats?.finish();
    return this.controller.restore();
  }
}

/** Schemes without snapshots: our kdamond (sysfs) or the debugfs context, nothing else. */
class KernelControlSource implements RecordingSource {
  readonly kind: SourceKind;
  label: string;
  private readonly endedD = deferred<string>();
  readonly ended = this.endedD.promise;
  private readonly controller: Controller;
  private aliveTimer: NodeJS.Timeout | null = null;
  private stats: SchemeStatsPoller | null = null;
  private stopped = false;

  constructor(private readonly cfg: KernelSourceConfig) {
    this.kind = cfg.kind === 'debugfs' ? 'kernel-debugfs' : 'kernel-sysfs';
    this.controller = cfg.kind === 'debugfs' ? debugfsController(cfg) : sysfsController(cfg, false);
    this.label = `kernel DAMON (${this.controller.description})`;
  }

  async start(sink: SourceSink): Promise<void> {
    this.controller.setup();
    const pid = this.controller.start();
    this.label = `kernel DAMON (${this.controller.description} pid ${pid})`;
    this.stats = new SchemeStatsPoller(this.cfg, this.controller, sink);
    this.stats.start();
    this.aliveTimer = setInterval(() => {
      try {
        if (!this.controller.isRunning()) this.endedD.resolve('kdamond-stopped');
      } catch (err) {
        this.endedD.reject(toDamoError(err, 'checking our kdamond'));
      }
    }, this.cfg.aliveCheckMs ?? 500);
  }

  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    if (this.aliveTimer !== null) clearInterval(this.aliveTimer);
    this.stats?.finish();
    return this.controller.restore();
  }
}

export function createKernelSource(cfg: KernelSourceConfig): RecordingSource {
  if (cfg.snapshots === false) return new KernelControlSource(cfg);
  return cfg.kind === 'sysfs' ? new SysfsSnapshotSource(cfg) : new TraceStreamSource(cfg);
}
