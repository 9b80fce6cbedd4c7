// SPDX-License-Identifier: GPL-2.0-only
/**
 * node:zlib below its streams: inflaters kept across calls that write into buffers the
 * caller owns and reuses, synchronously (syncZlibOf) or as jobs on the thread pool
 * (poolInflater).
 *
 * Node offers no public synchronous call that keeps an inflater between calls (its
 * inflateSync makes, sets up and frees one per call), and its streams allocate a fresh
 * output buffer per chunk. Fresh buffers are fresh pages: inflating damo's test recording
 * x100 (461 MB of JSON) through the stream took 139-154 ms, into reused buffers 55-83 ms,
 * the difference being mostly the kernel clearing pages (docs/PERFORMANCE.md, "Inflating
 * into reused buffers"). So these drive the handle a zlib stream wraps, as zlib's own
 * synchronous functions do (the handle's writeSync, and the Uint32Array in which it leaves
 * the bytes of output and input it did not use), or a handle of the same class made with
 * our own callbacks. A Node without them gets null, and the caller uses the public API.
 */
import type { Transform } from 'node:stream';
import { constants, createInflate, createInflateRaw, inflateRawSync } from 'node:zlib';

export interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

/** A node:zlib stream (Inflate, InflateRaw, ...). */
export type ZlibStream = Transform & { close(callback?: () => void): void };

export interface SyncZlib {
  /** The stream that owns the handle: destroyed (with `errored` set) when zlib reports an error. */
  stream: ZlibStream;
  handle: ZlibHandle;
  /** After a writeSync: [0] bytes of output space left, [1] bytes of input not used. */
  state: Uint32Array;
}

/** The handle of `stream`, a zlib stream just made; null (the stream closed) when this Node has none. */
export function syncZlibOf(stream: ZlibStream): SyncZlib | null {
  const inner = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: unknown };
  const handle = inner._handle;
  if (handle === null || handle === undefined || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(inner._writeState instanceof Uint32Array)) {
    stream.close();
    return null;
  }
  // zlib destroys the stream on a data error and emits 'error'; callers learn of it from
  // `destroyed` and `errored` right after the call instead.
  stream.on('error', () => {});
  return { stream, handle: handle as ZlibHandle, state: inner._writeState };
}

/**
 * Inflates whole raw deflate streams of known length one after another, with one inflater
 * and one output buffer kept from call to call. inflateRawSync makes, sets up and frees an
 * inflater per call, and gathers its output in fresh buffers joined into another: a heat map
 * of damo's test recording x1000 inflates its 84 kept blocks of about 1 MiB on each pass
 * after the first, and that way they cost about 10,000 of the 33,000 pages the kernel
 * faulted in (docs/PERFORMANCE.md, "Fresh memory"). Where this Node's handle is not reachable,
 * inflateRawSync does it.
 */
export class RawInflater {
  private z: SyncZlib | null | undefined;
  private out = Buffer.allocUnsafe(0);

  /** `input` inflated, which must come to `outBytes` bytes; a view valid until the next call. */
  inflate(input: Uint8Array, outBytes: number): Buffer {
    if (this.z === undefined) this.z = syncZlibOf(createInflateRaw());
    const z = this.z;
    let raw: Buffer;
    if (z === null) raw = inflateRawSync(input);
    else {
      z.handle.reset();
      // One byte more than expected tells a stream longer than its length from an exact fit.
      if (this.out.length < outBytes + 1) this.out = Buffer.allocUnsafe(Math.max(outBytes + 1, this.out.length * 2));
      z.handle.writeSync(constants.Z_FINISH, input, 0, input.length, this.out, 0, this.out.length);
      if (z.stream.destroyed) {
        // zlib reported an error and the stream destroyed itself: the next call makes another.
        this.z = undefined;
        throw new Error('invalid deflate data');
      }
      raw = this.out.subarray(0, this.out.length - (z.state[0] as number));
    }
    if (raw.length !== outBytes) throw new Error(`deflate data inflate to ${raw.length} bytes, ${outBytes} expected`);
    return raw;
  }
}

/** A zlib inflater of our own on the thread pool (the class behind node:zlib's streams). */
export interface PoolInflater {
  /**
   * One zlib job on the thread pool; resolves when it is done, with the bytes of output
   * space and of input it left in `state`. Rejects with zlib's error (its `code`, e.g.
   * Z_BUF_ERROR, Z_DATA_ERROR). One at a time.
   */
  write(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): Promise<void>;
  readonly state: Uint32Array;
  close(): void;
}

