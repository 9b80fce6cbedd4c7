// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo completion bash|zsh`: prints a shell completion script. The script is derived from
 * the commander tree at the moment it is printed (every command, subcommand, option and
 * choice list the CLI registers), so it cannot fall behind the CLI; it is static text, so
 * pressing TAB never starts node.
 */
import { Argument, type Command, type Help, type Option } from './commander.js';

import type { CommandContext } from './context.js';
import { toolVersion } from '../core/version.js';

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof COMPLETION_SHELLS)[number];

/** What completes an option's value or an argument. */
type ValueKind = { choices: readonly string[] } | 'file' | 'dir' | 'none';

interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  /** undefined: a flag without a value. */
  value?: ValueKind;
  /** The value's placeholder without brackets, e.g. 'file' for `<file>`. */
  valueName: string;
  repeatable: boolean;
}

interface ArgumentSpec {
  name: string;
  variadic: boolean;
  value: ValueKind;
}

interface CommandSpec {
  /** Words after `damo`, e.g. ['report', 'heats']; [] for damo itself. */
  path: string[];
  aliases: string[];
  summary: string;
  options: OptionSpec[];
  args: ArgumentSpec[];
  subcommands: CommandSpec[];
  /** Names and aliases of the subcommands. */
  subcommandNames: string[];
}

/**
 * An option's value placeholder (`<file>`, `<file|text>`, `<dir>`) says whether the value is a
 * path; other values (numbers, times, pids) get no completion rather than a list of files.
 */
function optionValueKind(option: Option): ValueKind {
  if (option.argChoices !== undefined) return { choices: option.argChoices };
  const words = placeholderOf(option).split('|');
  if (words.includes('dir')) return 'dir';
  if (words.includes('file')) return 'file';
  return 'none';
}

function placeholderOf(option: Option): string {
  return (/[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? 'value').replace(/\.\.\.$/, '');
}

function optionSpec(option: Option): OptionSpec {
  const spec: OptionSpec = {
    description: option.description,
    repeatable: option.variadic,
    valueName: placeholderOf(option),
  };
  if (option.short !== undefined) spec.short = option.short;
  if (option.long !== undefined) spec.long = option.long;
  if (option.required || option.optional) spec.value = optionValueKind(option);
  return spec;
}

/** Positional arguments are recordings, scheme files or a workload's command line: files. */
function argumentSpec(argument: Argument, choices?: readonly string[]): ArgumentSpec {
  const listed = choices ?? argument.argChoices;
  return { name: argument.name(), variadic: argument.variadic, value: listed !== undefined ? { choices: listed } : 'file' };
}

function commandSpec(cmd: Command, help: Help, path: string[]): CommandSpec {
  const visible = help.visibleCommands(cmd);
  const siblings = visible.filter((sub) => !isHelpCommand(cmd, sub)).flatMap((sub) => [sub.name(), ...sub.aliases()]);
  const subcommands = visible.map((sub) => {
    const spec = commandSpec(sub, help, [...path, sub.name()]);
    // commander's own `help [command]` takes the name of a sibling command.
    if (isHelpCommand(cmd, sub)) spec.args = sub.registeredArguments.map((a) => argumentSpec(a, siblings));
    return spec;
  });
  return {
    path,
    aliases: cmd.aliases(),
    summary: cmd.summary() || (cmd.description().split('\n')[0] ?? ''),
    options: help.visibleOptions(cmd).map(optionSpec),
    args: cmd.registeredArguments.map((a) => argumentSpec(a)),
    subcommands,
    subcommandNames: visible.flatMap((sub) => [sub.name(), ...sub.aliases()]),
  };
}

/** commander adds its implicit `help` command to the help output, not to `commands`. */
function isHelpCommand(parent: Command, sub: Command): boolean {
  return !parent.commands.includes(sub);
}

function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(flatten)];
}

// ---- bash ---------------------------------------------------------------------------------

