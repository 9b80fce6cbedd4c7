/**
 * `damo record`: option parsing only; the recorder lives in src/record.
 */
import { Option, type Command } from 'commander';

import { DamoError } from '../core/errors.js';
import type { Ops } from '../core/model.js';
import { DEFAULT_ROOTS } from '../record/roots.js';
import type { CommandContext } from './context.js';
import { collectIntegers, parsePositiveInteger } from './options.js';

interface RecordCliOptions {
  out: string;
  output_type: string;
  output_permission: string;
  sample?: string;
  aggr?: string;
  updr?: string;
  monitoring_intervals?: string[];
  minr?: number;
  maxr?: number;
  monitoring_nr_regions_range?: string[];
  ops?: Ops;
  regions?: string[];
  target_pid?: number[];
  shell?: boolean;
  timeout?: string;
  source: string;
  primitive?: string;
  snapshot_interval?: string;
  sysfs_root?: string;
  tracefs_root?: string;
  debugfs_root?: string;
  quiet?: boolean;
  json?: boolean;
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
function rawArgsOf(cmd: Command): string[] {
  // Commander keeps the arguments it parsed in rawArgs (not in its type definitions).
  const raw = (cmd.parent as unknown as { rawArgs?: unknown } | null)?.rawArgs;
  return Array.isArray(raw) ? raw.map(String) : ['record'];
}

function octal(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new DamoError('E_USAGE', `--output_permission: '${value}' is not an octal file mode like 600 or 644`);
  return Number.parseInt(value, 8);
}

export function registerRecord(program: Command, ctx: CommandContext): void {
  program
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
    .option('--monitoring_intervals <times...>', 'sampling, aggregation and ops-update intervals, with units (default: 5ms 100ms 1s)')
    .option('-s, --sample <us>', 'sampling interval in microseconds (or with a unit)')
    .option('-a, --aggr <us>', 'aggregation interval in microseconds (or with a unit)')
    .option('-u, --updr <us>', 'ops-update interval in microseconds (or with a unit)')
    .option('--monitoring_nr_regions_range <nr...>', 'minimum and maximum number of regions (default: 10 1000)')
    .option('-n, --minr <nr>', 'minimum number of regions', parsePositiveInteger)
    .option('-m, --maxr <nr>', 'maximum number of regions', parsePositiveInteger)
    .addOption(new Option('--ops <ops>', 'DAMON operations set (default: paddr for paddr, fvaddr with -r, else vaddr)').choices(['vaddr', 'fvaddr', 'paddr']))
    .option('-r, --regions <ranges...>', 'fixed ranges to monitor, "<start>-<end>" (fvaddr and paddr)')
    .option('--target_pid <pid>', 'pid to record (repeatable), as an option', collectIntegers)
    .option('--shell', 'run the command through /bin/sh -c (for pipes, globs, variables)')
    .option('--timeout <seconds>', 'stop recording after this many seconds')
    .addOption(new Option('--source <source>', 'where snapshots come from').choices(['auto', 'tracefs', 'sysfs', 'debugfs', 'native']).default('auto'))
    .addOption(new Option('--primitive <primitive>', 'access-check primitive of the native engine').choices(['page_idle', 'soft_dirty', 'clear_refs']))
    .option('--snapshot_interval <time>', 'time between sysfs snapshots (default: the aggregation interval)')
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .option('--tracefs_root <dir>', 'tracefs mount point', DEFAULT_ROOTS.tracefs)
    .option('--debugfs_root <dir>', 'DAMON debugfs directory', DEFAULT_ROOTS.debugfs)
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', 'print a JSON summary on stdout at the end')
    .addHelpText('after', HELP_AFTER)
    .action(async (args: string[], opts: RecordCliOptions, cmd: Command) => {
      const [{ record, defaultDeps }, { parseTargetArgs }, units, { onInterrupt }, { RealKernelFs }] = await Promise.all([
        import('../record/recorder.js'),
        import('../record/target.js'),
        import('../record/units.js'),
        import('./signals.js'),
        import('../record/kfs.js'),
      ]);
      const intervals = { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 };
      if (opts.monitoring_intervals !== undefined) {
        if (opts.monitoring_intervals.length !== 3) throw new DamoError('E_USAGE', '--monitoring_intervals takes three values: <sample> <aggr> <ops_update>');
        const [s, a, u] = opts.monitoring_intervals as [string, string, string];
        intervals.sampleUs = units.parseTimeUs(s, '--monitoring_intervals');
        intervals.aggrUs = units.parseTimeUs(a, '--monitoring_intervals');
        intervals.opsUpdateUs = units.parseTimeUs(u, '--monitoring_intervals');
      }
      if (opts.sample !== undefined) intervals.sampleUs = units.parseTimeUs(opts.sample, '-s/--sample');
      if (opts.aggr !== undefined) intervals.aggrUs = units.parseTimeUs(opts.aggr, '-a/--aggr');
      if (opts.updr !== undefined) intervals.opsUpdateUs = units.parseTimeUs(opts.updr, '-u/--updr');
      const nrRegions = { min: 10, max: 1000 };
      if (opts.monitoring_nr_regions_range !== undefined) {
        const r = opts.monitoring_nr_regions_range;
        if (r.length !== 2) throw new DamoError('E_USAGE', '--monitoring_nr_regions_range takes two values: <min> <max>');
        [nrRegions.min, nrRegions.max] = r.map((x) => parsePositiveInteger(x)) as [number, number];
      }
      if (opts.minr !== undefined) nrRegions.min = opts.minr;
      if (opts.maxr !== undefined) nrRegions.max = opts.maxr;
      let timeoutSec: number | undefined;
      if (opts.timeout !== undefined) {
        timeoutSec = Number(opts.timeout);
        if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new DamoError('E_USAGE', `--timeout: '${opts.timeout}' is not a positive number of seconds`);
      }
      const target = parseTargetArgs(args, { shell: opts.shell === true, ...(opts.target_pid !== undefined ? { targetPids: opts.target_pid } : {}) });
      const io = ctx.io;
      const deps = defaultDeps(io, onInterrupt);
      if (ctx.debug()) deps.kfs = new RealKernelFs((op) => io.stderr.write(`damo: debug: ${op.op} ${op.path}${op.op === 'write' ? ` <- ${JSON.stringify(op.value)}` : ''}\n`));
      const result = await record(
        {
          out: opts.out,
          outputType: opts.output_type as 'protobuf',
          outputPermission: octal(opts.output_permission),
          target,
          ops: opts.ops,
          regions: opts.regions !== undefined ? units.parseRegions(opts.regions) : null,
          intervals,
          nrRegions,
          source: opts.source as 'auto',
          primitive: opts.primitive as 'clear_refs' | undefined,
          timeoutSec,
          snapshotIntervalUs: opts.snapshot_interval !== undefined ? units.parseTimeUs(opts.snapshot_interval, '--snapshot_interval') : undefined,
          quiet: opts.quiet === true,
          json: opts.json === true,
          roots: { sysfs: opts.sysfs_root ?? DEFAULT_ROOTS.sysfs, tracefs: opts.tracefs_root ?? DEFAULT_ROOTS.tracefs, debugfs: opts.debugfs_root ?? DEFAULT_ROOTS.debugfs },
          argv: ['damo', ...rawArgsOf(cmd)],
        },
        deps,
      );
      if (result.exitCode !== 0) {
        const { ExitCode } = await import('./main.js');
        throw new ExitCode(result.exitCode);
      }
    });
}
