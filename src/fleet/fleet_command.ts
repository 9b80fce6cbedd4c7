// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo fleet query|wss|cold|top DIR...`: SQL over exported fleet tables with DuckDB
 * embedded (docs/FLEET.md).
 */
import { humanTime } from '../core/human.js';
import { writeResult, type CliIO } from '../core/io.js';
import { openDuck } from './duckdb.js';
import { queryAll, streamQuery } from './query.js';
import { coldSql, coldText, topSql, topText, wssSql, wssText } from './reports.js';
import type { Plain } from './result_text.js';
import { createFleetViews } from './tables.js';

export interface FleetSource {
  dirs: string[];
  json: boolean;
}

export interface FleetQueryRequest extends FleetSource {
  sql: string;
  maxRows: number;
}

export interface FleetColdRequest extends FleetSource {
  by: string;
  minIdleUs: number;
}

export interface FleetTopRequest extends FleetSource {
  minIdleUs: number;
  limit: number;
}

async function withViews<T>(dirs: string[], f: (db: Awaited<ReturnType<typeof openDuck>>['connection']) => Promise<T>): Promise<T> {
  const duck = await openDuck();
  try {
    await createFleetViews(duck.connection, dirs);
    return await f(duck.connection);
  } finally {
    duck.close();
  }
}

function objects(columns: string[], rows: Plain[][]): Array<Record<string, Plain>> {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
}

export async function runFleetQueryCommand(io: CliIO, r: FleetQueryRequest): Promise<number> {
  await withViews(r.dirs, (db) => streamQuery(io, db, r.sql, r.json, r.maxRows));
  return 0;
}

export async function runFleetWssCommand(io: CliIO, r: FleetSource): Promise<number> {
  const res = await withViews(r.dirs, (db) => queryAll(db, wssSql()));
  const row = objects(res.columns, res.rows)[0] ?? {};
  await writeResult(io, r.json ? JSON.stringify(row, null, 2) + '\n' : wssText(row));
  return 0;
}

export async function runFleetColdCommand(io: CliIO, r: FleetColdRequest): Promise<number> {
  const res = await withViews(r.dirs, (db) => queryAll(db, coldSql(r.by, r.minIdleUs * 1000)));
  await writeResult(io, r.json ? JSON.stringify(objects(res.columns, res.rows), null, 2) + '\n' : coldText(r.by, humanTime(r.minIdleUs * 1000), res.columns, res.rows));
  return 0;
}

export async function runFleetTopCommand(io: CliIO, r: FleetTopRequest): Promise<number> {
  const res = await withViews(r.dirs, (db) => queryAll(db, topSql(r.minIdleUs * 1000, r.limit)));
  await writeResult(io, r.json ? JSON.stringify(objects(res.columns, res.rows), null, 2) + '\n' : topText(humanTime(r.minIdleUs * 1000), res.columns, res.rows));
  return 0;
}
