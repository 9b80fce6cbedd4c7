// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heats` end to end: open the recording, compute, and write the chosen form
 * (raw text, terminal heatmap, image, guide, or JSON).
 */
import { AggregationMean } from './recorded_intervals.js';
import { note, TextOut, warn, type CliIO } from '../core/io.js';
import { DamoError } from '../core/errors.js';
import type { TraceSource } from '../core/model.js';
import { colorWanted, dimension, FALLBACK_COLUMNS, FALLBACK_ROWS } from '../core/terminal.js';
import { checkResolution } from './heatgrid.js';
import { computeGuides, heatPerByte, hottestRegion, type GuideInfo } from './guide.js';
import { computeHeats, heatsNeedGuide, type HeatsResult, type TimeBound } from './heats.js';
import { formatGuide, formatTerminalHeatmap, writeRawHeats, type ColorsetName } from './heats_text.js';
import { openForReport } from '../format/open_for_report.js';

export interface HeatsRequest {
  input: string;
  tid: bigint | undefined;
  resol: [number, number] | undefined;
  timeRange: [TimeBound, TimeBound] | undefined;
  addressRange: [number, number] | undefined;
  absTime: boolean;
  absAddr: boolean;
  guide: boolean;
  /** undefined: raw text; 'stdout': terminal; otherwise an image path. */
  heatmap: string | undefined;
  /** After a terminal heatmap, say on stderr how to save it as an image (--heatmap had no value). */
  saveHint: boolean;
  colorset: ColorsetName;
  skipColorExample: boolean;
  color: 'auto' | 'always' | 'never';
  json: boolean;
  strict: boolean;
}

/** damo's terminal default when stdout is not a terminal. */
const PIPE_RESOL: [number, number] = [40, 80];
/** damo's raw and image default. */
const DEFAULT_RESOL: [number, number] = [500, 500];

/** Colour codes on the terminal heatmap: core/terminal.ts's rules for stdout. */
export function useColor(io: CliIO, when: 'auto' | 'always' | 'never'): boolean {
  return colorWanted(io.env, io.stdoutIsTTY, when);
}

/** Rows and columns that fill the terminal, leaving room for the footer and a prompt. */
export function terminalResol(io: CliIO, footerLines: number): [number, number] {
  if (!io.stdoutIsTTY) return PIPE_RESOL;
  const rows = dimension(io.rows, FALLBACK_ROWS);
  return [Math.max(4, rows - footerLines - 1), Math.max(8, dimension(io.columns, FALLBACK_COLUMNS))];
}

