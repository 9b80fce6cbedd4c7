// SPDX-License-Identifier: GPL-2.0-only
/** Rendering `damo schemes tune` results. */
import { formatNr, formatSz, formatTimeNs } from '../core/fmt.js';
import type { Candidate, TuneResult } from './tune.js';

export interface TuneTextOptions {
  input: string;
  maxRefaultPct: number;
  top: number;
  raw: boolean;
}

function pct(x: number): string {
  return `${x.toFixed(2)}%`;
}

export function formatTuneText(r: TuneResult, o: TuneTextOptions): string {
  const lines: string[] = [];
  const invalid = r.nrInvalid > 0 ? ` (${formatNr(r.nrInvalid, o.raw)} combinations were not valid schemes)` : '';
  lines.push(`# ${formatNr(r.nrCandidates, o.raw)} candidates of '${r.template}' simulated on ${o.input}${invalid}`);
  lines.push(`# ${formatNr(r.nrSteps, o.raw)} aggregation intervals, ${formatTimeNs(r.durationNs, o.raw)}; budget: refaults at most ${pct(o.maxRefaultPct)} of the bytes moved out`);
  lines.push('');
  if (r.best === null) {
    lines.push(`no candidate saves memory within the budget (${formatNr(r.nrWithinBudget, o.raw)} stay within it but save nothing);`);
    lines.push('the candidates with the fewest refaults are:');
  } else {
    const b = r.best;
    lines.push(`best: ${b.line}`);
    lines.push(`    keeps ${formatSz(b.meanSavedBytes, o.raw)} out of memory on average (${formatSz(b.result.effects.peakBytes, o.raw)} at peak, ${formatSz(b.result.effects.finalBytes, o.raw)} at the end)`);
    lines.push(`    moves out ${formatSz(b.result.effects.enteredBytes, o.raw)}; ${formatSz(b.result.effects.reaccessedBytes, o.raw)} of it is accessed again (${pct(b.refaultPct)})`);
    lines.push(`    tried ${formatNr(b.result.stats.nrTried, o.raw)} times (${formatSz(b.result.stats.szTried, o.raw)}), applied ${formatSz(b.result.stats.szApplied, o.raw)}, quota exceeded ${formatNr(b.result.stats.qtExceeds, o.raw)} times`);
    lines.push('');
    lines.push(`ranking (${formatNr(r.nrWithinBudget, o.raw)} of ${formatNr(r.nrCandidates, o.raw)} within the budget):`);
  }
  const rows = r.ranking.slice(0, o.top).map((c, i) => [
    String(i + 1),
    c.withinBudget ? 'yes' : 'no',
    formatSz(c.meanSavedBytes, o.raw),
    formatSz(c.result.effects.reaccessedBytes, o.raw),
    pct(c.refaultPct),
    c.line,
  ]);
  const heads = ['rank', 'in budget', 'mean saved', 'refaulted', 'refault %', 'scheme'];
  const widths = heads.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padStart(widths[c] ?? 0))).join('  ');
  lines.push(fmt(heads), ...rows.map(fmt));
  return `${lines.join('\n')}\n`;
}

function candidateJson(c: Candidate): unknown {
  return {
    scheme: c.line,
    within_budget: c.withinBudget,
    mean_saved_bytes: Math.round(c.meanSavedBytes),
    peak_saved_bytes: c.result.effects.peakBytes,
    moved_out_bytes: c.result.effects.enteredBytes,
    refaulted_bytes: c.result.effects.reaccessedBytes,
    refault_pct: c.refaultPct,
    stats: {
      nr_tried: c.result.stats.nrTried,
      sz_tried: c.result.stats.szTried,
      nr_applied: c.result.stats.nrApplied,
      sz_applied: c.result.stats.szApplied,
      qt_exceeds: c.result.stats.qtExceeds,
    },
  };
}

export function tuneJson(r: TuneResult, input: string, maxRefaultPct: number, top: number): unknown {
  return {
    input,
    template: r.template,
    max_refault_pct: maxRefaultPct,
    nr_candidates: r.nrCandidates,
    nr_invalid: r.nrInvalid,
    nr_within_budget: r.nrWithinBudget,
    best: r.best === null ? null : candidateJson(r.best),
    ranking: r.ranking.slice(0, top).map(candidateJson),
  };
}
