// SPDX-License-Identifier: GPL-2.0-only
/**
 * The heatmap picture of `damo report heats --heatmap FILE.{png,svg,pdf}`: titles and
 * labels from the recording's facts, cells from the heat grid, drawn by src/plot.
 */
import type { TraceHeader } from '../core/model.js';
import type { HeatGrid } from './heatgrid.js';
import { humanBytes, humanTime } from '../core/human.js';
import { hex } from '../plot/axis.js';
import { heatmapSvg } from '../plot/heatmap.js';
import { stretchedAggregationNs } from './recorded_intervals.js';

export interface HeatmapPictureInput {
  inputPath: string;
  header: TraceHeader;
  tid: bigint | null;
  grid: Pick<HeatGrid, 'geometry' | 'heats'>;
  /** The colour bar's title; default: nr_accesses per aggregation interval. */
  heatTitle?: string;
  targetIndex: number;
  absTime: boolean;
  absAddr: boolean;
  /** Where the address range came from, for the subtitle (e.g. 'hottest of 3 contiguous ranges'). */
  rangeNote: string | null;
  /** Mean recorded aggregation interval (recorded_intervals.ts), for the colour bar. */
  recordedAggrNs?: number | null;
}

/** "pid 1234 (cmd)" when the recording knows the process, else damo's target id. */
export function targetLabel(header: TraceHeader, targetIndex: number, tid: bigint | null): string {
  const t = header.targets[targetIndex];
  if (t?.pid !== undefined) return t.cmdline ? `pid ${t.pid} (${shorten(t.cmdline, 40)})` : `pid ${t.pid}`;
  if (header.ops === 'paddr') return 'physical memory';
  return `target_id ${tid === null ? 'unknown' : tid.toString()}`;
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

/** The colour bar's title: what a heat value is, in DAMON's terms. */
export function heatTitle(header: TraceHeader, recordedAggrNs: number | null = null): string {
  const iv = header.intervals;
  if (iv === null || iv.sampleUs <= 0) return 'access frequency (nr_accesses per aggregation)';
  const samples = Math.floor(iv.aggrUs / iv.sampleUs);
  // An aggregation is a count of samples; when they took longer than asked, say how long.
  const stretched = stretchedAggregationNs(header, recordedAggrNs);
  if (stretched !== null) {
    return `access frequency (nr_accesses, of ${samples} samples per ${humanTime(stretched)} recorded, ${humanTime(iv.aggrUs * 1000)} asked)`;
  }
  return `access frequency (nr_accesses, of ${samples} samples per ${humanTime(iv.aggrUs * 1000)})`;
}

export function heatmapPictureSvg(p: HeatmapPictureInput): string {
  const g = p.grid.geometry;
  const timeSpan = g.timeEndNs - g.timeStartNs;
  const addrSpan = g.addrEnd - g.addrStart;
  const file = p.inputPath.split('/').pop() ?? p.inputPath;
  const subtitle1 =
    `${file} · time ${humanTime(timeSpan)} (${g.timeResol} columns of ${humanTime(g.timeUnitNs)})` +
    ` · ${g.addrResol} rows of ${humanBytes(g.addrUnitBytes)}`;
  const subtitle2 =
    `address ${hex(g.addrStart)}–${hex(g.addrEnd)} (${humanBytes(addrSpan)})` + (p.rangeNote ? ` · ${p.rangeNote}` : '');
  return heatmapSvg({
    heats: p.grid.heats,
    timeResol: g.timeResol,
    addrResol: g.addrResol,
    timeStartNs: g.timeStartNs,
    timeEndNs: g.timeEndNs,
    addrStart: g.addrStart,
    addrEnd: g.addrEnd,
    absTime: p.absTime,
    absAddr: p.absAddr,
    title: `Memory access heatmap: ${targetLabel(p.header, p.targetIndex, p.tid)}`,
    subtitleLines: [subtitle1, subtitle2],
    heatTitle: p.heatTitle ?? heatTitle(p.header, p.recordedAggrNs ?? null),
  });
}
