// SPDX-License-Identifier: GPL-2.0-only
/** The CLI's value parsers: what each accepts, and how a bad value is reported. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';

import {
  optionValue,
  parseAddress,
  parseDelayNs,
  parseFileMode,
  parseFraction,
  parseInteger,
  parsePercent,
  parsePositiveSize,
  parseRange,
  parseSeconds,
  parseSize,
  parseTargetId,
  parseTimeBound,
  parseTimeUs,
  valuesOf,
} from '../../src/cli/values.js';

describe('CLI values', () => {
  it('reads integers, ids and ranges', () => {
    expect(parseInteger('1,024')).toBe(1024);
    expect(parseInteger('0x10')).toBe(16);
    expect(() => parseInteger('1.5')).toThrow(InvalidArgumentError);
    expect(parseTargetId('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseRange(['0', '101', '25'])).toEqual([0, 101, 25]);
    expect(parseRange(undefined)).toBeUndefined();
    expect(() => parseRange(['0', '101'])).toThrow(/--range takes three values/);
    expect(() => parseRange(['0', '1', '0'])).toThrow(/step must not be 0/);
  });

  it('reads sizes and addresses, with damo units', () => {
    expect(parseSize('4K')).toBe(4096);
    expect(parseSize('1.5 MiB')).toBe(1.5 * 2 ** 20);
    expect(() => parseSize('lots')).toThrow("'lots' is not a size");
    expect(() => parsePositiveSize('0')).toThrow(/larger than 0 bytes/);
    expect(parseAddress('0x7f0000000000')).toBe(0x7f0000000000);
    expect(parseAddress('86.245 TiB')).toBe(Math.trunc(86.245 * 2 ** 40));
    expect(() => parseAddress('2E')).toThrow(/below 2\^53/);
  });

  it('reads times: microseconds by default, whole microseconds', () => {
    expect(parseTimeUs('100ms')).toBe(100_000);
    expect(parseTimeUs('1.4')).toBe(1);
    expect(() => parseTimeUs('-5')).toThrow(/is not a time/);
    expect(parseSeconds('0.5')).toBe(0.5);
    expect(() => parseSeconds('-3')).toThrow(/not a positive number of seconds/);
    expect(parseDelayNs('500ms')).toBe(500e6);
    expect(parseDelayNs('2')).toBe(2e9);
    expect(parseTimeBound('123')).toEqual({ ns: 123, relative: false });
    expect(parseTimeBound('-1 s')).toEqual({ ns: -1e9, relative: true });
  });

  it('reads percents, fractions and file modes', () => {
    expect(parsePercent(' 5% ')).toBe(5);
    expect(() => parsePercent('-1')).toThrow(/non-negative percentage/);
    expect(parseFraction('1')).toBe(1);
    expect(() => parseFraction('0')).toThrow(/in \(0, 1\]/);
    expect(parseFileMode('644')).toBe(0o644);
    expect(parseFileMode('0600')).toBe(0o600);
    expect(() => parseFileMode('999')).toThrow(/not an octal file mode/);
  });

  it('names the option when a command parses a value itself', () => {
    expect(() => optionValue('--resol', 'x', parseInteger)).toThrow("--resol: 'x' is not an integer");
    expect(() => valuesOf('--resol', ['1'], 2, '<a> <b>')).toThrow('--resol takes two values: <a> <b> (got 1: 1)');
  });
});
