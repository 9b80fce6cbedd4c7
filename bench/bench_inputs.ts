// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recordings the side-by-side benchmark reads, each as damo's json_compressed and as our
 * trace (made by `damo convert`, as a user makes it).
 *
 * Generating big1000 (4.6 GB of JSON through zlib) takes minutes, so generated files are
 * kept in node_modules/.cache/damo-ts-bench (like the unpacked fixtures, never in /tmp) and
 * reused while their generator's parameters match. The trace copies are also keyed by a
 * digest of the built format code, so a change to our trace writer makes fresh copies.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

import { projectRoot } from '../src/core/version.js';
import { damoFixture } from '../test/fixtures/damo_fixtures.js';
import { writeRepeatedTestData, writeSyntheticDamo33 } from './damo_json_gen.js';

export type InputId = 'small' | 'big100' | 'syn1k' | 'big1000';

export interface BenchInput {
  id: InputId;
  /** what the recording is, for the table's legend */
  description: string;
  nr_regions: number;
  json_path: string;
  json_bytes: number;
  trace_path: string;
  trace_bytes: number;
}

const CACHE_DIR = join(projectRoot(), 'node_modules/.cache/damo-ts-bench');
const SMALL_FIXTURE = 'damo-3.3.0-tests-report/damon.data';
/** Bump when a generator's output changes, so cached copies are not reused. */
const GENERATOR_VERSION = 1;

interface Recipe {
  description: string;
  /** writes the json_compressed file, returns its number of regions */
  generate(path: string): Promise<number>;
}

const RECIPES: Record<Exclude<InputId, 'small'>, Recipe> = {
  big100: {
    description: "damo's test recording x100: 54,300 snapshots of ~18 regions",
    generate: (p) => writeRepeatedTestData(damoFixture(SMALL_FIXTURE), 100, p),
  },
  syn1k: {
    description: '1,000 snapshots of 1,000 regions (synthetic, damo 3.3.0 layout)',
    generate: (p) => writeSyntheticDamo33(p, 1000, 1000),
  },
  big1000: {
    description: "damo's test recording x1000: 543,000 snapshots of ~18 regions",
    generate: (p) => writeRepeatedTestData(damoFixture(SMALL_FIXTURE), 1000, p),
  },
};

/** A digest of the built format code: our trace writer and readers live there. */
function formatCodeDigest(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) h.update(e.name).update(readFileSync(p));
    }
  };
  walk(join(projectRoot(), 'dist/src/format'));
  return h.digest('hex').slice(0, 12);
}

function convertToTrace(jsonPath: string, tracePath: string): void {
  const bin = join(projectRoot(), 'dist/src/cli/bin.cjs');
  const tmp = `${tracePath}.tmp-${process.pid}`;
  const r = spawnSync(process.execPath, [bin, 'convert', '-q', '-i', jsonPath, '-o', tmp], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`damo convert -i ${jsonPath} failed (${r.status}): ${r.stderr}`);
  renameSync(tmp, tracePath);
}

/** Drops cached files of other generator versions or format builds, keeping `keep`. */
function pruneCache(keep: Set<string>): void {
  for (const name of readdirSync(CACHE_DIR)) if (!keep.has(name)) rmSync(join(CACHE_DIR, name), { force: true });
}

export async function prepareInputs(ids: readonly InputId[], log: (line: string) => void): Promise<BenchInput[]> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const digest = formatCodeDigest();
  const keep = new Set<string>();
  const out: BenchInput[] = [];
  for (const id of ids) {
    let jsonPath: string;
    let nrRegions: number;
    let description: string;
    if (id === 'small') {
      jsonPath = damoFixture(SMALL_FIXTURE);
      description = "damo's test recording (tests/report/damon.data): 543 snapshots of ~18 regions";
      nrRegions = -1;
    } else {
      const recipe = RECIPES[id];
      description = recipe.description;
      jsonPath = join(CACHE_DIR, `${id}.v${GENERATOR_VERSION}.json_compressed`);
      const meta = `${jsonPath}.meta.json`;
      keep.add(`${id}.v${GENERATOR_VERSION}.json_compressed`).add(`${id}.v${GENERATOR_VERSION}.json_compressed.meta.json`);
      if (existsSync(jsonPath) && existsSync(meta)) {
        nrRegions = (JSON.parse(readFileSync(meta, 'utf8')) as { nr_regions: number }).nr_regions;
      } else {
        log(`generating ${id} (once; cached in ${CACHE_DIR})`);
        const tmp = `${jsonPath}.tmp-${process.pid}`;
        nrRegions = await recipe.generate(tmp);
        renameSync(tmp, jsonPath);
        writeFileSync(meta, JSON.stringify({ nr_regions: nrRegions }) + '\n');
      }
    }
    const traceName = `${id}.v${GENERATOR_VERSION}.${digest}.damo`;
    keep.add(traceName);
    const tracePath = join(CACHE_DIR, traceName);
    if (!existsSync(tracePath)) {
      log(`converting ${id} to our trace (damo convert)`);
      convertToTrace(jsonPath, tracePath);
    }
    if (nrRegions < 0) nrRegions = countRegions(jsonPath);
    out.push({
      id,
      description,
      nr_regions: nrRegions,
      json_path: jsonPath,
      json_bytes: statSync(jsonPath).size,
      trace_path: tracePath,
      trace_bytes: statSync(tracePath).size,
    });
  }
  // Only prune when every input was asked for, so a filtered run keeps the others' files.
  if (ids.length === 4) pruneCache(keep);
  return out;
}

/** The number of regions in a small damo json_compressed recording. */
function countRegions(jsonPath: string): number {
  const doc = JSON.parse(inflateSync(readFileSync(jsonPath)).toString('utf8')) as Array<{ snapshots: Array<{ regions: unknown[] }> }>;
  return doc.reduce((n, rec) => n + rec.snapshots.reduce((m, s) => m + s.regions.length, 0), 0);
}
