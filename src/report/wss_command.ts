// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report wss`: the distribution of working set sizes, as text (damo's), JSON or a plot.
 */
import { note, warn, writeResult, type CliIO } from '../core/io.js';
import { DamoError } from '../core/errors.js';
import { openForReport } from '../format/open_for_report.js';
import { LowAccessCounter, lowAccessShare, lowAccessWarning } from './low_access.js';
import { AggregationMean, meanAggregationNs, stretchWords } from './recorded_intervals.js';
import { formatWss, wssDists, wssJson, type WssOptions } from './wss.js';

export interface WssRequest {
  input: string;
  strict: boolean;
  options: WssOptions;
  json: boolean;
  /** Draw the distribution into this image instead of printing it; true: draw it in the terminal. */
  plot: string | true | undefined;
}

export async function runWssCommand(io: CliIO, r: WssRequest): Promise<number> {
  // A bad image name fails before a large recording is read; plotting (d3) loads only when asked for.
  if (typeof r.plot === 'string') (await import('../plot/render.js')).imageFormatOf(r.plot);
  if (r.plot === true && r.json) throw new DamoError('E_USAGE', '--json and --plot without a file both want stdout; choose one');
  const src = await openForReport(io, r.input, { strict: r.strict, streamDamoJson: 'grow', outputs: [{ path: typeof r.plot === 'string' ? r.plot : undefined, what: '--plot' }] });
  // A streamed recording is read once: the warnings' numbers come from the same pass.
  const shared = src.snapshotsOfTarget === undefined;
  const low = new LowAccessCounter(src.header, r.options.excludeSamples);
  const mean = new AggregationMean();
  const dists = await wssDists(src, r.options, shared ? [low, mean] : []);
  const lowAccess = lowAccessWarning(shared ? low.result() : await lowAccessShare(src, r.options.excludeSamples));
  if (lowAccess !== null) warn(io, lowAccess);
  // Each working set is one aggregation's: say how long those really were.
  const stretch = stretchWords(src.header, shared ? mean.meanNs() : await meanAggregationNs(src));
  if (stretch !== null) note(io, `${r.input}: ${stretch}; each working set covers one recorded aggregation`);
  if (r.plot !== undefined) await (await import('./dist_plot.js')).plotDistributions(io, r.plot, 'wss', r.input, r.options.sortBy, dists);
  if (r.json) await writeResult(io, JSON.stringify(wssJson(dists, r.options), null, 2) + '\n');
  else if (r.plot === undefined) await writeResult(io, formatWss(dists, r.options));
  return 0;
}
