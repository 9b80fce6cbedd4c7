/**
 * `damo record`: record a command, processes or physical memory into a trace.
 */
import type { CliIO } from '../core/io.js';
import { RealKernelFs } from './kfs.js';
import { defaultDeps, record, type RecordDeps, type RecordRequest } from './recorder.js';

/** What a monitoring command needs from the process around it. */
export interface MonitoringEnv {
  /** Registers an interrupt handler (the CLI's src/cli/signals.ts); returns the unregister function. */
  onInterrupt: RecordDeps['onInterrupt'];
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

export async function runRecordCommand(io: CliIO, req: RecordRequest, env: MonitoringEnv): Promise<number> {
  const result = await record(req, monitoringDeps(io, env));
  return result.exitCode;
}
