/**
 * `damo schemes -c FILE <target>`: apply schemes to a workload for as long as it runs, with
 * the same targets, safety and endings as `damo record`, and print their statistics.
 */
import type { CliIO } from '../core/io.js';
import { loadSchemes } from '../schemes/load.js';
import { monitoringDeps, type MonitoringEnv } from './record_command.js';
import { record, type RecordRequest, type SchemesRequest } from './recorder.js';

export interface ApplySchemesRequest extends Omit<RecordRequest, 'schemes' | 'outputType' | 'source' | 'snapshotIntervalUs'> {
  /** A schemes file, or the scheme text itself. */
  schemes: string;
  backend: SchemesRequest['backend'];
  statsIntervalMs: number;
}

export async function runApplySchemesCommand(io: CliIO, req: ApplySchemesRequest, env: MonitoringEnv): Promise<number> {
  const loaded = await loadSchemes(req.schemes);
  const { schemes: _file, backend, statsIntervalMs, ...rest } = req;
  const result = await record(
    {
      ...rest,
      outputType: 'protobuf',
      source: 'auto',
      snapshotIntervalUs: undefined,
      schemes: { schemes: loaded.schemes, name: loaded.name, backend, statsIntervalMs },
    },
    monitoringDeps(io, env),
  );
  return result.exitCode;
}
