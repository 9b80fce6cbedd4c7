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
import { ULONG_MAX_F } from '../../core/damon_constants.js';
import type { CliIO } from '../../core/io.js';
import type { Intervals, NrRegionsRange, Ops } from '../../core/model.js';
import type { Bound, Scheme } from '../../schemes/model.js';
import type { KdamondTarget } from '../sysfs.js';
import { DEFAULT_GOAL_TUNER, type DamonStatusContext, type DamonStatusKdamond, type DamonStatusScheme } from './damon_status.js';
import { kdamondsKvpairs, kdamondsText, type StatusFormatOptions } from './damon_status_format.js';
import type { IntervalsGoalParams, ResolvedKdamond } from './damon_params.js';
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
    intervalsGoal: req.intervalsGoal ?? { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
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

/** Prints kdamonds as `damo args damon` does: damo's JSON, YAML, or the `report damon` text. */
export function printKdamonds(io: CliIO, kdamonds: readonly DamonStatusKdamond[], format: ArgsDamonFormat, raw: boolean): number {
  const o: StatusFormatOptions = { raw, paramsOnly: true, fromFlags: true };
  if (format === 'report') {
    io.stdout.write(kdamondsText(kdamonds, o));
    return 0;
  }
  const doc = { kdamonds: kdamondsKvpairs(kdamonds, o) };
  io.stdout.write(format === 'json' ? kdamondsJson(doc) : kdamondsYaml(doc));
  return 0;
}

export function runArgsDamonCommand(io: CliIO, req: ArgsDamonRequest): number {
  return printKdamonds(io, kdamondsFromFlags(req), req.format, req.raw);
}
