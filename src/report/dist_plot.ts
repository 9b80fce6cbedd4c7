// SPDX-License-Identifier: GPL-2.0-only
/**
 * Pictures for `report wss --plot [FILE]` and `report nr_regions --plot [FILE]`: an image
 * file, or with no file the same chart drawn in the terminal. damo plotted
 * the printed percentile lines with gnuplot (x: percentile, or 'runtime (percent)' with
 * --sortby time); we draw the whole distribution the report computed: every value, so the
 * curve's shape shows even with the default five percentiles.
 */
import { note, writeResult, type CliIO } from '../core/io.js';
import { linePlotSvg, type LinePlotInput, type LineSeries } from '../plot/lines.js';
import { writeImage } from '../plot/render.js';
import { linePlotText } from '../plot/text_lines.js';

export interface DistributionPlotInput {
  kind: 'wss' | 'nr_regions';
  /** One list per target (or one collapsed list), in the report's order. */
  lists: Array<{ name: string; values: ArrayLike<number> }>;
  /** 'size': values ascending (a distribution); 'time': snapshot order (a time series). */
  sortby: 'size' | 'time';
  inputPath: string;
  /** e.g. the aggregation the values were computed over; shown under the title. */
  note?: string;
}

/** x positions 0..100 for n values: percentile (sorted) or share of the runtime (time order). */
function percentAxis(count: number): Float64Array {
  const xs = new Float64Array(count);
  for (let i = 0; i < count; i++) xs[i] = count === 1 ? 0 : (100 * i) / (count - 1);
  return xs;
}

/** The chart both forms draw: series, titles and axis kinds. */
function distributionLinePlot(p: DistributionPlotInput): LinePlotInput {
  const series: LineSeries[] = p.lists.map((l) => ({ name: l.name, xs: percentAxis(l.values.length), ys: l.values }));
  const file = p.inputPath.split('/').pop() ?? p.inputPath;
  const what = p.kind === 'wss' ? 'Working set size' : 'Number of DAMON regions';
  const how = p.sortby === 'size' ? 'distribution over snapshots' : 'over time';
  const nrSnapshots = Math.max(0, ...p.lists.map((l) => l.values.length));
  return {
    series,
    title: `${what}, ${how}`,
    subtitle: `${file} · ${nrSnapshots} snapshots${p.note ? ` · ${p.note}` : ''}`,
    xTitle: p.sortby === 'size' ? 'percentile of snapshots' : 'runtime (%)',
    yTitle: p.kind === 'wss' ? 'working set size' : 'regions',
    yKind: p.kind === 'wss' ? 'bytes' : 'count',
  };
}

export function distributionPlotSvg(p: DistributionPlotInput): string {
  return linePlotSvg(distributionLinePlot(p));
}

/** Columns when stdout is not a terminal (a pipe, a file, a CI log). */
const PIPE_COLUMNS = 80;
/** Plot rows: enough to read a curve, few enough to leave the title and axes on screen. */
const MAX_PLOT_ROWS = 20;
/** Lines around the plot area: title, subtitle, y title, x axis, x labels, x title, prompt. */
const FRAME_LINES = 7;

/** The chart in the terminal: as wide as the terminal, 80 columns when not a terminal. */
export function distributionPlotText(io: CliIO, p: DistributionPlotInput): string {
  const onTerminal = io.stdoutIsTTY && io.columns !== undefined;
  const columns = onTerminal ? io.columns! : PIPE_COLUMNS;
  const rows = onTerminal && io.rows !== undefined ? Math.min(MAX_PLOT_ROWS, io.rows - FRAME_LINES) : MAX_PLOT_ROWS;
  return linePlotText(distributionLinePlot(p), { columns, rows });
}

/** Renders the plot into `path` (.png, .svg or .pdf); returns the bytes written. */
export async function writeDistributionPlot(path: string, p: DistributionPlotInput): Promise<number> {
  return writeImage(path, distributionPlotSvg(p));
}

/**
 * `--plot [FILE]` of `report wss` / `report nr_regions`: one curve per list the report
 * computed (one collapsed list by default, one per target with --per_target). Without a
 * file (`path` true) the chart goes to stdout and one line on stderr says how to save it.
 */
export async function plotDistributions(
  io: CliIO,
  path: string | true,
  kind: 'wss' | 'nr_regions',
  inputPath: string,
  sortby: 'size' | 'time',
  dists: ReadonlyArray<{ targetId: bigint | string | null; values: ArrayLike<number> }>,
): Promise<void> {
  const lists = dists.map((d) => ({
    name: d.targetId === null || d.targetId === 'None' ? 'target (no id)' : `target_id ${String(d.targetId)}`,
    values: d.values,
  }));
  if (path === true) {
    await writeResult(io, distributionPlotText(io, { kind, lists, sortby, inputPath }));
    note(io, 'to save this plot as an image: --plot FILE.png|svg|pdf');
    return;
  }
  const bytes = await writeDistributionPlot(path, { kind, lists, sortby, inputPath });
  note(io, `wrote ${path} (${bytes} bytes)`);
}
