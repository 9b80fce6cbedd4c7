// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo simulate` (= `damo report schemes`): what the schemes would have done to a recorded
 * workload, by the kernel's rules, as text, JSON or a plot.
 */
import { DamoError } from '../core/errors.js';
import { note, writeResult, type CliIO } from '../core/io.js';
import type { DamonOps, TraceHeader } from '../core/model.js';
import { recordedPageSizeBytes } from '../core/page_size.js';
import { readAppliedSchemeLines } from '../format/applied_schemes.js';
import { openForReport } from '../format/open_for_report.js';
import { recordingSchemeIntervals } from './kernel.js';
import { loadSchemes } from './load.js';
import { mappedBytesFor } from './mapped_bytes.js';
import type { Scheme } from './model.js';
import { formatSimulationText, simulationJson, simulationPlotSeries } from './report.js';
import { simulateTrace } from './simulate.js';
import { formatSchemeLine } from './text.js';

export interface SimulateRequest {
  input: string;
  strict: boolean;
  /** A schemes file, or the scheme text itself. */
  schemes: string;
  /** Intervals and ops set; undefined: the recording's, else damo's defaults. */
  sampleUs: number | undefined;
  aggrUs: number | undefined;
  ops: DamonOps | undefined;
  rows: number;
  rawNumber: boolean;
  json: boolean;
  plot: string | undefined;
  /** --pageout_throughput: bytes per second; undefined: the kernel's first guess. */
  pageoutBytesPerSec?: number | undefined;
}

/**
 * Whether the recording's ages already hold these schemes' age resets: the native engine
 * recorded it while applying the same schemes (the trace's applied-schemes event lists the
 * same scheme lines). Its snapshots are taken when an aggregation ends, before the applier
 * decides on them, and its later snapshots carry the resets the applier asked for
 * (online_native.ts). Kernel recordings are not: 6.12 emits damon_aggregated in
 * kdamond_reset_aggregated(), after kdamond_apply_schemes() reset the applied regions' ages.
 */
async function recordedWhileApplying(input: string, header: TraceHeader, schemes: readonly Scheme[], strict: boolean): Promise<boolean> {
  if (!header.source.startsWith('native-')) return false;
  const applied = await readAppliedSchemeLines(input, strict);
  if (applied === null) return false;
  const lines = schemes.map((s) => formatSchemeLine(s));
  return applied.length === lines.length && applied.every((l, i) => l === lines[i]);
}

export async function runSimulateCommand(io: CliIO, r: SimulateRequest): Promise<number> {
  // A bad image name fails before a large recording is read; plotting (d3) loads only when asked for.
  if (r.plot !== undefined) (await import('../plot/render.js')).imageFormatOf(r.plot);
  const loaded = await loadSchemes(r.schemes);
  const src = await openForReport(io, r.input, { strict: r.strict, outputs: [{ path: r.plot, what: '--plot' }] });

  const { intervals, source: intervalsSource, note: intervalsNote } = recordingSchemeIntervals(src.header, r.input, r.sampleUs, r.aggrUs);
  const { sampleUs, aggrUs } = intervals;
  if (!(sampleUs > 0) || !(aggrUs > 0)) throw new DamoError('E_USAGE', 'the sampling and aggregation intervals must be positive');
  if (sampleUs > aggrUs) {
    throw new DamoError('E_USAGE', `the sampling interval (${sampleUs} us) is longer than the aggregation interval (${aggrUs} us)`);
  }
  const ops = r.ops ?? (src.header.ops !== '' ? src.header.ops : 'vaddr');
  const opsSource = r.ops !== undefined ? 'option' : src.header.ops !== '' ? 'recording' : 'default';
  if (intervalsNote !== null && !r.json) note(io, intervalsNote);

  const mapped = await mappedBytesFor(r.input, src.header, ops, r.strict);
  const agesIncludeResets = await recordedWhileApplying(r.input, src.header, loaded.schemes, r.strict);
  const result = await simulateTrace(src, loaded.schemes, {
    intervals,
    ops,
    minRegionSz: recordedPageSizeBytes(src.header),
    ...(r.pageoutBytesPerSec === undefined ? {} : { pageoutBytesPerSec: r.pageoutBytesPerSec }),
    ...(mapped.mappings === undefined ? {} : { mappings: mapped.mappings }),
    ...(mapped.resident === undefined ? {} : { resident: mapped.resident }),
    ...(mapped.madviseRefused === undefined ? {} : { madviseRefused: mapped.madviseRefused }),
    ...(mapped.residentShared === undefined ? {} : { residentShared: mapped.residentShared }),
    ...(mapped.programImages === undefined ? {} : { programImages: mapped.programImages }),
    agesIncludeResets,
    ...(src.header.nrRegions === null ? {} : { minNrRegions: src.header.nrRegions.min }),
  });
  result.notes.push(mapped.note);
  if (result.nrSnapshots === 0) throw new DamoError('E_FORMAT', `${r.input} has no snapshots to simulate on`);
  const simCtx = { input: r.input, schemesName: loaded.name, intervalsSource, opsSource } as const;

  if (r.plot !== undefined) {
    const [{ linePlotSvg }, { writeImage }] = await Promise.all([import('../plot/lines.js'), import('../plot/render.js')]);
    const svg = linePlotSvg({
      series: simulationPlotSeries(result),
      title: 'DAMOS simulation',
      subtitle: `${loaded.name} on ${r.input}`,
      xTitle: 'time (s)',
      yTitle: 'bytes',
      yKind: 'bytes',
    });
    await writeImage(r.plot, svg);
    if (!r.json) note(io, `wrote ${r.plot}`);
  }
  if (r.json) {
    await writeResult(io, `${JSON.stringify(simulationJson(result, simCtx), null, 2)}\n`);
  } else {
    await writeResult(io, formatSimulationText(result, simCtx, { raw: r.rawNumber, rows: r.rows }));
  }
  return 0;
}
