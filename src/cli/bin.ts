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
 */
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

interface CliEntry {
  run(argv: string[]): Promise<void>;
  main(argv: string[]): Promise<number>;
}

/**
 * The bundle is one function expression (scripts/bundle-cli.mjs), called as Node calls a
 * CommonJS module, plus what the bundling replaced: __damoBundleUrl is the bundle's URL
 * (each module's import.meta.url is computed from it, so paths relative to a module still
 * find the files beside it in dist/), and __damoImport imports a package that cannot be
 * bundled (a native one).
 */
type Wrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  bundleUrl: string,
  importPackage: (specifier: string) => Promise<unknown>,
) => void;

const SELF = fileURLToPath(import.meta.url);
const BUNDLE = fileURLToPath(new URL('./damo.cjs', import.meta.url));
const CODE_CACHE = `${BUNDLE}.v8cache`;

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Writes the code cache of `script` (best effort: the package's folder may be read-only). */
function writeCodeCache(script: Script): void {
  const tmp = `${CODE_CACHE}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, CODE_CACHE);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

function loadBundle(): { entry: CliEntry; script: Script } | undefined {
  if (process.env['DAMO_BUNDLE'] === '0') return undefined;
  let source: string;
  try {
    if (statSync(BUNDLE).mtimeMs < statSync(SELF).mtimeMs) return undefined;
    // esbuild wrote it in ASCII: latin1 makes the one-byte string V8 wants without decoding.
    source = readFileSync(BUNDLE, 'latin1');
  } catch {
    return undefined;
  }
  const useCache = process.env['DAMO_CODE_CACHE'] !== '0';
  const cachedData = useCache ? readOrUndefined(CODE_CACHE) : undefined;
  const script = new Script(source, { filename: BUNDLE, cachedData });
  const training = process.env['DAMO_CODE_CACHE_TRAIN'] !== undefined;
  if (useCache && !training && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => writeCodeCache(script));
  }
  const module = { exports: {} };
  (script.runInThisContext() as Wrapper)(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE), pathToFileURL(BUNDLE).href, (s) => import(s));
  return { entry: module.exports as CliEntry, script };
}

const bundled = loadBundle();
const trainWith = process.env['DAMO_CODE_CACHE_TRAIN'];
if (bundled !== undefined && trainWith !== undefined) {
  // The build's run: each command line of the JSON list in turn, then the cache of what ran.
  for (const argv of JSON.parse(trainWith) as string[][]) await bundled.entry.main(argv);
  writeCodeCache(bundled.script);
} else {
  const entry: CliEntry = bundled?.entry ?? (await import('./entry.js'));
  await entry.run(process.argv.slice(2));
}
