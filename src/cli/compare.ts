import { InvalidArgumentError, type Command } from 'commander';

import type { CommandContext } from './context.js';
import { note, TextOut, warn } from './io.js';
import { ExitCode } from './exit_code.js';
import { collectIntegers, parseNonNegativeInteger, parsePositiveInteger } from './values.js';

interface CompareCliOptions {
  mapping?: string;
  target_a: number;
  target_b?: number;
  resol?: number[];
  hot_threshold: number;
  percentiles?: number[];
  acc_thres: number;
  work_time?: number;
  json?: boolean;
  strict?: boolean;
  max_wss_error?: number;
  min_correlation?: number;
  min_recall?: number;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError(`'${value}' is not a number in (0, 1].`);
  return n;
}

function correlation(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -1 || n > 1) throw new InvalidArgumentError(`'${value}' is not a number in [-1, 1].`);
  return n;
}

function percent(value: string): number {
  const n = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative percentage.`);
  return n;
}

export function registerCompare(program: Command, ctx: CommandContext): void {
  program
    .command('compare')
    .summary('score how closely one recording matches another (e.g. a replay against its original)')
    .description(
      'Score recording B against recording A: the working set size at percentiles (damo\'s ' +
        'definition: bytes of regions with nr_accesses >= --acc_thres, per snapshot), the Pearson ' +
        'correlation of their heatmaps on one time x address grid (gaps between areas dropped), ' +
        "and the recall of A's hot cells in B.\n\n" +
        'With --mapping (written by `damo replay`), B is a recording of the replay: its addresses ' +
        "and times are first mapped back into A's. Without it, both are taken to be of the same " +
        'address space, aligned at their first snapshots.',
    )
    .argument('<a>', 'reference recording (e.g. the original trace)')
    .argument('<b>', 'recording to score (e.g. a recording of its replay)')
    .option('--mapping <file>', 'replay mapping from `damo replay --mapping`, to put B into A\'s coordinates')
    .option('--target_a <index>', 'target of A to compare', parseNonNegativeInteger, 0)
    .option('--target_b <index>', 'target of B (default: the mapping\'s pid, else 0)', parseNonNegativeInteger)
    .option('--resol <n...>', 'heatmap grid: <time bins> <address bins> (default: one bin per snapshot of A up to 500, and 200)', collectIntegers)
    .option('--hot_threshold <f>', 'a pixel is hot at this fraction of its recording\'s hottest pixel', fraction, 0.5)
    .option('--percentiles <p...>', 'working set percentiles to compare (default 10 25 50 75 90)', collectIntegers)
    .option('--acc_thres <n>', 'nr_accesses from which a region counts in the working set', parsePositiveInteger, 1)
    .option('--work_time <us>', "compare working sets of snapshot groups spanning at least this many microseconds (damo's --work_time), for recordings with different aggregation intervals", parsePositiveInteger)
    .option('--json', 'print the result as JSON')
    .option('--strict', 'fail on truncated recordings')
    .option('--max_wss_error <pct>', 'exit 1 if any working-set percentile error exceeds this (in %)', percent)
    .option('--min_correlation <r>', 'exit 1 if the heatmap correlation is below this', correlation)
    .option('--min_recall <r>', 'exit 1 if the hot-region recall is below this', fraction)
    .addHelpText(
      'after',
      `
Examples:
  $ damo compare kernel.data native.data
  $ damo compare orig.data replayed.data --mapping map.json --json
  $ damo compare orig.data replayed.data --mapping map.json --max_wss_error 10 --min_correlation 0.8`,
    )
    .action(async (a: string, b: string, opts: CompareCliOptions) => {
      const resol = opts.resol;
      if (resol !== undefined && (resol.length !== 2 || resol.some((n) => n <= 0 || n > 4000))) {
        throw new ExitCode(usage(ctx, '--resol takes two numbers in [1, 4000]: <time bins> <address bins>'));
      }
      const percentiles = opts.percentiles ?? [10, 25, 50, 75, 90];
      if (percentiles.some((p) => p < 0 || p > 100)) throw new ExitCode(usage(ctx, '--percentiles must be in [0, 100]'));
      const { openForReport } = await import('../format/open_for_report.js');
      const { compareTraces, formatCompareText } = await import('../replay/compare.js');
      const { readMapping } = await import('../replay/mapping.js');
      const traceA = await openForReport(ctx.io, a, { strict: opts.strict === true, showsAddresses: true });
      const traceB = await openForReport(ctx.io, b, { strict: opts.strict === true, showsAddresses: true });
      const mapping = opts.mapping === undefined ? null : await readMapping(opts.mapping);
      let timeBins = resol?.[0];
      if (timeBins === undefined) {
        let n = 0;
        for await (const s of traceA.snapshots()) if (s.targetIndex === opts.target_a) n++;
        timeBins = Math.max(1, Math.min(500, n));
      }
      const result = await compareTraces(traceA, traceB, {
        mapping,
        targetA: opts.target_a,
        ...(opts.target_b === undefined ? {} : { targetB: opts.target_b }),
        timeBins,
        addrBins: resol?.[1] ?? 200,
        hotThreshold: opts.hot_threshold,
        percentiles,
        accThres: opts.acc_thres,
        ...(opts.work_time === undefined ? {} : { workTimeUs: opts.work_time }),
      });
      for (const w of result.warnings) warn(ctx.io, w);
      const out = new TextOut(ctx.io.stdout);
      if (opts.json === true) {
        await out.write(JSON.stringify({ ...result, mappingFile: opts.mapping ?? null }, null, 2) + '\n');
      } else {
        await out.write(formatCompareText(result, opts.mapping ?? null));
      }
      await out.flush();

      const failures: string[] = [];
      if (opts.max_wss_error !== undefined) {
        for (const row of result.wss.percentiles) {
          if (row.errorPct === null || Math.abs(row.errorPct) > opts.max_wss_error) {
            failures.push(`working set error at p${row.percentile} is ${row.errorPct === null ? 'undefined' : `${row.errorPct.toFixed(2)}%`} (limit ${opts.max_wss_error}%)`);
          }
        }
      }
      const corr = result.heatmap.correlation;
      if (opts.min_correlation !== undefined && (corr === null || corr < opts.min_correlation)) {
        failures.push(`heatmap correlation ${corr === null ? 'undefined' : corr.toFixed(3)} is below ${opts.min_correlation}`);
      }
      const recall = result.hot.recall;
      if (opts.min_recall !== undefined && (recall === null || recall < opts.min_recall)) {
        failures.push(`hot-region recall ${recall === null ? 'undefined' : recall.toFixed(3)} is below ${opts.min_recall}`);
      }
      if (failures.length > 0) {
        for (const f of failures) note(ctx.io, `fidelity check failed: ${f}`);
        throw new ExitCode(1);
      }
    });
}

function usage(ctx: CommandContext, message: string): number {
  ctx.io.stderr.write(`damo: ${message}\n`);
  return 2;
}
