// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo adjust` on recordings with intervals, two targets, filter results and DAMOS stats:
 * the file we write must hold the JSON damo 3.3.0 writes for the same command line
 * (generated/v3.3.0-shapes/adjust: damo's record filter gives every region it keeps a
 * percent and an age in us, which damo's writer keeps; regions split while aggregating
 * have none).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { DAMO_FIXTURES_DIR } from '../fixtures/damo_fixtures.js';

const DIR = join(DAMO_FIXTURES_DIR, 'generated/v3.3.0-shapes');
const lines = readFileSync(join(DIR, 'adjust/commands.txt'), 'utf8').split('\n').filter((l) => l !== '');
const out = mkdtempSync(join(tmpdir(), 'damo-ts-adjust-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The input read three ways: whole (small files are), streamed in column batches, and as our trace. */
const READS = ['in memory', 'streamed', 'from our trace'] as const;

describe('damo adjust writes what damo 3.3.0 writes', () => {
  lines.forEach((line, i) => {
    for (const read of READS) {
      it(`damo ${line} (input read ${read})`, async () => {
        const path = join(out, `adjusted-${i + 1}-${READS.indexOf(read)}.data`);
        let argv = line.split(' ').map((w) => (w.endsWith('.json_compressed') ? join(DIR, w) : w));
        if (read === 'from our trace') {
          const input = argv[argv.indexOf('-i') + 1] as string;
          const trace = join(out, `input-${i + 1}.damo`);
          const c = await runMain(['convert', '-i', input, '-o', trace]);
          expect(c.code).toBe(0);
          argv = argv.map((w) => (w === input ? trace : w));
        }
        const env = read === 'streamed' ? { DAMO_JSON_IN_MEMORY_MAX_BYTES: '0' } : {};
        const r = await runMain([...argv, '-o', path], env);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const ours = inflateSync(readFileSync(path)).toString('utf8');
        const damo = gunzipSync(readFileSync(join(DIR, `adjust/expect-${i + 1}.json.gz`))).toString('utf8');
        expect(ours.length).toBe(damo.length);
        expect(ours === damo).toBe(true);
      });
    }
  });
});
