// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo record`: option parsing only; it runs in src/record/record_command.ts.
 */
import { Option, type Command } from './commander.js';

import { DamoError } from '../core/errors.js';
import { formatForOutputName, OUTPUT_FORMATS, type OutputFormat } from '../format/output_formats.js';
import type { IntervalsGoal } from '../core/model.js';
import type { RecordPrimitive } from '../native/primitives.js';
import { SOURCE_CHOICES, TRACE_READER_ENV } from '../record/source_names.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { intervalsAutotuneOption, intervalsGoalOption, singleIntervalsGoalOf } from './damon_params_options.js';
import { addMonitoringOptions, rawArgsOf, resolveMonitoring, type MonitoringCliOptions } from './monitoring.js';
import { DAMON_INTERFACES, parseFileMode, parseTimeUs, RECORD_SOURCE_ENV, recordSource, sourceForDamonInterface, type DamonInterface } from './values.js';

interface RecordCliOptions extends MonitoringCliOptions, DamosCliOptions {
  schemes?: string;
  out: string;
  output_type?: OutputFormat;
  output_permission: number;
  source: string;
  snapshot_interval?: number;
  damon_interface_DEPRECATED?: DamonInterface;
  monitoring_intervals_goal?: string[][];
  monitoring_intervals_autotune?: boolean;
}

const HELP_AFTER = `
Targets:
  <command> [args...]   run the command and record it until it exits; put '--' before it
                        so its options are not taken as ours (no shell unless --shell)
  <pid> [<pid>...]      record running processes until they all exit (or --timeout/Ctrl-C)
  paddr                 record physical memory (the largest System RAM block unless -r
                        gives ranges)
  ongoing               record the kdamond that already runs (whoever started it, e.g.
                        'damo start'), read only, through a tracefs instance of our own,
                        until it stops, --timeout or Ctrl-C

Sources (--source, default auto or $${RECORD_SOURCE_ENV} when set; auto tries them in this order):
  tracefs   our own kdamond (sysfs) + the damon:damon_aggregated tracepoint in a tracefs
            instance of our own: every aggregation, complete, cheap (needs tracefs mounted);
            read as the binary pages of per_cpu/cpuN/trace_pipe_raw, or as the text of
            trace_pipe when those cannot be decoded or $${TRACE_READER_ENV}=text
  sysfs     our own kdamond with a 'stat' scheme; snapshots of its tried regions every
            aggregation interval or --snapshot_interval (Linux 6.2+)
  debugfs   the legacy DAMON debugfs interface plus the tracepoint (Linux 5.15-6.13)
  native    our user-space DAMON engine; --primitive page_idle, soft_dirty or
            clear_refs (default: the best available here; paddr needs page_idle)
  Kernel sources need root, never modify a kdamond they did not create, and undo every
  change when the recording ends, however it ends (a guardian process even undoes them
  if the recorder is killed with SIGKILL).

Schemes (-c or the --damos_* flags, as damo's record takes them): our sysfs kdamond applies
them while it records, as 'damo schemes -c ... -o <file>' does, and the trace keeps their
statistics (damo-ts traces only; convert afterwards). The native engine and DAMON debugfs
do not take them here ('damo schemes --backend native|debugfs' does). A scheme part this
kernel lacks (e.g. quota goals before Linux 6.8) is refused before monitoring starts.

Ending: the target exits, --timeout passes, Ctrl-C (exit 130) or SIGTERM (exit 143). The
trace is written while recording; an interrupted recording is complete up to that moment.

Examples:
  $ damo record -o damon.data -- ./workload --its-args
  $ damo record "sleep 5"                     # damo-style single string
  $ damo record --timeout 30 1234             # a running process, for 30 seconds
  $ damo record --monitoring_intervals 5ms 100ms 1s --monitoring_nr_regions_range 10 1000 -- ./app
  $ damo record --source native --primitive clear_refs -- ./app
  $ damo record paddr --timeout 10
  $ damo record paddr --timeout 60 --monitoring_intervals_autotune   # DAMON tunes the intervals (Linux 6.15+)
  $ damo record paddr --timeout 60 --damos_action pageout --damos_access_rate 0% 0% --damos_age 30s max \\
        --damos_quotas 10ms 100M 1s --damos_quota_goal some_mem_psi_us 1ms   # and reclaim meanwhile (kernel sysfs)
  $ damo report heats -i damon.data --heatmap stdout`;

/**
 * The format of `-o FILE`: --output_type, else what the file name says (`-o x.json` writes
 * damo json). A name that says one format while --output_type asks another is refused:
 * the file would not be what its name promises.
 */
