// SPDX-License-Identifier: GPL-2.0-only
/**
 * What DAMON debugfs's files hold, read side: the paddr target id and the `schemes` lines
 * with their trailing statistics. Shared by the monitor (debugfs.ts) and the status reader
 * of `report damon` (kdamond/debugfs_status.ts), which imports only this.
 */
/** The dummy target id DAMON debugfs shows (and init_regions before 5.18 takes) for a paddr target. */
export const DEBUGFS_PADDR_TARGET_ID = 42;

/** One scheme's statistics as the debugfs `schemes` file shows them. */
export interface DebugfsSchemeStats {
  nrTried: number;
  szTried: number;
  /** null on 5.16, whose two counters only count tried regions. */
  nrApplied: number | null;
  szApplied: number | null;
  qtExceeds: number | null;
}

/** One line of the `schemes` file as it reads: the fields written, then the statistics. */
export interface DebugfsSchemeLine {
  /** The 18 fields written (7 on Linux 5.15), as numbers (ULONG_MAX reads as 2^64). */
  input: number[];
  stats: DebugfsSchemeStats;
}

/**
 * A `schemes` line as it reads back: 5.17+ shows 23 fields (the 18 written plus nr_tried
 * sz_tried nr_applied sz_applied qt_exceeds), 5.16 20 (stat_count stat_sz, counted for
 * every region the scheme was tried on), 5.15 9 (7 written plus those two). Null for a
 * line of any other length.
 */
export function parseDebugfsSchemeLine(line: string): DebugfsSchemeLine | null {
  const f = line.trim().split(/\s+/).filter((x) => x.length > 0).map(Number);
  const nStats = f.length === 23 ? 5 : f.length === 20 || f.length === 9 ? 2 : 0;
  if (nStats === 0 || f.some((x) => !Number.isFinite(x))) return null;
  const input = f.slice(0, f.length - nStats);
  const st = f.slice(input.length);
  const n = (i: number): number => st[i] ?? 0;
  const stats = nStats === 5 ? { nrTried: n(0), szTried: n(1), nrApplied: n(2), szApplied: n(3), qtExceeds: n(4) } : { nrTried: n(0), szTried: n(1), nrApplied: null, szApplied: null, qtExceeds: null };
  return { input, stats };
}

/** Statistics from the `schemes` file, one per scheme line (parseDebugfsSchemeLine). */
export function parseDebugfsSchemeStats(text: string): DebugfsSchemeStats[] {
  return text
    .split('\n')
    .map(parseDebugfsSchemeLine)
    .filter((l): l is DebugfsSchemeLine => l !== null)
    .map((l) => l.stats);
}
