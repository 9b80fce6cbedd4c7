#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/**
 * The layering of src/, checked: every import (static, dynamic, type-only, re-export) from
 * one area (the first folder under src/) into another must be an edge listed in ALLOWED,
 * and no two files may import each other, directly or through others. `npm run lint` and
 * `.ci/run` run it; it prints every offending import and exits 1.
 *
 *   cli -> {record, report, schemes, replay, native, fleet} -> {format, plot} -> core
 *
 * One rule for commands: src/cli parses a command's arguments into a request and calls
 * run<Name>Command(io, request) in `src/<area>/<name>_command.ts`, which runs it. So cli/
 * may import, outside core/, only those *_command.ts modules and the few lists and types
 * named in CLI_ALSO.
 *
 * Usage: node scripts/check-layers.mjs [--graph]   (--graph prints the area edges in use)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every allowed edge between areas, and why it exists. An area may always import itself.
 * Adding an edge here is a design decision: say why in the comment, and keep the graph
 * acyclic (this script refuses a cycle between areas too).
 */
const ALLOWED = {
  // Parses arguments and calls the area that runs the command; core for errors and io.
  cli: {
    record: 'damo record and damo schemes -c run a monitoring session',
    report: 'damo report raw|wss|nr_regions|heats run there',
    schemes: 'damo simulate and damo schemes convert|tune run there',
    replay: 'damo replay and damo compare run there',
    native: 'the primitive names offered as --primitive choices',
    format: 'damo convert and damo synth run there; --output_type choices',
    fleet: 'damo export and damo fleet run there; --label checks and --compression choices',
    core: 'errors, exit on usage errors, the CLI io streams',
  },
  record: {
    schemes: 'kernel sources write DAMOS schemes into the kdamond they create; damo schemes -c runs the monitoring loop with them',
    native: 'the native engine is one of the recording sources',
    format: 'recordings are written as traces (and converted to damo formats)',
    core: 'the model, errors, units',
  },
  schemes: {
    native: 'online application through the native engine uses process_madvise(2) from the addon',
    plot: 'damo simulate --plot draws the simulated effect over time',
    format: 'simulate and tune read recordings',
    core: 'the model, errors, units',
  },
  report: {
    schemes: 'report html charts the simulation of -c SCHEMES next to the heatmaps',
    plot: 'heats --heatmap, wss/nr_regions --plot draw images',
    format: 'reports read recordings in every format',
    core: 'the model, errors, damo formatting',
  },
  replay: {
    report: "damo compare scores a replay with the reports' working set and heat grid",
    format: 'replay and compare read recordings',
    core: 'the model, errors, units',
  },
  fleet: {
    format: 'export reads recordings through open/TraceSource; Parquet and DuckDB stay inside fleet/',
    core: 'the model, errors, io',
  },
  native: {
    core: 'the model the engine delivers, errors',
  },
  format: {
    core: 'the model every reader and writer produces, errors, damo formatting',
  },
  plot: {
    core: 'errors',
  },
  core: {},
};

