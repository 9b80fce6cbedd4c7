// SPDX-License-Identifier: GPL-2.0-only
/**
 * A kdamonds document (what `damo args damon` and `damo report damon --json` print) read
 * whole into the model `report damon` prints from (damon_status.ts), for `args damon --add`,
 * `--remove` and `--replace`, which print the document's kdamonds again beside or instead of
 * those of the flags. Unlike kdamonds_input.ts (what `start --kdamonds` can write), every
 * parameter damo 3.3.0 reads is kept: addr_unit, the intervals goal, access-sample control,
 * pause, refresh_ms. Keys damo leaves out with `--omit_defaults` take damo's defaults.
 * Values are taken in any form damo writes them (`4,096`, `5 ms`, `1 B`, or --raw numbers).
 *
 * State is not parameters: statistics and tried regions are dropped (damo reads neither
 * back), but a kdamond's `state` (default 'off') and `pid` are kept for the text report,
 * which shows them for a kdamond read from a file.
 */
import * as fs from 'node:fs';

import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS, NO_INTERVALS_GOAL, ULONG_MAX_F } from '../../core/damon_constants.js';
import { DamoError, isDamoError } from '../../core/errors.js';
import { parseSchemesJson } from '../../schemes/damo_json.js';
import type { Scheme } from '../../schemes/model.js';
import { parseBp, parseNumber, parseSize, parseTimeUs } from '../../schemes/units.js';
import type { DamonStatusContext, DamonStatusKdamond, DamonStatusScheme, DamonStatusTarget } from './damon_status.js';

type Obj = Record<string, unknown>;

/**
 * Turns a scheme of the document into the model (args_damon.ts); `hasAccessPattern`: the
 * document gives the scheme's access pattern (else it is damo's default).
 */
export type SchemeToStatus = (s: Scheme, hasAccessPattern: boolean) => DamonStatusScheme;

class DocReader {
  constructor(
    readonly option: string,
    readonly source: string,
  ) {}

  bad(path: string, what: string, hint?: string): DamoError {
    return new DamoError('E_USAGE', `${this.option} ${this.source}: ${path}: ${what}`, hint === undefined ? {} : { hint });
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.bad(path, `expected an object, found ${JSON.stringify(v) ?? String(v)}`);
    return v as Obj;
  }

  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.bad(path, `expected a list, found ${JSON.stringify(v) ?? String(v)}`);
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false|y|n|yes|no)$/i.test(v)) return /^(true|y|yes)$/i.test(v);
    throw this.bad(path, `expected true or false, found ${JSON.stringify(v)}`);
  }

  str(v: unknown, path: string): string {
    if (typeof v !== 'string') throw this.bad(path, `expected text, found ${JSON.stringify(v)}`);
    return v;
  }

  /** A non-negative number as damo writes it: 4096, "4,096", or "max" (ULONG_MAX). */
  nr(v: unknown, path: string): number {
    if (v === 'max') return ULONG_MAX_F;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : undefined;
    if (n === undefined || n < 0) throw this.bad(path, `expected a non-negative number (e.g. 4096 or "4,096"), found ${JSON.stringify(v)}`);
    return n;
  }

  timeUs(v: unknown, path: string): number {
    if (typeof v === 'number') return v;
    try {
      const t = typeof v === 'string' ? parseTimeUs(v, 1) : undefined;
      if (t === 'max') return ULONG_MAX_F;
      if (t !== undefined) return t;
    } catch {
      // reported below
    }
    throw this.bad(path, `expected a time in microseconds or with a unit (e.g. 5000 or "5 ms"), found ${JSON.stringify(v)}`);
  }

  bytes(v: unknown, path: string): number {
    if (typeof v === 'number') return v;
    try {
      const b = typeof v === 'string' ? parseSize(v) : undefined;
      if (b === 'max') return ULONG_MAX_F;
      if (b !== undefined) return b;
    } catch {
      // reported below
    }
    throw this.bad(path, `expected a size in bytes (e.g. 1 or "1 B"), found ${JSON.stringify(v)}`);
  }

  bp(v: unknown, path: string): number {
    if (typeof v === 'number') return v;
    try {
      if (typeof v === 'string') return parseBp(v);
    } catch {
      // reported below
    }
    throw this.bad(path, `expected basis points or a percent (e.g. 400 or "4 %"), found ${JSON.stringify(v)}`);
  }
}

