/**
 * Pictures for `report wss --plot FILE` and `report nr_regions --plot FILE`. damo plotted
 * the printed percentile lines with gnuplot (x: percentile, or 'runtime (percent)' with
 * --sortby time); we draw the whole distribution the report computed: every value, so the
 * curve's shape shows even with the default five percentiles.
 */
import { note, type CliIO } from '../core/io.js';
import { linePlotSvg, type LineSeries } from '../plot/lines.js';
import { writeImage } from '../plot/render.js';

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

export function distributionPlotSvg(p: DistributionPlotInput): string {
  const series: LineSeries[] = p.lists.map((l) => ({ name: l.name, xs: percentAxis(l.values.length), ys: l.values }));
  const file = p.inputPath.split('/').pop() ?? p.inputPath;
  const what = p.kind === 'wss' ? 'Working set size' : 'Number of DAMON regions';
  const how = p.sortby === 'size' ? 'distribution over snapshots' : 'over time';
  const nrSnapshots = Math.max(0, ...p.lists.map((l) => l.values.length));
  return linePlotSvg({
    series,
    title: `${what}, ${how}`,
    subtitle: `${file} · ${nrSnapshots} snapshots${p.note ? ` · ${p.note}` : ''}`,
    xTitle: p.sortby === 'size' ? 'percentile of snapshots' : 'runtime (%)',
    yTitle: p.kind === 'wss' ? 'working set size' : 'regions',
    yKind: p.kind === 'wss' ? 'bytes' : 'count',
  });
}

/** Renders the plot into `path` (.png, .svg or .pdf); returns the bytes written. */
export async function writeDistributionPlot(path: string, p: DistributionPlotInput): Promise<number> {
  return writeImage(path, distributionPlotSvg(p));
}

/**
 * `--plot FILE` of `report wss` / `report nr_regions`: one curve per list the report
 * computed (one collapsed list by default, one per target with --per_target).
 */
export async function plotDistributions(
  io: CliIO,
  path: string,
  kind: 'wss' | 'nr_regions',
  inputPath: string,
  sortby: 'size' | 'time',
  dists: ReadonlyArray<{ targetId: bigint | string | null; values: ArrayLike<number> }>,
): Promise<void> {
  const lists = dists.map((d) => ({
    name: d.targetId === null || d.targetId === 'None' ? 'target (no id)' : `target_id ${String(d.targetId)}`,
    values: d.values,
  }));
  const bytes = await writeDistributionPlot(path, { kind, lists, sortby, inputPath });
  note(io, `wrote ${path} (${bytes} bytes)`);
}
