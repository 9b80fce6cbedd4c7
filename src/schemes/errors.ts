// SPDX-License-Identifier: GPL-2.0-only
import { DamoError } from '../core/errors.js';
import { ValueFormError } from './units.js';

/** Where a value was read from: `file:line:column` plus the name of the field. */
export interface FieldLocation {
  file: string;
  line: number;
  column: number;
  field: string;
}

export function locationText(loc: { file: string; line: number; column: number }): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** A scheme input error naming the place, the field, the problem and what is accepted. */
export function schemeInputError(loc: FieldLocation, problem: string, accepted?: string): DamoError {
  const message = `${locationText(loc)}: ${loc.field}: ${problem}`;
  return new DamoError('E_FORMAT', message, accepted === undefined ? {} : { hint: `accepted: ${accepted}` });
}

/** Runs a value parser and turns its ValueFormError into a located scheme input error. */
export function atField<T>(loc: FieldLocation, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ValueFormError) throw schemeInputError(loc, err.message, err.accepted);
    throw err;
  }
}
