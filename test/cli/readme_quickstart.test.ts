// SPDX-License-Identifier: GPL-2.0-only
/**
 * The README as a newcomer reads it (issue 13 item 2): its first screen gives exactly the two
 * set-up commands, and every command of its quick start runs, verbatim, with exit 0.
 *
 * The quick start runs from the checkout after `npm link`. Here it runs in a temp dir whose
 * `dist` is the checkout's (so `dist/examples/touch` is where the README says), with a `damo`
 * on the PATH that runs the built binary, as `npm link` would install it. The native engine
 * is forced (DAMO_RECORD_SOURCE): nothing a test runs may write this machine's kernel DAMON.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const root = projectRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const dir = fileTempDir('damo-readme-');

/** The text of the section that starts with this heading, up to the next `## `. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const end = readme.indexOf('\n## ', start + heading.length + 2);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Commands of the fenced blocks: `$ ` lines of console blocks, every line of sh blocks. */
function commandsOf(text: string): string[] {
  const commands: string[] = [];
  for (const m of text.matchAll(/```(console|sh)\n([\s\S]*?)```/g)) {
    for (const line of m[2]!.split('\n')) {
      if (m[1] === 'console' && line.startsWith('$ ')) commands.push(line.slice(2));
      else if (m[1] === 'sh' && line.trim() !== '' && !line.startsWith('#')) commands.push(line);
    }
  }
  return commands;
}

describe('README.md', () => {
  it('gives exactly two set-up commands on its first screen: npm run demo and npm test', () => {
    const firstScreen = readme.split('\n').slice(0, 30).join('\n');
    expect(commandsOf(firstScreen).map((c) => c.replace(/\s+#.*$/, ''))).toEqual(['npm run demo', 'npm test']);
    expect(firstScreen).toContain('npm link');
    expect(firstScreen).toContain('npx damo');
  });

  it('quick start: every command runs verbatim', () => {
    const commands = commandsOf(section('## Quick start'));
    expect(commands[0]).toMatch(/^damo record /);
    expect(commands.length).toBeGreaterThan(8);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'damo'), `#!/bin/sh\nexec '${process.execPath}' '${join(root, 'dist/src/cli/bin.cjs')}' "$@"\n`);
    chmodSync(join(bin, 'damo'), 0o755);
    symlinkSync(join(root, 'dist'), join(dir, 'dist'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, DAMO_RECORD_SOURCE: 'native', NO_COLOR: '1' };
    for (const command of commands) {
      const r = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8', env });
      expect({ command, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ command, status: 0, stderr: '' });
    }
    expect(readFileSync(join(dir, 'heat.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 300_000);
});
