// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report damon`: what the kdamonds are doing now, in damo 3.3.0's layout.
 *
 * Before reading, it asks the kernel to refresh what DAMON publishes only on request, as
 * damo 3.3.0 does: `update_tuned_intervals` (EINVAL on kernels without interval tuning is
 * ignored), then, when any scheme exists, `update_schemes_stats` and, where the kernel has
 * `quotas/effective_bytes`, `update_schemes_effective_quotas`; each written to the `state`
 * file of every running kdamond whose `refresh_ms` is 0 (a kdamond with refresh_ms set
 * refreshes them itself). Tried regions are not refreshed: 3.3.0 skips that for every
 * output format, and it is the slow command (it waits for a whole apply pass).
 * Reading only ever writes those state commands; it changes no parameter.
 */
import * as fs from 'node:fs';

import type { CliIO } from '../../core/io.js';
import { DamoError, errnoCode, errorMessage } from '../../core/errors.js';
import { readTrim, writeRetryBusy, type KernelFs } from '../kfs.js';
import { kernelFs } from './cli_kfs.js';
import { readDamonStatus, type DamonStatusKdamond } from './damon_status.js';
import { readDebugfsStatus } from './debugfs_status.js';
import { resolveKdamondInterface, type InterfaceRoots } from './debugfs_inspect.js';
import { release } from 'node:os';
import { kdamondsJson, kdamondsYaml } from './kdamonds_text.js';
import { kdamondSummary, kdamondsKvpairs, kdamondsText, statsKvpairs, type StatusFormatOptions } from './damon_status_format.js';

export const DAMOS_STAT_FIELDS = ['nr_tried', 'sz_tried', 'nr_applied', 'sz_applied', 'qt_exceeds'] as const;
export type DamosStatField = (typeof DAMOS_STAT_FIELDS)[number];

export interface ReportDamonRequest {
  sysfsRoot: string;
  /** Read DAMON debugfs's root context instead of sysfs (--damon_interface_DEPRECATED debugfs). */
  debugfs?: { root: string; kernelRelease: string } | undefined;
  /** Where /sys/module lives (the DAMON modules' on/off lines at the end of the report). */
  moduleRoot: string;
  format: 'report' | 'json' | 'yaml';
  raw: boolean;
  /** Only the DAMOS statistics. */
  damosStats: boolean;
  damosStatFields: readonly DamosStatField[] | null;
  /** Only one summary line per kdamond. */
  kdamondsSummary: boolean;
  /** Only the parameters (no state, pid, statistics or tried regions). */
  damonParams: boolean;
  /**
   * --omit_damos_tried_regions. damo 3.3.0 passes this flag where its printer expects
   * params_only, so it prints the parameters only; we do the same.
   */
  omitTriedRegions: boolean;
}

function runningIndexes(kfs: KernelFs, root: string): number[] {
  const nr = Number(readTrim(kfs, `${root}/kdamonds/nr_kdamonds`) ?? 0);
  const out: number[] = [];
  for (let k = 0; k < nr; k++) if (readTrim(kfs, `${root}/kdamonds/${k}/state`) === 'on') out.push(k);
  return out;
}

/** Running kdamonds that do not refresh their stats themselves (refresh_ms 0 or absent). */
function needsRefresh(kfs: KernelFs, root: string, idxs: number[]): number[] {
  return idxs.filter((k) => {
    const t = readTrim(kfs, `${root}/kdamonds/${k}/refresh_ms`);
    return t === undefined || Number(t) === 0;
  });
}

function stateCommand(kfs: KernelFs, root: string, k: number, command: string, ignoreEinval = false): void {
  const path = `${root}/kdamonds/${k}/state`;
  try {
    writeRetryBusy(kfs, path, command);
  } catch (err) {
    if (ignoreEinval && errnoCode(err) === 'EINVAL') return;
    // It may have stopped between the check and the write: then there is nothing to refresh.
    if (readTrim(kfs, path) !== 'on') return;
    throw new DamoError('E_IO', `asking kdamond ${k} to '${command}' failed (writing ${path}: ${errorMessage(err)})`, { cause: err });
  }
}

function anySchemes(kfs: KernelFs, root: string, idxs: number[]): boolean {
  return idxs.some((k) => {
    const nrCtx = Number(readTrim(kfs, `${root}/kdamonds/${k}/contexts/nr_contexts`) ?? 0);
    for (let c = 0; c < nrCtx; c++) if (Number(readTrim(kfs, `${root}/kdamonds/${k}/contexts/${c}/schemes/nr_schemes`) ?? 0) > 0) return true;
    return false;
  });
}

function hasEffectiveQuotas(kfs: KernelFs, root: string, k: number): boolean {
  return kfs.exists(`${root}/kdamonds/${k}/contexts/0/schemes/0/quotas/effective_bytes`);
}

/** The kernel-side refreshes damo 3.3.0 asks for before `report damon` reads. */
export function refreshKdamonds(kfs: KernelFs, root: string, what: { tunedIntervals: boolean; effectiveQuotas: boolean }): void {
  const running = runningIndexes(kfs, root);
  if (running.length === 0) return;
  const idxs = needsRefresh(kfs, root, running);
  if (what.tunedIntervals) for (const k of idxs) stateCommand(kfs, root, k, 'update_tuned_intervals', true);
  if (!anySchemes(kfs, root, running)) return;
  for (const k of idxs) stateCommand(kfs, root, k, 'update_schemes_stats');
  if (what.effectiveQuotas) for (const k of idxs) if (hasEffectiveQuotas(kfs, root, k)) stateCommand(kfs, root, k, 'update_schemes_effective_quotas');
}

