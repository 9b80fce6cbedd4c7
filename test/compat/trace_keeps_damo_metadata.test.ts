// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 16: a damo 3.3.0 JSON recording converted to our trace reports exactly as the JSON
 * does. The trace keeps what damo's records hold beyond the regions: the DAMOS filters the
 * sz_filter_passed values refer to (`scheme_filters`), the intervals auto-tuning goal
 * (`intervals_goal`) and each snapshot's DAMOS stats (`damos_stats`). A trace written before
 * it did (format version 3) still reads, as it read then.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { DAMO_FIXTURES_DIR, damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-trace-meta-');
const REPORT_DIR = 'damo-3.3.0-tests-report';

const inputs = [
  ...readdirSync(join(DAMO_FIXTURES_DIR, REPORT_DIR))
    .filter((n) => n.startsWith('damon.data.snapshot.') || n === 'damon.data')
    .sort()
    .map((n) => `${REPORT_DIR}/${n}`),
  'generated/v3.3.0-damos-stats/damon.data.damos_stats',
];

const reports: string[][] = [
  ['access'],
  ['access', '--style', 'recency-sz-hist'],
  ['access', '--style', 'temperature-sz-hist'],
  ['access', '--style', 'cold-memory-tail'],
  ['access', '--style', 'recency-percentiles'],
  ['access', '--raw_form'],
  ['access', '--json'],
  ['access', '--json', '--raw_number'],
  ['access', '--snapshot_damos_filter', 'allow', 'anon'],
  ['access', '--format', 'set', 'snapshot_head', '<damos stats>'],
  ['heatmap', '--output', 'raw'],
  ['heatmap', '--output', 'raw', '--df_passed', '--resol', '30', '40'],
  ['heatmap', '--guide'],
  ['heats', '--resol', '30', '40'],
  ['record_info'],
];

async function report(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...rest] = args;
  const r = await runMain(['report', cmd as string, '-i', input, ...rest]);
  // Messages name the file they read; that is the one difference allowed.
  return { code: r.code, stdout: r.stdout, stderr: r.stderr.split(input).join('<input>') };
}

describe('damo 3.3.0 JSON and its conversion to our trace report the same (issue 16)', () => {
  for (const name of inputs) {
    const input = damoFixture(name);
    const trace = join(dir, `${name.replace(/\//g, '_')}.damo`);
    describe(name, () => {
      it('converts', async () => {
        const r = await runMain(['convert', '-q', '-i', input, '-o', trace]);
        expect(r.code, r.stderr).toBe(0);
      });
      for (const args of reports) {
        it(`report ${args.join(' ')}`, async () => {
          const fromJson = await report(args, input);
          const fromTrace = await report(args, trace);
          expect(fromTrace.code).toBe(fromJson.code);
          expect(fromTrace.stderr).toBe(fromJson.stderr);
          expect(fromTrace.stdout.length).toBe(fromJson.stdout.length);
          expect(fromTrace.stdout === fromJson.stdout).toBe(true);
        });
      }
    });
  }

  it('the anon snapshot keeps its filter, goal and stats through the trace', async () => {
    const trace = join(dir, `${REPORT_DIR}_damon.data.snapshot.anon.damo`);
    const out = (await report(['access', '--json', '--raw_number'], trace)).stdout;
    expect(out).toContain('"filter_type": "anon"');
    expect(out).toContain('"access_bp": "400.000000"');
    expect(out).toContain('"nr_tried": "0"');
    expect((await report(['access'], trace)).stdout).toContain('# damos filters (df): allow anon');
  });

  it('a trace written before the trace kept them (format version 3) reads as it did', async () => {
    const old = join(DAMO_FIXTURES_DIR, '../trace/v3.anon.damo');
    const r = await runMain(['report', 'access', '-i', old]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(DAMO_FIXTURES_DIR, '../trace/v3.anon.access.txt'), 'utf8'));
  });
});
