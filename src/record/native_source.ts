// SPDX-License-Identifier: GPL-2.0-only
/**
 * The native (user-space) DAMON engine as a recording source. The engine and its wrapper
 * live in src/native (openNativeMonitor, nativeCapabilities); this adapter maps them
 * onto RecordingSource. It is imported lazily so kernel recording and reports work on a
 * build without the addon.
 *
 * With schemes (`damo schemes --backend native`), each aggregation's snapshots also go to
 * the online applier (src/schemes/online_native.ts), which applies the actions with
 * process_madvise(2) and has the engine reset the ages of the regions it acted on.
 */
import { DamoError, errorMessage } from '../core/errors.js';
import { pageSizeBytes } from '../core/page_size.js';
import type { Intervals, NrRegionsRange, SchemeStatsRecord, DamonOps } from '../core/model.js';
import type { Scheme } from '../schemes/model.js';
import type { NativeSchemeReport, NativeSchemesApplier } from '../schemes/online_native.js';
import type { NativeAvailability } from './detect.js';
import type * as NativeMonitorModule from '../native/monitor.js';
import type { RecordPrimitive } from '../native/primitives.js';
import { deferred, type RecordingSource, type SourceSink } from './source.js';


export interface NativeSourceConfig {
  ops: DamonOps;
  pids: number[];
  /** fvaddr: the ranges of every pid; paddr: the physical ranges. */
  ranges: Array<[number, number]> | null;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  primitive: RecordPrimitive | undefined;
  /** Our header's base time; snapshot times are rebased onto it. */
  baseTimeNs: bigint;
  /** Schemes to apply with process_madvise(2). */
  schemes?: readonly Scheme[];
  /** Least time between two statistics deliveries (ms); default 1000. */
  statsIntervalMs?: number;
}



type MonitorModule = typeof NativeMonitorModule;

async function loadMonitor(): Promise<MonitorModule | Error> {
  try {
    return await import('../native/monitor.js');
  } catch (err) {
    return new Error(errorMessage(err));
  }
}

/** Whether the engine can record `ops` for `pid` here (with `primitive`, or the best one). */
export async function probeNative(primitive: RecordPrimitive | undefined, ops: DamonOps, pid: number | undefined): Promise<NativeAvailability> {
  const m = await loadMonitor();
  if (m instanceof Error) return { usable: false, reason: `the native engine could not be loaded (${m.message})` };
  const where = pid === undefined ? { ops } : { ops, pid };
  if (primitive === undefined) return m.nativeAvailability(where);
  try {
    const cap = m.nativeCapabilities(where)[primitive];
    return cap.available ? { usable: true, primitive } : { usable: false, reason: `the ${primitive} primitive cannot run here: ${cap.reason}` };
  } catch (err) {
    return { usable: false, reason: errorMessage(err) };
  }
}

export async function createNativeSource(cfg: NativeSourceConfig): Promise<RecordingSource> {
  const m = await loadMonitor();
  if (m instanceof Error) throw new DamoError('E_NATIVE', `the native engine could not be loaded (${m.message})`, { hint: "rebuild it with 'npm run build:native'" });
  const ranges = cfg.ranges?.map(([start, end]) => ({ start, end }));
  const targets = cfg.ops === 'paddr' ? [ranges === undefined ? {} : { ranges }] : cfg.pids.map((pid) => (ranges === undefined ? { pid } : { pid, ranges }));
  const monitor = m.openNativeMonitor({
    ops: cfg.ops,
    targets,
    primitive: cfg.primitive ?? 'auto',
    intervals: cfg.intervals,
    nrRegions: cfg.nrRegions,
  });
  let applier: NativeSchemesApplier | null = null;
  if (cfg.schemes !== undefined && cfg.schemes.length > 0) {
    const [{ NativeSchemesApplier }, { nativeMadviseActions }] = await Promise.all([import('../schemes/online_native.js'), import('../native/actions.js')]);
    applier = new NativeSchemesApplier({
      schemes: cfg.schemes,
      intervals: { sampleUs: cfg.intervals.sampleUs, aggrUs: cfg.intervals.aggrUs },
      ops: cfg.ops,
      pids: cfg.ops === 'paddr' ? [] : cfg.pids,
      minRegionSz: pageSizeBytes(),
      actions: nativeMadviseActions(),
      resetAges: (t, ranges) => monitor.resetAges(t, ranges),
    });
  }
  return new NativeSource(monitor, cfg.baseTimeNs, applier, cfg.statsIntervalMs ?? 1000);
}

class NativeSource implements RecordingSource {
  readonly kind;
  readonly label: string;
  private readonly endedD = deferred<string>();
  readonly ended = this.endedD.promise;
  private started = false;

  private lastStatsNs = -Infinity;

  constructor(
    private readonly monitor: NativeMonitorModule.NativeMonitor,
    private readonly baseTimeNs: bigint,
    private readonly applier: NativeSchemesApplier | null,
    private readonly statsIntervalMs: number,
  ) {
    this.kind = monitor.header.source;
    const p = monitor.options.primitive;
    this.label = `the native engine (${p}${p === 'clear_refs' ? ', per-mapping access information' : ''})`;
  }

  async start(sink: SourceSink): Promise<void> {
    let shiftNs = 0;
    const applier = this.applier;
    if (applier !== null) {
      // Probe every target and advice before anything runs: a kernel without
      // process_madvise or a missing permission fails here, with the reason.
      applier.listen({
        onWarning: (m) => sink.onWarning(m),
        onStats: (records) => {
          const t = records[0]?.timeNs ?? 0;
          if (t - this.lastStatsNs < this.statsIntervalMs * 1e6) return;
          this.lastStatsNs = t;
          sink.onSchemeStats?.(records);
        },
        onFatal: (err) => this.endedD.reject(err),
      });
      applier.open();
    }
    const { baseTimeNs } = this.monitor.start(
      (s) => {
        if (shiftNs !== 0) {
          s.startNs += shiftNs;
          s.endNs += shiftNs;
        }
        sink.onSnapshot(s);
      },
      applier === null ? undefined : (batch) => applier.onAggregation(batch),
    );
    // Both bases are CLOCK_MONOTONIC; keep the header's, which was taken first.
    shiftNs = Number(baseTimeNs - this.baseTimeNs);
    this.started = true;
    this.monitor.done.then(
      (end) => this.endedD.resolve(end.endReason === 'stopped' ? 'stopped' : end.endReason),
      (err: unknown) => this.endedD.reject(err),
    );
  }

  async stop(): Promise<string[]> {
    if (this.started) await this.monitor.stop();
    const warnings: string[] = [];
    if (this.applier !== null) {
      try {
        await this.applier.drain();
      } catch (err) {
        warnings.push(`applying the schemes failed: ${errorMessage(err)}`);
      }
      this.applier.close();
    }
    return warnings;
  }

  finalSchemeStats(timeNs: number): SchemeStatsRecord[] | null {
    return this.applier?.statsRecords(timeNs) ?? null;
  }

  schemesReport(): NativeSchemeReport[] | null {
    return this.applier?.report() ?? null;
  }
}
