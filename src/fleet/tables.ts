// SPDX-License-Identifier: GPL-2.0-only
/**
 * The fleet tables as DuckDB views over the Parquet files of one or more export
 * directories: `regions` and `snapshots`, with host and date read from the hive partition
 * paths. A directory argument may itself be a glob (/data/fleet/*), as DuckDB expands it.
 */
import { join } from 'node:path';

import type { DuckDBConnection } from '@duckdb/node-api';

import { DamoError, errorMessage } from '../core/errors.js';
import { FLEET_TABLES, type FleetTable } from './schema.js';
import { sqlString } from './sql_text.js';

export function tableGlob(dir: string, table: FleetTable): string {
  return join(dir, table, '**', '*.parquet');
}

/** Creates the views; refuses directories that hold no exported table. */
export async function createFleetViews(db: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    let n: number;
    try {
      const r = await db.runAndReadAll(`SELECT count(*)::INTEGER FROM glob(${sqlString(tableGlob(dir, 'snapshots'))})`);
      n = Number(r.getRows()[0]?.[0] ?? 0);
    } catch (e) {
      throw new DamoError('E_IO', `${dir}: cannot list its files: ${errorMessage(e)}`);
    }
    if (n === 0) {
      throw new DamoError('E_NOENT', `${dir} holds no exported fleet tables (no ${tableGlob(dir, 'snapshots')})`, {
        hint: 'make them with damo export -i REC... -o DIR --to parquet',
      });
    }
  }
  for (const table of FLEET_TABLES) {
    const globs = dirs.map((d) => sqlString(tableGlob(d, table))).join(', ');
    await db.run(
      `CREATE OR REPLACE VIEW ${table} AS SELECT * FROM read_parquet([${globs}], ` +
        `hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE}, union_by_name = true)`,
    );
  }
}
