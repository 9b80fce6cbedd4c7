// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kdamonds as DAMON sysfs shows them: every kdamond, context, target, region and scheme
 * with its quotas, goals, watermarks, filters, statistics and tried regions, read file by
 * file (docs/kernel.md §1). Values stay in the kernel's units (nr_accesses in samples, ages
 * in aggregation intervals, quotas in ms and bytes), which is what `damo report damon`
 * prints for a live kdamond. Files a kernel release lacks are left at the values damo 3.3.0
 * assumes for them (e.g. no `refresh_ms` is 0, no `effective_bytes` is 0).
 */
import { NO_INTERVALS_GOAL } from '../../core/damon_constants.js';
import { DamoError } from '../../core/errors.js';
import { readTrim, type KernelFs } from '../kfs.js';

export interface DamonRegionRange {
  start: number;
  end: number;
}

export interface TriedRegion extends DamonRegionRange {
  nrAccesses: number;
  age: number;
  /** tried_regions/N/sz_filter_passed (6.14+); null when the kernel lacks it. */
  szFilterPassed: number | null;
}

export interface DamonStatusTarget {
  /** pid_target as a number; 0 for paddr (the file reads 0), null when unreadable. */
  pid: number | null;
  obsolete: boolean;
  regions: DamonRegionRange[];
}

export interface DamonStatusGoal {
  metric: string;
  targetValue: number;
  currentValue: number;
  nid: number | null;
  memcgPath: string | null;
}

export interface DamonStatusFilter {
  type: string;
  matching: boolean;
  allow: boolean;
  memcgPath: string;
  addressRange: DamonRegionRange | null;
  damonTargetIdx: number | null;
  hugepageSize: [number, number] | null;
}

export interface DamonStatusStats {
  nrTried: number;
  szTried: number;
  nrApplied: number;
  szApplied: number;
  szOpsFilterPassed: number;
  qtExceeds: number;
  nrSnapshots: number;
  maxNrSnapshots: number;
}

export interface DamonStatusScheme {
  action: string;
  /** target_nid as read (migrate actions); null without the file. */
  targetNid: string | null;
  applyIntervalUs: number;
  /**
   * [min, max] of sz (bytes), nr_accesses and age: in samples and aggregation intervals as
   * sysfs holds them, or in the units a scheme was given in (`args damon` prints what the
   * flags say, as damo does: percent and microseconds, ULONG_MAX_F for 'max').
   */
  sz: [number, number];
  nrAccesses: [number, number];
  age: [number, number];
  nrAccessesUnit?: 'samples' | 'percent';
  ageUnit?: 'aggr_intervals' | 'us';
  dests: Array<{ id: number; weight: number }>;
  quotas: {
    ms: number;
    bytes: number;
    resetIntervalMs: number;
    weights: { sz: number; nrAccesses: number; age: number };
    goals: DamonStatusGoal[];
    goalTuner: string;
    effectiveBytes: number;
    failChargeNum: number;
    failChargeDenom: number;
  };
  watermarks: { metric: string; intervalUs: number; high: number; mid: number; low: number };
  filters: DamonStatusFilter[];
  stats: DamonStatusStats;
  triedRegions: TriedRegion[];
  /** tried_regions/total_bytes when the kernel has it, else null (the regions' sum is used). */
  triedTotalBytes: number | null;
  /**
   * Read back from a kdamonds document (`args damon --add/--remove/--replace`). damo 3.3.0
   * then prints a memcg path of '' for filters of other types, and its text shows the (zero)
   * statistics and an empty tried-regions list, as for a live scheme.
   */
  fromDoc?: boolean;
  /**
   * Percent bounds damo read back from a document's access pattern: it holds them as floats,
   * so a 'max' (2^64-1) prints as 2^64 and never equals the default pattern's.
   */
  floatPercents?: boolean;
}

/** The kernel's quota goal tuner when none is chosen (and damo's). */
export const DEFAULT_GOAL_TUNER = 'consist';

