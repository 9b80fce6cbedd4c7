// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heats` against damo v2.4.9's own outputs (test/fixtures/damo), byte for
 * byte, from every input format that holds the same recording.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pyFixed } from '../../src/core/fmt.js';
import type { TraceSource } from '../../src/core/model.js';
import { openTrace } from '../../src/format/open.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { runMain } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const JSON_COMPRESSED = damoFixture('damo-3.3.0-tests-report/damon.data');
const LEGACY = damoFixture('damon.data.legacy-recfmt2');

const expected = {
  raw: (): string => gunzipSync(readFileSync(damoFixture('generated/v2.4.9-report-heats.gz'))).toString('utf8'),
  guide: (): string => readFileSync(damoFixture('generated/v2.4.9-heats-guide.txt'), 'utf8'),
  resol43: (): string => readFileSync(damoFixture('generated/v2.4.9-heats-resol-4-3.txt'), 'utf8'),
  ansi: (): string => readFileSync(damoFixture('generated/v2.4.9-heats-stdout-resol-40-80.ansi'), 'utf8'),
};

const dir = mkdtempSync(join(tmpdir(), 'damo-compat-heats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Our own format, written from any readable recording (what `damo convert` produces). */
async function toProtobuf(source: TraceSource, out: string): Promise<string> {
  const w = TraceWriter.create(out, source.header);
  for await (const s of source.snapshots()) w.writeSnapshot(s);
  w.close('converted');
  return out;
}

/**
 * perf script text of a recording, as damo's perf_script writer prints it: end times as
 * '%f' seconds (so times keep only microseconds) and no age column (unknown ages).
 */
async function toPerfScript(source: TraceSource, out: string): Promise<string> {
  const lines: string[] = [];
  for await (const s of source.snapshots()) {
    const tid = source.header.targets[s.targetIndex]!.id!.toString();
    const ts = pyFixed(s.endNs / 1e9, 6);
    for (let i = 0; i < s.starts.length; i++) {
      lines.push(
        `kdamond.x xxxx xxxx ${ts}: damon:damon_aggregated: target_id=${tid} nr_regions=${s.starts.length} ` +
          `${s.starts[i]}-${s.ends[i]}: ${s.nrAccesses[i]}`,
      );
    }
  }
  writeFileSync(out, lines.join('\n') + '\n');
  return out;
}

async function heats(input: string, ...args: string[]): Promise<string> {
  const r = await runMain(['report', 'heats', '-i', input, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

const inputs: Record<string, string> = {};
beforeAll(async () => {
  inputs.json_compressed = JSON_COMPRESSED;
  inputs.legacy = LEGACY;
  inputs.protobuf = await toProtobuf(await openTrace(JSON_COMPRESSED), join(dir, 'damon.damo'));
  inputs.protobufFromLegacy = await toProtobuf(await openTrace(LEGACY), join(dir, 'legacy.damo'));
});

describe.each(['json_compressed', 'legacy', 'protobuf', 'protobufFromLegacy'])('report heats on %s equals damo v2.4.9', (name) => {
  it('default raw 500x500 (v2.4.9-report-heats.gz)', async () => {
    const out = await heats(inputs[name]!);
    // Compare sizes first: a 8 MB diff in a failure message helps nobody.
    const want = expected.raw();
    expect(out.length).toBe(want.length);
    expect(out === want).toBe(true);
  });

  it('--guide (v2.4.9-heats-guide.txt)', async () => {
    expect(await heats(inputs[name]!, '--guide')).toBe(expected.guide());
  });

  it('--resol 4 3 (v2.4.9-heats-resol-4-3.txt)', async () => {
    expect(await heats(inputs[name]!, '--resol', '4', '3')).toBe(expected.resol43());
  });

  it('--heatmap stdout --resol 40 80 with colour (v2.4.9-heats-stdout-resol-40-80.ansi)', async () => {
    expect(await heats(inputs[name]!, '--heatmap', 'stdout', '--resol', '40', '80', '--color', 'always')).toBe(expected.ansi());
  });
});

describe('report heats on perf script text', () => {
  let perf = '';
  let perfProto = '';
  beforeAll(async () => {
    perf = await toPerfScript(await openTrace(JSON_COMPRESSED), join(dir, 'damon.perf_script'));
    perfProto = await toProtobuf(await openTrace(perf), join(dir, 'perf.damo'));
  });

  it('gives the same output as the same recording in our format', async () => {
    for (const args of [[], ['--guide'], ['--resol', '4', '3'], ['--heatmap', 'stdout', '--color', 'always']]) {
      expect(await heats(perf, ...args)).toBe(await heats(perfProto, ...args));
    }
  });

  it('finds the same target and contiguous ranges as the json file (times rounded to microseconds)', async () => {
    const guide = await heats(perf, '--guide');
    const want = expected.guide().split('\n');
    const got = guide.split('\n');
    expect(got[0]).toBe(want[0]);
    expect(got.slice(2)).toEqual(want.slice(2));
    expect(got[1]).toMatch(/^time: 539914033000-596606619000 \(56\.693 s\)$/);
  });
});
