// SPDX-License-Identifier: GPL-2.0-only
/**
 * Record-replay-record fidelity: replay a trace, record the replay with a chosen source, and
 * score the recording against the original with `damo compare`. Used by the host test
 * (native + clear_refs) and the VM scenarios (kernel DAMON, native + page_idle, ...), and
 * runnable by hand:
 *
 *   node dist/bench/replay_fidelity.js [--trace FILE] [--source native] [--primitive clear_refs]
 *        [--pattern hotblock|synth] [--snapshots 300] [--move_every 100] [--time_scale 1] [--max_memory 256M] [--vma_bytes SIZE] [--space_mib 256] [--keep DIR]
 *        [--json | --kv] [--max_wss_error PCT] [--min_correlation R]
 *
 * Without --trace it replays a synthetic moving hot block (`--pattern hotblock`, the default:
 * a 256 MiB area whose 16 MiB hot block, accessed in every sampling interval, moves every
 * 10 s (`--move_every` snapshots) while the rest stays idle; 30 s (`--snapshots`) at 5 ms /
 * 100 ms), or `damo synth`'s pattern
 * (`--pattern synth`: three areas, the same hot block plus 10% of the regions accessed
 * sporadically, 0-2 times per aggregation interval, at random). It prints one line of figures
 * (`--kv`: metrics as k=v for the VM scenarios' RESULT lines; `--json`: everything) and
 * exits 0; 1 when a step fails; 3 when `--max_wss_error PCT` (checked at p50 and p90) or
 * `--min_correlation R` is given and missed.
 *
 * How: `damo replay --plan_out` writes the plan (with a start delay, so the recorder has
 * refreshed its view of the target's mappings before the replay starts touching), then
 * `damo record -- damo_replay --plan PLAN --mapping MAP` records the generator from its
 * first instruction to its exit, and `damo compare ORIGINAL RECORDING --mapping MAP` maps
 * the recording back into the original's addresses and times.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { projectRoot } from '../src/core/version.js';
import { snapshotFromRegions } from '../src/core/model.js';
import { syntheticHeader, writeSyntheticTrace } from '../src/format/synthetic.js';
import { TraceWriter } from '../src/format/trace_writer.js';
import type { CompareResult } from '../src/replay/compare.js';
import { replayBinaryPath } from '../src/replay/runner.js';

export interface FidelityOptions {
  /** Trace to replay; the synthetic moving-hot-block pattern when absent. */
  trace?: string;
  /** Synthetic pattern to replay when there is no trace. */
  pattern?: 'hotblock' | 'synth';
  /** Size of the synthetic pattern's address space (default 256 MiB); its hot block is 1/16 of it. */
  spaceBytes?: number;
  /** Snapshots of the synthetic pattern, and between moves of its hot block. */
  nrSnapshots?: number;
  moveEvery?: number;
  source: string;
  primitive?: string;
  timeScale: number;
  maxMemory: string;
  /**
   * Split the replay memory into mappings of this size (`damo replay --vma_bytes`). The
   * clear_refs primitive only learns how much of each mapping was accessed, not where, so it
   * needs small mappings to place accesses; default 2M for clear_refs, none otherwise
   * ('none' forces one mapping per area).
   */
  vmaBytes?: string;
  /** Seconds between the replay mapping its memory and its first touch. */
  startDelaySec: number;
  /** Keep the files here instead of a temporary directory. */
  keepDir?: string;
  /** Extra `damo record` options (e.g. --sysfs_root in tests). */
  recordArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface FidelityResult {
  trace: string;
  vmaBytes: string | null;
  source: string;
  primitive: string | null;
  recording: string;
  mapping: string;
  compare: CompareResult;
  /**
   * When the recording's snapshots span other times than the original's (a recorder that
   * fell behind), the comparison again over equal spans (`damo compare --work_time`).
   */
  compareGrouped: CompareResult | null;
  /** Wall time of the recorded replay, seconds. */
  seconds: number;
}

/**
 * The default pattern: 30 s at 100 ms, the hot block moving every 10 s (as in the native
 * engine's accuracy test), so DAMON's adaptive regions have time to settle after each move.
 */
export const SYNTHETIC_PATTERN = {
  nrSnapshots: 300,
  nrRegionsPerSnapshot: 200,
  seed: 9,
  spaceBytes: 256 << 20,
  hotMoveEvery: 100,
};

/**
 * The clean moving hot block: one area of `spaceBytes` in 64 regions; the hot block (1/16 of
 * the area) has nr_accesses = aggr / sample, everything else 0. It moves every
 * `hotMoveEvery` snapshots by 5 block positions (mod 16), so consecutive places do not overlap.
 */
