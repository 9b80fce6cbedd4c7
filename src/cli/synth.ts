// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import { DEFAULT_INTERVALS } from '../core/damon_constants.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { parseNonNegativeInteger, parsePositiveInteger, parsePositiveTimeUs } from './values.js';

interface SynthOptions {
  out: string;
  snapshots: number;
  regions: number;
  targets: number;
  seed: number;
  // commander keeps snake_case option names as they are.
  aggr_us: number;
  sample_us: number;
}

export function registerSynth(program: Command, ctx: CommandContext): void {
  program
    .command('synth')
    .summary('write a synthetic recording (for trying reports without a kernel)')
    .description(
      'Write a deterministic synthetic recording in damo-ts format: a process-like address space\n' +
        'whose hot block (1/16 of the space) moves every 50 snapshots. The same --seed always\n' +
        'gives the same file, which makes it useful for tests, benchmarks and demos.',
    )
    .option('-o, --out <file>', 'output file', 'synthetic.data')
    .option('--snapshots <n>', 'number of snapshots (aggregation intervals)', parseNonNegativeInteger, 200)
    .option('--regions <n>', 'regions per snapshot', parseNonNegativeInteger, 100)
    .option('--targets <n>', 'number of monitoring targets', parsePositiveInteger, 1)
    .option('--seed <n>', 'random seed', parseNonNegativeInteger, 1)
    .option('--aggr_us <us>', 'aggregation interval in microseconds (or with a unit)', parsePositiveTimeUs, DEFAULT_INTERVALS.aggrUs)
    .option('--sample_us <us>', 'sampling interval in microseconds (or with a unit)', parsePositiveTimeUs, DEFAULT_INTERVALS.sampleUs)
    .addHelpText('after', '\nExamples:\n  $ damo synth -o demo.data --snapshots 600 --regions 200\n  $ damo report heats -i demo.data --heatmap stdout')
    .action(async (opts: SynthOptions) => {
      const { runSynthCommand } = await import('../format/synth_command.js');
      const code = await runSynthCommand(ctx.io, {
        out: opts.out,
        nrSnapshots: opts.snapshots,
        nrRegionsPerSnapshot: opts.regions,
        nrTargets: opts.targets,
        seed: opts.seed,
        aggrUs: opts.aggr_us,
        sampleUs: opts.sample_us,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
