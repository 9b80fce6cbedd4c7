// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo start` and `damo stop`: leave a kdamond running after the command returns, and
 * stop it later. Parsing only; the work is in src/record/kdamond/.
 */
import type { Command } from './commander.js';

import { DEFAULT_ROOTS } from '../record/roots.js';
import type { CommandContext } from './context.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { ExitCode } from './exit_code.js';
import { resolveMonitoring, type MonitoringCliOptions } from './monitoring.js';
import { addDamonParamsOptions, damonParamsFlagsOf, givenDamonParams, singleIntervalsGoalOf, type DamonParamsCliOptions } from './damon_params_options.js';
import { DamoError } from '../core/errors.js';
import { checkTuneInterface, debugfsRootOption, kdamondInterfaceOption, optionValue, parseNonNegativeInteger, parsePositiveInteger, type DamonInterface } from './values.js';

interface StartCliOptions extends DamosCliOptions, DamonParamsCliOptions {
  schemes?: string;
  kdamonds?: string;
  damon_interface_DEPRECATED?: DamonInterface;
  sysfs_root: string;
  debugfs_root: string;
}

interface TuneCliOptions extends DamosCliOptions, DamonParamsCliOptions {
  schemes?: string;
  damon_interface_DEPRECATED?: DamonInterface;
  sysfs_root: string;
  force?: boolean;
  kdamond_index: number;
}

/**
 * Whether tune's flags describe every kdamond (damo 3.3.0's multi-context form: a target
 * flag, a count, or a context flag given more than once) rather than changes to one kdamond.
 */
function describesKdamonds(targets: string[], o: TuneCliOptions): boolean {
  if (targets.length > 0) return true;
  const counts = [o.target_pid, o.regions, o.numa_node, o.nr_targets, o.nr_schemes, o.nr_ctxs];
  const perContext = [o.ops, o.monitoring_intervals, o.monitoring_intervals_goal, o.monitoring_nr_regions_range, o.sample, o.aggr, o.updr, o.minr, o.maxr];
  return counts.some((v) => v !== undefined) || perContext.some((v) => v !== undefined && v.length > 1);
}

/** The single-kdamond form's values: each option given at most once. */
function singleMonitoringOptions(o: TuneCliOptions): MonitoringCliOptions {
  return {
    ...(o.monitoring_intervals?.[0] !== undefined ? { monitoring_intervals: o.monitoring_intervals[0] } : {}),
    ...(o.monitoring_nr_regions_range?.[0] !== undefined ? { monitoring_nr_regions_range: o.monitoring_nr_regions_range[0] } : {}),
    ...(o.sample?.[0] !== undefined ? { sample: o.sample[0] } : {}),
    ...(o.aggr?.[0] !== undefined ? { aggr: o.aggr[0] } : {}),
    ...(o.updr?.[0] !== undefined ? { updr: o.updr[0] } : {}),
    ...(o.minr?.[0] !== undefined ? { minr: optionValue('-n/--minr', o.minr[0], parsePositiveInteger) } : {}),
    ...(o.maxr?.[0] !== undefined ? { maxr: optionValue('-m/--maxr', o.maxr[0], parsePositiveInteger) } : {}),
  };
}

/** The start flags that --kdamonds replaces, as given. */
function kdamondsConflicts(args: string[], opts: StartCliOptions): string[] {
  return [...(args.length > 0 ? ['a target'] : []), ...(opts.schemes !== undefined ? ['-c/--schemes'] : []), ...givenDamonParams(opts)];
}