export function writeHotBlockTrace(path: string, spec: typeof SYNTHETIC_PATTERN): void {
  const header = syntheticHeader({ ...spec, nrRegionsPerSnapshot: 64 });
  const base = 0x7f00_0000_0000;
  const regionBytes = Math.floor(spec.spaceBytes / 64 / 4096) * 4096;
  const maxNr = Math.round((header.intervals?.aggrUs ?? 100_000) / (header.intervals?.sampleUs ?? 5000));
  const writer = TraceWriter.create(path, header);
  for (let i = 0; i < spec.nrSnapshots; i++) {
    const block = (Math.floor(i / spec.hotMoveEvery) * 5) % 16;
    const regions = [];
    for (let r = 0; r < 64; r++) {
      const hot = Math.floor(r / 4) === block;
      regions.push({ start: base + r * regionBytes, end: base + (r + 1) * regionBytes, nrAccesses: hot ? maxNr : 0, age: 0 });
    }
    writer.writeSnapshot(snapshotFromRegions(0, i * 100_000_000, (i + 1) * 100_000_000, regions));
  }
  writer.close('synthetic');
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[], env: NodeJS.ProcessEnv | undefined): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // From the project root: some modules look for build/Release relative to it.
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function damo(args: string[]): string[] {
  return [process.execPath, join(projectRoot(), 'dist/src/cli/bin.cjs'), ...args];
}

async function step(what: string, argv: string[], env: NodeJS.ProcessEnv | undefined): Promise<Ran> {
  const r = await run(argv, env);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  return r;
}

/** `--json` prints snake_case keys (core/json_keys.ts); CompareResult's fields are camelCase. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), camelKeys(v)]));
}

function ms(us: number): string {
  return `${us / 1000}ms`;
}

export async function runFidelity(o: FidelityOptions): Promise<FidelityResult> {
  // Absolute paths: the steps run from the project root.
  const dir = o.keepDir === undefined ? mkdtempSync(join(tmpdir(), 'damo-fidelity-')) : resolve(o.keepDir);
  try {
    let trace = o.trace === undefined ? undefined : resolve(o.trace);
    if (trace === undefined) {
      trace = join(dir, 'original.data');
      const spec = {
        ...SYNTHETIC_PATTERN,
        ...(o.spaceBytes === undefined ? {} : { spaceBytes: o.spaceBytes }),
        ...(o.nrSnapshots === undefined ? {} : { nrSnapshots: o.nrSnapshots }),
        ...(o.moveEvery === undefined ? {} : { hotMoveEvery: o.moveEvery }),
      };
      if ((o.pattern ?? 'hotblock') === 'hotblock') writeHotBlockTrace(trace, spec);
      else await writeSyntheticTrace(trace, spec);
    }
    const vmaBytes = o.vmaBytes === 'none' ? undefined : (o.vmaBytes ?? (o.primitive === 'clear_refs' ? '2M' : undefined));
    const plan = join(dir, 'replay.plan');
    const mapping = join(dir, 'replay-map.json');
    const recording = join(dir, 'recording.data');
    await step(
      'damo replay --plan_out',
      damo([
        'replay', '-i', trace, '--plan_out', plan, '--mapping', mapping, '--quiet',
        '--time_scale', String(o.timeScale), '--max_memory', o.maxMemory, '--start_delay', `${o.startDelaySec}`,
        ...(vmaBytes === undefined ? [] : ['--vma_bytes', vmaBytes]),
      ]),
      o.env,
    );
    // The recording samples as often, relative to the replay, as the original did.
    const intervals = [ms(5000 * o.timeScale), ms(100_000 * o.timeScale), ms(1_000_000)];
    const recordArgs = ['record', '-o', recording, '--quiet', '--source', o.source, '--monitoring_intervals', ...intervals];
    if (o.primitive !== undefined) recordArgs.push('--primitive', o.primitive);
    recordArgs.push(...(o.recordArgs ?? []));
    recordArgs.push('--', replayBinaryPath(), '--plan', plan, '--mapping', mapping, '--quiet');
    const t0 = performance.now();
    await step('damo record of the replay', damo(recordArgs), o.env);
    const seconds = (performance.now() - t0) / 1000;
    const cmp = await step('damo compare', damo(['compare', trace, recording, '--mapping', mapping, '--json']), o.env);
    const compare = camelKeys(JSON.parse(cmp.stdout)) as CompareResult;
    let compareGrouped: CompareResult | null = null;
    const spanA = compare.wss.meanSpanANs;
    const spanB = compare.wss.meanSpanBNs;
    if (spanA > 0 && spanB > 0 && Math.abs(spanB / spanA - 1) > 0.2) {
      const workTimeUs = String(Math.ceil(Math.max(spanA, spanB) / 1000));
      const grouped = await step(
        'damo compare --work_time',
        damo(['compare', trace, recording, '--mapping', mapping, '--json', '--work_time', workTimeUs]),
        o.env,
      );
      compareGrouped = camelKeys(JSON.parse(grouped.stdout)) as CompareResult;
    }
    return {
      compareGrouped, trace, vmaBytes: vmaBytes ?? null, source: o.source, primitive: o.primitive ?? null, recording, mapping, compare, seconds };
  } finally {
    if (o.keepDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Metrics as k=v pairs with units in the names (VM scenario RESULT lines). */
