// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo args damon`: print the kdamonds that DAMON parameter flags resolve to (damo 3.3.0).
 * Parsing only; the work is in src/record/kdamond/args_damon.ts.
 */
import { Option, type Command } from './commander.js';

import type { CommandContext } from './context.js';
import { addDamonParamsOptions, damonParamsFlagsOf, type DamonParamsCliOptions } from './damon_params_options.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { ExitCode } from './exit_code.js';

interface ArgsDamonCliOptions extends DamosCliOptions, DamonParamsCliOptions {
  schemes?: string;
  format: 'json' | 'yaml' | 'report';
  raw?: boolean;
}

export function registerArgs(program: Command, ctx: CommandContext): void {
  const args = program
    .command('args')
    .summary('print the DAMON parameters that command-line flags resolve to')
    .addHelpText(
      'after',
      `
Examples:
  $ damo args damon paddr --format yaml`,
    );
  const damon = args
    .command('damon')
    .summary('print the kdamonds that DAMON parameter flags resolve to (damo args damon)')
    .description(
      "Resolve the target and DAMON parameter flags the way 'damo start' does and print the " +
        "resulting kdamonds in damo 3.3.0's layout (JSON, YAML, or the 'report damon' text), " +
        'without touching the kernel. Context flags (--ops, --monitoring_*, -s/-a/-u/-n/-m) and target ' +
        'flags (--target_pid, --regions, --numa_node) may be repeated, one occurrence per context or target; ' +
        '--nr_targets, --nr_schemes and --nr_ctxs say how many targets and schemes each context takes and ' +
        'how many contexts each kdamond takes.',
    )
    .argument('[target...]', "pid(s) of running processes, or 'paddr'")
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'yaml', 'report']).default('json'))
    .option('--raw', 'plain numbers instead of human units')
    .option('-c, --schemes <file>', "schemes: a file (damo JSON or the one-line language), or the scheme text itself");
  addDamonParamsOptions(damon, { intervalsGoal: true });
  addDamosOptions(damon)
    .addHelpText(
      'after',
      `
Examples:
  $ damo args damon paddr --monitoring_intervals 10ms 200ms 2s > kdamonds.json
  $ damo args damon 1234 --format yaml
  $ damo args damon paddr --damos_action lru_deprio --damos_access_rate 0% 0% --damos_age 10s max --damos_filter reject young
  $ damo args damon --numa_node 0 --damos_action migrate_cold 1 --numa_node 1 --damos_action migrate_hot 0 \\
        --nr_targets 1 1 --nr_schemes 1 1 --nr_ctxs 1 1     # two kdamonds, one per node`,
    )
    .action(async (targets: string[], opts: ArgsDamonCliOptions) => {
      const [{ runArgsDamonCliCommand }] = await Promise.all([import('../record/kdamond/control_command.js')]);
      const schemes = (await schemesOfOptions(opts)) ?? [];
      const flags = damonParamsFlagsOf(targets, opts, schemes);
      const code = runArgsDamonCliCommand(ctx.io, { flags, format: opts.format, raw: opts.raw === true });
      if (code !== 0) throw new ExitCode(code);
    });
}
