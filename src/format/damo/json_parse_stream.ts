// SPDX-License-Identifier: GPL-2.0-only
/**
 * A pass of the damo json parser over a file, as runs of parsed snapshots: opening a file
 * and every later pass over it (json_source.ts) read through one of these. Inflation runs
 * on zlib's thread pool while this thread parses.
 *
 * Parsing on a worker thread instead (snapshots sent back as transferred column batches)
 * was built and measured: on this project's 2-CPU machine it was no faster for any report
 * at a load average of 1-2 (report wss 0.67 against 0.61 s, heatmap 1.15 against 1.13 s,
 * adjust 0.92 against 0.84 s, access 1.23 against 1.19 s, medians of 6 interleaved runs on
 * damo's test recording x100) and a heatmap of 10M regions peaked at 398 MB instead of
 * 184 MB, so the parser stays on the main thread.
 */
import type { IntervalsGoal, Intervals, TraceTarget } from '../../core/model.js';
import type { PendingSnapshot, SnapshotRangeSink } from './records.js';
import { damoJsonChunks, DamoJsonParser, type DamoJsonReadOptions } from './json_reader.js';

/** A snapshot as parsed and the record (target) it belongs to. */
export interface ParsedSnapshot {
  snapshot: PendingSnapshot;
  recordIndex: number;
}

/** What the parser knows of the file beyond its snapshots, as far as it has read. */
export interface ParsedFileFields {
  intervals: Intervals | null;
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string | undefined;
}

export interface DamoJsonParseStream extends ParsedFileFields {
  /** Records (one target each) begun so far, in file order; fields fill in as they are parsed. */
  readonly targets: TraceTarget[];
  /** Bytes of JSON text parsed so far. */
  readonly textBytes: number;
  /**
   * The next run of parsed snapshots (possibly none), or null once the whole text is parsed
   * and found complete. Throws what reading or parsing threw (damoJsonError() words it).
   */
  next(): Promise<ParsedSnapshot[] | null>;
  /**
   * Says that no snapshot handed out so far is in use any more, so the memory of their
   * regions may be filled again (a column pass, whose batches live until the next one).
   */
  recycleArenas(): void;
  /**
   * From now on, finished snapshots go to `sink` as ranges of the parser's arenas instead of
   * into next()'s lists (which stay empty): a column pass, with no objects per snapshot.
   */
  setRangeSink(sink: SnapshotRangeSink): void;
  /** Stops reading (the file is released); safe to call more than once. */
  close(): Promise<void>;
}

export function openParseStream(path: string, opts: DamoJsonReadOptions): DamoJsonParseStream {
  return new InlineParseStream(path, opts);
}

/** The parser on this thread, fed chunk by chunk. */
class InlineParseStream implements DamoJsonParseStream {
  readonly targets: TraceTarget[] = [];
  textBytes = 0;
  private readonly parser: DamoJsonParser;
  private readonly chunks: AsyncGenerator<Buffer>;
  private parsed: ParsedSnapshot[] = [];
  private ended = false;

  constructor(path: string, opts: DamoJsonReadOptions) {
    this.parser = new DamoJsonParser({
      onSnapshot: (snapshot, recordIndex) => this.parsed.push({ snapshot, recordIndex }),
      onRecord: (target) => this.targets.push(target),
      arenaRegions: opts.arenaRegions,
    });
    this.chunks = damoJsonChunks(path, opts);
  }

  get intervals(): Intervals | null {
    return this.parser.intervals;
  }
  get intervalsGoal(): IntervalsGoal | undefined {
    return this.parser.intervalsGoal;
  }
  get dataSource(): string | undefined {
    return this.parser.dataSource;
  }

  async next(): Promise<ParsedSnapshot[] | null> {
    if (this.ended) return null;
    const n = await this.chunks.next();
    if (n.done === true) {
      this.ended = true;
      this.parser.finish();
    } else {
      this.parser.feed(n.value);
      this.textBytes += n.value.length;
    }
    const out = this.parsed;
    this.parsed = [];
    return out;
  }

  recycleArenas(): void {
    this.parser.recycleArenas();
  }

  setRangeSink(sink: SnapshotRangeSink): void {
    this.parser.setRangeSink(sink);
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.chunks.return(undefined);
  }
}
