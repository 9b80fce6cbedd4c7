// SPDX-License-Identifier: GPL-2.0-only
/**
 * DAMON debugfs's root context as one kdamond in the DamonStatusKdamond shape the sysfs
 * reader (damon_status.ts) produces, so `report damon` prints it with the same formatter.
 * As damo 3.3.0 reads it (`_damon_dbgfs.files_content_to_kdamonds`): state from
 * monitor_on, pid from kdamond_pid ('none' when off), intervals and region counts from
 * attrs, one target per target_ids entry (42 means paddr, and is shown as the pid, as damo
 * shows it), their init_regions only while monitoring is off (the kernel refuses reading
 * them while on), and the schemes with their access pattern in percent and microseconds
 * (converted from samples and aggregation intervals at the attrs' intervals) and their
 * statistics from the trailing fields of each `schemes` line. debugfs keeps its statistics
 * current, so nothing is written to refresh them.
 *
 * One difference from damo 3.3.0 on purpose: damo passes the five statistics fields to its
 * DamosStats positionally, so the fifth (qt_exceeds) lands in sz_ops_filter_passed and
 * qt_exceeds reads 0; here qt_exceeds is qt_exceeds and sz_ops_filter_passed is 0.
 */
import { NO_INTERVALS_GOAL, ULONG_MAX_F } from '../../core/damon_constants.js';
import { DamoError } from '../../core/errors.js';
import { DEBUGFS_ACTION_NUMBER, defaultQuotas, defaultWatermarks } from '../../schemes/model.js';
import { DEBUGFS_PADDR_TARGET_ID, parseDebugfsSchemeLine } from '../debugfs_files.js';
import { kernelAtLeast } from '../detect.js';
import { readTrim, type KernelFs } from '../kfs.js';
import { requireDebugfs } from './debugfs_inspect.js';
import { DEFAULT_GOAL_TUNER, type DamonRegionRange, type DamonStatusContext, type DamonStatusKdamond, type DamonStatusScheme } from './damon_status.js';

function numbers(path: string, text: string): number[] {
  const f = text.split(/\s+/).filter((x) => x.length > 0);
  const out = f.map(Number);
  if (out.some((x) => !Number.isFinite(x))) throw new DamoError('E_IO', `${path} reads '${text}', not numbers`);
  return out;
}

function schemeOf(path: string, line: string, intervals: { sampleUs: number; aggrUs: number }): DamonStatusScheme {
  const parsed = parseDebugfsSchemeLine(line);
  if (parsed === null) throw new DamoError('E_IO', `${path} has a line of an unknown layout: '${line.trim()}'`);
  const f = parsed.input;
  const at = (i: number): number => f[i] ?? 0;
  const action = Object.entries(DEBUGFS_ACTION_NUMBER).find(([, n]) => n === at(6))?.[0] ?? String(at(6));
  const maxNr = intervals.aggrUs / intervals.sampleUs;
  const q = defaultQuotas();
  const w = defaultWatermarks();
  const full = f.length >= 18;
  const st = parsed.stats;
  return {
    action,
    targetNid: null,
    applyIntervalUs: 0,
    sz: [at(0), at(1)],
    nrAccesses: [(at(2) * 100) / maxNr, (at(3) * 100) / maxNr],
    age: [intervals.aggrUs * at(4), intervals.aggrUs * at(5)],
    nrAccessesUnit: 'percent',
    ageUnit: 'us',
    floatPercents: true,
    dests: [],
    quotas: {
      ms: full ? at(7) : q.timeMs,
      bytes: full ? at(8) : q.szBytes,
      resetIntervalMs: full ? at(9) : ULONG_MAX_F,
      weights: full ? { sz: at(10), nrAccesses: at(11), age: at(12) } : { sz: q.weights.szPermil, nrAccesses: q.weights.nrAccessesPermil, age: q.weights.agePermil },
      goals: [],
      goalTuner: DEFAULT_GOAL_TUNER,
      effectiveBytes: 0,
      failChargeNum: 0,
      failChargeDenom: 0,
    },
    watermarks: full
      ? { metric: at(13) === 1 ? 'free_mem_rate' : 'none', intervalUs: at(14), high: at(15), mid: at(16), low: at(17) }
      : { metric: w.metric, intervalUs: w.intervalUs, high: w.highPermil, mid: w.midPermil, low: w.lowPermil },
    filters: [],
    stats: { nrTried: st.nrTried, szTried: st.szTried, nrApplied: st.nrApplied ?? 0, szApplied: st.szApplied ?? 0, szOpsFilterPassed: 0, qtExceeds: st.qtExceeds ?? 0, nrSnapshots: 0, maxNrSnapshots: 0 },
    triedRegions: [],
    triedTotalBytes: null,
  };
}

/** The root context as a one-kdamond list; `kernelRelease` says how init_regions names targets (index from 5.18). */
export function readDebugfsStatus(kfs: KernelFs, root: string, kernelRelease: string): DamonStatusKdamond[] {
  const view = requireDebugfs(kfs, root);
  const read = (name: string): string => readTrim(kfs, `${root}/${name}`) ?? '';
  const attrs = numbers(`${root}/attrs`, read('attrs'));
  if (attrs.length < 5) throw new DamoError('E_IO', `${root}/attrs reads '${read('attrs')}', not 5 numbers`);
  const [sampleUs, aggrUs, opsUpdateUs, minNr, maxNr] = attrs as [number, number, number, number, number];
  const ids = numbers(`${root}/target_ids`, read('target_ids'));
  const regions = new Map<number, DamonRegionRange[]>();
  if (!view.on && kfs.exists(`${root}/init_regions`)) {
    const f = numbers(`${root}/init_regions`, read('init_regions'));
    for (let i = 0; i + 2 < f.length; i += 3) {
      const key = f[i] as number;
      regions.set(key, [...(regions.get(key) ?? []), { start: f[i + 1] as number, end: f[i + 2] as number }]);
    }
  }
  const byIndex = kernelAtLeast(kernelRelease, 5, 18);
  const schemesPath = `${root}/schemes`;
  const schemesText = kfs.exists(schemesPath) ? kfs.read(schemesPath) : '';
  const ctx: DamonStatusContext = {
    ops: ids.includes(DEBUGFS_PADDR_TARGET_ID) ? 'paddr' : 'vaddr',
    addrUnit: 1,
    opsAttrs: { useReports: false, writeOnly: false, cpus: 'all', tids: '' },
    pause: false,
    targets: ids.map((id, idx) => ({ pid: id, obsolete: false, regions: regions.get(byIndex ? idx : id) ?? [] })),
    intervals: { sampleUs, aggrUs, opsUpdateUs },
    intervalsGoal: { ...NO_INTERVALS_GOAL },
    nrRegions: { min: minNr, max: maxNr },
    sampleControl: { pageTable: true, pageFault: false, filters: [] },
    schemes: schemesText
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => schemeOf(schemesPath, l, { sampleUs, aggrUs })),
  };
  return [{ state: view.on ? 'on' : 'off', pid: read('kdamond_pid'), refreshMs: 0, contexts: [ctx] }];
}
