// SPDX-License-Identifier: GPL-2.0-only
// `damo args damon --add/--remove/--replace/--out/--omit_defaults` byte-exact against
// damo 3.3.0's outputs for the same flags (test/fixtures/damo/args_damon/README.md), and
// the usage errors of those options.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { DAMO_FIXTURES_DIR, readDamoFixtureText } from '../fixtures/damo_fixtures.js';
import { runMain } from '../cli/helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

interface EditCase {
  expected: string;
  args: string[];
  /** The expected bytes are those of the --out file, and nothing is printed. */
  out?: boolean;
}

const CASES = JSON.parse(readDamoFixtureText('args_damon/edit_cases.json')) as EditCase[];
const dir = mkdtempSync(join(tmpdir(), 'damo-args-edit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `@/NAME` is a file of the fixture directory; `@OUT` the --out file. */
function realArgs(args: string[], out: string): string[] {
  return args.map((a) => a.replace('@/', `${DAMO_FIXTURES_DIR}/args_damon/`).replace('@OUT', out));
}

function argsDamon(args: string[]) {
  return runMain(['args', 'damon', ...args], { [FORBID_REAL_KERNEL_ENV]: '1' });
}

describe('damo args damon --add/--remove/--replace/--out/--omit_defaults match damo 3.3.0', () => {
  it('has cases of every option and format', () => {
    const all = CASES.flatMap((c) => c.args);
    for (const flag of ['--add', '--remove', '--replace', '--out', '--omit_defaults', '--raw']) expect(all).toContain(flag);
    expect(new Set(CASES.map((c) => c.expected.split('.').pop()))).toEqual(new Set(['json', 'yaml', 'report']));
  });

  it.each(CASES)('$expected', async (c) => {
    const out = join(dir, c.expected);
    const r = await argsDamon(realArgs(c.args, out));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    if (c.out === true) {
      expect(r.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe(readDamoFixtureText(`args_damon/${c.expected}`));
    } else {
      expect(r.stdout).toBe(readDamoFixtureText(`args_damon/${c.expected}`));
    }
  });

  it('reads back what --out wrote, and --omit_defaults output too', async () => {
    const file = join(dir, 'roundtrip.json');
    expect((await argsDamon(['1', '--omit_defaults', '--out', file])).code).toBe(0);
    const r = await argsDamon(['--remove', file, '0', '--format', 'report']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const again = await argsDamon(['paddr', '--regions', '4096-8192', '--add', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('"pid": 1');
  });
});

describe('damo args damon edit options: usage errors', () => {
  const pid1 = `${DAMO_FIXTURES_DIR}/args_damon/pid1_vaddr.json`;

  it.each([
    [['1', '--out', 'x.json', '--format', 'report'], /--out x\.json: the report format is only printed/, /--format json or yaml/],
    [['--remove', pid1, 'one'], /--remove .*pid1_vaddr\.json one: 'one' is not a kdamond index/, /0 for the first, -1 for the last/],
    [['--remove', pid1], /--remove takes two values, a kdamonds file and the index of a kdamond in it \(got 1: /, /e\.g\. --remove kdamonds\.json 0/],
    [['--remove', pid1, '1'], /--remove .* 1: there is no kdamond 1; the document has 1 kdamond$/m, /from 0 to 0/],
    [['1', '--replace', pid1, '-2'], /--replace .* -2: there is no kdamond -2/, /from 0 to 0/],
    [['1', '--add', join(tmpdir(), 'no-such-damo-file.json')], /--add: no file '.*no-such-damo-file\.json', and it is not a JSON kdamonds document/, /damo args damon/],
    [['1', '--add', '{"kdamonds": [{"contexts": 3}]}'], /--add <argument>: kdamonds\[0\]\.contexts: expected a list, found 3/, null],
  ] as Array<[string[], RegExp, RegExp | null]>)('%j', async (args, message, hint) => {
    const r = await argsDamon(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    if (hint !== null) expect(r.stderr).toMatch(hint);
  });

  it('refuses a file that is not JSON, naming it', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kdamonds: []\n');
    const r = await argsDamon(['1', '--add', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--add .*bad\.yaml: not a JSON kdamonds document/);
  });

  it('says when --out cannot write its file', async () => {
    const r = await argsDamon(['1', '--out', join(dir, 'no-dir', 'x.json')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--out .*x\.json: cannot write the file: ENOENT/);
  });
});
