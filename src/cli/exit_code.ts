// SPDX-License-Identifier: GPL-2.0-only
/**
 * The process exit codes of the CLI, and the error a command throws to end with one of them
 * without printing anything more (its action already said why).
 */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Set by a command's action to choose a non-zero exit without throwing (e.g. 130). */
export class ExitCode extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
