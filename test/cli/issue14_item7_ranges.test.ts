// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 7: ranges that are reversed, empty, outside the recording, or in a gap
 * between its monitored address ranges are usage errors (exit 2, nothing on stdout, no
 * image written) that say what the recording spans, for `report heatmap` and the record
 * filters of `report access`. Runs the built binary on damo 3.3.0's test recording, whose
 * one record spans 539809434100 to 596606618651 ns and three monitored ranges.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runBin } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-ranges-');
const recording = damoFixture('damo-3.3.0-tests-report/damon.data');
/** Between the first monitored range's end (94827452162048) and the second's start (140271510761472). */
const GAP = ['100000000000000', '100000001000000'];

function usageError(argv: string[], message: RegExp): void {
  const r = runBin(argv);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/internal error|TypeError|\n\s+at /);
}

describe('14.7 report heatmap: ranges are checked against the recording', () => {
  it('a reversed or empty range fails before the recording is read, echoed as typed', () => {
    const missing = join(dir, 'no-such.data');
    usageError(['report', 'heatmap', '-i', missing, '--time_range', '5s', '1500ms'], /^damo: --time_range 5s 1500ms is reversed: the end comes before the start\ndamo: give the start first: --time_range 1500ms 5s$/m);
    usageError(['report', 'heatmap', '-i', missing, '--address_range', '8K', '4K'], /^damo: --address_range 8K 4K is reversed: the end comes before the start$/m);
    usageError(['report', 'heatmap', '-i', missing, '--address_range', '4K', '4096'], /^damo: --address_range 4K 4096 is empty: the start and the end are the same$/m);
    usageError(['report', 'heatmap', '-i', missing, '--time_range', '1s', '1s', 'guided'], /^damo: --time_range 1s 1s is empty/m);
  });

  it('a --time_range outside the record says what it spans', () => {
    usageError(
      ['report', 'heatmap', '-i', recording, '--time_range', '1000s', '2000s', '--resol', '4', '8'],
      /^damo: --time_range 1000s 2000s is outside .*damon\.data's record of target id 18446623438842320000, which spans 8 m 59\.809 s to 9 m 56\.607 s \(539809434100 to 596606618651 ns of the recording's clock\)$/m,
    );
    usageError(['report', 'heatmap', '-i', recording, '--output', 'raw', '--time_range', '100s', '200s', 'guided'], /^damo: --time_range 100s 200s guided is outside /m);
  });

  it('an --address_range outside the record says where its regions are', () => {
    usageError(
      ['report', 'heatmap', '-i', recording, '--address_range', '0', '4096', '--resol', '4', '8'],
      /^damo: --address_range 0 4096 matches nothing in .*damon\.data's record of target id \d+: its regions span 94827419009024 \(0x563ebaa00000\) to 140734916927488 \(0x7fff66bb2000\)$/m,
    );
  });

  it('an --address_range in a gap between monitored ranges says so (damo 3.3.0 fails with a TypeError), in every output', () => {
    const gapMessage =
      /^damo: --address_range 100000000000000 100000001000000 falls in a gap of .*damon\.data's record of target id \d+, between 94827452162048 \(0x563ebc99e000\) and 140271510761472 \(0x7f9381923000\): no region was recorded there; its monitored ranges \(as --guide lists them\) are \[94827419009024, 94827452162048\), \[140271510761472, 140271717171200\), \[140734916239360, 140734916927488\)$/m;
    usageError(['report', 'heatmap', '-i', recording, '--address_range', ...GAP, '--resol', '4', '8'], gapMessage);
    usageError(['report', 'heatmap', '-i', recording, '--output', 'raw', '--address_range', ...GAP, '--resol', '4', '8'], gapMessage);
    const image = join(dir, 'gap.svg');
    usageError(['report', 'heatmap', '-i', recording, '--output', image, '--address_range', ...GAP, '--resol', '4', '8'], gapMessage);
    expect(existsSync(image)).toBe(false);
  });

  it('a range within a monitored range still draws', () => {
    const r = runBin(['report', 'heatmap', '-i', recording, '--output', 'raw', '--address_range', '140271510761472', '140271717171200', '--resol', '4', '8']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(32);
    expect(r.stdout).toMatch(/\t[0-9.e+-]+\n/);
  });
});

