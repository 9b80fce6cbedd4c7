// SPDX-License-Identifier: GPL-2.0-only
/**
 * The optional fast path of the damo JSON reader: damo writes every region with
 * json.dumps(indent=4), so at a given indentation the bytes between a region's values are
 * always the same. This template compares those constant bytes eight at a time and reads
 * the values in place. Anything else (other whitespace, key order, units, a chunk end)
 * makes it give up without consuming anything, and the general path in json_regions.ts,
 * which gives identical results (test/unit/damo_readers.test.ts checks), reads the region.
 */
import { compiledOr, coveringWords } from '../../core/generated_code.js';
import { JsonTokenizer, NEED_MORE, u32 } from '../json_tokenizer.js';
import { RegionAccumulator } from './records.js';

const C_QUOTE = 0x22;
const C_COMMA = 0x2c;
const W_NULL = u32('null');

/** A region needs about 500 bytes; the template path runs only with this many ahead. */
const FAST_REGION_MIN_BYTES = 2048;

/**
 * A constant byte string as the 8-byte words that cover it (core/generated_code.ts
 * coveringWords()), so a compare is whole words only. Strings shorter than 8 bytes keep
 * their bytes.
 */
export class ConstBytes {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Offsets and values of the covering words. */
  readonly offsets: Int32Array;
  readonly words: Float64Array;
  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
    if (this.bytes.some((b) => b >= 0x7f)) throw new Error(`template constant ${JSON.stringify(text)} is not plain ASCII`);
    const len = this.bytes.length;
    this.length = len;
    const covering = coveringWords(this.bytes);
    this.offsets = Int32Array.from(covering, ([at]) => at);
    this.words = Float64Array.from(covering, ([, word]) => word);
    const tests =
      len >= 8
        ? Array.from(this.offsets, (at, i) => `view.getFloat64(p + ${at}, true) === ${String(this.words[i])}`)
        : Array.from(this.bytes, (b, i) => `bytes[p + ${i}] === ${b}`);
    // One comparison function per constant, its words written into the code: V8 compiles
    // it to straight compares against immediates, which read a region ~10% faster than a
    // loop over the words arrays (nr_regions on 977,300 regions: 391-417 ms of main-thread
    // CPU before, 359-367 ms after). Callers call it at each place they compare, where it
    // is always the same function and V8 inlines it (another ~8%: 348-363 ms before,
    // 318-350 ms after). The code is made from our own constants only.
    const offsets = this.offsets;
    const words = this.words;
    const bytes = this.bytes;
    this.matches = compiledOr(['view', 'bytes', 'p'], `return ${tests.length === 0 ? 'true' : tests.join(' && ')};`, (view: DataView, buf: Uint8Array, p: number): boolean => {
      if (len >= 8) {
        for (let i = 0; i < offsets.length; i++) if (view.getFloat64(p + (offsets[i] as number), true) !== words[i]) return false;
        return true;
      }
      for (let i = 0; i < len; i++) if (buf[p + i] !== bytes[i]) return false;
      return true;
    });
  }

  readonly matches: (view: DataView, bytes: Uint8Array, p: number) => boolean;
}

/**
 * The constant parts of a region as damo writes it, for one indentation (the column of
 * its '{'). Layout A is damo <= 3.2 (start, end, nr_accesses, age); layout B is 3.3
 * (plus probe_hits and sz_filter_passed). nr_accesses.percent and age.usec are null.
 */
