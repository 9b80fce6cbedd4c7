// SPDX-License-Identifier: GPL-2.0-only
/**
 * Default physical-address region: the largest "System RAM" resource in /proc/iomem, the
 * same choice as the kernel's damon_set_region_biggest_system_ram_default() and damo
 * (kernel.md §4; damo issue awslabs#64 notes it covers only that one block).
 */
import { DamoError } from '../core/errors.js';

/** The top-level "System RAM" resources of /proc/iomem as [start, end) (nested ones are indented). */
function systemRamBlocks(iomem: string): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  for (const line of iomem.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/i.exec(line);
    if (m === null) continue;
    const start = Number.parseInt(m[1] as string, 16);
    const end = Number.parseInt(m[2] as string, 16) + 1;
    if (end > start) blocks.push([start, end]);
  }
  return blocks;
}

export function largestSystemRam(iomem: string): [number, number] | null {
  let best: [number, number] | null = null;
  for (const b of systemRamBlocks(iomem)) if (best === null || b[1] - b[0] > best[1] - best[0]) best = b;
  return best;
}

/**
 * The span from the first "System RAM" resource's start to the last one's end: the region
 * damo 3.3.0 gives a paddr target by default (`damo start paddr`, `damo args damon paddr`),
 * which also covers the holes between the blocks.
 */
export function systemRamSpan(iomem: string): [number, number] | null {
  const blocks = systemRamBlocks(iomem);
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  return first === undefined || last === undefined ? null : [first[0], last[1]];
}

/** Which System RAM region a paddr target gets when none is given. */
export type PaddrDefault = 'largest' | 'span';

export function defaultPaddrRegion(readIomem: () => string, choice: PaddrDefault = 'largest'): [number, number] {
  let text: string;
  try {
    text = readIomem();
  } catch (err) {
    throw new DamoError('E_IO', `cannot read /proc/iomem to find physical memory: ${(err as Error).message}`, { hint: 'give the range with --regions <start>-<end>' });
  }
  const r = choice === 'span' ? systemRamSpan(text) : largestSystemRam(text);
  if (r === null || (r[0] === 0 && r[1] === 1)) {
    throw new DamoError('E_PERM', 'cannot find a System RAM range in /proc/iomem (it shows zeros to non-root users)', {
      hint: 'run as root, or give the range with --regions <start>-<end>',
    });
  }
  return r;
}
