// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs SQL over the fleet views and streams the result out, chunk by chunk: `--json` writes
 * a JSON array row by row; text keeps at most `maxTextRows` rows to align them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

import { TextOut, type CliIO } from '../core/io.js';
import { queryError } from './duckdb.js';
import { formatTable, plain, type Plain } from './result_text.js';

export interface QueryResult {
  columns: string[];
  rows: Plain[][];
}

/** Runs SQL and returns every row (for reports, whose results are small). */
export async function queryAll(db: DuckDBConnection, sql: string): Promise<QueryResult> {
  try {
    const r = await db.runAndReadAll(sql);
    return { columns: r.deduplicatedColumnNames(), rows: r.getRowsJS().map((row) => row.map(plain)) };
  } catch (e) {
    throw queryError(sql, e);
  }
}

export async function streamQuery(io: CliIO, db: DuckDBConnection, sql: string, json: boolean, maxTextRows: number): Promise<number> {
  let result;
  try {
    result = await db.stream(sql);
  } catch (e) {
    throw queryError(sql, e);
  }
  const columns = result.deduplicatedColumnNames();
  const out = new TextOut(io.stdout);
  const kept: Plain[][] = [];
  let nrRows = 0;
  if (json) await out.write('[');
  try {
    for await (const rows of result.yieldRowsJs()) {
      for (const row of rows) {
        const values = row.map(plain);
        if (json) {
          const o: { [k: string]: Plain } = {};
          columns.forEach((c, i) => (o[c] = values[i] ?? null));
          await out.write(`${nrRows === 0 ? '\n' : ',\n'}  ${JSON.stringify(o)}`);
        } else if (kept.length < maxTextRows) kept.push(values);
        nrRows += 1;
      }
    }
  } catch (e) {
    throw queryError(sql, e);
  }
  if (json) await out.write(nrRows === 0 ? ']\n' : '\n]\n');
  else {
    await out.write(formatTable(columns, kept));
    await out.write(nrRows > kept.length ? `(${nrRows} rows, first ${kept.length} shown; add LIMIT, or use --json for all)\n` : `(${nrRows} row${nrRows === 1 ? '' : 's'})\n`);
  }
  await out.flush();
  return nrRows;
}
