// SPDX-License-Identifier: GPL-2.0-only
/**
 * Errors the tool reports to users. Each carries a stable `code` so scripts and tests can
 * tell failures apart without parsing messages. The CLI prints `damo: <message>` and exits
 * 1 for a DamoError; anything else is a bug and is printed with its stack under --debug.
 */

export type ErrorCode =
  | 'E_USAGE' // bad option values the parser could not catch
  | 'E_NOENT' // a named file or process does not exist
  | 'E_IO' // reading or writing failed
  | 'E_FORMAT' // input is not in a format we read
  | 'E_CORRUPT' // input is in our format but damaged
  | 'E_TRUNCATED' // input ends in the middle of a frame (only an error with --strict)
  | 'E_UNSUPPORTED' // the machine or kernel cannot do what was asked
  | 'E_PERM' // needs privileges we do not have
  | 'E_BUSY' // a kernel resource is in use by someone else
  | 'E_NATIVE' // the native addon is missing or failed
  | 'E_TARGET' // the monitored target failed to start or vanished
  | 'E_INTERNAL';

export class DamoError extends Error {
  readonly code: ErrorCode;
  /** Extra hint printed after the message, e.g. what to do about it. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    Object.defineProperty(this, 'name', { value: 'DamoError', enumerable: false });
  }
}

/** A usage error (exit 2): what was wrong, and what to do about it when there is a hint. */
export function usageError(what: string, hint?: string): DamoError {
  return new DamoError('E_USAGE', what, hint === undefined ? {} : { hint });
}

export function isDamoError(err: unknown): err is DamoError {
  return err instanceof DamoError;
}

/** Message of an unknown thrown value, for wrapping. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node's errno code of an unknown thrown value, if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
