/**
 * Worker thread that reads and inflates a json_compressed file into a ring of shared
 * memory slots, so that the main thread only parses: no zlib callbacks, no per-chunk
 * Buffer allocations (and the garbage collections they cause) on the parsing thread.
 *
 * Protocol (see inflate_ring.ts): control[0] = slots produced, control[1] = slots the
 * reader released, control[2] = 0 while running, 1 done, 2 failed; control[3] = 1 when the
 * reader gave up; control[4 + i] = bytes in slot i. The final message is
 * {kind: 'done'} or {kind: 'error', code, message}.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createInflate } from 'node:zlib';

interface RingData {
  path: string;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  nrSlots: number;
  slotBytes: number;
}

const { path, control, data, nrSlots, slotBytes } = workerData as RingData;
const ctl = new Int32Array(control);
const mem = new Uint8Array(data);

let produced = 0;
let slotUsed = 0;

function cancelled(): boolean {
  return Atomics.load(ctl, 3) !== 0;
}

/** Blocks until the slot after `produced` is free. */
function waitFreeSlot(): void {
  for (;;) {
    const released = Atomics.load(ctl, 1);
    if (produced - released < nrSlots || cancelled()) return;
    Atomics.wait(ctl, 1, released, 1000);
  }
}

function publish(): void {
  Atomics.store(ctl, 4 + (produced % nrSlots), slotUsed);
  produced++;
  Atomics.store(ctl, 0, produced);
  Atomics.notify(ctl, 0);
  slotUsed = 0;
}

function put(chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length && !cancelled()) {
    if (slotUsed === 0) waitFreeSlot();
    const n = Math.min(slotBytes - slotUsed, chunk.length - off);
    mem.set(chunk.subarray(off, off + n), (produced % nrSlots) * slotBytes + slotUsed);
    slotUsed += n;
    off += n;
    if (slotUsed === slotBytes) publish();
  }
}

async function main(): Promise<void> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const inflate = createInflate({ chunkSize: 1 << 20 });
  file.on('error', (e) => inflate.destroy(e));
  file.pipe(inflate);
  try {
    for await (const chunk of inflate) {
      put(chunk as Buffer);
      if (cancelled()) break;
    }
    if (slotUsed > 0) publish();
    Atomics.store(ctl, 2, 1);
    Atomics.notify(ctl, 0);
    parentPort?.postMessage({ kind: 'done' });
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    Atomics.store(ctl, 2, 2);
    Atomics.notify(ctl, 0);
    parentPort?.postMessage({
      kind: 'error',
      code: typeof err.code === 'string' ? err.code : '',
      message: typeof err.message === 'string' ? err.message : String(e),
    });
  } finally {
    file.destroy();
  }
}

await main();
