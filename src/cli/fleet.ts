// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { parsePositiveInteger, parseTimeUs } from './values.js';

interface JsonOption {
  json?: boolean;
}

const MIN_IDLE_DEFAULT = '5s';

export function registerFleet(program: Command, ctx: CommandContext): void {
  const fleet = program
    .command('fleet')
    .summary('query exported fleet tables with SQL (DuckDB embedded)')
    .description(
      'Query the Parquet tables `damo export` writes, from one or many directories (a directory\n' +
        'may be a glob such as /data/fleet/*), with DuckDB running in-process. The views regions\n' +
        'and snapshots hold every row, with host and date from the partition paths (docs/FLEET.md).',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ damo export -i damon.data -o fleet --label host=web1 --label date=2026-12-04
  $ damo fleet wss fleet
  $ damo fleet query "SELECT host, max(wss_bytes) FROM snapshots GROUP BY host" 'fleet*'`,
    );

  fleet
    .command('query')
    .description('run SQL over the views regions and snapshots')
    .argument('<sql>', 'the query (DuckDB SQL)')
    .argument('<dir...>', 'export directories')
    .option('--json', 'print the rows as a JSON array of objects')
    .option('--max_rows <n>', 'rows to show as text (--json prints all)', parsePositiveInteger, 1000)
    .addHelpText(
      'after',
      `
Examples:
  $ damo fleet query "SELECT host, avg(wss_bytes) FROM snapshots GROUP BY host" fleet
  $ damo fleet query --json "SELECT count(*) AS nr_regions FROM regions" fleet`,
    )
    .action(async (sql: string, dirs: string[], opts: JsonOption & { max_rows: number }) => {
      const { runFleetQueryCommand } = await import('../fleet/fleet_command.js');
      done(await runFleetQueryCommand(ctx.io, { sql, dirs, json: opts.json === true, maxRows: opts.max_rows }));
    });

  fleet
    .command('wss')
    .description('the distribution of working set sizes over the recordings of the fleet')
    .argument('<dir...>', 'export directories')
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ damo fleet wss fleet
  $ damo fleet wss --json fleet-a fleet-b`,
    )
    .action(async (dirs: string[], opts: JsonOption) => {
      const { runFleetWssCommand } = await import('../fleet/fleet_command.js');
      done(await runFleetWssCommand(ctx.io, { dirs, json: opts.json === true }));
    });

  fleet
    .command('cold')
    .description('cold memory (idle for --min_idle or more) by a label, with its tail over recordings')
    .argument('<dir...>', 'export directories')
    .option('--by <label>', 'group by this label: host, date, kernel, workload, cgroup, source, or a --label key', 'workload')
    .option('--min_idle <time>', 'memory not accessed for this long is cold (5s, 2m, ...)', parseTimeUs, parseTimeUs(MIN_IDLE_DEFAULT))
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ damo fleet cold fleet
  $ damo fleet cold --by host --min_idle 30s fleet`,
    )
    .action(async (dirs: string[], opts: JsonOption & { by: string; min_idle: number }) => {
      const { runFleetColdCommand } = await import('../fleet/fleet_command.js');
      done(await runFleetColdCommand(ctx.io, { dirs, json: opts.json === true, by: opts.by, minIdleUs: opts.min_idle }));
    });

  fleet
    .command('top')
    .description('the hosts with the most cold memory')
    .argument('<dir...>', 'export directories')
    .option('--min_idle <time>', 'memory not accessed for this long is cold (5s, 2m, ...)', parseTimeUs, parseTimeUs(MIN_IDLE_DEFAULT))
    .option('-n, --limit <n>', 'hosts to show', parsePositiveInteger, 10)
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ damo fleet top fleet
  $ damo fleet top -n 20 --min_idle 2m fleet`,
    )
    .action(async (dirs: string[], opts: JsonOption & { min_idle: number; limit: number }) => {
      const { runFleetTopCommand } = await import('../fleet/fleet_command.js');
      done(await runFleetTopCommand(ctx.io, { dirs, json: opts.json === true, minIdleUs: opts.min_idle, limit: opts.limit }));
    });
}

function done(code: number): void {
  if (code !== 0) throw new ExitCode(code);
}
