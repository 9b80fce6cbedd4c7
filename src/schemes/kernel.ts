// SPDX-License-Identifier: GPL-2.0-only
/**
 * Schemes in the kernel's own units and files: the legacy debugfs `schemes` lines and the
 * sysfs `schemes/<N>/...` value files (Documentation/admin-guide/mm/damon/usage.rst).
 * The online application will write exactly the `sysfsFiles()` listing.
 *
 * Unit conversion follows the 2020 kernel-tree `_convert_damos.py` bit for bit (and damo
 * 3.x's `add_unset_unit`, which uses the same formulas):
 *   samples         = int(percent * (aggr_us / sample_us) / 100)     (float division)
 *   aggr_intervals  = int(int(age_us) / aggr_us)
 * The kernel keeps nr_accesses and age bounds in `unsigned int` (struct
 * damos_access_pattern), sizes in `unsigned long`; 'max' becomes the unit's maximum.
 */
import { DEFAULT_INTERVALS, UINT_MAX, ULONG_MAX, ULONG_MAX_F } from '../core/damon_constants.js';
import { DamoError } from '../core/errors.js';
import { formatTimeNs } from '../core/fmt.js';
import type { TraceHeader } from '../core/model.js';
import {
  DEBUGFS_ACTION_NUMBER,
  describeScheme,
  isMigrateAction,
  quotasAreDefault,
  watermarksAreDefault,
  type AccessPattern,
  type Scheme,
} from './model.js';
import { ulongText } from './units.js';

export interface SchemeIntervals {
  sampleUs: number;
  aggrUs: number;
}

/**
 * The intervals to apply schemes to a recording at: the options', else the recording's,
 * else damo's defaults (with a note to print, for recordings that do not say).
 */
export function recordingSchemeIntervals(
  header: TraceHeader,
  input: string,
  sampleUs: number | undefined,
  aggrUs: number | undefined,
): { intervals: SchemeIntervals; source: 'option' | 'recording' | 'default'; note: string | null } {
  const rec = header.intervals;
  const intervals = {
    sampleUs: sampleUs ?? rec?.sampleUs ?? DEFAULT_INTERVALS.sampleUs,
    aggrUs: aggrUs ?? rec?.aggrUs ?? DEFAULT_INTERVALS.aggrUs,
  };
  const source = sampleUs !== undefined || aggrUs !== undefined ? 'option' : rec !== null ? 'recording' : 'default';
  const note =
    source === 'default'
      ? `${input} does not record its intervals; assuming sample ${formatTimeNs(intervals.sampleUs * 1000, false)}, ` +
        `aggregation ${formatTimeNs(intervals.aggrUs * 1000, false)} (set them with -s/-a)`
      : null;
  return { intervals, source, note };
}

/**
 * How to spell 'max' for the access frequency: the kernel-tree converter wrote aggr/sample
 * (the highest count possible at these intervals); for sysfs we write UINT_MAX, which means
 * "unbounded" whatever the intervals become (the kernel stores the bound in an unsigned int,
 * which is also what damo's ULONG_MAX turns into).
 */
export type MaxAccessesFlavor = 'aggr-ratio' | 'uint-max';

export interface KernelPattern {
  minSzBytes: bigint;
  maxSzBytes: bigint;
  /** Samples per aggregation interval, inclusive. */
  minNrAccesses: bigint;
  maxNrAccesses: bigint;
  /** Aggregation intervals, inclusive. */
  minAge: bigint;
  maxAge: bigint;
}

function clampUint(n: number): bigint {
  if (!(n < UINT_MAX)) return BigInt(UINT_MAX);
  return BigInt(Math.trunc(n));
}

function sizeBig(n: number | 'max'): bigint {
  if (n === 'max' || n >= ULONG_MAX_F) return ULONG_MAX;
  return BigInt(Math.trunc(n));
}

/** The largest nr_accesses possible at these intervals, as the converter computes it. */
export function maxNrAccessesOf(iv: SchemeIntervals): number {
  return iv.aggrUs / iv.sampleUs;
}

export function kernelPattern(p: AccessPattern, iv: SchemeIntervals, flavor: MaxAccessesFlavor): KernelPattern {
  const maxNr = maxNrAccessesOf(iv);
  const nr = (v: number | 'max'): bigint => {
    if (v === 'max') return flavor === 'aggr-ratio' ? clampUint(maxNr) : BigInt(UINT_MAX);
    // Left-to-right like Python's `float(x) * max_nr_accesses / 100`, then int().
    return p.nrAccesses.unit === 'percent' ? clampUint((v * maxNr) / 100) : clampUint(v);
  };
  const age = (v: number | 'max'): bigint => {
    if (v === 'max') return BigInt(UINT_MAX);
    return p.age.unit === 'us' ? clampUint(Math.trunc(v) / iv.aggrUs) : clampUint(v);
  };
  return {
    minSzBytes: sizeBig(p.sz.min),
    maxSzBytes: sizeBig(p.sz.max),
    minNrAccesses: nr(p.nrAccesses.min),
    maxNrAccesses: nr(p.nrAccesses.max),
    minAge: age(p.age.min),
    maxAge: age(p.age.max),
  };
}

