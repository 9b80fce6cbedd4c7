// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report access` text: format templates with `<keyword>`s for the record head and
 * tail, the snapshot head and tail and each region (damo 3.3.0's `--format` language, see
 * `damo help access_format_options`), the defaults each `--style` sets, and the rendering.
 */
import { interruptCheck } from '../core/interrupts.js';
import {
  formatBp,
  formatHz,
  formatNr,
  formatPercent,
  formatSz,
  formatTimeNs,
  formatTimeUs,
} from '../core/fmt.js';
import type { DamosFilterInfo, Intervals } from '../core/model.js';
import {
  accessPercent,
  ageUsec,
  handledByOps,
  regionAt,
  regionsOf,
  snapshotIntervalsUs,
  temperatureOf,
  type AccessRecord,
  type AccessSnapshot,
  type RegionView,
} from './access_records.js';
import {
  RECORD_KEYWORDS,
  REGION_KEYWORDS,
  SNAPSHOT_KEYWORDS,
  type AccessFormatOptions,
  type BoxValue,
  type FormatArea,
  type RecordKeyword,
  type RegionKeyword,
  type SnapshotKeyword,
} from './access_options.js';
import { dfPassedHeatmap, percentilesText, sizeHistogram, snapshotHeatmap } from './access_views.js';
import { colorStart, COLOR_RESET, type ColorsetName } from './heats_text.js';
import { TextBytes } from '../core/text_bytes.js';

/** The state the formatters read: options after the style and defaults are applied. */
interface Fmt {
  o: AccessFormatOptions;
  recordHead: string;
  recordTail: string;
  snapshotHead: string;
  snapshotTail: string;
  region: string;
  box: BoxFormat;
  /** Formatted values by value: recordings repeat them across regions and snapshots. */
  ageText: Map<number, string>;
  sizeText: Map<number, string>;
  percentText: Map<number, string>;
  /** `<index>` texts by index */
  indexText: string[];
}

/** Bound on each memo above, so a recording of all-distinct values does not grow it without end. */
const MEMO_MAX = 65536;

function remember(m: Map<number, string>, key: number, text: string): string {
  if (m.size < MEMO_MAX) m.set(key, text);
  return text;
}

// ---------------------------------------------------------------------------------------
// Keyword formatters, in damo's order (a template's keywords are replaced in this order)

interface Ctx {
  fmt: Fmt;
  record: AccessRecord;
  iv: Intervals;
  snapshot?: AccessSnapshot;
  /** The snapshot's regions as views, made when a snapshot keyword first needs them. */
  regions?: RegionView[];
  /** The region being printed: its position in the snapshot's columns. */
  column?: number | undefined;
  /** ... and its position in the printed (possibly sorted) order. */
  index?: number | undefined;
  /** The snapshot's aggregation interval, once worked out for it. */
  aggrUs?: number;
  /** `<access hz>` texts by sample count within this snapshot (its interval is fixed). */
  hzText?: Map<number, string>;
}

type Formatter = [keyword: string, fn: (c: Ctx) => string];

/** The formatters in the keyword list's order (damo replaces keywords in this order). */
function formattersOf<K extends string>(keywords: ReadonlyArray<readonly [K, string]>, fns: Record<K, (c: Ctx) => string>): Formatter[] {
  return keywords.map(([k]) => [k, fns[k]]);
}

function filterText(f: DamosFilterInfo, raw: boolean): string {
  const words = [f.allow ? 'allow' : 'reject'];
  if (!f.matching) words.push('none');
  words.push(f.filterType);
  switch (f.filterType) {
    case 'memcg':
      return [...words, f.memcgPath].join(' ');
    case 'addr': {
      const [s, e] = f.addressRange ?? [0, 0];
      return [...words, `[${formatNr(s, raw)}, ${formatNr(e, raw)}) (${formatSz(e - s, raw)})`].join(' ');
    }
    case 'target':
      return [...words, formatNr(f.damonTargetIdx ?? 0, raw)].join(' ');
    case 'hugepage_size':
      if (f.hugepageSize !== null) words.push(`[${formatSz(f.hugepageSize[0], raw)}, ${formatSz(f.hugepageSize[1], raw)}]`);
      return words.join(' ');
    default:
      return words.join(' ');
  }
}

