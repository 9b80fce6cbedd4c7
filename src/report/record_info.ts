// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's record guide (`damo report record_info`, `damo report heatmap --guide`): per
 * record (kdamond, context, scheme, target id), the time span from when the first
 * snapshot's oldest region began being monitored to the last snapshot's end, and the
 * address ranges that stayed contiguous.
 */
import { formatSz, formatSzAccurate, formatTimeNs } from '../core/fmt.js';
import type { SnapshotSpan, TraceSource, TraceTarget } from '../core/model.js';
import { computeGuides, type GuideInfo } from './guide.js';

export function idxText(v: number | undefined): string {
  return v === undefined ? 'None' : String(v);
}

/** damo 3.x's guide identity: kdamond, context, scheme and target id. */
function guideKey(t: TraceTarget): string {
  return `${idxText(t.kdamondIdx)} ${idxText(t.contextIdx)} ${idxText(t.schemeIdx)} ${t.id === null ? 'None' : t.id.toString()}`;
}

/**
 * The recording's base time as a double: for messages and human-formatted times only. Exact
 * arithmetic stays relative to the base (epoch-ns bases are beyond 2^53, where a double
 * steps by 256 ns) and adds the base as a bigint where a time is printed raw.
 */
export function baseNs(src: TraceSource): number {
  return src.header.baseTimeNs === 0n ? 0 : Number(src.header.baseTimeNs);
}

/** A time relative to the recording's base, printed as damo prints its absolute integer ns. */
export function absTimeText(src: TraceSource, relNs: number, raw: boolean): string {
  if (!raw) return formatTimeNs(relNs + baseNs(src), false);
  if (!Number.isInteger(relNs)) return formatTimeNs(relNs + baseNs(src), true);
  return (src.header.baseTimeNs + BigInt(relNs)).toString();
}

/** Guides whose times are relative to the recording's base, as the snapshots' are. */
export async function guides330(src: TraceSource): Promise<GuideInfo[]> {
  return computeGuides(src, {
    keyOf: (t) => guideKey(src.header.targets[t] as TraceTarget),
    startOf: (first: SnapshotSpan) => {
      const iv = src.header.intervals;
      if (iv === null) return first.startNs;
      let longest = 0;
      for (let i = first.from; i < first.to; i++) if (longest < (first.ages[i] as number)) longest = first.ages[i] as number;
      return first.startNs - longest * iv.aggrUs * 1000;
    },
  });
}

/** damo `GuideInfo.to_str`. */
export function guideText(src: TraceSource, g: GuideInfo, raw: boolean): string {
  const t = src.header.targets[g.targetIndexes[0] as number];
  const lines: string[] = [];
  if (t?.kdamondIdx !== undefined) lines.push(`kdamond_idx: ${t.kdamondIdx}`);
  if (t?.contextIdx !== undefined) lines.push(`context_idx: ${t.contextIdx}`);
  if (t?.schemeIdx !== undefined) lines.push(`scheme_idx: ${t.schemeIdx}`);
  if (g.tid !== null) lines.push(`target_id: ${g.tid.toString()}`);
  const span = `[${absTimeText(src, g.startNs, raw)}, ${absTimeText(src, g.endNs, raw)})`;
  lines.push(`time: ${span} (${formatTimeNs(g.endNs - g.startNs, raw)})`);
  g.contigRegions.forEach((r, idx) => {
    lines.push(`region\t${String(idx).padStart(2)}: [${formatSzAccurate(r.start, raw)}, ${formatSzAccurate(r.end, raw)}) (${formatSz(r.end - r.start, raw)})`);
  });
  return lines.join('\n');
}

