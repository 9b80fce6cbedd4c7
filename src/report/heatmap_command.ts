// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heatmap` (damo 3.3.0): the guide (`--guide`, `--guide_human`), or the heatmap
 * of one record as raw `<time> <address> <heat>` lines (`--output raw`), in the terminal
 * (`--output stdout`, the default) or as an image (`--output FILE.png|svg|pdf`).
 */
import { DamoError } from '../core/errors.js';
import { interruptCheck } from '../core/interrupts.js';
import { formatNr, pyInt, textToBytes, textToNs } from '../core/fmt.js';
import { note, TextOut, type CliIO } from '../core/io.js';
import { emptySpan, spanOfSnapshot, type Snapshot, type TraceSource, type TraceTarget } from '../core/model.js';
import { forEachSnapshot, forEachSpan } from '../core/trace_walk.js';
import { openForReport } from '../format/open_for_report.js';
import { accessPercent, ageUsec } from './access_records.js';
import { absTimeText, baseNs, guides330, guideText, idxText } from './record_info.js';
import { hottestRegion, type GuideInfo } from './guide.js';
import { checkAddressOverlaps, checkTimeOverlaps, nothingDrawn } from './range_checks.js';
import { checkResolution } from './heatgrid.js';
import { HeatMap330 } from './heatmap_map.js';
import { writeCellLines, type ColorsetName } from './heats_text.js';

export interface HeatmapRequest {
  input: string;
  strict: boolean;
  /** 'stdout', 'raw', or an image file name. */
  output: string;
  guide: boolean;
  guideHuman: boolean;
  kdamondIdx: number | undefined;
  contextIdx: number | undefined;
  schemeIdx: number | undefined;
  tid: bigint | undefined;
  resol: [number, number] | undefined;
  /** "<start> <end> [base]" texts (base: guided, guided_end or a time). */
  timeRange: string[] | undefined;
  /** Groups of "<start> <end> [base]" texts (base: guided or an address). */
  addressRanges: string[][] | undefined;
  drawRange: 'hottest' | 'all';
  absTime: boolean;
  absAddr: boolean;
  colorset: ColorsetName;
  skipColorsetExample: boolean;
  dfPassed: boolean;
  sortTemperature: boolean;
  /** Weights of access frequency and age (damo's default 1.0 1.0). */
  temperatureWeights: [number, number];
}

/** An absolute time the user typed, relative to the recording's base; exact for integer ns. */
function relativeTimeOf(text: string, baseTimeNs: bigint): number {
  if (/^\d+$/.test(text)) return Number(BigInt(text) - baseTimeNs);
  return textToNs(text) - Number(baseTimeNs);
}

/** The time range to draw, relative to the recording's base (the snapshots' clock). */
function timeRangeOf(texts: string[] | undefined, guide: GuideInfo, baseTimeNs: bigint): [number, number] {
  const guided: [number, number] = [guide.startNs, guide.endNs];
  if (texts === undefined) return guided;
  if (texts.length === 2) return [relativeTimeOf(texts[0] as string, baseTimeNs), relativeTimeOf(texts[1] as string, baseTimeNs)];
  const range = texts.slice(0, 2).map((t) => textToNs(t)) as [number, number];
  const b = texts[2] as string;
  const baseTime = b === 'guided' ? guided[0] : b === 'guided_end' ? guided[1] : relativeTimeOf(b, baseTimeNs);
  return [baseTime + range[0], baseTime + range[1]];
}

function addressRangesOf(groups: string[][] | undefined, drawRange: 'hottest' | 'all', guide: GuideInfo): Array<[number, number]> {
  const hottest = hottestRegion(guide);
  const guidedRanges: Array<[number, number]> =
    drawRange === 'all' ? guide.contigRegions.map((r) => [r.start, r.end]) : hottest === null ? [] : [[hottest.start, hottest.end]];
  if (groups === undefined) return guidedRanges;
  return groups.map((texts, idx) => {
    const range = texts.slice(0, 2).map((t) => textToBytes(t)) as [number, number];
    if (texts.length === 2) return range;
    const b = texts[2] as string;
    let baseAddr: number;
    if (b === 'guided') {
      const g = guidedRanges[idx];
      if (g === undefined) throw new DamoError('E_USAGE', `--address_range ${texts.join(' ')}: there is no guided range ${idx} to be relative to`);
      baseAddr = g[0];
    } else baseAddr = textToBytes(b);
    return [baseAddr + range[0], baseAddr + range[1]];
  });
}

