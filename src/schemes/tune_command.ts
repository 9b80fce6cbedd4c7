// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes tune`: search a scheme template's candidates with the simulator on a
 * recording and print the best.
 */
import { DamoError } from '../core/errors.js';
import { note, writeResult, type CliIO } from '../core/io.js';
import type { DamonOps } from '../core/model.js';
import { recordedPageSizeBytes } from '../core/page_size.js';
import { openForReport } from '../format/open_for_report.js';
import { recordingSchemeIntervals } from './kernel.js';
import { mappedBytesFor } from './mapped_bytes.js';
import { tuneCandidates, tuneSchemes } from './tune.js';
import { formatTuneText, tuneJson } from './tune_report.js';

export interface TuneRequest {
  input: string;
  strict: boolean;
  template: string;
  maxRefaultPct: number;
  /** Intervals and ops set; undefined: the recording's, else damo's defaults. */
  sampleUs: number | undefined;
  aggrUs: number | undefined;
  ops: DamonOps | undefined;
  top: number;
  rawNumber: boolean;
  json: boolean;
}

export async function runTuneCommand(io: CliIO, r: TuneRequest): Promise<number> {
  // A bad template fails before the recording is read.
  tuneCandidates(r.template, '<template>');
  const src = await openForReport(io, r.input, { strict: r.strict });
  const { intervals, note: intervalsNote } = recordingSchemeIntervals(src.header, r.input, r.sampleUs, r.aggrUs);
  if (intervals.sampleUs > intervals.aggrUs) {
    throw new DamoError('E_USAGE', `the sampling interval (${intervals.sampleUs} us) is longer than the aggregation interval (${intervals.aggrUs} us)`);
  }
  if (intervalsNote !== null && !r.json) note(io, intervalsNote);
  const ops = r.ops ?? (src.header.ops !== '' ? src.header.ops : 'vaddr');
  const mapped = await mappedBytesFor(r.input, src.header, ops, r.strict);
  if (!r.json) note(io, mapped.note);
  const result = await tuneSchemes(src, r.template, {
    intervals,
    ops,
    minRegionSz: recordedPageSizeBytes(src.header),
    maxRefaultPct: r.maxRefaultPct,
    ...(mapped.mappings === undefined ? {} : { mappings: mapped.mappings }),
    ...(mapped.resident === undefined ? {} : { resident: mapped.resident }),
    ...(mapped.madviseRefused === undefined ? {} : { madviseRefused: mapped.madviseRefused }),
  });
  const text = r.json
    ? `${JSON.stringify(tuneJson(result, r.input, r.maxRefaultPct, r.top), null, 2)}\n`
    : formatTuneText(result, { input: r.input, maxRefaultPct: r.maxRefaultPct, top: r.top, raw: r.rawNumber });
  await writeResult(io, text);
  return 0;
}
