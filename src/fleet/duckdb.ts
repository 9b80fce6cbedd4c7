// SPDX-License-Identifier: GPL-2.0-only
/**
 * The embedded DuckDB that writes and reads the fleet tables (@duckdb/node-api, whose
 * engine comes prebuilt in a platform package from npm). One in-memory database per
 * command; what it spills goes to a private temporary directory that close() removes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type * as DuckApi from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

import { DamoError, errorMessage } from '../core/errors.js';

export interface Duck {
  connection: DuckDBConnection;
  close(): void;
}

export interface DuckOptions {
  /** DuckDB's memory_limit, e.g. '1GB'; beyond it, operators spill to the temporary directory. */
  memoryLimit?: string;
  /** DuckDB's worker threads; default: one per CPU. */
  threads?: number;
}

export async function openDuck(opts: DuckOptions = {}): Promise<Duck> {
  let api: typeof DuckApi;
  try {
    api = await import('@duckdb/node-api');
  } catch (e) {
    throw new DamoError('E_UNSUPPORTED', `DuckDB (@duckdb/node-api) cannot be loaded here: ${errorMessage(e)}`, {
      hint: 'it ships prebuilt for linux-x64/arm64 (glibc and musl); reinstall damo-ts with npm so the platform package is installed',
    });
  }
  const tempDir = mkdtempSync(join(tmpdir(), 'damo-duckdb-'));
  let instance: DuckDBInstance | undefined;
  try {
    instance = await api.DuckDBInstance.create(':memory:', {
      temp_directory: tempDir,
      memory_limit: opts.memoryLimit ?? '1GB',
      ...(opts.threads === undefined ? {} : { threads: String(opts.threads) }),
      // Errors as JSON carry the position in the query, which the user's SQL errors show.
      errors_as_json: 'true',
      // No extension is downloaded: parquet and json are built in.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    const inst = instance;
    return {
      connection,
      close: () => {
        connection.closeSync();
        inst.closeSync();
        rmSync(tempDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    instance?.closeSync();
    rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Runs a statement on the JavaScript thread, task by task (DuckDB's pending-result API),
 * instead of on one of libuv's worker threads as `connection.run` does. Each thread that
 * mallocs gets its own glibc arena, and an arena keeps what was freed in it: with COPY and
 * the buffer tables on up to four worker threads, an export of many recordings in one
 * process held 50-100 MB more RSS after each file than the same export on one thread
 * (docs/FLEET.md, Memory). With `threads: 1` DuckDB has no workers of its own, so every
 * task runs here. Between tasks the event loop gets a turn at most every 50 ms (signals).
 */
export async function runOnThisThread(connection: DuckDBConnection, sql: string): Promise<void> {
  const api = await import('@duckdb/node-api');
  const pending = await connection.start(sql);
  let turn = performance.now();
  for (;;) {
    const state = pending.runTask();
    if (state === api.DuckDBPendingResultState.RESULT_READY) break;
    if (state === api.DuckDBPendingResultState.NO_TASKS_AVAILABLE || performance.now() - turn > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turn = performance.now();
    }
  }
  await pending.getResult();
}

export interface DuckErrorInfo {
  /** e.g. 'Binder', 'Parser', 'Catalog'. */
  type: string;
  message: string;
  /** Character offset into the query, when DuckDB gave one. */
  position: number | undefined;
}

/** Reads DuckDB's JSON error text ('Parser Error: {...}' or '{...}'); plain text otherwise. */
export function parseDuckError(err: unknown): DuckErrorInfo {
  const text = errorMessage(err);
  const brace = text.indexOf('{');
  if (brace >= 0) {
    try {
      const j = JSON.parse(text.slice(brace)) as Record<string, unknown>;
      const pos = typeof j['position'] === 'string' ? Number(j['position']) : undefined;
      return {
        type: typeof j['exception_type'] === 'string' ? j['exception_type'] : 'DuckDB',
        message: typeof j['exception_message'] === 'string' ? j['exception_message'] : text,
        position: pos !== undefined && Number.isInteger(pos) && pos >= 0 ? pos : undefined,
      };
    } catch {
      // not JSON after all
    }
  }
  return { type: 'DuckDB', message: text, position: undefined };
}

/**
 * A query error for the user: what DuckDB said, then the line of the SQL with a caret under
 * the position (line and column counted from 1). A syntax error at the end of the input
 * carries no position in DuckDB; the caret goes after the last character then.
 */
export function queryError(sql: string, err: unknown): DamoError {
  const e = parseDuckError(err);
  let pos = e.position;
  if (pos === undefined && /end of input/.test(e.message)) pos = sql.trimEnd().length;
  const first = e.message.split('\n')[0] ?? e.message;
  // Reading the files failed (IO), or the query itself is wrong (parser, binder, ...).
  const code = e.type === 'IO' ? 'E_IO' : 'E_USAGE';
  if (pos === undefined) return new DamoError(code, `query failed: ${e.type} error: ${first}`);
  const before = sql.slice(0, Math.min(pos, sql.length));
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = pos - lineStart + 1;
  const lineEnd = sql.indexOf('\n', lineStart);
  const lineText = sql.slice(lineStart, lineEnd < 0 ? sql.length : lineEnd);
  const caret = `${' '.repeat(Math.max(0, column - 1))}^`;
  return new DamoError(code, `query failed at line ${line}, column ${column}: ${e.type} error: ${first}\n  ${lineText}\n  ${caret}`);
}
