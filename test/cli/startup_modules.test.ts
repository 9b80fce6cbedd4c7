// SPDX-License-Identifier: GPL-2.0-only
/**
 * Start-up is most of the time of a report on a small recording (issue 17 item 4;
 * bench/startup.bench.ts): a command loads only what it needs. These tests run the built
 * binary with a module log (test/fixtures/module_log) and fail when a command loads a
 * module it has no use for: another command's options, the native addon, the HTML page,
 * fleet's database, plotting, or the protobuf codec for one of damo's formats.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { BIN, builtBinaryExists } from './helpers.js';

const dir = fileTempDir('damo-startup-modules-');
const REGISTER = join(projectRoot(), 'test/fixtures/module_log/register.mjs');
const ROOT_URL = pathToFileURL(projectRoot()).href + '/';

let nrRuns = 0;

/** The modules `damo argv` loads, as paths under the project root (dist/src/..., node_modules/...) or node:NAME. */
function modulesLoadedBy(argv: string[]): string[] {
  const log = join(dir, `modules-${nrRuns++}.log`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(REGISTER).href, BIN, ...argv], {
    encoding: 'utf8',
    // The ES modules, not the bundle bin.cjs runs (src/cli/bin.cts): the bundle runs a module's
    // code when that module is first imported, so the modules loaded here are the ones whose
    // code the bundle runs; the bundle itself is one file to the loader.
    env: { ...process.env, DAMO_TEST_MODULE_LOG: log, NO_COLOR: '1', DAMO_BUNDLE: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.status, `damo ${argv.join(' ')}\n${r.stderr}`).toBe(0);
  const urls = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  rmSync(log);
  const names = urls.map((u) => (u.startsWith(ROOT_URL) ? u.slice(ROOT_URL.length) : u));
  return [...new Set(names)].filter((n) => !n.startsWith('test/fixtures/module_log/'));
}

/** What no report on one of damo's recordings needs, and why. */
const NOT_FOR_A_REPORT: ReadonlyArray<[RegExp, string]> = [
  [/^dist\/src\/native\//, 'the native engine (reports read files; the addon may not even be built)'],
  [/\.node$/, 'a native addon'],
  [/^dist\/src\/report\/html/, "the HTML report's page and its assets"],
  [/^dist\/src\/fleet\/(?!labels\.js$|schema\.js$)/, "fleet's database (only --label checks are shared with the CLI)"],
  [/^node_modules\/@duckdb\//, "fleet's database"],
  [/^dist\/src\/plot\/|^node_modules\/(d3-|@resvg\/)/, 'plotting (only with --plot or --heatmap)'],
  [/^dist\/src\/(record|schemes|replay)\/(?!source_names\.js$)/, 'recording, schemes and replay'],
  [/^dist\/src\/format\/(gen\/|pb|codec|trace_reader)|^node_modules\/protobufjs\//, "our trace's protobuf codec, for one of damo's formats"],
  [/^dist\/src\/cli\/(?!report\/)(record|schemes|kdamond|fleet|export|replay|compare|synth|validate|adjust|convert|kernel_info|completion)\.js$/, "another command's options"],
  [/^node_modules\/commander\/esm\.mjs$/, "commander's ESM wrapper (src/cli/commander.ts)"],
];

function unneeded(modules: readonly string[], allowed: RegExp[] = []): string[] {
  const out: string[] = [];
  for (const m of modules) {
    const hit = NOT_FOR_A_REPORT.find(([re]) => re.test(m));
    if (hit !== undefined && !allowed.some((a) => a.test(m))) out.push(`${m}: ${hit[1]}`);
  }
  return out;
}

describe.runIf(builtBinaryExists())('what a command loads at start-up', () => {
  const small = damoFixture('damo-3.3.0-tests-report/damon.data.json_compressed');
  const legacy = damoFixture('damon.data.legacy-recfmt2');

  for (const report of ['wss', 'raw', 'nr_regions']) {
    it(`report ${report} on damo's json_compressed test file loads only the report, its parser and the json reader`, () => {
      const modules = modulesLoadedBy(['report', report, '-i', small]);
      expect(unneeded(modules)).toEqual([]);
      expect(modules).toContain(`dist/src/report/${report}_command.js`);
      expect(modules).toContain('dist/src/format/damo/json_reader.js');
      // The other reports' options and the other readers stay unloaded.
      const otherReports = modules.filter((m) => /^dist\/src\/cli\/report\//.test(m) && !/\/(index|common|record_filter_options)\.js$/.test(m) && !m.endsWith(`/${report}.js`));
      expect(otherReports).toEqual([]);
      expect(modules.filter((m) => /legacy_reader|perf_script_reader/.test(m))).toEqual([]);
    });
  }

  it("report wss on damo's legacy binary file loads the legacy reader, not the json one", () => {
    const modules = modulesLoadedBy(['report', 'wss', '-i', legacy]);
    expect(unneeded(modules)).toEqual([]);
    expect(modules).toContain('dist/src/format/damo/legacy_reader.js');
    expect(modules).not.toContain('dist/src/format/damo/json_reader.js');
  });

  it('reports on our trace read it without node:fs/promises or node:os (each costs start-up to load)', () => {
    const trace = join(dir, 'small.damo');
    const convert = spawnSync(process.execPath, [BIN, 'convert', '-q', '-i', small, '-o', trace], { encoding: 'utf8' });
    expect(convert.status, convert.stderr).toBe(0);
    for (const report of ['wss', 'raw']) {
      const modules = modulesLoadedBy(['report', report, '-i', trace]);
      expect(modules).toContain('dist/src/format/trace_reader.js');
      expect(modules.filter((m) => m === 'node:fs/promises' || m === 'node:os')).toEqual([]);
    }
  });

  it('--version loads no command at all', () => {
    const modules = modulesLoadedBy(['--version']);
    expect(unneeded(modules)).toEqual([]);
    expect(modules.filter((m) => /^dist\/src\/(cli\/report|report|format|record|fleet)\//.test(m))).toEqual([]);
  });

  it('--help still lists every command, and a mistyped one is still suggested', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    for (const name of ['record', 'report', 'schemes', 'fleet', 'completion', 'module']) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    const typo = spawnSync(process.execPath, [BIN, 'reprot', 'wss'], { encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean report\?/);
    const subTypo = spawnSync(process.execPath, [BIN, 'report', 'wsss'], { encoding: 'utf8' });
    expect(subTypo.status).toBe(2);
    expect(subTypo.stderr).toMatch(/Did you mean wss\?/);
  });

  it('the module log works: a report with --plot loads plotting', () => {
    // Guards the guard: if the log missed modules, every check above would pass vacuously.
    const png = join(dir, 'wss.png');
    const modules = modulesLoadedBy(['report', 'wss', '-i', small, '--plot', png]);
    expect(modules.some((m) => m.startsWith('dist/src/plot/'))).toBe(true);
    expect(existsSync(png)).toBe(true);
  });
});
