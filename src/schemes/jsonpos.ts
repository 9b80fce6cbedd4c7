// SPDX-License-Identifier: GPL-2.0-only
/**
 * A JSON parser that remembers where every value starts, so that scheme errors can name the
 * line and column of the offending field (JSON.parse only reports syntax errors, and only by
 * offset). Numbers keep their source text: kernel ids and ULONG_MAX exceed 2^53.
 *
 * Strings, numbers and literals are read by the same tokenizer as damo's record files
 * (format/json_tokenizer.ts), given the whole text as one buffer; this module only builds the tree
 * with positions and turns byte offsets into lines and columns.
 */
import { DamoError } from '../core/errors.js';
import { JsonShapeError, JsonTokenizer, NEED_MORE } from '../format/json_tokenizer.js';

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

const C_QUOTE = 0x22;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;
const C_LBRACKET = 0x5b;
const C_RBRACKET = 0x5d;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_MINUS = 0x2d;

const MAX_DEPTH = 200;

class PositionedJsonParser extends JsonTokenizer {
  // Line and column of byte `cursorOff`; positions are asked for mostly in increasing order.
  private cursorOff = 0;
  private cursorLine = 1;
  private cursorColumn = 1;

  /** The whole text is one buffer: there is never a next chunk to wait for. */
  protected step(): boolean {
    return false;
  }

  /** Parses the whole text; errors are JsonShapeError with the byte offset. */
  parseAll(bytes: Uint8Array): JsonNode {
    this.setBuffer(bytes, 0);
    this.final = true;
    let root: JsonNode;
    try {
      root = this.value(0);
    } catch (e) {
      if (e === NEED_MORE) throw this.err('unexpected end of input', this.end);
      throw e;
    }
    this.skipWs();
    if (this.pos < this.end) throw this.err('unexpected text after the JSON value');
    return root;
  }

  /** Line and column (in UTF-16 units, like an editor) of byte `off` of the text. */
  posAt(off: number): Pos {
    if (off < this.cursorOff) {
      this.cursorOff = 0;
      this.cursorLine = 1;
      this.cursorColumn = 1;
    }
    const b = this.buf;
    for (let p = this.cursorOff; p < off && p < b.length; p++) {
      const c = b[p] as number;
      if (c === 0x0a) {
        this.cursorLine++;
        this.cursorColumn = 1;
      } else if ((c & 0xc0) !== 0x80) {
        // A character starts here; four-byte sequences are two UTF-16 units.
        this.cursorColumn += c >= 0xf0 ? 2 : 1;
      }
    }
    this.cursorOff = off;
    return { line: this.cursorLine, column: this.cursorColumn };
  }

  private here(): Pos {
    return this.posAt(this.base + this.pos);
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) throw this.err('nesting too deep');
    const c = this.peek();
    const p = this.here();
    if (c === C_LBRACE) {
      this.pos++;
      const entries: Array<{ key: string; keyPos: Pos; value: JsonNode }> = [];
      if (this.peek() === C_RBRACE) {
        this.pos++;
        return { kind: 'object', entries, ...p };
      }
      for (;;) {
        if (this.peek() !== C_QUOTE) throw this.err('expected a "key"');
        const keyPos = this.here();
        const key = this.parseString();
        if (this.peek() !== C_COLON) throw this.err("expected ':' after the key");
        this.pos++;
        entries.push({ key, keyPos, value: this.value(depth + 1) });
        if (this.listEnd(C_RBRACE)) return { kind: 'object', entries, ...p };
      }
    }
    if (c === C_LBRACKET) {
      this.pos++;
      const items: JsonNode[] = [];
      if (this.peek() === C_RBRACKET) {
        this.pos++;
        return { kind: 'array', items, ...p };
      }
      for (;;) {
        items.push(this.value(depth + 1));
        if (this.listEnd(C_RBRACKET)) return { kind: 'array', items, ...p };
      }
    }
    if (c === C_QUOTE) return { kind: 'string', value: this.parseString(), ...p };
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) {
      const text = this.parseNumberText();
      return { kind: 'number', value: Number(text), text, ...p };
    }
    if (c !== 0x6e && c !== 0x74 && c !== 0x66) throw this.err(`unexpected '${String.fromCharCode(c)}'`);
    const v = this.parseLiteral();
    return v === null ? { kind: 'null', ...p } : { kind: 'bool', value: v, ...p };
  }

  /** Consumes ',' (false) or `close` (true). */
  private listEnd(close: number): boolean {
    const c = this.peek();
    if (c === C_COMMA) {
      this.pos++;
      return false;
    }
    if (c === close) {
      this.pos++;
      return true;
    }
    throw this.err(`expected ',' or '${String.fromCharCode(close)}'`);
  }
}

export function parseJsonWithPositions(text: string, file: string): JsonNode {
  const parser = new PositionedJsonParser();
  try {
    return parser.parseAll(new TextEncoder().encode(text));
  } catch (e) {
    if (!(e instanceof JsonShapeError)) throw e;
    const p = parser.posAt(e.offset);
    throw new DamoError('E_FORMAT', `${file}:${p.line}:${p.column}: invalid JSON: ${e.message}`);
  }
}
