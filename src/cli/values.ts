/**
 * Option value parsers shared by commands. They throw commander's InvalidArgumentError so
 * a bad value is a usage error (exit 2) that names the option.
 */
import { InvalidArgumentError } from 'commander';

export function parseInteger(value: string): number {
  const text = value.replace(/,/g, '').trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) {
    throw new InvalidArgumentError(`'${value}' is not an integer.`);
  }
  const n = text.toLowerCase().startsWith('0x') || text.toLowerCase().startsWith('-0x')
    ? Number.parseInt(text, 16)
    : Number.parseInt(text, 10);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is too large.`);
  return n;
}

export function parseNonNegativeInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError(`'${value}' must not be negative.`);
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n <= 0) throw new InvalidArgumentError(`'${value}' must be greater than zero.`);
  return n;
}

/** For variadic numeric options: commander passes (value, previous). */
export function collectIntegers(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseInteger(value)];
}
