/**
 * The native (user-space) DAMON engine as a recording source. The engine and its wrapper
 * live in src/record/native (openNativeMonitor, nativeCapabilities); this adapter maps them
 * onto RecordingSource. It is imported lazily so kernel recording and reports work on a
 * build without the addon.
 */
import { DamoError, errorMessage } from '../core/errors.js';
import type { Intervals, NrRegionsRange, Ops } from '../core/model.js';
import type { NativeAvailability } from './detect.js';
import type * as NativeMonitorModule from './native/monitor.js';
import { deferred, type RecordingSource, type SourceSink } from './source.js';

export const NATIVE_PRIMITIVES = ['page_idle', 'soft_dirty', 'clear_refs'] as const;
export type NativePrimitive = (typeof NATIVE_PRIMITIVES)[number];

export interface NativeSourceConfig {
  ops: Exclude<Ops, ''>;
  pids: number[];
  /** fvaddr: the ranges of every pid; paddr: the physical ranges. */
  ranges: Array<[number, number]> | null;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  primitive: NativePrimitive | undefined;
  /** Our header's base time; snapshot times are rebased onto it. */
  baseTimeNs: bigint;
}

type MonitorModule = typeof NativeMonitorModule;

async function loadMonitor(): Promise<MonitorModule | Error> {
  try {
    return await import('./native/monitor.js');
  } catch (err) {
    return new Error(errorMessage(err));
  }
}

/** Whether the engine can record `ops` for `pid` here (with `primitive`, or the best one). */
export async function probeNative(primitive: NativePrimitive | undefined, ops: Exclude<Ops, ''>, pid: number | undefined): Promise<NativeAvailability> {
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
  return new NativeSource(monitor, cfg.baseTimeNs);
}

class NativeSource implements RecordingSource {
  readonly kind;
  readonly label: string;
  private readonly endedD = deferred<string>();
  readonly ended = this.endedD.promise;
  private started = false;

  constructor(
    private readonly monitor: NativeMonitorModule.NativeMonitor,
    private readonly baseTimeNs: bigint,
  ) {
    this.kind = monitor.header.source;
    const p = monitor.options.primitive;
    this.label = `the native engine (${p}${p === 'clear_refs' ? ', per-mapping access information' : ''})`;
  }

  async start(sink: SourceSink): Promise<void> {
    let shiftNs = 0;
    const { baseTimeNs } = this.monitor.start((s) => {
      if (shiftNs !== 0) {
        s.startNs += shiftNs;
        s.endNs += shiftNs;
      }
      sink.onSnapshot(s);
    });
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
    return [];
  }
}