function goalText(c: Ctx): string {
  const g = c.record.intervalsGoal ?? { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 };
  const raw = c.fmt.o.raw;
  return `target ${formatBp(g.accessBp, raw)} accesses per ${formatNr(g.aggrs, raw)} aggrs, [${formatTimeUs(g.minSampleUs, raw)}, ${formatTimeUs(g.maxSampleUs, raw)}] sampling interval`;
}

function snap(c: Ctx): AccessSnapshot {
  return c.snapshot as AccessSnapshot;
}
function regs(c: Ctx): RegionView[] {
  return (c.regions ??= regionsOf(snap(c), c.iv));
}
function col(c: Ctx): number {
  return c.column as number;
}
/** The current region as a view, for the few keywords that read several of its values. */
function reg(c: Ctx): RegionView {
  return regionAt(snap(c), col(c), c.iv);
}
function firstStart(c: Ctx): number {
  return (c.record.snapshots[0] as AccessSnapshot).startNs;
}
function aggrUsOf(c: Ctx): number {
  return c.aggrUs ?? snapshotIntervalsUs(snap(c), c.iv, c.record.intervalsGoal)[1];
}

function memBw(c: Ctx, dfPassed: boolean): string {
  const s = snap(c);
  let bytes = 0;
  for (let i = 0; i < s.starts.length; i++) {
    const sz = dfPassed ? (s.szFilterPassed?.[i] ?? 0) : (s.ends[i] as number) - (s.starts[i] as number);
    bytes += sz * (s.samples[i] as number);
  }
  return `${formatSz(bytes / (aggrUsOf(c) / 1000000), c.fmt.o.raw)} per second`;
}

const RECORD_FNS: Record<RecordKeyword, (c: Ctx) => string> = {
  '<kdamond index>': (c) => String(c.record.target.kdamondIdx ?? 'None'),
  '<context index>': (c) => String(c.record.target.contextIdx ?? 'None'),
  '<scheme index>': (c) => String(c.record.target.schemeIdx ?? 'None'),
  '<target id>': (c) => (c.record.target.id === null ? 'None' : c.record.target.id.toString()),
  '<abs start time>': (c) => formatTimeNs(firstStart(c), c.fmt.o.raw),
  '<duration>': (c) => formatTimeNs((c.record.snapshots[c.record.snapshots.length - 1] as AccessSnapshot).endNs - firstStart(c), c.fmt.o.raw),
  '<intervals>': (c) => `sample ${formatTimeUs(c.iv.sampleUs, c.fmt.o.raw)}, aggr ${formatTimeUs(c.iv.aggrUs, c.fmt.o.raw)}`,
  '<intervals goal>': goalText,
  '<data source>': (c) => c.record.dataSource,
  '<format strings>': (c) =>
      [
        `record head: "${c.fmt.recordHead}"`,
        `snapshot head: "${c.fmt.snapshotHead}"`,
        `region: "${c.fmt.region}"`,
        `snapshot tail: "${c.fmt.snapshotTail}"`,
        `record tail: "${c.fmt.recordTail}"`,
      ].join('\n'),
};
const RECORD_FORMATTERS = formattersOf(RECORD_KEYWORDS, RECORD_FNS);

