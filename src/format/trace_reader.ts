// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming reader of damo-ts trace files. Memory is bounded by the read buffer plus the
 * largest single frame, whatever the file size. Each pass re-reads the file, so reports that
 * need two passes (a guide, then the heatmap) never hold the whole recording.
 *
 * Damage handling (docs/FORMAT.md, "Reading rules"): a file that ends inside a frame yields
 * every complete frame and a warning; a frame that fails a checksum or does not decode is
 * skipped, the reader resyncs at the next intact frame, and one warning per pass names the
 * damaged byte ranges. `strict` turns each of these into an error. Data is never returned
 * from a frame that failed its checksum.
 */
import { closeSync, openSync, readSync } from 'node:fs';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import {
  columnsOfSnapshots,
  type SchemeStatsRecord,
  type Snapshot,
  type SnapshotColumns,
  type SnapshotCounts,
  snapshotOfColumns,
  type TraceEvent,
  type TraceHeader,
  type TraceSource,
  type TraceTrailer,
} from '../core/model.js';
import { decodeEvent, decodeHeader, decodeSchemeStats, decodeSnapshotFast, decodeTrailer, FORMAT_VERSION } from './codec.js';
import {
  checkFrameHeader,
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  FrameType,
  looksLikeDamagedMagic,
  magicDistance,
  payloadChecksumOk,
  TRACE_MAGIC,
} from './frame.js';
import {
  type BlockHeader,
  ColumnBuffers,
  decodeColumns,
  decodeSnapshots,
  inflateBlock,
  inflateBlocks,
  newTimeContext,
  nextDictionary,
  parseBlockPayload,
  SEGMENT_MAX_SNAPSHOTS,
  SegmentInflater,
  segmentIsFull,
  type TimeContext,
} from './snapshot_block.js';


export interface ReadOptions {
  /** Treat a truncated last frame as an error instead of a warning. */
  strict?: boolean;
}

const CHUNK_BYTES = 4 << 20;
/** What the header scan reads first: the header frame is small, and it stops there. */
const HEADER_CHUNK_BYTES = 64 << 10;

/**
 * The read buffer of the last pass that ended, for the next one. A report takes up to three
 * passes over a file; a new 4 MiB buffer each time was 1,024 pages for the kernel to fault
 * in again (docs/PERFORMANCE.md, "Fresh memory"). A pass takes it (so two passes at once
 * never share it) and puts it back when it ends; what a pass yielded is only valid until
 * the scanner advances, so nothing a caller holds points into it then.
 */
let spareChunk: Buffer | null = null;

interface RawFrame {
  type: number;
  /** Valid only until the scanner advances. */
  payload: Uint8Array;
  offset: number;
}

/** A protobuf trace opened for reading; also exposes the non-snapshot frames. */
export interface ProtobufTrace extends TraceSource {
  /** A fresh pass over every frame after the header, decoded. */
  records(): AsyncIterable<TraceRecord>;
}

export type TraceRecord =
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'event'; event: TraceEvent }
  | { kind: 'scheme-stats'; stats: SchemeStatsRecord }
  | { kind: 'trailer'; trailer: TraceTrailer };

