// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo args damon`: print the kdamonds that DAMON parameter flags resolve to (damo 3.3.0).
 * Parsing only; the work is in src/record/kdamond/args_damon.ts.
 */
import { Option, type Command } from './commander.js';

import { DamoError } from '../core/errors.js';
import type { ArgsDamonEdits, KdamondsDocIndex } from '../record/kdamond/control_command.js';
import type { CommandContext } from './context.js';
import { exactOption } from './damo_command.js';
import { addDamonParamsOptions, damonParamsFlagsOf, type DamonParamsCliOptions } from './damon_params_options.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { ExitCode } from './exit_code.js';

interface ArgsDamonCliOptions extends DamosCliOptions, DamonParamsCliOptions {
  schemes?: string;
  format: 'json' | 'yaml' | 'report';
  raw?: boolean;
  add?: string;
  remove?: string[];
  replace?: string[];
  out?: string;
  omit_defaults?: boolean;
}

/** `--remove`/`--replace <file> <kdamond index>`: the index as Python takes it (negative from the end). */
function docIndexOf(flag: string, words: string[] | undefined): KdamondsDocIndex | undefined {
  if (words === undefined) return undefined;
  if (words.length !== 2) throw new DamoError('E_USAGE', `${flag} takes two values, a kdamonds file and the index of a kdamond in it (got ${words.length}${words.length > 0 ? `: ${words.join(' ')}` : ''})`, { hint: `e.g. ${flag} kdamonds.json 0` });
  const [doc, index] = words as [string, string];
  if (!/^[-+]?\d+$/.test(index.trim())) {
    throw new DamoError('E_USAGE', `${flag} ${doc} ${index}: '${index}' is not a kdamond index`, { hint: `give the file, then the index of a kdamond in it: 0 for the first, -1 for the last (e.g. ${flag} kdamonds.json 0)` });
  }
  return { doc, index: Number(index) };
}

function editsOf(opts: ArgsDamonCliOptions): ArgsDamonEdits {
  const remove = docIndexOf('--remove', opts.remove);
  const replace = docIndexOf('--replace', opts.replace);
  if (opts.out !== undefined && opts.format === 'report') {
    throw new DamoError('E_USAGE', `--out ${opts.out}: the report format is only printed, not written to a file`, { hint: 'drop --out, or give --format json or yaml' });
  }
  return {
    ...(opts.add === undefined ? {} : { add: opts.add }),
    ...(remove === undefined ? {} : { remove }),
    ...(replace === undefined ? {} : { replace }),
    ...(opts.out === undefined ? {} : { out: opts.out }),
    omitDefaults: opts.omit_defaults === true,
  };
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
    .option('-c, --schemes <file>', "schemes: a file (damo JSON or the one-line language), or the scheme text itself")
    .option('--add <file>', "print the kdamonds of this kdamonds JSON file (or JSON text), as 'damo args damon' writes it, before those of the flags")
    .addOption(exactOption('--remove <file_index...>', "<file> <kdamond index>: print the kdamonds of this kdamonds JSON file without the one at the index (the flags' kdamonds are not printed)", 2))
    .addOption(exactOption('--replace <file_index...>', "<file> <kdamond index>: print the kdamonds of this kdamonds JSON file with the one at the index replaced by the (first) kdamond of the flags", 2))
    .option('--out <file>', 'write the JSON or YAML to this file instead of printing it (no trailing newline, as damo writes it)')
    .option('--omit_defaults', "leave out parameters that have damo's default values (a context's intervals and nr_regions, a scheme's access pattern, quotas, watermarks and filters)");
  addDamonParamsOptions(damon);
  addDamosOptions(damon)
    .addHelpText(
      'after',
      `
Examples:
  $ damo args damon paddr --monitoring_intervals 10ms 200ms 2s > kdamonds.json
  $ damo args damon 1234 --format yaml
  $ damo args damon paddr --damos_action lru_deprio --damos_access_rate 0% 0% --damos_age 10s max --damos_filter reject young
  $ damo args damon --numa_node 0 --damos_action migrate_cold 1 --numa_node 1 --damos_action migrate_hot 0 \\
        --nr_targets 1 1 --nr_schemes 1 1 --nr_ctxs 1 1     # two kdamonds, one per node
  $ damo args damon 1234 --add kdamonds.json --out kdamonds.json   # one more kdamond in the file
  $ damo args damon --replace kdamonds.json 0 paddr --out kdamonds.json   # its first kdamond replaced
  $ damo args damon --remove kdamonds.json -1 --omit_defaults     # without the last, defaults left out`,
    )
    .action(async (targets: string[], opts: ArgsDamonCliOptions) => {
      const [{ runArgsDamonCliCommand }] = await Promise.all([import('../record/kdamond/control_command.js')]);
      const schemes = (await schemesOfOptions(opts)) ?? [];
      const flags = damonParamsFlagsOf(targets, opts, schemes);
      const code = runArgsDamonCliCommand(ctx.io, { flags, format: opts.format, raw: opts.raw === true, edits: editsOf(opts) });
      if (code !== 0) throw new ExitCode(code);
    });
}
