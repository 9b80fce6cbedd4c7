// SPDX-License-Identifier: GPL-2.0-only
/**
 * Writer of damo's `perf_script` text, in the line form damo's `write_perf_script` uses:
 *   kdamond.x xxxx xxxx %f: damon:damon_aggregated: target_id=%s nr_regions=%d %d-%d: %d %s
 * The timestamp is the snapshot end in seconds with six decimals (so sub-microsecond time
 * is lost, as in damo). Where damo prints the literal 'None' for an unknown age (which damo
 * itself then cannot read back), we leave the age column out, as kernels before 5.16 did.
 * A record with a single snapshot gets damo's fake snapshot so its start can be deduced.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

import { DamoError, errorMessage } from '../../core/errors.js';
import { pyFixed, pyInt } from '../../core/fmt.js';
import type { Snapshot, TraceSource } from '../../core/model.js';
import { targetSnapshots } from '../../core/trace_walk.js';

export async function writePerfScript(src: TraceSource, path: string, opts: { mode?: number } = {}): Promise<void> {
  const file = createWriteStream(path, { mode: opts.mode ?? 0o644 });
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => undefined);
  const base = src.header.baseTimeNs;
  let buf = '';
  const flush = async (): Promise<void> => {
    if (buf === '') return;
    const ok = file.write(buf);
    buf = '';
    if (!ok) await Promise.race([once(file, 'drain'), failed]);
  };
  const lines = async (endNs: number, id: string, s: Pick<Snapshot, 'starts' | 'ends' | 'nrAccesses' | 'ages'>): Promise<void> => {
    const abs = base === 0n ? endNs : Number(base + BigInt(Math.trunc(endNs)));
    const head = `kdamond.x xxxx xxxx ${pyFixed(abs / 1e9, 6)}: damon:damon_aggregated: target_id=${id} nr_regions=${s.starts.length} `;
    for (let i = 0; i < s.starts.length; i++) {
      const age = s.ages[i] as number;
      buf += `${head}${pyInt(s.starts[i] as number)}-${pyInt(s.ends[i] as number)}: ${pyInt(s.nrAccesses[i] as number)}${age >= 0 || (age === -1 && isFakeRegion(s, i)) ? ` ${pyInt(age)}` : ''}\n`;
    }
    if (buf.length >= 1 << 16) await flush();
  };
  try {
    for (let t = 0; t < src.header.targets.length; t++) {
      const idBig = src.header.targets[t]?.id;
      const id = idBig === null || idBig === undefined ? String(t) : idBig.toString();
      let count = 0;
      let only: Snapshot | undefined;
      for await (const s of targetSnapshots(src, t)) {
        await lines(s.endNs, id, s);
        count++;
        only = count === 1 ? s : undefined;
      }
      if (only !== undefined) {
        const duration = only.endNs - only.startNs;
        await lines(only.endNs + duration, id, {
          starts: Float64Array.of(0),
          ends: Float64Array.of(0),
          nrAccesses: Float64Array.of(-1),
          ages: Float64Array.of(-1),
        });
      }
    }
    await flush();
    file.end();
    await Promise.race([once(file, 'finish'), failed]);
  } catch (e) {
    file.destroy();
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: writing failed: ${errorMessage(e)}`, { cause: e });
  }
}

/** The fake snapshot's region keeps its '-1' age so readers recognise it. */
function isFakeRegion(s: Pick<Snapshot, 'starts' | 'ends' | 'nrAccesses'>, i: number): boolean {
  return s.starts[i] === 0 && s.ends[i] === 0 && s.nrAccesses[i] === -1;
}
