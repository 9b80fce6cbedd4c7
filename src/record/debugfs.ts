// SPDX-License-Identifier: GPL-2.0-only
/**
 * Monitoring through the legacy DAMON debugfs interface (Linux 5.15-6.13, kernel.md §2).
 *
 * debugfs has a single root context that always exists, so "our own kdamond" means: the
 * root context is off, we save its files, write ours, turn it on, and write the saved
 * values back afterwards. Writes, in order:
 *   attrs = "<sample> <aggr> <update> <min_nr> <max_nr>"
 *   schemes = "\n"            (only if it held schemes: they would act on our targets)
 *   target_ids = "<pid> ..." or "paddr\n"
 *   init_regions = "<idx> <start> <end>" lines (fvaddr/paddr ranges; 5.16+)
 *   monitor_on(_DEPRECATED) = "on"
 * and on restore: monitor_on = "off" (only if kdamond_pid is still ours), then attrs,
 * target_ids, init_regions and schemes written back as they were. Results come from the
 * damon_aggregated tracepoint (debugfs has no result files).
 *
 * With schemes (`damo schemes --backend debugfs`), `schemes` gets their 18-field lines
 * (debugfsText(), Linux 5.16+) instead of being cleared, and is always restored; their
 * statistics are the fields after the 18th in what the file reads back.
 */
import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type { Intervals, NrRegionsRange, Ops } from '../core/model.js';
import type { Guardian } from './guardian.js';
import { readTrim, type KernelFs } from './kfs.js';
import { kernelAtLeast } from './detect.js';
import { toDamoError, type KdamondTarget } from './sysfs.js';
import { DEBUGFS_PADDR_TARGET_ID, parseDebugfsSchemeStats, type DebugfsSchemeStats } from './debugfs_files.js';

export interface DebugfsPlan {
  ops: Ops;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  kernelRelease: string;
  /** Lines for the `schemes` file (the user's schemes), or undefined for none. */
  schemesText?: string;
}

interface Saved {
  attrs: string;
  targetIds: string;
  initRegions: string | undefined;
  schemes: string | undefined;
}

/** The 18 writable fields of each scheme line; reads add 2 (5.16) or 5 (5.17+) stats. */
export function schemesForWrite(read: string): string {
  const lines = read
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = l.split(/\s+/);
      return f.length > 18 ? f.slice(0, 18).join(' ') : f.join(' ');
    });
  return lines.length === 0 ? '\n' : `${lines.join('\n')}\n`;
}

export class DebugfsMonitor {
  kdamondPid: number | null = null;
  private saved: Saved | null = null;
  private changed = { attrs: false, targetIds: false, initRegions: false, schemes: false };
  private restored = false;
  readonly monitorOnPath: string;

  constructor(
    private readonly kfs: KernelFs,
    readonly root: string,
    monitorOnFile: string,
    readonly plan: DebugfsPlan,
    private readonly guardian: Guardian,
  ) {
    this.monitorOnPath = `${root}/${monitorOnFile}`;
  }

  setup(): void {
    const { kfs, root, plan } = this;
    if (readTrim(kfs, this.monitorOnPath) !== 'off') {
      throw new DamoError('E_BUSY', `DAMON debugfs monitoring is already on (${this.monitorOnPath}) and is not ours`, { hint: 'use --source native' });
    }
    this.saved = {
      attrs: readTrim(kfs, `${root}/attrs`) ?? '',
      targetIds: readTrim(kfs, `${root}/target_ids`) ?? '',
      initRegions: kfs.exists(`${root}/init_regions`) ? (readTrim(kfs, `${root}/init_regions`) ?? '') : undefined,
      schemes: kfs.exists(`${root}/schemes`) ? (readTrim(kfs, `${root}/schemes`) ?? '') : undefined,
    };
    const lines: string[] = [];
    plan.targets.forEach((t, idx) => {
      // init_regions names targets by index from 5.18, by id (pid; 42 for paddr) before.
      const key = kernelAtLeast(plan.kernelRelease, 5, 18) ? idx : plan.ops === 'paddr' ? DEBUGFS_PADDR_TARGET_ID : (t.pid ?? 0);
      for (const [s, e] of t.regions ?? []) lines.push(`${key} ${s} ${e}`);
    });
    if (lines.length > 0 && this.saved.initRegions === undefined) {
      throw new DamoError('E_UNSUPPORTED', 'this kernel has no debugfs init_regions file (Linux 5.16+), so --regions and paddr cannot be used over debugfs');
    }
    const ours = plan.schemesText;
    if (ours !== undefined && this.saved.schemes === undefined) {
      throw new DamoError('E_UNSUPPORTED', 'this kernel has no debugfs schemes file (Linux 5.16+), so schemes cannot be applied over debugfs', { hint: 'use --backend sysfs or native' });
    }
    this.changed = {
      attrs: true,
      targetIds: true,
      initRegions: lines.length > 0,
      schemes: ours !== undefined || (this.saved.schemes !== undefined && this.saved.schemes.length > 0),
    };
    // Registered before writing; the guardian runs them last-added first and only while
    // monitoring is off, so it is harmless if we die before any write.
    for (const w of this.restoreWrites().reverse()) {
      this.guardian.add({ kind: 'write-if-equals', checkPath: this.monitorOnPath, equals: 'off', path: w.path, value: w.value });
    }
    try {
      const i = plan.intervals;
      kfs.write(`${root}/attrs`, `${i.sampleUs} ${i.aggrUs} ${i.opsUpdateUs} ${plan.nrRegions.min} ${plan.nrRegions.max}`);
      if (this.changed.schemes) {
        try {
          kfs.write(`${root}/schemes`, ours ?? '\n');
        } catch (err) {
          if (ours !== undefined && errnoCode(err) === 'EINVAL') {
            throw new DamoError('E_UNSUPPORTED', `the kernel rejected our schemes (EINVAL writing ${root}/schemes: ${JSON.stringify(ours.split('\n')[0])}...); this kernel's debugfs may predate the 18-field format of Linux 5.16`, {
              cause: err,
              hint: 'use --backend sysfs or native',
            });
          }
          throw err;
        }
      }
      if (plan.ops === 'paddr') kfs.write(`${root}/target_ids`, 'paddr\n');
      else kfs.write(`${root}/target_ids`, plan.targets.map((t) => String(t.pid ?? 0)).join(' '));
      if (this.changed.initRegions) kfs.write(`${root}/init_regions`, `${lines.join('\n')}\n`);
    } catch (err) {
      this.restore();
      throw toDamoError(err, 'configuring DAMON debugfs');
    }
  }

