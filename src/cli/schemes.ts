// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes`: work with DAMON-based operation schemes.
 *   damo schemes -c FILE [options] <command|pid...|paddr>    apply them online
 *   damo schemes convert FILE [-s US] [-a US] [--to debugfs|sysfs|json|text]
 *   damo schemes tune -i TRACE -t TEMPLATE [--max-refault PCT]
 * Online application runs in src/record/apply_schemes_command.ts; convert and tune in src/schemes.
 */
import { Option, type Command } from './commander.js';

import { DEFAULT_INTERVALS } from '../core/damon_constants.js';
import { DAMON_OPS, type DamonOps } from '../core/model.js';
import type { RecordPrimitive } from '../native/primitives.js';
import { SCHEMES_BACKENDS, type SchemesBackend } from '../record/source_names.js';
import { DamoError } from '../core/errors.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { outputTypeFor } from './record.js';
import { addMonitoringOptions, rawArgsOf, resolveMonitoring, type MonitoringCliOptions } from './monitoring.js';
import { addInputOptions } from './report/common.js';
import { parseFileMode, parsePercent, parsePositiveInteger, parsePositiveTimeUs, parseTimeUs } from './values.js';

interface ConvertOptions {
  sample: number;
  aggr: number;
  to: 'debugfs' | 'sysfs' | 'json' | 'text';
  debugfs_format: 'auto' | 'v0' | 'v4';
}

interface ApplyCliOptions extends MonitoringCliOptions {
  schemes?: string;
  backend: string;
  out?: string;
  output_permission: number;
  stats_interval: number;
}

const APPLY_HELP = `
Applying schemes online (-c):
  The schemes run until the target exits, --timeout passes, or Ctrl-C (exit 130) / SIGTERM
  (exit 143). While they run, a one-line status on a terminal shows what each applied; at
  the end stdout gets a per-scheme table of the kernel's statistics (nr_tried, sz_tried,
  nr_applied, sz_applied, qt_exceeds), or JSON with --json. -o also records a trace of the
  monitoring with the statistics over time (damo report / damo simulate read it).

Backends (--backend, default auto, tried in this order):
  sysfs     kernel DAMON: a kdamond of our own with the schemes written as
            'damo schemes convert --to sysfs' lists them; statistics from
            update_schemes_stats every --stats_interval (root, Linux 5.18+)
  debugfs   kernel DAMON's legacy interface: the 18-field schemes lines (Linux 5.16-6.13);
            only the actions, quotas and watermarks of that era
  native    damo-ts's user-space DAMON engine (--primitive page_idle, soft_dirty or
            clear_refs), with the kernel's scheme logic in damo-ts and the actions applied
            by process_madvise(2): cold, pageout (Linux 5.10+), willneed (5.15+), collapse
            (6.1+); other actions and page-state filters (anon, memcg, young, ...) are
            refused with the reason. Needs CAP_SYS_NICE (root) for other processes.
  Kernel backends never modify a kdamond they did not create and undo every change when
  the run ends, however it ends (as damo record does, crash guardian included).

Examples:
  $ damo schemes -c '4K max 0 0 5s max pageout' -- ./workload --its-args
  $ damo schemes -c my.damos --timeout 60 1234
  $ damo schemes -c my.damos --backend native --primitive page_idle 1234
  $ damo schemes -c 'min max 0 0 1s max stat' -o damon.data --json -- ./workload
  $ damo schemes convert my.damos --to sysfs         # what the sysfs backend writes
  $ damo simulate -i damon.data -c my.damos          # what they would have done`;

