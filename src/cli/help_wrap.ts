// SPDX-License-Identifier: GPL-2.0-only
/**
 * Wrapping of help text to the terminal. Commander re-wraps a command's description as one
 * flow, so our two-column tables (`  debugfs  lines for ...`) lost their indentation and
 * continued at column 0, and text broken by hand for one width came out ragged at another.
 * Here the hand-made breaks inside a paragraph or a table row are joined first; then each
 * line is wrapped between words, its continuation lines keeping its indentation or, for a
 * table row (`  term  text`), starting under the text.
 */
export function wrapHelpText(text: string, width: number): string {
  if (width < 20) return text;
  return joinContinuations(text.split(/\r?\n/))
    .map((line) => wrapLine(line, width))
    .join('\n');
}

const indentOf = (line: string): number => (/^\s*/.exec(line)?.[0] ?? '').length;

/** Where a line's text continues when wrapped: under a table row's text, else its indent. */
function hangOf(line: string): number {
  const row = /^(\s*\S+\s{2,})\S/.exec(line);
  return row?.[1] !== undefined ? row[1].length : indentOf(line);
}

function joinContinuations(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const prev = out[out.length - 1];
    const isContinuation =
      prev !== undefined &&
      prev.trim() !== '' &&
      line.trim() !== '' &&
      !/^\s*\$ /.test(line) &&
      !/:$/.test(prev) &&
      (indentOf(line) === 0 ? indentOf(prev) === 0 : indentOf(line) === hangOf(prev) && hangOf(prev) > indentOf(prev));
    if (isContinuation) out[out.length - 1] = `${prev} ${line.trim()}`;
    else out.push(line);
  }
  return out;
}

function wrapLine(line: string, width: number): string {
  if (line.length <= width) return line;
  const hangAt = hangOf(line);
  const hang = ' '.repeat(hangAt < width / 2 ? hangAt : indentOf(line));
  // Tokens keep the spaces before them, so a table row keeps its column gap.
  const tokens = line.match(/\s*\S+/g) ?? [];
  const out: string[] = [];
  let cur = '';
  for (const token of tokens) {
    if (cur.trim() !== '' && cur.length + token.length > width) {
      out.push(cur);
      cur = hang + token.trimStart();
    } else {
      cur += token;
    }
  }
  out.push(cur);
  return out.join('\n');
}
