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