const SNAPSHOT_FNS: Record<SnapshotKeyword, (c: Ctx) => string> = {
  '<total bytes>': (c) => formatSz(snap(c).totalBytes, c.fmt.o.raw),
  '<duration>': (c) => formatTimeNs(snap(c).endNs - snap(c).startNs, c.fmt.o.raw),
  '<start time>': (c) => formatTimeNs(snap(c).startNs - firstStart(c), c.fmt.o.raw),
  '<end time>': (c) => formatTimeNs(snap(c).endNs - firstStart(c), c.fmt.o.raw),
  '<abs start time>': (c) => formatTimeNs(snap(c).startNs, c.fmt.o.raw),
  '<abs end time>': (c) => formatTimeNs(snap(c).endNs, c.fmt.o.raw),
  '<number of regions>': (c) => formatNr(snap(c).starts.length, c.fmt.o.raw),
  '<region box colors>': (c) => colorSamples(c.fmt.o.boxColorset),
  '<region box description>': (c) => c.fmt.box.description(c.fmt.o.raw),
  '<temperature-sz histogram>': (c) => sizeHistogram(regs(c), 'temperature', false, aggrUsOf(c), c.fmt.o),
  '<temperature-df-passed-sz histogram>': (c) => sizeHistogram(regs(c), 'temperature', true, aggrUsOf(c), c.fmt.o),
  '<recency-sz histogram>': (c) => sizeHistogram(regs(c), 'recency', false, aggrUsOf(c), c.fmt.o),
  '<recency-df-passed-sz histogram>': (c) => sizeHistogram(regs(c), 'recency', true, aggrUsOf(c), c.fmt.o),
  '<recency percentiles>': (c) => percentilesText(regs(c), 'recency', false, aggrUsOf(c), c.fmt.o),
  '<df-passed recency percentiles>': (c) => percentilesText(regs(c), 'recency', true, aggrUsOf(c), c.fmt.o),
  '<temperature percentiles>': (c) => percentilesText(regs(c), 'temperature', false, aggrUsOf(c), c.fmt.o),
  '<df-passed temperature percentiles>': (c) => percentilesText(regs(c), 'temperature', true, aggrUsOf(c), c.fmt.o),
  '<heatmap>': (c) => snapshotHeatmap(snap(c), c.iv, c.fmt.o),
  '<filters passed heatmap>': (c) => dfPassedHeatmap(snap(c), c.iv, c.fmt.o),
  '<filters passed type>': (c) => {
      const ops = c.record.schemeFilters.filter(handledByOps);
      return ops.length === 0 ? 'n/a' : ops.map((f) => filterText(f, false)).join(', ');
    },
  '<filters passed bytes>': (c) => {
      let bytes = 0;
      for (const r of regs(c)) {
        if (r.szFilterPassed === undefined) return 'N/A';
        bytes += r.szFilterPassed;
      }
      return formatSz(bytes, c.fmt.o.raw);
    },
  '<positive access samples ratio>': (c) => {
      const maxSamples = (c.iv.aggrUs / c.iv.sampleUs) * regs(c).length;
      let n = 0;
      for (const r of regs(c)) n += r.samples;
      return formatPercent((n * 100) / maxSamples, c.fmt.o.raw);
    },
  '<estimated memory bandwidth>': (c) => memBw(c, false),
  '<filters passed estimated memory bandwidth>': (c) => memBw(c, true),
  '<intervals tuning status>': (c) => {
      const perRegion = c.iv.aggrUs / c.iv.sampleUs;
      let maxObs = 0;
      let obs = 0;
      for (const r of regs(c)) {
        maxObs += perRegion * (r.end - r.start);
        obs += (r.end - r.start) * r.samples;
      }
      const raw = c.fmt.o.raw;
      return `${formatPercent((obs * 100) / Math.max(maxObs, 1), raw)} (${formatSz(obs, raw)} / ${formatSz(maxObs, raw)}) ${formatTimeUs(c.iv.sampleUs, raw)} ${formatTimeUs(c.iv.aggrUs, raw)}`;
    },
  '<damos stats>': (c) => {
    // damo `DamosStats.to_str`, including its repeat of the filter-passed size on a line of its own.
    const st = snap(c).damosStats;
    if (st === undefined) return 'none';
    const raw = c.fmt.o.raw;
    return [
      `tried ${formatNr(st.nrTried, raw)} times (${formatSz(st.szTriedBytes, raw)})`,
      `applied ${formatNr(st.nrApplied, raw)} times (${formatSz(st.szAppliedBytes, raw)})`,
      `${formatSz(st.szOpsFilterPassedBytes, raw)} passed filters`,
      `quota exceeded ${formatNr(st.qtExceeds, raw)} times`,
      formatSz(st.szOpsFilterPassedBytes, raw),
      `tried ${formatNr(st.nrSnapshots, raw)} snapshots (max ${formatNr(st.maxNrSnapshots, raw)})`,
    ].join('\n');
  },
  '<snapshot intervals>': (c) => {
      const ratio = c.iv.aggrUs / c.iv.sampleUs;
      const aggrUs = aggrUsOf(c);
      const raw = c.fmt.o.raw;
      return `sample ${formatTimeUs(aggrUs / ratio, raw)} aggr ${formatTimeUs(aggrUs, raw)} (max access hz ${formatHz(ratio / (aggrUs / 1000000), raw, true)})`;
    },
};
const SNAPSHOT_FORMATTERS = formattersOf(SNAPSHOT_KEYWORDS, SNAPSHOT_FNS);

/** A size as format_sz prints it, from the memo when it was printed before. */
function sizeText(c: Ctx, bytes: number): string {
  return c.fmt.sizeText.get(bytes) ?? remember(c.fmt.sizeText, bytes, formatSz(bytes, c.fmt.o.raw));
}