export interface DamonStatusContext {
  ops: string;
  addrUnit: number;
  opsAttrs: { useReports: boolean; writeOnly: boolean; cpus: string; tids: string };
  pause: boolean;
  targets: DamonStatusTarget[];
  intervals: { sampleUs: number; aggrUs: number; opsUpdateUs: number };
  intervalsGoal: { accessBp: number; aggrs: number; minSampleUs: number; maxSampleUs: number };
  nrRegions: { min: number; max: number };
  sampleControl: { pageTable: boolean; pageFault: boolean; filters: Array<{ type: string; matching: boolean; allow: boolean; cpumask: string; tidArr: string }> };
  schemes: DamonStatusScheme[];
}

export interface DamonStatusKdamond {
  state: string;
  /** The pid file as read ('-1' when off). */
  pid: string;
  refreshMs: number;
  contexts: DamonStatusContext[];
  /**
   * A kdamond read from a kdamonds document (`args damon --add/--replace`): the state
   * (default 'off') and pid the document gives, which damo's text shows even for parameters.
   */
  shownState?: { state: string; pid: string | null };
}

/** A sysfs file that should hold a number but does not (a kernel bug or a damaged fake). */
function badValue(path: string, text: string): DamoError {
  return new DamoError('E_IO', `${path} reads '${text}', not a number`);
}

class TreeReader {
  constructor(private readonly kfs: KernelFs) {}

  text(path: string): string | undefined {
    return readTrim(this.kfs, path);
  }

  str(path: string, fallback: string): string {
    return this.text(path) ?? fallback;
  }

  /** A number file; `fallback` when missing (undefined fallback: the file is required). */
  num(path: string, fallback?: number): number {
    const t = this.text(path);
    if (t === undefined) {
      if (fallback !== undefined) return fallback;
      throw new DamoError('E_IO', `${path} is missing; this is not a DAMON sysfs tree damo-ts knows`);
    }
    const n = Number(t);
    if (t === '' || !Number.isFinite(n)) throw badValue(path, t);
    return n;
  }

  bool(path: string, fallback: boolean): boolean {
    const t = this.text(path);
    if (t === undefined) return fallback;
    return /^[Yy1]/.test(t);
  }

  /** Children 0..nr-1 as the nr file says. */
  counted(dir: string, nrFile: string): string[] {
    const nr = this.num(`${dir}/${nrFile}`, 0);
    return Array.from({ length: nr }, (_, i) => `${dir}/${i}`);
  }

  /** Numbered children present in the directory, in numeric order (tried regions, goals). */
  numbered(dir: string): string[] {
    return this.kfs
      .list(dir)
      .filter((n) => /^\d+$/.test(n) && this.kfs.isDir(`${dir}/${n}`))
      .map(Number)
      .sort((a, b) => a - b)
      .map((n) => `${dir}/${n}`);
  }
}

function readGoal(r: TreeReader, d: string): DamonStatusGoal {
  return {
    metric: r.str(`${d}/target_metric`, 'user_input'),
    targetValue: r.num(`${d}/target_value`),
    currentValue: r.num(`${d}/current_value`),
    nid: r.text(`${d}/nid`) === undefined ? null : r.num(`${d}/nid`),
    memcgPath: r.text(`${d}/path`) ?? null,
  };
}

function readFilter(r: TreeReader, d: string): DamonStatusFilter {
  const hasAddr = r.text(`${d}/addr_start`) !== undefined && r.text(`${d}/addr_end`) !== undefined;
  const hasHp = r.text(`${d}/min`) !== undefined && r.text(`${d}/max`) !== undefined;
  return {
    type: r.str(`${d}/type`, ''),
    matching: r.bool(`${d}/matching`, false),
    // The file was named `pass` in the first version of allow filters.
    allow: r.text(`${d}/allow`) !== undefined ? r.bool(`${d}/allow`, false) : r.bool(`${d}/pass`, false),
    memcgPath: r.str(`${d}/memcg_path`, ''),
    addressRange: hasAddr ? { start: r.num(`${d}/addr_start`), end: r.num(`${d}/addr_end`) } : null,
    damonTargetIdx: r.text(`${d}/damon_target_idx`) === undefined ? null : r.num(`${d}/damon_target_idx`),
    hugepageSize: hasHp ? [r.num(`${d}/min`), r.num(`${d}/max`)] : null,
  };
}

