// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { largestSystemRam, defaultPaddrRegion } from '../../src/record/paddr.js';
import { parseTargetArgs, splitWords } from '../../src/cli/targets.js';
import { checkCommand } from '../../src/record/target.js';
import { optionValue, parseAddress, parseAddressRanges, parseTimeUs } from '../../src/cli/values.js';
import { humanBytes } from '../../src/core/human.js';

describe('targets', () => {
  it('tells commands, pids and paddr apart', () => {
    expect(parseTargetArgs(['paddr'])).toEqual({ kind: 'paddr' });
    expect(parseTargetArgs(['123', '456'])).toEqual({ kind: 'pids', pids: [123, 456] });
    expect(parseTargetArgs([], { targetPids: [7] })).toEqual({ kind: 'pids', pids: [7] });
    expect(parseTargetArgs(['./app', '--flag', 'x y'])).toEqual({ kind: 'command', argv: ['./app', '--flag', 'x y'], shell: false, display: './app --flag x y' });
    expect(parseTargetArgs(['sleep 5'])).toEqual({ kind: 'command', argv: ['sleep', '5'], shell: false, display: 'sleep 5' });
    expect(parseTargetArgs(['echo a | wc'], { shell: true })).toEqual({ kind: 'command', argv: ['/bin/sh', '-c', 'echo a | wc'], shell: true, display: 'echo a | wc' });
    expect(() => parseTargetArgs([])).toThrow(/nothing to record/);
    expect(() => parseTargetArgs(['ls'], { targetPids: [1] })).toThrow(/cannot be combined/);
  });

  it('splits a damo-style command string without a shell', () => {
    expect(splitWords(`prog 'a b' "c \\"d\\"" e\\ f  `)).toEqual(['prog', 'a b', 'c "d"', 'e f']);
    expect(splitWords(`x ''`)).toEqual(['x', '']);
    expect(() => splitWords(`x 'open`)).toThrow(/unterminated ' quote/);
  });

  it('says why a command cannot run', () => {
    expect(() => checkCommand({ kind: 'command', argv: ['definitely-not-a-command-42'], shell: false, display: '' }, { PATH: '/usr/bin:/bin' })).toThrow(
      "command not found: 'definitely-not-a-command-42' (searched PATH)",
    );
    const dir = mkdtempSync(join(tmpdir(), 'damo-cmd-'));
    try {
      const plain = join(dir, 'plain');
      writeFileSync(plain, 'x', { mode: 0o644 });
      expect(() => checkCommand({ kind: 'command', argv: [plain], shell: false, display: '' }, {})).toThrow(/not executable \(chmod \+x\?\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => checkCommand({ kind: 'command', argv: ['./no/such'], shell: false, display: '' }, {})).toThrow(/does not exist/);
    expect(() => checkCommand({ kind: 'command', argv: ['/tmp'], shell: false, display: '' }, {})).toThrow(/is a directory/);
    expect(() => checkCommand({ kind: 'command', argv: ['sleep'], shell: false, display: '' }, { PATH: '/usr/bin:/bin' })).not.toThrow();
  });
});

describe('units', () => {
  it('parses times (bare numbers are microseconds, as in damo)', () => {
    expect(parseTimeUs('5000')).toBe(5000);
    expect(parseTimeUs('5ms')).toBe(5000);
    expect(parseTimeUs('1.5 s')).toBe(1_500_000);
    expect(parseTimeUs('2m')).toBe(120_000_000);
    expect(() => optionValue('--monitoring_intervals', '5 parsecs', parseTimeUs)).toThrow(/--monitoring_intervals: '5 parsecs' is not a time/);
  });

  it('parses sizes, addresses and regions', () => {
    expect(parseAddress('0x1000')).toBe(4096);
    expect(parseAddress('4 KiB')).toBe(4096);
    expect(parseAddress('1G')).toBe(2 ** 30);
    expect(parseAddressRanges(['0x2000-0x3000', '4096-8192'])).toEqual([
      [4096, 8192],
      [8192, 12288],
    ]);
    expect(parseAddressRanges(['1M-2M,3M-4M'])).toEqual([
      [2 ** 20, 2 * 2 ** 20],
      [3 * 2 ** 20, 4 * 2 ** 20],
    ]);
    expect(() => parseAddressRanges(['10-5'])).toThrow(/--regions: '10-5' ends before it starts/);
    expect(() => parseAddressRanges(['0-100', '50-150'])).toThrow(/overlap/);
    expect(humanBytes(1536)).toBe('1.5 KiB');
  });
});

describe('paddr default region', () => {
  const iomem = [
    '00000000-00000fff : Reserved',
    '00001000-0009fbff : System RAM',
    '00100000-bffdffff : System RAM',
    '  01000000-01ffffff : Kernel code',
    '100000000-43fffffff : System RAM',
    'fee00000-fee00fff : Local APIC',
  ].join('\n');

  it('picks the largest top-level System RAM block, end exclusive', () => {
    expect(largestSystemRam(iomem)).toEqual([0x100000000, 0x440000000]);
  });

  it('explains what to do when /proc/iomem hides addresses (non-root)', () => {
    expect(() => defaultPaddrRegion(() => '00000000-00000000 : System RAM\n')).toThrow(/shows zeros to non-root users/);
    expect(() => defaultPaddrRegion(() => {
      throw new Error('EACCES');
    })).toThrow(/cannot read \/proc\/iomem/);
  });
});
