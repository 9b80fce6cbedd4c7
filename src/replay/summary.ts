// SPDX-License-Identifier: GPL-2.0-only
/** Text and JSON summaries of a replay run (`damo replay`). */
import type { ReplayPlan } from './plan.js';
import { percentileOf, type RssAccuracy } from './rss.js';
import type { ReplayResult } from './runner.js';
import { formatSz } from '../core/fmt.js';

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(1)} ms`;
}

function seconds(ns: number): string {
  return `${(ns / 1e9).toFixed(3)} s`;
}

function pct(v: number | null): string {
  if (v === null) return 'n/a';
  if (Math.abs(v) < 0.005) return '0.00%';
  return `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;
}

export function replaySummaryJson(plan: ReplayPlan, result: ReplayResult, mappingPath: string | null): unknown {
  const sortedWss = Float64Array.from(result.traceWssBytes).sort();
  return {
    trace: plan.scan.path,
    target: plan.scan.targetIndex,
    outcome: result.outcome,
    pid: result.mapping?.pid ?? null,
    mappingFile: mappingPath,
    mapping: result.mapping === null ? null : { ...result.mapping, startMonotonicNs: result.mapping.startMonotonicNs.toString() },
    periods: { planned: result.nrPlannedPeriods, replayed: result.stats?.periods ?? 0 },
    plannedDurationNs: result.plannedDurationNs,
    timeScale: plan.options.timeScale,
    layout: {
      nrAreas: plan.layout.areas.length,
      traceBytes: plan.layout.traceBytes,
      replayBytes: plan.layout.replayBytes,
      scale: plan.layout.scale,
      maxMemoryBytes: plan.options.maxMemoryBytes,
    },
    traceWssBytes: {
      percentiles: [0, 10, 25, 50, 75, 90, 100].map((p) => ({ percentile: p, bytes: percentileOf(sortedWss, p) })),
    },
    lostBytes: result.lostBytes,
    clampedRegions: result.clampedRegions,
    stats: result.stats,
    rss: result.rss,
    referenced: result.referenced,
    error: result.errorMessage,
  };
}

export function replaySummaryText(plan: ReplayPlan, result: ReplayResult, mappingPath: string | null): string {
  const out: string[] = [];
  const st = result.stats;
  const pid = result.mapping?.pid;
  out.push(`# replay of ${plan.scan.path} (target ${plan.scan.targetIndex})${pid === undefined ? '' : ` as pid ${pid}`}: ${result.outcome}`);
  out.push(
    `periods:   ${st?.periods ?? 0} of ${result.nrPlannedPeriods} replayed (${seconds(result.plannedDurationNs)} planned, time scale ${plan.options.timeScale})`,
  );
  const l = plan.layout;
  out.push(
    `memory:    ${l.areas.length} area(s), ${formatSz(l.replayBytes, false)} for ${formatSz(l.traceBytes, false)} of trace (scale ${l.scale.toPrecision(4)})`,
  );
  if (st !== null) {
    out.push(`touched:   ${st.touchedPages} page writes, ${formatSz(st.releasedBytes, false)} released`);
    out.push(`timing:    ${st.lateSlots} late slot(s) of ${st.slots}, max slot lag ${ms(st.maxSlotLagNs)}, max period lag ${ms(st.maxPeriodLagNs)}`);
    out.push(`cpu:       user ${(st.cpuUserUs / 1e6).toFixed(2)} s, sys ${(st.cpuSysUs / 1e6).toFixed(2)} s, peak rss ${formatSz(st.maxRssKb * 1024, false)}`);
  }
  if (result.lostBytes > 0) out.push(`lost:      ${formatSz(result.lostBytes, false)} of accessed regions scaled below one page`);
  if (result.clampedRegions > 0) out.push(`clamped:   ${result.clampedRegions} region(s) had nr_accesses above the sampling count`);
  if (mappingPath !== null) out.push(`mapping:   ${mappingPath}`);
  const table = (title: string, r: RssAccuracy, measured: string): void => {
    out.push('');
    out.push(`# ${title} (${r.nrPoints} periods sampled, ${r.nrLate} late)`);
    out.push(`${'pct'.padStart(4)} ${'trace wss x scale'.padStart(18)} ${'planned'.padStart(14)} ${measured.padStart(14)} ${'error'.padStart(9)}`);
    for (const row of r.percentiles) {
      out.push(
        `${String(row.percentile).padStart(4)} ${formatSz(row.expectedBytes, false).padStart(18)} ${formatSz(row.plannedBytes, false).padStart(14)} ${formatSz(row.measuredBytes, false).padStart(14)} ${pct(row.errorPct).padStart(9)}`,
      );
    }
    out.push(`max |error| at these percentiles: ${pct(r.maxAbsErrorPct)}; mean period error: ${pct(r.meanAbsPeriodErrorPct)}`);
  };
  if (result.rss !== null) table("rss of the replay areas vs the trace's working set", result.rss, 'measured rss');
  if (result.referenced !== null) table("bytes the replay referenced per period vs the trace's working set", result.referenced, 'referenced');
  return out.join('\n') + '\n';
}