/** Single-quoted for bash and zsh. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function optionWords(option: OptionSpec): string[] {
  return [option.short, option.long].filter((w): w is string => w !== undefined);
}

function bashValueCase(value: ValueKind): string {
  if (value === 'file') return `_damo_kind=file`;
  if (value === 'dir') return `_damo_kind=dir`;
  if (value === 'none') return `_damo_kind=none`;
  return `_damo_kind=choices _damo_words=${sq(value.choices.join(' '))}`;
}

function bashScript(root: CommandSpec): string {
  const all = flatten(root);
  const key = (spec: CommandSpec): string => sq(spec.path.join(' '));
  const subcommandCases = all
    .filter((spec) => spec.subcommandNames.length > 0)
    .map((spec) => `    ${key(spec)}) echo ${sq(spec.subcommandNames.join(' '))} ;;`);
  const optionCases = all.map((spec) => `    ${key(spec)}) echo ${sq(spec.options.flatMap(optionWords).join(' '))} ;;`);
  const valueCases = all.flatMap((spec) =>
    spec.options
      .filter((o) => o.value !== undefined)
      .map((o) => {
        const labels = optionWords(o).map((w) => sq(`${spec.path.join(' ')}|${w}`));
        return `    ${labels.join('|')}) ${bashValueCase(o.value as ValueKind)} ;;`;
      }),
  );
  const argumentCases = all.flatMap((spec) =>
    spec.args.map((a, i) => {
      // A variadic argument is the last one: it takes every index from its own on, and the
      // exact indices of the arguments before it come first in the case.
      const label = a.variadic ? `${sq(`${spec.path.join(' ')}|`)}*` : sq(`${spec.path.join(' ')}|${i}`);
      return `    ${label}) ${bashValueCase(a.value)} ;;`;
    }),
  );
  return `# bash completion for damo (damo-ts ${toolVersion()}), printed by \`damo completion bash\`.
# Load it with: source <(damo completion bash)
# or install it: damo completion bash > ~/.local/share/bash-completion/completions/damo

# The subcommands of a command path ('' is damo itself).
_damo_subcommands() {
  case $1 in
${subcommandCases.join('\n')}
  esac
}

# The options of a command path.
_damo_options() {
  case $1 in
${optionCases.join('\n')}
  esac
}

# Whether option $2 of command path $1 takes a value; sets _damo_kind (file, dir, none or
# choices) and, for choices, _damo_words.
_damo_option_value() {
  _damo_kind= _damo_words=
  case "$1|$2" in
${valueCases.join('\n')}
    *) return 1 ;;
  esac
}

# What positional argument number $2 (from 0) of command path $1 is; sets _damo_kind.
_damo_argument_value() {
  _damo_kind= _damo_words=
  case "$1|$2" in
${argumentCases.join('\n')}
    *) return 1 ;;
  esac
}

# Fills COMPREPLY from _damo_kind for the word $1; $2 is put before every reply.
_damo_reply_value() {
  case $_damo_kind in
    choices) COMPREPLY=( $(compgen -P "$2" -W "$_damo_words" -- "$1") ) ;;
    dir) COMPREPLY=( $(compgen -P "$2" -d -- "$1") ) ;;
    file) COMPREPLY=( $(compgen -P "$2" -f -- "$1") ); compopt -o filenames 2>/dev/null ;;
  esac
}

_damo() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path= word i=1 nr_args=0
  local -i cword=$COMP_CWORD
  local -a words=("\${COMP_WORDS[@]}")
  # Walk the words before the cursor: subcommands extend the command path, options skip
  # their values, anything else is a positional argument of the current path.
  while (( i < cword )); do
    word=\${words[i]}
    if [[ $word == -- ]]; then
      # The rest is a workload's command line: its command name, then files.
      if (( i + 1 == cword )); then COMPREPLY=( $(compgen -c -- "$cur" | sort -u) ); else COMPREPLY=( $(compgen -f -- "$cur") ); compopt -o filenames 2>/dev/null; fi
      return 0
    elif [[ $word == = ]]; then
      # --option=value split at '=' by COMP_WORDBREAKS: skip the value.
      (( i += 2 )); continue
    elif [[ $word == -* ]]; then
      if [[ $word != *=* && \${words[i+1]} != = ]] && _damo_option_value "$path" "$word"; then (( i++ )); fi
    elif [[ " $(_damo_subcommands "$path") " == *" $word "* ]] && (( nr_args == 0 )); then
      path=\${path:+$path }$word
    else
      (( nr_args++ ))
    fi
    (( i++ ))
  done

  local prev=\${words[cword-1]} option= prefix=
  if [[ $cur == = ]]; then option=$prev cur=
  elif [[ $prev == = ]] && (( cword >= 2 )); then option=\${words[cword-2]}
  elif [[ $cur == --*=* ]]; then option=\${cur%%=*} prefix=\${cur%%=*}= cur=\${cur#*=}
  elif [[ $prev == -* && $prev != *=* ]]; then option=$prev
  fi
  if [[ -n $option ]] && _damo_option_value "$path" "$option"; then
    _damo_reply_value "$cur" "$prefix"
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_damo_options "$path")" -- "$cur") )
    return 0
  fi
  local subcommands
  subcommands=$(_damo_subcommands "$path")
  if [[ -n $subcommands ]] && (( nr_args == 0 )); then
    COMPREPLY=( $(compgen -W "$subcommands" -- "$cur") )
  fi
  if _damo_argument_value "$path" "$nr_args"; then
    local -a replies=("\${COMPREPLY[@]}")
    _damo_reply_value "$cur" ""
    COMPREPLY=( "\${replies[@]}" "\${COMPREPLY[@]}" )
  fi
  return 0
}

complete -F _damo damo
`;
}

// ---- zsh ----------------------------------------------------------------------------------

function zshFunctionName(spec: CommandSpec): string {
  return ['_damo', ...spec.path].join('__').replace(/[^A-Za-z0-9_]/g, '_');
}

/** Text inside _arguments' [explanation] or a _describe entry: one line, brackets escaped. */
function zshText(s: string): string {
  return (s.split('\n')[0] ?? '').replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/:/g, '\\:');
}

