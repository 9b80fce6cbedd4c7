// SPDX-License-Identifier: GPL-2.0-only
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root: the nearest directory above this module holding our package.json. */
export function projectRoot(): string {
  return ourPackage().root;
}

let found: { root: string; version: string } | undefined;

/** Found once per process: every command reads the version, start-up counts (issue 17). */
function ourPackage(): { root: string; version: string } {
  if (found !== undefined) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'damo-ts') return (found = { root: dir, version: pkg.version });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the damo-ts package root');
    dir = parent;
  }
}

export function toolVersion(): string {
  return ourPackage().version;
}