function readScheme(r: TreeReader, d: string): DamonStatusScheme {
  const ap = `${d}/access_pattern`;
  const q = `${d}/quotas`;
  const w = `${d}/watermarks`;
  const st = `${d}/stats`;
  const filters: DamonStatusFilter[] = [];
  // 6.18+ splits filters into core_filters and ops_filters ahead of the old filters dir.
  if (r.text(`${d}/core_filters/nr_filters`) !== undefined) {
    for (const f of r.counted(`${d}/core_filters`, 'nr_filters')) filters.push(readFilter(r, f));
    for (const f of r.counted(`${d}/ops_filters`, 'nr_filters')) filters.push(readFilter(r, f));
  }
  for (const f of r.counted(`${d}/filters`, 'nr_filters')) filters.push(readFilter(r, f));
  const tried = r.numbered(`${d}/tried_regions`).map((t) => ({
    start: r.num(`${t}/start`),
    end: r.num(`${t}/end`),
    nrAccesses: r.num(`${t}/nr_accesses`),
    age: r.num(`${t}/age`),
    szFilterPassed: r.text(`${t}/sz_filter_passed`) === undefined ? null : r.num(`${t}/sz_filter_passed`),
  }));
  return {
    action: r.str(`${d}/action`, ''),
    targetNid: r.text(`${d}/target_nid`) ?? null,
    applyIntervalUs: r.num(`${d}/apply_interval_us`, 0),
    sz: [r.num(`${ap}/sz/min`), r.num(`${ap}/sz/max`)],
    nrAccesses: [r.num(`${ap}/nr_accesses/min`), r.num(`${ap}/nr_accesses/max`)],
    age: [r.num(`${ap}/age/min`), r.num(`${ap}/age/max`)],
    dests: r.counted(`${d}/dests`, 'nr_dests').map((x) => ({ id: r.num(`${x}/id`), weight: r.num(`${x}/weight`) })),
    quotas: {
      ms: r.num(`${q}/ms`),
      bytes: r.num(`${q}/bytes`),
      resetIntervalMs: r.num(`${q}/reset_interval_ms`),
      weights: { sz: r.num(`${q}/weights/sz_permil`), nrAccesses: r.num(`${q}/weights/nr_accesses_permil`), age: r.num(`${q}/weights/age_permil`) },
      goals: r.numbered(`${q}/goals`).map((g) => readGoal(r, g)),
      goalTuner: r.str(`${q}/goal_tuner`, DEFAULT_GOAL_TUNER),
      effectiveBytes: r.num(`${q}/effective_bytes`, 0),
      failChargeNum: r.num(`${q}/fail_charge_num`, 0),
      failChargeDenom: r.num(`${q}/fail_charge_denom`, 0),
    },
    watermarks: { metric: r.str(`${w}/metric`, 'none'), intervalUs: r.num(`${w}/interval_us`), high: r.num(`${w}/high`), mid: r.num(`${w}/mid`), low: r.num(`${w}/low`) },
    filters,
    stats: {
      nrTried: r.num(`${st}/nr_tried`),
      szTried: r.num(`${st}/sz_tried`),
      nrApplied: r.num(`${st}/nr_applied`),
      szApplied: r.num(`${st}/sz_applied`),
      szOpsFilterPassed: r.num(`${st}/sz_ops_filter_passed`, 0),
      qtExceeds: r.num(`${st}/qt_exceeds`),
      nrSnapshots: r.num(`${st}/nr_snapshots`, 0),
      maxNrSnapshots: r.num(`${st}/max_nr_snapshots`, 0),
    },
    triedRegions: tried,
    triedTotalBytes: r.text(`${d}/tried_regions/total_bytes`) === undefined ? null : r.num(`${d}/tried_regions/total_bytes`),
  };
}

