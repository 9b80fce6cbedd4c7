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
import type { CliIO } from '../../core/io.js';
import type { Intervals, NrRegionsRange, Ops } from '../../core/model.js';
import type { KdamondTarget } from '../sysfs.js';
import type { DamonStatusContext, DamonStatusKdamond } from './damon_status.js';
import { kdamondsKvpairs, kdamondsText, type StatusFormatOptions } from './damon_status_format.js';
import { kdamondsJson, kdamondsYaml } from './kdamonds_text.js';

export type ArgsDamonFormat = 'json' | 'yaml' | 'report';

export interface ArgsDamonRequest {
  ops: Ops;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  targets: readonly KdamondTarget[];
  format: ArgsDamonFormat;
  raw: boolean;
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
    intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 },
    nrRegions: { ...req.nrRegions },
    sampleControl: { pageTable: true, pageFault: false, filters: [] },
    schemes: [],
  };
}

export function kdamondsFromFlags(req: Omit<ArgsDamonRequest, 'format' | 'raw'>): DamonStatusKdamond[] {
  return [{ state: 'off', pid: '-1', refreshMs: 0, contexts: [contextFromFlags(req)] }];
}

export function runArgsDamonCommand(io: CliIO, req: ArgsDamonRequest): number {
  const kdamonds = kdamondsFromFlags(req);
  const o: StatusFormatOptions = { raw: req.raw, paramsOnly: true };
  if (req.format === 'report') {
    io.stdout.write(kdamondsText(kdamonds, o));
    return 0;
  }
  const doc = { kdamonds: kdamondsKvpairs(kdamonds, o) };
  io.stdout.write(req.format === 'json' ? kdamondsJson(doc) : kdamondsYaml(doc));
  return 0;
}