export type DebugfsFormat = 'v0' | 'v4';

/** v0 (7 fields) unless some scheme has quotas or watermarks, which need v4 (18 fields). */
export function debugfsFormatFor(schemes: readonly Scheme[]): DebugfsFormat {
  return schemes.some((s) => !quotasAreDefault(s.quotas) || !watermarksAreDefault(s.watermarks)) ? 'v4' : 'v0';
}

function unsupported(s: Scheme, index: number, what: string, hint: string): DamoError {
  return new DamoError('E_UNSUPPORTED', `${describeScheme(s, index)}: ${what} cannot be written for debugfs`, { hint });
}

const SYSFS_HINT = 'use --to sysfs: the debugfs interface (removed in Linux 6.14) only knows the 5.15-era fields';

/**
 * One line of the debugfs `schemes` file. v0 is `min_sz max_sz min_nr max_nr min_age
 * max_age action`; v4 (Linux 5.16+) appends `quota_ms quota_sz reset_ms w_sz w_nr w_age
 * wmark_metric wmark_interval_us high mid low` (mm/damon/dbgfs.c str_to_schemes).
 */
export function debugfsLine(s: Scheme, index: number, iv: SchemeIntervals, format: DebugfsFormat): string {
  const action = DEBUGFS_ACTION_NUMBER[s.action];
  if (action === undefined) throw unsupported(s, index, `action '${s.action}'`, SYSFS_HINT);
  if (s.filters.length > 0) throw unsupported(s, index, 'filters', SYSFS_HINT);
  if (s.quotas.goals.length > 0) throw unsupported(s, index, 'quota goals', SYSFS_HINT);
  if (s.applyIntervalUs !== 0) throw unsupported(s, index, 'apply_interval', SYSFS_HINT);
  if (format === 'v0' && (!quotasAreDefault(s.quotas) || !watermarksAreDefault(s.watermarks))) {
    throw unsupported(s, index, 'quotas and watermarks in the 7-field format', 'use --debugfs_format v4');
  }
  const k = kernelPattern(s.pattern, iv, 'aggr-ratio');
  const fields: string[] = [
    k.minSzBytes.toString(),
    k.maxSzBytes.toString(),
    k.minNrAccesses.toString(),
    k.maxNrAccesses.toString(),
    k.minAge.toString(),
    k.maxAge.toString(),
    String(action),
  ];
  if (format === 'v4') {
    const q = s.quotas;
    const w = s.watermarks;
    fields.push(
      ulongText(q.timeMs),
      ulongText(q.szBytes),
      q.resetIntervalMs === 'max' ? ULONG_MAX.toString() : ulongText(q.resetIntervalMs),
      String(Math.trunc(q.weights.szPermil)),
      String(Math.trunc(q.weights.nrAccessesPermil)),
      String(Math.trunc(q.weights.agePermil)),
      w.metric === 'none' ? '0' : '1',
      ulongText(w.intervalUs),
      String(Math.trunc(w.highPermil)),
      String(Math.trunc(w.midPermil)),
      String(Math.trunc(w.lowPermil)),
    );
  }
  return fields.join('\t');
}

/** The debugfs `schemes` file content: one line per scheme, newline-terminated. */
export function debugfsText(schemes: readonly Scheme[], iv: SchemeIntervals, format: DebugfsFormat = debugfsFormatFor(schemes)): string {
  return schemes.map((s, i) => `${debugfsLine(s, i, iv, format)}\n`).join('');
}

export interface SysfsFile {
  /** Relative to a context directory, `.../kdamonds/<K>/contexts/<C>/`. */
  path: string;
  value: string;
}

function yn(b: boolean): string {
  return b ? 'Y' : 'N';
}

/**
 * The values to write under a DAMON sysfs context directory for these schemes, in a
 * writable order (counts before the directories they create).
 */
