// SPDX-License-Identifier: GPL-2.0-only
/**
 * Large damo json files are parsed on a worker thread (format/damo/json_parse_stream.ts);
 * the built CLI is run with DAMO_JSON_PARSE_WORKER=always so that small fixtures take that
 * path too, and must print damo's expected bytes, the same as the main-thread parser, and
 * the same errors for broken files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gunzipSync, inflateSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { BIN } from './helpers.js';
import { DAMO_FIXTURES_DIR, damoFixture } from '../fixtures/damo_fixtures.js';
import { shellWords } from '../fixtures/shell_words.js';

const SUITE = 'damo-3.3.0-tests-report';
const DAMO_INPUT = damoFixture(`${SUITE}/damon.data.json_compressed`);
const SHAPES = join(DAMO_FIXTURES_DIR, 'generated/v3.3.0-shapes');
const dir = mkdtempSync(join(tmpdir(), 'damo-ts-parse-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[], env: Record<string, string>): { status: number | null; stdout: Buffer; stderr: string } {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e['NO_COLOR'];
  const r = spawnSync(process.execPath, [BIN, ...argv], { env: e, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const WORKER = { DAMO_JSON_PARSE_WORKER: 'always' };
const INLINE = { DAMO_JSON_PARSE_WORKER: 'never' };

describe('damo json parsed on a worker thread', () => {
  const expects: Array<{ name: string; argv: string[] }> = [
    { name: 'wss', argv: ['report', 'wss', '-r', '1', '101', '1', '--raw_number'] },
    { name: 'nr_regions', argv: ['report', 'nr_regions', '-r', '1', '101', '1'] },
    { name: 'heats_guide', argv: ['report', 'heatmap', '--guide'] },
    { name: 'heats', argv: ['report', 'heatmap', '--output', 'raw'] },
  ];
  for (const streamed of [false, true]) {
    for (const c of expects) {
      it(`damo 3.3.0's report-${c.name} expect, ${streamed ? 'streamed pass by pass' : 'read whole'}`, () => {
        const env = streamed ? { ...WORKER, DAMO_JSON_IN_MEMORY_MAX_BYTES: '0' } : WORKER;
        const r = run([...c.argv, '--input', DAMO_INPUT], env);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const expected =
          c.name === 'heats'
            ? gunzipSync(readFileSync(damoFixture(`${SUITE}/expects/report-heats.gz`)))
            : readFileSync(damoFixture(`${SUITE}/expects/report-${c.name}`));
        expect(Buffer.compare(r.stdout, expected)).toBe(0);
      });
    }
  }

  // Two targets, DAMOS filter results, epoch-ns times beyond 2^53: every command line the
  // Python damo's output was recorded for (compat/damo330_shapes.test.ts runs them inline).
  const lines = readFileSync(join(SHAPES, 'commands.txt'), 'utf8').split('\n').filter((l) => l !== '');
  lines.forEach((line, i) => {
    it(`damo ${line}`, () => {
      const argv = shellWords(line).map((w) => (w.endsWith('.json_compressed') ? join(SHAPES, w) : w));
      const r = run(argv, WORKER);
      expect(r.status).toBe(0);
      expect(r.stdout.toString('utf8')).toBe(readFileSync(join(SHAPES, `expect-${i + 1}.txt`), 'utf8'));
    });
  });

  it('adjust writes the same recording from either parser', () => {
    const input = join(SHAPES, 'synth-2targets.json_compressed');
    const outs = [WORKER, INLINE].map((env, k) => {
      const out = join(dir, `adjusted-${k}.data`);
      const r = run(['adjust', '--aggregate_interval', '300000', '-i', input, '-o', out], { ...env, DAMO_JSON_IN_MEMORY_MAX_BYTES: '0' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return inflateSync(readFileSync(out));
    });
    expect(outs[0]?.length).toBeGreaterThan(1000);
    expect(Buffer.compare(outs[0] as Buffer, outs[1] as Buffer)).toBe(0);
  });

  it('a truncated file fails with the same message on either path', () => {
    const whole = readFileSync(DAMO_INPUT);
    const cut = join(dir, 'cut.json_compressed');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const [w, n] = [WORKER, INLINE].map((env) => run(['report', 'wss', '-i', cut], env));
    expect(w?.status).toBe(1);
    expect(w?.stderr).toMatch(/truncated/);
    expect(w?.stderr).toBe(n?.stderr);
  });

  it('malformed JSON fails with the same message and offset on either path', () => {
    const text = inflateSync(readFileSync(DAMO_INPUT)).toString('latin1');
    const at = text.indexOf('"end_time"', text.length >> 1);
    const bad = join(dir, 'bad.json_compressed');
    writeFileSync(bad, deflateSync(Buffer.from(text.slice(0, at) + '"end_time" ]' + text.slice(at + 11), 'latin1')));
    for (const streamed of ['0', String(1 << 30)]) {
      const [w, n] = [WORKER, INLINE].map((env) => run(['report', 'wss', '-i', bad], { ...env, DAMO_JSON_IN_MEMORY_MAX_BYTES: streamed }));
      expect(w?.status).toBe(1);
      expect(w?.stderr).toMatch(/not a valid damo json_compressed record file: .* \(at byte \d+ of the decompressed JSON\)/);
      expect(w?.stderr).toBe(n?.stderr);
    }
  });
});
