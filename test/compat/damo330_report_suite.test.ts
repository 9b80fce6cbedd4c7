// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's own report test suite (its tests/report/test.sh: 45 cases) run with our CLI.
 *
 * Every case is one command line of that script, in its order, with `damo` replaced by the
 * built binary, run in a directory holding the suite's recordings (as test.sh runs in its
 * own directory), and its stdout compared byte for byte with damo's expected output. Like
 * test.sh, stderr is not compared. The summary line says how many of the 45 pass.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN } from '../cli/helpers.js';
import { DAMO_FIXTURES_DIR, damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const SUITE = 'damo-3.3.0-tests-report';

interface SuiteCase {
  /** test.sh's test_name: the expected output is expects/report-<name>. */
  name: string;
  /** Command lines run one after the other (test.sh chains some with &&); the last one's stdout counts. */
  argvs: string[][];
}

function suiteCases(): SuiteCase[] {
  const cases: SuiteCase[] = [];
  for (const filter of ['nofilter', 'active', 'inactive', 'anon', 'file', 'unmapped', 'hugepage']) {
    for (const style of ['recency-percentiles', 'temperature-percentiles', 'recency-sz-hist', 'temperature-sz-hist', 'detailed']) {
      cases.push({ name: `${style}-${filter}`, argvs: [['report', 'access', '--input', `damon.data.snapshot.${filter}`, '--style', style]] });
    }
  }
  const raw = ['report', 'access', '--raw_form', '--input'];
  cases.push({ name: 'raw', argvs: [[...raw, 'damon.data']] });
  cases.push({ name: 'raw', argvs: [[...raw, 'damon.data.json_compressed']] });
  cases.push({ name: 'raw_perf_script', argvs: [[...raw, 'perf.data.script']] });
  cases.push({ name: 'wss', argvs: [['report', 'wss', '-r', '1', '101', '1', '--raw_number']] });
  cases.push({ name: 'wss_worktime_1s', argvs: [['report', 'wss', '-r', '1', '101', '1', '--work_time', '1000000', '--raw_number']] });
  cases.push({ name: 'aggr_1s_raw', argvs: [['adjust', '--aggregate_interval', '1000000'], [...raw, 'damon.adjusted.data']] });
  cases.push({ name: 'aggr_1s_raw_skip_30', argvs: [['adjust', '--skip', '30', '--aggregate_interval', '1000000'], [...raw, 'damon.adjusted.data']] });
  cases.push({ name: 'nr_regions', argvs: [['report', 'nr_regions', '-r', '1', '101', '1']] });
  cases.push({ name: 'heats_guide', argvs: [['report', 'heatmap', '--guide']] });
  cases.push({ name: 'heats', argvs: [['report', 'heatmap', '--output', 'raw']] });
  return cases;
}

/** The expected bytes of a case; expects/report-heats.gz is damo's own gzipped file. */
function expectedOf(name: string): Buffer {
  if (name === 'heats') return gunzipSync(readFileSync(damoFixture(`${SUITE}/expects/report-heats.gz`)));
  return readFileSync(damoFixture(`${SUITE}/expects/report-${name}`));
}

describe("damo 3.3.0's tests/report/test.sh with damo-ts", () => {
  const dir = fileTempDir('damo-ts-suite330-');
  const cases = suiteCases();
  const failed: string[] = [];

  beforeAll(() => {
    // The recordings test.sh reads, under their names, as the script's directory holds them.
    for (const entry of readdirSync(join(DAMO_FIXTURES_DIR, SUITE))) {
      if (entry === 'expects') continue;
      const name = entry.endsWith('.gz') ? entry.slice(0, -3) : entry;
      copyFileSync(damoFixture(`${SUITE}/${name}`), join(dir, name));
    }
  });

  afterAll(() => {
    const passed = cases.length - failed.length;
    process.stdout.write(`damo 3.3.0 report suite: ${passed}/${cases.length} passed${failed.length > 0 ? `; failing: ${failed.join(', ')}` : ''}\n`);
  });

  it('has the 45 cases of test.sh', () => {
    expect(cases.length).toBe(45);
  });

  cases.forEach((c, i) => {
    it(`${i + 1}: report-${c.name}: ${c.argvs.map((a) => `damo ${a.join(' ')}`).join(' && ')}`, () => {
      let stdout = Buffer.alloc(0);
      let ok = true;
      for (const argv of c.argvs) {
        const env = { ...process.env };
        delete env['NO_COLOR'];
        const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: dir, env, maxBuffer: 256 * 1024 * 1024 });
        stdout = r.stdout;
        if (r.status !== 0) {
          ok = false;
          break;
        }
      }
      const expected = expectedOf(c.name);
      const same = ok && Buffer.compare(stdout, expected) === 0;
      if (!same) failed.push(`report-${c.name}`);
      if (!same && ok) {
        // Show the first differing line to make a failure readable.
        const a = stdout.toString('utf8').split('\n');
        const b = expected.toString('utf8').split('\n');
        let k = 0;
        while (k < a.length && a[k] === b[k]) k++;
        expect(`line ${k + 1}: ${a[k] ?? '<end>'}`).toBe(`line ${k + 1}: ${b[k] ?? '<end>'}`);
      }
      expect(same).toBe(true);
    });
  });
});