/**
 * damo `sort_regions_by_temperature_for_range`: the regions within [start, end] laid side by
 * side from `start` in order of temperature, coldest first, so the map shows how much memory
 * is how hot instead of where.
 */
function sortedByTemperature(s: Snapshot, ranges: Array<[number, number]>, src: TraceSource, weights: [number, number]): Snapshot {
  const iv = src.header.intervals;
  const out = { starts: [] as number[], ends: [] as number[], samples: [] as number[], ages: [] as number[], passed: [] as number[] };
  for (const [start, end] of ranges) {
    const picked: Array<{ i: number; s: number; e: number; t: number }> = [];
    for (let i = 0; i < s.starts.length; i++) {
      let rs = s.starts[i] as number;
      let re = s.ends[i] as number;
      if (end < rs || re < start) continue;
      rs = Math.max(rs, start);
      re = Math.min(re, end);
      const samples = s.nrAccesses[i] as number;
      const percent = iv === null ? 0 : accessPercent(samples, iv);
      const age = iv === null ? 0 : ageUsec(s.ages[i] as number, iv);
      const score = percent * weights[0] + age * weights[1];
      picked.push({ i, s: rs, e: re, t: percent > 0 ? score : -score });
    }
    picked.sort((a, b) => a.t - b.t);
    let at = start;
    for (const p of picked) {
      out.starts.push(at);
      out.ends.push(at + (p.e - p.s));
      at += p.e - p.s;
      out.samples.push(s.nrAccesses[p.i] as number);
      out.ages.push(s.ages[p.i] as number);
      out.passed.push(s.szFilterPassed?.[p.i] ?? 0);
    }
  }
  const snap: Snapshot = {
    ...s,
    starts: Float64Array.from(out.starts),
    ends: Float64Array.from(out.ends),
    nrAccesses: Float64Array.from(out.samples),
    ages: Float64Array.from(out.ages),
  };
  if (s.szFilterPassed !== undefined) snap.szFilterPassed = Float64Array.from(out.passed);
  return snap;
}

/** damo `fmt_gnuplot_str`: one `<time>\t<address>\t<heat>` line per cell, NaN when empty. */
async function writeRawText(out: TextOut, map: HeatMap330, absTime: boolean, absAddr: boolean, src: TraceSource): Promise<void> {
  const g = map.geometry;
  if (g.timeResol * g.addrResol === 0) {
    await out.write('\n');
    return;
  }
  await writeCellLines(
    { heats: map.heats, nrRows: g.timeResol, nrCols: g.addrResol },
    (i) => {
      const t = Math.trunc(g.timeStartNs + i * g.timeUnitNs);
      return absTime ? absTimeText(src, t, true) : pyInt(t - g.timeStartNs);
    },
    (j) => {
      const a = Math.trunc(g.addrStart + j * g.addrUnitBytes);
      return pyInt(absAddr ? a : a - g.addrStart);
    },
    'NaN',
    out,
    interruptCheck,
  );
}

/** "damon.data's record of target id 42 (kdamond 0, context 0)", for messages. */
function recordLabel(input: string, want: { kdamondIdx: number | undefined; contextIdx: number | undefined; schemeIdx: number | undefined; tid: bigint | null }): string {
  const idxs: string[] = [];
  if (want.kdamondIdx !== undefined) idxs.push(`kdamond ${want.kdamondIdx}`);
  if (want.contextIdx !== undefined) idxs.push(`context ${want.contextIdx}`);
  if (want.schemeIdx !== undefined) idxs.push(`scheme ${want.schemeIdx}`);
  return `${input}'s record of target id ${want.tid === null ? 'None' : want.tid.toString()}${idxs.length > 0 ? ` (${idxs.join(', ')})` : ''}`;
}

