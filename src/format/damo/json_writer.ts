// SPDX-License-Identifier: GPL-2.0-only
/**
 * Writer of damo's `json` and `json_compressed` record files, in damo 3.3.0's layout
 * (`json.dumps([record.to_kvpairs(raw=True)], indent=4)`, zlib level 6 for the compressed
 * form), so recordings made or converted by damo-ts open in damo. Regions are written in
 * damo's human form as damo itself does ("94,827,419,009,024"), everything else raw.
 *
 * Also prints the same JSON to stdout for `report raw --json` (damo `report raw --json`),
 * where `raw` false gives damo's human units for record and snapshot fields as well.
 */
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createDeflate, deflateSync } from 'node:zlib';

import { DamoError, errorMessage } from '../../core/errors.js';
import { formatBp, formatNr, formatSz, formatTimeNs, formatTimeNsExact, pyInt, pyRepr } from '../../core/fmt.js';
import type { DamosFilterInfo, DamosStats, Intervals, IntervalsGoal, Snapshot, TraceSource } from '../../core/model.js';
import { constText, TextBytes } from '../../core/text_bytes.js';
import { targetSnapshots } from '../../core/trace_walk.js';

/** A Python value for json.dumps: bigint = int, number = float, string, null, list, dict. */
export type PyJson = null | boolean | string | bigint | number | PyJson[] | { [k: string]: PyJson };

/** Python json.dumps string escaping with ensure_ascii. */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** json.dumps(value, indent=4) at nesting `level` (the caller writes the first indent). */
export function pyJsonDumps(v: PyJson, level = 0): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return pyRepr(v);
  }
  const inner = ' '.repeat((level + 1) * 4);
  const outer = ' '.repeat(level * 4);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => inner + pyJsonDumps(x, level + 1)).join(',\n') + '\n' + outer + ']';
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => `${inner}${pyJsonString(k)}: ${pyJsonDumps(v[k] as PyJson, level + 1)}`).join(',\n') + '\n' + outer + '}';
}

function absTime(src: TraceSource, relNs: number): bigint {
  return src.header.baseTimeNs + BigInt(Math.trunc(relNs));
}

const I5 = ' '.repeat(20);
const I6 = ' '.repeat(24);
const I7 = ' '.repeat(28);

/** A region's nr_accesses.percent: kept from damo's record filter, derived with `units`, or null. */
function putPercent(out: TextBytes, kept: number | undefined, nr: number, units: Intervals | undefined): void {
  if (kept !== undefined) {
    if (Number.isNaN(kept)) out.putConst(REGION.null);
    else out.putInt(kept, pyInt);
  } else if (units === undefined) out.putConst(REGION.null);
  else out.putInt(Math.trunc((nr * 100.0) / (units.aggrUs / units.sampleUs)), pyInt);
}

/** A region's age.usec, the same way. */
function putUsec(out: TextBytes, kept: number | undefined, age: number, units: Intervals | undefined): void {
  if (kept !== undefined) {
    if (Number.isNaN(kept)) out.putConst(REGION.null);
    else out.put(`"${formatTimeNsExact(kept * 1000, false)}"`);
  } else if (units === undefined || age < 0) out.putConst(REGION.null);
  else out.put(`"${formatTimeNsExact(age * units.aggrUs * 1000, false)}"`);
}

/** A region's constant text around its values, at damo's indentation (5 levels deep). */
const REGION = {
  head: constText(`${I5}{\n${I6}"start": "`),
  afterStart: constText(`",\n${I6}"end": "`),
  afterEnd: constText(`",\n${I6}"nr_accesses": {\n${I7}"samples": `),
  afterSamples: constText(`,\n${I7}"percent": `),
  afterPercent: constText(`\n${I6}},\n${I6}"age": {\n${I7}"usec": `),
  afterUsec: constText(`,\n${I7}"aggr_intervals": `),
  afterAge: constText(`\n${I6}},\n${I6}"probe_hits": [],\n${I6}"sz_filter_passed": "`),
  tail: constText(`"\n${I5}}`),
  separator: constText(',\n'),
  quote: constText('"'),
  null: constText('null'),
};
const ZERO_SZ_TEXT = constText(formatSz(0, false));
const formatNrHuman = (x: number): string => formatNr(x, false);

