/**
 * `damo report nr_regions`: the distribution of the number of regions, as text (damo's),
 * JSON or a plot.
 */
import { writeResult, type CliIO } from '../core/io.js';
import { openForReport } from '../format/open_for_report.js';
import { formatNrRegions, nrRegionsDists, nrRegionsJson, type NrRegionsOptions } from './nr_regions.js';

export interface NrRegionsRequest {
  input: string;
  strict: boolean;
  options: NrRegionsOptions;
  json: boolean;
  /** Draw the distribution into this image instead of printing it. */
  plot: string | undefined;
}

export async function runNrRegionsCommand(io: CliIO, r: NrRegionsRequest): Promise<number> {
  // A bad image name fails before a large recording is read; plotting (d3) loads only when asked for.
  if (r.plot !== undefined) (await import('../plot/render.js')).imageFormatOf(r.plot);
  const src = await openForReport(io, r.input, { strict: r.strict, outputs: [{ path: r.plot, what: '--plot' }] });
  const dists = await nrRegionsDists(src, r.options);
  if (r.plot !== undefined) await (await import('./dist_plot.js')).plotDistributions(io, r.plot, 'nr_regions', r.input, r.options.sortBy, dists);
  if (r.json) await writeResult(io, JSON.stringify(nrRegionsJson(dists, r.options), null, 2) + '\n');
  else if (r.plot === undefined) await writeResult(io, formatNrRegions(dists, r.options));
  return 0;
}