export async function runHeatsCommand(io: CliIO, o: HeatsRequest): Promise<number> {
  const mode = o.heatmap === undefined ? 'raw' : o.heatmap === 'stdout' ? 'terminal' : 'image';
  let imageFormat: string | null = null;
  if (mode === 'image') {
    // Reject a bad extension before reading a large recording.
    const { imageFormatOf } = await import('../plot/render.js');
    imageFormat = imageFormatOf(o.heatmap!);
  }
  // A resolution too large to hold fails at once, not after a large recording is read.
  if (o.resol !== undefined) checkResolution(o.resol);
  const source = await openForReport(io, o.input, {
    strict: o.strict,
    showsAddresses: true,
    // The guide pass meets every target: a streamed damo file need not list them first.
    streamDamoJson: o.guide || heatsNeedGuide(o) ? 'passes' : 'complete',
    progress: io.stderrIsTTY && (mode === 'image' || !io.stdoutIsTTY),
    outputs: [{ path: mode === 'image' ? o.heatmap : undefined, what: '--heatmap' }],
  });
  const out = new TextOut(io.stdout);
  try {
    if (o.guide) {
      const guides = await computeGuides(source);
      if (guides.length === 0) throw new DamoError('E_FORMAT', `${o.input} has no snapshots`);
      await out.write(o.json ? guidesJson(source, guides) : guides.map(formatGuide).join('\n') + '\n');
      return 0;
    }
    const footerLines = o.skipColorExample ? 3 : 4;
    const resol = o.resol ?? (mode === 'terminal' ? terminalResol(io, footerLines) : DEFAULT_RESOL);
    const req = {
      resol,
      ...(o.tid !== undefined ? { tid: o.tid } : {}),
      ...(o.timeRange !== undefined ? { timeRange: o.timeRange } : {}),
      ...(o.addressRange !== undefined ? { addressRange: o.addressRange } : {}),
    };
    // The image notes stretched aggregations: their mean is taken in computeHeats' first pass.
    const aggregations = new AggregationMean();
    const result = await computeHeats(source, req, mode === 'image' ? (s) => aggregations.addSpan(s) : undefined);

    if (mode === 'terminal') {
      const color = useColor(io, o.color);
      const text = result.grids
        .map(({ grid }) =>
          formatTerminalHeatmap(grid, { colorset: o.colorset, color, printColorset: !o.skipColorExample }),
        )
        .join('\n');
      await out.write(text + '\n');
      if (o.saveHint) {
        await out.flush();
        note(io, 'to save this heatmap as an image: --heatmap FILE.png|svg|pdf');
      }
    } else if (mode === 'image') {
      const { heatmapPictureSvg } = await import('./heats_image.js');
      const { writeImage } = await import('../plot/render.js');
      const first = result.grids[0]!;
      if (result.grids.length > 1) {
        warn(io, `${result.grids.length} records have target id ${String(result.tid)}; drawing the first one`);
      }
      const svg = heatmapPictureSvg({
        inputPath: o.input,
        header: source.header,
        tid: result.tid,
        grid: first.grid,
        targetIndex: first.targetIndex,
        absTime: o.absTime,
        absAddr: o.absAddr,
        rangeNote: rangeNote(result, o.addressRange !== undefined),
        recordedAggrNs: aggregations.meanNs(),
      });
      const bytes = await writeImage(o.heatmap!, svg, (m) => note(io, m));
      const g = result.geometry;
      note(io, `wrote ${o.heatmap} (${imageFormat}, ${g.timeResol}x${g.addrResol} cells, ${bytes} bytes)`);
      if (o.json) await out.write(heatsJson(source, result, o));
    } else if (o.json) {
      await out.write(heatsJson(source, result, o));
    } else {
      for (const { grid } of result.grids) {
        await writeRawHeats(grid, o.absTime, o.absAddr, out);
      }
    }
  } finally {
    await out.flush();
  }
  return 0;
}

function rangeNote(result: HeatsResult, userRange: boolean): string | null {
  if (userRange || result.guide === null) return null;
  const k = result.guide.contigRegions.length;
  return k > 1 ? `hottest of ${k} contiguous ranges (see --guide)` : 'the only contiguous range';
}

function tidJson(tid: bigint | null): string | null {
  return tid === null ? null : tid.toString();
}

export function heatsJson(source: TraceSource, result: HeatsResult, o: HeatsRequest): string {
  const g = result.geometry;
  const doc = {
    version: 1,
    input: o.input,
    // Kernel target ids exceed 2^53: a string keeps every digit.
    target_id: tidJson(result.tid),
    heat_unit: 'nr_accesses',
    sample_us: source.header.intervals?.sampleUs ?? null,
    aggr_us: source.header.intervals?.aggrUs ?? null,
    time_start_ns: g.timeStartNs,
    time_end_ns: g.timeEndNs,
    time_unit_ns: g.timeUnitNs,
    time_resolution: g.timeResol,
    address_start: g.addrStart,
    address_end: g.addrEnd,
    address_unit_bytes: g.addrUnitBytes,
    address_resolution: g.addrResol,
    address_range_source: o.addressRange !== undefined ? 'user' : 'hottest_contiguous_range',
    maps: result.grids.map(({ targetIndex, grid }) => ({
      target_index: targetIndex,
      snapshots_used: grid.nrSnapshots,
      // heats[i][j]: time row i (time_start_ns + i * time_unit_ns), address column j.
      heats: Array.from({ length: g.timeResol }, (_, i) =>
        Array.from(grid.heats.subarray(i * g.addrResol, (i + 1) * g.addrResol)),
      ),
    })),
  };
  return JSON.stringify(doc) + '\n';
}

export function guidesJson(source: TraceSource, guides: GuideInfo[]): string {
  const doc = {
    version: 1,
    input: source.path,
    guides: guides.map((g) => {
      const hottest = hottestRegion(g);
      return {
        target_id: tidJson(g.tid),
        start_ns: g.startNs,
        end_ns: g.endNs,
        duration_ns: g.endNs - g.startNs,
        hottest_region_index: hottest === null ? null : g.contigRegions.indexOf(hottest),
        regions: g.contigRegions.map((r) => ({
          start: r.start,
          end: r.end,
          size_bytes: r.end - r.start,
          heat_per_byte: heatPerByte(r),
        })),
      };
    }),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