// Region keywords read the snapshot's columns at `column`, so no object is made per region.
const REGION_FNS: Record<RegionKeyword, (c: Ctx) => string> = {
  '<index>': (c) => {
    const i = c.index ?? 0;
    const known = c.fmt.indexText;
    if (i < known.length) return known[i] as string;
    const text = formatNr(i, c.fmt.o.raw);
    if (i === known.length && i < MEMO_MAX) known.push(text);
    return text;
  },
  '<start address>': (c) => formatSz(snap(c).starts[col(c)] as number, c.fmt.o.raw),
  '<end address>': (c) => formatSz(snap(c).ends[col(c)] as number, c.fmt.o.raw),
  '<size>': (c) => sizeText(c, (snap(c).ends[col(c)] as number) - (snap(c).starts[col(c)] as number)),
  '<access rate>': (c) => {
    const percent = accessPercent(snap(c).samples[col(c)] as number, c.iv);
    return c.fmt.percentText.get(percent) ?? remember(c.fmt.percentText, percent, formatPercent(percent, c.fmt.o.raw));
  },
  '<access hz>': (c) => {
    const samples = snap(c).samples[col(c)] as number;
    const memo = (c.hzText ??= new Map());
    return memo.get(samples) ?? remember(memo, samples, formatHz(samples / (aggrUsOf(c) / 1000000), c.fmt.o.raw));
  },
  '<age>': (c) => {
    const us = ageUsec(snap(c).ages[col(c)] as number, c.iv);
    return c.fmt.ageText.get(us) ?? remember(c.fmt.ageText, us, formatTimeUs(us, c.fmt.o.raw));
  },
  '<temperature>': (c) => formatNr(temperatureOf(reg(c), c.fmt.o.temperatureWeights), c.fmt.o.raw),
  '<probe hits>': () => '',
  '<filters passed bytes>': (c) => {
    const passed = snap(c).szFilterPassed;
    return passed === undefined ? 'N/A' : sizeText(c, passed[col(c)] as number);
  },
  '<box>': (c) => c.fmt.box.text(reg(c)),
};
const REGION_FORMATTERS = formattersOf(REGION_KEYWORDS, REGION_FNS);


function minChars(o: AccessFormatOptions, keyword: string, text: string): string {
  for (const [name, nr] of o.minCharsFor) {
    if (name === keyword) return text.length >= nr ? text : text + ' '.repeat(nr - text.length);
  }
  return text;
}

/** damo `format_output`: undefined for an empty template (the line is left out). */
function render(template: string, formatters: Formatter[], c: Ctx): string | undefined {
  if (template === '') return undefined;
  let out = template;
  for (const [keyword, fn] of formatters) {
    if (!out.includes(keyword)) continue;
    out = out.split(keyword).join(minChars(c.fmt.o, keyword, fn(c)));
  }
  return out.split('\\n').join('\n');
}

/**
 * A template cut at its keywords, so that each region costs one concatenation rather than a
 * search and a split per keyword. Used only where that gives the same text as `render`: the
 * literal parts hold no '<', '>' or lone backslash, so no keyword can be formed across a
 * substituted value, and the values (numbers, sizes, boxes) hold none of them either.
 */
interface CutTemplate {
  /** fns.length + 1 literal parts, `\n` already turned into newlines */
  literals: string[];
  /** the formatter of each keyword between the literals */
  fns: Array<(c: Ctx) => string>;
  /** the --min_chars_for width of each keyword between the literals (0: none) */
  widths: number[];
  literalChars: number;
  /** `literals` with a newline before the first, for every line but the report's first */
  lineLiterals: string[];
  /** the keywords' texts of the line being written */
  values: string[];
}

