// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes tune`: search scheme parameters with the simulator.
 *
 * A template is one scheme line in which fields may list alternatives or ranges:
 *   a|b|c          alternatives, e.g. `0|5|10`, `1s|5s|30s`
 *   lo..hi:step    arithmetic range, e.g. `1s..10s:1s`, `0..20:5`
 *   lo..hi*factor  geometric range, e.g. `4K..2M*4`, `1s..64s*2`
 * Ranges work on the fields with a numeric kind (sizes, access percents, ages, and the
 * quota_sz / quota_ms / quota_reset / apply_interval settings); alternatives work anywhere.
 *
 * Every candidate runs on the same pass over the trace (one decode, many simulators). The
 * objective is memory kept out of RAM (the time-weighted mean of the paged-out or
 * deactivated bytes) subject to a budget on refaults: bytes the trace shows accessed again,
 * as a share of the bytes the scheme moved out.
 */
import { DamoError } from '../core/errors.js';
import type { TraceSource } from '../core/model.js';
import { schemeInputError } from './errors.js';
import type { Scheme } from './model.js';
import { SchemesSimulator, aggregationSteps, effectOf, type SchemeResult, type SimulationOptions } from './simulate.js';
import { formatSchemeLine, parseSchemeLine } from './text.js';
import { ValueFormError, formatDecimal, formatSizeExact, formatTimeExact, parsePercent, parseSize, parseTimeUs } from './units.js';

type Kind = 'size' | 'percent' | 'time' | 'ms' | 'none';

const POSITIONAL_KINDS: Kind[] = ['size', 'size', 'percent', 'percent', 'time', 'time', 'none'];
const POSITIONAL_NAMES = ['min size', 'max size', 'min access frequency', 'max access frequency', 'min age', 'max age', 'action'];
const OPTION_KINDS: Record<string, Kind> = {
  quota_sz: 'size',
  quota_ms: 'ms',
  quota_reset: 'ms',
  apply_interval: 'time',
};

export const MAX_CANDIDATES = 5000;

export interface ExpandedTemplate {
  /** Candidate lines, in odometer order of the template's fields. */
  lines: string[];
  /** Fields that vary, for the report: [token index, alternatives]. */
  varying: Array<{ token: string; values: string[] }>;
}

function parseValue(kind: Kind, text: string): number {
  const v =
    kind === 'size' ? parseSize(text) : kind === 'percent' ? parsePercent(text) : kind === 'time' ? parseTimeUs(text) : parseTimeUs(text, 1000);
  if (v === 'max') throw new ValueFormError(`'max' cannot bound a range`, 'a finite value');
  return v;
}

function formatValue(kind: Kind, v: number): string {
  switch (kind) {
    case 'size':
      return formatSizeExact(Math.round(v), 'compact');
    case 'percent':
      return formatDecimal(Number(v.toPrecision(12)));
    default:
      return formatTimeExact(Math.round(v), 'compact');
  }
}

/** Expands one template token (`lo..hi:step`, `lo..hi*f`, `a|b`) into its values. */
export function expandToken(token: string, kind: Kind, where: { file: string; column: number; field: string }): string[] {
  const loc = { file: where.file, line: 1, column: where.column, field: where.field };
  const prefixEnd = kind === 'none' && token.includes('=') ? token.indexOf('=') + 1 : 0;
  const body = token.slice(prefixEnd);
  const prefix = token.slice(0, prefixEnd);
  const out: string[] = [];
  for (const alt of body.split('|')) {
    const m = /^(.+?)\.\.(.+?)(?:([:*])(.+))?$/.exec(alt);
    if (m === null) {
      out.push(prefix + alt);
      continue;
    }
    if (kind === 'none') {
      throw schemeInputError(loc, `'${alt}' is a range, but this field has no numeric kind; list the values with '|'`);
    }
    const [, loText = '', hiText = '', op, stepText] = m;
    let lo: number;
    let hi: number;
    try {
      lo = parseValue(kind, loText);
      hi = parseValue(kind, hiText);
    } catch (err) {
      if (err instanceof ValueFormError) throw schemeInputError(loc, err.message, err.accepted);
      throw err;
    }
    if (hi < lo) throw schemeInputError(loc, `the range '${alt}' ends below its start`);
    if (op === undefined) throw schemeInputError(loc, `the range '${alt}' needs a step (':<step>') or a factor ('*<factor>')`);
    const values: number[] = [];
    if (op === '*') {
      const f = Number(stepText);
      if (!(f > 1)) throw schemeInputError(loc, `the factor in '${alt}' must be a number above 1`);
      if (lo <= 0) throw schemeInputError(loc, `a geometric range cannot start at 0 ('${alt}'); list 0 separately, e.g. '0|1s..64s*2'`);
      for (let v = lo; v <= hi * (1 + 1e-9); v *= f) values.push(v);
    } else {
      let step: number;
      try {
        step = parseValue(kind, stepText ?? '');
      } catch (err) {
        if (err instanceof ValueFormError) throw schemeInputError(loc, `step: ${err.message}`, err.accepted);
        throw err;
      }
      if (!(step > 0)) throw schemeInputError(loc, `the step in '${alt}' must be positive`);
      for (let i = 0; lo + i * step <= hi * (1 + 1e-9) + 1e-9; i++) values.push(lo + i * step);
    }
    for (const v of values) out.push(prefix + formatValue(kind, v));
    if (out.length > MAX_CANDIDATES) throw schemeInputError(loc, `'${alt}' has more than ${MAX_CANDIDATES} values`);
  }
  return out;
}

