#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/**
 * The `damo` executable. Start-up is most of the time of a report on a small recording
 * (issue 17), and most of start-up was Node loading and compiling some 50 ES modules one by
 * one. So the build (scripts/bundle-cli.mjs) also bundles entry.ts with everything it may
 * load (commander and the pure-JavaScript dependencies too; a module imported lazily is still
 * run only when first imported) into one file beside this one, damo.cjs, and keeps
 * a V8 code cache of it, damo.cjs.v8cache: the bytecode of the functions a few typical
 * commands ran, so that they are not compiled again.
 *
 * The cache is only valid for the node (V8 version and flags) that made it; V8 checks that
 * and rejects it otherwise. A run that finds it missing or rejected writes a new one when it
 * ends, if it can (DAMO_CODE_CACHE=0: neither use nor write it).
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
const BUNDLE = nodePath.join(__dirname, 'damo.cjs');
const CODE_CACHE = `${BUNDLE}.v8cache`;

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Writes the code cache of `script` (best effort: the package's folder may be read-only). */
function writeCodeCache(script: vm.Script): void {
  const tmp = `${CODE_CACHE}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, CODE_CACHE);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

function loadBundle(): { entry: CliEntry; script: vm.Script } | undefined {
  if (process.env['DAMO_BUNDLE'] === '0') return undefined;
  let source: string;
  try {
    if (fs.statSync(BUNDLE).mtimeMs < fs.statSync(SELF).mtimeMs) return undefined;
    // esbuild wrote it in ASCII: latin1 makes the one-byte string V8 wants without decoding.
    source = fs.readFileSync(BUNDLE, 'latin1');
  } catch {
    return undefined;
  }
  const useCache = process.env['DAMO_CODE_CACHE'] !== '0';
  const cachedData = useCache ? readOrUndefined(CODE_CACHE) : undefined;
  const script = new vm.Script(source, { filename: BUNDLE, ...(cachedData === undefined ? {} : { cachedData }) });
  const training = process.env['DAMO_CODE_CACHE_TRAIN'] !== undefined;
  if (useCache && !training && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => writeCodeCache(script));
  }
  const module = { exports: {} };
  (script.runInThisContext() as Wrapper)(
    module.exports,
    // The bundle sits beside this file: this module's require resolves what it requires
    // alike (node:module's createRequire cost its load at start-up).
    require,
    module,
    BUNDLE,
    nodePath.dirname(BUNDLE),
    nodeUrl.pathToFileURL(BUNDLE).href,
    (s) => import(s),
  );
  return { entry: module.exports as CliEntry, script };
}

async function launch(): Promise<void> {
  const bundled = loadBundle();
  const trainWith = process.env['DAMO_CODE_CACHE_TRAIN'];
  if (bundled !== undefined && trainWith !== undefined) {
    // The build's run: each command line of the JSON list in turn, then the cache of what ran.
    for (const argv of JSON.parse(trainWith) as string[][]) await bundled.entry.main(argv);
    writeCodeCache(bundled.script);
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
 * are restored at once, or the next run would reject the cache (damo.cjs.v8cache).
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
