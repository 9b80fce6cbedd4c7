// SPDX-License-Identifier: GPL-2.0-only
/**
 * A live access snapshot of running kdamonds, the way damo 3.3.0's `damo report access`
 * takes one when no recording is given: every context gets a `stat` scheme that matches
 * every region (reused when one is there already, otherwise added and committed online),
 * the kernel is asked to `update_schemes_tried_regions`, and the scheme's tried regions are
 * the snapshot. An added scheme is removed again, with a second commit, afterwards.
 *
 * Adding a scheme rewrites `nr_schemes`, which makes the kernel recreate every scheme
 * directory with defaults; so the existing schemes are written back, file by file, from
 * what was read before, and only then committed, as damo does. The kernel keeps their
 * statistics across the commit (damos_commit() does not copy them).
 */
import { UINT_MAX, ULONG_MAX } from '../../core/damon_constants.js';
import { DamoError, errnoCode, errorMessage } from '../../core/errors.js';
import type { DamosFilterInfo, Snapshot, TraceHeader, TraceTarget } from '../../core/model.js';
import { MemoryTraceSource } from '../../format/damo/records.js';
import { writeRetryBusy, type KernelFs } from '../kfs.js';
import { DEFAULT_GOAL_TUNER, readDamonStatus, type DamonStatusContext, type DamonStatusScheme } from './damon_status.js';

export interface LiveSnapshotRequest {
  sysfsRoot: string;
  /** kdamond indexes to snapshot (running ones). */
  kdamonds: number[];
  /** Merge adjacent regions with the same access count and age (damo's default). */
  mergeRegions: boolean;
  /** Wall-clock time in ns, for the snapshot's end time (damo uses time.time()). */
  nowNs: () => number;
}

/** A stat scheme that matches every region, with no filter, quota or watermark to hide any. */
function matchesEverything(s: DamonStatusScheme, ctx: DamonStatusContext): boolean {
  const maxSamples = Math.floor(ctx.intervals.aggrUs / Math.max(1, ctx.intervals.sampleUs));
  return (
    s.action === 'stat' &&
    s.sz[0] === 0 &&
    s.sz[1] >= Number(ULONG_MAX) &&
    s.nrAccesses[0] === 0 &&
    s.nrAccesses[1] >= maxSamples &&
    s.age[0] === 0 &&
    s.age[1] >= UINT_MAX &&
    s.filters.length === 0 &&
    s.quotas.ms === 0 &&
    s.quotas.bytes === 0 &&
    s.quotas.goals.length === 0 &&
    s.watermarks.metric === 'none'
  );
}

/** The files that give one scheme directory the values read into `s`, in a valid order. */
export function schemeFiles(s: DamonStatusScheme, has: (rel: string) => boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const put = (rel: string, v: string | number, optional = false): void => {
    if (optional && !has(rel)) return;
    out.push([rel, typeof v === 'number' ? (v >= Number(ULONG_MAX) ? ULONG_MAX.toString() : String(v)) : v]);
  };
  put('action', s.action);
  if (s.targetNid !== null) put('target_nid', s.targetNid, true);
  put('apply_interval_us', s.applyIntervalUs, true);
  put('access_pattern/sz/min', s.sz[0]);
  put('access_pattern/sz/max', s.sz[1]);
  put('access_pattern/nr_accesses/min', s.nrAccesses[0]);
  put('access_pattern/nr_accesses/max', s.nrAccesses[1]);
  put('access_pattern/age/min', s.age[0]);
  put('access_pattern/age/max', s.age[1]);
  const q = s.quotas;
  put('quotas/ms', q.ms);
  put('quotas/bytes', q.bytes);
  put('quotas/reset_interval_ms', q.resetIntervalMs);
  put('quotas/weights/sz_permil', q.weights.sz);
  put('quotas/weights/nr_accesses_permil', q.weights.nrAccesses);
  put('quotas/weights/age_permil', q.weights.age);
  if (q.goals.length > 0) {
    put('quotas/goals/nr_goals', q.goals.length);
    q.goals.forEach((g, i) => {
      put(`quotas/goals/${i}/target_metric`, g.metric, true);
      put(`quotas/goals/${i}/target_value`, g.targetValue);
      put(`quotas/goals/${i}/current_value`, g.currentValue);
      if (g.nid !== null) put(`quotas/goals/${i}/nid`, g.nid, true);
      if (g.memcgPath !== null) put(`quotas/goals/${i}/path`, g.memcgPath, true);
    });
  }
  if (q.goalTuner !== DEFAULT_GOAL_TUNER) put('quotas/goal_tuner', q.goalTuner, true);
  if (q.failChargeDenom !== 0) {
    put('quotas/fail_charge_num', q.failChargeNum, true);
    put('quotas/fail_charge_denom', q.failChargeDenom, true);
  }
  const w = s.watermarks;
  put('watermarks/metric', w.metric);
  put('watermarks/interval_us', w.intervalUs);
  put('watermarks/high', w.high);
  put('watermarks/mid', w.mid);
  put('watermarks/low', w.low);
  if (s.filters.length > 0) {
    put('filters/nr_filters', s.filters.length);
    s.filters.forEach((f, i) => {
      const d = `filters/${i}`;
      put(`${d}/type`, f.type);
      put(`${d}/matching`, f.matching ? 'Y' : 'N');
      put(`${d}/allow`, f.allow ? 'Y' : 'N', true);
      if (f.type === 'memcg') put(`${d}/memcg_path`, f.memcgPath);
      if (f.addressRange !== null) {
        put(`${d}/addr_start`, f.addressRange.start, true);
        put(`${d}/addr_end`, f.addressRange.end, true);
      }
      if (f.damonTargetIdx !== null) put(`${d}/damon_target_idx`, f.damonTargetIdx, true);
      if (f.hugepageSize !== null) {
        put(`${d}/min`, f.hugepageSize[0], true);
        put(`${d}/max`, f.hugepageSize[1], true);
      }
    });
  }
  if (s.dests.length > 0) {
    put('dests/nr_dests', s.dests.length);
    s.dests.forEach((d, i) => {
      put(`dests/${i}/id`, d.id);
      put(`dests/${i}/weight`, d.weight);
    });
  }
  return out;
}

