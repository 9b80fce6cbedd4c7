// SPDX-License-Identifier: GPL-2.0-only
import { Option, type Command } from './commander.js';

import { COMPRESSIONS, type Compression } from '../fleet/schema.js';
import type { Label } from '../fleet/labels.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { collectLabel, parseWeight } from './values.js';

interface ExportCliOptions {
  input: string[];
  output: string;
  to: 'parquet';
  label?: Label[];
  weight: number;
  compression: Compression;
  strict?: boolean;
}

export function registerExport(program: Command, ctx: CommandContext): void {
  program
    .command('export')
    .summary('export recordings as Parquet tables for fleet queries')
    .description(
      'Write recordings into two Parquet tables, regions (one row per region per snapshot) and\n' +
        'snapshots (one row per snapshot: total, working set, DAMON_STAT idle-time percentiles),\n' +
        'partitioned by host and date under DIR (DIR/regions/host=H/date=D/*.parquet). DuckDB\n' +
        '(`damo fleet`), Spark and other Parquet readers query them; docs/FLEET.md has the schema.\n' +
        'A recording with no region writes no file.',
    )
    .requiredOption('-i, --input <file...>', 'recordings to export (any format damo-ts reads)')
    .requiredOption('-o, --output <dir>', 'directory of the tables (made if missing; files of the same recording are replaced)')
    .addOption(new Option('--to <format>', 'table format').choices(['parquet']).makeOptionMandatory())
    .option('--label <key=value>', 'a label for every row (repeatable): host, date (YYYY-MM-DD), kernel, workload, cgroup, or any other key', collectLabel)
    .option('--weight <n>', 'hosts this recording stands for, when hosts are sampled at different rates', parseWeight, 1)
    .addOption(new Option('--compression <codec>', 'Parquet compression').choices(COMPRESSIONS).default('zstd'))
    .option('--strict', 'fail on a truncated or damaged recording instead of exporting its intact frames')
    .addHelpText(
      'after',
      `
Examples:
  $ damo export -i damon.data -o fleet --to parquet --label service=web --label region=eu-west-1
  $ damo export -i host1.data host2.data -o fleet --to parquet --weight 100
  $ damo fleet wss fleet`,
    )
    .action(async (opts: ExportCliOptions) => {
      const [{ runExportCommand }, { onInterrupt }] = await Promise.all([import('../fleet/export_command.js'), import('./signals.js')]);
      const code = await runExportCommand(ctx.io, {
        inputs: opts.input,
        outDir: opts.output,
        labels: opts.label ?? [],
        weight: opts.weight,
        compression: opts.compression,
        strict: opts.strict === true,
        onInterrupt,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