class RegionLayout {
  /** The ',' after a region, the next region's indentation and its head. */
  readonly sepHead: ConstBytes;
  readonly head: ConstBytes;
  readonly afterStart: ConstBytes;
  readonly afterEnd: ConstBytes;
  readonly afterSamples: ConstBytes;
  readonly tailA: ConstBytes;
  readonly tailB: ConstBytes;
  readonly endB: ConstBytes;
  constructor(readonly indent: number) {
    const i0 = ' '.repeat(indent);
    const i1 = ' '.repeat(indent + 4);
    const i2 = ' '.repeat(indent + 8);
    this.head = new ConstBytes(`{\n${i1}"start": "`);
    this.sepHead = new ConstBytes(`,\n${i0}{\n${i1}"start": "`);
    this.afterStart = new ConstBytes(`",\n${i1}"end": "`);
    this.afterEnd = new ConstBytes(`",\n${i1}"nr_accesses": {\n${i2}"samples": `);
    this.afterSamples = new ConstBytes(`,\n${i2}"percent": null\n${i1}},\n${i1}"age": {\n${i2}"usec": null,\n${i2}"aggr_intervals": `);
    this.tailA = new ConstBytes(`\n${i1}}\n${i0}}`);
    this.tailB = new ConstBytes(`\n${i1}},\n${i1}"probe_hits": [],\n${i1}"sz_filter_passed": "`);
    this.endB = new ConstBytes(`\n${i0}}`);
  }
}

export abstract class RegionTemplateReader extends JsonTokenizer {
  /** Regions of the snapshot being read. */
  protected readonly regions: RegionAccumulator;
  /** The layout of the last region the template read: the next one is most likely alike. */
  private last: RegionLayout | null = null;

  constructor(
    protected readonly templates: boolean,
    arenaRegions?: number,
  ) {
    super();
    this.regions = new RegionAccumulator(arenaRegions);
  }

  /**
   * damo's size text at pos ("94,827,419,009,024", "143.027 MiB") read from the bytes, or
   * -1 without consuming anything for other text (json_regions.ts).
   */
  protected abstract quotedSize(): number;

  /** Reads the region at pos ('{') by its template; false (nothing consumed) when it does not fit. */
  protected templateRegion(): boolean {
    if (!this.templates || this.end - this.pos <= FAST_REGION_MIN_BYTES) return false;
    const p = this.pos;
    let layout = this.last;
    if (layout === null || !layout.head.matches(this.view, this.buf, p)) {
      layout = this.layoutFor(p);
      if (layout === null || !layout.head.matches(this.view, this.buf, p)) return false;
    }
    if (!this.fastRegion(layout, p + layout.head.length)) return false;
    this.last = layout;
    return true;
  }

  /**
   * After a region (pos just past its '}'), reads the regions that follow it in the same
   * layout, each with the ',' before it, by the template; stops (nothing of the region it
   * stopped at consumed) at anything else: the end of the list, another layout, a chunk end.
   */
  protected templateRegions(): void {
    const l = this.last;
    if (l === null) return;
    const sepHead = l.sepHead;
    const last = this.end - FAST_REGION_MIN_BYTES;
    while (this.pos < last && sepHead.matches(this.view, this.buf, this.pos) && this.fastRegion(l, this.pos + sepHead.length));
  }

  /** The indentation of the regions the template read last, or -1. */
  protected get regionIndent(): number {
    return this.last === null ? -1 : this.last.indent;
  }

  /**
   * Up to 15 plain digits at `p` followed by a quote: the quote's position (the value in
   * fastValue), or -1. What plainInteger() reads of a quoted number, without moving pos.
   */
  protected quotedDigits(p: number): number {
    const b = this.buf;
    const s = p;
    let v = 0;
    for (;;) {
      const d = b[p] as number;
      if (d < 0x30 || d > 0x39) break;
      v = v * 10 + (d - 0x30);
      p++;
    }
    if (b[p] !== C_QUOTE || p === s || p - s > 15) return -1;
    this.fastValue = v;
    return p;
  }

  private layouts = new Map<number, RegionLayout | null>();

  /** The template for a region whose '{' is at `at`, by the indentation before it. */
  private layoutFor(at: number): RegionLayout | null {
    const b = this.buf;
    let p = at - 1;
    while (p >= 0 && b[p] === 0x20) p--;
    if (p < 0 || b[p] !== 0x0a) return null;
    const indent = at - 1 - p;
    let layout = this.layouts.get(indent);
    if (layout === undefined) {
      layout = indent % 4 === 0 && indent <= 64 ? new RegionLayout(indent) : null;
      this.layouts.set(indent, layout);
    }
    return layout;
  }