export function sysfsFiles(schemes: readonly Scheme[], iv: SchemeIntervals): SysfsFile[] {
  const out: SysfsFile[] = [{ path: 'schemes/nr_schemes', value: String(schemes.length) }];
  schemes.forEach((s, i) => {
    const d = `schemes/${i}`;
    const add = (path: string, value: string): void => {
      out.push({ path: `${d}/${path}`, value });
    };
    const k = kernelPattern(s.pattern, iv, 'uint-max');
    add('action', s.action);
    if (isMigrateAction(s.action) && s.targetNid !== undefined) add('target_nid', String(s.targetNid));
    // Optional files (apply_interval_us 6.7+, goals 6.8+, filters 6.3+) are listed only when
    // set, so that the listing also fits kernels that lack them.
    if (s.applyIntervalUs !== 0) add('apply_interval_us', ulongText(s.applyIntervalUs));
    add('access_pattern/sz/min', k.minSzBytes.toString());
    add('access_pattern/sz/max', k.maxSzBytes.toString());
    add('access_pattern/nr_accesses/min', k.minNrAccesses.toString());
    add('access_pattern/nr_accesses/max', k.maxNrAccesses.toString());
    add('access_pattern/age/min', k.minAge.toString());
    add('access_pattern/age/max', k.maxAge.toString());
    const q = s.quotas;
    add('quotas/ms', ulongText(q.timeMs));
    add('quotas/bytes', ulongText(q.szBytes));
    add('quotas/reset_interval_ms', q.resetIntervalMs === 'max' ? ULONG_MAX.toString() : ulongText(q.resetIntervalMs));
    add('quotas/weights/sz_permil', String(Math.trunc(q.weights.szPermil)));
    add('quotas/weights/nr_accesses_permil', String(Math.trunc(q.weights.nrAccessesPermil)));
    add('quotas/weights/age_permil', String(Math.trunc(q.weights.agePermil)));
    if (q.goals.length > 0) {
      add('quotas/goals/nr_goals', String(q.goals.length));
      q.goals.forEach((g, j) => {
        add(`quotas/goals/${j}/target_metric`, g.metric);
        add(`quotas/goals/${j}/target_value`, ulongText(g.targetValue));
        add(`quotas/goals/${j}/current_value`, ulongText(g.currentValue));
        if (g.nid !== undefined) add(`quotas/goals/${j}/nid`, String(g.nid));
        if (g.memcgPath !== undefined) add(`quotas/goals/${j}/path`, g.memcgPath);
      });
    }
    if (q.goalTuner !== undefined && q.goalTuner !== 'consist') add('quotas/goal_tuner', q.goalTuner);
    if (q.failChargeDenom !== undefined && q.failChargeDenom !== 0) {
      add('quotas/fail_charge_num', ulongText(q.failChargeNum ?? 0));
      add('quotas/fail_charge_denom', ulongText(q.failChargeDenom));
    }
    const w = s.watermarks;
    add('watermarks/metric', w.metric);
    add('watermarks/interval_us', ulongText(w.intervalUs));
    add('watermarks/high', String(Math.trunc(w.highPermil)));
    add('watermarks/mid', String(Math.trunc(w.midPermil)));
    add('watermarks/low', String(Math.trunc(w.lowPermil)));
    if (s.filters.length > 0) add('filters/nr_filters', String(s.filters.length));
    s.filters.forEach((f, j) => {
      const fd = `filters/${j}`;
      add(`${fd}/type`, f.type);
      add(`${fd}/matching`, yn(f.matching));
      add(`${fd}/allow`, yn(f.allow));
      if (f.type === 'memcg') add(`${fd}/memcg_path`, f.memcgPath ?? '');
      if (f.type === 'addr') {
        add(`${fd}/addr_start`, ulongText(f.addrStart ?? 0));
        add(`${fd}/addr_end`, ulongText(f.addrEnd ?? 0));
      }
      if (f.type === 'target') add(`${fd}/damon_target_idx`, String(f.targetIdx ?? 0));
      if (f.type === 'hugepage_size') {
        add(`${fd}/min`, ulongText(f.hugepageMin ?? 0));
        add(`${fd}/max`, f.hugepageMax === undefined || f.hugepageMax === 'max' ? ULONG_MAX.toString() : ulongText(f.hugepageMax));
      }
    });
    if (s.maxNrSnapshots !== undefined && s.maxNrSnapshots !== 0) add('stats/max_nr_snapshots', ulongText(s.maxNrSnapshots));
    if (s.dests.length > 0) {
      add('dests/nr_dests', String(s.dests.length));
      s.dests.forEach((dst, j) => {
        add(`dests/${j}/id`, String(dst.id));
        add(`dests/${j}/weight`, String(dst.weight));
      });
    }
  });
  return out;
}

/** `path value` lines, one file per line. */
export function sysfsText(schemes: readonly Scheme[], iv: SchemeIntervals): string {
  return sysfsFiles(schemes, iv).map((f) => `${f.path} ${f.value}\n`).join('');
}