export async function openProtobufTrace(path: string, options: ReadOptions = {}): Promise<ProtobufTrace> {
  const strict = options.strict === true;
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warnOnce = (message: string): void => {
    if (!warned.has(message)) {
      warned.add(message);
      warnings.push(message);
    }
  };

  let header: TraceHeader | null = null;
  let firstFrameOffset = 0;
  const headerDamage: DamageLog = { ranges: [], nrSnapshotsLostKnown: 0 };
  for await (const frame of scanFrames(path, strict, warnOnce, true, 0, headerDamage)) {
    if (frame.type !== FrameType.Header || headerDamage.ranges.length > 0) {
      throw new DamoError(
        'E_CORRUPT',
        `${path}: this looks like a damo-ts trace whose header is damaged: the first intact frame (byte offset ${frame.offset}) is not its header frame`,
        { hint: 'the header holds the targets and intervals every report needs; the file cannot be read without it' },
      );
    }
    header = decodeOrCorrupt(path, frame.offset, 'header', () => decodeHeader(frame.payload));
    firstFrameOffset = frame.offset + FRAME_HEADER_BYTES + frame.payload.length + FRAME_TRAILER_BYTES;
    break;
  }
  if (header === null) {
    throw new DamoError('E_TRUNCATED', `${path}: the file ends before its header frame is complete`, {
      hint: 'the recorder was stopped before it wrote anything; record again',
    });
  }
  if (header.formatVersion > FORMAT_VERSION) {
    warnOnce(`${path} was written by format version ${header.formatVersion} (this damo reads up to ${FORMAT_VERSION}); fields it does not know are ignored`);
  }

  let lastTrailer: TraceTrailer | null = null;

  async function* records(): AsyncGenerator<TraceRecord> {
    const inflater = new SegmentInflater();
    try {
      yield* recordsWith(inflater);
    } finally {
      inflater.close();
    }
  }

  async function* recordsWith(inflater: SegmentInflater): AsyncGenerator<TraceRecord> {
    let trailerSeen = false;
    let nrSnapshots = 0;
    const damage: DamageLog = { ranges: [], nrSnapshotsLostKnown: 0 };
    const blocks = new BlockChain();
    for await (const frame of scanFrames(path, strict, warnOnce, false, firstFrameOffset, damage)) {
      if (trailerSeen) warnAfterTrailer(frame.offset);
      if (frame.type === FrameType.SnapshotBlock) {
        for (const snapshot of decodeBlock(frame, damage, blocks, inflater)) {
          nrSnapshots += 1;
          yield { kind: 'snapshot', snapshot };
        }
        continue;
      }
      if (frame.type === FrameType.Snapshot) {
        const snapshot = decodeOrSkip(frame, damage, 'snapshot', () => decodeSnapshotFast(frame.payload));
        if (snapshot === null) continue;
        nrSnapshots += 1;
        yield { kind: 'snapshot', snapshot };
        continue;
      }
      for (const r of decodeOther(frame, damage)) {
        if (r.kind === 'trailer') {
          lastTrailer = r.trailer;
          trailerSeen = true;
        }
        yield r;
      }
    }
    reportDamage(damage, nrSnapshots);
  }

  /** Decodes a frame whose checksums passed; a frame that does not decode is skipped as damage. */
  function decodeOrSkip<T>(frame: RawFrame, damage: DamageLog, what: string, decode: () => T): T | null {
    try {
      return decodeOrCorrupt(path, frame.offset, what, decode);
    } catch (err) {
      if (strict || !(err instanceof DamoError) || err.code !== 'E_CORRUPT') throw err;
      const end = frame.offset + FRAME_HEADER_BYTES + frame.payload.length + FRAME_TRAILER_BYTES;
      damage.ranges.push({ start: frame.offset, end, reason: `the ${what} frame does not decode` });
      if (frame.type === FrameType.Snapshot || frame.type === FrameType.SnapshotBlock) damage.nrSnapshotsLostKnown += 1;
      return null;
    }
  }

  /**
   * The snapshots of a block frame (format version 2). A block continues its segment's
   * deflate stream and times, so it decodes only after every earlier block of its segment
   * did; a block whose predecessor was lost is skipped, and counted, as damage.
   */
  function decodeBlock(frame: RawFrame, damage: DamageLog, chain: BlockChain, inflater: SegmentInflater): Snapshot[] {
    const frameEnd = frame.offset + FRAME_HEADER_BYTES + frame.payload.length + FRAME_TRAILER_BYTES;
    const h = decodeOrSkip(frame, damage, 'snapshot block', () => parseBlockPayload(frame.payload));
    if (h === null) {
      chain.broken();
      return [];
    }
    if (h.position > 0 && !chain.continuedBy(h.segment, h.position)) {
      const reason = 'an earlier block of its segment was lost';
      if (strict) throw new DamoError('E_CORRUPT', `${path}: snapshot block at byte offset ${frame.offset} cannot be decoded: ${reason}`);
      damage.ranges.push({ start: frame.offset, end: frameEnd, reason });
      damage.nrSnapshotsLostKnown += h.count;
      chain.broken();
      return [];
    }
    if (h.position === 0) chain.start(h.segment);
    const dictionary = chain.dictionary;
    const snapshots = decodeOrSkip(frame, damage, 'snapshot block', () => {
      if (h.nrRegions * 2 > h.rawBytes) throw new DamoError('E_CORRUPT', `block header claims ${h.nrRegions} regions in ${h.rawBytes} bytes`);
      const raw = inflater.inflate([h]) ?? inflateBlock(h, dictionary);
      const decoded = decodeSnapshots(raw, h.count, h.nrRegions, chain.times);
      chain.advance(h.count, h.nrRegions, raw);
      return decoded;
    });
    if (snapshots === null) {
      damage.nrSnapshotsLostKnown += h.count - 1;
      chain.broken();
      return [];
    }
    return snapshots;
  }

  /** One warning per pass that met damage; identical passes give identical (deduplicated) text. */
  function reportDamage(damage: DamageLog, nrSnapshotsRead: number): void {
    if (damage.ranges.length === 0) return;
    const ranges = damage.ranges.map((r) => `${r.start}-${r.end} (${r.reason})`).join(', ');
    const nrBytes = damage.ranges.reduce((sum, r) => sum + r.end - r.start, 0);
    const trailerCount = lastTrailer?.nrSnapshots;
    let skipped: string;
    if (trailerCount !== undefined && trailerCount >= nrSnapshotsRead && damage.nrSnapshotsLostKnown <= trailerCount - nrSnapshotsRead) {
      skipped = `${trailerCount - nrSnapshotsRead} snapshot(s) skipped (the trailer counts ${trailerCount}, ${nrSnapshotsRead} were read)`;
    } else {
      skipped = `at least ${damage.nrSnapshotsLostKnown} snapshot(s) skipped (exact count unknown: the trailer is missing or damaged)`;
    }
    warnOnce(
      `${path}: ${nrBytes} damaged byte(s) skipped at byte ranges ${ranges}; ${skipped}; every other frame passed its checksums and was read (--strict makes this an error)`,
    );
  }

  function warnAfterTrailer(offset: number): void {
    warnOnce(`${path}: frames follow the trailer (byte offset ${offset}); were two recordings concatenated?`);
  }

  /** Decodes a non-snapshot frame (zero records for unknown types). */
  function decodeOther(frame: RawFrame, damage: DamageLog): TraceRecord[] {
    switch (frame.type) {
      case FrameType.Event: {
        const event = decodeOrSkip(frame, damage, 'event', () => decodeEvent(frame.payload));
        return event === null ? [] : [{ kind: 'event', event }];
      }
      case FrameType.SchemeStats: {
        const stats = decodeOrSkip(frame, damage, 'scheme stats', () => decodeSchemeStats(frame.payload));
        return stats === null ? [] : [{ kind: 'scheme-stats', stats }];
      }
      case FrameType.Trailer: {
        const trailer = decodeOrSkip(frame, damage, 'trailer', () => decodeTrailer(frame.payload));
        return trailer === null ? [] : [{ kind: 'trailer', trailer }];
      }
      case FrameType.Header:
        // Two recordings concatenated: the second one's header is not data of the first.
        warnOnce(`${path}: a second header frame at byte offset ${frame.offset} was skipped; were two recordings concatenated?`);
        return [];
      default:
        // A frame type from a newer writer: its checksum was fine, so skipping it is safe.
        warnOnce(`${path}: skipped frames of unknown type ${frame.type} (written by a newer damo?)`);
        return [];
    }
  }

  /**
   * The hot path of every report: one pass over the snapshot frames, a block's snapshots
   * at a time; records() handles (and validates) everything else.
   */
  async function* columnBatches(reuse: boolean, countsOnly = false): AsyncGenerator<SnapshotColumns> {
    // Batches handed out as columns live until the next one (SnapshotColumns), so they share
    // memory; those cut into snapshots for snapshots() must not (a consumer may keep them).
    const inflater = new SegmentInflater();
    try {
      yield* columnBatchesWith(inflater, reuse || countsOnly ? new ColumnBuffers(countsOnly) : undefined);
    } finally {
      inflater.close();
    }
  }

  async function* columnBatchesWith(inflater: SegmentInflater, buffers: ColumnBuffers | undefined): AsyncGenerator<SnapshotColumns> {
    let trailerSeen = false;
    let nrSnapshots = 0;
    const damage: DamageLog = { ranges: [], nrSnapshotsLostKnown: 0 };
    const blocks = new BlockChain();
    // Consecutive blocks of one segment (a recorder writes one per snapshot) are inflated
    // together: one zlib call per run instead of one per snapshot.
    let run: RawFrame[] = [];
    const runBytes = new RunArena();
    const endRun = (): SnapshotColumns | null => {
      const decoded = decodeBlockRun(run, damage, blocks, inflater, buffers);
      run = [];
      runBytes.reset();
      if (decoded === null) return null;
      nrSnapshots += decoded.count;
      return decoded.count > 0 ? decoded : null;
    };
    for await (const frame of scanFrames(path, strict, warnOnce, false, firstFrameOffset, damage)) {
      if (trailerSeen) warnAfterTrailer(frame.offset);
      if (frame.type === FrameType.SnapshotBlock) {
        if (run.length > 0 && startsSegment(frame.payload)) {
          const decoded = endRun();
          if (decoded !== null) yield decoded;
        }
        // The scanner reuses its buffer: keep a copy.
        run.push({ type: frame.type, offset: frame.offset, payload: runBytes.copy(frame.payload) });
        if (run.length >= SEGMENT_MAX_SNAPSHOTS) {
          const decoded = endRun();
          if (decoded !== null) yield decoded;
        }
        continue;
      }
      if (run.length > 0) {
        const decoded = endRun();
        if (decoded !== null) yield decoded;
      }
      if (frame.type === FrameType.Snapshot) {
        const snapshot = decodeOrSkip(frame, damage, 'snapshot', () => decodeSnapshotFast(frame.payload));
        if (snapshot === null) continue;
        nrSnapshots += 1;
        yield columnsOfSnapshots([snapshot]);
        continue;
      }
      for (const r of decodeOther(frame, damage)) {
        if (r.kind === 'trailer') {
          lastTrailer = r.trailer;
          trailerSeen = true;
        }
      }
    }
    if (run.length > 0) {
      const decoded = endRun();
      if (decoded !== null) yield decoded;
    }
    reportDamage(damage, nrSnapshots);
  }

  /**
   * The snapshots of consecutive block frames. When they continue one another within one
   * segment, they are inflated in one call and decoded as one batch; anything else
   * (damage, a broken chain) goes block by block through
   * decodeBlock, which says what was lost.
   */
  function decodeBlockRun(frames: RawFrame[], damage: DamageLog, chain: BlockChain, inflater: SegmentInflater, buffers: ColumnBuffers | undefined): SnapshotColumns | null {
    const saved = chain.save();
    try {
      const hs = frames.map((f) => parseBlockPayload(f.payload));
      const first = hs[0] as BlockHeader;
      let ok = first.position === 0 || chain.continuedBy(first.segment, first.position);
      let count = first.count;
      let nrRegions = first.nrRegions;
      for (let i = 1; i < hs.length && ok; i++) {
        const h = hs[i] as BlockHeader;
        const prev = hs[i - 1] as BlockHeader;
        ok = h.segment === first.segment && h.position === prev.position + prev.count && h.nrRegions * 2 <= h.rawBytes;
        count += h.count;
        nrRegions += h.nrRegions;
      }
      const oneBlock = hs.length === 1;
      if (ok && first.nrRegions * 2 <= first.rawBytes) {
        if (first.position === 0) chain.start(first.segment);
        const raw = inflater.inflate(hs) ?? (oneBlock ? inflateBlock(first, chain.dictionary) : inflateBlocks(hs, chain.dictionary));
        // The blocks' coded snapshots follow one another in `raw`, times carrying over, so
        // they decode as one batch; the totals of their headers must match what is there.
        const decoded = decodeColumns(raw, count, nrRegions, chain.times, buffers);
        chain.advance(count, nrRegions, raw);
        return decoded;
      }
    } catch {
      // Decoded again block by block below, which names the damage.
    }
    chain.restore(saved);
    const out: Snapshot[] = [];
    for (const f of frames) for (const s of decodeBlock(f, damage, chain, inflater)) out.push(s);
    return out.length === 0 ? null : columnsOfSnapshots(out);
  }

  const finalHeader = header;
  return {
    path,
    header: finalHeader,
    warnings,
    records,
    snapshots(): AsyncIterableIterator<Snapshot> {
      return drain(columnBatches(false));
    },
    snapshotColumns: () => columnBatches(true),
    // Batches whose region columns are empty: typed as SnapshotCounts, so nothing reads them.
    snapshotCounts: (): AsyncIterable<SnapshotCounts> => columnBatches(true, true),
    trailer: () => lastTrailer,
  };
}

