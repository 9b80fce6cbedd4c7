#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
import { errnoCode } from '../core/errors.js';
import { main } from './main.js';
import { installSignalHandlers } from './signals.js';

// A reader that closes the pipe early (`damo report raw | head`) is not an error.
process.stdout.on('error', (err: unknown) => {
  if (errnoCode(err) === 'EPIPE') process.exit(0);
});

installSignalHandlers();
const code = await main(process.argv.slice(2));
process.exitCode = code;
