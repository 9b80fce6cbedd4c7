// SPDX-License-Identifier: GPL-2.0-only
/**
 * Regions of damo's record files, the bulk of them (about 460 bytes of indented JSON per
 * region): { start, end, nr_accesses: {samples, percent}, age: {usec, aggr_intervals},
 * sz_filter_passed, probe_hits }. Keys may come in any order and values as JSON numbers or
 * damo's human strings ("94,827,419,009,024", "143.027 MiB", "1 s 500 ms"); keys are
 * matched and common values decoded straight from the bytes, without creating strings.
 * damo's exact layout first goes through the template (json_region_template.ts).
 */
import { ULONG_MAX_F } from '../../core/damon_constants.js';
import { errorMessage } from '../../core/errors.js';
import { textToBytes, textToNr, textToPercent, textToUs, TextParseError } from '../../core/fmt.js';
import type { Intervals } from '../../core/model.js';
import { NEED_MORE, u32 } from '../json_tokenizer.js';
import { RegionTemplateReader } from './json_region_template.js';

const C_QUOTE = 0x22;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_MINUS = 0x2d;

// The known keys' first bytes, compared four at a time.
const W_STAR = u32('star');
const W_T_Q = u32('t"');
const W_END_Q = u32('end"');
const W_AGE_Q = u32('age"');
const W_NR_A = u32('nr_a');
const W_CCES = u32('cces');
const W_SES_Q = u32('ses"');
const W_SAMP = u32('samp');
const W_LES_Q = u32('les"');
const W_PERC = u32('perc');
const W_ENT_Q = u32('ent"');
const W_USEC = u32('usec');
const W_AGGR = u32('aggr');
const W__INT = u32('_int');
const W_ERVA = u32('erva');
const W_LS_Q = u32('ls"');
const W_SZ_F = u32('sz_f');
const W_ILTE = u32('ilte');
const W_R_PA = u32('r_pa');
const W_SSED = u32('ssed');
const W_PROB = u32('prob');
const W_E_HI = u32('e_hi');
const W_TS_Q = u32('ts"');

const RK_OTHER = 0;
const RK_START = 1;
const RK_END = 2;
const RK_NR_ACCESSES = 3;
const RK_AGE = 4;
const RK_SZ_FILTER_PASSED = 5;
const RK_SAMPLES = 6;
const RK_PERCENT = 7;
const RK_USEC = 8;
const RK_AGGR_INTERVALS = 9;
/** Known but unused (damo 3.x): skipped without decoding the key. */
const RK_PROBE_HITS = 10;
const REGION_KEYS = new Map<string, number>([
  ['samples', RK_SAMPLES],
  ['percent', RK_PERCENT],
  ['usec', RK_USEC],
  ['aggr_intervals', RK_AGGR_INTERVALS],
  ['start', RK_START],
  ['end', RK_END],
  ['nr_accesses', RK_NR_ACCESSES],
  ['age', RK_AGE],
  ['sz_filter_passed', RK_SZ_FILTER_PASSED],
]);

export abstract class DamoRegionReader extends RegionTemplateReader {
  /** The record's intervals, for regions that give nr_accesses in percent or age in us. */
  intervals: Intervals | null = null;

