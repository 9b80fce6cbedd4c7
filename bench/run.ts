// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench`: runs every compiled `bench/*.bench.js` module (or only those whose name
 * contains one of the command-line arguments) and prints their results. Each module exports
 * `run(): Promise<BenchResult[]>`. Results are also written to bench-results.json so
 * docs/PERFORMANCE.md can be updated from a real run.
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

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

const all: Array<BenchResult & { bench: string }> = [];
let failedTargets = 0;
for (const file of modules) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run(): Promise<BenchResult[]> };
  console.log(`## ${file.replace(/\.bench\.js$/, '')}`);
  const results = await mod.run();
  for (const r of results) {
    const verdict = r.ok === undefined ? '' : r.ok ? '  ok' : '  MISSED';
    if (r.ok === false) failedTargets += 1;
    const target = r.target ? `  (target ${r.target})` : '';
    console.log(`${r.name.padEnd(56)} ${formatValue(r.value).padStart(14)} ${r.unit}${target}${verdict}`);
    all.push({ bench: file, ...r });
  }
}
writeFileSync('bench-results.json', JSON.stringify(all, null, 2) + '\n');
console.log(`\n${all.length} figures, ${failedTargets} targets missed (bench-results.json)`);

function formatValue(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
