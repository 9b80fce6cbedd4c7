// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where each recording file went: DIR/_damo_exports/<recording_id>.json lists, per input
 * file (its real path), the host=/date= partition it was last exported to. A file exported
 * again under other host or date labels then replaces its earlier files in the old
 * partition instead of being counted twice; a byte-identical recording exported from
 * another path (another host's copy) keeps its own. Engines skip the directory: its name
 * starts with '_' (Spark, Hive) and the tables are read from DIR/regions and DIR/snapshots.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LEDGER_DIR = '_damo_exports';

interface LedgerEntry {
  /** Real path of the input file when it was exported. */
  input: string;
  /** host=<host>/date=<date> */
  partition: string;
}

function ledgerPath(outDir: string, id: string): string {
  return join(outDir, LEDGER_DIR, `${id}.json`);
}

function readLedger(outDir: string, id: string): LedgerEntry[] {
  try {
    const j = JSON.parse(readFileSync(ledgerPath(outDir, id), 'utf8')) as { exports?: unknown };
    if (!Array.isArray(j.exports)) return [];
    return j.exports.filter((e): e is LedgerEntry => typeof e?.input === 'string' && typeof e?.partition === 'string');
  } catch {
    // None yet, or unreadable: nothing is known to replace.
    return [];
  }
}

/** The partitions this input was exported to before, other than `partition`. */
export function earlierPartitions(outDir: string, id: string, input: string, partition: string): string[] {
  return readLedger(outDir, id)
    .filter((e) => e.input === input && e.partition !== partition)
    .map((e) => e.partition);
}

/** Notes that `input` (recording `id`) now lives in `partition` only. */
export function recordExport(outDir: string, id: string, input: string, partition: string): void {
  const entries = readLedger(outDir, id).filter((e) => e.input !== input);
  entries.push({ input, partition });
  const path = ledgerPath(outDir, id);
  mkdirSync(join(outDir, LEDGER_DIR), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify({ recording_id: id, exports: entries }, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
