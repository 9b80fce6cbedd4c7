// SPDX-License-Identifier: GPL-2.0-only
/**
 * Malformed inputs: one-line errors that name the file and what is wrong, exit 1, no stack.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { runBin, runMain } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-errors-');

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const json = JSON.stringify([{ target_id: 1, snapshots: [{ start_time: 0, end_time: 1, regions: [] }] }]);

// The first four are the malformed inputs: exactly one line each. The others add
// a hint line saying what to do.
const cases: Array<{ name: string; path: () => string; message: RegExp; hint?: boolean }> = [
  {
    name: 'truncated zlib',
    path: () => file('trunc.json_compressed', deflateSync(Buffer.from(json)).subarray(0, 20)),
    message: /trunc\.json_compressed: the zlib-compressed data ends early/,
  },
  {
    name: 'JSON of the wrong shape',
    path: () => file('shape.json', '{"snapshots": []}'),
    message: /shape\.json: not a valid damo json record file: a damo record file must be a JSON list of records \(at byte 0\)/,
  },
  {
    name: 'a perf line with a missing field',
    path: () => file('perf.txt', 'kdamond.0 1 [000] 5.5: damon:damon_aggregated: nr_regions=1 0-4096: 1\n'),
    message: /perf\.txt:1: no target_id= field/,
  },
  {
    name: 'a binary cut mid-region',
    path: () => file('cut.legacy', readFileSync(damoFixture('damon.data.legacy-recfmt2')).subarray(0, 70)),
    message: /cut\.legacy: the legacy record file is cut in the middle of region 0 of 10/,
  },
  {
    name: 'a file that is no recording',
    path: () => file('notes.txt', 'just some notes\n'),
    message: /notes\.txt is not a recording damo-ts can read/,
    hint: true,
  },
  {
    name: 'a missing file',
    path: () => join(dir, 'nope.data'),
    message: /nope\.data: no such file/,
    hint: true,
  },
];

describe('malformed inputs', () => {
  for (const c of cases) {
    for (const report of ['raw', 'wss', 'nr_regions']) {
      it(`${c.name}: report ${report}`, async () => {
        const r = await runMain(['report', report, '-i', c.path()]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        const first = r.stderr.split('\n')[0] ?? '';
        // One line: the message, naming the file and what is wrong.
        expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(c.hint === true ? 2 : 1);
        expect(first).toMatch(/^damo: /);
        expect(first).toMatch(c.message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
    }
  }

  it('the built binary exits 1 with one message line and no stack', () => {
    const p = file('bin-shape.json', '[1]');
    const r = runBin(['report', 'wss', '-i', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^damo: .*bin-shape\.json: not a valid damo json record file: each record must be a JSON object/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects percentiles outside 0..100 as a usage error', async () => {
    const r = await runMain(['report', 'wss', '-i', damoFixture('damon.data.legacy-recfmt2'), '-r', '0', '201', '50']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/percentile 150 is out of range/);
  });

  it('warns about a truncated perf script and fails with --strict', async () => {
    const p = file(
      'part.txt',
      'k 1 [0] 1.0: damon:damon_aggregated: target_id=1 nr_regions=2 0-4096: 1\n' +
        'k 1 [0] 1.0: damon:damon_aggregated: target_id=1 nr_regions=2 4096-8192: 1\n' +
        'k 1 [0] 1.1: damon:damon_aggregated: target_id=1 nr_regions=2 0-4096: 1\n',
    );
    const r = await runMain(['report', 'nr_regions', '-i', p]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*part\.txt: the last snapshot of target 1 has 1 of its 2 regions/);
    const s = await runMain(['report', 'nr_regions', '-i', p, '--strict']);
    expect(s.code).toBe(1);
  });
});

describe('--json', () => {
  it('wss prints one JSON document with units in the names', async () => {
    const r = await runMain(['report', 'wss', '-i', damoFixture('damon.data.legacy-recfmt2'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { targets: Array<{ avr_wss_bytes: number; percentiles: Array<{ percentile: number; wss_bytes: number }> }> };
    expect(doc.targets[0]?.percentiles.map((p) => p.percentile)).toEqual([0, 25, 50, 75, 100]);
    expect(doc.targets[0]?.percentiles[4]?.wss_bytes).toBe(206434304);
    expect(Math.trunc(doc.targets[0]?.avr_wss_bytes ?? 0)).toBe(113456913);
  });

  it('nr_regions prints exact 64-bit target ids as strings', async () => {
    const r = await runMain(['report', 'nr_regions', '-i', damoFixture('damon.data.legacy-recfmt2'), '--json']);
    const doc = JSON.parse(r.stdout) as { targets: Array<{ target_id: string; percentiles: Array<{ nr_regions: number }> }> };
    expect(doc.targets[0]?.target_id).toBe('18446623438842320000');
    expect(doc.targets[0]?.percentiles.map((p) => p.nr_regions)).toEqual([16, 17, 18, 19, 21]);
  });

  it('report raw --json prints damo JSON that reads back to the same report', async () => {
    const r = await runMain(['report', 'raw', '-i', damoFixture('damon.data.legacy-recfmt2'), '--json']);
    expect(r.code).toBe(0);
    const p = file('from-raw.json', r.stdout);
    const again = await runMain(['report', 'raw', '-i', p]);
    const expected = readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw'), 'utf8');
    expect(again.stdout).toBe(expected);
  });
});

describe('perf.data', () => {
  const perfData = damoFixture('damo-3.3.0-tests-report/perf.data');

  it('says how to convert it when perf is not installed', async () => {
    const r = await runMain(['report', 'raw', '-i', perfData], { PATH: join(dir, 'no-such-dir') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/perf\.data is a perf\.data file, and perf is not installed to decode it/);
    expect(r.stderr).toMatch(/perf script --force -i .*perf\.data > .*perf\.data\.script/);
  });

  it('runs `perf script` when perf is installed', async () => {
    const bin = join(dir, 'fakebin');
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(bin, { recursive: true });
    const script = damoFixture('damo-3.3.0-tests-report/perf.data.script');
    // A stand-in for perf that checks its arguments and prints the real perf script output.
    writeFileSync(
      join(bin, 'perf'),
      `#!/bin/sh\n[ "$1 $2 $3" = "script --force -i" ] || exit 3\nexec cat '${script}'\n`,
    );
    chmodSync(join(bin, 'perf'), 0o755);
    const r = await runMain(['report', 'raw', '-i', perfData], { PATH: `${bin}:/usr/bin:/bin` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(damoFixture('damo-3.3.0-tests-report/expects/report-raw_perf_script'), 'utf8'));
    // The built binary too: its bundle once had an import() of node:child_process, which a
    // bundle cannot run ("A dynamic import callback was not specified").
    const built = runBin(['report', 'raw', '-i', perfData], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    expect(built.stdout).toBe(r.stdout);
  });
});

