// SPDX-License-Identifier: GPL-2.0-only
/**
 * The input options every command that reads a recording shares.
 */
import type { Command } from 'commander';

export const DEFAULT_INPUT = 'damon.data';

export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('-i, --input <file>', 'recording to read (any format damo-ts knows, sniffed from its bytes)', DEFAULT_INPUT)
    .option('--strict', 'fail on a truncated or damaged recording instead of warning and using its intact frames');
}
