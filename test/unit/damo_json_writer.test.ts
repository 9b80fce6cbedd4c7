// SPDX-License-Identifier: GPL-2.0-only
/**
 * writeDamoJson writes a short file in one go (deflateSync) and a long one through streams
 * (format/damo/json_writer.ts): both must write what damo writes, zlib level 6 over the
 * whole text, so a json_compressed file is the deflate of the json file's bytes either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { writeDamoJson } from '../../src/format/damo/json_writer.js';
import { MemoryTraceSource } from '../../src/format/damo/records.js';
import { syntheticHeader, syntheticSnapshots, type SyntheticTraceSpec } from '../../src/format/synthetic.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-json-writer-');

function source(spec: SyntheticTraceSpec): MemoryTraceSource {
  return new MemoryTraceSource('synthetic', syntheticHeader(spec), [Array.from(syntheticSnapshots(spec))]);
}

describe('writeDamoJson', () => {
  for (const [name, spec, least, most] of [
    ['a short file (written in one go)', { nrSnapshots: 20, nrRegionsPerSnapshot: 10, seed: 1 }, 0, 8 << 20],
    ['a long file (written through streams)', { nrSnapshots: 1000, nrRegionsPerSnapshot: 30, seed: 2 }, 8 << 20, Infinity],
  ] as const) {
    it(`${name}: json_compressed is zlib level 6 of the json text`, async () => {
      const src = source(spec);
      const json = join(dir, `${spec.seed}.json`);
      const compressed = join(dir, `${spec.seed}.json_compressed`);
      await writeDamoJson(src, json, { compressed: false });
      await writeDamoJson(src, compressed, { compressed: true });
      const text = readFileSync(json);
      expect(text.length).toBeGreaterThanOrEqual(least);
      expect(text.length).toBeLessThan(most);
      expect(text.subarray(0, 2).toString()).toBe('[\n');
      expect(Buffer.compare(readFileSync(compressed), deflateSync(text, { level: 6 }))).toBe(0);
    });
  }
});
