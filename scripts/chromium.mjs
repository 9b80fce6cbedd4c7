// SPDX-License-Identifier: GPL-2.0-only
// Finding Debian's chromium for the browser tests and the page measurements of `damo report
// html` (scripts/install-test-deps.sh installs it; puppeteer-core downloads no browser).
// CHROMIUM_PATH overrides the search.
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** @returns {string | null} */
export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Flags for a headless run as root in a container (no sandbox), without GPU. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];
