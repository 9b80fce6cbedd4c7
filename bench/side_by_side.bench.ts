// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo-ts side by side with the Python damo 3.3.0 (issue 17 item 5, issue 16 item 7).
 *
 * For each recording (bench_inputs.ts) and each report, rounds of: our CLI on the
 * json_compressed file (under each command name we accept: damo 2.4.9's and 3.3.0's), the
 * Python damo on the same file, our CLI on the same recording converted to our trace. Each
 * run is a child process under GNU time (start-up included, output to /dev/null); the table
 * gives medians, ratios (damo's median / ours) and the largest peak RSS, plus the floor of
 * a json_compressed report (reading and inflating the file alone, no parsing) and the load.
 *
 * The Python damo needs ~20-40 s and ~1.6 GB per report on a 1M-region file; --peer-max-s
 * bounds the seconds spent on it per row: repeats stop when the next run would pass it, and a
 * row whose single run is predicted (linearly in regions, from a smaller file) to pass it,
 * or to need more than half the machine's available memory, is not run, with a note.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { projectRoot } from '../src/core/version.js';
import { prepareInputs, type BenchInput, type InputId } from './bench_inputs.js';
import { machineState, maxOrNull, measure, median, type Measurement } from './measure.js';
import { findPeer, haveGnuplot, peerArgv, type Peer } from './peer.js';
import type { BenchOptions, BenchOutput, BenchResult } from './run.js';
import { evaluateTargets, renderMarkdown, type Row, type Summary } from './side_by_side_report.js';

type Format = 'json_compressed' | 'trace';

interface Case {
  id: string;
  /** our command lines for input IN and output file OUT; the first is the name the table leads with */
  ours: string[][];
  /** the Python damo 3.3.0 command line */
  peer: string[];
  /** a file the command must leave behind at OUT (its job), removed after each run */
  writes?: boolean;
  needsGnuplot?: boolean;
}

const IN = '{IN}';
const OUT = '{OUT}';
const RESOL = ['--resol', '500', '500'];

const CASES: Case[] = [
  { id: 'wss', ours: [['report', 'wss', '-i', IN]], peer: ['report', 'wss', '-i', IN] },
  { id: 'nr_regions', ours: [['report', 'nr_regions', '-i', IN]], peer: ['report', 'nr_regions', '-i', IN] },
  {
    id: 'raw',
    ours: [['report', 'raw', '-i', IN], ['report', 'access', '--raw_form', '-i', IN]],
    peer: ['report', 'access', '--raw_form', '-i', IN],
  },
  {
    id: 'heats_raw',
    ours: [['report', 'heats', ...RESOL, '-i', IN], ['report', 'heatmap', '--output', 'raw', ...RESOL, '-i', IN]],
    peer: ['report', 'heatmap', '--output', 'raw', ...RESOL, '-i', IN],
  },
  {
    id: 'heatmap_png',
    ours: [['report', 'heats', '--heatmap', OUT, ...RESOL, '-i', IN], ['report', 'heatmap', '--output', OUT, ...RESOL, '-i', IN]],
    peer: ['report', 'heatmap', '--output', OUT, ...RESOL, '-i', IN],
    writes: true,
    needsGnuplot: true,
  },
  { id: 'access', ours: [['report', 'access', '-i', IN]], peer: ['report', 'access', '-i', IN] },
  {
    id: 'adjust',
    ours: [['adjust', '--aggregate_interval', '1000000', '-i', IN, '-o', OUT]],
    peer: ['adjust', '--aggregate_interval', '1000000', '-i', IN, '-o', OUT],
    writes: true,
  },
];

interface Plan {
  inputs: InputId[];
  /** the cases run on an input */
  cases: (input: InputId) => string[];
  /** interleaved rounds on an input */
  rounds: (input: InputId) => number;
  /** on big1000 only the first of our command names runs (the others were timed on big100) */
  allNames: (input: InputId) => boolean;
  pairs: number;
  peer_max_s: number;
}

/**
 * Full: every report on every input (report access only where damo's default style has the
 * data it needs: recordings with intervals), ~12 min on a quiet 2-CPU machine. Quick: wss
 * and the heatmap, one round, ~2 min once the inputs are cached.
 */
function plan(opts: BenchOptions): Plan {
  const pairs = opts.pairs ?? (opts.quick ? 1 : 3);
  const fewerOnBiggest = (input: InputId): number => (input === 'big1000' ? Math.max(1, pairs - 1) : pairs);
  if (opts.quick) {
    return {
      inputs: ['small', 'big100', 'big1000'],
      cases: () => ['wss', 'heats_raw'],
      rounds: fewerOnBiggest,
      allNames: (input) => input !== 'big1000',
      pairs,
      peer_max_s: opts.peer_max_s ?? 45,
    };
  }
  return {
    inputs: ['small', 'big100', 'syn1k', 'big1000'],
    cases: (input) =>
      input === 'syn1k' ? ['wss', 'heats_raw', 'access'] : ['wss', 'nr_regions', 'raw', 'heats_raw', 'heatmap_png', 'adjust'],
    rounds: fewerOnBiggest,
    allNames: (input) => input !== 'big1000',
    pairs,
    peer_max_s: opts.peer_max_s ?? 45,
  };
}

function fill(argv: string[], input: string, out: string): string[] {
  return argv.map((a) => (a === IN ? input : a === OUT ? out : a));
}

function memAvailableMb(): number {
  const m = /MemAvailable:\s*(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m === null ? Infinity : (Number(m[1]) * 1024) / 1e6;
}

interface PeerRecord {
  input: BenchInput;
  /** the median, or how long the failed run took before it stopped */
  median_s: number;
  peak_rss_mb: number | null;
  failed: boolean;
}

/**
 * What predicts damo's cost on `input` for case `id`: its own run on the largest smaller
 * input of >= 100k regions (start-up no longer dominates there), or else the cheapest other
 * report on such an input (every report reads the whole file first, so that is a lower bound).
 */
function predictor(seen: Map<string, PeerRecord[]>, id: string, input: BenchInput): (PeerRecord & { what: string }) | undefined {
  const usable = (r: PeerRecord): boolean => r.input.nr_regions >= 100_000 && r.input.nr_regions < input.nr_regions;
  const own = (seen.get(id) ?? []).filter(usable).pop();
  if (own !== undefined) return { ...own, what: `${own.input.id}${own.failed ? ' (failed there)' : ''}` };
  let best: (PeerRecord & { what: string }) | undefined;
  for (const [other, records] of seen) {
    for (const r of records.filter(usable)) {
      const scaled = r.median_s / r.input.nr_regions;
      if (best === undefined || scaled < best.median_s / best.input.nr_regions) best = { ...r, failed: false, what: `${other} on ${r.input.id}` };
    }
  }
  return best;
}

export async function run(opts: BenchOptions): Promise<BenchOutput> {
  const p = plan(opts);
  if (opts.inputs !== null) {
    const unknown = opts.inputs.filter((i) => !p.inputs.includes(i as InputId) && !['small', 'big100', 'syn1k', 'big1000'].includes(i));
    if (unknown.length > 0) throw new Error(`--inputs: unknown recording ${unknown.join(', ')} (known: small, big100, syn1k, big1000)`);
    p.inputs = opts.inputs as InputId[];
  }
  if (opts.cases !== null) {
    const only = opts.cases;
    const unknown = only.filter((id) => !CASES.some((c) => c.id === id));
    if (unknown.length > 0) throw new Error(`--cases: unknown report ${unknown.join(', ')} (known: ${CASES.map((c) => c.id).join(', ')})`);
    const planned = p.cases;
    p.cases = (input) => planned(input).filter((id) => only.includes(id));
  }
  const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
  const machineBefore = machineState();
  const peer: Peer = findPeer(opts.peer_path ?? undefined);
  if (!peer.available) log(peer.reason);
  const gnuplot = haveGnuplot();
  const inputs = await prepareInputs(p.inputs, log);
  const bin = join(projectRoot(), 'dist/src/cli/bin.cjs');
  const floorJs = join(projectRoot(), 'dist/bench/inflate_floor.js');
  const work = mkdtempSync(join(tmpdir(), 'damo-bench-sbs-'));
  const env = { ...process.env, NO_COLOR: '1' };
  const rows: Row[] = [];
  const peerSeen = new Map<string, PeerRecord[]>();
  try {
    // Node's own start-up, the floor of every report on a small file.
    const nodeRuns = Array.from({ length: p.pairs }, () => measure([process.execPath, '-e', '0']));
    const nodeStartS = median(nodeRuns.map((m) => m.wall_s));
    log(`node -e 0: ${nodeStartS.toFixed(3)} s`);

    for (const input of inputs) {
      const floorRuns = Array.from({ length: p.rounds(input.id) }, () => measure([process.execPath, floorJs, input.json_path]));
      const floorS = median(floorRuns.map((m) => m.wall_s));
      const floorRss = maxOrNull(floorRuns.map((m) => m.peak_rss_mb));
      log(`${input.id}: ${input.nr_regions.toLocaleString('en-US')} regions; inflate alone ${floorS.toFixed(3)} s`);
      const rounds = p.rounds(input.id);
      for (const full of CASES.filter((x) => p.cases(input.id).includes(x.id))) {
        const c: Case = p.allNames(input.id) ? full : { ...full, ours: full.ours.slice(0, 1) };
        const out = join(work, c.id === 'heatmap_png' ? 'out.png' : 'out.data');
        const ours: Record<Format, Measurement[][]> = {
          json_compressed: c.ours.map(() => []),
          trace: c.ours.map(() => []),
        };
        const peerRuns: Measurement[] = [];
        let peerNote = '';
        let peerAllowed = true;
        if (!peer.available) {
          peerAllowed = false;
          peerNote = peer.reason;
        } else if (c.needsGnuplot === true && !gnuplot) {
          peerAllowed = false;
          peerNote = 'peer not available: gnuplot is not installed (damo draws images with it)';
        } else {
          const prev = predictor(peerSeen, c.id, input);
          if (prev !== undefined) {
            const scale = input.nr_regions / prev.input.nr_regions;
            const predictedS = prev.median_s * scale;
            const predictedRss = prev.peak_rss_mb === null ? 0 : prev.peak_rss_mb * scale;
            if (predictedS > p.peer_max_s) {
              peerAllowed = false;
              peerNote = `damo not run: ${prev.failed ? 'more than ' : '~'}${Math.round(predictedS)} s predicted from ${prev.what} > --peer-max-s ${p.peer_max_s}`;
            } else if (predictedRss > memAvailableMb() / 2) {
              peerAllowed = false;
              peerNote = `damo not run: ~${Math.round(predictedRss)} MB peak RSS predicted from ${prev.what}, more than half the available memory`;
            }
          }
        }
        const oursErrors: Record<Format, string[]> = { json_compressed: [], trace: [] };
        const runOurs = (fmt: Format): void => {
          const path = fmt === 'trace' ? input.trace_path : input.json_path;
          c.ours.forEach((argv, i) => {
            if (oursErrors[fmt][i] !== undefined) return;
            try {
              const m = measure([process.execPath, bin, ...fill(argv, path, out)], { env });
              if (c.writes === true) checkWritten(out, argv);
              ours[fmt][i]!.push(m);
            } catch (e) {
              oursErrors[fmt][i] = (e as Error).message.split('\n')[0]?.slice(0, 200) ?? 'failed';
              log(`FAILED: ${oursErrors[fmt][i]}`);
            }
          });
        };
        let peerSpentS = 0;
        let peerFailedAfterS: number | null = null;
        for (let round = 0; round < rounds; round++) {
          runOurs('json_compressed');
          if (peerAllowed && peer.available) {
            const last = peerRuns[peerRuns.length - 1]?.wall_s ?? 0;
            if (round > 0 && peerSpentS + last > p.peer_max_s) {
              peerAllowed = false;
              peerNote = `damo run ${peerRuns.length}x: another run would pass --peer-max-s ${p.peer_max_s}`;
            } else {
              const t0 = performance.now();
              try {
                const m = measure(peerArgv(peer, fill(c.peer, input.json_path, out)), {
                  env,
                  cwd: work,
                  timeout_s: Math.max(6 * p.peer_max_s, 120),
                });
                if (c.writes === true) checkWritten(out, c.peer);
                peerRuns.push(m);
                peerSpentS += m.wall_s;
              } catch (e) {
                peerAllowed = false;
                peerNote = `damo failed: ${(e as Error).message.split('\n')[0]?.slice(0, 200) ?? ''}`;
                // A failure (a timeout above all) still bounds what a larger input would cost.
                peerFailedAfterS = (performance.now() - t0) / 1000;
              }
            }
          }
          runOurs('trace');
        }
        const peerMedian = peerRuns.length > 0 ? median(peerRuns.map((m) => m.wall_s)) : null;
        const peerRss = maxOrNull(peerRuns.map((m) => m.peak_rss_mb));
        if (peerMedian !== null || peerFailedAfterS !== null) {
          const seen = peerSeen.get(c.id) ?? [];
          seen.push({ input, median_s: peerMedian ?? (peerFailedAfterS as number), peak_rss_mb: peerRss, failed: peerMedian === null });
          peerSeen.set(c.id, seen);
        }
        for (const fmt of ['json_compressed', 'trace'] as const) {
          c.ours.forEach((argv, i) => {
            const runs = ours[fmt][i]!;
            const oursMedian = median(runs.map((m) => m.wall_s));
            rows.push({
              input: input.id,
              format: fmt,
              case: c.id,
              command: `damo ${argv.filter((a) => a !== IN && a !== '-i' && a !== OUT).join(' ')}`.replace(/ --resol 500 500/, ' (500x500)'),
              peer_command: `damo ${c.peer.filter((a) => a !== IN && a !== '-i' && a !== OUT).join(' ')}`.replace(/ --resol 500 500/, ' (500x500)'),
              nr_regions: input.nr_regions,
              ours_runs: runs.length,
              ours_error: oursErrors[fmt][i] ?? null,
              ours_median_s: oursMedian,
              ours_median_cpu_s: median(runs.map((m) => m.cpu_s ?? NaN)),
              ours_peak_rss_mb: maxOrNull(runs.map((m) => m.peak_rss_mb)),
              peer_runs: peerRuns.length,
              peer_median_s: peerMedian,
              peer_median_cpu_s: peerRuns.length > 0 ? median(peerRuns.map((m) => m.cpu_s ?? NaN)) : null,
              peer_peak_rss_mb: peerRss,
              peer_note: fmt === 'trace' && peerMedian !== null ? 'damo read the json_compressed copy' : peerNote,
              ratio: peerMedian === null ? null : peerMedian / oursMedian,
              floor_s: fmt === 'json_compressed' ? floorS : null,
              floor_peak_rss_mb: fmt === 'json_compressed' ? floorRss : null,
              regions_per_s: input.nr_regions / oursMedian,
              load1_median: median([...runs, ...peerRuns].map((m) => m.load1)),
            });
          });
        }
        const r0 = rows[rows.length - 2 * c.ours.length]!;
        const t0 = rows[rows.length - c.ours.length]!;
        log(
          `${input.id} ${c.id}: ours ${r0.ours_median_s.toFixed(3)} s (trace ${t0.ours_median_s.toFixed(3)} s), ` +
            (peerMedian === null ? peerNote || 'no damo figure' : `damo ${peerMedian.toFixed(2)} s (${peerRuns.length}x), ratio ${(peerMedian / r0.ours_median_s).toFixed(1)}x`),
        );
      }
    }
    const summary: Summary = {
      machine_before: machineBefore,
      machine_after: machineState(),
      peer: peer.available ? `Python damo ${peer.version} (${peer.path})` : peer.reason,
      pairs: p.pairs,
      peer_max_s: p.peer_max_s,
      quick: opts.quick,
      node_start_s: nodeStartS,
      inputs: inputs.map((i) => ({
        id: i.id,
        description: i.description,
        nr_regions: i.nr_regions,
        json_compressed_bytes: i.json_bytes,
        trace_bytes: i.trace_bytes,
      })),
      rows,
      targets: [],
    };
    summary.targets = evaluateTargets(summary);
    const results: BenchResult[] = summary.targets.map((t) => ({
      name: t.name,
      value: t.value ?? NaN,
      unit: t.unit,
      target: t.target,
      ...(t.pass === null ? {} : { ok: t.pass }),
    }));
    return { results, markdown: renderMarkdown(summary), json: summary };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkWritten(path: string, argv: string[]): void {
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    // reported below
  }
  rmSync(path, { force: true });
  if (size === 0) throw new Error(`${argv.join(' ')} wrote nothing to ${path}`);
}