function cutTemplate(template: string, formatters: Formatter[], o: AccessFormatOptions): CutTemplate | undefined {
  const hits: Array<[pos: number, formatter: Formatter]> = [];
  for (const f of formatters) {
    for (let at = template.indexOf(f[0]); at >= 0; at = template.indexOf(f[0], at + f[0].length)) hits.push([at, f]);
  }
  hits.sort((a, b) => a[0] - b[0]);
  const literals: string[] = [];
  let from = 0;
  for (const [pos, [keyword]] of hits) {
    if (pos < from) return undefined;
    literals.push(template.slice(from, pos));
    from = pos + keyword.length;
  }
  literals.push(template.slice(from));
  if (literals.some((l) => /[<>]/.test(l) || l.split('\\n').join('').includes('\\'))) return undefined;
  const texts = literals.map((l) => l.split('\\n').join('\n'));
  return {
    literals: texts,
    lineLiterals: texts.map((l, i) => (i === 0 ? '\n' + l : l)),
    literalChars: texts.reduce((n, l) => n + l.length, 0),
    values: hits.map(() => ''),
    fns: hits.map(([, f]) => f[1]),
    widths: hits.map(([, [keyword]]) => o.minCharsFor.find(([name]) => name === keyword)?.[1] ?? 0),
  };
}

/** `render` of a cut template, written to `out`. */
function writeCut(t: CutTemplate, c: Ctx, out: TextBytes, newLine: boolean): void {
  for (let i = 0; i < t.fns.length; i++) t.values[i] = (t.fns[i] as (c: Ctx) => string)(c);
  if (newLine) out.putJoined(t.lineLiterals, t.literalChars + 1, t.values, t.widths);
  else out.putJoined(t.literals, t.literalChars, t.values, t.widths);
}

function colorSamples(set: ColorsetName): string {
  let s = '';
  for (let level = 0; level <= 9; level++) s += `${colorStart(set, level)}${level}`;
  return s + COLOR_RESET;
}

// ---------------------------------------------------------------------------------------
// Region boxes

function rescale(val: number, from: [number, number], to: [number, number], log: boolean): number {
  let v = val;
  let f = from;
  if (log) {
    v = val > 0 ? Math.log2(val) : 0;
    f = [from[0] > 0 ? Math.log2(from[0]) : 0, from[1] > 0 ? Math.log2(from[1]) : 0];
  }
  const fromLen = f[1] - f[0];
  const toLen = to[1] - to[0];
  const ratio = fromLen > 0 ? toLen / fromLen : 1;
  return (v - f[0]) * ratio + to[0];
}

class BoxFormat {
  private readonly sorted: Record<'size' | 'access_rate' | 'age', [number, number]>;

  constructor(
    records: AccessRecord[],
    private readonly o: AccessFormatOptions,
  ) {
    const mm = (): [number, number] => [Infinity, -Infinity];
    const sorted = { size: mm(), access_rate: mm(), age: mm() };
    for (const rec of records) {
      if (rec.intervals === null) continue;
      for (const s of rec.snapshots) {
        for (const r of regionsOf(s, rec.intervals)) {
          const vals = { size: r.end - r.start, access_rate: r.percent, age: r.ageUsec };
          for (const k of ['size', 'access_rate', 'age'] as const) {
            sorted[k][0] = Math.min(sorted[k][0], vals[k]);
            sorted[k][1] = Math.max(sorted[k][1], vals[k]);
          }
        }
      }
    }
    this.sorted = sorted;
  }

  private value(r: RegionView, name: BoxValue): number | undefined {
    if (name === 'size') return r.end - r.start;
    if (name === 'access_rate') return r.percent;
    if (name === 'age') return r.ageUsec;
    return undefined;
  }

  private minmax(name: BoxValue): [number, number] {
    return name === 'none' ? [0, 0] : this.sorted[name];
  }

  text(r: RegionView): string {
    const o = this.o;
    const [lengthName, colorName, heightName] = o.boxValues;
    const log = (i: number): boolean => o.boxScales[i] === 'log';
    const lengthVal = this.value(r, lengthName);
    const length = Math.trunc(rescale(lengthVal ?? 0, this.minmax(lengthName), o.boxMinMaxLength, log(0)));
    const heightVal = this.value(r, heightName);
    const heightMax = heightVal === undefined ? 1 : o.boxMinMaxHeight[1];
    const height = heightVal === undefined ? 1 : Math.trunc(rescale(heightVal, this.minmax(heightName), o.boxMinMaxHeight, log(2)));
    const colorVal = this.value(r, colorName);
    let row: string;
    if (colorVal === undefined) row = '-'.repeat(Math.max(length, 0));
    else {
      const level = Math.trunc(rescale(colorVal, this.minmax(colorName), [0, 9], log(1)));
      row = `${colorStart(o.boxColorset, level)}${String(level).repeat(Math.max(length, 0))}${COLOR_RESET}`;
    }
    row = `|${row}|`;
    if (o.boxAlign === 'right') row = ' '.repeat(Math.max(o.boxMinMaxLength[1] - length, 0)) + row;
    let box = Array.from({ length: Math.max(height, 0) }, () => row).join('\n');
    if (heightMax > 1) box += '\n';
    return box;
  }