  protected parseRegion(): void {
    if (this.peek() !== C_LBRACE) throw this.err('each region must be a JSON object');
    if (this.templateRegion()) return;
    const at = this.pos;
    this.pos++;
    let start = NaN;
    let end = NaN;
    let samples = NaN;
    let percent = NaN;
    let hasNrAccesses = false;
    let age = -1;
    let ageUsec = NaN;
    let szFilterPassed = NaN;
    if (this.peek() === C_RBRACE) {
      this.pos++;
    } else {
      for (;;) {
        const k = this.regionKey();
        switch (k) {
          case RK_START:
            start = this.sizeValue('start');
            break;
          case RK_END:
            end = this.sizeValue('end');
            break;
          case RK_NR_ACCESSES: {
            hasNrAccesses = true;
            const c = this.peek();
            if (c === C_LBRACE) {
              this.pos++;
              if (this.peek() === C_RBRACE) this.pos++;
              else {
                for (;;) {
                  const sub = this.regionKey();
                  if (sub === RK_SAMPLES) samples = this.nrValue('nr_accesses.samples', textToNr);
                  else if (sub === RK_PERCENT) percent = this.nrValue('nr_accesses.percent', textToPercent);
                  else this.skipValue();
                  if (this.closeOrComma(C_RBRACE, 'nr_accesses')) break;
                }
              }
            } else this.nullValue("a region's 'nr_accesses' must be an object or null");
            break;
          }
          case RK_AGE: {
            const c = this.peek();
            if (c === C_LBRACE) {
              this.pos++;
              if (this.peek() === C_RBRACE) this.pos++;
              else {
                for (;;) {
                  const sub = this.regionKey();
                  if (sub === RK_AGGR_INTERVALS) {
                    const v = this.nrValue('age.aggr_intervals', textToNr);
                    if (!Number.isNaN(v)) age = v;
                  } else if (sub === RK_USEC) ageUsec = this.nrValue('age.usec', textToUs);
                  else this.skipValue();
                  if (this.closeOrComma(C_RBRACE, 'age')) break;
                }
              }
            } else this.nullValue("a region's 'age' must be an object or null");
            break;
          }
          case RK_SZ_FILTER_PASSED:
            szFilterPassed = this.sizeValue('sz_filter_passed', true);
            break;
          default:
            this.skipValue();
        }
        if (this.closeOrComma(C_RBRACE, 'region')) break;
      }
    }
    if (Number.isNaN(start) || Number.isNaN(end)) {
      throw this.err("a region needs both 'start' and 'end'", at);
    }
    if (Number.isNaN(samples)) {
      const iv = this.intervals;
      if (!Number.isNaN(percent) && iv !== null && iv.sampleUs > 0) {
        // damo's add_unset_unit: samples = int(percent * (aggr / sample) / 100)
        samples = Math.trunc((percent * (iv.aggrUs / iv.sampleUs)) / 100);
      } else if (hasNrAccesses) {
        throw this.err("a region's nr_accesses has no 'samples' (and no 'percent' with known intervals)", at);
      } else {
        throw this.err("a region has no 'nr_accesses'", at);
      }
    }
    if (age === -1 && !Number.isNaN(ageUsec) && this.intervals !== null && this.intervals.aggrUs > 0) {
      age = Math.trunc(ageUsec / this.intervals.aggrUs);
    }
    const acc = this.regions;
    if (!Number.isNaN(szFilterPassed)) acc.hasSzFilterPassed = true;
    acc.push(start, end, samples, age, Number.isNaN(szFilterPassed) ? 0 : szFilterPassed);
  }

  protected nullValue(message: string): void {
    const v = this.parseValue();
    if (v !== null) throw this.err(message);
  }

  /**
   * Reads a key of a region (or of its nr_accesses/age objects) and the ':' after it,
   * returning one of the RK_* codes without creating a string.
   */
  protected regionKey(): number {
    if (this.peek() !== C_QUOTE) throw this.err('expected a quoted key');
    const s = this.pos + 1;
    // Known keys are compared four bytes at a time, closing quote included.
    if (s + 20 <= this.end) {
      const dv = this.view;
      const w0 = dv.getUint32(s, true);
      let code = RK_OTHER;
      let len = 0;
      if (w0 === W_STAR) {
        if ((dv.getUint16(s + 4, true) & 0xffff) === W_T_Q) {
          code = RK_START;
          len = 5;
        }
      } else if (w0 === W_END_Q) {
        code = RK_END;
        len = 3;
      } else if (w0 === W_AGE_Q) {
        code = RK_AGE;
        len = 3;
      } else if (w0 === W_NR_A) {
        if (dv.getUint32(s + 4, true) === W_CCES && dv.getUint32(s + 8, true) === W_SES_Q) {
          code = RK_NR_ACCESSES;
          len = 11;
        }
      } else if (w0 === W_SAMP) {
        if (dv.getUint32(s + 4, true) === W_LES_Q) {
          code = RK_SAMPLES;
          len = 7;
        }
      } else if (w0 === W_PERC) {
        if (dv.getUint32(s + 4, true) === W_ENT_Q) {
          code = RK_PERCENT;
          len = 7;
        }
      } else if (w0 === W_USEC) {
        if (this.buf[s + 4] === C_QUOTE) {
          code = RK_USEC;
          len = 4;
        }
      } else if (w0 === W_AGGR) {
        if (dv.getUint32(s + 4, true) === W__INT && dv.getUint32(s + 8, true) === W_ERVA && (dv.getUint32(s + 12, true) & 0xffffff) === W_LS_Q) {
          code = RK_AGGR_INTERVALS;
          len = 14;
        }
      } else if (w0 === W_SZ_F) {
        if (
          dv.getUint32(s + 4, true) === W_ILTE &&
          dv.getUint32(s + 8, true) === W_R_PA &&
          dv.getUint32(s + 12, true) === W_SSED &&
          this.buf[s + 16] === C_QUOTE
        ) {
          code = RK_SZ_FILTER_PASSED;
          len = 16;
        }
      } else if (w0 === W_PROB) {
        if (dv.getUint32(s + 4, true) === W_E_HI && (dv.getUint32(s + 8, true) & 0xffffff) === W_TS_Q) {
          code = RK_PROBE_HITS;
          len = 10;
        }
      }
      if (code !== RK_OTHER) {
        this.pos = s + len + 1;
        this.expect(C_COLON, "':' after a key");
        return code;
      }
    }
    const key = this.parseKeyString();
    this.expect(C_COLON, "':' after a key");
    return REGION_KEYS.get(key) ?? RK_OTHER;
  }

