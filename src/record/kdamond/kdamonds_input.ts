// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo start --kdamonds`: damo 3.3.0's kdamonds document (what `damo args damon` and
 * `damo report damon --json` print), as JSON or YAML text or a file holding either, read
 * into what start writes: kdamonds > contexts > targets, regions and schemes.
 *
 * Values are taken in any form damo writes them: numbers, `4,096`, `5 ms`, `1 B`, the raw
 * form of `--raw`. Every value is checked before anything is written, and a refusal names
 * its key path (`kdamonds[1].contexts[0].targets[0].pid`). Parameters damo-ts cannot
 * write yet (addr_unit other than 1, access-sample control, paused contexts, probes,
 * refresh_ms) are refused rather than dropped, so that what runs is what
 * the document says. State that `report damon` prints beside the parameters (state, pid,
 * statistics, tried regions) is accepted and ignored.
 */
import * as fs from 'node:fs';

import { DAMON_OPS, type Intervals, type IntervalsGoal, type NrRegionsRange, type Ops } from '../../core/model.js';
import { DamoError, isDamoError } from '../../core/errors.js';
import { parseSchemesJson } from '../../schemes/damo_json.js';
import type { Scheme } from '../../schemes/model.js';
import { parseBp, parseNumber, parseTimeUs } from '../../schemes/units.js';
import type { KdamondTarget } from '../sysfs.js';
import { parse as parseYaml } from 'yaml';

export interface ContextPlan {
  ops: Ops;
  intervals: Intervals;
  /** The intervals auto-tuning goal the document gives; none is DAMON's "no tuning". */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  schemes: Scheme[];
}

export interface KdamondsPlan {
  kdamonds: Array<{ contexts: ContextPlan[] }>;
}

type Obj = Record<string, unknown>;

function bad(path: string, what: string, hint?: string): DamoError {
  return new DamoError('E_USAGE', `--kdamonds: ${path}: ${what}`, hint === undefined ? {} : { hint });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw bad(path, `expected an object, found ${JSON.stringify(v) ?? String(v)}`);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw bad(path, `expected a list, found ${JSON.stringify(v) ?? String(v)}`);
  return v;
}

function onlyKeys(o: Obj, path: string, keys: readonly string[], ignored: readonly string[] = []): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k) && !ignored.includes(k)) throw bad(path, `unknown key '${k}'`, `accepted keys: ${keys.join(', ')}`);
  }
}

/** A non-negative integer given as a number or as damo's text (`4,096`). */
function integer(v: unknown, path: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : undefined;
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw bad(path, `expected a non-negative integer (e.g. 4096 or "4,096"), found ${JSON.stringify(v)}`);
  return n;
}

/** A time under a `*_us` key: bare numbers are microseconds, as damo writes them with --raw. */
function timeUs(v: unknown, path: string): number {
  let t: number | 'max' | undefined;
  try {
    t = typeof v === 'number' ? v : typeof v === 'string' ? parseTimeUs(v, 1) : undefined;
  } catch {
    t = undefined;
  }
  if (typeof t !== 'number' || !Number.isSafeInteger(t)) throw bad(path, `expected a time in microseconds or with a unit (e.g. 5000 or "5 ms"), found ${JSON.stringify(v)}`);
  return t;
}

/** A ratio under `access_bp`: basis points as a number or damo's text (`4 %`, raw `400.000000`). */
function bp(v: unknown, path: string): number {
  let n: number | undefined;
  try {
    n = typeof v === 'number' ? v : typeof v === 'string' ? parseBp(v) : undefined;
  } catch {
    n = undefined;
  }
  if (n === undefined || !Number.isFinite(n) || n < 0) throw bad(path, `expected basis points or a percent (e.g. 400 or "4 %"), found ${JSON.stringify(v)}`);
  return n;
}

