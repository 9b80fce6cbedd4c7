// SPDX-License-Identifier: GPL-2.0-only
/**
 * The commander Command every `damo` command is built from. It adds what damo's argparse
 * users expect and commander lacks:
 *
 * - options that take exactly N values (argparse's nargs=N): `--monitoring_intervals 5ms
 *   100ms 1s ./touch 1` takes three values and leaves `./touch 1` to be the target, where
 *   commander's variadic options would eat every word up to the next option;
 * - kebab-case spellings of every option (`--max-refault` for `--max_refault`), accepted
 *   but not shown in the help;
 * - an unknown option after a command target says to put `--` before the command;
 * - unique prefixes of long options (`--raw_number` for `--raw_numbers`), as argparse's
 *   allow_abbrev lets damo's users type them; an ambiguous prefix is an error naming the
 *   options it could mean.
 *
 * Arguments are rewritten before commander parses them: `--opt a b` becomes `--opt=a
 * --opt=b` (commander collects repeated values of a variadic option into one array), so
 * values that start with '-' (`--time_range -5s 10s`) are values, not options.
 */
import { Command, Option, type ParseOptionsResult } from './commander.js';

const ARITY = new WeakMap<Option, number>();
/** Options that take one or more values each time and keep each occurrence apart (argparse nargs='+' with action='append'). */
const GROUPED = new WeakSet<Option>();

/**
 * An option repeated as groups of one or more values (`--damos_action pageout --damos_action
 * migrate_hot 1`): its value is a list of groups, each the words of one occurrence, up to the
 * next option of the command.
 */
export function groupsOption(flags: string, description: string): Option {
  const option = new Option(flags, description);
  if (!option.variadic) throw new Error(`groupsOption(${flags}): the value must be variadic (<name...>)`);
  GROUPED.add(option);
  // Each occurrence arrives as one JSON-encoded group (normalizeArgs); a variadic option collects them.
  option.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? (previous as string[][]) : []), JSON.parse(value) as string[]]);
  return option;
}

/**
 * An option that takes exactly `count` values each time it is given, kept as one group per
 * occurrence (damo's `nargs=N, action='append'`): `[['5ms', '100ms', '1s'], ...]`.
 */
export function exactGroupsOption(flags: string, description: string, count: number): Option {
  const option = groupsOption(flags, description);
  ARITY.set(option, count);
  return option;
}

/** An option that takes exactly `count` values; `flags` names them as variadic (`<a_b...>`). */
export function exactOption(flags: string, description: string, count: number): Option {
  const option = new Option(flags, description);
  if (!option.variadic) throw new Error(`exactOption(${flags}): the value must be variadic (<name...>)`);
  ARITY.set(option, count);
  return option;
}

/** How many values an option takes: its exact count, or undefined for "one or more". */
export function arityOf(option: Option): number | undefined {
  return ARITY.get(option);
}

function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-');
}

export class DamoCommand extends Command {
  /** Options the last parse met after an operand (a command target's own options). */
  private optionsAfterOperand = new Set<string>();
  private firstOperand: string | undefined;

  override createCommand(name?: string): Command {
    return new DamoCommand(name);
  }

  override parseOptions(argv: string[]): ParseOptionsResult {
    return super.parseOptions(this.normalizeArgs(argv));
  }

  private ownOption(flag: string): Option | undefined {
    const found = this.options.find((o) => o.long === flag || o.short === flag);
    if (found !== undefined || !flag.startsWith('--')) return found;
    const snake = `--${flag.slice(2).replace(/-/g, '_')}`;
    const exact = this.options.find((o) => o.long === snake);
    if (exact !== undefined) return exact;
    // A command target's own options come after it: those words are never abbreviations of ours.
    if (this.firstOperand !== undefined) return undefined;
    const prefixed = this.optionsPrefixedBy(snake);
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  /** Long options that `prefix` abbreviates (argparse's allow_abbrev). */
  private optionsPrefixedBy(prefix: string): Option[] {
    if (prefix.length < 3) return [];
    return this.options.filter((o) => !o.hidden && o.long !== undefined && o.long.startsWith(prefix));
  }

  private stopsValues(arg: string): boolean {
    return arg === '--' || arg === '-h' || arg === '--help' || this.ownOption(arg.split('=')[0] as string) !== undefined;
  }

  private normalizeArgs(args: string[]): string[] {
    const out: string[] = [];
    this.optionsAfterOperand = new Set();
    this.firstOperand = undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (arg === '--') {
        out.push(...args.slice(i));
        break;
      }
      if (!looksLikeOption(arg)) {
        out.push(arg);
        if (this.commands.some((c) => c.name() === arg || c.aliases().includes(arg))) {
          // A subcommand parses the rest itself.
          out.push(...args.slice(i + 1));
          break;
        }
        this.firstOperand ??= arg;
        continue;
      }
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const flag = eq > 0 ? arg.slice(0, eq) : arg;
      const option = this.ownOption(flag);
      if (option === undefined) {
        if (this.firstOperand === undefined && flag.startsWith('--')) this.refuseAmbiguous(flag);
        if (this.firstOperand !== undefined) this.optionsAfterOperand.add(flag);
        out.push(arg);
        continue;
      }
      const name = option.long ?? flag;
      const count = ARITY.get(option);
      if (GROUPED.has(option)) {
        const words: string[] = eq > 0 ? [arg.slice(eq + 1)] : [];
        const most = count ?? Number.POSITIVE_INFINITY;
        while (words.length < most && i + 1 < args.length && !this.stopsValues(args[i + 1] as string)) words.push(args[++i] as string);
        // No value at all: commander reports the missing argument.
        out.push(words.length === 0 ? name : `${name}=${JSON.stringify(words)}`);
      } else if (eq > 0) {
        out.push(`${name}=${arg.slice(eq + 1)}`);
      } else if (count !== undefined) {
        let taken = 0;
        while (taken < count && i + 1 < args.length && !this.stopsValues(args[i + 1] as string)) {
          out.push(`${name}=${args[++i] as string}`);
          taken++;
        }
        // No value at all: commander reports the missing argument.
        if (taken === 0) out.push(name);
      } else {
        out.push(option.long !== undefined && flag.startsWith('--') ? option.long : flag);
        if (option.required && i + 1 < args.length) out.push(args[++i] as string);
      }
    }
    return out;
  }

  private refuseAmbiguous(flag: string): void {
    const matches = this.optionsPrefixedBy(`--${flag.slice(2).replace(/-/g, '_')}`);
    if (matches.length < 2) return;
    this.error(`error: ambiguous option '${flag}' could match ${matches.map((o) => o.long as string).join(', ')}; type more of its name`, {
      code: 'commander.unknownOption',
    });
  }

  /** Commander's hook for an unknown option (not in its type definitions). */
  unknownOption(flag: string): void {
    if (this.registeredArguments.length > 0 && this.optionsAfterOperand.has(flag) && this.firstOperand !== undefined) {
      this.error(
        `error: unknown option '${flag}' after '${this.firstOperand}'; if it belongs to the command, ` +
          `put '--' before the command: damo ${commandPath(this)} [options] -- ${this.firstOperand} ... ${flag}`,
        { code: 'commander.unknownOption' },
      );
    }
    (Command.prototype as unknown as { unknownOption(this: Command, f: string): void }).unknownOption.call(this, flag);
  }
}

/** 'report heats' for the heats command. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