class SchemeInstall {
  constructor(
    private readonly kfs: KernelFs,
    readonly kdamondDir: string,
    readonly schemesDir: string,
    readonly original: DamonStatusScheme[],
  ) {}

  private w(path: string, value: string): void {
    try {
      this.kfs.write(path, value);
    } catch (err) {
      throw new DamoError('E_IO', `writing '${value}' to ${path} failed (${errnoCode(err) ?? errorMessage(err)})`, { cause: err });
    }
  }

  private writeSchemes(schemes: DamonStatusScheme[]): void {
    this.w(`${this.schemesDir}/nr_schemes`, String(schemes.length));
    schemes.forEach((s, i) => {
      const dir = `${this.schemesDir}/${i}`;
      for (const [rel, v] of schemeFiles(s, (r) => this.kfs.exists(`${dir}/${r}`))) this.w(`${dir}/${rel}`, v);
    });
  }

  private commit(): void {
    try {
      writeRetryBusy(this.kfs, `${this.kdamondDir}/state`, 'commit');
    } catch (err) {
      throw new DamoError('E_IO', `committing the schemes of ${this.kdamondDir} failed (writing 'commit' to its state: ${errorMessage(err)})`, { cause: err });
    }
  }

  install(stat: DamonStatusScheme): void {
    this.writeSchemes([...this.original, stat]);
    this.commit();
  }

  uninstall(): void {
    this.writeSchemes(this.original);
    this.commit();
  }
}

function statScheme(ctx: DamonStatusContext): DamonStatusScheme {
  return {
    action: 'stat',
    targetNid: null,
    // Applying every sampling interval keeps the snapshot's latency at one sample (damo does it).
    applyIntervalUs: ctx.intervals.sampleUs,
    sz: [0, Number(ULONG_MAX)],
    nrAccesses: [0, UINT_MAX],
    age: [0, UINT_MAX],
    dests: [],
    quotas: { ms: 0, bytes: 0, resetIntervalMs: 0, weights: { sz: 0, nrAccesses: 0, age: 0 }, goals: [], goalTuner: DEFAULT_GOAL_TUNER, effectiveBytes: 0, failChargeNum: 0, failChargeDenom: 0 },
    watermarks: { metric: 'none', intervalUs: 0, high: 0, mid: 0, low: 0 },
    filters: [],
    stats: { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, szOpsFilterPassed: 0, qtExceeds: 0, nrSnapshots: 0, maxNrSnapshots: 0 },
    triedRegions: [],
    triedTotalBytes: null,
  };
}

function toSnapshot(s: DamonStatusScheme, ctx: DamonStatusContext, targetIndex: number, endNs: number, merge: boolean): Snapshot {
  const rs: Array<{ start: number; end: number; nrAccesses: number; age: number; szFilterPassed: number | null }> = [];
  for (const r of s.triedRegions) {
    const last = rs[rs.length - 1];
    if (merge && last !== undefined && !last.szFilterPassed && !r.szFilterPassed && last.end === r.start && last.nrAccesses === r.nrAccesses && last.age === r.age) {
      last.end = r.end;
      continue;
    }
    rs.push({ ...r });
  }
  const snap: Snapshot = {
    targetIndex,
    startNs: endNs - ctx.intervals.aggrUs * 1000,
    endNs,
    starts: Float64Array.from(rs, (r) => r.start),
    ends: Float64Array.from(rs, (r) => r.end),
    nrAccesses: Float64Array.from(rs, (r) => r.nrAccesses),
    ages: Float64Array.from(rs, (r) => r.age),
    totalBytes: s.triedTotalBytes ?? rs.reduce((a, r) => a + (r.end - r.start), 0),
  };
  if (rs.some((r) => r.szFilterPassed !== null)) snap.szFilterPassed = Float64Array.from(rs, (r) => r.szFilterPassed ?? 0);
  return snap;
}

