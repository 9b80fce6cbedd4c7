// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo start` and `damo stop`: leave a kdamond running after the command returns, and
 * stop it later. Parsing only; the work is in src/record/kdamond/.
 */
import { Option, type Command } from './commander.js';

import { DAMON_OPS, type Ops } from '../core/model.js';
import { DEFAULT_ROOTS } from '../record/roots.js';
import type { CommandContext } from './context.js';
import { exactOption } from './damo_command.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { ExitCode } from './exit_code.js';
import { resolveMonitoring } from './monitoring.js';
import { addDamonParamsOptions, damonParamsFlagsOf, givenDamonParams, type DamonParamsCliOptions } from './damon_params_options.js';
import { DamoError } from '../core/errors.js';
import { checkKdamondInterface, kdamondInterfaceOption, parseNonNegativeInteger, parsePositiveInteger, type DamonInterface } from './values.js';

interface StartCliOptions extends DamosCliOptions, DamonParamsCliOptions {
  schemes?: string;
  kdamonds?: string;
  damon_interface_DEPRECATED?: DamonInterface;
  sysfs_root: string;
}

interface TuneCliOptions extends DamosCliOptions {
  schemes?: string;
  ops?: Ops;
  monitoring_intervals?: string[];
  sample?: string;
  aggr?: string;
  updr?: string;
  minr?: number;
  maxr?: number;
  damon_interface_DEPRECATED?: DamonInterface;
  monitoring_nr_regions_range?: string[];
  sysfs_root: string;
  force?: boolean;
  kdamond_index: number;
}

