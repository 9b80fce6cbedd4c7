// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which backend can apply which schemes, decided before anything is touched:
 * - kernel (sysfs, debugfs): the operations set must implement each action (mm/damon
 *   vaddr.c/paddr.c apply_scheme; an action it lacks is tried and never applied, which
 *   is never what the user meant); debugfs can only express the 5.16-era fields;
 * - native: process_madvise(2)'s advice only (nativeSchemesProblem()).
 */
import type { DamonOps } from '../core/model.js';
import { errorMessage } from '../core/errors.js';
import { debugfsText, type SchemeIntervals } from './kernel.js';
import { OPS_ACTIONS, describeScheme, type DamosAction, type Scheme } from './model.js';
import { nativeSchemesProblem } from './online_native.js';

export type BackendName = 'sysfs' | 'debugfs' | 'native';

function kernelProblem(schemes: readonly Scheme[], ops: DamonOps): string | null {
  const supported = OPS_ACTIONS[ops] as readonly DamosAction[];
  for (const [i, s] of schemes.entries()) {
    if (!supported.includes(s.action)) {
      return `${describeScheme(s, i)}: the '${ops}' operations set does not implement '${s.action}' (the kernel would try regions and apply nothing; ${ops} implements ${supported.join(', ')})`;
    }
  }
  return null;
}

/** Why each backend cannot apply these schemes (null where it can). */
export function schemesProblems(schemes: readonly Scheme[], ops: DamonOps, intervals: SchemeIntervals): Record<BackendName, string | null> {
  const kernel = kernelProblem(schemes, ops);
  let debugfs = kernel;
  if (debugfs === null) {
    try {
      debugfsText(schemes, intervals, 'v4');
    } catch (err) {
      debugfs = errorMessage(err);
    }
  }
  return { sysfs: kernel, debugfs, native: nativeSchemesProblem(schemes, ops) };
}