/** What cli/ may import from other areas besides their *_command.ts modules, and why. */
const CLI_ALSO = {
  'record/roots.ts': 'the default kernel roots, shown in --help',
  'record/target.ts': 'TargetSpec, what the target arguments parse into',
  'record/source_names.ts': 'the --source and --backend choices',
  'record/request.ts': 'a monitoring request is validated at the CLI boundary, before anything runs',
  'schemes/load.ts': '-c takes a schemes file or the scheme text: reading it is parsing the option',
  'schemes/damos_flags.ts': "damo's --damos_* flags are schemes given as options: turning them into schemes is parsing them, as -c is",
  'schemes/model.ts': 'Scheme, what -c and the --damos_* flags parse into',
  'report/heats.ts': 'TimeBound, what --time_range parses into',
  'report/heats_text.ts': 'the colour set names, --stdout_heatmap_color choices',
  'report/access_options.ts': 'the report access styles, format keywords, sort fields and record filter types its options parse into',
  'report/wss.ts': "the wss defaults damo's options start from, and the bar width bound",
  'report/percentiles.ts': 'percentile lists are checked (0..100, not empty) when -r/--percentiles_range is parsed, before anything is read',
  'format/output_formats.ts': 'the --output_type / --format choices',
  'native/primitives.ts': 'the --primitive choices',
  'fleet/labels.ts': '--label key=value is checked against the reserved column names when it is parsed',
  'fleet/schema.ts': 'the --compression choices',
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');

function listTs(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if ((e.name.endsWith('.ts') || e.name.endsWith('.cts')) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const areaOf = (file) => relative(srcDir, file).split('/')[0];
const rel = (file) => relative(root, file);

const files = listTs(srcDir);
const known = new Set(files);
/** file -> [{ target, line }] */
const graph = new Map();
const problems = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const edges = [];
  for (const imp of ts.preProcessFile(text, true, true).importedFiles) {
    const spec = imp.fileName;
    if (!spec.startsWith('.')) continue;
    let target = normalize(join(dirname(file), spec));
    if (target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
    else if (target.endsWith('.cjs')) target = target.slice(0, -4) + '.cts';
    if (!known.has(target)) {
      // Generated code (format/gen) is .js plus .d.ts: an import of it stays inside format.
      if (!target.startsWith(join(srcDir, 'format', 'gen'))) {
        problems.push(`${rel(file)}: imports '${spec}', which is not a file under src/`);
      }
      continue;
    }
    const line = text.slice(0, imp.pos).split('\n').length;
    edges.push({ target, line });
  }
  graph.set(file, edges);
}

const used = new Map();
for (const [file, edges] of graph) {
  const from = areaOf(file);
  for (const { target, line } of edges) {
    const to = areaOf(target);
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    used.set(key, (used.get(key) ?? 0) + 1);
    if (ALLOWED[from] === undefined) {
      problems.push(`${rel(file)}:${line}: '${from}' is not a known area (add it to ALLOWED in scripts/check-layers.mjs)`);
    } else if (ALLOWED[from][to] === undefined) {
      problems.push(`${rel(file)}:${line}: ${from} -> ${to} is not an allowed edge (imports ${rel(target)})`);
    } else if (from === 'cli' && to !== 'core') {
      const inSrc = relative(srcDir, target);
      if (!inSrc.endsWith('_command.ts') && CLI_ALSO[inSrc] === undefined) {
        problems.push(`${rel(file)}:${line}: cli/ imports ${rel(target)}; it may only call *_command.ts modules (add a list or type it needs to CLI_ALSO)`);
      }
    }
  }
}

// The allowed edges themselves must not form a cycle between areas.
function areaCycle() {
  const state = new Map();
  const stack = [];
  const visit = (a) => {
    state.set(a, 'open');
    stack.push(a);
    for (const b of Object.keys(ALLOWED[a] ?? {})) {
      if (state.get(b) === 'open') return [...stack.slice(stack.indexOf(b)), b];
      if (state.get(b) === undefined) {
        const c = visit(b);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(a, 'done');
    return null;
  };
  for (const a of Object.keys(ALLOWED)) if (state.get(a) === undefined) {
    const c = visit(a);
    if (c) return c;
  }
  return null;
}
const ac = areaCycle();
if (ac) problems.push(`ALLOWED has a cycle between areas: ${ac.join(' -> ')}`);

// No file cycles (Tarjan's strongly connected components).
let index = 0;
const idx = new Map();
const low = new Map();
const onStack = new Set();
const st = [];
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  st.push(v);
  onStack.add(v);
  for (const { target: w } of graph.get(v)) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = st.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || graph.get(v).some((e) => e.target === v)) cycles.push(comp);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);
for (const c of cycles) problems.push(`import cycle between ${c.length} files: ${c.map(rel).sort().join(', ')}`);

if (process.argv.includes('--graph')) {
  for (const [k, n] of [...used].sort()) console.log(`${k.padEnd(22)} ${n}`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`check-layers: ${p}`);
  console.error(`check-layers: ${problems.length} problem(s); the allowed edges and why are in scripts/check-layers.mjs`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, ${[...used.values()].reduce((a, b) => a + b, 0)} imports across areas, all along allowed edges; no cycles`);
