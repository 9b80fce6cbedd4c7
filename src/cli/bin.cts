#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/**
 * The `damo` executable. Start-up is most of the time of a report on a small recording
 * (issue 17), and most of start-up was Node loading and compiling some 50 ES modules one by
 * one. So the build (scripts/bundle-cli.mjs) also bundles entry.ts with everything it may
 * load (commander and the pure-JavaScript dependencies too) into chunks: entry.cjs and one
 * chunk per set of modules that the same lazy imports need, so that a command reads and
 * compiles only what it runs (`report wss` on a trace: a quarter of the code). They are kept
 * in one file beside this one, damo.pack, each with a V8 code cache: the bytecode of the
 * functions a few typical commands ran, so that they are not compiled again.
 *
 * A cache is only valid for the node (V8 version and flags) that made it; V8 checks that
 * and rejects it otherwise. A run that finds a chunk's cache missing or rejected writes the
 * pack again with a new one when it ends, if it can (DAMO_CODE_CACHE=0: neither use nor
 * write them).
 *
 * Without the bundle (a build of the TypeScript alone), or when the bundle is older than
 * this file (tsc ran since), the ES modules are loaded as they are; DAMO_BUNDLE=0 does that
 * too.
 *
 * This launcher is a CommonJS module: an ES module entry costs Node its ES module loader
 * before the first line runs (~4 ms of CPU a run on the project's machine, measured with
 * an empty .mjs against an empty .cjs, 20 interleaved pairs), and the bundle is CommonJS
 * anyway. bin.js, the ES module of earlier builds, just loads this file.
 */
import fs = require('node:fs');
import nodePath = require('node:path');
import nodeUrl = require('node:url');
import vm = require('node:vm');

interface CliEntry {
  run(argv: string[]): Promise<void>;
  main(argv: string[]): Promise<number>;
}

type Wrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  bundleUrl: string,
  importPackage: (specifier: string) => Promise<unknown>,
) => void;

const SELF = __filename;
/** The chunks of the bundle and their code caches, in one file (`Pack` says how). */
const PACK = nodePath.join(__dirname, 'damo.pack');
const PACK_MAGIC = 'damo-ts chunks 1\n';
const ENTRY_CHUNK = 'entry.cjs';
/** What the chunks' import.meta.url is computed from (a URL of this folder, as in the build). */
const BUNDLE_URL = nodeUrl.pathToFileURL(SELF).href;

/** Where one chunk's source and code cache lie in the pack's data. */
interface PackEntry {
  name: string;
  sourceOffset: number;
  sourceBytes: number;
  cacheOffset: number;
  /** 0: no cache. */
  cacheBytes: number;
}

/**
 * damo.pack: the magic line, the length of the index (4 bytes, little-endian), the index
 * (JSON: for each chunk, its name and where its source and its cache lie in the data), then
 * the data. One file, read in pieces through one descriptor into one reused buffer: a file
 * of its own per chunk and per cache (some 40 of each for `report wss`) cost more in opening
 * files and in fresh memory for each read than reading the bytes (docs/PERFORMANCE.md,
 * "Start-up: the bundle in chunks").
 */
class Pack {
  private buf = Buffer.allocUnsafeSlow(256 << 10);

  private constructor(
    private readonly fd: number,
    readonly entries: Map<string, PackEntry>,
    private readonly dataStart: number,
  ) {}

