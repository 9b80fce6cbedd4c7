/**
 * `damo report wss`: the distribution of working set sizes, as text (damo's), JSON or a plot.
 */
import { warn, writeResult, type CliIO } from '../core/io.js';
import { openForReport } from '../format/open_for_report.js';
import { lowAccessShare, lowAccessWarning } from './low_access.js';
import { formatWss, wssDists, wssJson, type WssOptions } from './wss.js';

export interface WssRequest {
  input: string;
  strict: boolean;
  options: WssOptions;
  json: boolean;
  /** Draw the distribution into this image instead of printing it. */
  plot: string | undefined;
}

export async function runWssCommand(io: CliIO, r: WssRequest): Promise<number> {
  // A bad image name fails before a large recording is read; plotting (d3) loads only when asked for.
  if (r.plot !== undefined) (await import('../plot/render.js')).imageFormatOf(r.plot);
  const src = await openForReport(io, r.input, { strict: r.strict, outputs: [{ path: r.plot, what: '--plot' }] });
  const dists = await wssDists(src, r.options);
  const lowAccess = lowAccessWarning(await lowAccessShare(src, r.options.excludeSamples));
  if (lowAccess !== null) warn(io, lowAccess);
  if (r.plot !== undefined) await (await import('./dist_plot.js')).plotDistributions(io, r.plot, 'wss', r.input, r.options.sortBy, dists);
  if (r.json) await writeResult(io, JSON.stringify(wssJson(dists, r.options), null, 2) + '\n');
  else if (r.plot === undefined) await writeResult(io, formatWss(dists, r.options));
  return 0;
}
