// SPDX-License-Identifier: GPL-2.0-only
/**
 * Entry point of the `damo` command line. `main(argv, io)` is importable so tests can run
 * commands in-process; bin.cts wires it to the real process.
 *
 * Exit codes: 0 success, 1 runtime error, 2 usage error, 130 interrupted (SIGINT),
 * 143 terminated (SIGTERM). Results go to stdout; notes, warnings and errors to stderr.
 */
import { CommanderError, type Command } from './commander.js';

import { DamoError, errorMessage } from '../core/errors.js';
import { dimension, FALLBACK_COLUMNS } from '../core/terminal.js';
import { toolVersion } from '../core/version.js';
import { wrapHelpText } from './help_wrap.js';
import { registerCommands } from './commands.js';
import type { CommandContext } from './context.js';
import { commandPath, DamoCommand } from './damo_command.js';
import { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, ExitCode } from './exit_code.js';
import { processIO, StdoutClosed, type CliIO } from '../core/io.js';

/**
 * The `damo` program with the commands the command line `argv` needs (registry.ts); without
 * `argv`, every command (help, man page, completion and tests walk the whole tree).
 */
export async function buildProgram(io: CliIO, argv?: readonly string[]): Promise<Command> {
  const program = new DamoCommand('damo');
  const ctx: CommandContext = {
    io,
    debug: () => program.opts<{ debug?: boolean }>().debug === true,
  };
  program
    .description(
      'Record how a workload accesses its memory (kernel DAMON or a user-space DAMON engine) ' +
        'and turn recordings into reports, heatmaps and memory-management decisions.',
    )
    .version(toolVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'print stack traces and internal details on errors')
    .configureHelp({ boxWrap: (text, width) => wrapHelpText(text, width), minWidthToWrap: 20 })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // A terminal that reports 0 columns (a pty of size 0x0) gets the 80-column fallback.
      getOutHelpWidth: () => dimension(io.stdoutIsTTY ? io.columns : undefined, FALLBACK_COLUMNS),
      getErrHelpWidth: () => FALLBACK_COLUMNS,
      // Commander's own messages start with 'error: '; ours all start with 'damo: '.
      outputError: (s, write) => write(s.replace(/^error: /, 'damo: ')),
    })
    // A command's options are parsed by that command only: `damo schemes -c F ...` has
    // options of its own while its subcommands (convert, tune) reuse some of the names.
    .enablePositionalOptions()
    .exitOverride();
  await registerCommands(program, ctx, argv);
  forEachCommand(program, (c) => c.showHelpAfterError(`damo: run 'damo${c === program ? '' : ` ${commandPath(c)}`} --help' for usage`));
  program.addHelpText(
    'after',
    `
Examples:
  $ damo record -o damon.data -- ./my-workload --its-args
  $ damo report heats -i damon.data --heatmap heat.png
  $ damo report wss -i damon.data
  $ damo report raw -i damon.data | less`,
  );
  return program;
}

export function forEachCommand(cmd: Command, visit: (c: Command) => void): void {
  visit(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, visit);
}

/**
 * `damo help report heats` is `damo report heats --help`: commander's help command looks
 * only one level down.
 */
export function expandHelp(argv: string[]): string[] {
  const at = argv[0] === '--debug' ? 1 : 0;
  if (argv[at] !== 'help') return argv;
  return [...argv.slice(0, at), ...argv.slice(at + 1), '--help'];
}

/**
 * `--debug` is the program's option, but users put it anywhere (`damo record ... --debug`);
 * with positional options it must come before the command, so move it there. Arguments
 * after `--` belong to the workload and are left alone.
 */
export function hoistDebug(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (!head.includes('--debug')) return argv;
  return ['--debug', ...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
}

/** Runs one command line (without the node and script arguments); resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  argv = expandHelp(hoistDebug(argv));
  const program = await buildProgram(io, argv);
  const debug = (): boolean => argv[0] === '--debug';
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    return exitCodeFor(err, io, debug());
  }
}

function exitCodeFor(err: unknown, io: CliIO, debug: boolean): number {
  if (err instanceof ExitCode) return err.exitCode;
  if (err instanceof StdoutClosed) return EXIT_OK;
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
    // Commander already printed the message (and help) to stderr.
    return EXIT_USAGE;
  }
  if (err instanceof DamoError) {
    io.stderr.write(`damo: ${err.message}\n`);
    if (err.hint !== undefined) io.stderr.write(`damo: ${err.hint}\n`);
    if (debug && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
    return err.code === 'E_USAGE' ? EXIT_USAGE : EXIT_RUNTIME;
  }
  io.stderr.write(`damo: internal error: ${errorMessage(err)}\n`);
  if (debug && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
  else io.stderr.write('damo: (run with --debug for the stack trace; please report this as a bug)\n');
  return EXIT_RUNTIME;
}