/** One region in damo's human form (`DamonRegion.to_kvpairs(raw=False)` dumped at its depth). */
function putRegion(out: TextBytes, s: Snapshot, i: number, units: Intervals | undefined): void {
  const nr = s.nrAccesses[i] as number;
  const age = s.ages[i] as number;
  const szfp = s.szFilterPassed?.[i] ?? 0;
  out.putConst(REGION.head);
  out.putGroupedInt(s.starts[i] as number, formatNrHuman);
  out.putConst(REGION.afterStart);
  out.putGroupedInt(s.ends[i] as number, formatNrHuman);
  out.putConst(REGION.afterEnd);
  if (Number.isInteger(nr)) out.putInt(nr, pyInt);
  else out.put(pyRepr(nr));
  out.putConst(REGION.afterSamples);
  putPercent(out, s.nrAccessesPercent?.[i], nr, units);
  out.putConst(REGION.afterPercent);
  putUsec(out, s.ageUsec?.[i], age, units);
  out.putConst(REGION.afterUsec);
  if (age >= 0) {
    out.putConst(REGION.quote);
    out.putGroupedInt(age, formatNrHuman);
    out.putConst(REGION.quote);
  } else out.putConst(REGION.null);
  out.putConst(REGION.afterAge);
  if (szfp === 0) out.putConst(ZERO_SZ_TEXT);
  else out.put(formatSz(szfp, false));
  out.putConst(REGION.tail);
}

/** damo format_time_us: '%d' when raw, else the approximate time form ('5 ms'). */
function usField(us: number, raw: boolean): string {
  return raw ? pyInt(us) : formatTimeNs(us * 1000, false);
}

/** damo `DamonIntervalsGoal.to_kvpairs`; zeros (tuning off) when the recording has none. */
function goalJson(g: IntervalsGoal | undefined, raw: boolean): PyJson {
  const goal = g ?? { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 };
  return {
    access_bp: formatBp(goal.accessBp, raw),
    aggrs: formatNr(goal.aggrs, raw),
    min_sample_us: usField(goal.minSampleUs, raw),
    max_sample_us: usField(goal.maxSampleUs, raw),
  };
}

/** damo `DamosFilter.to_kvpairs`. */
function filterJson(f: DamosFilterInfo, raw: boolean): PyJson {
  return {
    filter_type: f.filterType,
    matching: f.matching,
    allow: f.allow,
    memcg_path: f.memcgPath,
    address_range: f.addressRange === null ? null : { start: formatNr(f.addressRange[0], raw), end: formatNr(f.addressRange[1], raw) },
    damon_target_idx: f.damonTargetIdx === null ? null : formatNr(f.damonTargetIdx, raw),
    hugepage_size: f.hugepageSize === null ? null : f.hugepageSize.map((x) => formatSz(x, raw)),
  };
}

export interface DamoJsonTextOptions {
  /** damo's raw numbers for record and snapshot fields (always true in files). */
  raw: boolean;
  /** report raw --duration: snapshots starting within [start, end] s of the record's first. */
  durationSec?: [number, number] | undefined;
  /**
   * Write each region's access rate (percent) and age (usec) derived with these intervals,
   * as damo's `report access --json` does (its record filters fill them in); null otherwise.
   */
  regionUnits?: Intervals | undefined;
}

/** Bytes of JSON text gathered before they are handed on. */
const EMIT_BYTES = 1 << 20;

/**
 * Bytes of JSON text made between turns of the event loop when the caller asks for them.
 * zlib deflates on a pool thread but hands each finished piece back on this thread and
 * only then starts the next: a turn per EMIT_BYTES left the pool thread idle for up to
 * one EMIT_BYTES of text making per piece, so text and deflate, about as fast as each
 * other, took turns instead of running at once (docs/PERFORMANCE.md, "Writing
 * json_compressed").
 */
const TURN_BYTES = 32 << 10;

/**
 * Writes the JSON text into `out`, handing its bytes to `emit` whenever about EMIT_BYTES
 * gathered and at the end (`out` is then reset: emit must be done with them when its
 * promise settles, or take them with out.takeBytes()). Memory stays bounded: snapshots stream through. Targets are written
 * as damo records in header order.
 */