function targetOf(r: DocReader, v: unknown, path: string): DamonStatusTarget {
  const t = r.obj(v, path);
  const pid = t.pid === undefined || t.pid === null ? null : r.nr(t.pid, `${path}.pid`);
  const regions = r.list(t.regions ?? [], `${path}.regions`).map((rv, i) => {
    const reg = r.obj(rv, `${path}.regions[${i}]`);
    return { start: r.nr(reg.start, `${path}.regions[${i}].start`), end: r.nr(reg.end, `${path}.regions[${i}].end`) };
  });
  return { pid, obsolete: t.obsolete === undefined ? false : r.bool(t.obsolete, `${path}.obsolete`), regions };
}

function sampleControlOf(r: DocReader, v: unknown, path: string): DamonStatusContext['sampleControl'] {
  if (v === undefined) return { pageTable: true, pageFault: false, filters: [] };
  const sc = r.obj(v, path);
  const pe = sc.primitives_enabled === undefined ? {} : r.obj(sc.primitives_enabled, `${path}.primitives_enabled`);
  return {
    pageTable: pe.page_table === undefined ? true : r.bool(pe.page_table, `${path}.primitives_enabled.page_table`),
    pageFault: pe.page_fault === undefined ? false : r.bool(pe.page_fault, `${path}.primitives_enabled.page_fault`),
    filters: r.list(sc.sample_filters ?? [], `${path}.sample_filters`).map((fv, i) => {
      const fp = `${path}.sample_filters[${i}]`;
      const f = r.obj(fv, fp);
      return {
        type: r.str(f.filter_type, `${fp}.filter_type`),
        matching: r.bool(f.matching, `${fp}.matching`),
        allow: r.bool(f.allow, `${fp}.allow`),
        cpumask: f.cpumask === undefined || f.cpumask === null ? '' : r.str(f.cpumask, `${fp}.cpumask`),
        tidArr: f.tid_arr === undefined || f.tid_arr === null ? '' : r.str(f.tid_arr, `${fp}.tid_arr`),
      };
    }),
  };
}

