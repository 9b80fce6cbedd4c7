// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { schemesEqual } from '../../src/schemes/model.js';
import { formatSchemeLine, formatSchemesText, parseSchemeLine, parseSchemesText } from '../../src/schemes/text.js';
import { formatSizeExact, formatTimeExact, parseSize, parseTimeUs } from '../../src/schemes/units.js';

function errorOf(f: () => unknown): DamoError {
  try {
    f();
  } catch (err) {
    if (err instanceof DamoError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('scheme values', () => {
  it('parses sizes like the kernel-tree converter (int(float * unit))', () => {
    expect(parseSize('1.5K')).toBe(1536);
    expect(parseSize('2M')).toBe(2 * 2 ** 20);
    expect(parseSize('3G')).toBe(3 * 2 ** 30);
    expect(parseSize('min')).toBe(0);
    expect(parseSize('max')).toBe('max');
    // damo 3.x forms
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('2 MiB')).toBe(2 * 2 ** 20);
    expect(parseSize('4.000 KiB')).toBe(4096);
    expect(parseSize('1,024')).toBe(1024);
    expect(parseSize('16E')).toBe('max');
    expect(() => parseSize('4Q')).toThrow(/not a size/);
    expect(() => parseSize('-4K')).toThrow(/not a size/);
  });

  it('parses times to microseconds, with the unit rules of the converter', () => {
    expect(parseTimeUs('100ms')).toBe(100_000);
    expect(parseTimeUs('1.5s')).toBe(1_500_000);
    expect(parseTimeUs('2m')).toBe(120_000_000);
    expect(parseTimeUs('1h')).toBe(3_600_000_000);
    expect(parseTimeUs('1d')).toBe(86_400_000_000);
    expect(parseTimeUs('5us')).toBe(5);
    expect(parseTimeUs('1 s 500 ms')).toBe(1_500_000);
    expect(parseTimeUs('max')).toBe('max');
    expect(() => parseTimeUs('5')).toThrow(/no time unit/);
    expect(parseTimeUs('5', 1000)).toBe(5000);
    expect(() => parseTimeUs('5min')).toThrow(/not a duration/);
  });

  it('writes sizes and times exactly', () => {
    expect(formatSizeExact(1536, 'compact')).toBe('1.5K');
    expect(formatSizeExact(4097, 'compact')).toBe('4097B');
    expect(formatSizeExact(3 * 2 ** 30, 'spaced')).toBe('3 GiB');
    expect(formatSizeExact(1234567, 'compact')).toBe('1234567B');
    expect(formatTimeExact(1_500_000, 'compact')).toBe('1.5s');
    expect(formatTimeExact(60_000_000, 'compact')).toBe('1m');
    expect(formatTimeExact(90_000_000, 'compact')).toBe('90s');
    expect(formatTimeExact(100_000, 'spaced')).toBe('100 ms');
    expect(formatTimeExact(0, 'spaced')).toBe('0 us');
    for (const v of [1, 999, 1000, 1500, 123_456_789, 3_600_000_000, 7_200_000_001]) {
      expect(parseTimeUs(formatTimeExact(v, 'compact'))).toBe(v);
    }
    for (const v of [0, 1, 4095, 4096, 1536, 2 ** 40 + 2 ** 30, 123_456_789_012]) {
      expect(parseSize(formatSizeExact(v, 'compact'))).toBe(v);
    }
  });
});

describe('one-line scheme language', () => {
  it('parses the seven positional fields', () => {
    const s = parseSchemeLine('1.5K 3G 33.3 66.6 1.5s 2m stat');
    expect(s.pattern.sz).toEqual({ min: 1536, max: 3 * 2 ** 30 });
    expect(s.pattern.nrAccesses).toEqual({ unit: 'percent', min: 33.3, max: 66.6 });
    expect(s.pattern.age).toEqual({ unit: 'us', min: 1_500_000, max: 120_000_000 });
    expect(s.action).toBe('stat');
  });

  it('reads null as an unset bound', () => {
    const s = parseSchemeLine('null 2M null null 1s null pageout');
    expect(s.pattern.sz).toEqual({ min: 0, max: 2 * 2 ** 20 });
    expect(s.pattern.nrAccesses).toEqual({ unit: 'percent', min: 0, max: 'max' });
    expect(s.pattern.age).toEqual({ unit: 'us', min: 1_000_000, max: 'max' });
  });

  it('skips comments and blank lines and remembers line numbers', () => {
    const text = '# comment\n\n  # indented comment\nmin max 0 10 60s max pageout # trailing\n4K max min min 5s max PAGEOUT\n';
    const schemes = parseSchemesText(text, 'f.damos');
    expect(schemes).toHaveLength(2);
    expect(schemes[0]?.origin).toEqual({ file: 'f.damos', line: 4 });
    expect(schemes[1]?.action).toBe('pageout');
  });

  it('accepts kernel units and key=value settings', () => {
    const s = parseSchemeLine(
      '4K max 0samples 2samples 10aggrs max pageout apply_interval=1s quota_sz=1G quota_ms=10ms quota_reset=1s ' +
        'weights=0,30%,70% wmarks=free_mem_rate,5s,500,400,200 filter=reject,anon filter=allow,none,addr,4K,1M ' +
        'goal=some_mem_psi_us,10ms',
    );
    expect(s.pattern.nrAccesses).toEqual({ unit: 'samples', min: 0, max: 2 });
    expect(s.pattern.age).toEqual({ unit: 'aggr_intervals', min: 10, max: 'max' });
    expect(s.applyIntervalUs).toBe(1_000_000);
    expect(s.quotas).toEqual({
      timeMs: 10,
      szBytes: 2 ** 30,
      resetIntervalMs: 1000,
      weights: { szPermil: 0, nrAccessesPermil: 300, agePermil: 700 },
      goals: [{ metric: 'some_mem_psi_us', targetValue: 10_000, currentValue: 0 }],
    });
    expect(s.watermarks).toEqual({ metric: 'free_mem_rate', intervalUs: 5_000_000, highPermil: 500, midPermil: 400, lowPermil: 200 });
    expect(s.filters).toEqual([
      { type: 'anon', matching: true, allow: false },
      { type: 'addr', matching: false, allow: true, addrStart: 4096, addrEnd: 2 ** 20 },
    ]);
  });

  it("accepts damo 1.x's positional quota, weight and watermark fields", () => {
    const s18 = parseSchemeLine('4K max 0 0 5s max pageout 10 1G 1000 0 3 7 free_mem_rate 5000000 500 400 200');
    expect(s18.quotas.timeMs).toBe(10);
    expect(s18.quotas.szBytes).toBe(2 ** 30);
    expect(s18.quotas.resetIntervalMs).toBe(1000);
    expect(s18.quotas.weights).toEqual({ szPermil: 0, nrAccessesPermil: 3, agePermil: 7 });
    expect(s18.watermarks.intervalUs).toBe(5_000_000);
    const s9 = parseSchemeLine('4K max 0 0 5s max pageout 100M 1s');
    expect(s9.quotas.szBytes).toBe(100 * 2 ** 20);
    expect(s9.quotas.resetIntervalMs).toBe(1000);
  });

  it('names file, line, column and field in errors, with the accepted forms', () => {
    const e = errorOf(() => parseSchemesText('# x\nmin max 8O max 100ms max willneed\n', 'my.damos'));
    expect(e.code).toBe('E_FORMAT');
    expect(e.message).toBe("my.damos:2:9: min access frequency: '8O' is not a percent");
    expect(e.hint).toContain('accepted:');
    expect(e.hint).toContain('samples');

    const a = errorOf(() => parseSchemeLine('min max 0 10 60s max swapout', 'f', 3));
    expect(a.message).toBe("f:3:22: action: 'swapout' is not a DAMOS action");
    expect(a.hint).toContain('pageout');

    const n = errorOf(() => parseSchemeLine('min max 0 10 60s max', 'f'));
    expect(n.message).toContain('expected 7 fields');
    expect(n.message).toContain('f:1:21: action');

    const u = errorOf(() => parseSchemeLine('min max 0 10 5 max pageout', 'f'));
    expect(u.message).toBe("f:1:14: min age: '5' has no time unit");

    const o = errorOf(() => parseSchemeLine('2M 1M 0 10 5s max pageout', 'f'));
    expect(o.message).toContain('f:1:1: min size: the minimum');

    const k = errorOf(() => parseSchemeLine('min max 0 10 5s max pageout quota=1G', 'f'));
    expect(k.message).toBe("f:1:29: setting: unknown setting 'quota'");
    expect(k.hint).toContain('quota_sz=');

    const v = errorOf(() => parseSchemeLine('min max 0 10 5s max pageout quota_sz=1Q', 'f'));
    expect(v.message).toBe("f:1:38: quota_sz: '1Q' is not a size");

    const m = errorOf(() => parseSchemeLine('min max 0 10 5s max migrate_cold', 'f'));
    expect(m.message).toContain('needs a destination node');

    const mixed = errorOf(() => parseSchemeLine('min max 5 3samples 5s max pageout', 'f'));
    expect(mixed.message).toContain('use one unit for both');
  });

  it('writes a canonical line that parses back to the same scheme', () => {
    const lines = [
      'min max 80 max 100ms max willneed',
      '1.5K 3G 33.3 66.6 1.5s 2m stat',
      '4K max 0samples 2samples 10aggrs max pageout apply_interval=1s quota_sz=1G quota_ms=10ms quota_reset=1s weights=0,300,700',
      'min max min max min max migrate_hot target_nid=1',
      'min max min max min max migrate_cold dests=0:3,1:7 filter=reject,memcg,/a/b filter=allow,target,1 filter=reject,none,hugepage_size,2M,2M',
      'min max 0 0 1s max pageout wmarks=free_mem_rate,5s,500,400,200 goal=node_mem_used_bp,9970,nid=0 goal=user_input,10000,current=5000',
    ];
    for (const line of lines) {
      const s = parseSchemeLine(line);
      const written = formatSchemeLine(s);
      expect(schemesEqual(parseSchemeLine(written), s)).toBe(true);
      expect(formatSchemeLine(parseSchemeLine(written))).toBe(written);
    }
    expect(formatSchemesText(parseSchemesText(lines.join('\n'), 'x'))).toBe(
      formatSchemesText(parseSchemesText(formatSchemesText(parseSchemesText(lines.join('\n'), 'x')), 'y')),
    );
  });
});
