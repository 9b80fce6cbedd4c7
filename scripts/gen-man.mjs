// SPDX-License-Identifier: GPL-2.0-only
// Writes the man page damo(1) to dist/man/damo.1 from the built CLI's own command tree:
// every command and subcommand with its usage, description, arguments, options and the
// extra help text (targets, examples) that `--help` prints. Run after build:ts; because
// the page is made from the same definitions as --help, it cannot say something else.
//
// The date on the page is SOURCE_DATE_EPOCH when set (reproducible builds), else today.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildProgram } = await import(pathToFileURL(join(root, 'dist/src/cli/main.js')).href);
const { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE } = await import(pathToFileURL(join(root, 'dist/src/cli/exit_code.js')).href);
const { SIGNAL_EXIT_CODES } = await import(pathToFileURL(join(root, 'dist/src/core/interrupts.js')).href);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outPath = process.argv[2] ?? join(root, 'dist/man/damo.1');

// Help goes to this buffer: outputHelp() writes through the configured output, which every
// subcommand inherited from the program when it was created.
let captured = '';
const sink = { write: (s) => { captured += s; return true; } };
const program = await buildProgram({ stdout: sink, stderr: sink, env: {}, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined });

/** Text for roff: backslashes and minus signs escaped, no line starting with a control character. */
function esc(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** `-o, --out <file>` with the option names in bold and the value placeholder in italics. */
function term(flags) {
  return flags
    .split(/(\s+|,)/)
    .map((part) => {
      if (/^-/.test(part)) return `\\fB${esc(part)}\\fR`;
      if (/^[<[]/.test(part)) return `\\fI${esc(part)}\\fR`;
      return esc(part);
    })
    .join('');
}

/**
 * Descriptions are written for an 80-column terminal. Lines at the left margin are running
 * text (joined and filled by the formatter); indented lines are tables or syntax and are
 * kept as they are.
 */
function paragraphs(text) {
  const out = [];
  for (const para of text.trim().split(/\n\s*\n/)) {
    out.push('.PP');
    let fill = [];
    let verbatim = [];
    const flush = () => {
      if (fill.length > 0) out.push(esc(fill.join(' ')));
      if (verbatim.length > 0) out.push('.RS 2', '.nf', esc(verbatim.join('\n')), '.fi', '.RE');
      fill = [];
      verbatim = [];
    };
    for (const line of para.split('\n')) {
      if (/^\s/.test(line)) {
        if (fill.length > 0) flush();
        verbatim.push(line.replace(/^ {2}/, ''));
      } else {
        if (verbatim.length > 0) flush();
        fill.push(line.trim());
      }
    }
    flush();
  }
  return out;
}

/** The text that addHelpText() puts before and after a command's generated help. */
function extraHelp(cmd) {
  captured = '';
  cmd.outputHelp();
  const full = captured;
  const info = cmd.helpInformation();
  const at = full.indexOf(info);
  if (at < 0) throw new Error(`gen-man: cannot find the help of '${cmd.name()}' in its output`);
  return (full.slice(0, at) + full.slice(at + info.length)).trim();
}

function commandPath(cmd) {
  const names = [];
  for (let c = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function commandSection(cmd, help, heading) {
  const lines = [heading];
  const usage = help.commandUsage(cmd);
  lines.push('.PP', `\\fB${esc(commandPath(cmd))}\\fR ${esc(usage.split(' ').slice(commandPath(cmd).split(' ').length).join(' '))}`);
  lines.push(...paragraphs(help.commandDescription(cmd)));
  const args = help.visibleArguments(cmd);
  if (args.length > 0) {
    lines.push('.PP', '\\fBArguments:\\fR');
    for (const a of args) lines.push('.TP', `\\fI${esc(help.argumentTerm(a))}\\fR`, esc(help.argumentDescription(a)));
  }
  const options = help.visibleOptions(cmd);
  if (options.length > 0) {
    lines.push('.PP', '\\fBOptions:\\fR');
    for (const o of options) lines.push('.TP', term(help.optionTerm(o)), esc(help.optionDescription(o)));
  }
  const subs = help.visibleCommands(cmd);
  if (subs.length > 0) {
    lines.push('.PP', '\\fBCommands:\\fR');
    for (const s of subs) lines.push('.TP', `\\fB${esc(s.name())}\\fR`, esc(help.subcommandDescription(s)));
  }
  const extra = extraHelp(cmd);
  if (extra !== '') lines.push('.PP', '.nf', esc(extra), '.fi');
  return lines;
}

function allCommands(cmd) {
  return cmd.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

const help = program.createHelp();
const epoch = process.env.SOURCE_DATE_EPOCH;
const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().slice(0, 10);
const page = [
  `.\\" Generated by scripts/gen-man.mjs from the command definitions of damo-ts ${version}; do not edit.`,
  `.TH DAMO 1 ${date} "damo-ts ${version}" "User Commands"`,
  // No hyphenation or justification: option names and paths must not be split or stretched.
  '.nh',
  '.ad l',
  '.SH NAME',
  `damo \\- ${esc(program.description().replace(/\.$/, ''))}`,
  '.SH SYNOPSIS',
  ...help.visibleCommands(program)
    .filter((c) => program.commands.includes(c))
    .map((c) => `.br\n\\fBdamo ${esc(c.name())}\\fR ${esc(help.commandUsage(c).split(' ').slice(2).join(' '))}`),
  '.br',
  '\\fBdamo\\fR [\\fB\\-V\\fR | \\fB\\-\\-version\\fR] [\\fB\\-h\\fR | \\fB\\-\\-help\\fR]',
  '.SH DESCRIPTION',
  // The program's section without its heading and usage line (the synopsis has them).
  ...commandSection(program, help, '').slice(3),
  '.SH COMMANDS',
  'Every command prints this text with \\fB\\-\\-help\\fR.',
  ...allCommands(program).flatMap((cmd) => commandSection(cmd, help, `.SS "${esc(commandPath(cmd))}"`)),
  '.SH EXIT STATUS',
  '.TP', `${EXIT_OK}`, 'success',
  '.TP', `${EXIT_RUNTIME}`, 'runtime error: one line \\fBdamo: \\fIwhat went wrong\\fR on standard error, then what to do',
  '.TP', `${EXIT_USAGE}`, 'usage error (unknown command or option, bad value)',
  ...Object.entries(SIGNAL_EXIT_CODES)
    .sort((a, b) => a[1] - b[1])
    .flatMap(([signal, code]) => ['.TP', `${code}`, `ended by ${signal}; a recording is complete up to that moment`]),
  '.PP',
  'Results go to standard output; notes, warnings and errors to standard error.',
  '.SH SEE ALSO',
  'The documentation of DAMON: https://docs.kernel.org/admin\\-guide/mm/damon/',
  '.br',
  'The Python damo, whose commands and formats damo\\-ts follows: https://github.com/damonitor/damo',
  '',
].join('\n');

mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, page);
console.error(`gen:man: wrote ${outPath}`);
