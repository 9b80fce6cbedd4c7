// SPDX-License-Identifier: GPL-2.0-only
/**
 * `openTrace(path)`: the one entry point every report uses to read a recording, whatever
 * its format. The format is sniffed from the first bytes (sniff.ts), then the matching
 * reader runs: our protobuf trace (streamed), or one of damo's formats (json,
 * json_compressed, perf script text, perf.data through `perf script`, the legacy binary).
 */
import { accessSync, closeSync, constants as fsConstants, createReadStream, createWriteStream, fstatSync, mkdtempSync, openSync, readSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import { removeAtExit } from '../core/output_file.js';
import type { TraceSource } from '../core/model.js';
import type { DamoJsonStreaming } from './damo/json_source.js';
import type { MemoryTraceSource } from './damo/records.js';
import { SNIFF_BYTES, sniff, type SniffedFormat } from './sniff.js';

export interface OpenTraceOptions {
  /** Turn warnings about truncated input into errors. */
  strict?: boolean;
  /** Environment for finding `perf` (PATH, DAMO_PERF); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Stream large damo json files pass by pass instead of reading them whole
   * (damo/json_source.ts). Absent: read them whole.
   */
  streamDamoJson?: DamoJsonStreaming | undefined;
}

/** Reads the first bytes of a file and names its format. */
export async function sniffFile(path: string): Promise<SniffedFormat> {
  // Synchronous: a few hundred bytes, read once; the thread pool would only add latency.
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') {
      throw new DamoError('E_NOENT', `${path}: no such file`, { hint: 'record one with `damo record`, or pass another file with -i' });
    }
    if (code === 'EISDIR') throw new DamoError('E_USAGE', `${path} is a directory, not a recording`);
    if (code === 'EACCES' || code === 'EPERM') throw new DamoError('E_PERM', `${path}: permission denied`);
    throw new DamoError('E_IO', `${path}: cannot open: ${errorMessage(e)}`, { cause: e });
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new DamoError('E_USAGE', `${path} is a directory, not a recording`);
    const buf = new Uint8Array(SNIFF_BYTES);
    const bytesRead = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return sniff(buf.subarray(0, bytesRead));
  } catch (e) {
    if (e instanceof DamoError) throw e;
    if (errnoCode(e) === 'EISDIR') throw new DamoError('E_USAGE', `${path} is a directory, not a recording`);
    throw new DamoError('E_IO', `${path}: cannot read: ${errorMessage(e)}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/**
 * Readers take more than one pass over a recording and read at offsets, which a pipe
 * cannot do; `-` (stdin) and pipes or FIFOs are copied to a private temporary file first,
 * removed at exit. Returns the path to read.
 */
async function readablePath(path: string): Promise<string> {
  if (path !== '-') {
    try {
      const st = statSync(path);
      if (!(st.isFIFO() || st.isSocket() || st.isCharacterDevice())) return path;
    } catch {
      return path;
    }
  }
  // Loaded only here: most runs read a file, and every module loaded costs start-up.
  const [{ tmpdir }, { pipeline }] = await Promise.all([import('node:os'), import('node:stream/promises')]);
  const dir = mkdtempSync(join(tmpdir(), 'damo-input-'));
  const spool = join(dir, 'input');
  removeAtExit(spool);
  removeAtExit(dir);
  try {
    await pipeline(path === '-' ? process.stdin : createReadStream(path), createWriteStream(spool, { mode: 0o600 }));
  } catch (e) {
    throw new DamoError('E_IO', `${path === '-' ? 'stdin' : path}: cannot read: ${errorMessage(e)}`, {
      cause: e,
      hint: 'pass a regular file with -i',
    });
  }
  return spool;
}

/**
 * Opens a recording in any supported format; `-` reads stdin. Only the reader of the
 * sniffed format is loaded: start-up is most of a report's time on a small file.
 */
export async function openTrace(userPath: string, opts: OpenTraceOptions = {}): Promise<TraceSource> {
  const path = await readablePath(userPath);
  const format = await sniffFile(path);
  const strict = opts.strict === true;
  switch (format) {
    case 'protobuf':
      return openProtobuf(path, strict);
    case 'json_compressed':
    case 'json': {
      const compressed = format === 'json_compressed';
      const stream = opts.streamDamoJson;
      const { openDamoJson, readDamoJson } = await import('./damo/json_source.js');
      if (stream === undefined) return readDamoJson(path, { compressed });
      return openDamoJson(path, { ...stream, compressed });
    }
    case 'legacy':
    case 'legacy_headerless': {
      const { readLegacy } = await import('./damo/legacy_reader.js');
      return readLegacy(path, { strict });
    }
    case 'perf_script': {
      const { readPerfScript } = await import('./damo/perf_script_reader.js');
      return readPerfScript(path, { strict });
    }
    case 'perf_data':
      return readPerfData(path, strict, opts.env ?? process.env);
    case 'gzip':
      throw new DamoError('E_FORMAT', `${path} is gzip-compressed`, {
        hint: `decompress it first (gunzip -k ${path}) and pass the result`,
      });
    case 'empty':
      throw new DamoError('E_FORMAT', `${path} is empty`, { hint: 'the recording may have failed; record again' });
    case 'unknown':
      throw new DamoError('E_FORMAT', `${path} is not a recording damo-ts can read`, {
        hint:
          'supported: damo-ts traces, damo json / json_compressed, perf script text of DAMON ' +
          'tracepoints, perf.data (needs perf), and the legacy damon_recfmt_ver binary',
      });
  }
}

async function openProtobuf(path: string, strict: boolean): Promise<TraceSource> {
  const { openProtobufTrace } = await import('./trace_reader.js');
  return openProtobufTrace(path, { strict });
}

/** Finds an executable on PATH (no shell, no which(1)). */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) {
    try {
      accessSync(name, fsConstants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** perf.data: damo runs `perf script --force -i FILE`; so do we, when perf is installed. */
async function readPerfData(path: string, strict: boolean, env: NodeJS.ProcessEnv): Promise<MemoryTraceSource> {
  const perf = findExecutable(env['DAMO_PERF'] ?? 'perf', env);
  if (perf === undefined) {
    throw new DamoError('E_UNSUPPORTED', `${path} is a perf.data file, and perf is not installed to decode it`, {
      hint: `convert it where perf is available: perf script --force -i ${path} > ${path}.script, then pass ${path}.script`,
    });
  }
  const { PerfScriptParser, perfScriptSource } = await import('./damo/perf_script_reader.js');
  // Loaded here, not with this module: child_process (and net, which it loads) cost every
  // report's start-up ~5 ms, and only perf.data needs them.
  const { spawn } = await import('node:child_process');
  const parser = new PerfScriptParser(path);
  const stderr: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(perf, ['script', '--force', '-i', path], { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      try {
        parser.feed(chunk);
      } catch (e) {
        child.kill();
        reject(e);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.join('').length < 4096) stderr.push(s);
    });
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((e: unknown) => {
    if (e instanceof DamoError) throw e;
    throw new DamoError('E_IO', `${path}: running ${perf} script failed: ${errorMessage(e)}`, { cause: e });
  });
  if (code !== 0) {
    const why = stderr.join('').trim().split('\n').pop() ?? '';
    throw new DamoError('E_FORMAT', `${path}: \`perf script\` failed (exit ${code})${why ? `: ${why}` : ''}`);
  }
  return perfScriptSource(path, parser.finish(strict));
}

