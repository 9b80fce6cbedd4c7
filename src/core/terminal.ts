// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a terminal can show: whether colour codes are wanted and how large it is. One home
 * for these rules so every command that draws on a terminal follows the same ones.
 */

/** The size damo assumes when a terminal does not say (a pty reporting 0x0) or there is none. */
export const FALLBACK_COLUMNS = 80;
export const FALLBACK_ROWS = 40;

/**
 * Colour codes on? 'always'/'never' decide; 'auto' follows, in order: FORCE_COLOR (set and
 * not '0'/'false' forces colour on; '0' or 'false' turns it off), NO_COLOR (set and
 * non-empty: off), TERM=dumb (off), else whether the stream is a terminal.
 */
export function colorWanted(env: NodeJS.ProcessEnv, isTTY: boolean, when: 'auto' | 'always' | 'never' = 'auto'): boolean {
  if (when !== 'auto') return when === 'always';
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** A terminal dimension, or the fallback when the terminal reports none (0 or undefined). */
export function dimension(reported: number | undefined, fallback: number): number {
  return reported !== undefined && Number.isFinite(reported) && reported > 0 ? Math.floor(reported) : fallback;
}