async function writeDamoJsonText(
  src: TraceSource,
  opts: DamoJsonTextOptions,
  out: TextBytes,
  emit: (bytes: Uint8Array) => Promise<void>,
  turn?: () => Promise<void>,
): Promise<void> {
  let nextTurn = TURN_BYTES;
  const flush = async (): Promise<void> => {
    nextTurn = TURN_BYTES;
    if (out.length === 0) return;
    await emit(out.bytes());
    out.reset();
  };
  const { header } = src;
  const raw = opts.raw;
  const targets = header.targets;
  if (targets.length === 0) {
    out.put('[]');
    await flush();
    return;
  }
  out.put('[\n');
  for (let t = 0; t < targets.length; t++) {
    const target = targets[t] as (typeof targets)[number];
    const iv = header.intervals;
    const intervals: PyJson =
      iv === null
        ? null
        : {
            sample_us: usField(iv.sampleUs, raw),
            aggr_us: usField(iv.aggrUs, raw),
            ops_update_us: usField(iv.opsUpdateUs, raw),
            intervals_goal: goalJson(header.intervalsGoal, raw),
          };
    const head: { [k: string]: PyJson } = {
      kdamond_idx: target.kdamondIdx === undefined ? null : BigInt(target.kdamondIdx),
      context_idx: target.contextIdx === undefined ? null : BigInt(target.contextIdx),
      intervals,
      scheme_idx: target.schemeIdx === undefined ? null : BigInt(target.schemeIdx),
      target_id: target.id,
      scheme_filters: (target.schemeFilters ?? []).map((f) => filterJson(f, raw)),
    };
    out.put('    {\n');
    for (const [k, v] of Object.entries(head)) out.put(`        ${pyJsonString(k)}: ${pyJsonDumps(v, 2)},\n`);
    out.put('        "snapshots": [');
    let nrSnapshots = 0;
    let base: number | undefined;
    for await (const s of targetSnapshots(src, t)) {
      base ??= s.startNs;
      if (opts.durationSec !== undefined) {
        const offsetSec = (s.startNs - base) / 1e9;
        if (offsetSec < opts.durationSec[0]) continue;
        if (offsetSec > opts.durationSec[1]) break;
      }
      out.put(nrSnapshots === 0 ? '\n' : ',\n');
      putSnapshot(out, src, s, raw, opts.regionUnits);
      nrSnapshots++;
      if (out.length >= EMIT_BYTES) await flush();
      else if (turn !== undefined && out.length >= nextTurn) {
        nextTurn = out.length + TURN_BYTES;
        await turn();
      }
    }
    out.put(nrSnapshots === 0 ? ']' : '\n        ]');
    out.put(`,\n        "data_source": ${pyJsonString(header.dataSource ?? 'unknown')}\n    }`);
    out.put(t === targets.length - 1 ? '\n]' : ',\n');
  }
  await flush();
}

/**
 * One snapshot at damo's indentation. Kept out of the async writer loop: V8 then optimizes
 * the two apart, and the loop's compile no longer takes the regions' inlined writers with it
 * (65 ms of background compile on a 2-core machine, timed with --trace-opt).
 */
function putSnapshot(out: TextBytes, src: TraceSource, s: Snapshot, raw: boolean, units: Intervals | undefined): void {
  let total = 0;
  for (let i = 0; i < s.starts.length; i++) total += (s.ends[i] as number) - (s.starts[i] as number);
  if (s.totalBytes !== undefined) total = s.totalBytes;
  out.put('            {\n');
  out.put(`                "start_time": "${formatTimeNsExact(absTime(src, s.startNs), raw)}",\n`);
  out.put(`                "end_time": "${formatTimeNsExact(absTime(src, s.endNs), raw)}",\n`);
  if (s.starts.length === 0) out.put('                "regions": [],\n');
  else {
    out.put('                "regions": [\n');
    for (let i = 0; i < s.starts.length; i++) {
      if (i > 0) out.putConst(REGION.separator);
      putRegion(out, s, i, units);
    }
    out.put('\n                ],\n');
  }
  out.put(`                "total_bytes": "${raw ? pyInt(total) : formatSz(total, false)}",\n`);
  out.put(`                "damos_stats": ${damosStatsText(s.damosStats, raw)},\n`);
  const si = s.sampleIntervalUs;
  out.put(`                "sample_interval_us": ${si === undefined ? 'null' : `"${usField(si, raw)}"`}\n`);
  out.put('            }');
}

