// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report nr_regions`: the distribution of the number of regions, as text (damo's),
 * JSON or a plot.
 */
import { writeResult, type CliIO } from '../core/io.js';
import { DamoError } from '../core/errors.js';
import { openForReport } from '../format/open_for_report.js';
import { formatNrRegions, nrRegionsDists, nrRegionsJson, type NrRegionsOptions } from './nr_regions.js';

export interface NrRegionsRequest {
  input: string;
  strict: boolean;
  options: NrRegionsOptions;
  json: boolean;
  /** Draw the distribution into this image instead of printing it; true: draw it in the terminal. */
  plot: string | true | undefined;
}

export async function runNrRegionsCommand(io: CliIO, r: NrRegionsRequest): Promise<number> {
  // A bad image name fails before a large recording is read; plotting (d3) loads only when asked for.
  if (typeof r.plot === 'string') (await import('../plot/render.js')).imageFormatOf(r.plot);
  if (r.plot === true && r.json) throw new DamoError('E_USAGE', '--json and --plot without a file both want stdout; choose one');
  const src = await openForReport(io, r.input, { strict: r.strict, streamDamoJson: 'grow', outputs: [{ path: typeof r.plot === 'string' ? r.plot : undefined, what: '--plot' }] });
  const dists = await nrRegionsDists(src, r.options);
  if (r.plot !== undefined) await (await import('./dist_plot.js')).plotDistributions(io, r.plot, 'nr_regions', r.input, r.options.sortBy, dists);
  if (r.json) await writeResult(io, JSON.stringify(nrRegionsJson(dists, r.options), null, 2) + '\n');
  else if (r.plot === undefined) await writeResult(io, formatNrRegions(dists, r.options));
  return 0;
}