function intervalsGoalOf(v: unknown, path: string): IntervalsGoal {
  const g = obj(v, path);
  onlyKeys(g, path, ['access_bp', 'aggrs', 'min_sample_us', 'max_sample_us']);
  // A key left out is DAMON's zero, as for the goal damo writes when none is given.
  return {
    accessBp: g.access_bp === undefined ? 0 : bp(g.access_bp, `${path}.access_bp`),
    aggrs: g.aggrs === undefined ? 0 : integer(g.aggrs, `${path}.aggrs`),
    minSampleUs: g.min_sample_us === undefined ? 0 : timeUs(g.min_sample_us, `${path}.min_sample_us`),
    maxSampleUs: g.max_sample_us === undefined ? 0 : timeUs(g.max_sample_us, `${path}.max_sample_us`),
  };
}

function unsupported(path: string, value: unknown): DamoError {
  return bad(path, `${JSON.stringify(value)} is not supported by damo start yet; only damo's default can be written`, 'remove the key or give its default');
}

function contextOf(v: unknown, path: string, source: string): ContextPlan {
  const c = obj(v, path);
  onlyKeys(c, path, ['ops', 'addr_unit', 'targets', 'intervals', 'nr_regions', 'probes', 'sample_control', 'pause', 'schemes']);
  const ops = c.ops ?? 'vaddr';
  if (typeof ops !== 'string' || !(DAMON_OPS as readonly string[]).includes(ops)) throw bad(`${path}.ops`, `expected one of ${DAMON_OPS.join(', ')}, found ${JSON.stringify(ops)}`);
  if (c.addr_unit !== undefined) {
    const unit = typeof c.addr_unit === 'string' ? c.addr_unit.replace(/\s*B$/, '') : c.addr_unit;
    if (integer(unit, `${path}.addr_unit`) !== 1) throw unsupported(`${path}.addr_unit`, c.addr_unit);
  }
  if (c.pause !== undefined && c.pause !== false) throw unsupported(`${path}.pause`, c.pause);
  if (c.probes !== undefined && list(c.probes, `${path}.probes`).length > 0) throw unsupported(`${path}.probes`, c.probes);
  if (c.sample_control !== undefined) {
    const sc = obj(c.sample_control, `${path}.sample_control`);
    const pe = sc.primitives_enabled === undefined ? {} : obj(sc.primitives_enabled, `${path}.sample_control.primitives_enabled`);
    const filters = sc.sample_filters === undefined ? [] : list(sc.sample_filters, `${path}.sample_control.sample_filters`);
    if ((pe.page_table ?? true) !== true || (pe.page_fault ?? false) !== false || filters.length > 0) throw unsupported(`${path}.sample_control`, c.sample_control);
  }
  const intervals: Intervals = { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 };
  let intervalsGoal: IntervalsGoal | undefined;
  if (c.intervals !== undefined) {
    const iv = obj(c.intervals, `${path}.intervals`);
    onlyKeys(iv, `${path}.intervals`, ['sample_us', 'aggr_us', 'ops_update_us', 'intervals_goal']);
    if (iv.sample_us !== undefined) intervals.sampleUs = timeUs(iv.sample_us, `${path}.intervals.sample_us`);
    if (iv.aggr_us !== undefined) intervals.aggrUs = timeUs(iv.aggr_us, `${path}.intervals.aggr_us`);
    if (iv.ops_update_us !== undefined) intervals.opsUpdateUs = timeUs(iv.ops_update_us, `${path}.intervals.ops_update_us`);
    if (iv.intervals_goal !== undefined) intervalsGoal = intervalsGoalOf(iv.intervals_goal, `${path}.intervals.intervals_goal`);
  }
  const nrRegions: NrRegionsRange = { min: 10, max: 1000 };
  if (c.nr_regions !== undefined) {
    const nr = obj(c.nr_regions, `${path}.nr_regions`);
    onlyKeys(nr, `${path}.nr_regions`, ['min', 'max']);
    if (nr.min !== undefined) nrRegions.min = integer(nr.min, `${path}.nr_regions.min`);
    if (nr.max !== undefined) nrRegions.max = integer(nr.max, `${path}.nr_regions.max`);
  }
  const targets = list(c.targets ?? [], `${path}.targets`).map((tv, i): KdamondTarget => {
    const tp = `${path}.targets[${i}]`;
    const t = obj(tv, tp);
    onlyKeys(t, tp, ['pid', 'obsolete', 'regions']);
    if (t.obsolete !== undefined && t.obsolete !== false) throw unsupported(`${tp}.obsolete`, t.obsolete);
    const regions = list(t.regions ?? [], `${tp}.regions`).map((rv, j): [number, number] => {
      const rp = `${tp}.regions[${j}]`;
      const r = obj(rv, rp);
      onlyKeys(r, rp, ['start', 'end']);
      return [integer(r.start, `${rp}.start`), integer(r.end, `${rp}.end`)];
    });
    const out: KdamondTarget = {};
    // paddr has no pid: damo writes null, report damon shows sysfs's 0.
    if (ops !== 'paddr') out.pid = integer(t.pid, `${tp}.pid`);
    if (regions.length > 0) out.regions = regions;
    return out;
  });
  let schemes: Scheme[] = [];
  if (c.schemes !== undefined) {
    list(c.schemes, `${path}.schemes`);
    try {
      schemes = parseSchemesJson(JSON.stringify(c.schemes), `${source} ${path}`);
    } catch (err) {
      if (isDamoError(err)) throw new DamoError('E_USAGE', `--kdamonds: ${err.message}`, err.hint === undefined ? { cause: err } : { cause: err, hint: err.hint });
      throw err;
    }
  }
  return { ops: ops as Ops, intervals, ...(intervalsGoal === undefined ? {} : { intervalsGoal }), nrRegions, targets, schemes };
}