function filterInfo(s: DamonStatusScheme): DamosFilterInfo[] {
  return s.filters.map((f) => ({
    filterType: f.type,
    matching: f.matching,
    allow: f.allow,
    memcgPath: f.memcgPath,
    addressRange: f.addressRange === null ? null : [f.addressRange.start, f.addressRange.end],
    damonTargetIdx: f.damonTargetIdx,
    hugepageSize: f.hugepageSize,
  }));
}

/** Takes the snapshot; returns it as a trace source with one record per kdamond context. */
export function takeLiveSnapshot(kfs: KernelFs, req: LiveSnapshotRequest): MemoryTraceSource {
  const root = req.sysfsRoot;
  const status = readDamonStatus(kfs, root);
  const installs: SchemeInstall[] = [];
  const picks: Array<{ k: number; c: number; s: number }> = [];
  try {
    for (const k of req.kdamonds) {
      const kd = status[k];
      if (kd === undefined) throw new DamoError('E_TARGET', `kdamond ${k} does not exist under ${root}`);
      kd.contexts.forEach((ctx, c) => {
        const found = ctx.schemes.findIndex((s) => matchesEverything(s, ctx));
        if (found >= 0) {
          picks.push({ k, c, s: found });
          return;
        }
        const inst = new SchemeInstall(kfs, `${root}/kdamonds/${k}`, `${root}/kdamonds/${k}/contexts/${c}/schemes`, ctx.schemes);
        inst.install(statScheme(ctx));
        installs.push(inst);
        picks.push({ k, c, s: ctx.schemes.length });
      });
    }
    for (const k of req.kdamonds) {
      const state = `${root}/kdamonds/${k}/state`;
      for (const [cmd, optional] of [
        ['update_schemes_stats', false],
        ['update_tuned_intervals', true],
        ['update_schemes_tried_regions', false],
      ] as const) {
        try {
          writeRetryBusy(kfs, state, cmd);
        } catch (err) {
          if (optional && errnoCode(err) === 'EINVAL') continue;
          throw new DamoError('E_IO', `asking kdamond ${k} to '${cmd}' failed (writing ${state}: ${errorMessage(err)})`, cmd === 'update_schemes_tried_regions' && errnoCode(err) === 'EINVAL' ? { cause: err, hint: 'live snapshots need DAMOS tried regions (Linux 6.2+)' } : { cause: err });
        }
      }
    }
    const after = readDamonStatus(kfs, root);
    const endNs = req.nowNs();
    const targets: TraceTarget[] = [];
    const perTarget: Snapshot[][] = [];
    let first: DamonStatusContext | undefined;
    for (const p of picks) {
      const ctx = after[p.k]?.contexts[p.c];
      const scheme = ctx?.schemes[p.s];
      if (ctx === undefined || scheme === undefined) continue;
      first ??= ctx;
      const filters = filterInfo(scheme);
      targets.push({ id: null, kdamondIdx: p.k, contextIdx: p.c, schemeIdx: p.s, ...(filters.length > 0 ? { schemeFilters: filters } : {}) });
      perTarget.push([toSnapshot(scheme, ctx, targets.length - 1, endNs, req.mergeRegions)]);
    }
    const header: TraceHeader = {
      formatVersion: 0,
      toolVersion: '',
      source: 'kernel-sysfs',
      ops: (first?.ops ?? 'paddr') as TraceHeader['ops'],
      intervals: first === undefined ? null : { sampleUs: first.intervals.sampleUs, aggrUs: first.intervals.aggrUs, opsUpdateUs: first.intervals.opsUpdateUs },
      nrRegions: first === undefined ? null : { min: first.nrRegions.min, max: first.nrRegions.max },
      targets,
      baseTimeNs: 0n,
      clock: 'realtime',
      host: null,
    };
    return new MemoryTraceSource(`kdamond ${req.kdamonds.join(',')} (live)`, header, perTarget);
  } finally {
    const errors: string[] = [];
    for (const inst of installs.reverse()) {
      try {
        inst.uninstall();
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    if (errors.length > 0) {
      // eslint-disable-next-line no-unsafe-finally
      throw new DamoError('E_IO', `removing the snapshot scheme again failed: ${errors.join('; ')}`, { hint: "check 'damo report damon'; the extra stat scheme is the last one" });
    }
  }
}
