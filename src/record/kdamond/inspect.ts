// SPDX-License-Identifier: GPL-2.0-only
/** Read-only views of the kdamonds under a DAMON sysfs root, for messages and checks. */
import { readTrim, type KernelFs } from '../kfs.js';

export interface KdamondView {
  index: number;
  state: string;
  pid: number | null;
  ops: string | null;
}

export function listKdamonds(kfs: KernelFs, sysfsRoot: string): KdamondView[] {
  const nr = Number(readTrim(kfs, `${sysfsRoot}/kdamonds/nr_kdamonds`) ?? 0);
  const out: KdamondView[] = [];
  for (let k = 0; k < nr; k++) {
    const dir = `${sysfsRoot}/kdamonds/${k}`;
    const pidText = readTrim(kfs, `${dir}/pid`);
    const pid = pidText === undefined ? NaN : Number.parseInt(pidText, 10);
    out.push({ index: k, state: readTrim(kfs, `${dir}/state`) ?? '?', pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null, ops: readTrim(kfs, `${dir}/contexts/0/operations`) ?? null });
  }
  return out;
}

export function describeRunningKdamonds(kfs: KernelFs, sysfsRoot: string): string {
  return listKdamonds(kfs, sysfsRoot)
    .map((k) => `kdamond ${k.index} ${k.state}${k.pid !== null ? ` (pid ${k.pid})` : ''}${k.ops !== null ? ` ${k.ops}` : ''}`)
    .join(', ');
}
