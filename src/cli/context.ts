// SPDX-License-Identifier: GPL-2.0-only
import type { CliIO } from '../core/io.js';

/** What every command's action gets besides its parsed options. */
export interface CommandContext {
  io: CliIO;
  /** True when --debug was given (stack traces, internal details). */
  debug(): boolean;
}
