// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo compare A B`: score how closely recording B matches recording A (a replay against
 * its original), and fail when asked-for fidelity limits are missed.
 */
import { note, TextOut, warn, type CliIO } from '../core/io.js';
import { openForReport } from '../format/open_for_report.js';
import { compareTraces, formatCompareText } from './compare.js';
import { readMapping } from './mapping.js';
import { jsonConvention } from '../core/json_keys.js';

export interface CompareRequest {
  a: string;
  b: string;
  /** Replay mapping file (`damo replay --mapping`) that puts B into A's coordinates. */
  mapping: string | undefined;
  targetA: number;
  targetB: number | undefined;
  /** <time bins> <address bins>; default: one bin per snapshot of A up to 500, and 200. */
  resol: [number, number] | undefined;
  hotThreshold: number;
  percentiles: number[];
  accThres: number;
  workTimeUs: number | undefined;
  json: boolean;
  strict: boolean;
  /** Exit 1 when a limit is missed. */
  maxWssErrorPct: number | undefined;
  minCorrelation: number | undefined;
  minRecall: number | undefined;
}

export async function runCompareCommand(io: CliIO, r: CompareRequest): Promise<number> {
  const traceA = await openForReport(io, r.a, { strict: r.strict, showsAddresses: true });
  const traceB = await openForReport(io, r.b, { strict: r.strict, showsAddresses: true });
  const mapping = r.mapping === undefined ? null : await readMapping(r.mapping);
  let timeBins = r.resol?.[0];
  if (timeBins === undefined) {
    let n = 0;
    for await (const s of traceA.snapshots()) if (s.targetIndex === r.targetA) n++;
    timeBins = Math.max(1, Math.min(500, n));
  }
  const result = await compareTraces(traceA, traceB, {
    mapping,
    targetA: r.targetA,
    ...(r.targetB === undefined ? {} : { targetB: r.targetB }),
    timeBins,
    addrBins: r.resol?.[1] ?? 200,
    hotThreshold: r.hotThreshold,
    percentiles: r.percentiles,
    accThres: r.accThres,
    ...(r.workTimeUs === undefined ? {} : { workTimeUs: r.workTimeUs }),
  });
  for (const w of result.warnings) warn(io, w);
  const out = new TextOut(io.stdout);
  if (r.json) {
    await out.write(JSON.stringify(jsonConvention({ ...result, mappingFile: r.mapping ?? null }), null, 2) + '\n');
  } else {
    await out.write(formatCompareText(result, r.mapping ?? null));
  }
  await out.flush();

  const failures: string[] = [];
  if (r.maxWssErrorPct !== undefined) {
    for (const row of result.wss.percentiles) {
      if (row.errorPct === null || Math.abs(row.errorPct) > r.maxWssErrorPct) {
        failures.push(`working set error at p${row.percentile} is ${row.errorPct === null ? 'undefined' : `${row.errorPct.toFixed(2)}%`} (limit ${r.maxWssErrorPct}%)`);
      }
    }
  }
  const corr = result.heatmap.correlation;
  if (r.minCorrelation !== undefined && (corr === null || corr < r.minCorrelation)) {
    failures.push(`heatmap correlation ${corr === null ? 'undefined' : corr.toFixed(3)} is below ${r.minCorrelation}`);
  }
  const recall = result.hot.recall;
  if (r.minRecall !== undefined && (recall === null || recall < r.minRecall)) {
    failures.push(`hot-region recall ${recall === null ? 'undefined' : recall.toFixed(3)} is below ${r.minRecall}`);
  }
  for (const f of failures) note(io, `fidelity check failed: ${f}`);
  if (result.nothingToCompare !== null) {
    note(io, `nothing to compare: ${result.nothingToCompare}`);
    return 1;
  }
  return failures.length > 0 ? 1 : 0;
}
