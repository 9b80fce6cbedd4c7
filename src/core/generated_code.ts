// SPDX-License-Identifier: GPL-2.0-only
/**
 * Small functions compiled from our own constants (the damo JSON reader's and writer's
 * byte templates), where V8 then compares or stores against immediates. Node run with
 * --disallow-code-generation-from-strings refuses to compile them; the plain function
 * given instead does the same work, more slowly.
 */
export function compiledOr<F extends (...args: never[]) => unknown>(params: readonly string[], body: string, plain: F): F {
  try {
    return new Function(...params, body) as F;
  } catch (e) {
    if (e instanceof EvalError) return plain;
    throw e;
  }
}

/**
 * The 8-byte words (little-endian float64) that cover `bytes`: at 0, 8, 16, ... and, when
 * the length is not a multiple of 8, one more ending at the last byte (overlapping the one
 * before), so that whole words compare or store all of them; none for fewer than 8 bytes.
 * Words of text below 0x7f are never NaN as float64, so they compare and store bit for bit.
 */
export function coveringWords(bytes: Uint8Array): Array<[offset: number, word: number]> {
  const len = bytes.length;
  if (len < 8) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= len; at += 8) offsets.push(at);
  if (len % 8 !== 0) offsets.push(len - 8);
  return offsets.map((at) => [at, view.getFloat64(at, true)]);
}
