// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo adjust` (damo 3.3.0): rewrite a recording with the record filters applied, the first
 * `skip` snapshots of each target dropped and the rest re-aggregated to a longer aggregation
 * interval (damo `_damo_records.adjust_records`), into damo's json_compressed by default.
 *
 * Streaming: each target's snapshots go through the filters and the aggregation one by one,
 * so memory holds one aggregation window, not the recording.
 */
import { chmod } from 'node:fs/promises';

import { DamoError, errorMessage } from '../core/errors.js';
import type { CliIO } from '../core/io.js';
import { writeOutputFile } from '../core/output_file.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { targetSnapshots } from '../core/trace_walk.js';
import { openForReport } from '../format/open_for_report.js';
import type { AdjustOutputType, RecordFilter } from './access_options.js';
import { snapshotOf } from './access_records.js';
import { filterSnapshot, isEmptyFilter } from './record_filter.js';

export interface AdjustRequest {
  input: string;
  output: string;
  outputType: AdjustOutputType;
  mode: number;
  /** New aggregation interval; undefined keeps the snapshots as they are (filters only). */
  aggregateIntervalUs: number | undefined;
  skip: number;
  filter: RecordFilter;
}

/** A region while re-aggregating; objects so that identity works like damo's region objects. */
interface AggRegion {
  start: number;
  end: number;
  samples: number;
  age: number;
  /** NaN when the recording has no filter results. */
  passed: number;
}

function passedFor(r: AggRegion, size: number): number {
  if (Number.isNaN(r.passed)) return NaN;
  return Math.trunc((r.passed / (r.end - r.start)) * size);
}

/**
 * damo `add_region`: a region overlapping kept ones raises each of them by its nr_accesses
 * (the maximum over this snapshot's overlapping regions); its parts outside them are added
 * as regions of their own.
 */
function addRegion(regions: AggRegion[], region: AggRegion, toAdd: Map<AggRegion, number>): void {
  for (const r of regions) {
    if (r.end <= region.start || region.end <= r.start) continue;
    toAdd.set(r, Math.max(toAdd.get(r) ?? 0, region.samples));
    const parts: AggRegion[] = [];
    if (region.start < r.start) {
      parts.push({ start: region.start, end: r.start, samples: region.samples, age: region.age, passed: passedFor(region, r.start - region.start) });
    }
    if (r.end < region.end) {
      parts.push({ start: r.end, end: region.end, samples: region.samples, age: region.age, passed: passedFor(region, region.end - r.end) });
    }
    for (const p of parts) addRegion(regions, p, toAdd);
    return;
  }
  regions.push(region);
}

/** damo `aggregate_snapshots`: one snapshot spanning the group. */
function aggregate(group: Snapshot[], targetIndex: number): Snapshot {
  const regions: AggRegion[] = [];
  for (const s of group) {
    const toAdd = new Map<AggRegion, number>();
    for (let i = 0; i < s.starts.length; i++) {
      addRegion(
        regions,
        {
          start: s.starts[i] as number,
          end: s.ends[i] as number,
          samples: s.nrAccesses[i] as number,
          age: s.ages[i] as number,
          passed: s.szFilterPassed === undefined ? NaN : (s.szFilterPassed[i] as number),
        },
        toAdd,
      );
    }
    for (const [r, add] of toAdd) r.samples += add;
  }
  const n = regions.length;
  const out: Snapshot = {
    targetIndex,
    startNs: (group[0] as Snapshot).startNs,
    endNs: (group[group.length - 1] as Snapshot).endNs,
    starts: new Float64Array(n),
    ends: new Float64Array(n),
    nrAccesses: new Float64Array(n),
    ages: new Float64Array(n),
  };
  const hasPassed = group.some((s) => s.szFilterPassed !== undefined);
  if (hasPassed) out.szFilterPassed = new Float64Array(n);
  let total = 0;
  regions.forEach((r, i) => {
    out.starts[i] = r.start;
    out.ends[i] = r.end;
    out.nrAccesses[i] = r.samples;
    out.ages[i] = r.age;
    if (out.szFilterPassed !== undefined) out.szFilterPassed[i] = Number.isNaN(r.passed) ? 0 : r.passed;
    total += r.end - r.start;
  });
  out.totalBytes = total;
  return out;
}

/** One target's snapshots after the filters, the skip and the re-aggregation. */
async function* adjustedSnapshots(src: TraceSource, t: number, r: AdjustRequest): AsyncGenerator<Snapshot> {
  const base = src.header.baseTimeNs === 0n ? 0 : Number(src.header.baseTimeNs);
  const state = { nrBeforeIdx: 0 };
  const filtering = !isEmptyFilter(r.filter);
  let seen = 0;
  let group: Snapshot[] = [];
  for await (const s0 of targetSnapshots(src, t)) {
    let s: Snapshot = s0;
    if (filtering) {
      const a = snapshotOf(s0);
      a.startNs += base;
      a.endNs += base;
      const f = filterSnapshot(a, src.header.intervals, r.filter, state);
      if (f === undefined) continue;
      s = {
        targetIndex: t,
        startNs: f.startNs - base,
        endNs: f.endNs - base,
        starts: f.starts,
        ends: f.ends,
        nrAccesses: f.samples,
        ages: f.ages,
        totalBytes: f.totalBytes,
      };
      if (f.szFilterPassed !== undefined) s.szFilterPassed = f.szFilterPassed;
    }
    if (r.aggregateIntervalUs === undefined) {
      yield s;
      continue;
    }
    if (seen++ < r.skip) continue;
    group.push(s);
    if (s.endNs - (group[0] as Snapshot).startNs >= r.aggregateIntervalUs * 1000) {
      yield aggregate(group, t);
      group = [];
    }
  }
}

/** The adjusted recording as a source the writers stream from. */
function adjustedSource(src: TraceSource, r: AdjustRequest): TraceSource {
  const header = { ...src.header };
  if (r.aggregateIntervalUs !== undefined && header.intervals !== null) header.intervals = { ...header.intervals, aggrUs: r.aggregateIntervalUs };
  return {
    path: src.path,
    header,
    warnings: src.warnings,
    trailer: () => null,
    async *snapshots() {
      for (let t = 0; t < header.targets.length; t++) yield* adjustedSnapshots(src, t, r);
    },
  };
}

export async function runAdjustCommand(io: CliIO, r: AdjustRequest): Promise<number> {
  const src = await openForReport(io, r.input, { strict: false, outputs: [{ path: r.output, what: 'the output' }] });
  const adjusted = adjustedSource(src, r);
  // Written under a temporary name removed on error and at exit (an interrupt included).
  await writeOutputFile(r.output, async (tmp) => {
    try {
      if (r.outputType === 'perf_script') {
        const { writePerfScript } = await import('../format/damo/perf_script_writer.js');
        await writePerfScript(adjusted, tmp, { mode: r.mode });
      } else {
        const { writeDamoJson } = await import('../format/damo/json_writer.js');
        await writeDamoJson(adjusted, tmp, { compressed: r.outputType === 'json_compressed', mode: r.mode });
      }
      // The mode given at creation is reduced by the umask; damo chmods after writing.
      await chmod(tmp, r.mode);
    } catch (e) {
      if (e instanceof DamoError) throw e;
      throw new DamoError('E_IO', `${r.output}: writing the adjusted recording failed: ${errorMessage(e)}`, { cause: e });
    }
  });
  return 0;
}