/** damo 3.3.0's single-value monitoring options, which its start_stop suite uses. */
function addDamoAttrOptions(cmd: Command): Command {
  return cmd
    .option('-s, --sample <us>', 'sampling interval in microseconds (or with a unit)')
    .option('-a, --aggr <us>', 'aggregation interval in microseconds (or with a unit)')
    .option('-u, --updr <us>', 'ops-update interval in microseconds (or with a unit)')
    .option('-n, --minr <nr>', 'minimum number of regions', parsePositiveInteger)
    .option('-m, --maxr <nr>', 'maximum number of regions', parsePositiveInteger)
    .addOption(kdamondInterfaceOption());
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
        'rewrites nr_kdamonds, which DAMON refuses while a kdamond runs.',
    )
    .argument('[target...]', "pid(s) of running processes, or 'paddr'")
    .option('-c, --schemes <file>', "schemes to apply: a file (damo JSON or the one-line language), or the scheme text itself")
    .option('--kdamonds <file_or_json>', "every kdamond, context, target and scheme at once, in damo's kdamonds layout (JSON or YAML, as 'damo args damon' prints it): a file, or the document itself")
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs);
  addDamonParamsOptions(start, { intervalsGoal: false });
  addDamosOptions(start)
    .addOption(kdamondInterfaceOption())
    .addHelpText('after', `
Examples:
  $ damo start paddr -c '4K max 0 0 10s max pageout quota_sz=100M quota_reset=1s'
  $ damo start 1234 --monitoring_intervals 5ms 100ms 1s
  $ damo start paddr --damos_action pageout --damos_access_rate 0% 0% --damos_age 30s max --damos_quotas 10ms 100M 1s
  $ damo start --numa_node 0 --damos_action migrate_cold 1 --numa_node 1 --damos_action migrate_hot 0 \\
        --nr_targets 1 1 --nr_schemes 1 1 --nr_ctxs 1 1     # two kdamonds, one per node
  $ damo args damon paddr --format yaml > kdamonds.yaml && damo start --kdamonds kdamonds.yaml
  $ damo stop`)
    .action(async (args: string[], opts: StartCliOptions) => {
      checkKdamondInterface(opts.damon_interface_DEPRECATED);
      if (opts.kdamonds !== undefined) {
        const also = kdamondsConflicts(args, opts);
        if (also.length > 0) throw new DamoError('E_USAGE', `--kdamonds describes every kdamond itself; it cannot be combined with ${also.join(', ')}`, { hint: "put those parameters into the document ('damo args damon' writes one from flags)" });
        const { runStartKdamondsCliCommand } = await import('../record/kdamond/control_command.js');
        const code = runStartKdamondsCliCommand(ctx.io, { sysfsRoot: opts.sysfs_root, kdamonds: opts.kdamonds, debug: ctx.debug() });
        if (code !== 0) throw new ExitCode(code);
        return;
      }
      const { runStartCliCommand } = await import('../record/kdamond/control_command.js');
      const schemes = (await schemesOfOptions(opts)) ?? [];
      const code = runStartCliCommand(ctx.io, { sysfsRoot: opts.sysfs_root, flags: damonParamsFlagsOf(args, opts, schemes), debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });

  const tune = program
    .command('tune')
    .summary("change the parameters and schemes of the kdamond 'damo start' started, online")
    .description(
      'Write new monitoring intervals, region counts or schemes into a running kdamond and make the ' +
        "kernel take them (the sysfs 'commit' command), without stopping it. Only the kdamond that " +
        "'damo start' started (its state file names it) is tuned unless --force.",
    )
    .option('-c, --schemes <file>', "schemes replacing the current ones: a file, or the scheme text itself ('' removes them)")
    .addOption(exactOption('--monitoring_intervals <times...>', 'sampling, aggregation and ops-update intervals, with units', 3))
    .addOption(exactOption('--monitoring_nr_regions_range <nr...>', 'minimum and maximum number of regions', 2))
    .option('--kdamond_index <index>', 'which kdamond to tune', parseNonNegativeInteger, 0)
    .option('--force', 'tune it even if damo-ts did not start it')
    .addOption(new Option('--ops <ops>', 'the operations set the kdamond runs (checked; tune does not change it)').choices(DAMON_OPS))
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs);
  addDamoAttrOptions(addDamosOptions(tune))
    .addHelpText('after', `
Examples:
  $ damo tune --monitoring_intervals 10ms 200ms 2s
  $ damo tune -c '4K max 0 0 30s max pageout'
  $ damo tune --aggr 200ms           # damo's single-value form; the others take their defaults`)
    .action(async (opts: TuneCliOptions) => {
      checkKdamondInterface(opts.damon_interface_DEPRECATED);
      const { runTuneCliCommand } = await import('../record/kdamond/control_command.js');
      const m = resolveMonitoring(['paddr'], opts, true);
      const schemes = opts.schemes?.trim() === '' ? [] : ((await schemesOfOptions(opts)) ?? null);
      const code = runTuneCliCommand(ctx.io, {
        sysfsRoot: opts.sysfs_root,
        index: opts.kdamond_index,
        force: opts.force === true,
        intervals: opts.monitoring_intervals === undefined && opts.sample === undefined && opts.aggr === undefined && opts.updr === undefined ? null : m.intervals,
        nrRegions: opts.monitoring_nr_regions_range === undefined && opts.minr === undefined && opts.maxr === undefined ? null : m.nrRegions,
        ops: opts.ops ?? null,
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
        'sysfs directories. A kdamond that damo-ts did not start is left alone unless --force; a ' +
        'reboot or a kdamond that died since start are detected and told.',
    )
    .option('--force', 'stop and remove every kdamond, whoever started it')
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .addOption(kdamondInterfaceOption())
    .addHelpText('after', `
Examples:
  $ damo stop
  $ damo stop --force        # also kdamonds damo-ts did not start`)
    .action(async (opts: { force?: boolean; sysfs_root: string; damon_interface_DEPRECATED?: DamonInterface }) => {
      checkKdamondInterface(opts.damon_interface_DEPRECATED);
      const { runStopCliCommand } = await import('../record/kdamond/control_command.js');
      const code = runStopCliCommand(ctx.io, { sysfsRoot: opts.sysfs_root, force: opts.force === true, debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });
}
