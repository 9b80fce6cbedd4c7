/**
 * `damo report schemes -i TRACE -c SCHEMES` and its alias `damo simulate`: what the schemes
 * would have done to the recorded workload, by the kernel's rules.
 */
import { Option, type Command } from 'commander';

import { DamoError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { note } from '../io.js';
import { parseNonNegativeInteger } from '../values.js';
import { addInputOptions, openInput, parseUsOption, writeText } from './common.js';

interface SimulateCliOptions {
  input: string;
  strict?: boolean;
  schemes: string;
  sample?: number;
  aggr?: number;
  ops?: 'vaddr' | 'fvaddr' | 'paddr';
  rows: number;
  raw_number?: boolean;
  json?: boolean;
  plot?: string;
}

const DESCRIPTION =
  'Replay a recording one aggregation interval at a time and apply the schemes to its regions ' +
  "with the kernel's rules: inclusive access-pattern bounds, age reset when a non-stat action " +
  'applies, size/time quotas spent on the regions the kernel would prioritise, charge windows, ' +
  'addr/target filters, apply intervals. Prints, per scheme, the kernel statistics (nr_tried, ' +
  'sz_tried, nr_applied, sz_applied, qt_exceeds) and the estimated effect: for pageout and cold, ' +
  'the bytes out of memory (or deactivated) over time and the bytes the recording shows accessed ' +
  'again afterwards (refaults); for hugepage/collapse, the bytes advised. What the recording ' +
  'cannot tell (page types for ops filters, free memory for watermarks) is named in notes.';

const EXAMPLES = `
Examples:
  $ damo report schemes -i damon.data -c '4K max 0 0 5s max pageout'
  $ damo simulate -i damon.data -c my.damos --rows 20
  $ damo simulate -i damon.data -c my.json --json | jq '.schemes[0].stats'
  $ damo simulate -i damon.data -c my.damos --plot effect.png
  $ damo simulate -i old.data -c my.damos -s 5ms -a 100ms   # recording without intervals`;

function addSimulateOptions(cmd: Command, ctx: CommandContext): Command {
  return addInputOptions(cmd)
    .requiredOption('-c, --schemes <file|text>', "schemes file (one-line language or damo JSON), or the scheme text itself")
    .option('-s, --sample <us>', 'sampling interval (default: the recording\'s, else 5ms)', parseUsOption)
    .option('-a, --aggr <us>', 'aggregation interval (default: the recording\'s, else 100ms)', parseUsOption)
    .addOption(new Option('--ops <ops>', "DAMON operations set whose actions and priorities to use (default: the recording's, else vaddr)").choices(['vaddr', 'fvaddr', 'paddr']))
    .option('--rows <n>', 'rows of the over-time table per scheme (0 for none)', parseNonNegativeInteger, 10)
    .option('--raw_number', 'print sizes as plain integers (bytes)')
    .option('--json', 'print one JSON document (bytes, ns) with the full timeline')
    .option('--plot <file>', 'draw applied bytes and estimated memory over time to FILE.png, FILE.svg or FILE.pdf')
    .addHelpText('after', EXAMPLES)
    .action(async (opts: SimulateCliOptions) => {
      await runSimulate(ctx, opts);
    });
}

async function runSimulate(ctx: CommandContext, opts: SimulateCliOptions): Promise<void> {
  if (opts.plot !== undefined) {
    const { imageFormatOf } = await import('../../plot/render.js');
    imageFormatOf(opts.plot);
  }
  const { loadSchemes } = await import('../../schemes/load.js');
  const { simulateTrace } = await import('../../schemes/simulate.js');
  const { formatSimulationText, simulationJson, simulationPlotSeries } = await import('../../schemes/report.js');
  const loaded = await loadSchemes(opts.schemes);
  const src = await openInput(ctx, opts.input, opts.strict === true);

  const rec = src.header.intervals;
  const sampleUs = opts.sample ?? rec?.sampleUs ?? 5000;
  const aggrUs = opts.aggr ?? rec?.aggrUs ?? 100000;
  if (!(sampleUs > 0) || !(aggrUs > 0)) throw new DamoError('E_USAGE', 'the sampling and aggregation intervals must be positive');
  if (sampleUs > aggrUs) {
    throw new DamoError('E_USAGE', `the sampling interval (${sampleUs} us) is longer than the aggregation interval (${aggrUs} us)`);
  }
  const intervalsSource = opts.sample !== undefined || opts.aggr !== undefined ? 'option' : rec !== null ? 'recording' : 'default';
  const ops = opts.ops ?? (src.header.ops !== '' ? src.header.ops : 'vaddr');
  const opsSource = opts.ops !== undefined ? 'option' : src.header.ops !== '' ? 'recording' : 'default';
  if (intervalsSource === 'default' && opts.json !== true) {
    note(ctx.io, `${opts.input} does not record its intervals; assuming sample 5 ms, aggregation 100 ms (set them with -s/-a)`);
  }

  const result = await simulateTrace(src, loaded.schemes, {
    intervals: { sampleUs, aggrUs },
    ops,
    minRegionSz: src.header.host?.pageSizeBytes ?? 4096,
  });
  if (result.nrSnapshots === 0) throw new DamoError('E_FORMAT', `${opts.input} has no snapshots to simulate on`);
  const simCtx = { input: opts.input, schemesName: loaded.name, intervalsSource, opsSource } as const;

  if (opts.plot !== undefined) {
    const { linePlotSvg } = await import('../../plot/lines.js');
    const { writeImage } = await import('../../plot/render.js');
    const svg = linePlotSvg({
      series: simulationPlotSeries(result),
      title: 'DAMOS simulation',
      subtitle: `${loaded.name} on ${opts.input}`,
      xTitle: 'time (s)',
      yTitle: 'bytes',
      yKind: 'bytes',
    });
    await writeImage(opts.plot, svg);
    if (opts.json !== true) note(ctx.io, `wrote ${opts.plot}`);
  }
  if (opts.json === true) {
    await writeText(ctx, `${JSON.stringify(simulationJson(result, simCtx), null, 2)}\n`);
  } else {
    await writeText(ctx, formatSimulationText(result, simCtx, { raw: opts.raw_number === true, rows: opts.rows }));
  }
}

export function registerReportSchemes(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('schemes')
    .summary('simulate DAMON-based operation schemes on a recording (alias: damo simulate)')
    .description(DESCRIPTION);
  addSimulateOptions(cmd, ctx);
}

/** `damo simulate`: the same command at the top level. */
export function registerSimulate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('simulate')
    .summary('simulate DAMON-based operation schemes on a recording (= damo report schemes)')
    .description(DESCRIPTION);
  addSimulateOptions(cmd, ctx);
}
