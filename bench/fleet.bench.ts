// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fleet scale (issue 21): export many synthetic recordings, each with its own labels, to
 * Parquet with `damo export`, then query them with `damo fleet`. Figures: export throughput
 * (regions/s), bytes per region on disk, query times, and peak RSS of the export and of the
 * queries over a tenth of the files and over all of them (memory should not grow with the
 * number of files).
 *
 * Size: DAMO_BENCH_FLEET_RECORDINGS (default 100) recordings of DAMO_BENCH_FLEET_SNAPSHOTS
 * (default 1000) snapshots x DAMO_BENCH_FLEET_REGIONS (default 1000) regions, i.e. 1M regions
 * each. Each command runs once, in a child process (start-up included), as the real CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeSyntheticTrace } from '../src/format/synthetic.js';
import type { BenchResult } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

interface ChildRun {
  wallS: number;
  cpuS: number;
  maxRssBytes: number;
}

/** One damo command in a child (wss_child.js runs the CLI in-process and reports its peak RSS). */
function damo(argv: string[]): ChildRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, 'wss_child.js'), ...argv], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallS = (performance.now() - t0) / 1000;
  const out = (r.output[3] ?? '').toString().trim();
  if (r.status !== 0 || out === '') throw new Error(`damo ${argv.slice(0, 3).join(' ')} failed (${r.status}): ${r.stderr}`);
  const info = JSON.parse(out) as { maxRssBytes: number; cpuS: number; code: number };
  if (info.code !== 0) throw new Error(`damo ${argv.slice(0, 3).join(' ')} exited ${info.code}: ${r.stderr}`);
  return { wallS, cpuS: info.cpuS, maxRssBytes: info.maxRssBytes };
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

const SERVICES = ['web', 'db', 'cache', 'batch', 'search'];

export async function run(): Promise<BenchResult[]> {
  const nrRecordings = envInt('DAMO_BENCH_FLEET_RECORDINGS', 100);
  const nrSnapshots = envInt('DAMO_BENCH_FLEET_SNAPSHOTS', 1000);
  const nrRegions = envInt('DAMO_BENCH_FLEET_REGIONS', 1000);
  const perRecording = nrSnapshots * nrRegions;
  const tenth = Math.max(1, Math.floor(nrRecordings / 10));
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-fleet-'));
  try {
    const small = join(dir, 'small');
    const all = join(dir, 'all');
    const recs: string[] = [];
    const labelsOf: string[][] = [];
    for (let i = 0; i < nrRecordings; i++) {
      const rec = join(dir, `host${i}.data`);
      await writeSyntheticTrace(rec, { nrSnapshots, nrRegionsPerSnapshot: nrRegions, seed: i + 1, spaceBytes: (1 + (i % 7)) << 29 });
      recs.push(rec);
      labelsOf.push(['--label', `host=host-${String(i).padStart(4, '0')}`, '--label', `workload=${SERVICES[i % SERVICES.length]}`, '--label', `rack=r${i % 13}`, '--label', `date=2026-12-0${1 + (i % 3)}`, '--weight', String(1 + (i % 4) * 10)]);
    }
    // Labels are per command, so each recording is one `damo export`; one process exports a
    // tenth of them, one after the other, for the memory comparison below.
    const exportOne = (i: number, out: string): ChildRun => damo(['export', '-i', recs[i] as string, '-o', out, '--to', 'parquet', ...(labelsOf[i] as string[])]);
    let exportS = 0;
    let exportCpuS = 0;
    let exportRss = 0;
    for (let i = 0; i < nrRecordings; i++) {
      const e = exportOne(i, all);
      exportS += e.wallS;
      exportCpuS += e.cpuS;
      exportRss = Math.max(exportRss, e.maxRssBytes);
    }
    const exportSmall = damo(['export', '-i', ...recs.slice(0, tenth), '-o', small, '--to', 'parquet', '--label', 'service=bench']);
    const exportMany = damo(['export', '-i', ...recs, '-o', join(dir, 'one-process'), '--to', 'parquet', '--label', 'service=bench']);
    const exportRssFirst = exportSmall.maxRssBytes;
    const totalRegions = nrRecordings * perRecording;
    const bytes = duBytes(all);
    const wssSmall = damo(['fleet', 'wss', small]);
    const wssAll = damo(['fleet', 'wss', all]);
    const topSmall = damo(['fleet', 'top', small]);
    const topAll = damo(['fleet', 'top', all]);
    const coldAll = damo(['fleet', 'cold', all, '--by', 'rack']);
    const size = `${nrRecordings} x ${perRecording.toLocaleString('en-US')} regions`;
    return [
      { name: `export ${size}: regions/s (wall, one process per recording)`, value: totalRegions / exportS, unit: 'regions/s' },
      { name: 'export: regions/s of CPU time (all threads)', value: totalRegions / exportCpuS, unit: 'regions/s' },
      { name: 'export: bytes per region on disk (both tables, zstd)', value: bytes / totalRegions, unit: 'B' },
      { name: 'export: peak RSS, largest of the per-recording runs', value: exportRss / 1e6, unit: 'MB' },
      { name: `export of ${tenth} recordings in one process: peak RSS`, value: exportRssFirst / 1e6, unit: 'MB' },
      { name: `export of ${nrRecordings} recordings in one process: peak RSS`, value: exportMany.maxRssBytes / 1e6, unit: 'MB' },
      { name: `export of ${nrRecordings} recordings in one process: regions/s (wall)`, value: totalRegions / exportMany.wallS, unit: 'regions/s' },
      { name: `fleet wss over ${tenth} recordings: wall time`, value: wssSmall.wallS, unit: 's' },
      { name: `fleet wss over ${nrRecordings} recordings: wall time`, value: wssAll.wallS, unit: 's' },
      { name: `fleet wss over ${tenth} recordings: peak RSS`, value: wssSmall.maxRssBytes / 1e6, unit: 'MB' },
      { name: `fleet wss over ${nrRecordings} recordings: peak RSS`, value: wssAll.maxRssBytes / 1e6, unit: 'MB' },
      { name: `fleet top (scans regions) over ${tenth} recordings: wall time`, value: topSmall.wallS, unit: 's' },
      { name: `fleet top (scans regions) over ${nrRecordings} recordings: wall time`, value: topAll.wallS, unit: 's' },
      { name: `fleet top over ${tenth} recordings: peak RSS`, value: topSmall.maxRssBytes / 1e6, unit: 'MB' },
      { name: `fleet top over ${nrRecordings} recordings: peak RSS`, value: topAll.maxRssBytes / 1e6, unit: 'MB' },
      { name: `fleet cold --by rack over ${nrRecordings} recordings: wall time`, value: coldAll.wallS, unit: 's' },
      { name: `fleet cold --by rack over ${nrRecordings} recordings: peak RSS`, value: coldAll.maxRssBytes / 1e6, unit: 'MB' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
