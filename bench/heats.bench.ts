// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heats` benchmark (issue 4): a synthetic recording of 1,000,000 regions
 * (1,000 snapshots of 1,000 regions, DAMON's default max_nr_regions), then the real CLI in
 * a child process, as a user runs it:
 * - raw 500x500 text to /dev/null (target < 1 s; side_by_side.bench.ts times damo 3.3.0 beside it),
 * - a 500x500 PNG (target < 2 s),
 * - peak RSS of each (target < 200 MB), from GNU time's maximum resident set size.
 * Also the in-process heat computation alone, so regressions can be told apart from
 * reader or startup costs.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createDeflate } from 'node:zlib';

import { projectRoot } from '../src/core/version.js';
import { syntheticHeader, syntheticSnapshots, writeSyntheticTrace, type SyntheticTraceSpec } from '../src/format/synthetic.js';
import { openProtobufTrace } from '../src/format/trace_reader.js';
import { computeHeats } from '../src/report/heats.js';
import type { BenchResult } from './run.js';

const NR_SNAPSHOTS = 1000;
const NR_REGIONS = 1000;
const RUNS = 3;
const SPEC: SyntheticTraceSpec = { nrSnapshots: NR_SNAPSHOTS, nrRegionsPerSnapshot: NR_REGIONS, seed: 7 };

interface ChildRun {
  wallS: number;
  /** user + system CPU seconds of the best run: steadier than wall time on a shared machine. */
  cpuS: number;
  maxRssMb: number;
}

/** damo's comma-grouped integer strings ("94,827,419,009,024"), as its JSON writer emits. */
function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The same recording as damo's json_compressed (zlib over JSON indented by 4, regions in
 * damo's human form), streamed so the ~460 MB of JSON text is never held at once.
 */
async function writeDamoJsonCompressed(path: string, spec: SyntheticTraceSpec): Promise<void> {
  const tid = syntheticHeader(spec).targets[0]!.id!.toString();
  async function* chunks(): AsyncGenerator<string> {
    yield `[\n    {\n        "target_id": ${tid},\n        "snapshots": [\n`;
    let first = true;
    for (const s of syntheticSnapshots(spec)) {
      const parts: string[] = [];
      parts.push(`${first ? '' : ',\n'}            {\n                "start_time": "${s.startNs}",\n                "end_time": "${s.endNs}",\n                "regions": [\n`);
      for (let i = 0; i < s.starts.length; i++) {
        parts.push(
          `${i === 0 ? '' : ',\n'}                    {\n` +
            `                        "start": "${grouped(s.starts[i]!)}",\n` +
            `                        "end": "${grouped(s.ends[i]!)}",\n` +
            `                        "nr_accesses": {\n                            "samples": ${s.nrAccesses[i]},\n                            "percent": null\n                        },\n` +
            `                        "age": {\n                            "usec": null,\n                            "aggr_intervals": "${s.ages[i]}"\n                        }\n` +
            '                    }',
        );
      }
      parts.push('\n                ]\n            }');
      first = false;
      yield parts.join('');
    }
    yield '\n        ]\n    }\n]';
  }
  await pipeline(chunks, createDeflate({ level: 6 }), createWriteStream(path));
}

/** Runs the built CLI under GNU time; best wall time and the largest peak RSS of RUNS runs. */
function runCli(args: string[]): ChildRun {
  const bin = join(projectRoot(), 'dist/src/cli/bin.cjs');
  let best = Infinity;
  let cpu = Infinity;
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB %M CPU %U %S', process.execPath, bin, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`damo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    const m = /MAXRSS_KB (\d+) CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
    if (m === null) throw new Error(`no figures from GNU time: ${r.stderr}`);
    best = Math.min(best, wall);
    cpu = Math.min(cpu, Number(m[2]) + Number(m[3]));
    rss = Math.max(rss, Number(m[1]) / 1024);
  }
  return { wallS: best, cpuS: cpu, maxRssMb: rss };
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync('/usr/bin/time')) throw new Error('the heats benchmark needs GNU time at /usr/bin/time');
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-heats-'));
  const path = join(dir, 'bench.damo');
  const png = join(dir, 'heat.png');
  try {
    await writeSyntheticTrace(path, SPEC);
    const results: BenchResult[] = [
      { name: 'input: 1,000 snapshots x 1,000 regions, file size', value: statSync(path).size, unit: 'B' },
    ];

    // The computation alone (guide pass + fused heats pass), best of RUNS.
    let bestCompute = Infinity;
    let passes = 0;
    for (let i = 0; i < RUNS; i++) {
      const trace = await openProtobufTrace(path);
      const t0 = performance.now();
      const res = await computeHeats(trace, { resol: [500, 500] });
      bestCompute = Math.min(bestCompute, (performance.now() - t0) / 1000);
      passes = res.nrPasses;
    }
    results.push({ name: `heats 500x500 in-process (${passes} passes over the file)`, value: bestCompute, unit: 's' });

    const raw = runCli(['report', 'heats', '-i', path]);
    results.push(
      { name: 'damo report heats (raw 500x500) wall', value: raw.wallS, unit: 's', target: '< 1', ok: raw.wallS < 1 },
      { name: 'damo report heats (raw 500x500) CPU', value: raw.cpuS, unit: 's' },
      { name: 'damo report heats (raw 500x500) peak RSS', value: raw.maxRssMb, unit: 'MB', target: '< 200', ok: raw.maxRssMb < 200 },
    );
    const img = runCli(['report', 'heats', '-i', path, '--heatmap', png]);
    results.push(
      { name: 'damo report heats --heatmap x.png wall', value: img.wallS, unit: 's', target: '< 2', ok: img.wallS < 2 },
      { name: 'damo report heats --heatmap x.png CPU', value: img.cpuS, unit: 's' },
      { name: 'damo report heats --heatmap x.png peak RSS', value: img.maxRssMb, unit: 'MB', target: '< 200', ok: img.maxRssMb < 200 },
    );
    const term = runCli(['report', 'heats', '-i', path, '--heatmap', 'stdout']);
    results.push({ name: 'damo report heats --heatmap stdout (40x80) wall', value: term.wallS, unit: 's' });

    // The same recording as damo's json_compressed.
    const damoJson = join(dir, 'bench.json_compressed');
    await writeDamoJsonCompressed(damoJson, SPEC);
    results.push({ name: 'input as damo json_compressed, file size', value: statSync(damoJson).size, unit: 'B' });
    const rawJson = runCli(['report', 'heats', '-i', damoJson]);
    results.push(
      { name: 'damo report heats (raw 500x500) on json_compressed wall', value: rawJson.wallS, unit: 's' },
      { name: 'damo report heats (raw 500x500) on json_compressed CPU', value: rawJson.cpuS, unit: 's' },
      { name: 'damo report heats (raw 500x500) on json_compressed peak RSS', value: rawJson.maxRssMb, unit: 'MB' },
    );
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