export function outputTypeFor(out: string, asked: OutputFormat | undefined, askedBy = `--output_type ${asked}`): OutputFormat {
  const named = formatForOutputName(out);
  if (asked === undefined) return named;
  if (named !== 'protobuf' && named !== asked) {
    const plain = `${out.replace(/\.[^./]*$/, '')}.data`;
    throw new DamoError('E_USAGE', `-o ${out} names a ${named} file, but ${askedBy} writes ${asked}`, {
      hint: `give a name that does not end like a ${named} file (e.g. -o ${plain})${askedBy.startsWith('--') ? `, or drop ${askedBy.split(' ')[0]} to write ${named}` : `, and 'damo convert -i ${plain} -o ${out}' afterwards`}`,
    });
  }
  return asked;
}

/** The recording kdamond's intervals goal, when the flags give one. */
function intervalsGoalOf(opts: RecordCliOptions): { intervalsGoal?: IntervalsGoal } {
  const goal = singleIntervalsGoalOf(opts, 'damo record');
  return goal === undefined ? {} : { intervalsGoal: goal };
}

export function registerRecord(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('record')
    .summary('record the data accesses of a command, processes or physical memory')
    .description(
      'Record how a workload accesses memory with kernel DAMON (tracefs stream, sysfs snapshots or ' +
        "debugfs) or with damo-ts's own user-space DAMON engine, into a trace file that " +
        "'damo report' reads. The trace is streamed to disk while recording.",
    )
    .argument('[target...]', "command and its arguments, pid(s), or 'paddr'")
    .option('-o, --out <file>', 'output file (an existing one is renamed to <file>.old)', 'damon.data')
    .addOption(new Option('--output_type <type>', 'output format (default: from the name given to -o, as damo convert does: *.json is json, ...; else protobuf)').choices(OUTPUT_FORMATS))
    .addOption(new Option('--output_permission <mode>', 'octal file mode of the output').argParser(parseFileMode).default(0o600, '600'))
    .addOption(new Option('--source <source>', 'where snapshots come from').choices(['auto', ...SOURCE_CHOICES]).default('auto'))
    .option('--snapshot_interval <time>', 'time between sysfs snapshots (default: the aggregation interval)', parseTimeUs)
    .addOption(new Option('--damon_interface_DEPRECATED <interface>', "damo's DAMON interface choice: debugfs means --source debugfs, sysfs a sysfs-controlled source (tracefs or sysfs), auto changes nothing").choices(DAMON_INTERFACES));
  addMonitoringOptions(cmd, 'print a JSON summary on stdout at the end')
    .addOption(intervalsGoalOption('the recording kdamond', '; kernel DAMON through sysfs only: the tracefs and sysfs sources'))
    .addOption(intervalsAutotuneOption('the recording kdamond'))
    .option('-c, --schemes <file>', "schemes for the recording kdamond to apply while it records, as damo's record takes them (kernel DAMON through sysfs only): a file (damo JSON or the one-line language), or the scheme text itself");
  addDamosOptions(cmd)
    .addHelpText('after', HELP_AFTER)
    .action(async (args: string[], opts: RecordCliOptions, c: Command) => {
      const [{ resolveRequest }, { runRecordCommand }, { onInterrupt }] = await Promise.all([
        import('../record/request.js'),
        import('../record/record_command.js'),
        import('./signals.js'),
      ]);
      const m = resolveMonitoring(args, opts);
      const schemes = await schemesOfOptions(opts);
      const req = resolveRequest({
        out: opts.out,
        outputType: outputTypeFor(opts.out, opts.output_type),
        outputPermission: opts.output_permission,
        target: m.target,
        ops: opts.ops,
        regions: m.regions,
        intervals: m.intervals,
        ...intervalsGoalOf(opts),
        nrRegions: m.nrRegions,
        source: sourceForDamonInterface(opts.damon_interface_DEPRECATED, recordSource(opts.source, c.getOptionValueSource('source') !== 'default', ctx.io.env)),
        primitive: opts.primitive as RecordPrimitive | undefined,
        timeoutSec: m.timeoutSec,
        snapshotIntervalUs: opts.snapshot_interval,
        quiet: opts.quiet === true,
        json: opts.json === true,
        roots: m.roots,
        argv: ['damo', ...rawArgsOf(c)],
        ...(schemes === undefined ? {} : { schemes: { schemes, name: opts.schemes === undefined ? 'the --damos_* flags' : '-c', backend: 'sysfs' as const, statsIntervalMs: 1000, command: 'record' as const } }),
      });
      const code = await runRecordCommand(ctx.io, req, { onInterrupt, debug: ctx.debug() });
      if (code !== 0) throw new ExitCode(code);
    });
}