export function fidelityKv(r: FidelityResult): string {
  const c = r.compare;
  const err = (p: number): string => {
    const row = c.wss.percentiles.find((x) => x.percentile === p);
    return row?.errorPct === null || row === undefined ? 'nan' : row.errorPct.toFixed(1);
  };
  return [
    `wss_err_p10_pct=${err(10)}`,
    `wss_err_p50_pct=${err(50)}`,
    `wss_err_p90_pct=${err(90)}`,
    `heatmap_r=${c.heatmap.correlation?.toFixed(3) ?? 'nan'}`,
    `hot_recall=${c.hot.recall?.toFixed(3) ?? 'nan'}`,
    `snapshots=${c.b.nrSnapshotsInWindow}`,
    `span_ms=${(c.wss.meanSpanBNs / 1e6).toFixed(1)}`,
    `record_s=${r.seconds.toFixed(1)}`,
  ].join(' ');
}

/** The thresholds of the acceptance: which ones the result misses. */
export function fidelityMisses(r: FidelityResult, maxWssErrorPct: number | undefined, minCorrelation: number | undefined): string[] {
  const misses: string[] = [];
  if (maxWssErrorPct !== undefined) {
    for (const p of [50, 90]) {
      const e = r.compare.wss.percentiles.find((x) => x.percentile === p)?.errorPct ?? null;
      if (e === null || Math.abs(e) > maxWssErrorPct) misses.push(`wss error at p${p} ${e === null ? 'n/a' : e.toFixed(1)}% > ${maxWssErrorPct}%`);
    }
  }
  const corr = r.compare.heatmap.correlation;
  if (minCorrelation !== undefined && (corr === null || corr < minCorrelation)) {
    misses.push(`heatmap correlation ${corr === null ? 'n/a' : corr.toFixed(3)} < ${minCorrelation}`);
  }
  return misses;
}

/** One line of figures, for scenario logs and docs/PERFORMANCE.md. */
export function fidelityLine(r: FidelityResult): string {
  const c = r.compare;
  const g = r.compareGrouped;
  const err = (p: number, cmp: CompareResult = c): string => {
    const row = cmp.wss.percentiles.find((x) => x.percentile === p);
    return row?.errorPct === null || row === undefined ? 'n/a' : `${row.errorPct.toFixed(1)}%`;
  };
  const src = (r.primitive === null ? r.source : `${r.source}+${r.primitive}`) + (r.vmaBytes === null ? '' : ` vma_bytes=${r.vmaBytes}`);
  const grouped =
    g === null ? '' : ` | over ${g.wss.workTimeUs / 1000} ms spans: wss_err p10=${err(10, g)} p50=${err(50, g)} p90=${err(90, g)}`;
  return (
    `replay-fidelity source=${src} wss_err p10=${err(10)} p50=${err(50)} p90=${err(90)} ` +
    `heatmap_r=${c.heatmap.correlation?.toFixed(3) ?? 'n/a'} hot_recall=${c.hot.recall?.toFixed(3) ?? 'n/a'} ` +
    `snapshots=${c.b.nrSnapshotsInWindow}/${c.a.nrSnapshotsInWindow} time=${r.seconds.toFixed(1)}s` +
    grouped
  );
}

async function main(argv: string[]): Promise<number> {
  const o: FidelityOptions = { source: 'native', timeScale: 1, maxMemory: '256M', startDelaySec: 2 };
  let output: 'line' | 'json' | 'kv' = 'line';
  let maxWssError: number | undefined;
  let minCorrelation: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--trace') o.trace = v();
    else if (a === '--source') o.source = v();
    else if (a === '--primitive') o.primitive = v();
    else if (a === '--time_scale') o.timeScale = Number(v());
    else if (a === '--max_memory') o.maxMemory = v();
    else if (a === '--start_delay') o.startDelaySec = Number(v());
    else if (a === '--keep') o.keepDir = v();
    else if (a === '--vma_bytes') o.vmaBytes = v();
    else if (a === '--space_mib') o.spaceBytes = Number(v()) * 2 ** 20;
    else if (a === '--snapshots') o.nrSnapshots = Number(v());
    else if (a === '--move_every') o.moveEvery = Number(v());
    else if (a === '--pattern') {
      const p = v();
      if (p !== 'hotblock' && p !== 'synth') throw new Error(`--pattern: '${p}' is not hotblock or synth`);
      o.pattern = p;
    }
    else if (a === '--max_wss_error') maxWssError = Number(v());
    else if (a === '--min_correlation') minCorrelation = Number(v());
    else if (a === '--json') output = 'json';
    else if (a === '--kv') output = 'kv';
    else throw new Error(`unknown argument ${a}`);
  }
  const r = await runFidelity(o);
  console.log(output === 'json' ? JSON.stringify(r, null, 2) : output === 'kv' ? fidelityKv(r) : fidelityLine(r));
  const misses = fidelityMisses(r, maxWssError, minCorrelation);
  for (const m of misses) console.error(`replay_fidelity: missed: ${m}`);
  return misses.length > 0 ? 3 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`replay_fidelity: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