export function registerSchemes(program: Command, ctx: CommandContext): void {
  const schemes = program
    .command('schemes')
    .summary('apply DAMON-based operation schemes to a workload; convert and tune them')
    .description(
      'Work with DAMON-based operation schemes (DAMOS): rules like "page out regions of 4 KiB or more ' +
        'that nobody touched for 5 seconds". Write them one per line:\n\n' +
        '  <min-size> <max-size> <min-access> <max-access> <min-age> <max-age> <action> [key=value ...]\n\n' +
        "or in damo's JSON format. See docs/SCHEMES.md for the language. With -c, apply them to a " +
        'command, running processes or physical memory. To see what schemes would have done to a ' +
        'recorded workload, use `damo simulate` (= `damo report schemes`).',
    )
    // The parent's options are only recognised before a subcommand, so `convert -s` and
    // `tune -s` keep their own meaning.
    .enablePositionalOptions()
    .argument('[target...]', "command and its arguments, pid(s), or 'paddr' to apply the schemes to")
    .option('-c, --schemes <file>', "schemes to apply: a file, or the scheme text itself (e.g. '4K max 0 0 5s max pageout')")
    .addOption(new Option('--backend <backend>', 'where the schemes run').choices(['auto', ...SCHEMES_BACKENDS]).default('auto'))
    .addOption(new Option('--stats_interval <time>', 'how often the statistics are read and recorded').argParser(parseTimeUs).default(1_000_000, '1s'))
    .option('-o, --out <file>', 'also record a trace with the statistics (an existing file is renamed to <file>.old)')
    .addOption(new Option('--output_permission <mode>', 'octal file mode of the trace').argParser(parseFileMode).default(0o600, '600'));
  addMonitoringOptions(schemes, 'print the final statistics as JSON on stdout')
    .addHelpText('after', APPLY_HELP)
    .action(async (args: string[], opts: ApplyCliOptions, cmd: Command) => {
      if (opts.schemes === undefined) {
        if (args.length > 0) {
          throw new DamoError('E_USAGE', `'${args.join(' ')}': give the schemes to apply with -c, or a subcommand (convert, tune)`, {
            hint: "e.g. damo schemes -c '4K max 0 0 5s max pageout' -- ./workload",
          });
        }
        schemes.outputHelp();
        return;
      }
      const [{ loadSchemes }, { resolveRequest }, { runApplySchemesCommand }, { onInterrupt }] = await Promise.all([
        import('../schemes/load.js'),
        import('../record/request.js'),
        import('../record/apply_schemes_command.js'),
        import('./signals.js'),
      ]);
      const m = resolveMonitoring(args, opts, true);
      // -c takes a file or the scheme text itself: reading it is parsing the option.
      const loaded = await loadSchemes(opts.schemes);
      const schemesReq = { schemes: loaded.schemes, name: loaded.name, backend: opts.backend as 'auto' | SchemesBackend, statsIntervalMs: Math.max(1, opts.stats_interval / 1000) };
      const req = resolveRequest({
        out: opts.out ?? null,
        outputType: opts.out === undefined ? 'protobuf' : outputTypeFor(opts.out, 'protobuf', 'damo schemes -o'),
        outputPermission: opts.output_permission,
        target: m.target,
        ops: opts.ops,
        regions: m.regions,
        intervals: m.intervals,
        nrRegions: m.nrRegions,
        source: 'auto',
        primitive: opts.primitive as RecordPrimitive | undefined,
        timeoutSec: m.timeoutSec,
        snapshotIntervalUs: undefined,
        quiet: opts.quiet === true,
        json: opts.json === true,
        roots: m.roots,
        argv: ['damo', ...rawArgsOf(cmd)],
        schemes: schemesReq,
      });
      const code = await runApplySchemesCommand(ctx.io, { ...req, schemes: schemesReq }, { onInterrupt, debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });

  schemes
    .command('convert')
    .summary('convert schemes to the kernel debugfs/sysfs values, damo JSON or the one-line text')
    .description(
      'Read schemes (the one-line language or damo JSON; FILE may also be the scheme text itself) ' +
        'and print them as:\n' +
        '  debugfs  lines for the legacy <debugfs>/damon/schemes file (sizes in bytes, access\n' +
        '           frequency in samples, age in aggregation intervals, action number); the\n' +
        '           default, byte-identical to the kernel tree\'s tools/damon/_convert_damos.py\n' +
        '  sysfs    "path value" lines to write under /sys/kernel/mm/damon/admin/kdamonds/<K>/contexts/<C>/\n' +
        '  json     damo\'s JSON scheme list (damo start --schemes FILE accepts it)\n' +
        '  text     the one-line language, normalised',
    )
    .argument('<file>', "schemes file, or the scheme text itself (e.g. '4K max 0 0 5s max pageout')")
    .option('-s, --sample <us>', 'sampling interval in microseconds (or with a unit), for percent -> samples', parsePositiveTimeUs, DEFAULT_INTERVALS.sampleUs)
    .option('-a, --aggr <us>', 'aggregation interval in microseconds (or with a unit), for percent/time -> kernel units', parsePositiveTimeUs, DEFAULT_INTERVALS.aggrUs)
    .addOption(new Option('--to <form>', 'output form').choices(['debugfs', 'sysfs', 'json', 'text']).default('debugfs'))
    .addOption(
      new Option('--debugfs_format <v>', 'debugfs line format: v0 = 7 fields (Linux 5.15), v4 = 18 fields with quotas and watermarks (5.16+)')
        .choices(['auto', 'v0', 'v4'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ damo schemes convert my.damos                       # debugfs numbers at 5 ms / 100 ms
  $ damo schemes convert my.damos -s 1000 -a 50000      # ... at 1 ms / 50 ms
  $ damo schemes convert my.damos --to sysfs
  $ damo schemes convert my.damos --to json > my.json   # for damo start --schemes my.json
  $ damo schemes convert my.json --to text
  $ damo schemes convert '4K max 0 0 5s max pageout quota_sz=1G quota_reset=1s' --to sysfs`,
    )
    .action(async (file: string, opts: ConvertOptions) => {
      if (opts.sample > opts.aggr) {
        throw new DamoError('E_USAGE', `the sampling interval (-s ${opts.sample}) must not exceed the aggregation interval (-a ${opts.aggr})`);
      }
      const { runSchemesConvertCommand } = await import('../schemes/convert_command.js');
      const code = await runSchemesConvertCommand(ctx.io, {
        file,
        to: opts.to,
        intervals: { sampleUs: opts.sample, aggrUs: opts.aggr },
        debugfsFormat: opts.debugfs_format,
      });
      if (code !== 0) throw new ExitCode(code);
    });

  registerTune(schemes, ctx);
}

interface TuneCliOptions {
  input: string;
  strict?: boolean;
  template: string;
  max_refault: number;
  sample?: number;
  aggr?: number;
  ops?: DamonOps;
  top: number;
  raw_number?: boolean;
  json?: boolean;
}

function registerTune(schemes: Command, ctx: CommandContext): void {
  const cmd = schemes
    .command('tune')
    .summary('search scheme parameters on a recording with the simulator')
    .description(
      'Expand a scheme template into candidate schemes, simulate each on the recording (one pass ' +
        'for all), and print the one that keeps the most memory out of RAM on average while its ' +
        'refaults (bytes the recording shows accessed again after they were paged out or deactivated) ' +
        'stay within --max_refault percent of the bytes it moved out.\n\n' +
        'In the template, a field may list alternatives (a|b|c), an arithmetic range (lo..hi:step) ' +
        'or a geometric range (lo..hi*factor). Ranges work on sizes, access percents, ages, and on ' +
        'quota_sz=, quota_ms=, quota_reset=, apply_interval=. The action must be pageout, cold or ' +
        'lru_deprio.',
    );
  addInputOptions(cmd)
    .requiredOption('-t, --template <scheme>', "scheme template, e.g. '4K max 0 0|5|10 1s..64s*2 max pageout'")
    .option('--max_refault <percent>', 'refault budget: refaulted bytes as a percent of the bytes moved out', parsePercent, 10)
    .option('-s, --sample <us>', "sampling interval (default: the recording's, else 5ms)", parseTimeUs)
    .option('-a, --aggr <us>', "aggregation interval (default: the recording's, else 100ms)", parseTimeUs)
    .addOption(new Option('--ops <ops>', "operations set (default: the recording's, else vaddr)").choices(DAMON_OPS))
    .option('--top <n>', 'candidates to list', parsePositiveInteger, 10)
    .option('--raw_number', 'print sizes as plain integers (bytes)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Examples:
  $ damo schemes tune -i damon.data -t '4K max 0 0 1s..64s*2 max pageout'
  $ damo schemes tune -i damon.data -t 'min max 0 0|5|10 1s|5s|30s max pageout' --max_refault 5
  $ damo schemes tune -i damon.data -t '4K max 0 0 5s max pageout quota_sz=1M..64M*4 quota_reset=1s' --json`,
    )
    .action(async (opts: TuneCliOptions) => {
      const { runTuneCommand } = await import('../schemes/tune_command.js');
      const code = await runTuneCommand(ctx.io, {
        input: opts.input,
        strict: opts.strict === true,
        template: opts.template,
        maxRefaultPct: opts.max_refault,
        sampleUs: opts.sample,
        aggrUs: opts.aggr,
        ops: opts.ops,
        top: opts.top,
        rawNumber: opts.raw_number === true,
        json: opts.json === true,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
