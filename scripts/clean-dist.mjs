// SPDX-License-Identifier: GPL-2.0-only
// Removes dist/ so that `npm pack` ships only what the current sources compile to (tsc
// never deletes the output of a source file that was moved or removed).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true });
