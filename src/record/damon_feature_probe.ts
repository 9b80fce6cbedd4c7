// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which of damo's named DAMON features (damon_feature_list.ts) this kernel has.
 *
 * Most features show only as files inside a kdamond's context, target, scheme, filter or
 * quota goal directory, which exist only while such a kdamond is staged. Like damo, the
 * probe stages one (1 kdamond, 1 context, 1 target, 1 scheme with 1 filter and 1 quota
 * goal), looks, and removes it, but only when DAMON's sysfs holds no kdamond at all
 * (nr_kdamonds 0): writing nr_kdamonds recreates every kdamond directory, so probing over
 * someone's staged kdamonds would destroy them, and DAMON refuses changes while one runs.
 * Otherwise the probe reads what the existing kdamond 0 shows and reports the result as
 * partial. A full result is cached per boot (features_cache.ts) so that later calls, e.g.
 * while `damo start`'s kdamond runs, answer without writing anything.
 *
 * debugfs: the deprecated interface is read, never probed by writes. Its feature files are
 * all present on any kernel that also has DAMON sysfs (v5.18+, after debugfs's last
 * feature, v5.18's init_regions target index) or whose monitor file is named
 * monitor_on_DEPRECATED (renamed in the 6.9 cycle), so there they follow from the files that
 * exist, also when DAMON sysfs is hidden or not built; on debugfs-only kernels (5.15-5.17)
 * the schemes file's field count tells the v5.16 and v5.17 formats apart when it holds a
 * scheme.
 */
import { join } from 'node:path';

import type { KernelFs } from './kfs.js';
import { readTrim } from './kfs.js';
import type { KernelRoots } from './roots.js';

export interface FeatureProbe {
  available: Set<string>;
  /** Why some features could not be looked at (empty when the probe saw everything). */
  partial: string[];
}

/** damon:* tracepoints and the feature each one is. */
const TRACEPOINT_FEATURES: ReadonlyArray<[string, string]> = [
  ['damon:damon_aggregated', 'trace/damon_aggregated'],
  ['damon:damos_before_apply', 'trace/damos_before_apply'],
  ['damon:damon_monitor_intervals_tune', 'trace/damon_monitor_intervals_tune'],
  ['damon:damos_esz', 'trace/damos_esz'],
  ['damon:damos_stat_after_apply_interval', 'trace/damos_stat_after_apply_interval'],
  ['damon:damon_region_aggregated', 'trace/damon_region_aggregated'],
];

/** Present in DAMON sysfs since it was merged (v5.18). */
const SYSFS_FROM_THE_START = [
  'sysfs/schemes',
  'sysfs/init_regions',
  'sysfs/vaddr',
  'sysfs/paddr',
  'sysfs/schemes_size_quota',
  'sysfs/schemes_time_quota',
  'sysfs/schemes_prioritization',
  'sysfs/schemes_wmarks',
  'sysfs/schemes_stat_succ',
  'sysfs/schemes_stat_qt_exceed',
];

/** A file or directory under a staged kdamond and the features its presence shows. */
type Marker = [where: 'kdamond' | 'ctx' | 'target' | 'scheme' | 'filter' | 'goal', rel: string, features: string[]];

const SYSFS_MARKERS: Marker[] = [
  ['scheme', 'tried_regions', ['sysfs/schemes_tried_regions']],
  // address and target filters came with tried_regions/total_bytes (v6.6)
  ['scheme', 'tried_regions/total_bytes', ['sysfs/schemes_tried_regions_sz', 'sysfs/schemes_filters_addr', 'sysfs/schemes_filters_target']],
  // anon and memcg filters came with the filters directory (v6.3)
  ['scheme', 'filters', ['sysfs/schemes_filters', 'sysfs/schemes_filters_anon', 'sysfs/schemes_filters_memcg']],
  ['scheme', 'apply_interval_us', ['sysfs/schemes_apply_interval']],
  ['scheme', 'quotas/goals', ['sysfs/schemes_quota_goals']],
  // goal metrics (some_psi among them) came with effective_bytes (v6.9)
  ['scheme', 'quotas/effective_bytes', ['sysfs/schemes_quota_effective_bytes', 'sysfs/schemes_quota_goal_metric', 'sysfs/schemes_quota_goal_some_psi']],
  ['scheme', 'target_nid', ['sysfs/schemes_migrate']],
  ['scheme', 'stats/sz_ops_filter_passed', ['sysfs/sz_ops_filter_passed']],
  ['filter', 'allow', ['sysfs/allow_filter']],
  ['filter', 'min', ['sysfs/schemes_filters_hugepage_size']],
  ['ctx', 'monitoring_attrs/intervals/intervals_goal', ['sysfs/intervals_goal']],
  // unmapped and active filters came with core_filters/ops_filters (v6.15)
  ['scheme', 'core_filters', ['sysfs/schemes_filters_core_ops_dirs', 'sysfs/schemes_filters_unmapped', 'sysfs/schemes_filters_active']],
  ['goal', 'nid', ['sysfs/schemes_quota_goal_node_mem_used_free']],
  ['goal', 'path', ['sysfs/schemes_quota_goal_node_memcg_used_free']],
  ['scheme', 'dests', ['sysfs/schemes_dests']],
  ['kdamond', 'refresh_ms', ['sysfs/refresh_ms']],
  ['ctx', 'addr_unit', ['sysfs/addr_unit']],
  ['target', 'obsolete_target', ['sysfs/obsolete_target']],
  ['scheme', 'stats/nr_snapshots', ['sysfs/damos_stat_nr_snapshots']],
  ['scheme', 'stats/max_nr_snapshots', ['sysfs/damos_max_nr_snapshots', 'sysfs/damos_quota_goal_in_active_mem_bp']],
  ['ctx', 'monitoring_attrs/sample', ['sysfs/damon_sample_control']],
  ['scheme', 'quotas/goal_tuner', ['sysfs/damos_quota_goal_tuner']],
  ['ctx', 'pause', ['sysfs/ctx_pause']],
  ['scheme', 'quotas/fail_charge_denom', ['sysfs/damos_quota_fail_charge_ratio', 'sysfs/damos_action_collapse', 'sysfs/damos_quota_goal_node_eligible_mem_bp']],
  ['ctx', 'monitoring_attrs/probes', ['sysfs/attrs_monitoring']],
  ['ctx', 'operations_attrs', ['sysfs/ops_attrs']],
  // avail_operations and online commit both arrived in v5.19
  ['ctx', 'avail_operations', ['sysfs/avail_ops', 'sysfs/online_params_commit']],
];

/** Module parameter files (under /sys/module) and the features they show. */
const MODULE_MARKERS: ReadonlyArray<[string, string[]]> = [
  ['damon_stat/parameters/aggr_interval_us', ['stat/aggr_interval', 'stat/negative_idle_time']],
  ['damon_lru_sort/parameters/addr_unit', ['lru_sort/addr_unit']],
  ['damon_lru_sort/parameters/autotune_monitoring_intervals', ['lru_sort/young_page_filter', 'lru_sort/active_mem_bp', 'lru_sort/autotune_monitoring_intervals']],
  ['damon_reclaim/parameters/nr_quota_exceeds', ['reclaim/stats']],
  ['damon_reclaim/parameters/commit_inputs', ['reclaim/commit_inputs']],
  ['damon_reclaim/parameters/skip_anon', ['reclaim/skip_anon']],
  ['damon_reclaim/parameters/quota_autotune_feedback', ['reclaim/quota_mem_pressure_us', 'reclaim/quota_user_feedback']],
  ['damon_reclaim/parameters/addr_unit', ['reclaim/addr_unit']],
  ['damon_reclaim', ['interface/damon_reclaim']],
  ['damon_lru_sort', ['interface/damon_lru_sort']],
  ['damon_stat', ['interface/damon_stat']],
];

function dirsOf(kd: string): Record<Marker[0], string> {
  const ctx = join(kd, 'contexts/0');
  const scheme = join(ctx, 'schemes/0');
  return {
    kdamond: kd,
    ctx,
    target: join(ctx, 'targets/0'),
    scheme,
    // v6.15+ keeps the ops-handled filters apart; before, every filter is under filters/
    filter: join(scheme, 'filters/0'),
    goal: join(scheme, 'quotas/goals/0'),
  };
}

function lookAtKdamond(kfs: KernelFs, kd: string, out: Set<string>): void {
  const d = dirsOf(kd);
  if (kfs.isDir(join(d.scheme, 'ops_filters/0'))) d.filter = join(d.scheme, 'ops_filters/0');
  for (const [where, rel, features] of SYSFS_MARKERS) {
    if (kfs.exists(join(d[where], rel))) for (const f of features) out.add(f);
  }
  const avail = readTrim(kfs, join(d.ctx, 'avail_operations'));
  if (avail !== undefined) {
    const ops = new Set(avail.split(/\s+/));
    for (const o of ['vaddr', 'paddr', 'fvaddr']) {
      if (ops.has(o)) out.add(`sysfs/${o}`);
      else out.delete(`sysfs/${o}`);
    }
  }
}

/** Stages the probe kdamond (nr_kdamonds was 0), looks, and sets nr_kdamonds back to 0. */
function probeWithStagedKdamond(kfs: KernelFs, admin: string, out: Set<string>): void {
  const kds = join(admin, 'kdamonds');
  const kd = join(kds, '0');
  try {
    kfs.write(join(kds, 'nr_kdamonds'), '1');
    kfs.write(join(kd, 'contexts/nr_contexts'), '1');
    kfs.write(join(kd, 'contexts/0/targets/nr_targets'), '1');
    kfs.write(join(kd, 'contexts/0/schemes/nr_schemes'), '1');
    const scheme = join(kd, 'contexts/0/schemes/0');
    // Each of these exists only on kernels with the feature: a missing file is an answer.
    const optional = [join(scheme, 'filters/nr_filters'), join(scheme, 'ops_filters/nr_filters'), join(scheme, 'quotas/goals/nr_goals')];
    for (const f of optional) if (kfs.exists(f)) kfs.write(f, '1');
    // sysfs/schemes_filters_young: the kernel accepts the "young" filter type (v6.10)
    const filterDir = kfs.isDir(join(scheme, 'ops_filters/0')) ? join(scheme, 'ops_filters/0') : join(scheme, 'filters/0');
    if (kfs.exists(join(filterDir, 'type'))) {
      try {
        kfs.write(join(filterDir, 'type'), 'young');
        out.add('sysfs/schemes_filters_young');
      } catch {
        // EINVAL: this kernel has no young filter
      }
    }
    lookAtKdamond(kfs, kd, out);
  } finally {
    kfs.write(join(kds, 'nr_kdamonds'), '0');
  }
}

function probeSysfs(kfs: KernelFs, admin: string, out: Set<string>, partial: string[]): void {
  const kds = join(admin, 'kdamonds');
  if (!kfs.exists(join(kds, 'nr_kdamonds'))) return;
  out.add('interface/damon_sysfs');
  for (const f of SYSFS_FROM_THE_START) out.add(f);
  const n = Number(readTrim(kfs, join(kds, 'nr_kdamonds')) ?? '0');
  if (n === 0) {
    probeWithStagedKdamond(kfs, admin, out);
    return;
  }
  lookAtKdamond(kfs, join(kds, '0'), out);
  partial.push(
    `DAMON sysfs holds ${n} kdamond(s), so no probe kdamond was staged (that would replace them): ` +
      'features were read from kdamond 0 as it is, and those its setup does not show are listed as unsupported',
  );
}

function probeDebugfs(kfs: KernelFs, dbgfs: string, sysfsToo: boolean, out: Set<string>, partial: string[]): void {
  if (!kfs.exists(join(dbgfs, 'monitor_on_DEPRECATED')) && !kfs.exists(join(dbgfs, 'monitor_on'))) return;
  out.add('interface/damon_debugfs');
  out.add('debugfs/vaddr');
  const schemesFile = join(dbgfs, 'schemes');
  const initRegions = kfs.exists(join(dbgfs, 'init_regions'));
  if (initRegions) out.add('debugfs/init_regions');
  if (!kfs.exists(schemesFile)) return;
  out.add('debugfs/schemes');
  const quotaEtc = ['debugfs/schemes_size_quota', 'debugfs/schemes_prioritization', 'debugfs/schemes_wmarks', 'debugfs/schemes_time_quota'];
  const stats = ['debugfs/schemes_stat_succ', 'debugfs/schemes_stat_qt_exceed'];
  if (sysfsToo || kfs.exists(join(dbgfs, 'monitor_on_DEPRECATED'))) {
    for (const f of [...quotaEtc, ...stats, 'debugfs/paddr']) out.add(f);
    if (initRegions) out.add('debugfs/init_regions_target_idx');
    return;
  }
  const firstScheme = (readTrim(kfs, schemesFile) ?? '').split('\n')[0] ?? '';
  const nrFields = firstScheme.trim() === '' ? 0 : firstScheme.trim().split(/\s+/).length;
  if (nrFields >= 20) for (const f of quotaEtc) out.add(f);
  if (nrFields >= 23) for (const f of stats) out.add(f);
  partial.push('DAMON debugfs without sysfs (Linux 5.15-5.17): paddr and the schemes formats are not probed by writes');
}

function probeTracefs(kfs: KernelFs, tracefs: string, out: Set<string>): void {
  const events = readTrim(kfs, join(tracefs, 'available_events'));
  if (events === undefined) return;
  const have = new Set(events.split('\n').map((l) => l.trim()));
  for (const [tp, f] of TRACEPOINT_FEATURES) if (have.has(tp)) out.add(f);
}

export function probeDamonFeatures(kfs: KernelFs, roots: KernelRoots, moduleRoot: string): FeatureProbe {
  const available = new Set<string>();
  const partial: string[] = [];
  probeSysfs(kfs, roots.sysfs, available, partial);
  probeDebugfs(kfs, roots.debugfs, available.has('interface/damon_sysfs'), available, partial);
  probeTracefs(kfs, roots.tracefs, available);
  for (const [rel, features] of MODULE_MARKERS) {
    if (kfs.exists(join(moduleRoot, rel))) for (const f of features) available.add(f);
  }
  return { available, partial };
}
