// SPDX-License-Identifier: GPL-2.0-only
/**
 * What TypeScript and the addon both know must agree: the page size (core/page_size.ts
 * reads AT_PAGESZ; the addon asks sysconf) and the primitive names (native/primitives.ts;
 * the addon's capability table).
 */
import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { pageSizeBytes, pageSizeFromAuxv } from '../../src/core/page_size.js';
import { loadNativeAddon } from '../../src/native/addon.js';
import { PRIMITIVES } from '../../src/native/primitives.js';

describe('facts TypeScript and the addon share', () => {
  it('agree on the page size, which is the system\'s', () => {
    const addon = loadNativeAddon();
    expect(pageSizeBytes()).toBe(addon.hostFacts().pageSizeBytes);
    expect(pageSizeBytes()).toBe(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
  });

  it('reads AT_PAGESZ from an auxiliary vector', () => {
    const auxv = Buffer.alloc(48);
    auxv.writeBigUInt64LE(33n, 0); // AT_SYSINFO_EHDR
    auxv.writeBigUInt64LE(6n, 16); // AT_PAGESZ
    auxv.writeBigUInt64LE(65536n, 24);
    expect(pageSizeFromAuxv(auxv)).toBe(65536);
    expect(pageSizeFromAuxv(Buffer.alloc(16))).toBeNull();
  });

  it('agree on the primitive names', () => {
    const caps = loadNativeAddon().capabilities('vaddr', -1);
    expect(Object.keys(caps).sort()).toEqual([...PRIMITIVES].sort());
  });
});
