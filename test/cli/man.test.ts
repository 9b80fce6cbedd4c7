// SPDX-License-Identifier: GPL-2.0-only
/**
 * The man page made by scripts/gen-man.mjs from the built CLI: every command has a section
 * and every option and choice that --help shows is on the page, and groff formats it
 * without warnings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';

import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/core/io.js';
import { projectRoot, toolVersion } from '../../src/core/version.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-man-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page = join(dir, 'damo.1');
const gen = spawnSync(process.execPath, [join(projectRoot(), 'scripts/gen-man.mjs'), page], {
  encoding: 'utf8',
  env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
});
const roff = gen.status === 0 ? readFileSync(page, 'utf8') : '';

function commands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((sub) => commands(sub, [...path, sub.name()]))];
}

const program = await buildProgram(processIO());
const help = program.createHelp();
/** The page's text with roff's escapes for '-' and '\' undone. */
const text = roff.replace(/\\-/g, '-').replace(/\\e/g, '\\');

describe('damo(1)', () => {
  it('is generated with the package version and the given date', () => {
    expect(gen.stderr).toContain('gen:man: wrote');
    expect(gen.status).toBe(0);
    expect(roff).toContain(`.TH DAMO 1 2023-11-14 "damo-ts ${toolVersion()}" "User Commands"`);
  });

  it('has a section for every command with each of its options, arguments and choices', () => {
    for (const { path, cmd } of commands(program).slice(1)) {
      const section = text.split(`.SS "damo ${path.join(' ')}"\n`)[1]?.split('\n.SS ')[0];
      expect(section, `damo ${path.join(' ')}`).toBeDefined();
      for (const option of help.visibleOptions(cmd)) {
        for (const flag of [option.short, option.long].filter((f) => f !== undefined)) {
          expect(section, `damo ${path.join(' ')} ${flag}`).toContain(`\\fB${flag}\\fR`);
        }
        for (const choice of option.argChoices ?? []) expect(section).toContain(`"${choice}"`);
      }
      for (const argument of help.visibleArguments(cmd)) expect(section).toContain(`\\fI${argument.name()}\\fR`);
    }
  });

  it("carries each command's extra help text (targets, examples)", () => {
    expect(text).toContain('$ damo record --source native --primitive clear_refs -- ./app');
    expect(text).toContain('$ damo completion bash > ~/.local/share/bash-completion/completions/damo');
  });

  const groff = spawnSync('groff', ['-v'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!groff)('formats without groff warnings', () => {
    const r = spawnSync('groff', ['-man', '-ww', '-z', page], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