/**
 * Copies of the payloads of one run of block frames, in one buffer reused from run to run:
 * a copy of its own per frame was fresh memory for the kernel to fault in
 * (docs/PERFORMANCE.md, "Fresh memory"). A copy is valid until reset(); when the buffer
 * must grow, the copies made before stay in the old one.
 */
class RunArena {
  private buf = new Uint8Array(64 << 10);
  private used = 0;

  copy(payload: Uint8Array): Uint8Array {
    if (this.used + payload.length > this.buf.length) {
      this.buf = new Uint8Array(Math.max(payload.length, this.buf.length * 2));
      this.used = 0;
    }
    const out = this.buf.subarray(this.used, this.used + payload.length);
    out.set(payload);
    this.used += payload.length;
    return out;
  }

  reset(): void {
    this.used = 0;
  }
}

/** Where the segment being read stands: what its next block must continue. */
class BlockChain {
  private segment = -1;
  private nextPosition = 0;
  private nrRegions = 0;
  dictionary: Uint8Array = new Uint8Array(0);
  times: TimeContext = newTimeContext();

  start(segment: number): void {
    this.segment = segment;
    this.nextPosition = 0;
    this.nrRegions = 0;
    this.dictionary = new Uint8Array(0);
    this.times = newTimeContext();
  }

