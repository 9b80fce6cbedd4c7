/**
 * `damo convert`: reads a recording in any format and writes it in another. The output goes
 * to a temporary file next to the destination and is renamed over it at the end, so a
 * failed conversion never leaves a half-written file, and converting a file onto itself
 * (damo's `convert_record_format` default) is safe.
 */

import { basename } from 'node:path';
import { DamoError } from '../core/errors.js';
import { PendingOutput, refuseOutputsThatAreInputs } from '../core/output_file.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { toolVersion } from '../core/version.js';
import { openTrace } from './open.js';
import type { OutputFormat } from './output_formats.js';

/**
 * The output format an output file name asks for: `.json` is json; `.json_compressed`,
 * `.jsonz` and `.json.z` are json_compressed; `.perf_script`, `.script` and `.txt` are
 * perf_script; `.legacy` and `.recfmt` are the legacy binary; anything else (`.damo`,
 * `.trace`, `damon.data`, ...) is our protobuf trace.
 */
export function formatForOutputName(path: string): OutputFormat {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.json_compressed') || name.endsWith('.jsonz') || name.endsWith('.json.z')) return 'json_compressed';
  if (name.endsWith('.perf_script') || name.endsWith('.script') || name.endsWith('.txt')) return 'perf_script';
  if (name.endsWith('.legacy') || name.endsWith('.recfmt')) return 'legacy';
  return 'protobuf';
}

export interface ConvertOptions {
  format: OutputFormat;
  /** File mode of the output (default 0o600: recordings reveal memory layouts). */
  mode?: number;
  strict?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Hears that an existing output file was replaced. */
  notify?: (message: string) => void;
}

export interface ConvertResult {
  inputFormat: string;
  nrTargets: number;
  nrSnapshots: number;
  nrRegions: number;
  warnings: string[];
}

/**
 * Our trace format stores what DAMON can produce: non-negative integer nr_accesses, and
 * ages for all regions of a snapshot or none. damo files may hold other values; fix them
 * up the way that loses least and say so.
 */
function protobufSafe(s: Snapshot, warn: (m: string) => void): Snapshot {
  const n = s.starts.length;
  let nrFix = false;
  let agesKnown = 0;
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new DamoError('E_FORMAT', `a region [${start}, ${end}) cannot be stored in a damo-ts trace (addresses must be integers below 2^53, end >= start)`);
    }
    const nr = s.nrAccesses[i] as number;
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) nrFix = true;
    if ((s.ages[i] as number) >= 0) agesKnown++;
  }
  if (!nrFix && (agesKnown === 0 || agesKnown === n)) return s;
  const out: Snapshot = { ...s };
  if (nrFix) {
    warn('nr_accesses values outside 0..2^32-1 or not integers were clamped');
    out.nrAccesses = s.nrAccesses.map((v) => Math.min(0xffffffff, Math.max(0, Math.trunc(v))));
  }
  if (agesKnown !== 0 && agesKnown !== n) {
    warn('snapshots with ages for only some regions lost their ages');
    out.ages = new Float64Array(n).fill(-1);
  } else if (agesKnown === n) {
    out.ages = s.ages.map((v) => Math.min(0xffffffff, Math.trunc(v)));
  }
  return out;
}

async function writeProtobuf(src: TraceSource, path: string, mode: number, warn: (m: string) => void): Promise<void> {
  const { TraceWriter } = await import('./trace_writer.js');
  const header = { ...src.header, toolVersion: src.header.toolVersion || `damo-ts ${toolVersion()}` };
  const writer = TraceWriter.create(path, header, { mode });
  try {
    for await (const s of src.snapshots()) writer.writeSnapshot(protobufSafe(s, warn));
    writer.close('converted');
  } catch (e) {
    writer.abandon();
    throw e;
  }
}

export async function convertTrace(inPath: string, outPath: string, opts: ConvertOptions): Promise<ConvertResult> {
  refuseOutputsThatAreInputs([{ path: inPath, what: 'the input' }], [{ path: outPath, what: 'the output' }]);
  const src = await openTrace(inPath, { strict: opts.strict === true, env: opts.env ?? process.env });
  const warnings = [...src.warnings];
  const warned = new Set<string>();
  const warn = (m: string): void => {
    if (!warned.has(m)) {
      warned.add(m);
      warnings.push(m);
    }
  };
  const pending = new PendingOutput(outPath, 'the output');
  const tmp = pending.tmp;
  const mode = opts.mode ?? 0o600;
  let nrSnapshots = 0;
  let nrRegions = 0;
  try {
    switch (opts.format) {
      case 'protobuf':
        await writeProtobuf(src, tmp, mode, warn);
        break;
      case 'json':
      case 'json_compressed': {
        const { writeDamoJson } = await import('./damo/json_writer.js');
        await writeDamoJson(src, tmp, { compressed: opts.format === 'json_compressed', mode });
        break;
      }
      case 'perf_script': {
        const { writePerfScript } = await import('./damo/perf_script_writer.js');
        await writePerfScript(src, tmp, { mode });
        break;
      }
      case 'legacy': {
        const { writeLegacy } = await import('./damo/legacy_writer.js');
        await writeLegacy(src, tmp, { mode });
        break;
      }
    }
  } catch (e) {
    await pending.abandon();
    throw pending.failure(e);
  }
  await pending.commit(opts.notify);
  for await (const s of src.snapshots()) {
    nrSnapshots++;
    nrRegions += s.starts.length;
  }
  return { inputFormat: src.header.source, nrTargets: src.header.targets.length, nrSnapshots, nrRegions, warnings };
}
