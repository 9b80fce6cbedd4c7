/**
 * `damo schemes tune`: search a scheme template's candidates with the simulator on a
 * recording and print the best.
 */
import { DamoError } from '../core/errors.js';
import { note, writeResult, type CliIO } from '../core/io.js';
import { openForReport } from '../format/open_for_report.js';
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
  ops: 'vaddr' | 'fvaddr' | 'paddr' | undefined;
  top: number;
  rawNumber: boolean;
  json: boolean;
}

export async function runTuneCommand(io: CliIO, r: TuneRequest): Promise<number> {
  // A bad template fails before the recording is read.
  tuneCandidates(r.template, '<template>');
  const src = await openForReport(io, r.input, { strict: r.strict });
  const rec = src.header.intervals;
  const sampleUs = r.sampleUs ?? rec?.sampleUs ?? 5000;
  const aggrUs = r.aggrUs ?? rec?.aggrUs ?? 100000;
  if (sampleUs > aggrUs) throw new DamoError('E_USAGE', `the sampling interval (${sampleUs} us) is longer than the aggregation interval (${aggrUs} us)`);
  if (rec === null && r.sampleUs === undefined && r.aggrUs === undefined && !r.json) {
    note(io, `${r.input} does not record its intervals; assuming sample 5 ms, aggregation 100 ms (set them with -s/-a)`);
  }
  const ops = r.ops ?? (src.header.ops !== '' ? src.header.ops : 'vaddr');
  const result = await tuneSchemes(src, r.template, {
    intervals: { sampleUs, aggrUs },
    ops,
    minRegionSz: src.header.host?.pageSizeBytes ?? 4096,
    maxRefaultPct: r.maxRefaultPct,
  });
  const text = r.json
    ? `${JSON.stringify(tuneJson(result, r.input, r.maxRefaultPct, r.top), null, 2)}\n`
    : formatTuneText(result, { input: r.input, maxRefaultPct: r.maxRefaultPct, top: r.top, raw: r.rawNumber });
  await writeResult(io, text);
  return 0;
}