  description(raw: boolean): string {
    const o = this.o;
    const range = (name: BoxValue): string => {
      const [lo, hi] = this.minmax(name);
      if (name === 'size') return `[${formatSz(lo, raw)}, ${formatSz(hi, raw)}]`;
      if (name === 'age') return `[${formatTimeUs(lo, raw)}, ${formatTimeUs(hi, raw)}] `;
      if (name === 'access_rate') return `[${formatPercent(lo, raw)}, ${formatPercent(hi, raw)}]`;
      return 'None';
    };
    const scale = (i: number): string => (o.boxScales[i] === 'log' ? 'logscale' : 'linearscale');
    const [l, c, h] = o.boxValues;
    return [
      `# length: ${l} (represents ${range(l)} with [${o.boxMinMaxLength[0]}, ${o.boxMinMaxLength[1]}] columns in ${scale(0)})`,
      `# color: ${c} (represents ${range(c)} with [0, 9] number and color (${colorSamples(o.boxColorset)}) in ${scale(1)})`,
      `# height: ${h} (represents ${range(h)} with [${o.boxMinMaxHeight[0]}, ${o.boxMinMaxHeight[1]}] rows in ${scale(2)})`,
    ].join('\n');
  }
}

// ---------------------------------------------------------------------------------------
// Templates: style, defaults, --format

function hasOpsFilters(records: AccessRecord[]): boolean {
  return records.some((r) => r.schemeFilters.some(handledByOps));
}

function hasMultipleSnapshots(records: AccessRecord[]): boolean {
  return records.some((r) => r.snapshots.length > 1);
}

interface Templates {
  recordHead?: string;
  recordTail?: string;
  snapshotHead?: string;
  snapshotTail?: string;
  region?: string;
}

const AREA_KEY: Record<FormatArea, keyof Templates> = {
  record_head: 'recordHead',
  snapshot_head: 'snapshotHead',
  region: 'region',
  snapshot_tail: 'snapshotTail',
  record_tail: 'recordTail',
};

function applyStyle(t: Templates, o: AccessFormatOptions, records: AccessRecord[]): AccessFormatOptions {
  const boxed = (): AccessFormatOptions => ({ ...o, boxMinMaxHeight: [1, 1], boxMinMaxLength: [1, 40], boxAlign: 'right', boxColorset: 'emotion' });
  switch (o.style) {
    case 'simple-boxes':
      t.snapshotHead = 'snapshot time: [<start time>, <end time>] (<duration>)';
      t.region = '<box> size <size> access <access hz> age <age>';
      return boxed();
    case 'temperature-sz-hist':
    case 'recency-sz-hist':
    case 'cold-memory-tail': {
      const temp = o.style === 'temperature-sz-hist';
      const legend = temp ? '<temperature>' : '<idle time (us)>';
      const lines: string[] = [];
      if (hasOpsFilters(records)) {
        lines.push(
          '# damos filters (df): <filters passed type>',
          `${legend} <df-passed size>`,
          temp ? '<temperature-df-passed-sz histogram>' : '<recency-df-passed-sz histogram>',
          '',
        );
      }
      lines.push(`${legend} <total size>`, temp ? '<temperature-sz histogram>' : '<recency-sz histogram>');
      t.snapshotHead = lines.join('\n');
      t.region = '';
      return o;
    }
    case 'recency-percentiles':
    case 'idle-time-percentiles':
    case 'temperature-percentiles': {
      const metric = o.style === 'temperature-percentiles' ? 'temperature' : 'recency';
      const lines: string[] = [];
      if (hasMultipleSnapshots(records)) lines.push('snapshot time: [<start time>, <end time>] (<duration>)');
      if (hasOpsFilters(records)) {
        lines.push('# damos filters (df): <filters passed type>', `# df-passed ${metric} percentiles`, `<df-passed ${metric} percentiles>`, '');
      }
      lines.push(`# total ${metric} percentiles`, `<${metric} percentiles>`);
      t.snapshotHead = lines.join('\n');
      t.region = '';
      return o;
    }
    case 'cold':
    case 'hot':
      t.region = '<box> <size> access <access hz> <age>';
      return { ...boxed(), sortBy: ['temperature'], sortDsc: o.style === 'hot' ? ['temperature'] : o.sortDsc };
    default:
      return o;
  }
}

