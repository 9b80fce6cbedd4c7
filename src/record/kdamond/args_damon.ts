// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo args damon`: the kdamonds that the DAMON parameter flags resolve to, printed in
 * damo 3.3.0's kdamonds layout (JSON, YAML or the `report damon` text) without touching
 * the kernel. The kdamonds are held in the same model `report damon` reads from sysfs
 * (damon_status.ts), so both print through one formatter (damon_status_format.ts) and a
 * file written here reads back as `start --kdamonds` input.
 *
 * Fields no flag sets yet take the values damo 3.3.0 prints for them when no flag is given
 * (addr_unit 1, no intervals goal, page-table sampling, not paused, refresh_ms 0).
 */
import * as fs from 'node:fs';

import { NO_INTERVALS_GOAL, ULONG_MAX_F } from '../../core/damon_constants.js';
import { DamoError, usageError } from '../../core/errors.js';
import type { CliIO } from '../../core/io.js';
import type { Intervals, NrRegionsRange, Ops } from '../../core/model.js';
import type { Bound, Scheme } from '../../schemes/model.js';
import type { KdamondTarget } from '../sysfs.js';
import { DEFAULT_GOAL_TUNER, type DamonStatusContext, type DamonStatusKdamond, type DamonStatusScheme } from './damon_status.js';
import { kdamondsKvpairs, kdamondsText, type StatusFormatOptions } from './damon_status_format.js';
import type { IntervalsGoalParams, ResolvedKdamond } from './damon_params.js';
import { readKdamondsDocArg } from './kdamonds_doc.js';
import { kdamondsJson, kdamondsYaml } from './kdamonds_text.js';

export type ArgsDamonFormat = 'json' | 'yaml' | 'report';

export interface ArgsDamonRequest {
  ops: Ops;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  targets: readonly KdamondTarget[];
  format: ArgsDamonFormat;
  raw: boolean;
  schemes?: readonly Scheme[];
  intervalsGoal?: IntervalsGoalParams;
}

export type { IntervalsGoalParams };

function bound(v: Bound): number {
  return v === 'max' ? ULONG_MAX_F : v;
}

/** A scheme as `args damon` shows it: the access pattern in the units it was given in. */
export function statusSchemeOf(s: Scheme): DamonStatusScheme {
  const p = s.pattern;
  const q = s.quotas;
  const w = s.watermarks;
  return {
    action: s.action,
    targetNid: s.targetNid === undefined ? null : String(s.targetNid),
    applyIntervalUs: s.applyIntervalUs,
    sz: [bound(p.sz.min), bound(p.sz.max)],
    nrAccesses: [bound(p.nrAccesses.min), bound(p.nrAccesses.max)],
    age: [bound(p.age.min), bound(p.age.max)],
    nrAccessesUnit: p.nrAccesses.unit,
    ageUnit: p.age.unit,
    dests: s.dests.map((d) => ({ id: d.id, weight: d.weight })),
    quotas: {
      ms: q.timeMs,
      bytes: q.szBytes,
      resetIntervalMs: bound(q.resetIntervalMs),
      weights: { sz: q.weights.szPermil, nrAccesses: q.weights.nrAccessesPermil, age: q.weights.agePermil },
      goals: q.goals.map((g) => ({ metric: g.metric, targetValue: g.targetValue, currentValue: g.currentValue, nid: g.nid ?? null, memcgPath: g.memcgPath ?? null })),
      goalTuner: q.goalTuner ?? DEFAULT_GOAL_TUNER,
      effectiveBytes: 0,
      failChargeNum: q.failChargeNum ?? 0,
      failChargeDenom: q.failChargeDenom ?? 0,
    },
    watermarks: { metric: w.metric, intervalUs: w.intervalUs, high: w.highPermil, mid: w.midPermil, low: w.lowPermil },
    filters: s.filters.map((f) => ({
      type: f.type,
      matching: f.matching,
      allow: f.allow,
      memcgPath: f.memcgPath ?? '',
      addressRange: f.type === 'addr' ? { start: f.addrStart ?? 0, end: f.addrEnd ?? 0 } : null,
      damonTargetIdx: f.type === 'target' ? (f.targetIdx ?? 0) : null,
      hugepageSize: f.type === 'hugepage_size' ? [f.hugepageMin ?? 0, bound(f.hugepageMax ?? 'max')] : null,
    })),
    stats: { nrTried: 0, szTried: 0, nrApplied: 0, szApplied: 0, szOpsFilterPassed: 0, qtExceeds: 0, nrSnapshots: 0, maxNrSnapshots: s.maxNrSnapshots ?? 0 },
    triedRegions: [],
    triedTotalBytes: null,
  };
}

/** One context as the flags describe it, with damo's defaults for what no flag sets. */
export function contextFromFlags(req: Omit<ArgsDamonRequest, 'format' | 'raw'>): DamonStatusContext {
  return {
    ops: req.ops,
    addrUnit: 1,
    opsAttrs: { useReports: false, writeOnly: false, cpus: '', tids: '' },
    pause: false,
    // damo leaves a paddr target's pid unset (JSON null), unlike sysfs, which reads 0.
    targets: req.targets.map((t) => ({ pid: t.pid ?? null, obsolete: false, regions: (t.regions ?? []).map(([start, end]) => ({ start, end })) })),
    intervals: { ...req.intervals },
    intervalsGoal: { ...(req.intervalsGoal ?? NO_INTERVALS_GOAL) },
    nrRegions: { ...req.nrRegions },
    sampleControl: { pageTable: true, pageFault: false, filters: [] },
    schemes: (req.schemes ?? []).map(statusSchemeOf),
  };
}

