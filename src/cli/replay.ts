// SPDX-License-Identifier: GPL-2.0-only
import { join } from 'node:path';

import type { Command } from 'commander';

import { projectRoot } from '../core/version.js';

import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { parseDelayNs, parseNonNegativeInteger, parsePositiveInteger, parsePositiveNumber, parsePositiveSize } from './values.js';

interface ReplayOptions {
  input: string;
  target: number;
  time_scale: number;
  max_memory?: number;
  seed: number;
  threads?: number;
  start_delay: number;
  vma_bytes?: number;
  mapping?: string;
  plan_out?: string;
  keep_cold?: boolean;
  thp?: boolean;
  check_rss?: boolean;
  check_referenced?: boolean;
  json?: boolean;
  strict?: boolean;
  quiet?: boolean;
}

export function registerReplay(program: Command, ctx: CommandContext): void {
  program
    .command('replay')
    .summary('turn a recording back into a real workload that touches memory the same way')
    .description(
      'Replay a recording: a native process (damo_replay) maps memory laid out like the ' +
        "recording's address ranges (gaps between areas dropped; scaled down proportionally to fit " +
        '--max_memory) and, for each snapshot, writes every page of each region in as many sampling ' +
        "intervals as the region's nr_accesses, on worker threads. Idle memory is released each " +
        "snapshot, so the process's resident set follows the recording's working set. The same " +
        '--seed gives the same replay.\n\n' +
        'The mapping between recording and replay addresses and times (--mapping FILE) lets ' +
        '`damo compare` score a recording of the replay against the original. docs/REPLAY.md ' +
        'explains the method, the checks and the file formats.',
    )
    .option('-i, --input <file>', 'recording to replay', 'damon.data')
    .option('--target <index>', 'which target of the recording to replay', parseNonNegativeInteger, 0)
    .option('--time_scale <x>', 'replay time per trace time: 2 = twice as slow, 0.5 = twice as fast', parsePositiveNumber, 1)
    .option('--max_memory <size>', 'most memory the replay may map (default: 1G or half the available memory)', parsePositiveSize)
    .option('--seed <n>', 'random seed (touch phases); the same seed gives the same replay', parseNonNegativeInteger, 1)
    .option('--threads <n>', 'worker threads (default: CPUs, at most 4)', parsePositiveInteger)
    .option('--start_delay <time>', 'wait this long after mapping before replaying (time for a recorder to attach)', parseDelayNs, 0)
    .option('--vma_bytes <size>', 'split the replay memory into mappings of at most this size, so access checks that answer per mapping (clear_refs) can locate accesses', parsePositiveSize)
    .option('--mapping <file>', 'write the trace-to-replay address and time mapping (JSON) to this file')
    .option('--plan_out <file>', 'write the plan to this file and exit instead of running it')
    .option('--keep_cold', 'never release idle memory (resident memory then grows to the footprint)')
    .option('--thp', 'allow transparent huge pages on the replay memory (default: 4 KiB pages only)')
    .option('--check_rss', "sample the replay's resident memory each snapshot and score it against the working set")
    .option(
      '--check_referenced',
      'also reset its accessed bits (/proc/PID/clear_refs) each snapshot and score the bytes it touched; not while recording it with clear_refs or soft_dirty',
    )
    .option('--json', 'print the summary as JSON')
    .option('--strict', 'fail on a truncated or damaged recording instead of replaying its intact frames')
    .option('-q, --quiet', 'no notes on stderr')
    .addHelpText(
      'after',
      `
Examples:
  $ damo synth -o demo.data --snapshots 100
  $ damo replay -i demo.data --check_rss
  $ damo replay -i damon.data --max_memory 256M --time_scale 2 --mapping map.json

Record a replay and compare it with the original:
  $ damo replay -i demo.data --start_delay 2 --mapping map.json &   # prints the pid on stderr
  $ damo record -o replayed.data <pid>
  $ damo compare demo.data replayed.data --mapping map.json

Or record the generator as a command:
  $ damo replay -i demo.data --plan_out demo.plan --mapping map.json
  $ damo record -o replayed.data -- ${join(projectRoot(), 'build', 'Release', 'damo_replay')} --plan demo.plan --mapping map.json`,
    )
    .action(async (opts: ReplayOptions) => {
      const [{ runReplayCommand }, { onInterrupt }] = await Promise.all([import('../replay/replay_command.js'), import('./signals.js')]);
      const code = await runReplayCommand(
        ctx.io,
        {
          input: opts.input,
          target: opts.target,
          timeScale: opts.time_scale,
          ...(opts.max_memory === undefined ? {} : { maxMemoryBytes: opts.max_memory }),
          seed: opts.seed,
          ...(opts.threads === undefined ? {} : { threads: opts.threads }),
          startDelayNs: opts.start_delay,
          ...(opts.vma_bytes === undefined ? {} : { vmaBytes: opts.vma_bytes }),
          ...(opts.mapping === undefined ? {} : { mapping: opts.mapping }),
          ...(opts.plan_out === undefined ? {} : { planOut: opts.plan_out }),
          keepCold: opts.keep_cold === true,
          thp: opts.thp === true,
          checkRss: opts.check_rss === true,
          checkReferenced: opts.check_referenced === true,
          json: opts.json === true,
          strict: opts.strict === true,
          quiet: opts.quiet === true,
        },
        onInterrupt,
      );
      if (code !== 0) throw new ExitCode(code);
    });
}
