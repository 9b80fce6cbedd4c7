// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's `--damos_*` flags on `start`, `tune` and `args damon`: option parsing only;
 * src/schemes/damos_flags.ts makes them into schemes.
 */
import type { Command } from './commander.js';
import { exactGroupsOption, exactOption, groupsOption } from './damo_command.js';
import { DamoError } from '../core/errors.js';
import type { DamosFlags } from '../schemes/damos_flags.js';
import { QUOTA_GOAL_TUNERS, type Scheme } from '../schemes/model.js';
import { collectIntegers } from './values.js';

export interface DamosCliOptions {
  damos_action?: string[][];
  damos_sz_region?: string[];
  damos_access_rate?: string[];
  damos_age?: string[];
  damos_apply_interval?: string[];
  damos_quotas?: string[][];
  damos_quota_interval?: string[];
  damos_quota_time?: string[];
  damos_quota_space?: string[];
  damos_quota_weights?: string[];
  damos_quota_goal?: string[][];
  damos_nr_quota_goals?: number[];
  damos_filter?: string[][];
  damos_nr_filters?: number[];
  damos_wmarks?: string[];
  damos_quota_goal_tuner?: string[];
  damos_quota_fail_charge_ratio?: string[][];
  damos_max_nr_snapshots?: string[];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addDamosOptions(cmd: Command): Command {
  return cmd
    .addOption(groupsOption('--damos_action <action...>', 'a DAMOS action; each one starts a scheme (migrate_hot/migrate_cold take a node id, or <node> <weight> pairs)'))
    .addOption(exactOption('--damos_sz_region <min_max...>', 'min and max region size of the scheme (bytes, units allowed, min/max)', 2))
    .addOption(exactOption('--damos_access_rate <min_max...>', 'min and max access rate of the scheme (percent)', 2))
    .addOption(exactOption('--damos_age <min_max...>', 'min and max age of the scheme (microseconds, or with a unit)', 2))
    .option('--damos_apply_interval <us>', 'how often the scheme is applied (microseconds, or with a unit; 0: every aggregation)', collect)
    .addOption(groupsOption('--damos_quotas <quota...>', '<time (ms)> [<space (bytes)> [<reset interval (ms)> [<3 weights (permil)>]]] of the scheme'))
    .option('--damos_quota_interval <ms>', 'quota reset interval of the scheme (the long form of --damos_quotas)', collect)
    .option('--damos_quota_time <ms>', 'time quota of the scheme, with --damos_quota_interval', collect)
    .option('--damos_quota_space <bytes>', 'space quota of the scheme, with --damos_quota_interval', collect)
    .addOption(exactOption('--damos_quota_weights <permil...>', 'size, access rate and age weights of the scheme, with --damos_quota_interval (default 1 1 1)', 3))
    .addOption(groupsOption('--damos_quota_goal <metric_value...>', 'a quota goal: <metric> <target value> [node id [memcg path] | current value]'))
    .option('--damos_nr_quota_goals <nr...>', 'how many --damos_quota_goal belong to each scheme, in order', collectIntegers)
    .addOption(groupsOption('--damos_filter <filter...>', 'filters: <allow|reject> [none] <type> [arguments] (anon, active, young, unmapped, memcg PATH, addr START END, target IDX, hugepage_size MIN MAX)'))
    .option('--damos_nr_filters <nr...>', 'how many --damos_filter belong to each scheme, in order', collectIntegers)
    .addOption(exactOption('--damos_wmarks <wmark...>', '<metric (none|free_mem_rate)> <interval (us)> <high> <mid> <low (permil)> of the scheme', 5))
    .option('--damos_quota_goal_tuner <tuner>', `how the quota goals of the scheme tune its quota: ${QUOTA_GOAL_TUNERS.join(' or ')} (default consist; Linux 6.19+)`, collect)
    .addOption(exactGroupsOption('--damos_quota_fail_charge_ratio <num_denom...>', '<numerator> <denominator>: the share of a region the action failed on that is charged to the quota of the scheme (Linux 6.19+)', 2))
    .option('--damos_max_nr_snapshots <nr>', 'how many DAMOS snapshots the scheme takes before it deactivates itself (0: no limit)', collect);
}

/** The values of an option that takes exactly `n` each time, one group per occurrence. */
function groupsOf(flag: string, flat: string[] | undefined, n: number, what: string): string[][] {
  const values = flat ?? [];
  // An occurrence cut short by the next option would shift every later group.
  if (values.length % n !== 0) throw new DamoError('E_USAGE', `${flag} takes ${n} values each time, ${what} (got ${values.length} in all: ${values.join(' ')})`);
  const out: string[][] = [];
  for (let i = 0; i < values.length; i += n) out.push(values.slice(i, i + n));
  return out;
}

export function damosFlagsOf(o: DamosCliOptions): DamosFlags {
  return {
    action: o.damos_action ?? [],
    szRegion: groupsOf('--damos_sz_region', o.damos_sz_region, 2, '<min> <max>'),
    accessRate: groupsOf('--damos_access_rate', o.damos_access_rate, 2, '<min> <max>'),
    age: groupsOf('--damos_age', o.damos_age, 2, '<min> <max>'),
    applyInterval: o.damos_apply_interval ?? [],
    quotas: o.damos_quotas ?? [],
    quotaInterval: o.damos_quota_interval ?? [],
    quotaTime: o.damos_quota_time ?? [],
    quotaSpace: o.damos_quota_space ?? [],
    quotaWeights: groupsOf('--damos_quota_weights', o.damos_quota_weights, 3, '<size> <access rate> <age>'),
    quotaGoal: o.damos_quota_goal ?? [],
    nrQuotaGoals: o.damos_nr_quota_goals,
    filter: o.damos_filter ?? [],
    nrFilters: o.damos_nr_filters,
    quotaGoalTuner: o.damos_quota_goal_tuner ?? [],
    quotaFailChargeRatio: o.damos_quota_fail_charge_ratio ?? [],
    maxNrSnapshots: o.damos_max_nr_snapshots ?? [],
    wmarks: groupsOf('--damos_wmarks', o.damos_wmarks, 5, '<metric> <interval> <high> <mid> <low>'),
  };
}

/** The schemes of `-c` or of the `--damos_*` flags (not both); undefined when neither is given. */
export async function schemesOfOptions(o: DamosCliOptions & { schemes?: string }): Promise<Scheme[] | undefined> {
  const { noDamosFlags, schemesFromDamosFlags } = await import('../schemes/damos_flags.js');
  const flags = damosFlagsOf(o);
  if (noDamosFlags(flags)) {
    if (o.schemes === undefined) return undefined;
    const { loadSchemes } = await import('../schemes/load.js');
    return (await loadSchemes(o.schemes)).schemes;
  }
  if (o.schemes !== undefined) throw new DamoError('E_USAGE', '-c/--schemes and the --damos_* flags both describe schemes; give one of them');
  return schemesFromDamosFlags(flags);
}