  /**
   * Digits, plain or in damo's comma groups ("94,827,419,009,024"), up to the closing
   * quote: the quote's position (the value in fastValue), or -1 for anything else (the
   * general path then reads it). Groups are taken three digits at a time.
   */
  private fastDigits(p: number): number {
    const b = this.buf;
    let v = 0;
    let digits = 0;
    for (;;) {
      const d = (b[p] as number) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      digits++;
      p++;
    }
    if (digits === 0) return -1;
    if (b[p] === C_COMMA) {
      if (digits > 3) return -1;
      do {
        const d1 = (b[p + 1] as number) - 0x30;
        const d2 = (b[p + 2] as number) - 0x30;
        const d3 = (b[p + 3] as number) - 0x30;
        if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return -1;
        v = v * 1000 + (d1 * 100 + d2 * 10 + d3);
        digits += 3;
        p += 4;
      } while (b[p] === C_COMMA);
    }
    if (b[p] !== C_QUOTE || digits > 15) return -1;
    this.fastValue = v;
    // At the closing quote, which the next constant starts with.
    return p;
  }

  /**
   * The value the last fastDigits() or quotedDigits() read. A field, not their return
   * value: an address above 2^31 returned from a call that is not inlined is boxed, two
   * heap numbers per region (~27 MB of garbage on a 977k-region file). Starts as a
   * non-integer so that the field holds doubles from the first store on.
   */
  protected fastValue = 0.5;

  /**
   * Reads the rest of a region by the template, from `p` just past its head (the opening
   * quote of 'start'); false (nothing consumed) if it does not fit, else pos is past its '}'.
   */
  private fastRegion(l: RegionLayout, p: number): boolean {
    const b = this.buf;
    p = this.fastDigits(p);
    if (p < 0) return false;
    const start = this.fastValue;
    if (!l.afterStart.matches(this.view, this.buf, p)) return false;
    p = this.fastDigits(p + l.afterStart.length);
    if (p < 0) return false;
    const end = this.fastValue;
    if (!l.afterEnd.matches(this.view, this.buf, p)) return false;
    p += l.afterEnd.length;
    let samples = 0;
    let digits = 0;
    for (;;) {
      const d = b[p] as number;
      if (d >= 0x30 && d <= 0x39) {
        samples = samples * 10 + (d - 0x30);
        digits++;
        p++;
      } else break;
    }
    if (digits === 0 || digits > 15) return false;
    if (!l.afterSamples.matches(this.view, this.buf, p)) return false;
    p += l.afterSamples.length;
    let age = -1;
    if (b[p] === C_QUOTE) {
      const q = this.fastDigits(p + 1);
      if (q < 0) return false;
      age = this.fastValue;
      p = q + 1;
    } else if (this.view.getUint32(p, true) === W_NULL) p += 4;
    else return false;
    let szFilterPassed = NaN;
    if (l.tailA.matches(this.view, this.buf, p)) p += l.tailA.length;
    else if (l.tailB.matches(this.view, this.buf, p)) {
      // quotedSize() reads at pos; pos goes back to where it was whatever happens, and a
      // size cut by the chunk's end (NEED_MORE) is left to the general path.
      const regionAt = this.pos;
      let v = -1;
      try {
        this.pos = p + l.tailB.length - 1;
        v = this.quotedSize();
        p = this.pos;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
      } finally {
        this.pos = regionAt;
      }
      if (v < 0 || !l.endB.matches(this.view, this.buf, p)) return false;
      p += l.endB.length;
      szFilterPassed = v;
    } else return false;
    this.pos = p;
    const acc = this.regions;
    if (!Number.isNaN(szFilterPassed)) acc.hasSzFilterPassed = true;
    acc.push(start, end, samples, age, Number.isNaN(szFilterPassed) ? 0 : szFilterPassed);
    return true;
  }
}
