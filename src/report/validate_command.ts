// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo validate` (damo 3.3.0): check that a recording looks like a healthy DAMON run, as
 * damo's own tests use it: each snapshot's aggregation interval and number of regions in
 * range (a --allow_error percent of each record's snapshots may miss), every region
 * non-empty, inside --regions_boundary and with nr_accesses in range.
 *
 * damo stops at the first violation; we print one line per violation (damo's wording) and
 * exit 1 when there was any that the allowance does not cover.
 */
import { DamoError } from '../core/errors.js';
import { pyInt } from '../core/fmt.js';
import { TextOut, type CliIO } from '../core/io.js';
import { targetSnapshots } from '../core/trace_walk.js';
import { openForReport } from '../format/open_for_report.js';

export interface ValidateRequest {
  input: string;
  aggrUs: [number, number];
  nrRegions: [number, number];
  nrAccesses: [number, number];
  allowErrorPercent: number;
  regionsBoundary: Array<[number, number]>;
}

/** At most this many violation lines are printed; the count of the rest follows. */
const MAX_LINES = 100;

export async function runValidateCommand(io: CliIO, r: ValidateRequest): Promise<number> {
  const src = await openForReport(io, r.input, { strict: false });
  const out = new TextOut(io.stdout);
  let nrViolations = 0;
  const violation = async (line: string): Promise<void> => {
    nrViolations++;
    if (nrViolations <= MAX_LINES) await out.write(line + '\n');
  };
  const inRange = (v: number, [lo, hi]: [number, number]): boolean => lo <= v && v <= hi;
  const expect = (v: number, [lo, hi]: [number, number], name: string): string => `invalid: expect ${pyInt(lo)}<=${name}<=${pyInt(hi)} but ${pyInt(v)}`;
  try {
    if (src.header.targets.length === 0) throw new DamoError('E_FORMAT', `${r.input}: target snapshots is zero (the recording has no records)`);
    for (let t = 0; t < src.header.targets.length; t++) {
      const snaps: Array<{ aggrUs: number; nrRegions: number }> = [];
      for await (const s of targetSnapshots(src, t)) {
        snaps.push({ aggrUs: (s.endNs - s.startNs) / 1000, nrRegions: s.starts.length });
        for (let i = 0; i < s.starts.length; i++) {
          const start = s.starts[i] as number;
          const end = s.ends[i] as number;
          if (start >= end) await violation(`wrong regiosn [${pyInt(start)}, ${pyInt(end)})`);
          if (r.regionsBoundary.length > 0 && !r.regionsBoundary.some(([lo, hi]) => start >= lo && end <= hi)) {
            await violation(`region ${pyInt(start)}-${pyInt(end)} out of the boundary`);
          }
          const acc = s.nrAccesses[i] as number;
          if (!inRange(acc, r.nrAccesses)) await violation(expect(acc, r.nrAccesses, 'nr_accesses'));
        }
      }
      // Errors up to the allowance are tolerated, counted per record as damo does.
      const allowed = (snaps.length * r.allowErrorPercent) / 100.0;
      let aggrErrors = 0;
      let regionErrors = 0;
      for (const s of snaps) {
        if (!inRange(s.aggrUs, r.aggrUs)) {
          if (aggrErrors < allowed) aggrErrors++;
          else await violation(expect(s.aggrUs, r.aggrUs, 'aggregate interval'));
        }
        if (!inRange(s.nrRegions, r.nrRegions)) {
          if (regionErrors < allowed) regionErrors++;
          else await violation(expect(s.nrRegions, r.nrRegions, 'nr_regions'));
        }
      }
    }
    if (nrViolations > MAX_LINES) await out.write(`... and ${nrViolations - MAX_LINES} more violations\n`);
  } finally {
    await out.flush();
  }
  return nrViolations > 0 ? 1 : 0;
}