  continuedBy(segment: number, position: number): boolean {
    return segment === this.segment && position === this.nextPosition;
  }

  advance(count: number, nrRegions: number, raw: Uint8Array): void {
    this.nextPosition += count;
    this.nrRegions += nrRegions;
    // The writer starts a new segment when this one is full (version 2 files at 32
    // snapshots, which the rule gives too); nothing continues a full one, so it needs no
    // dictionary (a 32 KiB copy per segment otherwise).
    if (segmentIsFull(this.nextPosition, this.nrRegions)) this.broken();
    else this.dictionary = nextDictionary(this.dictionary, raw);
  }

  broken(): void {
    this.segment = -1;
    this.nextPosition = 0;
    this.nrRegions = 0;
    this.dictionary = new Uint8Array(0);
  }

  save(): { segment: number; nextPosition: number; nrRegions: number; dictionary: Uint8Array; times: TimeContext } {
    return { segment: this.segment, nextPosition: this.nextPosition, nrRegions: this.nrRegions, dictionary: this.dictionary, times: { ...this.times } };
  }

  restore(saved: ReturnType<BlockChain['save']>): void {
    this.segment = saved.segment;
    this.nextPosition = saved.nextPosition;
    this.nrRegions = saved.nrRegions;
    this.dictionary = saved.dictionary;
    this.times = saved.times;
  }
}

