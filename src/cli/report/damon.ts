// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report damon` (damo 3.3.0): option parsing only; it runs in
 * src/record/kdamond/report_damon_command.ts.
 */
import { Option, type Command } from '../commander.js';

import { DEFAULT_MODULE_ROOT, DEFAULT_ROOTS } from '../../record/roots.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';
import { debugfsRootOption, kdamondInterfaceOption, type DamonInterface } from '../values.js';

const STAT_FIELDS = ['nr_tried', 'sz_tried', 'nr_applied', 'sz_applied', 'qt_exceeds'] as const;

interface ReportDamonOptions {
  format?: 'json' | 'yaml' | 'report';
  json?: boolean;
  raw?: boolean;
  kdamonds_summary?: boolean;
  damos_stats?: boolean;
  damos_stat_fields?: Array<(typeof STAT_FIELDS)[number]>;
  omit_damos_tried_regions?: boolean;
  damon_params?: boolean;
  sysfs_root: string;
  module_root: string;
  debugfs_root: string;
  damon_interface_DEPRECATED?: DamonInterface;
}

export function registerReportDamon(report: Command, ctx: CommandContext): void {
  report
    .command('damon')
    .summary('show the running kdamonds: parameters, schemes and their statistics (damo report damon)')
    .description(
      'Print every kdamond under DAMON sysfs as damo 3.3.0 does: state and pid, contexts, targets, ' +
        'intervals, region counts, and each scheme with its access pattern, quotas, watermarks, ' +
        'filters, statistics and tried regions. The kernel is first asked to refresh the scheme ' +
        "statistics and effective quotas ('update_schemes_stats' and friends written to each running " +
        "kdamond's state file); nothing else is written.",
    )
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'yaml', 'report']))
    .option('--json', 'the same as --format json')
    .option('--raw', 'plain numbers instead of human units')
    .option('--kdamonds_summary', 'one summary line per kdamond')
    .option('--damos_stats', 'the DAMOS statistics only')
    .addOption(new Option('--damos_stat_fields <field...>', 'statistics to print (with --damos_stats)').choices(STAT_FIELDS))
    .option('--omit_damos_tried_regions', 'omit tried regions (as in damo 3.3.0 this prints the parameters only)')
    .option('--damon_params', 'the parameters only')
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .option('--module_root <dir>', 'where module parameters live (DAMON_RECLAIM etc. on/off lines)', DEFAULT_MODULE_ROOT)
    .addOption(kdamondInterfaceOption())
    .addOption(debugfsRootOption(DEFAULT_ROOTS.debugfs))
    .addHelpText(
      'after',
      `
Examples:
  $ damo report damon
  $ damo report damon --damos_stats --damos_stat_fields sz_applied
  $ damo report damon --json`,
    )
    .action(async (opts: ReportDamonOptions) => {
      const format = opts.format ?? (opts.json === true ? 'json' : 'report');
      const { runReportDamonCliCommand } = await import('../../record/kdamond/report_damon_command.js');
      const code = runReportDamonCliCommand(ctx.io, {
        sysfsRoot: opts.sysfs_root,
        debugfsRoot: opts.debugfs_root,
        interface: opts.damon_interface_DEPRECATED,
        moduleRoot: opts.module_root,
        format,
        raw: opts.raw === true,
        damosStats: opts.damos_stats === true,
        damosStatFields: opts.damos_stat_fields ?? null,
        kdamondsSummary: opts.kdamonds_summary === true,
        damonParams: opts.damon_params === true,
        omitTriedRegions: opts.omit_damos_tried_regions === true,
        debug: ctx.debug(),
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
