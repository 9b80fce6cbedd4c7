/**
 * Recording sources that use kernel DAMON:
 * - `tracefs`: our own sysfs kdamond, snapshots streamed from damon:damon_aggregated in a
 *   tracefs instance of our own (every aggregation, complete, no sysfs polling);
 * - `sysfs`: our own sysfs kdamond with `stat` schemes, snapshots read from tried_regions
 *   after `update_schemes_tried_regions` every snapshot interval;
 * - `debugfs`: the legacy debugfs root context, snapshots from the tracepoint.
 * Each undoes every change on stop() and on every failure path, and registers the same
 * undo steps with the crash guardian in case this process is killed.
 */
import { DamoError, errorMessage } from '../core/errors.js';
import type { Intervals, NrRegionsRange, Ops, Snapshot, SourceKind } from '../core/model.js';
import { DebugfsMonitor } from './debugfs.js';
import type { Detection, KernelSourceKind } from './detect.js';
import type { Guardian } from './guardian.js';
import type { KernelFs } from './kfs.js';
import type { KernelRoots } from './roots.js';
import { deferred, type RecordingSource, type SourceSink } from './source.js';
import { OurKdamond, toDamoError, type KdamondTarget } from './sysfs.js';
import { DamonTraceAssembler } from './trace_parse.js';
import { TraceInstance } from './tracefs.js';

export interface KernelSourceConfig {
  kind: KernelSourceKind;
  kfs: KernelFs;
  roots: KernelRoots;
  guardian: Guardian;
  detection: Detection;
  ops: Ops;
  intervals: Intervals;
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
}

interface Controller {
  setup(): void;
  start(): number;
  isRunning(): boolean;
  stop(): void;
  restore(): string[];
  readonly description: string;
}

function sysfsController(cfg: KernelSourceConfig, statSchemes: boolean): Controller & { kd: OurKdamond } {
  const kd = new OurKdamond(
    cfg.kfs,
    cfg.roots.sysfs,
    { ops: cfg.ops, intervals: cfg.intervals, nrRegions: cfg.nrRegions, targets: cfg.targets, statSchemes },
    cfg.guardian,
  );
  return {
    kd,
    setup: () => kd.setup(),
    start: () => kd.start(),
    isRunning: () => kd.isRunning(),
    stop: () => kd.stop(),
    restore: () => kd.restore(),
    description: 'sysfs kdamond 0',
  };
}

function debugfsController(cfg: KernelSourceConfig): Controller {
  const mon = new DebugfsMonitor(
    cfg.kfs,
    cfg.roots.debugfs,
    cfg.detection.debugfs.monitorOnFile ?? 'monitor_on',
    { ops: cfg.ops, intervals: cfg.intervals, nrRegions: cfg.nrRegions, targets: cfg.targets, kernelRelease: cfg.detection.kernelRelease },
    cfg.guardian,
  );
  return {
    setup: () => mon.setup(),
    start: () => mon.start(),
    isRunning: () => mon.isRunning(),
    stop: () => mon.stop(),
    restore: () => mon.restore(),
    description: 'debugfs',
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

  constructor(private readonly cfg: KernelSourceConfig) {
    this.kind = cfg.kind === 'debugfs' ? 'kernel-debugfs' : 'kernel-tracefs';
    this.controller = cfg.kind === 'debugfs' ? debugfsController(cfg) : sysfsController(cfg, false);
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
    this.label = `kernel DAMON (${this.controller.description} pid ${pid}, tracefs instance ${instance.name})`;
    this.assembler = new DamonTraceAssembler({
      baseTimeNs: cfg.baseTimeNs,
      aggrUs: cfg.intervals.aggrUs,
      acceptPid: (p) => p === pid,
      targetIndexOf: targetMapper(cfg.targets.length),
      onSnapshot: (s) => sink.onSnapshot(s),
      onWarning: (m) => sink.onWarning(m),
    });
    this.pollTimer = setInterval(() => this.poll(), cfg.pollMs ?? 50);
    this.aliveTimer = setInterval(() => {
      try {
        if (!this.controller.isRunning()) {
          this.poll();
          this.endedD.resolve('kdamond-stopped');
        }
      } catch (err) {
        this.endedD.reject(toDamoError(err, 'checking our kdamond'));
      }
    }, cfg.aliveCheckMs ?? 500);
  }

  private poll(): void {
    if (this.instance === null || this.assembler === null) return;
    try {
      const text = this.instance.read();
      if (text.length > 0) this.assembler.push(text);
    } catch (err) {
      this.endedD.reject(toDamoError(err, 'reading the trace pipe'));
    }
  }

  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.aliveTimer !== null) clearInterval(this.aliveTimer);
    const warnings: string[] = [];
    try {
      this.controller.stop();
    } catch (err) {
      warnings.push(`could not stop monitoring: ${errorMessage(err)}`);
    }
    // Events are in the ring buffer once the kdamond has stopped; take them all.
    this.poll();
    this.assembler?.finish();
    if (this.instance !== null) warnings.push(...this.instance.remove());
    warnings.push(...this.controller.restore());
    return warnings;
  }
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
    return this.controller.restore();
  }
}

export function createKernelSource(cfg: KernelSourceConfig): RecordingSource {
  return cfg.kind === 'sysfs' ? new SysfsSnapshotSource(cfg) : new TraceStreamSource(cfg);
}
