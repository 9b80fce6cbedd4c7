// SPDX-License-Identifier: GPL-2.0-only
/**
 * The synchronous face of the native handle behind a node:zlib stream: one inflater kept
 * across calls, writing into buffers the caller owns and reuses.
 *
 * Node offers no public synchronous call that keeps an inflater between calls (its
 * inflateSync makes, sets up and frees one per call), and its streams allocate a fresh
 * output buffer per chunk. Fresh buffers are fresh pages: on damo's test recording x100
 * (461 MB of JSON inflated in 1 MiB chunks) the kernel's page clearing for them cost more
 * CPU than inflating itself (docs/PERFORMANCE.md, "Inflating into reused buffers"). So these
 * callers drive the handle the stream wraps, as zlib's own synchronous functions do: the
 * handle's writeSync, and the Uint32Array in which it leaves the bytes of output and input
 * it did not use. A Node without them gets null, and the caller uses the public API.
 */
import type { Transform } from 'node:stream';

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
