// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo features`, `damo report sysinfo` and `damo module stat|reclaim|lru_sort` (damo 3.3.0):
 * option parsing only; they run in src/record/features_command.ts and module_command.ts.
 */
import type { Command } from 'commander';
import { Argument, Option } from './commander.js';

import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { parseTimeUs } from './values.js';
import type { FeatureListType, SysinfoPrintKey } from '../record/features_command.js';
import { FEATURE_LIST_TYPES, SYSINFO_PRINT_KEYS } from '../record/features_command.js';
import type { DamonModule, ModuleAction } from '../record/module_command.js';
import { DAMON_MODULES, MODULE_ACTIONS } from '../record/module_command.js';
import { DEFAULT_MODULE_ROOT, DEFAULT_ROOTS } from '../record/roots.js';

interface RootOptions {
  sysfs_root: string;
  tracefs_root: string;
  debugfs_root: string;
  module_root: string;
  invalidate_cache?: boolean;
}

function withRoots(cmd: Command): Command {
  return cmd
    .option('--invalidate_cache', 'probe the kernel again instead of using what this boot already found')
    .addOption(new Option('--damon_interface_DEPRECATED <interface>', "accepted for damo's scripts; every interface is probed").choices(['sysfs', 'debugfs', 'auto']))
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .option('--tracefs_root <dir>', 'tracefs mount point', DEFAULT_ROOTS.tracefs)
    .option('--debugfs_root <dir>', 'DAMON debugfs directory', DEFAULT_ROOTS.debugfs)
    .option('--module_root <dir>', 'where module parameters live', DEFAULT_MODULE_ROOT);
}

function probeRequest(o: RootOptions) {
  return {
    roots: { sysfs: o.sysfs_root, tracefs: o.tracefs_root, debugfs: o.debugfs_root },
    moduleRoot: o.module_root,
    invalidateCache: o.invalidate_cache === true,
  };
}

export function registerFeatures(program: Command, ctx: CommandContext): void {
  withRoots(
    program
      .command('features')
      .summary("list the DAMON features of this kernel (damo features)")
      .description(
        "List damo's named DAMON features (e.g. sysfs/schemes_tried_regions, sysfs/fvaddr) and " +
          'whether this kernel has them. Most features show only inside a staged kdamond, so when ' +
          'DAMON sysfs holds no kdamond a probe kdamond is staged and removed again; the result is ' +
          'kept for the rest of the boot. With kdamonds present nothing is written.',
      )
      .addArgument(new Argument('[type]', 'supported, unsupported, all (name: Supported|Unsupported) or json').choices(FEATURE_LIST_TYPES).default('all'))
      .option('--infer_version', 'also say which DAMON release the features imply'),
  )
    .addHelpText('after', '\nExamples:\n  $ damo features supported | grep -w fvaddr\n  $ damo features json')
    .action(async (type: FeatureListType, opts: RootOptions & { infer_version?: boolean }) => {
      const { runFeaturesCommand } = await import('../record/features_command.js');
      const code = runFeaturesCommand(ctx.io, { ...probeRequest(opts), type, inferVersion: opts.infer_version === true });
      if (code !== 0) throw new ExitCode(code);
    });
}

export function registerSysinfo(report: Command, ctx: CommandContext): void {
  withRoots(
    report
      .command('sysinfo')
      .summary('versions, mounts and DAMON features of this system (damo report sysinfo)')
      .description("damo 3.3.0's system report: damo-ts and kernel versions, the DAMON release the features imply, mount points, trace-cmd and perf, and the available (or unavailable) features by kind.")
      .addOption(new Option('--print <what...>', 'what to print').choices(SYSINFO_PRINT_KEYS).default(['versions', 'interfaces'])),
  )
    .addHelpText('after', '\nExamples:\n  $ damo report sysinfo\n  $ damo report sysinfo --print versions sysfs_features unavailable_features')
    .action(async (opts: RootOptions & { print: SysinfoPrintKey[] }) => {
    const { runSysinfoCommand } = await import('../record/features_command.js');
    const code = runSysinfoCommand(ctx.io, { ...probeRequest(opts), print: opts.print });
    if (code !== 0) throw new ExitCode(code);
  });
}

export function registerModule(program: Command, ctx: CommandContext): void {
  program
    .command('module')
    .summary('read and set DAMON_STAT, DAMON_RECLAIM and DAMON_LRU_SORT (damo module)')
    .description(
      "The kernel's own DAMON users are driven through their module parameters " +
        '(/sys/module/damon_<module>/parameters). status: settings and statistics; read [param...]; ' +
        'write <param> <value>...; enable|disable: set enabled and wait for its kdamond to start or ' +
        'stop; commit: apply changed parameters to the running module (commit_inputs).',
    )
    .addArgument(new Argument('<module>', 'stat, reclaim or lru_sort').choices(DAMON_MODULES))
    .addArgument(new Argument('[action]', MODULE_ACTIONS.join(', ')).choices(MODULE_ACTIONS).default('status'))
    .argument('[args...]', 'read: parameter names; write: <parameter> <value> pairs')
    .option('--json', 'status and read as JSON')
    .option('--wait <time>', 'enable/disable/commit: how long to wait for the kernel (us, or with a unit)', parseTimeUs, 10_000_000)
    .option('--module_root <dir>', 'where module parameters live', DEFAULT_MODULE_ROOT)
    .addHelpText('after', '\nExamples:\n  $ damo module reclaim\n  $ damo module reclaim write min_age 5000000 quota_sz 134217728\n  $ damo module reclaim enable\n  $ damo module stat read memory_idle_ms_percentiles')
    .action(async (module: DamonModule, action: ModuleAction, args: string[], opts: { json?: boolean; wait: number; module_root: string }) => {
      const { runModuleCommand } = await import('../record/module_command.js');
      const code = runModuleCommand(ctx.io, { module, action, args, json: opts.json === true, moduleRoot: opts.module_root, waitMs: Math.ceil(opts.wait / 1000) });
      if (code !== 0) throw new ExitCode(code);
    });
}