export async function runHeatmapCommand(io: CliIO, r: HeatmapRequest): Promise<number> {
  const mode = r.output === 'stdout' ? 'stdout' : r.output === 'raw' ? 'raw' : 'image';
  if (mode === 'image') {
    const { imageFormatOf } = await import('../plot/render.js');
    imageFormatOf(r.output);
  }
  // Checked before a large recording is read: the resolution and the order of each range.
  if (r.resol !== undefined) checkResolution(r.resol);
  // The guide pass meets every record: a streamed damo file need not list them first.
  const src = await openForReport(io, r.input, { strict: r.strict, streamDamoJson: 'passes', showsAddresses: true });
  const out = new TextOut(io.stdout);
  try {
    const guides = await guides330(src);
    if (r.guide || r.guideHuman) {
      for (const g of guides) await out.write(guideText(src, g, !r.guideHuman) + '\n');
      return 0;
    }
    const first = guides[0];
    if (first === undefined) throw new DamoError('E_FORMAT', `${r.input} has no snapshots to draw`);
    const firstTarget = src.header.targets[first.targetIndexes[0] as number] as TraceTarget;
    const want = {
      kdamondIdx: r.kdamondIdx ?? firstTarget.kdamondIdx,
      contextIdx: r.contextIdx ?? firstTarget.contextIdx,
      schemeIdx: r.schemeIdx ?? firstTarget.schemeIdx,
      tid: r.tid ?? firstTarget.id,
    };
    const matches = (t: TraceTarget): boolean =>
      t.kdamondIdx === want.kdamondIdx && t.contextIdx === want.contextIdx && t.schemeIdx === want.schemeIdx && t.id === want.tid;
    const guide = guides.find((g) => matches(src.header.targets[g.targetIndexes[0] as number] as TraceTarget));
    if (guide === undefined) {
      throw new DamoError(
        'E_USAGE',
        `no record of ${r.input} has kdamond ${idxText(want.kdamondIdx)}, context ${idxText(want.contextIdx)}, scheme ${idxText(want.schemeIdx)} and target id ${want.tid === null ? 'None' : want.tid.toString()}`,
        { hint: 'see --guide for the records' },
      );
    }
    const baseTimeNs = src.header.baseTimeNs;
    const timeRange = timeRangeOf(r.timeRange, guide, baseTimeNs);
    const addrRanges = addressRangesOf(r.addressRanges, r.drawRange, guide);
    const span: [number, number] = [guide.startNs, guide.endNs];
    const who = recordLabel(r.input, want);
    if (r.timeRange !== undefined) checkTimeOverlaps('--time_range', r.timeRange.join(' '), timeRange, span, baseNs(src), who);
    r.addressRanges?.forEach((texts, i) => checkAddressOverlaps('--address_range', texts.join(' '), addrRanges[i] as [number, number], guide, who));
    const resol = r.resol ?? (mode === 'stdout' ? [40, 80] : [500, 500]);
    const targetIdxs = src.header.targets.map((t, i) => (matches(t) ? i : -1)).filter((i) => i >= 0);
    const heatUnit = src.header.intervals === null ? 'samples' : 'hz';
    for (let ri = 0; ri < addrRanges.length; ri++) {
      const map = new HeatMap330(timeRange, addrRanges[ri] as [number, number], resol, src.header.intervals, src.header.intervalsGoal, r.dfPassed, baseNs(src));
      for (const t of targetIdxs) {
        if (r.sortTemperature) {
          const sorted = emptySpan();
          await forEachSnapshot(src, (s0) => map.add(spanOfSnapshot(sortedByTemperature(s0, addrRanges, src, r.temperatureWeights), sorted), s0.startNs, s0.endNs), t);
        } else {
          await forEachSpan(src, (s) => map.add(s, s.startNs, s.endNs), t);
        }
      }
      const given = r.addressRanges?.[ri];
      if (map.highestLowest() === undefined && (given !== undefined || r.timeRange !== undefined)) {
        // Every cell NaN: nothing the user asked for was recorded; say why instead of drawing nothing.
        throw nothingDrawn(given === undefined ? null : given.join(' '), r.timeRange?.join(' ') ?? null, addrRanges[ri] as [number, number], guide, who);
      }
      if (mode === 'stdout') await out.write(map.asciiText(r.colorset, !r.skipColorsetExample, heatUnit) + '\n');
      else if (mode === 'raw') await writeRawText(out, map, r.absTime, r.absAddr, src);
      else {
        const { heatmapPictureSvg } = await import('./heats_image.js');
        const { writeImage } = await import('../plot/render.js');
        const file = ri === 0 ? r.output : r.output.replace(/\.([^.]+)$/, `.${ri}.$1`);
        const grid = { geometry: map.geometry, heats: map.heats.map((h) => (Number.isNaN(h) ? 0 : h)) };
        const svg = heatmapPictureSvg({
          inputPath: r.input,
          header: src.header,
          tid: want.tid,
          grid,
          targetIndex: targetIdxs[0] ?? 0,
          absTime: r.absTime,
          absAddr: r.absAddr,
          rangeNote: null,
          heatTitle: heatUnit === 'hz' ? 'access frequency (hz)' : 'access frequency (nr_accesses per aggregation)',
        });
        const bytes = await writeImage(file, svg);
        note(io, `wrote ${file} (${formatNr(bytes, false)} bytes, ${resol[0]}x${resol[1]} cells)`);
      }
    }
  } finally {
    await out.flush();
  }
  return 0;
}
