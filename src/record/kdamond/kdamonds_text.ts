// SPDX-License-Identifier: GPL-2.0-only
/**
 * The kdamonds document ({"kdamonds": [...]}) as text, byte for byte as damo 3.3.0 prints
 * it: JSON indented by four spaces, or YAML in PyYAML's block style (sequences not indented
 * under their key, strings quoted only where a plain scalar would read back as another type,
 * single quotes), each followed by the newline of Python's print().
 *
 * YAML is written with the `yaml` npm package (eemeli/yaml): maintained, no dependencies,
 * YAML 1.2 with the quoting and layout options needed to match PyYAML's output, and the same
 * package parses the YAML that `start --kdamonds` reads.
 */
import { stringify } from 'yaml';

export function kdamondsJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 4)}\n`;
}

export function kdamondsYaml(doc: unknown): string {
  // lineWidth 0: PyYAML folds only past 80 columns, which no kdamonds value reaches; never fold.
  return `${stringify(doc, { indentSeq: false, singleQuote: true, lineWidth: 0 })}\n`;
}