function applyDefaults(t: Templates, o: AccessFormatOptions, records: AccessRecord[]): void {
  const filtersInstalled = records.some((r) => r.schemeFilters.length > 0);
  if (t.recordHead === undefined) {
    t.recordHead =
      records.length > 1
        ? 'kdamond <kdamond index> / context <context index> / scheme <scheme index> / target id <target id> / recorded for <duration> from <abs start time>'
        : '';
  }
  if (t.recordTail === undefined) {
    const lines = ['record DAMON intervals: <intervals>'];
    if (records.some((r) => r.intervals !== null && r.intervalsGoal !== undefined && r.intervalsGoal.aggrs !== 0)) lines.push('# <intervals goal>');
    if (records.some((r) => r.dataSource === 'damon_stat')) lines.push('# data source: <data source>');
    t.recordTail = lines.join('\n');
  }
  if (t.snapshotHead === undefined) {
    const lines: string[] = [];
    if (hasMultipleSnapshots(records)) lines.push('snapshot time: [<start time>, <end time>] (<duration>)');
    lines.push('heatmap: <heatmap>', 'intervals: <snapshot intervals>');
    if (filtersInstalled) lines.push('# damos filters (df): <filters passed type>', 'df-pass: <filters passed heatmap>');
    t.snapshotHead = lines.join('\n');
  }
  if (t.snapshotTail === undefined) {
    t.snapshotTail = filtersInstalled
      ? 'memory bw estimate: <estimated memory bandwidth>  df-passed: <filters passed estimated memory bandwidth>\ntotal size: <total bytes>  df-passed <filters passed bytes>'
      : 'memory bw estimate: <estimated memory bandwidth>\ntotal size: <total bytes>';
  }
  if (o.regionBox && !t.snapshotTail.includes('<region box description>')) {
    // damo 3.3.0 builds this from the record tail, not the snapshot tail; kept for
    // byte-identical output.
    t.snapshotTail = `${t.recordTail}\n<region box description>`;
  }
  const defaultRegion = '<index> addr <start address> size <size> access <access hz> age <age>';
  if (o.regionBox) t.region = o.boxMinMaxHeight[1] > 1 ? `<box>${defaultRegion}` : `<box>\n${defaultRegion}`;
  if (t.region === undefined) {
    t.region = defaultRegion;
    if (filtersInstalled) t.region += ' df-passed <filters passed bytes>';
  }
}

function isTotalSzOnly(t: Templates): boolean {
  return t.snapshotHead === '' && t.region === '' && t.snapshotTail === '<total bytes>';
}

/** The columns of a snapshot's regions in --sort_by order; undefined to keep address order. */
function sortOrder(s: AccessSnapshot, iv: Intervals, o: AccessFormatOptions): number[] | undefined {
  if (o.sortBy.length === 0) return undefined;
  const n = s.starts.length;
  let order: number[] | undefined;
  const at = (i: number): number => (order === undefined ? i : (order[i] as number));
  const keys = new Float64Array(n);
  for (const field of o.sortBy) {
    const dsc = o.sortDsc !== undefined && (o.sortDsc.includes('all') || o.sortDsc.includes(field));
    for (let i = 0; i < n; i++) {
      switch (field) {
        case 'address':
          keys[i] = s.starts[i] as number;
          break;
        case 'access_rate':
          keys[i] = accessPercent(s.samples[i] as number, iv);
          break;
        case 'age':
          keys[i] = ageUsec(s.ages[i] as number, iv);
          break;
        case 'size':
          keys[i] = (s.ends[i] as number) - (s.starts[i] as number);
          break;
        default:
          keys[i] = temperatureOf(regionAt(s, i, iv), o.temperatureWeights);
      }
    }
    // A stable sort of keys already in order keeps that order (the usual case: address order).
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) {
      const prev = keys[at(i - 1)] as number;
      const cur = keys[at(i)] as number;
      sorted = dsc ? prev >= cur : prev <= cur;
    }
    if (sorted) continue;
    // Python's sorted(reverse=True) keeps equal keys in their original order, as does Array.sort.
    order = (order ?? Array.from({ length: n }, (_, i) => i)).slice().sort((a, b) => (dsc ? (keys[b] as number) - (keys[a] as number) : (keys[a] as number) - (keys[b] as number)));
  }
  return order;
}

