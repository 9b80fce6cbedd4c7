// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs one CLI command in this process and reports its peak RSS, so the wss benchmark can
 * measure a real `damo report ...` run (start-up included) from the parent.
 * Usage: node wss_child.js <argv...>; prints {"maxRssBytes": N, "code": C} on fd 3.
 */
import { writeSync } from 'node:fs';
import { PassThrough } from 'node:stream';

import { main } from '../src/cli/main.js';

const sink = new PassThrough();
let outBytes = 0;
sink.on('data', (b: Buffer) => (outBytes += b.length));
const code = await main(process.argv.slice(2), {
  stdout: sink,
  stderr: process.stderr,
  env: process.env,
  stdoutIsTTY: false,
  stderrIsTTY: false,
  columns: undefined,
  rows: undefined,
});
const cpu = process.cpuUsage();
writeSync(3, JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuS: (cpu.user + cpu.system) / 1e6, code, outBytes }) + '\n');
