// SPDX-License-Identifier: GPL-2.0-only
// Bundles the CLI for start-up time (issue 17; src/cli/bin.cts says how it is loaded): after
// tsc, dist/src/cli/entry.js and everything it may import, commander and the pure-JavaScript
// dependencies included, become chunks with esbuild: entry.cjs and one chunk per set of
// modules that the same lazy imports need, each CommonJS inside a function expression that
// bin.cts calls. The launcher packs them into dist/src/cli/damo.pack and runs typical
// commands on damo's small test recording, which leaves a V8 code cache of each chunk in it.
// dist/src/** stays as tsc wrote it: the tests import it.
//
// What the bundling changes in the modules' text, so that they behave as they do unbundled:
// - import.meta.url becomes the URL of the module's own file in dist/ (computed from the
//   bundle's URL), so files found relative to a module (the addon, workers) are still found;
// - import() of a native package (DuckDB, resvg) goes through bin.cts's own import();
// - import() of one of Node's modules becomes a require() (the bundle has no import());
// - commander, loaded with createRequire() unbundled (src/cli/commander.ts), is require()d,
//   which esbuild bundles.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist/src/cli');
const pack = join(cliDir, 'damo.pack');
/** Packages with native code: loaded from node_modules at run time. */
const NATIVE_PACKAGES = ['@duckdb/node-api', '@resvg/resvg-js'];

/**
 * commander requires child_process when it loads, for executable subcommands (damo has
 * none); loading it (with net, dgram, streams) cost every command's start-up ~5 ms. In the
 * bundle it is required when first used instead. The build fails if commander changes that
 * line, so this cannot silently stop applying.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const COMMANDER_CHILD_PROCESS_LAZY = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";

/**
 * protobufjs requires `long` when it loads, for 64-bit fields as Long objects, and
 * src/format/pb_config.ts then clears util.Long (64-bit fields are numbers here). Loading
 * long instantiated its WebAssembly helpers, ~3 ms of every trace report's start-up; in the
 * bundle it is an empty module, which protobufjs takes as "no Long" (null).
 */
let longRequests = 0;

const rewrite = {
  name: 'damo-dist-modules',
  setup(build) {
    build.onResolve({ filter: /^long$/ }, (args) => {
      if (!/[\\/]protobufjs[\\/]/.test(args.importer)) return undefined;
      longRequests += 1;
      return { path: 'long', namespace: 'damo-no-long' };
    });
    build.onLoad({ filter: /.*/, namespace: 'damo-no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(COMMANDER_CHILD_PROCESS)) throw new Error(`${args.path}: no '${COMMANDER_CHILD_PROCESS}'; update scripts/bundle-cli.mjs`);
      if (/childProcess\.(?!spawn\b)/.test(text)) throw new Error(`${args.path}: uses child_process beyond spawn; update scripts/bundle-cli.mjs`);
      return { contents: text.replace(COMMANDER_CHILD_PROCESS, COMMANDER_CHILD_PROCESS_LAZY), loader: 'js' };
    });
    build.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      text = text.replace(/createRequire\(import\.meta\.url\)\('commander'\)/g, "require('commander')");
      for (const name of NATIVE_PACKAGES) text = text.replaceAll(`import('${name}')`, `__damoImport('${name}')`);
      // A vm.Script has no loader for import(): Node's own modules come through require,
      // whose exports have the same names.
      text = text.replace(/\bimport\('(node:[a-z_/]+)'\)/g, "Promise.resolve().then(() => require('$1'))");
      const own = JSON.stringify(relative(cliDir, args.path).split('\\').join('/'));
      text = text.replaceAll('import.meta.url', `new URL(${own}, __damoBundleUrl).href`);
      // Anything else of import.meta (dirname, filename, resolve) would be empty in the bundle.
      if (text.includes('import.meta')) throw new Error(`${args.path}: import.meta other than import.meta.url; teach scripts/bundle-cli.mjs to rewrite it`);
      return { contents: text, loader: 'js' };
    });
  },
};