/**
 * Where the report text goes, in chunks of UTF-8; the chunk's bytes are reused once the
 * returned promise settles (or at once when nothing is returned).
 */
export type TextSink = (bytes: Uint8Array) => Promise<void> | undefined;

/** Text is handed to the sink in chunks of about this many bytes. */
const CHUNK_BYTES = 1 << 20;

/**
 * damo `fmt_records`: the whole report text (without the final newline), handed to `sink`
 * in chunks as it is made, so that memory holds the records, not the text. Returns the
 * number of newlines written (damo's pager rule decides on the final newline from it).
 * Asynchronous to let the writer drain and signal handlers run between snapshots
 * (core/interrupts.ts).
 */
export async function formatAccessRecords(records: AccessRecord[], options: AccessFormatOptions, sink: TextSink): Promise<number> {
  const t: Templates = {};
  for (const [area, text] of Object.entries(options.formats) as Array<[FormatArea, string]>) t[AREA_KEY[area]] = text;
  for (const e of options.formatEdits) if (e.action === 'set') t[AREA_KEY[e.area]] = e.text;
  let o = applyStyle(t, options, records);
  if (o.totalSzOnly) {
    t.snapshotHead = '';
    t.region = '';
    t.snapshotTail = '<total bytes>';
  }
  applyDefaults(t, o, records);
  for (const e of options.formatEdits) if (e.action === 'append') t[AREA_KEY[e.area]] = (t[AREA_KEY[e.area]] ?? '') + e.text;
  o = { ...o };
  const region = t.region ?? '';
  const fmt: Fmt = {
    o,
    recordHead: t.recordHead ?? '',
    recordTail: t.recordTail ?? '',
    snapshotHead: t.snapshotHead ?? '',
    snapshotTail: t.snapshotTail ?? '',
    region,
    // Only the boxes and their description read the value ranges over the whole recording.
    box: new BoxFormat([t.recordHead, t.recordTail, t.snapshotHead, t.snapshotTail, region].some((x) => x !== undefined && /<box>|<region box description>/.test(x)) ? records : [], o),
    ageText: new Map(),
    sizeText: new Map(),
    percentText: new Map(),
    indexText: [],
  };
  const cutRegion = cutTemplate(fmt.region, REGION_FORMATTERS, o);
  const totalOnly = isTotalSzOnly(t);
  const out = new TextBytes();
  let first = true;
  const flush = async (): Promise<void> => {
    const drain = sink(out.bytes());
    if (drain !== undefined) await drain;
    out.reset();
  };
  // Lines are joined by newlines, as damo joins them.
  const line = (): void => {
    if (!first) out.put('\n');
    first = false;
  };
  const push = (s: string | undefined): void => {
    if (s === undefined) return;
    line();
    out.put(s);
  };
  for (const record of records) {
    const iv = record.intervals as Intervals;
    push(render(fmt.recordHead, RECORD_FORMATTERS, { fmt, record, iv }));
    for (let sidx = 0; sidx < record.snapshots.length; sidx++) {
      const turn = interruptCheck();
      if (turn !== undefined) await turn;
      const snapshot = record.snapshots[sidx] as AccessSnapshot;
      const c: Ctx = { fmt, record, iv, snapshot };
      c.aggrUs = aggrUsOf(c);
      c.hzText = new Map();
      push(render(fmt.snapshotHead, SNAPSHOT_FORMATTERS, c));
      if (fmt.region !== '') {
        const order = sortOrder(snapshot, iv, o);
        for (let index = 0; index < snapshot.starts.length; index++) {
          c.column = order === undefined ? index : (order[index] as number);
          c.index = index;
          if (cutRegion === undefined) push(render(fmt.region, REGION_FORMATTERS, c));
          else {
            writeCut(cutRegion, c, out, !first);
            first = false;
          }
        }
        c.column = undefined;
        c.index = undefined;
      }
      push(render(fmt.snapshotTail, SNAPSHOT_FORMATTERS, c));
      if (sidx < record.snapshots.length - 1 && !totalOnly) push('');
      if (out.length >= CHUNK_BYTES) await flush();
    }
    push(render(fmt.recordTail, RECORD_FORMATTERS, { fmt, record, iv }));
  }
  await flush();
  return out.newlines;
}