export function registerKdamondControl(program: Command, ctx: CommandContext): void {
  const start = program
    .command('start')
    .summary('start a kdamond through DAMON sysfs and leave it running')
    .description(
      'Configure kdamond 0 through DAMON sysfs for a running process or physical memory, with ' +
        'optional schemes, turn it on, check that it runs, and exit leaving it running. The DAMON ' +
        "parameter flags are those of 'damo args damon': repeated, with --nr_targets, --nr_schemes " +
        'and --nr_ctxs, they describe several contexts and kdamonds, all started together. What was ' +
        'started is kept in a state file ($DAMO_STATE_DIR, default /run/damo-ts) so that ' +
        "'damo stop' stops only that. Refused while any other kdamond exists: adding one " +
        'rewrites nr_kdamonds, which DAMON refuses while a kdamond runs. With ' +
        '--damon_interface_DEPRECATED debugfs it configures the root context of the deprecated ' +
        'DAMON debugfs instead (Linux 5.15-6.13: one context, vaddr or paddr, the 5.16-era scheme ' +
        "fields), and 'damo stop' writes back the debugfs files it changed.",
    )
    .argument('[target...]', "pid(s) of running processes, or 'paddr'")
    .option('-c, --schemes <file>', "schemes to apply: a file (damo JSON or the one-line language), or the scheme text itself")
    .option('--kdamonds <file_or_json>', "every kdamond, context, target and scheme at once, in damo's kdamonds layout (JSON or YAML, as 'damo args damon' prints it): a file, or the document itself")
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs);
  addDamonParamsOptions(start);
  addDamosOptions(start)
    .addOption(kdamondInterfaceOption())
    .addOption(debugfsRootOption(DEFAULT_ROOTS.debugfs))
    .addHelpText('after', `
Examples:
  $ damo start paddr -c '4K max 0 0 10s max pageout quota_sz=100M quota_reset=1s'
  $ damo start 1234 --monitoring_intervals 5ms 100ms 1s
  $ damo start paddr --monitoring_intervals_autotune        # DAMON tunes the intervals (Linux 6.15+)
  $ damo start 1234 --monitoring_intervals_goal 10% 5 1ms 1s
  $ damo start paddr --damos_action pageout --damos_access_rate 0% 0% --damos_age 30s max --damos_quotas 10ms 100M 1s
  $ damo start --numa_node 0 --damos_action migrate_cold 1 --numa_node 1 --damos_action migrate_hot 0 \\
        --nr_targets 1 1 --nr_schemes 1 1 --nr_ctxs 1 1     # two kdamonds, one per node
  $ damo args damon paddr --format yaml > kdamonds.yaml && damo start --kdamonds kdamonds.yaml
  $ damo start 1234 --damos_action stat --damon_interface_DEPRECATED debugfs   # Linux 5.15-6.13's debugfs
  $ damo stop`)
    .action(async (args: string[], opts: StartCliOptions) => {
      const roots = { sysfsRoot: opts.sysfs_root, debugfsRoot: opts.debugfs_root, interface: opts.damon_interface_DEPRECATED };
      if (opts.kdamonds !== undefined) {
        const also = kdamondsConflicts(args, opts);
        if (also.length > 0) throw new DamoError('E_USAGE', `--kdamonds describes every kdamond itself; it cannot be combined with ${also.join(', ')}`, { hint: "put those parameters into the document ('damo args damon' writes one from flags)" });
        const { runStartKdamondsCliCommand } = await import('../record/kdamond/control_command.js');
        const code = runStartKdamondsCliCommand(ctx.io, { ...roots, kdamonds: opts.kdamonds, debug: ctx.debug() });
        if (code !== 0) throw new ExitCode(code);
        return;
      }
      const { runStartCliCommand } = await import('../record/kdamond/control_command.js');
      const schemes = (await schemesOfOptions(opts)) ?? [];
      const code = runStartCliCommand(ctx.io, { ...roots, flags: damonParamsFlagsOf(args, opts, schemes), debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });

  const tune = program
    .command('tune')
    .summary("change the parameters and schemes of the kdamonds 'damo start' started, online")
    .description(
      'Write new monitoring intervals, an intervals auto-tuning goal, region counts or schemes into a running kdamond and make the ' +
        "kernel take them (the sysfs 'commit' command), without stopping it. Only kdamonds that " +
        "'damo start' started (its state file names them) are tuned unless --force. With the " +
        "multi-context flags of 'damo start' (a target, a target flag, --nr_targets, --nr_schemes, --nr_ctxs, or " +
        'a context flag given more than once) the flags describe every running kdamond instead, as ' +
        'for start, and all of them are committed: what the flags leave out takes its default (schemes ' +
        'not given are removed). DAMON does not let the number of kdamonds change while one runs and ' +
        'commits exactly one context per kdamond, so the flags must describe one context for each ' +
        'running kdamond. That form may also switch a context to another operations set (--ops, or ' +
        "a target such as 'paddr' or --target_pid), which DAMON's commit selects anew; the flags give " +
        'the targets it needs, and a set the kernel lacks (avail_operations) is refused before any write.',
    )
    .argument('[target...]', "pid(s) of running processes, or 'paddr' (as for start; selects the multi-context form)")
    .option('-c, --schemes <file>', "schemes replacing the current ones: a file, or the scheme text itself ('' removes them)")
    .option('--kdamond_index <index>', 'which kdamond to tune (without the multi-context flags)', parseNonNegativeInteger, 0)
    .option('--force', 'tune it even if damo-ts did not start it')
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .addOption(kdamondInterfaceOption());
  addDamonParamsOptions(tune);
  addDamosOptions(tune)
    .addHelpText('after', `
Examples:
  $ damo tune --monitoring_intervals 10ms 200ms 2s
  $ damo tune --monitoring_intervals_goal 4% 3 5ms 10s     # start auto-tuning (Linux 6.15+); 0% 0 0 0 stops it
  $ damo tune -c '4K max 0 0 30s max pageout'
  $ damo tune --aggr 200ms           # damo's single-value form; the others take their defaults
  $ damo tune paddr                  # switch kdamond 0 to physical memory (the largest System RAM block)
  $ damo tune --ops vaddr --target_pid 1234 --damos_action stat   # and back, to a process
  $ damo tune --numa_node 0 --damos_action migrate_cold 1 --numa_node 1 --damos_action migrate_hot 0 \\
        --nr_targets 1 1 --nr_schemes 1 1 --nr_ctxs 1 1     # both kdamonds 'damo start' started with the same flags`)
    .action(async (targets: string[], opts: TuneCliOptions) => {
      checkTuneInterface(opts.damon_interface_DEPRECATED);
      const schemes = opts.schemes?.trim() === '' ? [] : ((await schemesOfOptions(opts)) ?? null);
      if (describesKdamonds(targets, opts)) {
        if (tune.getOptionValueSource('kdamond_index') === 'cli') {
          throw new DamoError('E_USAGE', '--kdamond_index picks one kdamond, but the multi-context flags describe every running kdamond', { hint: 'drop --kdamond_index, or give each option once to tune one kdamond' });
        }
        const { runTuneKdamondsCliCommand } = await import('../record/kdamond/control_command.js');
        const code = runTuneKdamondsCliCommand(ctx.io, { sysfsRoot: opts.sysfs_root, force: opts.force === true, flags: damonParamsFlagsOf(targets, opts, schemes ?? []), debug: ctx.debug() });
        if (code !== 0) throw new ExitCode(code);
        return;
      }
      const { runTuneCliCommand } = await import('../record/kdamond/control_command.js');
      const single = singleMonitoringOptions(opts);
      const m = resolveMonitoring(['paddr'], single, true);
      const code = runTuneCliCommand(ctx.io, {
        sysfsRoot: opts.sysfs_root,
        index: opts.kdamond_index,
        force: opts.force === true,
        intervals: single.monitoring_intervals === undefined && single.sample === undefined && single.aggr === undefined && single.updr === undefined ? null : m.intervals,
        intervalsGoal: singleIntervalsGoalOf(opts, 'damo tune without the multi-context flags') ?? null,
        nrRegions: single.monitoring_nr_regions_range === undefined && single.minr === undefined && single.maxr === undefined ? null : m.nrRegions,
        ops: opts.ops?.[0] ?? null,
        schemes,
        debug: ctx.debug(),
      });
      if (code !== 0) throw new ExitCode(code);
    });

  program
    .command('stop')
    .summary("stop the kdamonds 'damo start' started")
    .description(
      "Stop the kdamonds that 'damo start' started (as its state file names them) and remove their " +
        'sysfs directories; after a start over DAMON debugfs (which the state file names, so ' +
        'no option is needed), turn its monitoring off and write back the files start changed. ' +
        'A kdamond that damo-ts did not start is left alone unless --force; a ' +
        'reboot or a kdamond that died since start are detected and told.',
    )
    .option('--force', 'stop and remove every kdamond, whoever started it')
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .addOption(kdamondInterfaceOption())
    .addOption(debugfsRootOption(DEFAULT_ROOTS.debugfs))
    .addHelpText('after', `
Examples:
  $ damo stop
  $ damo stop --force        # also kdamonds damo-ts did not start`)
    .action(async (opts: { force?: boolean; sysfs_root: string; debugfs_root: string; damon_interface_DEPRECATED?: DamonInterface }) => {
      const { runStopCliCommand } = await import('../record/kdamond/control_command.js');
      const code = runStopCliCommand(ctx.io, { sysfsRoot: opts.sysfs_root, debugfsRoot: opts.debugfs_root, interface: opts.damon_interface_DEPRECATED, force: opts.force === true, debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });
}
