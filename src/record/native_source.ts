/**
 * The native (user-space) engine as a recording source. The engine and its TypeScript
 * wrapper live in src/record/native (the native engine issue); this adapter only maps it
 * onto RecordingSource. It is loaded lazily so that kernel recording and reports work on a
 * build without the addon.
 */
import { DamoError, errorMessage } from '../core/errors.js';
import type { Intervals, NrRegionsRange } from '../core/model.js';
import type { NativeAvailability } from './detect.js';
import type { RecordingSource } from './source.js';

export const NATIVE_PRIMITIVES = ['page_idle', 'soft_dirty', 'clear_refs'] as const;
export type NativePrimitive = (typeof NATIVE_PRIMITIVES)[number];

export interface NativeSourceConfig {
  pids: number[];
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  primitive: NativePrimitive | undefined;
  baseTimeNs: bigint;
}

interface NativeModule {
  probe(primitive: NativePrimitive | undefined): NativeAvailability;
  create(cfg: NativeSourceConfig): RecordingSource;
}

let loaded: Promise<NativeModule | Error> | null = null;

function load(): Promise<NativeModule | Error> {
  if (loaded === null) {
    // A variable specifier keeps TypeScript from requiring the module at build time.
    const spec = './native_bridge.js';
    loaded = import(spec).then(
      (m: NativeModule) => m,
      (err: unknown) => new Error(errorMessage(err)),
    );
  }
  return loaded;
}

export async function probeNative(primitive: NativePrimitive | undefined): Promise<NativeAvailability> {
  const m = await load();
  if (m instanceof Error) return { usable: false, reason: `the native engine is not available in this build (${m.message})` };
  return m.probe(primitive);
}

export async function createNativeSource(cfg: NativeSourceConfig): Promise<RecordingSource> {
  const m = await load();
  if (m instanceof Error) throw new DamoError('E_NATIVE', `the native engine is not available in this build (${m.message})`);
  return m.create(cfg);
}