/** The kdamonds of a document: `{"kdamonds": [...]}`, or the bare list `report damon --json` prints. */
export function kdamondsPlanOf(doc: unknown, source: string): KdamondsPlan {
  let kdamonds: unknown[];
  if (Array.isArray(doc)) kdamonds = doc;
  else {
    const top = obj(doc, 'top level');
    onlyKeys(top, 'top level', ['kdamonds']);
    kdamonds = list(top.kdamonds, 'kdamonds');
  }
  if (kdamonds.length === 0) throw bad('kdamonds', 'the list is empty; at least one kdamond is needed');
  return {
    kdamonds: kdamonds.map((kv, i) => {
      const kp = `kdamonds[${i}]`;
      const k = obj(kv, kp);
      onlyKeys(k, kp, ['contexts', 'refresh_ms'], ['state', 'pid']);
      if (k.refresh_ms !== undefined && integer(k.refresh_ms, `${kp}.refresh_ms`) !== 0) throw unsupported(`${kp}.refresh_ms`, k.refresh_ms);
      const contexts = list(k.contexts, `${kp}.contexts`);
      if (contexts.length !== 1) throw bad(`${kp}.contexts`, `DAMON runs exactly one context per kdamond; found ${contexts.length}`, 'put each context in a kdamond of its own');
      return { contexts: contexts.map((c, j) => contextOf(c, `${kp}.contexts[${j}]`, source)) };
    }),
  };
}

/** Parses kdamonds text: JSON when it looks like JSON (for its error positions), else YAML. */
export function parseKdamondsText(text: string, source: string): KdamondsPlan {
  let doc: unknown;
  try {
    doc = /^\s*[[{]/.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new DamoError('E_USAGE', `--kdamonds: ${source} is neither valid JSON nor YAML: ${(err as Error).message}`, { cause: err });
  }
  return kdamondsPlanOf(doc, source);
}

/** damo's FILE_OR_JSON: an existing file's content, else the argument itself as the document. */
export function readKdamondsArg(arg: string): KdamondsPlan {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return parseKdamondsText(fs.readFileSync(arg, 'utf8'), arg);
  if (!/^\s*[[{]/.test(arg) && !arg.includes('\n') && !arg.includes(':')) {
    throw new DamoError('E_USAGE', `--kdamonds: no file '${arg}', and it is not a JSON or YAML document either`, { hint: "give a file written by 'damo args damon', or the JSON itself" });
  }
  return parseKdamondsText(arg, '<--kdamonds argument>');
}
