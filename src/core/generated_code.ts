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
