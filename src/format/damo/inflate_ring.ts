/**
 * Inflation of a json_compressed file on a worker thread (inflate_worker.ts), handed to the
 * parser as views of a ring of shared-memory slots. For large files this takes the zlib
 * work, its callbacks and its per-chunk allocations off the parsing thread; small files
 * (and runs from TypeScript sources, where the compiled worker does not exist) inflate on
 * the main thread's zlib stream instead.
 *
 * A yielded view stays valid until the consumer asks for the chunk after the next one: the
 * parser may keep the unparsed tail of one chunk until it is given the next.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const NR_SLOTS = 8;
const SLOT_BYTES = 1 << 20;

type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

interface FinalMessage {
  kind: 'done' | 'error';
  code?: string;
  message?: string;
}

/** An inflate failure with zlib's error code (Z_BUF_ERROR, Z_DATA_ERROR, ...). */
export class InflateError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function workerUrl(): URL | undefined {
  const url = new URL('./inflate_worker.js', import.meta.url);
  try {
    return existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Whether to inflate on a worker: env DAMO_INFLATE_WORKER=always|never, else by size. */
export function useInflateWorker(fileBytes: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env['DAMO_INFLATE_WORKER'];
  if (mode === 'never') return false;
  if (workerUrl() === undefined) return false;
  if (mode === 'always') return true;
  return fileBytes >= 1 << 20;
}

export async function* inflateOnWorker(path: string): AsyncGenerator<Uint8Array> {
  const url = workerUrl();
  if (url === undefined) throw new Error('inflate worker is not built');
  const control = new SharedArrayBuffer(4 * (4 + NR_SLOTS));
  const data = new SharedArrayBuffer(NR_SLOTS * SLOT_BYTES);
  const ctl = new Int32Array(control);
  const mem = new Uint8Array(data);
  const worker = new Worker(url, { workerData: { path, control, data, nrSlots: NR_SLOTS, slotBytes: SLOT_BYTES } });
  const final = new Promise<FinalMessage>((resolve) => {
    worker.once('message', (m: FinalMessage) => resolve(m));
    worker.once('error', (e: Error) => resolve({ kind: 'error', code: '', message: e.message }));
    worker.once('exit', () => resolve({ kind: 'error', code: '', message: 'inflate worker exited early' }));
  });
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  let next = 0;
  try {
    for (;;) {
      let produced = Atomics.load(ctl, 0);
      while (produced <= next) {
        if (Atomics.load(ctl, 2) !== 0) {
          produced = Atomics.load(ctl, 0);
          if (produced > next) break;
          const m = await final;
          if (m.kind === 'error') throw new InflateError(m.code ?? '', m.message ?? 'inflate failed');
          return;
        }
        const w = waitAsync(ctl, 0, produced, 1000);
        if (w.async) await w.value;
        produced = Atomics.load(ctl, 0);
      }
      const slot = next % NR_SLOTS;
      const len = Atomics.load(ctl, 4 + slot);
      yield mem.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + len);
      // The consumer is done with the chunk before this one.
      Atomics.store(ctl, 1, next);
      Atomics.notify(ctl, 1);
      next++;
    }
  } finally {
    Atomics.store(ctl, 3, 1);
    Atomics.store(ctl, 1, 0x3fffffff);
    Atomics.notify(ctl, 1);
    await worker.terminate();
  }
}