/** Whether a block frame's payload says it starts a segment (position 0). */
function startsSegment(payload: Uint8Array): boolean {
  try {
    return parseBlockPayload(payload).position === 0;
  } catch {
    return false;
  }
}

/**
 * The items of `batches` one by one. Items already decoded are handed out with a resolved
 * promise and no generator step, so the per-snapshot cost of a pass is one microtask.
 */
function drain(batches: AsyncGenerator<SnapshotColumns>): AsyncIterableIterator<Snapshot> {
  let batch: SnapshotColumns | null = null;
  let index = 0;
  const refill = (r: IteratorResult<SnapshotColumns>): IteratorResult<Snapshot> | Promise<IteratorResult<Snapshot>> => {
    if (r.done === true) return { done: true, value: undefined };
    batch = r.value;
    index = 0;
    return iterator.next();
  };
  const iterator: AsyncIterableIterator<Snapshot> = {
    next(): Promise<IteratorResult<Snapshot>> {
      if (batch !== null && index < batch.count) return Promise.resolve({ done: false, value: snapshotOfColumns(batch, index++) });
      return batches.next().then(refill);
    },
    async return(): Promise<IteratorResult<Snapshot>> {
      batch = null;
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

function decodeOrCorrupt<T>(path: string, offset: number, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DamoError && err.code !== 'E_CORRUPT') throw err;
    throw new DamoError('E_CORRUPT', `${path}: cannot decode the ${what} frame at byte offset ${offset}: ${errorMessage(err)}`);
  }
}

/** What one pass found damaged: byte ranges [start, end) it could not read, and why. */
interface DamageLog {
  ranges: { start: number; end: number; reason: string }[];
  /**
   * Snapshots known to be lost: one for each skipped frame whose intact frame header said it
   * held snapshots, and every snapshot of an intact block that could not be decoded because
   * an earlier block of its segment was lost.
   */
  nrSnapshotsLostKnown: number;
}

/** Where the next frame may start: the frame markers a resync scan accepts before the CRC. */
function plausibleFrameHeader(buf: Uint8Array, i: number): boolean {
  const type = buf[i + 4] as number;
  return buf[i + 5] === 0 && buf[i + 6] === 0 && buf[i + 7] === 0 && type >= FrameType.Header && type <= 0x7f;
}

/**
 * Yields the frames of the file in order, starting at `startOffset` (0 means: check the
 * magic, then start after it). Stops after the first frame when `headerOnly`.
 *
 * A frame whose header checksum fails is skipped by scanning forward, byte by byte, for the
 * next position whose 12 bytes pass the frame-header checksum and whose payload passes its
 * checksum; a frame whose header is intact but whose payload is damaged is skipped whole.
 * Each skipped span goes to `damage` (an error at the first one with `strict`).
 */
async function* scanFrames(
  path: string,
  strict: boolean,
  warn: (message: string) => void,
  headerOnly: boolean,
  startOffset = 0,
  damage: DamageLog = { ranges: [], nrSnapshotsLostKnown: 0 },
): AsyncGenerator<RawFrame> {
  // Synchronous reads: the reader awaits every chunk anyway and has nothing to overlap with
  // it, so a trip through the thread pool per read only added latency (and node:fs/promises
  // costs start-up to load).
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = errnoCode(err);
    throw new DamoError(code === 'ENOENT' ? 'E_NOENT' : 'E_IO', `cannot open ${path}: ${errorMessage(err)}`);
  }
  let buf: Buffer;
  if (headerOnly) buf = Buffer.allocUnsafe(HEADER_CHUNK_BYTES);
  else {
    buf = spareChunk ?? Buffer.allocUnsafe(CHUNK_BYTES);
    spareChunk = null;
  }
  try {
    let filePos = startOffset; // file offset of buf[bufEnd]
    let bufStart = 0;
    let bufEnd = 0;
    let eof = false;
    let nrFrames = 0;
    /** File offset where the damaged span being skipped began, or -1. */
    let damageStart = -1;
    let damageReason = '';

    /** Ensures `need` bytes are buffered from bufStart; returns false at end of file. */
    const fill = (need: number): boolean => {
      while (bufEnd - bufStart < need) {
        if (eof) return false;
        if (bufStart > 0) {
          buf.copy(buf, 0, bufStart, bufEnd);
          bufEnd -= bufStart;
          bufStart = 0;
        }
        if (need > buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
          buf.copy(bigger, 0, 0, bufEnd);
          buf = bigger;
        }
        const bytesRead = readSync(fd, buf, bufEnd, buf.length - bufEnd, filePos);
        if (bytesRead === 0) eof = true;
        bufEnd += bytesRead;
        filePos += bytesRead;
      }
      return true;
    };
    const offsetOf = (bufIndex: number): number => filePos - (bufEnd - bufIndex);

    const damaged = (offset: number, reason: string): void => {
      if (strict) {
        throw new DamoError('E_CORRUPT', `${path}: corrupt frame at byte offset ${offset}: ${reason}`, {
          hint: `the ${nrFrames} frames before it passed their checksums; drop --strict to read around the damage`,
        });
      }
      if (damageStart < 0) {
        damageStart = offset;
        damageReason = reason;
      }
    };
    const closeDamage = (end: number): void => {
      if (damageStart < 0) return;
      damage.ranges.push({ start: damageStart, end, reason: damageReason });
      damageStart = -1;
    };

    if (startOffset === 0) {
      const haveMagic = fill(TRACE_MAGIC.length);
      const prefix = buf.subarray(bufStart, Math.min(bufEnd, bufStart + TRACE_MAGIC.length));
      if (!haveMagic || magicDistance(prefix) > 0) {
        if (bufEnd === 0) throw new DamoError('E_FORMAT', `${path} is empty`);
        if (!looksLikeDamagedMagic(prefix)) {
          throw new DamoError('E_FORMAT', `${path} is not a damo-ts trace (it does not start with the trace magic bytes)`);
        }
        // The header frame's own checksums decide whether the rest can be trusted.
        bufStart += TRACE_MAGIC.length;
        const ok = fill(FRAME_HEADER_BYTES) && checkFrameHeader(buf, bufStart).ok;
        if (!ok || strict) {
          throw new DamoError('E_CORRUPT', `${path}: this looks like a damo-ts trace whose header is damaged (the magic bytes at offset 0 differ from 89 44 41 4D 4F 54 52 0A${ok ? '' : ' and the header frame after them fails its checksum'})`, {
            hint: ok
              ? 'drop --strict to read it anyway: its frames pass their checksums'
              : 'the file was changed after recording (a text-mode transfer rewrites line endings); copy it again in binary mode',
          });
        }
        warn(`${path}: the magic bytes at offset 0 are damaged (this looks like a damo-ts trace whose header is damaged); its frames pass their checksums, so it was read`);
      } else {
        bufStart += TRACE_MAGIC.length;
      }
    }

    for (;;) {
      const frameOffset = offsetOf(bufStart);
      if (bufEnd - bufStart < FRAME_HEADER_BYTES && !fill(FRAME_HEADER_BYTES)) {
        if (damageStart >= 0) closeDamage(offsetOf(bufEnd));
        else if (bufEnd > bufStart) truncated(path, strict, warn, frameOffset, bufEnd - bufStart);
        return;
      }
      if (damageStart >= 0 && !plausibleFrameHeader(buf, bufStart)) {
        bufStart += 1;
        continue;
      }
      const check = checkFrameHeader(buf, bufStart);
      if (!check.ok) {
        damaged(frameOffset, check.reason);
        bufStart += 1;
        continue;
      }
      const total = FRAME_HEADER_BYTES + check.payloadBytes + FRAME_TRAILER_BYTES;
      if (bufEnd - bufStart < total && !fill(total)) {
        if (damageStart >= 0) {
          // A header inside the damage that claims more bytes than are left: keep scanning.
          bufStart += 1;
          continue;
        }
        truncated(path, strict, warn, frameOffset, bufEnd - bufStart);
        return;
      }
      const payloadStart = bufStart + FRAME_HEADER_BYTES;
      const payload = buf.subarray(payloadStart, payloadStart + check.payloadBytes);
      const storedCrc = buf.readUInt32LE(payloadStart + check.payloadBytes);
      if (!payloadChecksumOk(payload, storedCrc)) {
        if (damageStart >= 0) {
          bufStart += 1;
          continue;
        }
        // The header passed its checksum, so its length is trusted: skip this frame whole.
        damaged(frameOffset, 'payload checksum mismatch');
        if (check.type === FrameType.Snapshot || check.type === FrameType.SnapshotBlock) damage.nrSnapshotsLostKnown += 1;
        bufStart += total;
        closeDamage(frameOffset + total);
        continue;
      }
      closeDamage(frameOffset);
      bufStart += total;
      nrFrames += 1;
      yield { type: check.type, payload, offset: frameOffset };
      if (headerOnly) return;
    }
  } finally {
    closeSync(fd);
    if (!headerOnly && buf.length === CHUNK_BYTES) spareChunk = buf;
  }
}

function truncated(
  path: string,
  strict: boolean,
  warn: (message: string) => void,
  offset: number,
  haveBytes: number,
): void {
  const message = `${path} ends inside a frame at byte offset ${offset} (${haveBytes} bytes of it present); the recording was cut short, so everything before that point was read`;
  if (strict) throw new DamoError('E_TRUNCATED', message, { hint: 'drop --strict to read the complete frames' });
  warn(message);
}
