// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo validate` (damo 3.3.0): check that a recording looks like a healthy DAMON run, as
 * damo's own tests use it: each snapshot's aggregation interval and number of regions in
 * range (a --allow_error percent of each record's snapshots may miss), every region
 * non-empty, inside --regions_boundary and with nr_accesses in range.
 *
 * damo stops at the first violation; we print one line per violation (damo's wording) and
 * exit 1 when there was any that the allowance does not cover.
 *
 * One deliberate difference, DAMON's warm-up: the kernel starts a paddr or fvaddr target with
 * the ranges it was given (one region for paddr) and splits every region at each aggregation,
 * so the first snapshots of such a recording have fewer regions than --nr_regions' minimum
 * (1, 2, 3, 5, 8, 10 in the VM). damo 3.3.0's validate counts them as errors, yet its own
 * recordings rarely hold them: damo_record.py turns DAMON on and starts perf or trace-cmd
 * only afterwards, so its trace begins after those aggregations, by timing, not by design.
 * `damo record` keeps every snapshot the kernel gave it, so validate does not count that
 * warm-up against --nr_regions (warmupLength() says exactly which snapshots, and a line on
 * stderr says how many were excused); --count_warmup counts them as damo does.
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
  /** Count DAMON's warm-up snapshots against nrRegions too, as damo 3.3.0 does. */
  countWarmup: boolean;
}

/**
 * How many leading snapshots of a record are DAMON's warm-up for the lower bound `min`: the
 * longest run of first snapshots that all have fewer than `min` regions and each more than
 * the one before (DAMON is still splitting), provided a later snapshot of the record reaches
 * `min`. A record whose count never grows (a stuck DAMON: 1, 1, 1, ...) has a warm-up of at
 * most its first snapshot, and one that never reaches `min` has none, so both still fail as
 * they do with damo. Each excused snapshot has at least one region more than the one before,
 * so a warm-up is never longer than `min - 1` snapshots.
 */
export function warmupLength(nrRegions: readonly number[], min: number): number {
  let n = 0;
  while (n < nrRegions.length && (nrRegions[n] as number) < min && (n === 0 || (nrRegions[n] as number) > (nrRegions[n - 1] as number))) n++;
  return nrRegions.slice(n).some((c) => c >= min) ? n : 0;
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
      const warmup = r.countWarmup ? 0 : warmupLength(snaps.map((s) => s.nrRegions), r.nrRegions[0]);
      if (warmup > 0) {
        const counts = snaps.slice(0, warmup).map((s) => s.nrRegions);
        io.stderr.write(
          `damo: record ${t}: not counting its first ${warmup} snapshot${warmup === 1 ? '' : 's'} (nr_regions ${counts.join(', ')}) against --nr_regions: ` +
            `DAMON's warm-up, while it splits the regions it started with (--count_warmup counts them)\n`,
        );
      }
      for (const [i, s] of snaps.entries()) {
        if (!inRange(s.aggrUs, r.aggrUs)) {
          if (aggrErrors < allowed) aggrErrors++;
          else await violation(expect(s.aggrUs, r.aggrUs, 'aggregate interval'));
        }
        if (i >= warmup && !inRange(s.nrRegions, r.nrRegions)) {
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