function contextOf(r: DocReader, v: unknown, path: string, toStatus: SchemeToStatus): DamonStatusContext {
  const c = r.obj(v, path);
  const intervals = { ...DEFAULT_INTERVALS };
  const intervalsGoal = { ...NO_INTERVALS_GOAL };
  if (c.intervals !== undefined) {
    const p = `${path}.intervals`;
    const iv = r.obj(c.intervals, p);
    intervals.sampleUs = r.timeUs(iv.sample_us, `${p}.sample_us`);
    intervals.aggrUs = r.timeUs(iv.aggr_us, `${p}.aggr_us`);
    intervals.opsUpdateUs = r.timeUs(iv.ops_update_us, `${p}.ops_update_us`);
    if (iv.intervals_goal !== undefined) {
      const g = r.obj(iv.intervals_goal, `${p}.intervals_goal`);
      intervalsGoal.accessBp = r.bp(g.access_bp, `${p}.intervals_goal.access_bp`);
      intervalsGoal.aggrs = r.nr(g.aggrs, `${p}.intervals_goal.aggrs`);
      intervalsGoal.minSampleUs = r.timeUs(g.min_sample_us, `${p}.intervals_goal.min_sample_us`);
      intervalsGoal.maxSampleUs = r.timeUs(g.max_sample_us, `${p}.intervals_goal.max_sample_us`);
    }
  }
  const nrRegions = { ...DEFAULT_NR_REGIONS };
  if (c.nr_regions !== undefined) {
    const nr = r.obj(c.nr_regions, `${path}.nr_regions`);
    nrRegions.min = r.nr(nr.min, `${path}.nr_regions.min`);
    nrRegions.max = r.nr(nr.max, `${path}.nr_regions.max`);
  }
  if (c.probes !== undefined && r.list(c.probes, `${path}.probes`).length > 0) {
    throw r.bad(`${path}.probes`, 'access probes are not supported by damo-ts yet', 'remove the probes from the file');
  }
  let schemes: Scheme[] = [];
  const schemeList = r.list(c.schemes, `${path}.schemes`);
  if (schemeList.length > 0) {
    try {
      schemes = parseSchemesJson(JSON.stringify(schemeList), `${r.source} ${path}`);
    } catch (err) {
      if (isDamoError(err)) throw new DamoError('E_USAGE', `${r.option} ${err.message}`, err.hint === undefined ? { cause: err } : { cause: err, hint: err.hint });
      throw err;
    }
  }
  return {
    ops: r.str(c.ops, `${path}.ops`),
    addrUnit: c.addr_unit === undefined ? 1 : r.bytes(c.addr_unit, `${path}.addr_unit`),
    opsAttrs: { useReports: false, writeOnly: false, cpus: '', tids: '' },
    pause: c.pause === undefined ? false : r.bool(c.pause, `${path}.pause`),
    targets: r.list(c.targets, `${path}.targets`).map((t, i) => targetOf(r, t, `${path}.targets[${i}]`)),
    intervals,
    intervalsGoal,
    nrRegions,
    sampleControl: sampleControlOf(r, c.sample_control, `${path}.sample_control`),
    schemes: schemes.map((s, i) => toStatus(s, r.obj(schemeList[i], `${path}.schemes[${i}]`).access_pattern !== undefined)),
  };
}

/** The kdamonds of a document's text (JSON, as damo reads it). */
export function kdamondsOfDocText(text: string, option: string, source: string, toStatus: SchemeToStatus): DamonStatusKdamond[] {
  const r = new DocReader(option, source);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DamoError('E_USAGE', `${option} ${source}: not a JSON kdamonds document: ${(err as Error).message}`, { cause: err, hint: "give a file written by 'damo args damon' (JSON), or the JSON itself" });
  }
  const top = r.obj(doc, 'top level');
  return r.list(top.kdamonds, 'kdamonds').map((kv, i) => {
    const kp = `kdamonds[${i}]`;
    const k = r.obj(kv, kp);
    const pid = k.pid === undefined || k.pid === null ? null : typeof k.pid === 'number' ? String(k.pid) : r.str(k.pid, `${kp}.pid`);
    const state = k.state === undefined ? 'off' : r.str(k.state, `${kp}.state`);
    return {
      state,
      pid: pid ?? '-1',
      refreshMs: k.refresh_ms === undefined ? 0 : r.nr(k.refresh_ms, `${kp}.refresh_ms`),
      contexts: r.list(k.contexts, `${kp}.contexts`).map((c, j) => contextOf(r, c, `${kp}.contexts[${j}]`, toStatus)),
      shownState: { state, pid },
    };
  });
}

/** damo's FILE_OR_JSON argument: an existing file's content, else the argument itself. */
export function readKdamondsDocArg(arg: string, option: string, toStatus: SchemeToStatus): DamonStatusKdamond[] {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return kdamondsOfDocText(fs.readFileSync(arg, 'utf8'), option, arg, toStatus);
  if (!/^\s*\{/.test(arg)) throw new DamoError('E_USAGE', `${option}: no file '${arg}', and it is not a JSON kdamonds document either`, { hint: "give a file written by 'damo args damon' (JSON), or the JSON itself" });
  return kdamondsOfDocText(arg, option, '<argument>', toStatus);
}
