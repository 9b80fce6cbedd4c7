// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's expected report outputs (tests/report/expects) from damo's json_compressed
 * test recording read the streamed way (format/damo/json_source.ts), which large files take:
 * DAMO_JSON_IN_MEMORY_MAX_BYTES=0 streams even this small file. test.sh runs these reports
 * on damon.data, the same recording in the legacy format.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { BIN } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const SUITE = 'damo-3.3.0-tests-report';
const INPUT = damoFixture(`${SUITE}/damon.data.json_compressed`);

const CASES: Array<{ name: string; argv: string[] }> = [
  { name: 'wss', argv: ['report', 'wss', '-r', '1', '101', '1', '--raw_number'] },
  { name: 'wss_worktime_1s', argv: ['report', 'wss', '-r', '1', '101', '1', '--work_time', '1000000', '--raw_number'] },
  { name: 'nr_regions', argv: ['report', 'nr_regions', '-r', '1', '101', '1'] },
  { name: 'heats_guide', argv: ['report', 'heatmap', '--guide'] },
  { name: 'heats', argv: ['report', 'heatmap', '--output', 'raw'] },
];

function expectedOf(name: string): Buffer {
  if (name === 'heats') return gunzipSync(readFileSync(damoFixture(`${SUITE}/expects/report-heats.gz`)));
  return readFileSync(damoFixture(`${SUITE}/expects/report-${name}`));
}

describe('damo 3.3.0 report expects from a streamed json_compressed file', () => {
  // The reader's byte templates compile small functions; under a Node that refuses code
  // generation from strings they run as plain functions, with the same output.
  const variants = [...CASES.map((c) => ({ ...c, nodeOptions: '' })), { ...(CASES[0] as (typeof CASES)[number]), nodeOptions: '--disallow-code-generation-from-strings' }];
  for (const c of variants) {
    it(`report-${c.name}: damo ${c.argv.join(' ')}${c.nodeOptions === '' ? '' : ` (node ${c.nodeOptions})`}`, () => {
      const env: NodeJS.ProcessEnv = { ...process.env, DAMO_JSON_IN_MEMORY_MAX_BYTES: '0', NODE_OPTIONS: c.nodeOptions };
      delete env['NO_COLOR'];
      const r = spawnSync(process.execPath, [BIN, ...c.argv, '--input', INPUT], { env, maxBuffer: 256 * 1024 * 1024 });
      expect(r.stderr.toString('utf8')).toBe('');
      expect(r.status).toBe(0);
      expect(Buffer.compare(r.stdout, expectedOf(c.name))).toBe(0);
    });
  }
});

describe('heat maps of a streamed json_compressed file of two records, as read whole', () => {
  const TWO = damoFixture('generated/v3.3.0-shapes/synth-2targets.json_compressed');
  // 'passes' (a guide pass meets the second record) and 'complete' (target, time and
  // address ranges given: no guide pass, so opening lists the records).
  const argvs = [
    ['report', 'heats', '--guide'],
    ['report', 'heats', '--tid', '4243', '--resol', '10', '20'],
    ['report', 'heats', '--tid', '4243', '--time_range', '1000300000000', '1002900000000', '--address_range', '93823560581120', '93823918493696', '--resol', '10', '20'],
    ['report', 'heatmap', '--guide'],
    ['report', 'heatmap', '--output', 'raw', '--tid', '4243', '--resol', '10', '20'],
  ];
  for (const argv of argvs) {
    it(argv.join(' '), () => {
      const run = (extra: NodeJS.ProcessEnv): Buffer => {
        const r = spawnSync(process.execPath, [BIN, ...argv, '--input', TWO], { env: { ...process.env, ...extra }, maxBuffer: 64 * 1024 * 1024 });
        expect(r.stderr.toString('utf8')).toBe('');
        expect(r.status).toBe(0);
        return r.stdout;
      };
      const whole = run({});
      expect(whole.length).toBeGreaterThan(0);
      expect(Buffer.compare(run({ DAMO_JSON_IN_MEMORY_MAX_BYTES: '0' }), whole)).toBe(0);
    });
  }
});
