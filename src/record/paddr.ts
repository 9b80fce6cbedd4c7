// SPDX-License-Identifier: GPL-2.0-only
/**
 * Default physical-address region: the largest "System RAM" resource in /proc/iomem, the
 * same choice as the kernel's damon_set_region_biggest_system_ram_default() and damo
 * (kernel.md §4; damo issue awslabs#64 notes it covers only that one block).
 */
import { DamoError } from '../core/errors.js';

export function largestSystemRam(iomem: string): [number, number] | null {
  let best: [number, number] | null = null;
  for (const line of iomem.split('\n')) {
    // Top-level resources only (nested ones are indented).
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/i.exec(line);
    if (m === null) continue;
    const start = Number.parseInt(m[1] as string, 16);
    const end = Number.parseInt(m[2] as string, 16) + 1;
    if (end <= start) continue;
    if (best === null || end - start > best[1] - best[0]) best = [start, end];
  }
  return best;
}

/**
 * The span from the first "System RAM" resource's start to the last one's end: the region
 * damo 3.3.0 gives a paddr target by default (`damo start paddr`, `damo args damon paddr`),
 * which also covers the holes between the blocks.
 */
export function systemRamSpan(iomem: string): [number, number] | null {
  let span: [number, number] | null = null;
  for (const line of iomem.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/i.exec(line);
    if (m === null) continue;
    const start = Number.parseInt(m[1] as string, 16);
    const end = Number.parseInt(m[2] as string, 16) + 1;
    span = span === null ? [start, end] : [span[0], end];
  }
  return span;
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