export function kdamondsFromFlags(req: Omit<ArgsDamonRequest, 'format' | 'raw'>): DamonStatusKdamond[] {
  return [{ state: 'off', pid: '-1', refreshMs: 0, contexts: [contextFromFlags(req)] }];
}

/** The kdamonds that the flags resolved to (damon_params.ts), in the model `report damon` prints. */
export function kdamondsOfResolved(kdamonds: readonly ResolvedKdamond[]): DamonStatusKdamond[] {
  return kdamonds.map((k) => ({ state: 'off', pid: '-1', refreshMs: 0, contexts: k.contexts.map((c) => contextFromFlags({ ...c, ...(c.intervalsGoal === undefined ? {} : { intervalsGoal: c.intervalsGoal }) })) }));
}

/** `--remove`/`--replace`: a kdamonds document (file or JSON text) and an index into its kdamonds. */
export interface KdamondsDocIndex {
  doc: string;
  /** As Python indexes a list: negative counts from the end. */
  index: number;
}

/**
 * What `args damon` does with the kdamonds of the flags, in damo 3.3.0's order: `add` puts a
 * document's kdamonds before them; `remove` prints a document's kdamonds without one of them
 * (the flags' kdamonds are dropped); `replace` prints a document's kdamonds with one of them
 * replaced by the first kdamond so far. `out` writes the JSON or YAML to a file instead.
 */
export interface ArgsDamonEdits {
  add?: string;
  remove?: KdamondsDocIndex;
  replace?: KdamondsDocIndex;
  out?: string;
  omitDefaults?: boolean;
}

/** A scheme of a kdamonds document, as damo holds one it read back. */
function docSchemeOf(s: Scheme, hasAccessPattern: boolean): DamonStatusScheme {
  return { ...statusSchemeOf(s), fromDoc: true, ...(hasAccessPattern ? { floatPercents: true } : {}) };
}

function listIndex(option: string, at: KdamondsDocIndex, length: number): number {
  const i = at.index < 0 ? length + at.index : at.index;
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw usageError(`${option} ${at.doc} ${at.index}: there is no kdamond ${at.index}; the document has ${length} kdamond${length === 1 ? '' : 's'}`, length === 0 ? undefined : `give an index from 0 to ${length - 1} (or -1 for the last)`);
  }
  return i;
}

/**
 * The kdamonds to print: those of the flags, edited as `edits` says. The flags are resolved
 * only when their kdamonds are used (not with `remove`, so that `--remove FILE N` alone does
 * not read the host's memory layout for a default target it would drop).
 */
export function editKdamonds(fromFlags: () => DamonStatusKdamond[], edits: ArgsDamonEdits): DamonStatusKdamond[] {
  let kdamonds = edits.remove === undefined ? fromFlags() : [];
  if (edits.add !== undefined) kdamonds = [...readKdamondsDocArg(edits.add, '--add', docSchemeOf), ...kdamonds];
  if (edits.remove !== undefined) {
    kdamonds = readKdamondsDocArg(edits.remove.doc, '--remove', docSchemeOf);
    kdamonds.splice(listIndex('--remove', edits.remove, kdamonds.length), 1);
  }
  if (edits.replace !== undefined) {
    const first = kdamonds[0];
    const old = readKdamondsDocArg(edits.replace.doc, '--replace', docSchemeOf);
    const i = listIndex('--replace', edits.replace, old.length);
    if (first === undefined) throw usageError(`--replace ${edits.replace.doc} ${edits.replace.index}: there is no kdamond to put in its place (--remove left none)`);
    old[i] = first;
    kdamonds = old;
  }
  return kdamonds;
}

function writeOut(path: string, text: string): void {
  try {
    fs.writeFileSync(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DamoError('E_IO', `--out ${path}: cannot write the file: ${code}`, { cause: err });
  }
}

/**
 * Prints kdamonds as `damo args damon` does: damo's JSON, YAML, or the `report damon` text.
 * With `out`, the JSON or YAML goes to that file instead, without the newline print() adds.
 */
export function printKdamonds(io: CliIO, kdamonds: readonly DamonStatusKdamond[], format: ArgsDamonFormat, raw: boolean, edits: Pick<ArgsDamonEdits, 'out' | 'omitDefaults'> = {}): number {
  const o: StatusFormatOptions = { raw, paramsOnly: true, fromFlags: true, omitDefaults: edits.omitDefaults === true };
  if (format === 'report') {
    if (edits.out !== undefined) throw usageError('--out writes JSON or YAML; the report format is only printed', 'drop --out, or give --format json or yaml');
    io.stdout.write(kdamondsText(kdamonds, o));
    return 0;
  }
  const doc = { kdamonds: kdamondsKvpairs(kdamonds, o) };
  const text = format === 'json' ? kdamondsJson(doc) : kdamondsYaml(doc);
  if (edits.out === undefined) io.stdout.write(text);
  else writeOut(edits.out, text.slice(0, -1));
  return 0;
}

export function runArgsDamonCommand(io: CliIO, req: ArgsDamonRequest): number {
  return printKdamonds(io, kdamondsFromFlags(req), req.format, req.raw);
}
