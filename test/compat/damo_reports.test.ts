// SPDX-License-Identifier: GPL-2.0-only
/**
 * Byte-for-byte comparison of our reports with damo's own expected outputs
 * (test/fixtures/damo, see test/fixtures/README.md). Each case runs the real CLI in-process.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';


interface Case {
  name: string;
  argv: string[];
  expected: string;
}

const cases: Case[] = [
  { name: 'report raw (damon.data)', argv: ['report', 'raw', '-i', damoFixture('damo-3.3.0-tests-report/damon.data')], expected: damoFixture('damo-3.3.0-tests-report/expects/report-raw') },
  {
    name: 'report raw (damon.data.json_compressed)',
    argv: ['report', 'raw', '-i', damoFixture('damo-3.3.0-tests-report/damon.data.json_compressed')],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-raw'),
  },
  {
    name: 'report raw (legacy binary of the same recording)',
    argv: ['report', 'raw', '-i', damoFixture('damon.data.legacy-recfmt2')],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-raw'),
  },
  {
    name: 'report raw (perf.data.script)',
    argv: ['report', 'raw', '-i', damoFixture('damo-3.3.0-tests-report/perf.data.script')],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-raw_perf_script'),
  },
  {
    name: 'report wss -r 1 101 1 --raw_number',
    argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-r', '1', '101', '1', '--raw_number'],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-wss'),
  },
  {
    name: 'report wss -r 1 101 1 --raw_number --work_time 1000000',
    argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-r', '1', '101', '1', '--raw_number', '--work_time', '1000000'],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-wss_worktime_1s'),
  },
  {
    name: 'report nr_regions -r 1 101 1',
    argv: ['report', 'nr_regions', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-r', '1', '101', '1'],
    expected: damoFixture('damo-3.3.0-tests-report/expects/report-nr_regions'),
  },
  { name: 'report wss (defaults)', argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/damon.data')], expected: damoFixture('generated/v3.3.0-wss-default.txt') },
  {
    name: 'report wss (defaults, legacy binary)',
    argv: ['report', 'wss', '-i', damoFixture('damon.data.legacy-recfmt2')],
    expected: damoFixture('generated/v3.3.0-wss-default.txt'),
  },
  {
    name: 'report wss --all_wss --raw_number',
    argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '--all_wss', '--raw_number'],
    expected: damoFixture('generated/v3.3.0-wss-all_wss-raw.txt'),
  },
  {
    name: 'report wss --sortby time --per_target -r 0 101 10',
    argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '--sortby', 'time', '--per_target', '-r', '0', '101', '10'],
    expected: damoFixture('generated/v3.3.0-wss-sortby-time-per-target.txt'),
  },
  {
    name: 'report wss on perf script -r 0 101 5 --raw_number',
    argv: ['report', 'wss', '-i', damoFixture('damo-3.3.0-tests-report/perf.data.script'), '-r', '0', '101', '5', '--raw_number'],
    expected: damoFixture('generated/v3.3.0-wss-perf_script-raw.txt'),
  },
  {
    name: 'report nr_regions (defaults)',
    argv: ['report', 'nr_regions', '-i', damoFixture('damo-3.3.0-tests-report/damon.data')],
    expected: damoFixture('generated/v3.3.0-nr_regions-default.txt'),
  },
];

describe('damo 3.3.0 compatibility (byte-for-byte)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runMain(c.argv);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const expected = readFileSync(c.expected, 'utf8');
      // Compare lengths first so a mismatch prints something readable.
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected).toBe(true);
    });
  }
});
