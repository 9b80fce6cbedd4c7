// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo tune` with damo 3.3.0's multi-context flags (`--nr_ctxs`, `--nr_targets`,
 * `--nr_schemes`, repeated context and target flags): the flags describe every kdamond, as
 * for `start` (damon_params.ts), and all of them are committed online to the running
 * kdamonds, the way damo's tune stages its whole kdamonds tree and writes `commit` to each
 * kdamond. What the flags leave out is damo's default, so a kdamond's schemes are removed
 * unless the flags give them again.
 *
 * What the kernel refuses online is refused first, before anything is written (kernel.md
 * §1.2, §1.3): `nr_kdamonds` cannot change while a kdamond runs (EBUSY), so the flags must
 * describe as many kdamonds as exist; `commit` needs exactly one context per kdamond; a
 * kdamond that is off cannot take a commit. Every kdamond must be one `damo start` started,
 * unless --force.
 *
 * The operations set may change: DAMON's `commit` selects the context's operations set anew
 * on every kernel that has the command (damon_sysfs_apply_inputs() up to Linux 6.10,
 * damon_commit_ctx()'s `dst->ops = src->ops` from 6.11; the 6.12 of the VM included), after
 * committing the targets, whose pids it takes or drops by the operations set they had and
 * get. So a context's `operations` file is written first, as damo's tune writes it, and the
 * flags give the targets the new set needs (a pid for vaddr and fvaddr, address ranges for
 * fvaddr and paddr; validateStart). An operations set this kernel has not registered (not in
 * `avail_operations`) is refused before any write: the commit would fail with EINVAL, and
 * before 6.11 a failed commit also terminates the kdamond.
 *
 * An intervals goal is written as damo writes it (intervals_goal_sysfs.ts): where the kernel
 * has the files (6.15+) every context gets its goal, or DAMON's "no tuning" when the flags
 * give none; a goal that asks for tuning on an older kernel is refused before any write.
 *
 * Order: every kdamond's files first (operations, intervals, region counts, targets, schemes), then
 * `commit` to each in index order, so that a value a kernel write refuses is found before
 * any kdamond takes new parameters. Counts (`nr_targets`, `regions/nr_regions`) are written
 * only when they change, as damo does, since writing one recreates its directories.
 */
import type { CliIO } from '../../core/io.js';
import type { IntervalsGoal } from '../../core/model.js';
import { NO_INTERVALS_GOAL } from '../../core/damon_constants.js';
import { DamoError, usageError } from '../../core/errors.js';
import { sysfsFiles } from '../../schemes/kernel.js';
import { readTrim, writeRetryBusy, type KernelFs } from '../kfs.js';
import { intervalsGoalToWrite } from '../intervals_goal_sysfs.js';
import type { KdamondTarget } from '../sysfs.js';
import { monitoringAttrsFiles, toDamoError } from '../sysfs.js';
import type { ResolvedContext, ResolvedKdamond } from './damon_params.js';
import { listKdamonds } from './inspect.js';
import { validateStart } from './start_command.js';
import { checkTuneOwnership } from './tune_command.js';

export interface TuneKdamondsRequest {
  sysfsRoot: string;
  force: boolean;
  /** Every kdamond, in index order, as the flags resolve (damon_params.ts). */
  kdamonds: readonly ResolvedKdamond[];
}

/** The refusals that need no sysfs: one context per kdamond, values DAMON accepts. */
function validateFlags(req: TuneKdamondsRequest): ResolvedContext[] {
  return req.kdamonds.map((k, i) => {
    if (k.contexts.length !== 1) {
      throw usageError(`kdamond ${i} would have ${k.contexts.length} contexts, but DAMON commits exactly one context per kdamond (its nr_contexts must read 1)`, 'give --nr_ctxs 1 for each running kdamond (e.g. --nr_ctxs 1 1 for two)');
    }
    const c = k.contexts[0] as ResolvedContext;
    try {
      validateStart({ sysfsRoot: req.sysfsRoot, ops: c.ops, intervals: c.intervals, intervalsGoal: c.intervalsGoal, nrRegions: c.nrRegions, targets: c.targets, schemes: c.schemes });
    } catch (err) {
      if (err instanceof DamoError) throw new DamoError(err.code, `kdamond ${i}: ${err.message}`, err.hint === undefined ? { cause: err } : { cause: err, hint: err.hint });
      throw err;
    }
    return c;
  });
}

/** The operations sets a context's `avail_operations` lists; null where the kernel has no such file. */
function availableOps(kfs: KernelFs, ctxDir: string): string[] | null {
  const text = readTrim(kfs, `${ctxDir}/avail_operations`);
  return text === undefined ? null : text.split(/\s+/).filter((w) => w !== '');
}

/** The refusals that depend on what runs: how many kdamonds, each on, ours, one context, an operations set the kernel has. */
function checkRunning(io: CliIO, kfs: KernelFs, req: TuneKdamondsRequest, contexts: readonly ResolvedContext[]): void {
  const running = listKdamonds(kfs, req.sysfsRoot);
  if (running.length === 0) throw new DamoError('E_TARGET', `no kdamond exists under ${req.sysfsRoot}; 'damo start' first`);
  if (running.length !== contexts.length) {
    throw usageError(
      `the flags describe ${contexts.length} kdamond${contexts.length === 1 ? '' : 's'}, but ${running.length} exist under ${req.sysfsRoot}; DAMON does not let nr_kdamonds change while a kdamond runs`,
      `give --nr_ctxs with one 1 per kdamond (${new Array<string>(running.length).fill('1').join(' ')}), or 'damo stop' and 'damo start' with the new kdamonds`,
    );
  }
  running.forEach((view, i) => {
    checkTuneOwnership(io, kfs, { sysfsRoot: req.sysfsRoot, index: i, force: req.force });
    const nrContexts = readTrim(kfs, `${req.sysfsRoot}/kdamonds/${i}/contexts/nr_contexts`);
    if (nrContexts !== '1') throw new DamoError('E_TARGET', `kdamond ${i} has ${nrContexts ?? 'no'} contexts; DAMON commits only a kdamond with exactly one`);
    const want = contexts[i] as ResolvedContext;
    if (view.ops === want.ops) return;
    const avail = availableOps(kfs, `${req.sysfsRoot}/kdamonds/${i}/contexts/0`);
    if (avail !== null && !avail.includes(want.ops)) {
      throw new DamoError(
        'E_UNSUPPORTED',
        `kdamond ${i} monitors with '${view.ops ?? '?'}', and the flags switch it to '${want.ops}', which this kernel's DAMON does not have (avail_operations: ${avail.join(', ') || 'none'}); its commit would fail with EINVAL (and stop the kdamond before Linux 6.11)`,
        { hint: `give kdamond ${i} one of ${avail.join(', ') || 'the operations sets it lists'} (--ops, or a target that implies one)` },
      );
    }
  });
}

/** Each context's goal to write (null: none, the kernel lacks the files); refuses what the kernel cannot take. */
function goalsToWrite(kfs: KernelFs, req: TuneKdamondsRequest, contexts: readonly ResolvedContext[]): Array<IntervalsGoal | null> {
  return contexts.map((c, i) => intervalsGoalToWrite(kfs, `${req.sysfsRoot}/kdamonds/${i}/contexts/0`, c.intervalsGoal, NO_INTERVALS_GOAL, `kdamond ${i}`));
}

class ContextWriter {
  constructor(
    private readonly kfs: KernelFs,
    private readonly index: number,
  ) {}

  w(path: string, value: string | number): void {
    try {
      this.kfs.write(path, String(value));
    } catch (err) {
      throw toDamoError(err, `tuning kdamond ${this.index} (writing '${value}' to ${path}); nothing was committed, the kdamonds run as before`);
    }
  }

  /** Writes a count only when it changes: writing one recreates the directories under it. */
  count(path: string, n: number): void {
    if (readTrim(this.kfs, path) !== String(n)) this.w(path, n);
  }

  targets(dir: string, ops: string, targets: readonly KdamondTarget[]): void {
    this.count(`${dir}/nr_targets`, targets.length);
    targets.forEach((t, i) => {
      const td = `${dir}/${i}`;
      if (ops !== 'paddr' && t.pid !== undefined) this.w(`${td}/pid_target`, t.pid);
      const regions = t.regions ?? [];
      this.count(`${td}/regions/nr_regions`, regions.length);
      regions.forEach(([start, end], j) => {
        this.w(`${td}/regions/${j}/start`, start);
        this.w(`${td}/regions/${j}/end`, end);
      });
    });
  }

  context(dir: string, c: ResolvedContext, goal: IntervalsGoal | null): void {
    // First, as damo writes a context: the commit selects this operations set anew.
    this.w(`${dir}/operations`, c.ops);
    for (const [path, value] of monitoringAttrsFiles(dir, c.intervals, c.nrRegions, goal)) this.w(path, value);
    this.targets(`${dir}/targets`, c.ops, c.targets);
    for (const f of sysfsFiles(c.schemes, c.intervals)) this.w(`${dir}/${f.path}`, f.value);
  }
}

export function runTuneKdamondsCommand(io: CliIO, kfs: KernelFs, req: TuneKdamondsRequest): number {
  const contexts = validateFlags(req);
  checkRunning(io, kfs, req, contexts);
  const goals = goalsToWrite(kfs, req, contexts);
  contexts.forEach((c, i) => new ContextWriter(kfs, i).context(`${req.sysfsRoot}/kdamonds/${i}/contexts/0`, c, goals[i] ?? null));
  contexts.forEach((_, i) => {
    const state = `${req.sysfsRoot}/kdamonds/${i}/state`;
    try {
      writeRetryBusy(kfs, state, 'commit');
    } catch (err) {
      const done = i === 0 ? 'no kdamond took the new parameters' : `kdamond${i === 1 ? '' : 's'} 0${i === 1 ? '' : `-${i - 1}`} took the new parameters already`;
      throw toDamoError(err, `committing the new parameters of kdamond ${i} (writing 'commit' to ${state}); the kernel kept its old ones, and ${done}`);
    }
  });
  for (let i = 0; i < contexts.length; i++) io.stdout.write(`kdamond ${i} tuned\n`);
  return 0;
}