// Builds of earlier layouts left these.
for (const old of ['damo.cjs', 'damo.cjs.v8cache', 'bundle']) rmSync(join(cliDir, old), { recursive: true, force: true });
rmSync(pack, { force: true });
const chunkDir = mkdtempSync(join(tmpdir(), 'damo-chunks-'));
process.on('exit', () => rmSync(chunkDir, { recursive: true, force: true }));
const built = await esbuild.build({
  entryPoints: [join(cliDir, 'entry.js')],
  outdir: chunkDir,
  bundle: true,
  // One chunk per set of modules that the same lazy imports need: a command compiles and
  // reads only the chunks its imports reach.
  splitting: true,
  format: 'esm',
  outExtension: { '.js': '.cjs' },
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  target: 'node20',
  external: NATIVE_PACKAGES.map((p) => `${p}/*`).concat(NATIVE_PACKAGES),
  // Less text to read and parse; names stay, for the stacks --debug prints.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  plugins: [rewrite],
  legalComments: 'inline',
  logLevel: 'warning',
  metafile: true,
  write: false,
});
if (longRequests === 0) {
  console.error("bundle-cli: protobufjs no longer requires 'long' where this script expects it; update the note above `longRequests`");
  process.exit(1);
}
failOnChunkCycle(built.metafile);
for (const out of built.outputFiles) {
  // Each ES module chunk becomes the body of a function of what Node passes a CommonJS
  // module (bin.cts compiles it as it is, with a code cache of its own): imports of other
  // chunks become require('./chunk-….cjs'), which bin.cts resolves to its one copy of that chunk.
  // "use strict": the chunks were ES modules, strict throughout.
  const { code: transformed } = esbuild.transformSync(out.text, {
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'inline',
    banner: '(function (exports, require, module, __filename, __dirname, __damoBundleUrl, __damoImport) {"use strict";',
    footer: '})',
  });
  // esbuild leaves import() of a chunk as it is in CommonJS; here it is the chunk's require.
  let code = transformed.replace(/\bimport\("(\.\/chunk-[A-Z0-9]+\.cjs)"\)/g, 'Promise.resolve().then(() => require("$1"))');
  // The exports object itself, not a copy of it with a getter per export in front of its
  // getters: a chunk reads another's exports through them (varintCursor once per varint).
  const exportsLine = /module\.exports=__toCommonJS\((\w+)\);/;
  if (exportsLine.test(code)) code = code.replace(exportsLine, 'Object.defineProperty($1,"__esModule",{value:!0});module.exports=$1;');
  if (code.includes('__toCommonJS(')) {
    console.error(`bundle-cli: chunk ${relative(chunkDir, out.path)} still copies its exports (__toCommonJS), in a form the rewrite above does not know; teach it`);
    process.exit(1);
  }
  const leftImport = /\bimport\("[^"]*"\)/.exec(code);
  if (leftImport !== null) {
    console.error(`bundle-cli: chunk ${relative(chunkDir, out.path)} still has ${leftImport[0]}, which fails in the bundle ('A dynamic import callback was not specified'); teach the rewrite above its form`);
    process.exit(1);
  }
  writeFileSync(out.path, code);
}

/**
 * Chunks that import one another in a circle would see each other half-initialised as
 * CommonJS (an ES module cycle relies on hoisting across files); esbuild's chunks form none
 * today, and the build says so if that changes.
 */
function failOnChunkCycle(metafile) {
  const edges = new Map();
  for (const [path, out] of Object.entries(metafile.outputs)) {
    edges.set(path, out.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => i.path));
  }
  const state = new Map();
  const visit = (path, trail) => {
    if (state.get(path) === 'done') return;
    if (state.get(path) === 'open') {
      console.error(`bundle-cli: chunks import one another in a circle: ${[...trail, path].join(' -> ')}`);
      process.exit(1);
    }
    state.set(path, 'open');
    for (const next of edges.get(path) ?? []) visit(next, [...trail, path]);
    state.set(path, 'done');
  };
  for (const path of edges.keys()) visit(path, []);
}

// The caches hold the bytecode of what the training commands ran: reading damo's json and
// our trace, and the reports that are mostly start-up on small recordings; the chunks that
// these did not load get a cache of their compiled top level.
const fixture = join(root, 'test/fixtures/damo/damo-3.3.0-tests-report/damon.data');
const commands = [['--version']];
const tmp = mkdtempSync(join(tmpdir(), 'damo-bundle-'));
try {
  if (existsSync(fixture)) {
    const trace = join(tmp, 'small.damo');
    commands.push(['convert', '-i', fixture, '-o', trace]);
    for (const input of [fixture, trace]) {
      for (const report of ['wss', 'nr_regions', 'raw', 'access']) commands.push(['report', report, '-i', input]);
    }
  }
  // The launcher packs the chunks (src/cli/bin.cts, Pack), then runs the commands.
  execFileSync(process.execPath, [join(cliDir, 'bin.cjs')], {
    env: { ...process.env, DAMO_CODE_CACHE_TRAIN: JSON.stringify(commands), DAMO_PACK_CHUNKS: chunkDir, DAMO_BUNDLE: '1', DAMO_CODE_CACHE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (!existsSync(pack)) {
  console.error(`bundle-cli: the launcher wrote no ${relative(root, pack)}`);
  process.exit(1);
}
console.error(`bundle-cli: ${relative(root, pack)}: ${built.outputFiles.length} chunks and their code caches`);
