// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes -c FILE <target>`: apply schemes to a workload for as long as it runs, with
 * the same targets, safety and endings as `damo record`, and print their statistics.
 */
import type { CliIO } from '../core/io.js';
import { monitoringDeps, type MonitoringEnv } from './record_command.js';
import type { ResolvedRequest, SchemesRequest } from './request.js';
import { runSession } from './session.js';

/** `req` comes from resolveRequest() (record/request.ts), which the CLI calls. */
export async function runApplySchemesCommand(io: CliIO, req: ResolvedRequest & { schemes: SchemesRequest }, env: MonitoringEnv): Promise<number> {
  const result = await runSession(req, monitoringDeps(io, env));
  return result.exitCode;
}