/** damo `DamosStats.to_kvpairs`, indented as the snapshot's field; null when not recorded. */
function damosStatsText(st: DamosStats | undefined, raw: boolean): string {
  if (st === undefined) return 'null';
  const nr = (n: number): string => pyJsonString(formatNr(n, raw));
  const sz = (n: number): string => pyJsonString(formatSz(n, raw));
  const fields: Array<[string, string]> = [
    ['nr_tried', nr(st.nrTried)],
    ['sz_tried', sz(st.szTriedBytes)],
    ['nr_applied', nr(st.nrApplied)],
    ['sz_applied', sz(st.szAppliedBytes)],
    ['sz_ops_filter_passed', sz(st.szOpsFilterPassedBytes)],
    ['qt_exceeds', nr(st.qtExceeds)],
    ['nr_snapshots', nr(st.nrSnapshots)],
    ['max_nr_snapshots', nr(st.maxNrSnapshots)],
  ];
  return `{\n${fields.map(([k, v]) => `                    "${k}": ${v}`).join(',\n')}\n                }`;
}

interface Sink {
  writeBytes(bytes: Uint8Array): Promise<void>;
}

/** `report raw --json`: the JSON on stdout with damo's pager final-newline rule. */
export async function damoJsonText(
  src: TraceSource,
  opts: DamoJsonTextOptions & { pagerLines: number },
  sink: Sink,
): Promise<void> {
  const out = new TextBytes();
  await writeDamoJsonText(src, opts, out, (bytes) => sink.writeBytes(bytes));
  if (out.newlines <= opts.pagerLines) await sink.writeBytes(Buffer.from('\n'));
}

/** zlib's level for json_compressed: damo's (Python zlib's default). */
const DEFLATE_LEVEL = 6;

/**
 * Text up to this size is written in one go (deflateSync, writeFileSync): a stream and a
 * deflate stream cost their start-up (node's stream modules, a thread pool job per write)
 * on every small file, which `adjust` and `convert` mostly write. zlib's output does not
 * depend on how its input was cut, so both ways write the same bytes.
 */
const ONE_GO_BYTES = 8 << 20;

/** Writes a damo json or json_compressed file. */
export async function writeDamoJson(
  src: TraceSource,
  path: string,
  opts: { compressed: boolean; mode?: number },
): Promise<void> {
  const text = new TextBytes();
  const held: Buffer[] = [];
  let heldBytes = 0;
  let streamed: StreamedOutput | null = null;
  try {
    await writeDamoJsonText(src, { raw: true }, text, async () => {
      const chunk = text.takeBytes();
      if (streamed === null) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes < ONE_GO_BYTES) return;
        streamed = new StreamedOutput(path, opts);
        for (const c of held.splice(0)) await streamed.write(c);
        return;
      }
      await streamed.write(chunk, () => text.giveBack(chunk));
    }, async () => {
      if (streamed !== null) await new Promise<void>((resolve) => setImmediate(resolve));
    });
    const s = streamed as StreamedOutput | null;
    if (s !== null) {
      await s.end();
      return;
    }
    const all = held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
    writeFileSync(path, opts.compressed ? deflateSync(all, { level: DEFLATE_LEVEL }) : all, { mode: opts.mode ?? 0o644 });
  } catch (e) {
    (streamed as StreamedOutput | null)?.destroy();
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: writing failed: ${errorMessage(e)}`, { cause: e });
  }
}

/** A long file: written through a file stream, and deflated on the way when compressed. */
class StreamedOutput {
  private readonly file: WriteStream;
  private readonly target: Writable;
  private readonly failed: Promise<never>;

  constructor(path: string, opts: { compressed: boolean; mode?: number }) {
    this.file = createWriteStream(path, { mode: opts.mode ?? 0o644 });
    this.failed = new Promise<never>((_, reject) => this.file.once('error', reject));
    this.failed.catch(() => undefined);
    // zlib takes a job on the thread pool per write and may hold several: it deflates
    // while the next bytes are made.
    this.target = opts.compressed
      ? createDeflate({ level: DEFLATE_LEVEL, writableHighWaterMark: 8 * EMIT_BYTES } as Parameters<typeof createDeflate>[0])
      : this.file;
    if (opts.compressed) this.target.pipe(this.file);
  }

  /** Writes `chunk`, which the stream holds until it calls `done`; waits while it is full. */
  async write(chunk: Buffer, done?: () => void): Promise<void> {
    if (!this.target.write(chunk, done)) await Promise.race([once(this.target, 'drain'), this.failed]);
  }

  async end(): Promise<void> {
    this.target.end();
    await Promise.race([once(this.file, 'finish'), this.failed]);
  }

  destroy(): void {
    this.file.destroy();
  }
}
