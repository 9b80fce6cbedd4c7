// SPDX-License-Identifier: GPL-2.0-only
/**
 * Convert round trips: the same recording in every format gives the same damo-compatible
 * reports (byte-for-byte against damo's expected outputs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-convert-');

async function ok(argv: string[], dropped?: RegExp): Promise<string> {
  const r = await runMain(argv);
  const stderr = r.stderr.replace(/^damo: wrote .*\n/m, '');
  // A lossy format says what it drops (issue 14.14); a test names the loss it expects.
  if (dropped !== undefined) expect(stderr).toMatch(dropped);
  expect(stderr.replace(/^damo: warning: .* drops .*\n/gm, dropped === undefined ? '\u0000' : '')).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('convert round trips', () => {
  it('legacy binary -> damo-ts trace -> json_compressed gives report raw equal to damon.data', async () => {
    const pb = join(dir, 'legacy.damo');
    const back = join(dir, 'back.json_compressed');
    await ok(['convert', '-i', damoFixture('damon.data.legacy-recfmt2'), '-o', pb]);
    expect(readFileSync(pb).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x44, 0x41, 0x4d, 0x4f, 0x54, 0x52, 0x0a]));
    await ok(['convert', '-i', pb, '-o', back]);
    expect(readFileSync(back)[0]).toBe(0x78);
    expect(await ok(['report', 'raw', '-i', back])).toBe(readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw'), 'utf8'));
  });

  it('the legacy writer reproduces the kernel-written file byte for byte', async () => {
    const out = join(dir, 'again.legacy');
    await ok(['convert', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-o', out]);
    expect(readFileSync(out).equals(readFileSync(damoFixture('damon.data.legacy-recfmt2')))).toBe(true);
  });

  for (const ext of ['damo', 'json', 'json_compressed', 'legacy']) {
    it(`raw, wss and nr_regions are unchanged through .${ext}`, async () => {
      const out = join(dir, `x.${ext}`);
      await ok(['convert', '-q', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-o', out]);
      expect(await ok(['report', 'raw', '-i', out])).toBe(readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw'), 'utf8'));
      expect(await ok(['report', 'wss', '-i', out, '-r', '1', '101', '1', '--raw_number'])).toBe(
        readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-wss'), 'utf8'),
      );
      expect(await ok(['report', 'nr_regions', '-i', out, '-r', '1', '101', '1'])).toBe(
        readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-nr_regions'), 'utf8'),
      );
    });
  }

  it('perf script output keeps everything but sub-microsecond times', async () => {
    const out = join(dir, 'x.perf_script');
    await ok(['convert', '-q', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-o', out], /perf_script drops the sub-microsecond part of \d+ snapshot times/);
    expect(await ok(['report', 'wss', '-i', out, '-r', '1', '101', '1', '--raw_number'])).toBe(
      readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-wss'), 'utf8'),
    );
    const raw = await ok(['report', 'raw', '-i', out]);
    const expected = readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw'), 'utf8');
    const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('monitoring_')).join('\n');
    expect(strip(raw)).toBe(strip(expected));
  });

  it('our trace of perf script text reports like the text itself', async () => {
    const pb = join(dir, 'perf.damo');
    await ok(['convert', '-q', '-i', damoFixture('damo-3.3.0-tests-report/perf.data.script'), '-o', pb]);
    expect(await ok(['report', 'raw', '-i', pb])).toBe(readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw_perf_script'), 'utf8'));
  });

  it('refuses to convert in place (issue 14.1) and leaves the input readable', async () => {
    const f = join(dir, 'inplace.data');
    await ok(['convert', '-q', '-i', damoFixture('damon.data.legacy-recfmt2'), '-o', f, '--format', 'json_compressed']);
    const r = await runMain(['convert', '-q', '-i', f, '-o', f, '--format', 'protobuf']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is the same file as the input');
    expect(await ok(['report', 'raw', '-i', f])).toBe(readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw'), 'utf8'));
  });
});

describe('our multi-target traces and damo formats report alike', () => {
  it('raw, wss --per_target and nr_regions agree between a damo-ts trace and its json/legacy copies', async () => {
    const pb = join(dir, 'multi.damo');
    await ok(['synth', '-o', pb, '--snapshots', '60', '--regions', '40', '--targets', '3', '--seed', '9']);
    const outputs = async (file: string): Promise<string[]> => [
      await ok(['report', 'raw', '-i', file]),
      await ok(['report', 'wss', '-i', file, '--per_target', '-r', '0', '101', '10', '--raw_number']),
      await ok(['report', 'wss', '-i', file, '--work_time', '1s', '--all_wss']),
      await ok(['report', 'nr_regions', '-i', file, '-r', '0', '101', '20', '--sortby', 'time']),
      await ok(['report', 'raw', '-i', file, '--duration', '1s', '3s']),
    ];
    const ref = await outputs(pb);
    expect(ref[0]).toContain('target_id: ');
    // The duration window keeps some snapshots of every target and leaves others out.
    const nrSnapshots = (text: string): number => text.split('monitoring_start:').length - 1;
    expect(nrSnapshots(ref[4] as string)).toBeGreaterThan(0);
    expect(nrSnapshots(ref[4] as string)).toBeLessThan(nrSnapshots(ref[0] as string));
    for (const ext of ['json', 'json_compressed', 'legacy']) {
      const out = join(dir, `multi.${ext}`);
      await ok(['convert', '-q', '-i', pb, '-o', out], ext === 'legacy' ? /legacy drops the ages of \d+ regions[^]*legacy drops the monitoring intervals/ : undefined);
      const got = await outputs(out);
      if (ext === 'legacy') {
        // The legacy format has no ages and no start times: compare what it keeps.
        expect(got[1]).toBe(ref[1]);
        expect(got[3]).toBe(ref[3]);
      } else {
        expect(got).toEqual(ref);
      }
    }
  });
});