/** All candidate scheme lines of a template. */
export function expandTemplate(template: string, file = '<template>'): ExpandedTemplate {
  const re = /\S+/g;
  const tokens: Array<{ text: string; column: number }> = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(template)) !== null) tokens.push({ text: m[0], column: m.index + 1 });
  const choices = tokens.map((t, i) => {
    const key = t.text.includes('=') ? t.text.slice(0, t.text.indexOf('=')) : undefined;
    const kind: Kind = i < 7 && key === undefined ? (POSITIONAL_KINDS[i] ?? 'none') : key !== undefined ? (OPTION_KINDS[key] ?? 'none') : 'none';
    if (key !== undefined && kind !== 'none') {
      const values = expandToken(t.text.slice(key.length + 1), kind, { file, column: t.column + key.length + 1, field: key });
      return values.map((v) => `${key}=${v}`);
    }
    return expandToken(t.text, kind, { file, column: t.column, field: i < 7 ? (POSITIONAL_NAMES[i] ?? 'field') : 'setting' });
  });
  let total = 1;
  for (const c of choices) total *= c.length;
  if (total > MAX_CANDIDATES) {
    throw new DamoError('E_USAGE', `the template has ${total} combinations; at most ${MAX_CANDIDATES} are simulated`, {
      hint: 'use fewer alternatives or coarser steps',
    });
  }
  const lines: string[] = [];
  const idx = choices.map(() => 0);
  for (let n = 0; n < total; n++) {
    lines.push(choices.map((c, i) => c[idx[i] ?? 0] ?? '').join(' '));
    for (let i = choices.length - 1; i >= 0; i--) {
      idx[i] = (idx[i] ?? 0) + 1;
      if ((idx[i] ?? 0) < (choices[i]?.length ?? 0)) break;
      idx[i] = 0;
    }
  }
  const varying = choices
    .map((values, i) => ({ token: tokens[i]?.text ?? '', values }))
    .filter((v) => v.values.length > 1);
  return { lines, varying };
}

export interface TuneOptions extends SimulationOptions {
  /** Refaulted bytes allowed, as a percent of the bytes the scheme moved out. */
  maxRefaultPct: number;
}

export interface Candidate {
  scheme: Scheme;
  line: string;
  result: SchemeResult;
  meanSavedBytes: number;
  refaultPct: number;
  withinBudget: boolean;
}

export interface TuneResult {
  template: string;
  nrCandidates: number;
  /** Combinations that did not make a valid scheme (e.g. min above max). */
  nrInvalid: number;
  nrWithinBudget: number;
  /** Best first: within budget by mean saved bytes, then the rest by refault share. */
  ranking: Candidate[];
  best: Candidate | null;
  nrSteps: number;
  durationNs: number;
}

export function tuneCandidates(template: string, file = '<template>'): { schemes: Scheme[]; invalid: number } {
  const { lines } = expandTemplate(template, file);
  const schemes: Scheme[] = [];
  let invalid = 0;
  let firstError: unknown;
  for (const line of lines) {
    try {
      schemes.push(parseSchemeLine(line, file));
    } catch (err) {
      invalid++;
      firstError ??= err;
    }
  }
  if (schemes.length === 0) {
    if (firstError instanceof Error) throw firstError;
    throw new DamoError('E_USAGE', 'the template makes no valid scheme');
  }
  for (const s of schemes) {
    const kind = effectOf(s.action);
    if (kind !== 'paged-out' && kind !== 'deactivated') {
      throw new DamoError('E_USAGE', `tune weighs memory saved against refaults, so it needs a pageout, cold or lru_deprio scheme, not ${s.action}`, {
        hint: 'use `damo simulate` to compare other actions',
      });
    }
  }
  return { schemes, invalid };
}

/** Simulates every candidate in one pass over the trace and ranks them. */
export async function tuneSchemes(trace: TraceSource, template: string, opts: TuneOptions, file = '<template>'): Promise<TuneResult> {
  const { schemes, invalid } = tuneCandidates(template, file);
  const sims = schemes.map((s) => new SchemesSimulator([s], { ...opts, maxTimelinePoints: 8 }));
  let steps = 0;
  for await (const step of aggregationSteps(trace, opts.intervals.aggrUs)) {
    steps++;
    for (const sim of sims) sim.step(step);
  }
  let durationNs = 0;
  const candidates: Candidate[] = sims.map((sim, i) => {
    const r = sim.result();
    durationNs = r.endNs - r.startNs;
    const res = r.schemes[0] as SchemeResult;
    const entered = res.effects.enteredBytes;
    const refaultPct = entered > 0 ? (res.effects.reaccessedBytes * 100) / entered : 0;
    const scheme = schemes[i] as Scheme;
    return {
      scheme,
      line: formatSchemeLine(scheme),
      result: res,
      meanSavedBytes: res.effects.meanBytes,
      refaultPct,
      withinBudget: refaultPct <= opts.maxRefaultPct + 1e-9,
    };
  });
  const ranking = [...candidates].sort((a, b) => {
    if (a.withinBudget !== b.withinBudget) return a.withinBudget ? -1 : 1;
    if (a.withinBudget) {
      if (b.meanSavedBytes !== a.meanSavedBytes) return b.meanSavedBytes - a.meanSavedBytes;
      return a.refaultPct - b.refaultPct;
    }
    if (a.refaultPct !== b.refaultPct) return a.refaultPct - b.refaultPct;
    return b.meanSavedBytes - a.meanSavedBytes;
  });
  const within = candidates.filter((c) => c.withinBudget && c.meanSavedBytes > 0);
  return {
    template,
    nrCandidates: candidates.length,
    nrInvalid: invalid,
    nrWithinBudget: candidates.filter((c) => c.withinBudget).length,
    ranking,
    best: within.length > 0 ? (ranking[0] ?? null) : null,
    nrSteps: steps,
    durationNs,
  };
}
