// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo completion bash|zsh`: the bash script is run in a real bash with COMP_WORDS set the
 * way readline sets them, and checked against the command tree the CLI builds, so every
 * command, option and choice list is covered, not a hand-picked few.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';

import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/core/io.js';
import { runBin, runMain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(shell: string): string {
  const r = runBin(['completion', shell]);
  expect(r.status).toBe(0);
  return r.stdout;
}

const bashScript = join(dir, 'damo.bash');
writeFileSync(bashScript, script('bash'));
// Completions run here, so that file names appear only where a test puts files.
const cwd = join(dir, 'cwd');
mkdirSync(cwd);

/** COMPREPLY for each command line; the last word of each is the one being completed. */
function complete(lines: string[][]): string[][] {
  const calls = lines
    .map((words) => `t ${words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')}`)
    .join('\n');
  const r = spawnSync(
    'bash',
    ['-c', `source '${bashScript}'\nt() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _damo; printf '%s\\n' "\${COMPREPLY[*]}"; }\n${calls}`],
    { encoding: 'utf8', cwd },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').slice(0, lines.length).map((l) => (l === '' ? [] : l.split(' ')));
}

interface Node {
  path: string[];
  cmd: Command;
}

function commands(cmd: Command, path: string[] = []): Node[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((sub) => commands(sub, [...path, sub.name()]))];
}

const program = await buildProgram(processIO());
const help = program.createHelp();

describe('damo completion bash', () => {
  it('completes `damo report h` to heats, heatmap, html and help', () => {
    expect(complete([['damo', 'report', 'h']])).toEqual([['heats', 'heatmap', 'html', 'help']]);
  });

  it('completes every command and subcommand name under its parent', () => {
    const nodes = commands(program).filter((n) => help.visibleCommands(n.cmd).length > 0);
    const replies = complete(nodes.map((n) => ['damo', ...n.path, '']));
    nodes.forEach((n, i) => {
      expect(replies[i]).toEqual(help.visibleCommands(n.cmd).map((c) => c.name()));
    });
  });

  it('completes every visible option of every command', () => {
    const nodes = commands(program);
    const replies = complete(nodes.map((n) => ['damo', ...n.path, '-']));
    nodes.forEach((n, i) => {
      const flags = help.visibleOptions(n.cmd).flatMap((o) => [o.short, o.long].filter((f) => f !== undefined));
      expect(replies[i], `damo ${n.path.join(' ')} -`).toEqual(flags);
    });
  });

  it("completes every option's choice values, after a space and after '='", () => {
    const cases = commands(program).flatMap((n) =>
      help
        .visibleOptions(n.cmd)
        .filter((o) => o.argChoices !== undefined && o.long !== undefined)
        .map((o) => ({ path: n.path, long: o.long as string, choices: o.argChoices as string[] })),
    );
    expect(cases.length).toBeGreaterThan(5);
    const spaced = complete(cases.map((c) => ['damo', ...c.path, c.long, '']));
    // bash splits --opt=value at '=' (COMP_WORDBREAKS) ...
    const split = complete(cases.map((c) => ['damo', ...c.path, c.long, '=', '']));
    // ... unless '=' was taken out of COMP_WORDBREAKS; then the reply keeps the option.
    const joined = complete(cases.map((c) => ['damo', ...c.path, `${c.long}=`]));
    cases.forEach((c, i) => {
      expect(spaced[i], `${c.path.join(' ')} ${c.long}`).toEqual(c.choices);
      expect(split[i]).toEqual(c.choices);
      expect(joined[i]).toEqual(c.choices.map((v) => `${c.long}=${v}`));
    });
  });

  it('skips option values and completes positional choices', () => {
    expect(
      complete([
        ['damo', 'record', '--source', 'native', '--timeout', '3', '--so'],
        ['damo', 'record', '--monitoring_intervals', '5ms', '100ms', '1s', '--ti'],
        ['damo', 'report', 'wss', '-s', 't'],
        ['damo', 'completion', ''],
        ['damo', 'help', 're'],
        ['damo', '--debug', 'report', 'w'],
        ['damo', 'report', 'heats', '--timeout', ''],
        ['damo', 'record', '--timeout', ''],
      ]),
    ).toEqual([['--source'], ['--timeout'], ['time'], ['bash', 'zsh'], ['record', 'report', 'replay'], ['wss'], [], []]);
  });

  it('completes file names for file values and a command name after --', () => {
    const files = join(dir, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'rec.data'), '');
    const [input, workload] = complete([
      ['damo', 'report', 'wss', '-i', join(files, 'rec')],
      ['damo', 'record', '-o', 'x.data', '--', 'bas'],
    ]);
    expect(input).toEqual([join(files, 'rec.data')]);
    expect(workload).toContain('bash');
  });
});

describe('damo completion zsh', () => {
  const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

  it('defines a function for every command, with its options and choices', () => {
    const text = script('zsh');
    expect(text.startsWith('#compdef damo\n')).toBe(true);
    for (const n of commands(program)) {
      expect(text).toContain(`${['_damo', ...n.path].join('__')}() {`);
    }
    expect(text).toContain("'--source=[where snapshots come from]:source:(auto tracefs sysfs debugfs native)'");
    expect(text).toContain("'heats:heatmap of when which addresses were accessed how often'");
  });

  it.skipIf(!hasZsh)('is valid zsh', () => {
    const file = join(dir, '_damo');
    writeFileSync(file, script('zsh'));
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('damo completion (errors)', () => {
  it('rejects an unknown shell as a usage error', async () => {
    const r = await runMain(['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are bash, zsh");
  });
});
