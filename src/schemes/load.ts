// SPDX-License-Identifier: GPL-2.0-only
/**
 * Reading schemes from a file or from the command line, in either form: damo JSON (the
 * text starts with `[` or `{`) or the one-line language.
 */
import { readFile } from 'node:fs/promises';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import { parseSchemesJson } from './damo_json.js';
import type { Scheme } from './model.js';
import { parseSchemesText } from './text.js';

export type SchemesForm = 'json' | 'text';

export function detectSchemesForm(text: string): SchemesForm {
  const first = /\S/.exec(text)?.[0];
  return first === '[' || first === '{' ? 'json' : 'text';
}

/** Parses schemes text; `name` is used in messages (a path, or `<command line>`). */
export function parseSchemes(text: string, name: string, form: SchemesForm = detectSchemesForm(text)): Scheme[] {
  return form === 'json' ? parseSchemesJson(text, name) : parseSchemesText(text, name);
}

export interface LoadedSchemes {
  schemes: Scheme[];
  form: SchemesForm;
  /** The file path, or `<command line>` for inline text. */
  name: string;
}

/**
 * Loads `arg`: a file path, or (when no such file exists and the argument looks like a
 * scheme rather than a path) the scheme text itself, as damo's `--schemes` allows.
 */
export async function loadSchemes(arg: string): Promise<LoadedSchemes> {
  let text: string;
  let name = arg;
  try {
    text = await readFile(arg, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if ((code === 'ENOENT' || code === 'ENAMETOOLONG') && looksInline(arg)) {
      text = arg;
      name = '<command line>';
    } else if (code === 'ENOENT') {
      throw new DamoError('E_NOENT', `schemes file '${arg}' does not exist`, {
        hint: "give a file, or the scheme itself in quotes, e.g. -c '4K max 0 0 5s max pageout'",
      });
    } else {
      throw new DamoError('E_IO', `cannot read schemes file '${arg}': ${errorMessage(err)}`, { cause: err });
    }
  }
  const form = detectSchemesForm(text);
  const schemes = parseSchemes(text, name, form);
  if (schemes.length === 0) {
    throw new DamoError('E_FORMAT', `${name}: no schemes (only comments or blank lines)`, {
      hint: 'a scheme line is: <min-size> <max-size> <min-access> <max-access> <min-age> <max-age> <action>',
    });
  }
  return { schemes, form, name };
}

function looksInline(arg: string): boolean {
  const t = arg.trim();
  return t.startsWith('[') || t.startsWith('{') || /\s/.test(t);
}
