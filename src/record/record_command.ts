// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo record`: record a command, processes or physical memory into a trace.
 */
import type { CliIO } from '../core/io.js';
import type { OnInterrupt } from '../core/interrupts.js';
import { defaultDeps, type RecordDeps } from './deps.js';
import { RealKernelFs } from './kfs.js';
import type { ResolvedRequest } from './request.js';
import { runSession } from './session.js';

/** What a monitoring command needs from the process around it. */
export interface MonitoringEnv {
  /** Registers an interrupt handler (the CLI's src/cli/signals.ts). */
  onInterrupt: OnInterrupt;
  /** Log every kernel file access on stderr (--debug). */
  debug: boolean;
}

export function monitoringDeps(io: CliIO, env: MonitoringEnv): RecordDeps {
  const deps = defaultDeps(io, env.onInterrupt);
  if (env.debug) {
    deps.kfs = new RealKernelFs((op) => io.stderr.write(`damo: debug: ${op.op} ${op.path}${op.op === 'write' ? ` <- ${JSON.stringify(op.value)}` : ''}\n`));
  }
  return deps;
}

/** `req` comes from resolveRequest() (record/request.ts), which the CLI calls. */
export async function runRecordCommand(io: CliIO, req: ResolvedRequest, env: MonitoringEnv): Promise<number> {
  const result = await runSession(req, monitoringDeps(io, env));
  return result.exitCode;
}
