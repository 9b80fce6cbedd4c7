/**
 * `damo record`: option parsing only; the recorder lives in src/record.
 */
import { Option, type Command } from 'commander';

import { DamoError } from '../core/errors.js';
import type { CommandContext } from './context.js';
import { addMonitoringOptions, resolveMonitoring, type MonitoringCliOptions } from './monitoring.js';

interface RecordCliOptions extends MonitoringCliOptions {
  out: string;
  output_type: string;
  output_permission: string;
  source: string;
  snapshot_interval?: string;
}

const HELP_AFTER = `
Targets:
  <command> [args...]   run the command and record it until it exits; put '--' before it
                        so its options are not taken as ours (no shell unless --shell)
  <pid> [<pid>...]      record running processes until they all exit (or --timeout/Ctrl-C)
  paddr                 record physical memory (the largest System RAM block unless -r
                        gives ranges)

Sources (--source, default auto, tried in this order):
  tracefs   our own kdamond (sysfs) + the damon:damon_aggregated tracepoint in a tracefs
            instance of our own: every aggregation, complete, cheap (needs tracefs mounted)
  sysfs     our own kdamond with a 'stat' scheme; snapshots of its tried regions every
            aggregation interval or --snapshot_interval (Linux 6.2+)
  debugfs   the legacy DAMON debugfs interface plus the tracepoint (Linux 5.15-6.13)
  native    our user-space DAMON engine; --primitive page_idle, soft_dirty or
            clear_refs (default: the best available here; paddr needs page_idle)
  Kernel sources need root, never modify a kdamond they did not create, and undo every
  change when the recording ends, however it ends (a guardian process even undoes them
  if the recorder is killed with SIGKILL).

Ending: the target exits, --timeout passes, Ctrl-C (exit 130) or SIGTERM (exit 143). The
trace is written while recording; an interrupted recording is complete up to that moment.

Examples:
  $ damo record -o damon.data -- ./workload --its-args
  $ damo record "sleep 5"                     # damo-style single string
  $ damo record --timeout 30 1234             # a running process, for 30 seconds
  $ damo record --monitoring_intervals 5ms 100ms 1s --monitoring_nr_regions_range 10 1000 -- ./app
  $ damo record --source native --primitive clear_refs -- ./app
  $ damo record paddr --timeout 10
  $ damo report heats -i damon.data --heatmap stdout`;

/** The command line as typed, for the trace header's provenance. */
export function rawArgsOf(cmd: Command): string[] {
  // Commander keeps the arguments it parsed in rawArgs (not in its type definitions).
  const raw = (cmd.parent as unknown as { rawArgs?: unknown } | null)?.rawArgs;
  return Array.isArray(raw) ? raw.map(String) : ['record'];
}

function octal(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new DamoError('E_USAGE', `--output_permission: '${value}' is not an octal file mode like 600 or 644`);
  return Number.parseInt(value, 8);
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
    .addOption(new Option('--output_type <type>', 'output format').choices(['protobuf', 'json_compressed', 'json', 'perf_script', 'legacy']).default('protobuf'))
    .option('--output_permission <mode>', 'octal file mode of the output', '600')
    .addOption(new Option('--source <source>', 'where snapshots come from').choices(['auto', 'tracefs', 'sysfs', 'debugfs', 'native']).default('auto'))
    .option('--snapshot_interval <time>', 'time between sysfs snapshots (default: the aggregation interval)');
  addMonitoringOptions(cmd, 'print a JSON summary on stdout at the end')
    .addHelpText('after', HELP_AFTER)
    .action(async (args: string[], opts: RecordCliOptions, c: Command) => {
      const [{ record, defaultDeps }, units, { onInterrupt }, { RealKernelFs }] = await Promise.all([
        import('../record/recorder.js'),
        import('../record/units.js'),
        import('./signals.js'),
        import('../record/kfs.js'),
      ]);
      const m = await resolveMonitoring(args, opts);
      const io = ctx.io;
      const deps = defaultDeps(io, onInterrupt);
      if (ctx.debug()) deps.kfs = new RealKernelFs((op) => io.stderr.write(`damo: debug: ${op.op} ${op.path}${op.op === 'write' ? ` <- ${JSON.stringify(op.value)}` : ''}\n`));
      const result = await record(
        {
          out: opts.out,
          outputType: opts.output_type as 'protobuf',
          outputPermission: octal(opts.output_permission),
          target: m.target,
          ops: opts.ops,
          regions: m.regions,
          intervals: m.intervals,
          nrRegions: m.nrRegions,
          source: opts.source as 'auto',
          primitive: opts.primitive as 'clear_refs' | undefined,
          timeoutSec: m.timeoutSec,
          snapshotIntervalUs: opts.snapshot_interval !== undefined ? units.parseTimeUs(opts.snapshot_interval, '--snapshot_interval') : undefined,
          quiet: opts.quiet === true,
          json: opts.json === true,
          roots: m.roots,
          argv: ['damo', ...rawArgsOf(c)],
        },
        deps,
      );
      if (result.exitCode !== 0) {
        const { ExitCode } = await import('./exit_code.js');
        throw new ExitCode(result.exitCode);
      }
    });
}