describe('14.7 report heats (damo 2.4.9): an --address_range in a gap', () => {
  it('says which gap instead of printing an all-zero map, in text and image form', () => {
    const gapMessage = /^damo: --address_range 100000000000000 100000001000000 falls in a gap of .*damon\.data's target \d+, between 94827452162048 \(0x563ebc99e000\) and 140271510761472 \(0x7f9381923000\): no region was recorded there/m;
    usageError(['report', 'heats', '-i', recording, '--address_range', ...GAP, '--resol', '4', '8'], gapMessage);
    usageError(['report', 'heats', '-i', recording, '--heatmap', 'stdout', '--address_range', ...GAP], gapMessage);
    const image = join(dir, 'heats-gap.png');
    usageError(['report', 'heats', '-i', recording, '--heatmap', image, '--address_range', ...GAP], gapMessage);
    expect(existsSync(image)).toBe(false);
  });

  it('a range within a monitored range still prints its cells', () => {
    const r = runBin(['report', 'heats', '-i', recording, '--address_range', '140271510761472', '140271717171200', '--resol', '4', '8']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(32);
  });
});

describe('14.7 report access: record filter ranges that match nothing in the recording', () => {
  it('--address outside every region, and in a gap', () => {
    usageError(
      ['report', 'access', '-i', recording, '--address', '0', '4096'],
      /^damo: --address 0 4096 matches no region of .*damon\.data: its regions span 94827419009024 to 140734916927488 \(0x563ebaa00000 to 0x7fff66bb2000\)$/m,
    );
    usageError(['report', 'access', '-i', recording, '--address', ...GAP], /^damo: --address 100000000000000 100000001000000 matches no region of .*: its regions span .*, and the ranges fall in gaps between them$/m);
    usageError(['report', 'access', '-i', recording, '--raw_form', '--address', '0', '4096'], /^damo: --address 0 4096 matches no region of /m);
  });

  it('--snapshot_time that holds no whole snapshot says when the snapshots are', () => {
    usageError(
      ['report', 'access', '-i', recording, '--snapshot_time', '0', '1000'],
      /^damo: --snapshot_time 0 1000 contains no whole snapshot of .*damon\.data: its snapshots run from 539809434100 to 596606618651 ns of the recording's clock \(8 m 59\.809 s to 9 m 56\.607 s\)$/m,
    );
  });

  it('--snapshot_idx past the last snapshot says how many there are', () => {
    usageError(['report', 'access', '-i', recording, '--json', '--snapshot_idx', '5000', '6000'], /^damo: --snapshot_idx 5000 6000 is past the last snapshot of .*damon\.data: its records have at most 543 snapshots \(indexes 0 to 542\)$/m);
  });

  it('ranges that match keep working', () => {
    const r = runBin(['report', 'access', '-i', recording, '--raw_form', '--snapshot_idx', '0', '0', '--address', '140271510761472', '140271717171200']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^base_time_absolute: /);
  });
});

describe('16 report access --snapshot_damos_filter: bad filters are usage errors', () => {
  const bad: Array<[string[], RegExp]> = [
    [['reject', 'foo'], /^damo: --snapshot_damos_filter reject foo: 'foo' is not a filter type$/m],
    [['allow', 'addr', '10'], /^damo: --snapshot_damos_filter allow addr 10: the addr filter takes 2 arguments, found 1$/m],
    [['allow', 'addr', '8K', '4K'], /^damo: --snapshot_damos_filter allow addr 8K 4K: the addr range 8K 4K is empty or reversed/m],
    [['reject', 'target', 'x'], /^damo: --snapshot_damos_filter reject target x: 'x' is not a target index$/m],
    [['anon', 'sometimes'], /^damo: --snapshot_damos_filter anon sometimes: 'anon' must be followed by matching or nomatching/m],
  ];
  it('each says what is wrong and what is accepted, before the recording is read', () => {
    for (const [words, message] of bad) {
      usageError(['report', 'access', '-i', join(dir, 'no-such.data'), '--snapshot_damos_filter', ...words], message);
      const r = runBin(['report', 'access', '-i', join(dir, 'no-such.data'), '--snapshot_damos_filter', ...words]);
      expect(r.stderr).toMatch(/^damo: give <allow\|reject> \[none\] <type> \[<args>\]/m);
    }
  });
});