  /**
   * damo's usual size strings read straight from the bytes: "94,827,419,009,024", "0 B",
   * "143.027 MiB" (digits with comma groups, an optional fraction, blanks, a unit). Returns
   * -1 without consuming anything when the text is something else; text_to_bytes then
   * decides. Same arithmetic as damo: int(float(number) * unit).
   */
  protected quotedSize(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let v = 0;
    let digits = 0;
    for (; p < end; p++) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        v = v * 10 + (d - 0x30);
        digits++;
      } else if (d !== C_COMMA) break;
    }
    if (p >= end) throw NEED_MORE;
    if (digits === 0 || digits > 15) return -1;
    if (b[p] === C_QUOTE) {
      this.pos = p + 1;
      return v;
    }
    let num = v;
    if (b[p] === 0x2e) {
      // A fraction: let Number() round the decimal text exactly like Python's float().
      const s = this.pos + 1;
      p++;
      while (p < end && (b[p] as number) >= 0x30 && (b[p] as number) <= 0x39) p++;
      if (p >= end) throw NEED_MORE;
      let text = '';
      for (let i = s; i < p; i++) if (b[i] !== C_COMMA) text += String.fromCharCode(b[i] as number);
      num = Number(text);
    }
    while (p < end && b[p] === 0x20) p++;
    if (p + 4 > end) throw NEED_MORE;
    const u = b[p] as number;
    let mult: number;
    if (u === 0x42) mult = 1; // B
    else if (u === 0x4b) mult = 1024; // K
    else if (u === 0x4d) mult = 1024 ** 2;
    else if (u === 0x47) mult = 1024 ** 3;
    else if (u === 0x54) mult = 1024 ** 4;
    else if (u === 0x50) mult = 1024 ** 5;
    else if (u === 0x45) mult = 1024 ** 6;
    else return -1;
    p++;
    if (u !== 0x42) {
      // K, KB or KiB
      if (b[p] === 0x42) p++;
      else if (b[p] === 0x69 && b[p + 1] === 0x42) p += 2;
    }
    if (b[p] !== C_QUOTE) return -1;
    this.pos = p + 1;
    return Math.min(ULONG_MAX_F, Math.trunc(num * mult));
  }

  /**
   * A size or address: a JSON number or damo's human text. Digits with comma groups
   * ("94,827,419,009,024") are decoded in place; anything else goes through text_to_bytes.
   */
  protected sizeValue(what: string, nullable = false): number {
    const c = this.peek();
    if (c === C_QUOTE) {
      const v = this.quotedSize();
      if (v >= 0) return v;
      const at = this.pos;
      const text = this.parseString();
      try {
        const n = textToBytes(text);
        if (Number.isNaN(n)) throw new TextParseError('not a number');
        return n;
      } catch (e) {
        throw this.err(`region '${what}' value '${text}' is not a size (${errorMessage(e)})`, at);
      }
    }
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) return Number(this.parseNumberText());
    if (nullable && c === 0x6e) {
      this.parseLiteral();
      return NaN;
    }
    throw this.err(`region '${what}' must be a number or a size string`);
  }

  /** A count (JSON number or text) or null (NaN). */
  protected nrValue(what: string, fn: (t: string) => number): number {
    const c = this.peek();
    if ((c >= 0x30 && c <= 0x39) || c === C_MINUS) {
      const b = this.buf;
      const end = this.end;
      let p = this.pos;
      let v = 0;
      let neg = false;
      if (c === C_MINUS) {
        neg = true;
        p++;
      }
      const s = p;
      for (; p < end; p++) {
        const d = b[p] as number;
        if (d >= 0x30 && d <= 0x39) v = v * 10 + (d - 0x30);
        else break;
      }
      if (p >= end) throw NEED_MORE;
      const d = b[p] as number;
      if (d !== 0x2e && d !== 0x65 && d !== 0x45 && p > s && p - s <= 15) {
        this.pos = p;
        return neg ? -v : v;
      }
      return Number(this.parseNumberText());
    }
    if (c === C_QUOTE) {
      const v = this.quotedCount();
      if (v >= 0) return v;
      const at = this.pos;
      const text = this.parseString();
      try {
        const n = fn(text);
        if (Number.isNaN(n)) throw new TextParseError('not a number');
        return n;
      } catch (e) {
        throw this.err(`'${what}' value '${text}' cannot be read (${errorMessage(e)})`, at);
      }
    }
    if (c === 0x6e) {
      this.parseLiteral();
      return NaN;
    }
    throw this.err(`'${what}' must be a number, a string or null`);
  }
}
