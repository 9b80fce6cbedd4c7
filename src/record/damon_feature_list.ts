// SPDX-License-Identifier: GPL-2.0-only
/**
 * The DAMON features damo 3.3.0 knows by name (`damo features`, `damo report sysinfo`), in
 * the order they reached the kernel, with where each stands upstream. The names, statuses
 * and versions are damo 3.3.0's (`_damon_features.py`), so that scripts grepping `damo
 * features supported` for, e.g., `schemes_tried_regions` or `fvaddr` work unchanged.
 */

export interface DamonFeature {
  /** `<interface>/<feature>` or `interface/<interface>`. */
  name: string;
  /** damo's upstream status text, e.g. "merged in v6.2-rc1". */
  upstreamStatus: string;
  /** First release with it ("6.2"); "none" when not in a release yet. */
  upstreamedVersion: string;
  comments: string;
}

type Row = [name: string, status: string, version: string, comments?: string];

const ROWS: Row[] = [
  ['debugfs/record', 'withdrawn', 'none', 'was in DAMON patchset, but not merged in mainline'],
  ['debugfs/vaddr', 'merged in v5.15', '5.15'],
  ['trace/damon_aggregated', 'merged in v5.15 (2fcb93629ad8)', '5.15'],
  ['interface/damon_debugfs', 'merged in v5.15-rc1 (4bc05954d007)', '5.15'],
  ['debugfs/schemes', 'merged in v5.16', '5.16'],
  ['debugfs/init_regions', 'merged in v5.16 (90bebce9fcd6)', '5.16'],
  ['debugfs/paddr', 'merged in v5.16 (a28397beb55b)', '5.16'],
  ['debugfs/schemes_size_quota', 'merged in v5.16 (2b8a248d5873)', '5.16'],
  ['debugfs/schemes_time_quota', 'merged in v5.16 (1cd243030059)', '5.16'],
  ['debugfs/schemes_prioritization', 'merged in v5.16 (38683e003153)', '5.16'],
  ['debugfs/schemes_wmarks', 'merged in v5.16 (ee801b7dd782)', '5.16'],
  ['interface/damon_reclaim', 'merged in v5.16-rc1 (43b0536cb471)', '5.16'],
  ['debugfs/schemes_stat_succ', 'merged in v5.17 (0e92c2ee9f45)', '5.17'],
  ['debugfs/schemes_stat_qt_exceed', 'merged in v5.17 (0e92c2ee9f45)', '5.17'],
  ['reclaim/stats', 'merged in v5.17-rc1 (0e92c2ee9f45)', '5.17'],
  ['debugfs/init_regions_target_idx', 'merged in v5.18 (144760f8e0c3)', '5.18'],
  ['interface/damon_sysfs', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/vaddr', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_time_quota', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/paddr', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/init_regions', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_stat_succ', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_size_quota', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_stat_qt_exceed', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_wmarks', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/schemes_prioritization', 'merged in v5.18-rc1 (c951cd3b8901)', '5.18'],
  ['sysfs/avail_ops', 'merged in v5.19 (0f2cb5885771b)', '5.19'],
  ['sysfs/fvaddr', 'merged in v5.19 (b82434471cd2)', '5.19'],
  ['sysfs/online_params_commit', 'merged in v5.19 (adc286e6bdd3)', '5.19'],
  ['reclaim/commit_inputs', 'merged in v5.19 (81a84182c3430)', '5.19'],
  ['interface/damon_lru_sort', 'merged in v6.0-rc1 (40e983cca927)', '6.0'],
  ['sysfs/schemes_tried_regions', 'merged in v6.2-rc1', '6.2'],
  ['sysfs/schemes_filters', 'merged in v6.3-rc1', '6.3'],
  ['sysfs/schemes_filters_anon', 'merged in v6.3-rc1', '6.3'],
  ['sysfs/schemes_filters_memcg', 'merged in v6.3-rc1', '6.3'],
  ['reclaim/skip_anon', 'merged in v6.3-rc1 (d56fe24237c3d)', '6.3'],
  ['sysfs/schemes_tried_regions_sz', 'merged in v6.6-rc1', '6.6'],
  ['sysfs/schemes_filters_addr', 'merged in v6.6-rc1', '6.6'],
  ['sysfs/schemes_filters_target', 'merged in v6.6-rc1', '6.6'],
  ['sysfs/schemes_apply_interval', 'merged in v6.7-rc1', '6.7'],
  ['trace/damos_before_apply', 'merged in v6.7-rc1 (c603c630b509)', '6.7'],
  ['sysfs/schemes_quota_goals', 'merged in v6.8-rc1', '6.8'],
  ['sysfs/schemes_quota_effective_bytes', 'merged in v6.9-rc1', '6.9'],
  ['sysfs/schemes_quota_goal_metric', 'merged in v6.9-rc1', '6.9'],
  ['sysfs/schemes_quota_goal_some_psi', 'merged in v6.9-rc1', '6.9'],
  ['reclaim/quota_mem_pressure_us', 'merged in v6.9-rc1 (75c40c2509e79)', '6.9'],
  ['reclaim/quota_user_feedback', 'merged in v6.9-rc1 (75c40c2509e79)', '6.9'],
  ['sysfs/schemes_filters_young', 'merged in v6.10-rc1', '6.10'],
  ['sysfs/schemes_migrate', 'merged in v6.11-rc1', '6.11'],
  ['sysfs/sz_ops_filter_passed', 'merged in v6.14-rc1 (626ffabe67c2)', '6.14'],
  ['sysfs/allow_filter', 'merged in v6.14-rc1', '6.14'],
  ['sysfs/schemes_filters_hugepage_size', 'merged in v6.15-rc1 (0431c4262261)', '6.15'],
  ['sysfs/schemes_filters_unmapped', 'merged in v6.15-rc1', '6.15'],
  ['sysfs/intervals_goal', 'merged in v6.15-rc1 (1eb3471bf574)', '6.15'],
  ['sysfs/schemes_filters_core_ops_dirs', 'merged in v6.15-rc1', '6.15'],
  ['sysfs/schemes_filters_active', 'merged in v6.15-rc1 (3b23a44f1f19)', '6.15'],
  ['sysfs/schemes_quota_goal_node_mem_used_free', 'merged in v6.16-rc1 (0e1c773b501f)', '6.16'],
  ['sysfs/schemes_dests', 'merged in v6.17-rc1 (a2c24eae5a15)', '6.17'],
  ['sysfs/refresh_ms', 'merged in v6.17-rc1', '6.17'],
  ['trace/damon_monitor_intervals_tune', 'merged in v6.17-rc1 (214db7028727)', '6.17'],
  ['trace/damos_esz', 'merged in v6.17-rc1 (a86d695193bf)', '6.17'],
  ['interface/damon_stat', 'merged in v6.17-rc1 (369c415e6073)', '6.17'],
  ['sysfs/addr_unit', 'merged in v6.18-rc1 (09a616cbb371)', '6.18'],
  ['reclaim/addr_unit', 'merged in v6.18-rc1 (7db551fcfb2a)', '6.18'],
  ['lru_sort/addr_unit', 'merged in v6.18-rc1 (2e0fe9245d6b)', '6.18'],
  ['stat/aggr_interval', 'merged in v6.18-rc1 (cc7ceb1d14b0)', '6.18'],
  ['stat/negative_idle_time', 'merged in v6.18-rc1 (a983a26d5298)', '6.18'],
  ['sysfs/schemes_quota_goal_node_memcg_used_free', 'merged in v6.19-rc1 (6a18bbe48361)', '6.19'],
  ['sysfs/obsolete_target', 'merged in v6.19-rc1', '6.19'],
  ['sysfs/damos_stat_nr_snapshots', 'merged in v7.0-rc1 (4a6ceb7c9744)', '7.0'],
  ['sysfs/damos_max_nr_snapshots', 'merged in v7.0-rc1 (4a6ceb7c9744)', '7.0'],
  ['trace/damos_stat_after_apply_interval', 'merged in v7.0-rc1 (4a6ceb7c9744)', '7.0'],
  ['sysfs/damos_quota_goal_in_active_mem_bp', 'merged in v7.0-rc1 (4a6ceb7c9744)', '7.0'],
  ['lru_sort/young_page_filter', 'merged in v7.0-rc1 (4835e2871321f)', '7.0'],
  ['lru_sort/active_mem_bp', 'merged in v7.0-rc1 (4835e2871321f)', '7.0'],
  ['lru_sort/autotune_monitoring_intervals', 'merged in v7.0-rc1 (4835e2871321f)', '7.0'],
  ['sysfs/damos_quota_goal_tuner', 'merged in v7.1-rc1 (8719c59c4b928)', '7.1'],
  ['sysfs/damos_action_collapse', 'merged in mm.git', 'none'],
  ['sysfs/damos_quota_goal_node_eligible_mem_bp', 'merged in mm.git', 'none'],
  ['sysfs/ctx_pause', 'merged in mm.git', 'none'],
  ['sysfs/damos_quota_fail_charge_ratio', 'merged in mm.git', 'none'],
  ['sysfs/attrs_monitoring', 'merged in mm.git', 'none'],
  ['trace/damon_region_aggregated', 'merged in mm.git', 'none'],
  ['sysfs/damon_sample_control', 'hacking on damon/next', 'none', 'a replacement of ops_attrs; will be replaced by attrs_monitoring'],
  ['sysfs/ops_attrs', 'hacking on damon/next', 'will be replaced by attrs_monitoring'],
];

export const DAMON_FEATURES: readonly DamonFeature[] = ROWS.map(([name, upstreamStatus, upstreamedVersion, comments]) => ({
  name,
  upstreamStatus,
  upstreamedVersion,
  comments: comments ?? '',
}));

export const DAMON_FEATURE_NAMES: ReadonlySet<string> = new Set(DAMON_FEATURES.map((f) => f.name));

/**
 * The DAMON version a set of available features implies, as damo infers it: the release of
 * the newest available feature that is in a release, with "+" when a feature newer than that
 * (not in any release yet) is available too. `<5.15` when nothing is available.
 */
export function inferDamonVersion(available: ReadonlySet<string>): { version: string | null; error?: string } {
  if (available.size === 0) return { version: '<5.15' };
  let plus = false;
  for (let i = DAMON_FEATURES.length - 1; i >= 0; i--) {
    const f = DAMON_FEATURES[i] as DamonFeature;
    if (!available.has(f.name)) continue;
    if (f.upstreamedVersion === 'none' || f.upstreamedVersion === 'unknown') {
      plus = true;
      continue;
    }
    return { version: plus ? `${f.upstreamedVersion}+` : f.upstreamedVersion };
  }
  return { version: null, error: 'only non-upstreamed features' };
}