function readContext(r: TreeReader, d: string): DamonStatusContext {
  const attrs = `${d}/monitoring_attrs`;
  const iv = `${attrs}/intervals`;
  const goal = `${iv}/intervals_goal`;
  const hasGoal = r.text(`${goal}/aggrs`) !== undefined;
  const sample = `${attrs}/sample`;
  const oa = `${d}/operations_attrs`;
  return {
    ops: r.str(`${d}/operations`, ''),
    addrUnit: r.num(`${d}/addr_unit`, 1),
    opsAttrs: { useReports: r.bool(`${oa}/use_reports`, false), writeOnly: r.bool(`${oa}/write_only`, false), cpus: r.str(`${oa}/cpus`, 'all'), tids: r.str(`${oa}/tids`, '') },
    pause: r.bool(`${d}/pause`, false),
    targets: r.counted(`${d}/targets`, 'nr_targets').map((t) => {
      const pidText = r.text(`${t}/pid_target`);
      const pid = pidText === undefined || !/^-?\d+$/.test(pidText) ? null : Number(pidText);
      return { pid, obsolete: r.bool(`${t}/obsolete_target`, false), regions: r.counted(`${t}/regions`, 'nr_regions').map((x) => ({ start: r.num(`${x}/start`), end: r.num(`${x}/end`) })) };
    }),
    intervals: { sampleUs: r.num(`${iv}/sample_us`), aggrUs: r.num(`${iv}/aggr_us`), opsUpdateUs: r.num(`${iv}/update_us`) },
    intervalsGoal: hasGoal
      ? { accessBp: r.num(`${goal}/access_bp`), aggrs: r.num(`${goal}/aggrs`), minSampleUs: r.num(`${goal}/min_sample_us`), maxSampleUs: r.num(`${goal}/max_sample_us`) }
      : { ...NO_INTERVALS_GOAL },
    nrRegions: { min: r.num(`${attrs}/nr_regions/min`), max: r.num(`${attrs}/nr_regions/max`) },
    sampleControl: {
      pageTable: r.bool(`${sample}/primitives/page_table`, true),
      pageFault: r.bool(`${sample}/primitives/page_fault`, false),
      filters: r.counted(`${sample}/filters`, 'nr_filters').map((f) => ({
        type: r.str(`${f}/type`, ''),
        matching: r.bool(`${f}/matching`, false),
        allow: r.bool(`${f}/allow`, false),
        cpumask: r.str(`${f}/cpumask`, ''),
        tidArr: r.str(`${f}/tid_arr`, ''),
      })),
    },
    schemes: r.counted(`${d}/schemes`, 'nr_schemes').map((s) => readScheme(r, s)),
  };
}

/** Every kdamond under `<sysfsRoot>/kdamonds`, as damo 3.3.0's `current_kdamonds()` sees them. */
export function readDamonStatus(kfs: KernelFs, sysfsRoot: string): DamonStatusKdamond[] {
  const r = new TreeReader(kfs);
  const kdamonds = `${sysfsRoot}/kdamonds`;
  if (r.text(`${kdamonds}/nr_kdamonds`) === undefined) {
    throw new DamoError('E_UNSUPPORTED', `DAMON sysfs is not there (${kdamonds}/nr_kdamonds is missing)`, { hint: 'it needs CONFIG_DAMON_SYSFS (Linux 5.18+); give --sysfs_root if it lives elsewhere' });
  }
  return r.counted(kdamonds, 'nr_kdamonds').map((k) => ({
    state: r.str(`${k}/state`, ''),
    pid: r.str(`${k}/pid`, ''),
    refreshMs: r.num(`${k}/refresh_ms`, 0),
    contexts: r.counted(`${k}/contexts`, 'nr_contexts').map((c) => readContext(r, c)),
  }));
}
