// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench [-- OPTIONS] [NAME...]`: runs every compiled `bench/*.bench.js` module (or
 * only those whose name contains one of the NAMEs) and prints their results. Each module
 * exports `run(opts)` returning its figures, and optionally a markdown table and a JSON
 * document (the side-by-side comparison with the Python damo does).
 *
 * Options:
 *   --quick            the side-by-side comparison alone (unless NAMEs are given), reduced:
 *                      two reports, one round, damo's big runs bounded by --peer-max-s
 *   --peer-max-s N     seconds of the Python damo's time to spend per row at most
 *   --pairs N          interleaved rounds per row (default 3, 1 with --quick)
 *   --peer PATH        the Python damo wrapper (default ../shared/peers/pydamo)
 *   --inputs LIST      side-by-side recordings to use, of small,big100,syn1k,big1000
 *   --cases LIST       side-by-side reports to run (of those the plan has for each recording),
 *                      of wss,nr_regions,raw,heats_raw,heatmap_png,access,adjust
 *   --json             print the results as one JSON document on stdout (progress on stderr)
 *
 * Results are always written to bench-results.json and bench-results.md in the current
 * directory, so docs/PERFORMANCE.md can be updated from a real run.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target this figure is checked against, e.g. '<= 8' ; empty when informative only. */
  target?: string;
  ok?: boolean;
}

export interface BenchOptions {
  quick: boolean;
  pairs: number | null;
  peer_max_s: number | null;
  peer_path: string | null;
  /** only these recordings (side-by-side), e.g. ['small', 'big100'] */
  inputs: string[] | null;
  /** only these reports (side-by-side), e.g. ['access'] */
  cases: string[] | null;
}

export interface BenchOutput {
  results: BenchResult[];
  markdown?: string;
  json?: unknown;
}

type BenchModule = { run(opts: BenchOptions): Promise<BenchResult[] | BenchOutput> };

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--quick] [--peer-max-s N] [--pairs N] [--peer PATH] [--inputs LIST] [--cases LIST] [--json] [NAME...]\n`);
  process.exit(2);
}

function positive(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n <= 0) usage(`${flag} needs a positive number, got ${v ?? 'nothing'}`);
  return n;
}

const opts: BenchOptions = { quick: false, pairs: null, peer_max_s: null, peer_path: null, inputs: null, cases: null };
let asJson = false;
const filters: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i] as string;
  if (a === '--quick') opts.quick = true;
  else if (a === '--json') asJson = true;
  else if (a === '--peer-max-s') opts.peer_max_s = positive(a, argv[++i]);
  else if (a === '--pairs') opts.pairs = Math.round(positive(a, argv[++i]));
  else if (a === '--peer') opts.peer_path = argv[++i] ?? usage('--peer needs a path');
  else if (a === '--inputs') opts.inputs = (argv[++i] ?? usage('--inputs needs a list')).split(',');
  else if (a === '--cases') opts.cases = (argv[++i] ?? usage('--cases needs a list')).split(',');
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else filters.push(a);
}
if (opts.quick && filters.length === 0) filters.push('side_by_side');

const here = dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

// With --json, stdout carries the JSON document only.
const say = (line: string): void => void (asJson ? process.stderr : process.stdout).write(line + '\n');
const all: Array<BenchResult & { bench: string }> = [];
const tables: string[] = [];
const documents: Record<string, unknown> = {};
let failedTargets = 0;
for (const file of modules) {
  const name = file.replace(/\.bench\.js$/, '');
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  say(`## ${name}`);
  const got = await mod.run(opts);
  const out: BenchOutput = Array.isArray(got) ? { results: got } : got;
  if (out.markdown !== undefined) {
    say(out.markdown);
    tables.push(out.markdown);
  }
  if (out.json !== undefined) documents[name] = out.json;
  for (const r of out.results) {
    if (r.ok === false) failedTargets += 1;
    all.push({ bench: name, ...r });
    if (out.markdown !== undefined) continue; // already in its table
    const verdict = r.ok === undefined ? '' : r.ok ? '  ok' : '  MISSED';
    const target = r.target ? `  (target ${r.target})` : '';
    say(`${r.name.padEnd(56)} ${formatValue(r.value).padStart(14)} ${r.unit}${target}${verdict}`);
  }
}
const doc = { figures: all, ...documents };
writeFileSync('bench-results.json', JSON.stringify(doc, null, 2) + '\n');
writeFileSync('bench-results.md', tables.join('\n'));
if (asJson) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
say(`\n${all.length} figures, ${failedTargets} targets missed (bench-results.json, bench-results.md)`);

function formatValue(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
