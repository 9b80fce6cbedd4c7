// SPDX-License-Identifier: GPL-2.0-only
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { RawInflater } from '../../src/format/zlib_handle.js';

describe('RawInflater', () => {
  it('inflates stream after stream into the same buffer, each exactly', () => {
    const z = new RawInflater();
    // Growing and shrinking sizes; compressible and incompressible data.
    for (const size of [10, 70_000, 3, 1 << 20, 0, 5000]) {
      for (const data of [Buffer.alloc(size, 7), randomBytes(size)]) {
        const out = z.inflate(deflateRawSync(data, { level: 1 }), size);
        expect(Buffer.compare(out, data), `size ${size}`).toBe(0);
      }
    }
  });

  it('fails when a stream inflates to another length, or does not inflate, and goes on after', () => {
    const z = new RawInflater();
    const data = Buffer.from('abcdefgh'.repeat(100));
    const deflated = deflateRawSync(data);
    expect(() => z.inflate(deflated, data.length - 1)).toThrow(/inflate to 800 bytes, 799 expected/);
    expect(() => z.inflate(deflated, data.length + 1)).toThrow(/inflate to 800 bytes, 801 expected/);
    expect(() => z.inflate(Buffer.from([0xff, 0xff, 0xff, 0xff]), 10)).toThrow(/invalid deflate data|inflate to/);
    expect(Buffer.compare(z.inflate(deflated, data.length), data)).toBe(0);
  });
});
