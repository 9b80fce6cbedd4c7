// SPDX-License-Identifier: GPL-2.0-only
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { GUARDIAN_SCRIPT, shQuote, stepCommand, type GuardianStep } from '../../src/record/guardian.js';
import { tempDir } from '../fixtures/record/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the guardian program, sends the steps, then either 'done' or end of file (death). */
function runGuardian(steps: GuardianStep[], finish: 'done' | 'eof'): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', GUARDIAN_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
    for (const s of steps) child.stdin.write(`${stepCommand(s)}\n`);
    if (finish === 'done') child.stdin.end('done\n');
    else child.stdin.end();
    child.once('exit', (code) => resolve(code));
  });
}

describe('crash guardian', () => {
  it('quotes any path for sh', () => {
    expect(shQuote("a b'c")).toBe(`'a b'\\''c'`);
  });

  it('does nothing when told the recorder restored everything itself', async () => {
    const d = tempDir();
    dirs.push(d);
    writeFileSync(join(d, 'state'), 'on\n');
    await runGuardian([{ kind: 'write-if-equals', checkPath: join(d, 'state'), equals: 'on', path: join(d, 'state'), value: 'off' }], 'done');
    expect(readFileSync(join(d, 'state'), 'utf8')).toBe('on\n');
  });

  it('runs the steps last-registered first, each only if its check holds, when the recorder dies', async () => {
    const parent = tempDir();
    dirs.push(parent);
    const d = join(parent, "odd dir 'quoted'");
    mkdirSync(join(d, 'kdamonds/0'), { recursive: true });
    mkdirSync(join(d, 'instance'));
    writeFileSync(join(d, 'kdamonds/nr_kdamonds'), '1\n');
    writeFileSync(join(d, 'kdamonds/0/state'), 'on\n');
    writeFileSync(join(d, 'other'), 'untouched\n');
    const log = join(d, 'order');
    writeFileSync(log, '');
    const steps: GuardianStep[] = [
      // registered first, runs last: only after 'off' was written
      { kind: 'write-if-equals', checkPath: join(d, 'kdamonds/0/state'), equals: 'off', path: join(d, 'kdamonds/nr_kdamonds'), value: '0' },
      { kind: 'rmdir', path: join(d, 'instance') },
      { kind: 'write-if-equals', checkPath: join(d, 'other'), equals: 'nope', path: join(d, 'other'), value: 'changed' },
      { kind: 'write-if-equals', checkPath: join(d, 'kdamonds/0/state'), equals: 'on', path: join(d, 'kdamonds/0/state'), value: 'off' },
    ];
    expect(await runGuardian(steps, 'eof')).toBe(0);
    expect(readFileSync(join(d, 'kdamonds/0/state'), 'utf8')).toBe('off');
    expect(readFileSync(join(d, 'kdamonds/nr_kdamonds'), 'utf8')).toBe('0');
    expect(existsSync(join(d, 'instance'))).toBe(false);
    expect(readFileSync(join(d, 'other'), 'utf8')).toBe('untouched\n');
  });

  it('is harmless when run again after the recorder already restored', async () => {
    const d = tempDir();
    dirs.push(d);
    mkdirSync(join(d, 'kdamonds'));
    writeFileSync(join(d, 'kdamonds/nr_kdamonds'), '0\n');
    const steps: GuardianStep[] = [
      { kind: 'write-if-equals', checkPath: join(d, 'kdamonds/nr_kdamonds'), equals: '1', path: join(d, 'kdamonds/nr_kdamonds'), value: '0' },
      { kind: 'write-if-equals', checkPath: join(d, 'kdamonds/0/state'), equals: 'on', path: join(d, 'kdamonds/0/state'), value: 'off' },
    ];
    await runGuardian(steps, 'eof');
    expect(readFileSync(join(d, 'kdamonds/nr_kdamonds'), 'utf8')).toBe('0\n');
    expect(existsSync(join(d, 'kdamonds/0'))).toBe(false);
  });
});