interface NativeZlib {
  init(windowBits: number, level: number, memLevel: number, strategy: number, state: Uint32Array, done: () => void, dictionary: undefined): unknown;
  write(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  close(): void;
  onerror?: (message: string, errno: number, code?: string) => void;
}

type NativeZlibClass = new (mode: number) => NativeZlib;

/** The class of node:zlib's handles, found once from a stream's handle; null when not reachable. */
let nativeClass: NativeZlibClass | null | undefined;
function nativeZlibClass(): NativeZlibClass | null {
  if (nativeClass !== undefined) return nativeClass;
  const probe = syncZlibOf(createInflate());
  const Native = probe === null ? undefined : (probe.handle as unknown as { constructor: unknown }).constructor;
  probe?.stream.close();
  nativeClass = typeof Native === 'function' ? (Native as NativeZlibClass) : null;
  return nativeClass;
}

/**
 * An inflater (zlib format) whose jobs run on the thread pool and write into the caller's
 * buffers, or null when this Node's zlib handle class is not reachable. Made as node:zlib's
 * Inflate makes its own (zlib.js: the handle's init with the default window, level, memory
 * level and strategy, then write), with our completion and error callbacks instead of the
 * stream's.
 */
export function poolInflater(): PoolInflater | null {
  const Native = nativeZlibClass();
  if (Native === null) return null;
  const native = new Native(constants.INFLATE);
  if (typeof native.init !== 'function' || typeof native.write !== 'function' || typeof native.close !== 'function') return null;
  const state = new Uint32Array(2);
  let pending: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  const settle = (): typeof pending => {
    const p = pending;
    pending = null;
    return p;
  };
  native.init(constants.Z_DEFAULT_WINDOWBITS, constants.Z_DEFAULT_COMPRESSION, constants.Z_DEFAULT_MEMLEVEL, constants.Z_DEFAULT_STRATEGY, state, () => settle()?.resolve(), undefined);
  native.onerror = (message, errno, code) => {
    settle()?.reject(Object.assign(new Error(message), { errno, code }));
  };
  return {
    state,
    write(flush, input, inOff, inLen, out, outOff, outLen): Promise<void> {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        native.write(flush, input, inOff, inLen, out, outOff, outLen);
      });
    },
    close(): void {
      native.close();
    },
  };
}

/** Buffers a pool inflation takes turns with: the two the reader may hold and two ahead. */
const POOL_SLOTS = 4;

const NO_BYTES = Buffer.alloc(0);

/**
 * `input` (a zlib stream's bytes, in pieces) inflated on the thread pool into POOL_SLOTS
 * reused buffers of `chunkBytes`, up to two chunks ahead of the caller: inflating overlaps
 * the caller's work without a fresh buffer per chunk (see the top of this file). A chunk is
 * valid until the chunk after the next one is asked for. Bytes after the end of the zlib
 * stream are ignored, as node:zlib's Inflate ignores them; an incomplete stream rejects
 * with Z_BUF_ERROR once the chunks before the cut are handed out. Takes `z` over (closes it).
 */
export async function* inflatedOnPool(z: PoolInflater, input: AsyncIterable<Uint8Array>, chunkBytes: number): AsyncGenerator<Buffer> {
  const buffers = Array.from({ length: POOL_SLOTS }, () => Buffer.allocUnsafe(chunkBytes));
  const ready: Buffer[] = [];
  let asked = 0;
  let finished = false;
  let stopped = false;
  let failure: unknown;
  let wakeReader: (() => void) | null = null;
  let wakeInflater: (() => void) | null = null;
  const wake = (which: 'reader' | 'inflater'): void => {
    const w = which === 'reader' ? wakeReader : wakeInflater;
    if (which === 'reader') wakeReader = null;
    else wakeInflater = null;
    w?.();
  };

  const inflate = async (): Promise<void> => {
    const { state } = z;
    let index = 0;
    let out = buffers[0] as Buffer;
    let outOff = 0;
    // Hands chunk `index` over, then waits until the chunk four before the next one (the
    // same buffer) is released: the reader asked for the chunk two after it.
    const handOver = async (): Promise<void> => {
      ready.push(outOff === chunkBytes ? out : out.subarray(0, outOff));
      wake('reader');
      index++;
      while (!stopped && index > asked + 1) await new Promise<void>((r) => (wakeInflater = r));
      out = buffers[index % POOL_SLOTS] as Buffer;
      outOff = 0;
    };
    try {
      let ended = false;
      for await (const piece of input) {
        let inOff = 0;
        let inLen = piece.length;
        while (inLen > 0 && !stopped) {
          const space = chunkBytes - outOff;
          await z.write(constants.Z_NO_FLUSH, piece, inOff, inLen, out, outOff, space);
          const used = inLen - (state[1] as number);
          outOff += space - (state[0] as number);
          inOff += used;
          inLen -= used;
          if (outOff === chunkBytes) await handOver();
          else if (inLen > 0) {
            // Output space left and input not taken: the zlib stream has ended.
            ended = true;
            break;
          }
        }
        if (ended || stopped) break;
      }
      // The end of the input: Z_FINISH makes zlib say whether the stream was complete.
      while (!stopped) {
        const space = chunkBytes - outOff;
        await z.write(constants.Z_FINISH, NO_BYTES, 0, 0, out, outOff, space);
        outOff += space - (state[0] as number);
        if (outOff < chunkBytes) break;
        await handOver();
      }
      if (outOff > 0 && !stopped) ready.push(out.subarray(0, outOff));
    } catch (e) {
      failure = e;
    } finally {
      finished = true;
      wake('reader');
    }
  };

  const inflating = inflate();
  try {
    for (;;) {
      asked++;
      wake('inflater');
      while (ready.length === 0 && !finished) await new Promise<void>((r) => (wakeReader = r));
      const chunk = ready.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw failure;
      return;
    }
  } finally {
    stopped = true;
    wake('inflater');
    await inflating;
    z.close();
  }
}
