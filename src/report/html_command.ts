// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html`: one self-contained page per recording (heatmaps with zoom, pan and a
 * read-out; working set and nr_regions over time; the working set distribution; the facts;
 * optionally a scheme simulation). Everything the page shows is computed here; the page's
 * script and style (src/report/html/) are inlined, so it opens from disk without a network.
 */
import { stat } from 'node:fs/promises';

import { writeOutputData } from '../core/output_file.js';
import { note, type CliIO } from '../core/io.js';
import { recordedPageSizeBytes } from '../core/page_size.js';
import { openForReport } from '../format/open_for_report.js';
import { recordingSchemeIntervals } from '../schemes/kernel.js';
import { loadSchemes } from '../schemes/load.js';
import { simulateTrace } from '../schemes/simulate.js';
import { computeHtmlData, HTML_LIMITS, type HtmlLimits } from './html_data.js';
import type { HtmlSelection } from './html_selection.js';
import { renderHtmlPage } from './html_page.js';

export interface HtmlRequest {
  input: string;
  /** The page to write. */
  output: string;
  /** A schemes file or the scheme text, for the simulation section; undefined: none. */
  schemes: string | undefined;
  strict: boolean;
  /** --tid, --time_range, --address_range: only that part of the recording is shown. */
  selection?: HtmlSelection;
  /** Size limits (tests shrink them to exercise downsampling). */
  limits?: HtmlLimits;
}

export async function runHtmlCommand(io: CliIO, r: HtmlRequest): Promise<number> {
  const t0 = process.hrtime.bigint();
  // A bad schemes file fails before a large recording is read.
  const loaded = r.schemes !== undefined ? await loadSchemes(r.schemes) : null;
  const source = await openForReport(io, r.input, { strict: r.strict, showsAddresses: true, outputs: [{ path: r.output, what: 'the HTML page' }] });
  let schemes = null;
  if (loaded !== null) {
    const { intervals, note: intervalsNote } = recordingSchemeIntervals(source.header, r.input, undefined, undefined);
    if (intervalsNote !== null) note(io, intervalsNote);
    const ops = source.header.ops !== '' ? source.header.ops : 'vaddr';
    const result = await simulateTrace(source, loaded.schemes, { intervals, ops, minRegionSz: recordedPageSizeBytes(source.header) });
    schemes = { name: loaded.name, result };
  }
  // Only a fact on the page: a source that is not a plain file has no size to show.
  const fileSizeBytes = await stat(r.input).then(
    (st) => st.size,
    () => null,
  );
  const data = await computeHtmlData(source, { input: r.input, fileSizeBytes, limits: r.limits ?? HTML_LIMITS, schemes, selection: r.selection ?? {} });
  const html = renderHtmlPage(data);
  // Written to a temporary name and renamed, so an interrupt or a full disk leaves no partial page.
  await writeOutputData(r.output, html);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = Buffer.byteLength(html);
  note(
    io,
    `wrote ${r.output} (${bytes} bytes, ${data.heatmaps.length} heatmap${data.heatmaps.length === 1 ? '' : 's'}` +
      `${data.downsampling.length > 0 ? ', downsampled: see the page' : ''}) in ${s.toFixed(2)} s`,
  );
  return 0;
}