function zshAction(value: ValueKind): string {
  if (value === 'file') return '_files';
  if (value === 'dir') return '_files -/';
  if (value === 'none') return ' ';
  return `(${value.choices.join(' ')})`;
}

function zshOptionSpecs(option: OptionSpec): string[] {
  const words = optionWords(option);
  const exclusion = option.repeatable || words.length < 2 ? '' : `(${words.join(' ')})`;
  const star = option.repeatable ? '*' : '';
  return words.map((word) => {
    let head = word;
    let tail = '';
    if (option.value !== undefined) {
      // -o FILE or -oFILE; --out FILE or --out=FILE.
      head += word.startsWith('--') ? '=' : '+';
      tail = `:${zshText(option.valueName)}:${zshAction(option.value)}`;
    }
    return sq(`${exclusion}${star}${head}[${zshText(option.description)}]${tail}`);
  });
}

function zshArgumentSpecs(spec: CommandSpec): string[] {
  return spec.args.map((a) => (a.variadic ? sq(`*:${zshText(a.name)}:${zshAction(a.value)}`) : sq(`:${zshText(a.name)}:${zshAction(a.value)}`)));
}

function zshFunction(spec: CommandSpec): string {
  const name = zshFunctionName(spec);
  const options = spec.options.flatMap(zshOptionSpecs);
  const title = ['damo', ...spec.path].join(' ');
  if (spec.subcommands.length === 0) {
    const lines = [...options, ...zshArgumentSpecs(spec)];
    return `${name}() {\n  _arguments -s -S \\\n    ${lines.join(' \\\n    ')}\n}\n`;
  }
  const described = spec.subcommands.map((sub) => sq(`${zshText(sub.path[sub.path.length - 1] as string)}:${zshText(sub.summary)}`));
  const dispatch = spec.subcommands.map((sub) => {
    const names = [sub.path[sub.path.length - 1] as string, ...sub.aliases].map(sq);
    return `        ${names.join('|')}) ${zshFunctionName(sub)} ;;`;
  });
  // A command with its own positional arguments (damo schemes [target...]) takes files where
  // no subcommand name fits.
  const fallback = spec.args.length > 0 ? '        *) _files ;;' : '';
  return `${name}() {
  local curcontext=$curcontext state line
  typeset -A opt_args
  _arguments -C -s -S \\
    ${[...options, sq(': :->command'), sq('*:: :->argument')].join(' \\\n    ')} && return
  case $state in
    command)
      local -a commands
      commands=(
        ${described.join('\n        ')}
      )
      _describe -t commands ${sq(`${title} command`)} commands${spec.args.length > 0 ? ' || _files' : ''} ;;
    argument)
      curcontext=\${curcontext%:*:*}:${title.replace(/ /g, '-')}-$line[1]:
      case $line[1] in
${dispatch.join('\n')}
${fallback}
      esac ;;
  esac
}
`;
}

function zshScript(root: CommandSpec): string {
  const functions = flatten(root).reverse().map(zshFunction);
  return `#compdef damo
# zsh completion for damo (damo-ts ${toolVersion()}), printed by \`damo completion zsh\`.
# Load it with: source <(damo completion zsh)   (after compinit)
# or install it as _damo in a directory of $fpath: damo completion zsh > ~/.zfunc/_damo

${functions.join('\n')}
if [[ $funcstack[1] == _damo ]]; then
  _damo "$@"
else
  compdef _damo damo
fi
`;
}

// ---- command ------------------------------------------------------------------------------

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  const root = commandSpec(program, program.createHelp(), []);
  return shell === 'bash' ? bashScript(root) : zshScript(root);
}

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command('completion')
    .summary('print a shell completion script (bash or zsh)')
    .description(
      'Print a completion script for bash or zsh that completes every damo command, subcommand,\n' +
        'option and choice value. It is generated from the command definitions, so it matches\n' +
        'the damo that printed it.',
    )
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(damo completion bash)       # this bash session
  $ damo completion bash > ~/.local/share/bash-completion/completions/damo
  $ damo completion zsh > ~/.zfunc/_damo # with fpath+=(~/.zfunc) before compinit`,
    )
    .action((shell: Shell) => {
      ctx.io.stdout.write(completionScript(program, shell));
    });
}