  static open(path: string): Pack {
    const fd = fs.openSync(path, 'r');
    try {
      const head = Buffer.alloc(PACK_MAGIC.length + 4);
      fs.readSync(fd, head, 0, head.length, 0);
      if (head.toString('latin1', 0, PACK_MAGIC.length) !== PACK_MAGIC) throw new Error(`${path}: not a damo-ts chunk pack`);
      const indexBytes = head.readUInt32LE(PACK_MAGIC.length);
      const index = Buffer.alloc(indexBytes);
      fs.readSync(fd, index, 0, indexBytes, head.length);
      const rows = JSON.parse(index.toString('latin1', 0, indexBytes)) as [string, number, number, number, number][];
      const entries = new Map<string, PackEntry>();
      for (const [name, sourceOffset, sourceBytes, cacheOffset, cacheBytes] of rows) entries.set(name, { name, sourceOffset, sourceBytes, cacheOffset, cacheBytes });
      return new Pack(fd, entries, head.length + indexBytes);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  private read(offset: number, bytes: number): Buffer {
    if (this.buf.length < bytes) this.buf = Buffer.allocUnsafeSlow(Math.max(bytes, this.buf.length * 2));
    if (fs.readSync(this.fd, this.buf, 0, bytes, this.dataStart + offset) !== bytes) throw new Error(`${PACK}: shorter than its index says`);
    return this.buf.subarray(0, bytes);
  }

  /** esbuild wrote the chunks in ASCII: latin1 makes the one-byte string V8 wants without decoding. */
  source(e: PackEntry): string {
    return this.read(e.sourceOffset, e.sourceBytes).toString('latin1');
  }

  /** The cache's bytes, valid until the next read (V8 is done with them once the script is compiled). */
  cache(e: PackEntry): Buffer | undefined {
    return e.cacheBytes === 0 ? undefined : this.read(e.cacheOffset, e.cacheBytes);
  }

  /**
   * Writes the pack again with `caches` in place of the caches of those chunks, to a
   * temporary file renamed over it (best effort: the package's folder may be read-only).
   */
  rewrite(caches: Map<string, Buffer>): void {
    const tmp = `${PACK}.tmp-${process.pid}`;
    let fd: number;
    try {
      // Opened first: where the folder is read-only, nothing else is done.
      fd = fs.openSync(tmp, 'wx');
    } catch {
      return;
    }
    try {
      const chunks = [...this.entries.values()].map((e) => {
        const source = Buffer.from(this.read(e.sourceOffset, e.sourceBytes));
        const cache = caches.get(e.name) ?? (e.cacheBytes === 0 ? Buffer.alloc(0) : Buffer.from(this.read(e.cacheOffset, e.cacheBytes)));
        return { name: e.name, source, cache };
      });
      fs.writeFileSync(fd, packBytes(chunks));
      fs.closeSync(fd);
      fs.renameSync(tmp, PACK);
    } catch {
      try {
        fs.closeSync(fd);
      } catch {
        // closed already
      }
      try {
        fs.unlinkSync(tmp);
      } catch {
        // nothing was written
      }
    }
  }
}

/** The bytes of a pack of `chunks` (the layout Pack reads). */
function packBytes(chunks: { name: string; source: Buffer; cache: Buffer }[]): Buffer {
  const rows: [string, number, number, number, number][] = [];
  let at = 0;
  for (const c of chunks) {
    rows.push([c.name, at, c.source.length, at + c.source.length, c.cache.length]);
    at += c.source.length + c.cache.length;
  }
  const index = Buffer.from(JSON.stringify(rows), 'latin1');
  const head = Buffer.alloc(PACK_MAGIC.length + 4);
  head.write(PACK_MAGIC, 'latin1');
  head.writeUInt32LE(index.length, PACK_MAGIC.length);
  return Buffer.concat([head, index, ...chunks.flatMap((c) => [c.source, c.cache])]);
}

/**
 * The chunks of the bundle, each run once: a chunk's require('./chunk-….cjs') of another
 * comes here, anything else (Node's modules, the native packages' loaders) goes to Node.
 */
class ChunkLoader {
  private readonly modules = new Map<string, { exports: object }>();
  /** The chunks compiled in this run, for the caches to write. */
  readonly scripts = new Map<string, vm.Script>();
  private readonly chunkRequire: NodeJS.Require;

  constructor(
    readonly pack: Pack,
    private readonly useCache: boolean,
  ) {
    const own = (id: string): unknown => (id.startsWith('./') ? this.load(id.slice(2)) : require(id));
    this.chunkRequire = Object.assign(own, require);
  }

  load(name: string): object {
    const done = this.modules.get(name);
    if (done !== undefined) return done.exports;
    const script = this.scripts.get(name) ?? this.compile(name);
    const module = { exports: {} };
    this.modules.set(name, module);
    const file = chunkFile(name);
    (script.runInThisContext() as Wrapper)(module.exports, this.chunkRequire, module, file, __dirname, BUNDLE_URL, (s) => import(s));
    return module.exports;
  }

  compile(name: string): vm.Script {
    const e = this.pack.entries.get(name);
    if (e === undefined) throw new Error(`${PACK} has no chunk ${name}`);
    const source = this.pack.source(e);
    const cachedData = this.useCache ? this.pack.cache(e) : undefined;
    // Stacks name the chunk as a file inside the pack.
    const script = new vm.Script(source, { filename: chunkFile(name), ...(cachedData === undefined ? {} : { cachedData }) });
    this.scripts.set(name, script);
    return script;
  }

  /** The chunks compiled in this run whose cache was missing or rejected (V8 says which). */
  stale(): string[] {
    return [...this.scripts].filter(([, script]) => script.cachedDataRejected !== false).map(([name]) => name);
  }

  /** Puts the caches of `names` (compiled in this run) into the pack. */
  writeCaches(names: Iterable<string>): void {
    const caches = new Map<string, Buffer>();
    for (const name of names) {
      const script = this.scripts.get(name);
      if (script !== undefined) caches.set(name, script.createCachedData());
    }
    if (caches.size > 0) this.pack.rewrite(caches);
  }
}

function chunkFile(name: string): string {
  return nodePath.join(PACK, name);
}

function loadBundle(): { entry: CliEntry; chunks: ChunkLoader } | undefined {
  if (process.env['DAMO_BUNDLE'] === '0') return undefined;
  const useCache = process.env['DAMO_CODE_CACHE'] !== '0';
  let chunks: ChunkLoader;
  try {
    if (fs.statSync(PACK).mtimeMs < fs.statSync(SELF).mtimeMs) return undefined;
    chunks = new ChunkLoader(Pack.open(PACK), useCache);
    chunks.compile(ENTRY_CHUNK);
  } catch {
    return undefined;
  }
  if (useCache && process.env['DAMO_CODE_CACHE_TRAIN'] === undefined) {
    process.once('exit', () => chunks.writeCaches(chunks.stale()));
  }
  return { entry: chunks.load(ENTRY_CHUNK) as CliEntry, chunks };
}

/** The build's pack: the chunks esbuild wrote to `dir`, without caches yet. */
function writePackOf(dir: string): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.cjs')).sort();
  fs.writeFileSync(PACK, packBytes(names.map((name) => ({ name, source: fs.readFileSync(nodePath.join(dir, name)), cache: Buffer.alloc(0) }))));
}

async function launch(): Promise<void> {
  const trainWith = process.env['DAMO_CODE_CACHE_TRAIN'];
  const chunksDir = process.env['DAMO_PACK_CHUNKS'];
  if (trainWith !== undefined && chunksDir !== undefined) writePackOf(chunksDir);
  const bundled = loadBundle();
  if (bundled !== undefined && trainWith !== undefined) {
    // The build's run: each command line of the JSON list in turn, then the caches of what
    // ran, and of the compiled top level of each chunk that none of them loaded.
    for (const argv of JSON.parse(trainWith) as string[][]) await bundled.entry.main(argv);
    for (const name of bundled.chunks.pack.entries.keys()) {
      if (!bundled.chunks.scripts.has(name)) bundled.chunks.compile(name);
    }
    bundled.chunks.writeCaches(bundled.chunks.scripts.keys());
    return;
  }
  const entry: CliEntry = bundled?.entry ?? ((await import('./entry.js')) as CliEntry);
  await entry.run(process.argv.slice(2));
  collectBeforeExit();
}

/**
 * A full garbage collection once the command is done, before the event loop empties. Node 20
 * can deadlock at exit (nodejs/node#54918): the main thread waits in NodePlatform::DrainTasks
 * for V8's background compile jobs, while one of them waits for the main thread to collect
 * garbage. On a loaded machine 5-7 in 40 runs of a report hung so; with this collection none
 * in 60 (docs/DESIGN-DECISIONS.md, section 6). `gc` is
 * reached through --expose-gc set for a moment: V8 keys its code cache on the flags, so they
 * are restored at once, or the next run would reject the caches (damo.pack).
 */
function collectBeforeExit(): void {
  try {
    const v8 = require('node:v8') as typeof import('node:v8');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (() => void) | undefined;
    v8.setFlagsFromString('--no-expose-gc');
    gc?.();
  } catch {
    // Only a safeguard: without it the command has still done its work.
  }
}

launch().catch((e: unknown) => {
  // entry.run() reports its own errors; this is a launcher that could not start the CLI.
  process.stderr.write(`damo: cannot start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