/** The DAMON modules' on/off lines damo appends to the report (damon_reclaim: off). */
function moduleLines(moduleRoot: string): string {
  let names: string[];
  try {
    names = fs.readdirSync(moduleRoot);
  } catch {
    return '';
  }
  const states = new Map<string, string>();
  for (const m of names) {
    if (!m.startsWith('damon_') || m.startsWith('damon_sample_')) continue;
    for (const p of ['enabled', 'enable']) {
      try {
        const v = fs.readFileSync(`${moduleRoot}/${m}/parameters/${p}`, 'utf8').trim();
        states.set(m, v === 'Y' ? 'on' : 'off');
      } catch {
        // the module has no such parameter
      }
    }
  }
  return [...states.keys()]
    .sort()
    .map((m) => `${m}: ${states.get(m) ?? 'off'}\n`)
    .join('');
}

/** JSON or YAML as damo prints them (the caller has handled 'report'). */
function dump(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? kdamondsJson(value) : kdamondsYaml(value);
}

function statsOutput(kdamonds: DamonStatusKdamond[], req: ReportDamonRequest): string {
  const stats: Array<[{ kdamond: number; context: number; scheme: number }, Record<string, string>]> = [];
  kdamonds.forEach((k, ki) =>
    k.contexts.forEach((c, ci) =>
      c.schemes.forEach((s, si) => {
        const all = statsKvpairs(s.stats, req.raw);
        const kv = req.damosStatFields === null ? all : Object.fromEntries(req.damosStatFields.map((f) => [f, all[f] ?? '']));
        stats.push([{ kdamond: ki, context: ci, scheme: si }, kv]);
      }),
    ),
  );
  if (req.format !== 'report') return dump(req.format, stats);
  let out = '';
  for (const [idx, kv] of stats) {
    if (stats.length > 1) out += `kdamond ${idx.kdamond} / context ${idx.context} / scheme ${idx.scheme}\n`;
    const keys = Object.keys(kv);
    for (const key of keys) out += keys.length > 1 ? `${key}: ${kv[key]}\n` : `${kv[key]}\n`;
    if (stats.length > 1) out += '\n';
  }
  return out;
}

export function runReportDamonCommand(io: CliIO, kfs: KernelFs, req: ReportDamonRequest): number {
  const root = req.sysfsRoot;
  const dbg = req.debugfs;
  const fmt: StatusFormatOptions = { raw: req.raw, paramsOnly: false };
  // debugfs keeps its statistics current and has nothing to refresh.
  const read = (): DamonStatusKdamond[] => (dbg === undefined ? readDamonStatus(kfs, root) : readDebugfsStatus(kfs, dbg.root, dbg.kernelRelease));
  if (dbg === undefined && !kfs.exists(`${root}/kdamonds/nr_kdamonds`)) readDamonStatus(kfs, root); // throws the missing-sysfs error
  if (req.damonParams) {
    const kdamonds = read();
    const o = { ...fmt, paramsOnly: true };
    io.stdout.write(req.format !== 'report' ? dump(req.format, kdamondsKvpairs(kdamonds, o)) : kdamondsText(kdamonds, o));
    return 0;
  }
  if (req.kdamondsSummary) {
    const summary = read().map((k) => kdamondSummary(k, fmt));
    io.stdout.write(req.format !== 'report' ? dump(req.format, summary) : summary.map((l, i) => `${i}\t${l}\n`).join(''));
    return 0;
  }
  if (req.damosStats) {
    if (dbg === undefined) {
      const running = runningIndexes(kfs, root);
      for (const k of needsRefresh(kfs, root, running)) stateCommand(kfs, root, k, 'update_schemes_stats');
    }
    io.stdout.write(statsOutput(read(), req));
    return 0;
  }
  if (dbg === undefined) refreshKdamonds(kfs, root, { tunedIntervals: true, effectiveQuotas: true });
  const kdamonds = read();
  if (req.format !== 'report') {
    io.stdout.write(dump(req.format, kdamondsKvpairs(kdamonds, fmt)));
    return 0;
  }
  io.stdout.write(kdamondsText(kdamonds, { ...fmt, paramsOnly: req.omitTriedRegions }));
  io.stdout.write(moduleLines(req.moduleRoot));
  return 0;
}

/**
 * The CLI's entry point (src/cli/report/damon.ts imports this module, not control_command.ts,
 * so that the command evaluates only what it runs, not the modules of start, stop, tune and
 * args damon: CPU profiles of `report damon` in the VM (test/vm, TCG) put the evaluation of
 * the modules it imports at 72-128 ms through control_command.js, 52-56 ms this way).
 */
export function runReportDamonCliCommand(io: CliIO, req: Omit<ReportDamonRequest, 'debugfs'> & InterfaceRoots & { debug: boolean }): number {
  const { debug, debugfsRoot, interface: iface, ...report } = req;
  const kfs = kernelFs(io, debug);
  const debugfs = resolveKdamondInterface(kfs, { sysfsRoot: req.sysfsRoot, debugfsRoot, interface: iface }) === 'debugfs' ? { root: debugfsRoot, kernelRelease: release() } : undefined;
  return runReportDamonCommand(io, kfs, { ...report, debugfs });
}