  start(): number {
    // Before 'on', so no moment is uncovered; the root context was off when we took it.
    this.guardian.add({ kind: 'write-if-equals', checkPath: this.monitorOnPath, equals: 'on', path: this.monitorOnPath, value: 'off' });
    try {
      this.kfs.write(this.monitorOnPath, 'on');
    } catch (err) {
      this.restore();
      if (errnoCode(err) === 'EBUSY') {
        throw new DamoError('E_BUSY', 'DAMON refused to start (EBUSY): another DAMON interface is monitoring', { cause: err, hint: 'use --source native' });
      }
      throw toDamoError(err, 'turning DAMON debugfs monitoring on');
    }
    const text = readTrim(this.kfs, `${this.root}/kdamond_pid`);
    const pid = text === undefined ? NaN : Number.parseInt(text, 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      this.restore();
      throw new DamoError('E_TARGET', `DAMON stopped right after it started (kdamond_pid reads ${text ?? 'nothing'}); its targets may have exited`);
    }
    this.kdamondPid = pid;
    return pid;
  }

  /** Our schemes' statistics, read back from the schemes file. */
  readSchemeStats(): DebugfsSchemeStats[] {
    return parseDebugfsSchemeStats(this.kfs.read(`${this.root}/schemes`));
  }

  isRunning(): boolean {
    return this.kdamondPid !== null && readTrim(this.kfs, `${this.root}/kdamond_pid`) === String(this.kdamondPid);
  }

  stop(): void {
    if (!this.isRunning()) return;
    try {
      this.kfs.write(this.monitorOnPath, 'off');
    } catch (err) {
      if (readTrim(this.kfs, this.monitorOnPath) !== 'off') throw err;
    }
  }

  restore(): string[] {
    if (this.restored || this.saved === null) return [];
    this.restored = true;
    const warnings: string[] = [];
    try {
      this.stop();
    } catch (err) {
      warnings.push(`could not turn DAMON debugfs monitoring off: ${errorMessage(err)}`);
    }
    for (const w of this.restoreWrites()) {
      try {
        this.kfs.write(w.path, w.value);
      } catch (err) {
        warnings.push(`could not restore ${w.path} to '${w.value.trim()}': ${errorMessage(err)}`);
      }
    }
    return warnings;
  }

  /** The writes that put back what setup() changed, in order (after monitoring is off). */
  restoreWrites(): Array<{ path: string; value: string }> {
    const s = this.saved;
    if (s === null) return [];
    const out: Array<{ path: string; value: string }> = [];
    if (this.changed.attrs && s.attrs.length > 0) out.push({ path: `${this.root}/attrs`, value: s.attrs });
    if (this.changed.targetIds) out.push({ path: `${this.root}/target_ids`, value: s.targetIds === String(DEBUGFS_PADDR_TARGET_ID) ? 'paddr\n' : `${s.targetIds}\n` });
    if (this.changed.initRegions && s.initRegions !== undefined) out.push({ path: `${this.root}/init_regions`, value: `${s.initRegions}\n` });
    if (this.changed.schemes && s.schemes !== undefined) out.push({ path: `${this.root}/schemes`, value: schemesForWrite(s.schemes) });
    return out;
  }
}
