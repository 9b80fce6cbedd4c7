// SPDX-License-Identifier: GPL-2.0-only
/**
 * The program images of a recorded process: every mapping of a file that the process maps
 * executable somewhere (a program's or library's code, constants and relocated data), and
 * anonymous executable mappings (JIT code). Simulate uses them to say where its refault
 * estimate falls: it counts a region's accesses as new pages in every sampling interval,
 * and code and constant tables are the common case of the opposite, the same pages used
 * again and again (sqlite's predicted refaults were 90-96 % in them and its measured ones
 * near the same-pages count: docs/ACCURACY.md, "Refaults: the two ends").
 *
 * Stored as trace events of kind PROGRAM_IMAGES_EVENT_KIND (docs/FORMAT.md), in the message
 * format of the mappings event (space-separated hex `start-end`; an empty message: none),
 * taken from the same reading of /proc/PID/maps as the mappings and written when the
 * ranges changed.
 */
import { mergeRanges, type Ranges } from './mappings.js';

export const PROGRAM_IMAGES_EVENT_KIND = 'program-images';

/**
 * The ranges of the program images in the text of /proc/PID/maps (see above), adjacent
 * ones merged. A file is known by its device and inode; [vsyscall] is left out as in the
 * mappings (above the user address space).
 */
export function parseProcMapsProgramImages(text: string): Ranges {
  const lines: Array<{ start: number; end: number; exec: boolean; file: string | null }> = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x])\S* \S+ (\S+) (\d+)/.exec(line);
    if (m === null || line.endsWith('[vsyscall]')) continue;
    const inode = m[5] as string;
    lines.push({
      start: parseInt(m[1] as string, 16),
      end: parseInt(m[2] as string, 16),
      exec: (m[3] as string).endsWith('x'),
      file: inode === '0' ? null : `${m[4] as string}:${inode}`,
    });
  }
  const execFiles = new Set(lines.flatMap((l) => (l.exec && l.file !== null ? [l.file] : [])));
  return mergeRanges(lines.filter((l) => l.exec || (l.file !== null && execFiles.has(l.file))).map((l) => [l.start, l.end]));
}
