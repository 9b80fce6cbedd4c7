/**
 * A small JSON parser that remembers where every value starts, so that scheme errors can
 * name the line and column of the offending field (JSON.parse only reports syntax errors,
 * and only by offset). Numbers keep their source text: kernel ids and ULONG_MAX exceed 2^53.
 */
import { DamoError } from '../core/errors.js';

export interface Pos {
  line: number;
  column: number;
}

export type JsonNode =
  | (Pos & { kind: 'object'; entries: Array<{ key: string; keyPos: Pos; value: JsonNode }> })
  | (Pos & { kind: 'array'; items: JsonNode[] })
  | (Pos & { kind: 'string'; value: string })
  | (Pos & { kind: 'number'; value: number; text: string })
  | (Pos & { kind: 'bool'; value: boolean })
  | (Pos & { kind: 'null' });

export function parseJsonWithPositions(text: string, file: string): JsonNode {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): Pos => ({ line, column: i - lineStart + 1 });
  const fail = (what: string): never => {
    const p = pos();
    throw new DamoError('E_FORMAT', `${file}:${p.line}:${p.column}: invalid JSON: ${what}`);
  };
  const skipWs = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        i++;
        line++;
        lineStart = i;
      } else if (c === 32 || c === 9 || c === 13) {
        i++;
      } else {
        break;
      }
    }
  };
  const parseString = (): string => {
    // i is at the opening quote
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i] ?? '';
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n') fail('newline inside a string');
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        i += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            i -= 1;
            fail(`bad escape '\\${e}'`);
        }
        continue;
      }
      out += c;
      i++;
    }
  };
  const parseValue = (depth: number): JsonNode => {
    if (depth > 200) fail('nesting too deep');
    skipWs();
    const p = pos();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<{ key: string; keyPos: Pos; value: JsonNode }> = [];
      skipWs();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries, ...p };
      }
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail('expected a "key"');
        const keyPos = pos();
        const key = parseString();
        skipWs();
        if (text[i] !== ':') fail("expected ':' after the key");
        i++;
        const value = parseValue(depth + 1);
        entries.push({ key, keyPos, value });
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries, ...p };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items, ...p };
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items, ...p };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'string', value: parseString(), ...p };
    const rest = text.slice(i, i + 5);
    if (rest.startsWith('true')) {
      i += 4;
      return { kind: 'bool', value: true, ...p };
    }
    if (rest.startsWith('false')) {
      i += 5;
      return { kind: 'bool', value: false, ...p };
    }
    if (rest.startsWith('null')) {
      i += 4;
      return { kind: 'null', ...p };
    }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const num = m.exec(text);
    if (num !== null && num[0] !== '') {
      i += num[0].length;
      return { kind: 'number', value: Number(num[0]), text: num[0], ...p };
    }
    return fail(i >= text.length ? 'unexpected end of input' : `unexpected '${text[i] ?? ''}'`);
  };
  const root = parseValue(0);
  skipWs();
  if (i < text.length) fail('unexpected text after the JSON value');
  return root;
}
