// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the `damo` executable runs: main() on the process's own arguments and streams. bin.cts
 * loads it either from the bundle of the CLI (damo.pack, built by scripts/bundle-cli.mjs) or,
 * without one, as these ES modules.
 */
import { errnoCode } from '../core/errors.js';
import { main } from './main.js';
import { installSignalHandlers } from './signals.js';

export { main };

/** Runs the command line `argv` (without node and the script) in this process. */
export async function run(argv: string[]): Promise<void> {
  // A reader that closes the pipe early (`damo report raw | head`) is not an error.
  process.stdout.on('error', (err: unknown) => {
    if (errnoCode(err) === 'EPIPE') process.exit(0);
  });
  installSignalHandlers();
  process.exitCode = await main(argv);
}
