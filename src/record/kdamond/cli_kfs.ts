// SPDX-License-Identifier: GPL-2.0-only
/** The real kernel filesystems for the kdamond commands, with `--debug`'s log of each access. */
import type { CliIO } from '../../core/io.js';
import { RealKernelFs, type KernelFs } from '../kfs.js';

export function kernelFs(io: CliIO, debug: boolean): KernelFs {
  return new RealKernelFs(debug ? (op) => io.stderr.write(`damo: debug: ${op.op} ${op.path}${op.op === 'write' ? ` <- ${JSON.stringify(op.value)}` : ''}\n`) : undefined);
}
