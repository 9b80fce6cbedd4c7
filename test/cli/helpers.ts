// SPDX-License-Identifier: GPL-2.0-only
/**
 * Helpers for CLI tests: run `main()` in-process with captured streams, or spawn the built
 * binary (dist/) to test the real process behaviour (exit codes, signals, pipes).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import type { CliIO } from '../../src/core/io.js';
import { main } from '../../src/cli/main.js';
import { projectRoot } from '../../src/core/version.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `io` overrides e.g. stdoutIsTTY/columns/rows to run as if on a terminal. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}, io: Partial<CliIO> = {}): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const fullIO: CliIO = {
    stdout,
    stderr,
    env: { ...env },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: undefined,
    rows: undefined,
    ...io,
  };
  const code = await main(argv, fullIO);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

export const BIN = join(projectRoot(), 'dist/src/cli/bin.cjs');

export function builtBinaryExists(): boolean {
  return existsSync(BIN);
}

export function runBin(argv: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  if (!builtBinaryExists()) throw new Error(`${BIN} is missing: run npm test (it builds what it needs) or npm run build first`);
  return spawnSync(process.execPath, [BIN, ...argv], {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
}
