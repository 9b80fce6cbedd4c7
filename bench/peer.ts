// SPDX-License-Identifier: GPL-2.0-only
/**
 * The Python damo the benchmark compares with: `../shared/peers/pydamo VERSION ARGS...`
 * next to the repository (it runs damo with DAMON's sysfs, debugfs and tracefs hidden in a
 * private mount namespace). A clone without it still benchmarks damo-ts alone; the peer
 * columns then say why the peer is missing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';

import { projectRoot } from '../src/core/version.js';

export const PEER_VERSION = '3.3.0';

export type Peer = { available: true; path: string; version: string } | { available: false; reason: string };

export function defaultPeerPath(): string {
  return resolve(projectRoot(), '../shared/peers/pydamo');
}

/** Finds the peer and checks that it runs (`pydamo 3.3.0 version`). */
export function findPeer(path: string = defaultPeerPath()): Peer {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { available: false, reason: `peer not available: no executable ${path}` };
  }
  const r = spawnSync(path, [PEER_VERSION, 'version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
    return { available: false, reason: `peer not available: ${path} ${PEER_VERSION} version failed (${why})` };
  }
  return { available: true, path, version: r.stdout.trim() || PEER_VERSION };
}

export function peerArgv(peer: Peer & { available: true }, args: string[]): string[] {
  return [peer.path, PEER_VERSION, ...args];
}

/** damo draws images with gnuplot; without it the image case has no peer figure. */
export function haveGnuplot(): boolean {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  return dirs.some((d) => {
    try {
      accessSync(join(d, 'gnuplot'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
