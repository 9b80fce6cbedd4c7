// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14, items 11-14 and 18: the command line behaves the same way everywhere (value
 * counts, errors, names, units, JSON), on terminals, in lossy conversions and in its help.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';

import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';

import { arityOf } from '../../src/cli/damo_command.js';
import { wrapHelpText } from '../../src/cli/help_wrap.js';
import { buildProgram } from '../../src/cli/main.js';
import { snakeCase } from '../../src/core/json_keys.js';
import { Progress } from '../../src/core/progress.js';
import { colorWanted, dimension } from '../../src/core/terminal.js';
import type { CliIO } from '../../src/core/io.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

const dir = fileTempDir('damo-trust-cli-');
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', DAMO_FORBID_REAL_KERNEL_WRITES: '1' };

async function synth(name: string, extra: string[] = []): Promise<string> {
  const path = join(dir, name);
  if (!existsSync(path)) {
    const r = await runMain(['synth', '-o', path, '--snapshots', '60', '--regions', '20', ...extra]);
    expect(r.code, r.stderr).toBe(0);
  }
  return path;
}

function quietIO(): CliIO {
  return { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined };
}

function leafCommands(cmd: Command, path: string[] = []): Array<{ cmd: Command; path: string[] }> {
  const here = cmd.parent === null ? [] : [...path, cmd.name()];
  const subs = cmd.commands.flatMap((c) => leafCommands(c, here));
  return cmd.parent === null ? subs : [{ cmd, path: here }, ...subs];
}

describe('14.11 options take exactly the number of values they name', () => {
  it('record --monitoring_intervals 5ms 100ms 1s sleep 0.3 records the command after the three values', async () => {
    const out = join(dir, 'intervals.data');
    const r = await runMain(['record', '--source', 'native', '--primitive', 'clear_refs', '-o', out, '--monitoring_intervals', '5ms', '100ms', '1s', 'sleep', '0.3'], ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recording 'sleep 0\.3'/);
    const raw = await runMain(['report', 'raw', '-i', out, '--json', '--raw_number']);
    const doc = JSON.parse(raw.stdout) as Array<{ intervals: { sample_us: string; aggr_us: string; ops_update_us: string } }>;
    expect(doc[0]?.intervals).toMatchObject({ sample_us: '5000', aggr_us: '100000', ops_update_us: '1000000' });
  }, 30_000);

  it('an unknown option after the command suggests --', async () => {
    const r = await runMain(['record', '-o', join(dir, 'never.data'), 'sleep', '1', '--bogus'], ENV);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^damo: unknown option '--bogus' after 'sleep'; if it belongs to the command, put '--' before the command: damo record \[options\] -- sleep \.\.\. --bogus$/m);
  });

  it('a value that starts with - is a value, and extra values are not swallowed', async () => {
    const data = await synth('s.data');
    const neg = await runMain(['report', 'heats', '-i', data, '--time_range', '0s', '-0s', '--resol', '2', '2']);
    expect(neg.stderr).not.toMatch(/unknown option/);
    const five = await runMain(['report', 'nr_regions', '-i', data, '-r', '0', '25', '50', '75', '100']);
    expect(five.code).toBe(2);
    expect(five.stderr).toMatch(/^damo: too many arguments for 'nr_regions'/m);
  });

  it('every option with several values declares how many (open-ended only where damo takes one or more)', async () => {
    // damo 3.3.0's argparse takes nargs='+' for these; every other multi-value option is nargs=N.
    const openEnded = new Set([
      'compare --percentiles',
      'report access --percentiles_range',
      'report access --sort_regions_by',
      'report access --sort_regions_dsc',
      'report access --hist_ranges',
      'report access --format',
      'report access --snapshot_damos_filter',
      'report heatmap --time_range',
      'report heatmap --address_range',
      'validate --regions_boundary',
      'report sysinfo --print',
      'report damon --damos_stat_fields',
      // damo's --damos_* flags that take one or more values each time (nargs='+').
      'start --damos_action',
      'start --damos_quotas',
      'start --damos_quota_goal',
      'start --damos_filter',
      'start --damos_nr_quota_goals',
      'start --damos_nr_filters',
      'tune --damos_action',
      'tune --damos_quotas',
      'tune --damos_quota_goal',
      'tune --damos_filter',
      'tune --damos_nr_quota_goals',
      'tune --damos_nr_filters',
      'args damon --damos_action',
      'args damon --damos_quotas',
      'args damon --damos_quota_goal',
      'args damon --damos_filter',
      'args damon --damos_nr_quota_goals',
      'args damon --damos_nr_filters',
      // damo's record takes the same --damos_* flags.
      ...['--damos_action', '--damos_quotas', '--damos_quota_goal', '--damos_filter', '--damos_nr_quota_goals', '--damos_nr_filters'].map((o) => `record ${o}`),
      // damo's target and context counts and node lists (nargs='+').
      ...['start', 'args damon', 'tune'].flatMap((c) => ['--numa_node', '--nr_targets', '--nr_schemes', '--nr_ctxs'].map((o) => `${c} ${o}`)),
      // Input files, not values of one setting: `damo export -i a.data b.data -o DIR`.
      'export --input',
    ]);
    for (const { cmd, path } of leafCommands(await buildProgram(quietIO()))) {
      for (const o of cmd.options as readonly Option[]) {
        if (!o.variadic || openEnded.has(`${path.join(' ')} ${o.long}`)) continue;
        expect(arityOf(o), `damo ${path.join(' ')} ${o.long}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('14.12 errors, names, units and JSON are the same everywhere', () => {
  it("every parser error is 'damo: <what>' and exits 2", async () => {
    for (const argv of [['frob'], ['report', 'frob'], ['report', 'wss', '--bogus'], ['report', 'heats', '--color', 'pink'], ['synth', '--snapshots'], ['convert', '-i', 'x']]) {
      const r = await runMain(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      for (const line of r.stderr.trimEnd().split('\n')) expect(line, argv.join(' ')).toMatch(/^damo: /);
    }
  });

  it('damo help report heats is damo report heats --help', async () => {
    const help = await runMain(['help', 'report', 'heats']);
    const direct = await runMain(['report', 'heats', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: damo report heats');
    expect(help.stdout).toBe(direct.stdout);
  });

  it('option names are snake_case; kebab-case spellings are accepted', async () => {
    for (const { cmd, path } of leafCommands(await buildProgram(quietIO()))) {
      for (const o of cmd.options as readonly Option[]) {
        // damo 3.3.0's own spelling, which its test scripts pass
        if (o.long === '--damon_interface_DEPRECATED') continue;
        if (o.long !== undefined) expect(o.long, `damo ${path.join(' ')}`).toMatch(/^--[a-z0-9_]+$/);
      }
    }
    const data = await synth('s.data');
    const snake = await runMain(['schemes', 'tune', '-i', data, '-t', '4K max 0 0 1s max pageout', '--max_refault', '5', '--raw_number']);
    const kebab = await runMain(['schemes', 'tune', '-i', data, '-t', '4K max 0 0 1s max pageout', '--max-refault', '5', '--raw-number']);
    expect(snake.code, snake.stderr).toBe(0);
    expect(kebab.stdout).toBe(snake.stdout);
  });

  it('unique prefixes of long options work as in damo (argparse allow_abbrev); an ambiguous one names its matches', async () => {
    const data = await synth('s.data');
    const full = await runMain(['report', 'record_info', '-i', data, '--raw_numbers']);
    const short = await runMain(['report', 'record_info', '-i', data, '--raw_number']);
    expect(full.code, full.stderr).toBe(0);
    expect(short.code, short.stderr).toBe(0);
    expect(short.stdout).toBe(full.stdout);
    const eq = await runMain(['report', 'wss', '-i', data, '--work_t=1s', '--raw_n']);
    const long = await runMain(['report', 'wss', '-i', data, '--work_time', '1s', '--raw_number']);
    expect(eq.code, eq.stderr).toBe(0);
    expect(eq.stdout).toBe(long.stdout);
    const ambiguous = await runMain(['report', 'heatmap', '-i', data, '--abs']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/ambiguous option '--abs' could match --abs_time, --abs_addr|ambiguous option '--abs' could match --abs_addr, --abs_time/);
    // After a command target the words are the command's own, never expanded.
    const after = await runMain(['record', '-o', join(dirname(data), 'r.data'), 'sleep', '--timeo', '1']);
    expect(after.stderr).toMatch(/unknown option '--timeo' after 'sleep'/);
  });

  it('times are read the same way by every option of a kind', async () => {
    const data = await synth('s.data');
    const us = await runMain(['report', 'wss', '-i', data, '--work_time', '1000000', '--raw_number']);
    const unit = await runMain(['report', 'wss', '-i', data, '--work_time', '1s', '--raw_number']);
    expect(unit.stdout).toBe(us.stdout);
    const a = await runMain(['schemes', 'convert', '4K max 0 0 1s max pageout', '-s', '5000', '-a', '100000']);
    const b = await runMain(['schemes', 'convert', '4K max 0 0 1s max pageout', '-s', '5ms', '-a', '100ms']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const cmp = await runMain(['compare', data, data, '--work_time', '1s']);
    expect(cmp.code, cmp.stderr).toBe(0);
    const synthUnits = await runMain(['synth', '-o', join(dir, 'units.data'), '--snapshots', '2', '--aggr_us', '100ms', '--sample_us', '5ms']);
    expect(synthUnits.code, synthUnits.stderr).toBe(0);
  });

  it('--json keys are snake_case everywhere, with ids beyond 2^53 as strings', async () => {
    const data = await synth('s.data');
    const docs: Array<[string, string[]]> = [
      ['wss', ['report', 'wss', '-i', data, '--json']],
      ['nr_regions', ['report', 'nr_regions', '-i', data, '--json']],
      ['heats guide', ['report', 'heats', '-i', data, '--guide', '--json']],
      ['heats', ['report', 'heats', '-i', data, '--json', '--resol', '3', '3']],
      ['raw', ['report', 'raw', '-i', data, '--json']],
      ['simulate', ['simulate', '-i', data, '-c', '4K max 0 0 1s max pageout', '--json']],
      ['tune', ['schemes', 'tune', '-i', data, '-t', '4K max 0 0 1s max pageout', '--json']],
      ['compare', ['compare', data, data, '--json']],
    ];
    for (const [name, argv] of docs) {
      const r = await runMain(argv);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v !== null && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            expect(k, name).toMatch(/^[a-z0-9_]+$/);
            if (typeof x === 'number' && /(^|_)id$/.test(k)) expect(Math.abs(x), `${name}.${k}`).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
            walk(x);
          }
        }
      };
      walk(JSON.parse(r.stdout));
    }
    expect(snakeCase('nrSnapshotsInWindow')).toBe('nr_snapshots_in_window');
  });

  it('record -o x.json writes JSON, and refuses a name that says another format than --output_type', async () => {
    const out = join(dir, 'rec.json');
    const r = await runMain(['record', '--source', 'native', '--primitive', 'clear_refs', '-o', out, '--', 'sleep', '0.3'], ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(() => JSON.parse(readFileSync(out, 'utf8')) as unknown).not.toThrow();
    const refused = await runMain(['record', '--output_type', 'protobuf', '-o', join(dir, 'r2.json'), '--', 'sleep', '0.3'], ENV);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^damo: -o .*r2\.json names a json file, but --output_type protobuf writes protobuf$/m);
    expect(existsSync(join(dir, 'r2.json'))).toBe(false);
  }, 30_000);
});

describe('14.13 terminals', () => {
  it('TERM=dumb, FORCE_COLOR=0 and NO_COLOR turn colour off; FORCE_COLOR=1 on', () => {
    expect(colorWanted({}, true)).toBe(true);
    expect(colorWanted({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '1', TERM: 'dumb' }, false)).toBe(true);
    expect(colorWanted({}, false)).toBe(false);
  });

  it('the terminal heatmap has no colour codes under TERM=dumb or FORCE_COLOR=0', async () => {
    const data = await synth('s.data');
    const tty = { stdoutIsTTY: true, stderrIsTTY: true, columns: 60, rows: 20 };
    const coloured = await runMain(['report', 'heats', '-i', data, '--heatmap', 'stdout'], {}, tty);
    expect(coloured.stdout).toContain('\x1b[');
    for (const env of [{ TERM: 'dumb' }, { FORCE_COLOR: '0' }, { NO_COLOR: '1' }]) {
      const r = await runMain(['report', 'heats', '-i', data, '--heatmap', 'stdout'], env, tty);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, JSON.stringify(env)).not.toContain('\x1b[');
    }
  });

  it('a terminal reporting 0x0 is taken as 80x40', async () => {
    expect(dimension(0, 80)).toBe(80);
    expect(dimension(undefined, 40)).toBe(40);
    const data = await synth('s.data');
    const r = await runMain(['report', 'heats', '-i', data, '--heatmap', 'stdout', '--color', 'never'], {}, { stdoutIsTTY: true, columns: 0, rows: 0 });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\d+$/.test(l));
    expect(rows[0]?.length).toBe(80);
  });

  it('long work shows progress with an ETA on a terminal, and erases it', () => {
    let now = 0;
    const chunks: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (b: Buffer) => chunks.push(b.toString()));
    const p = new Progress(stream, 'converting x.data', true, () => now);
    p.update(0.1, '10 snapshots');
    expect(chunks.join('')).toBe(''); // nothing in the first second
    now = 2000;
    p.update(0.5, '50 snapshots');
    now = 2100;
    p.update(0.6); // too soon to redraw
    p.done();
    expect(chunks.join('')).toBe('\r\x1b[2Kdamo: converting x.data: 50% (50 snapshots), ETA ~2 s\r\x1b[2K');
    const off = new Progress(stream, 'x', false, () => 5000);
    off.update(0.5);
    expect(chunks.length).toBe(2);
  });
});

describe('14.14 lossy conversions say what they drop', () => {
  it('legacy drops ages and intervals; perf_script moves times; json drops nothing it is told of', async () => {
    const data = await synth('s.data');
    const legacy = await runMain(['convert', '-i', data, '-o', join(dir, 'x.legacy'), '-q']);
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(legacy.stderr).toMatch(/^damo: warning: .*x\.legacy: legacy drops the ages of 1200 regions/m);
    expect(legacy.stderr).toMatch(/legacy drops the monitoring intervals/);
    const perf = await runMain(['convert', '-i', join(dir, 'x.legacy'), '-o', join(dir, 'x.perf_script')]);
    expect(perf.stderr).not.toMatch(/drops the ages/);
    const json = await runMain(['convert', '-i', data, '-o', join(dir, 'x.json')]);
    expect(json.stderr).not.toMatch(/drops/);
  });
});

describe('14.18 help', () => {
  /** "(default: 0 101 25, ...)" in an option's help, as values the option can take, or null. */
  function shownDefault(cmd: Command, o: Option): string[] | null {
    const text = cmd.createHelp().optionDescription(o);
    const m = /\(default:? ([^)]*)\)/.exec(text);
    if (m === null) return null;
    const first = (m[1] as string).split(/[;,]/)[0]?.trim().replace(/^"(.*)"$/, '$1') ?? '';
    const words = first.split(/\s+/).filter((w) => w !== '');
    const valueLike = (w: string): boolean => /\d/.test(w) || w.startsWith('/') || (o.argChoices ?? []).includes(w) || /^[\w.-]+\.\w+$/.test(w);
    if (words.length === 0 || !words.every(valueLike)) return null;
    const arity = arityOf(o);
    if ((arity !== undefined && words.length !== arity) || (!o.variadic && words.length !== 1)) return null;
    return words;
  }

  /** Arguments that get every command past option parsing to a runtime error (exit 1). */
  const TAIL: Record<string, { opts: string[]; operands: string[] }> = {
    // --damos_action: the other --damos_* flags (whose defaults are checked too) need one.
    record: { opts: ['-o', '/nonexistent-dir/x.data', '--damos_action', 'stat'], operands: ['paddr'] },
    schemes: { opts: ['-c', '4K max 0 0 1s max pageout', '-o', '/nonexistent-dir/x.data'], operands: ['paddr'] },
    'schemes convert': { opts: [], operands: ['/nonexistent-dir/x.damos'] },
    'schemes tune': { opts: ['-i', '/nonexistent-dir/x.data', '-t', '4K max 0 0 1s max pageout'], operands: [] },
    convert: { opts: ['-i', '/nonexistent-dir/x.data', '-o', '/nonexistent-dir/y.data'], operands: [] },
    synth: { opts: ['-o', '/nonexistent-dir/x.data'], operands: [] },
    replay: { opts: ['-i', '/nonexistent-dir/x.data'], operands: [] },
    compare: { opts: [], operands: ['/nonexistent-dir/a.data', '/nonexistent-dir/b.data'] },
    simulate: { opts: ['-i', '/nonexistent-dir/x.data', '-c', '4K max 0 0 1s max pageout'], operands: [] },
    'report schemes': { opts: ['-i', '/nonexistent-dir/x.data', '-c', '4K max 0 0 1s max pageout'], operands: [] },
    // reads the kernel: given roots that hold nothing (never the host's), it succeeds
    'report sysinfo': { opts: ['--sysfs_root', '/nonexistent-dir/s', '--tracefs_root', '/nonexistent-dir/t', '--debugfs_root', '/nonexistent-dir/d', '--module_root', '/nonexistent-dir/m'], operands: [] },
    // reads DAMON sysfs: a root that holds nothing fails with 'DAMON sysfs is not there'
    'report damon': { opts: ['--sysfs_root', '/nonexistent-dir/s', '--module_root', '/nonexistent-dir/m'], operands: [] },
  };
  const SUCCEEDS = new Set(['report sysinfo']);

  it('every default a --help shows is accepted by its option', async () => {
    let nrChecked = 0;
    for (const { cmd, path } of leafCommands(await buildProgram(quietIO()))) {
      if (cmd.commands.length > 0 && path[0] !== 'schemes') continue;
      const key = path.join(' ');
      const tail = TAIL[key] ?? (path[0] === 'report' ? { opts: ['-i', '/nonexistent-dir/x.data'], operands: [] } : null);
      if (tail === null) continue;
      for (const o of cmd.options as readonly Option[]) {
        const values = shownDefault(cmd, o);
        if (values === null || o.long === undefined) continue;
        const argv = [...path, o.long, ...values, ...tail.opts, ...(tail.operands.length > 0 ? ['--', ...tail.operands] : [])];
        const r = await runMain(argv, { ...ENV, XDG_CACHE_HOME: dir });
        expect(r.code, `damo ${argv.join(' ')}\n${r.stderr}`).toBe(SUCCEEDS.has(key) ? 0 : 1);
        nrChecked++;
      }
    }
    expect(nrChecked).toBeGreaterThan(25);
  }, 120_000);

  it('wrapped help lines break between words and keep their indentation', async () => {
    const wrapped = wrapHelpText('  debugfs  lines for the legacy file (sizes in bytes, access\n           frequency in samples)', 40);
    expect(wrapped).toBe('  debugfs  lines for the legacy file\n           (sizes in bytes, access\n           frequency in samples)');
    for (const { path } of leafCommands(await buildProgram(quietIO()))) {
      for (const columns of [60, 100]) {
        const r = await runMain([...path, '--help'], {}, { stdoutIsTTY: true, columns, rows: 40 });
        const lines = r.stdout.split('\n');
        const descEnd = lines.findIndex((l) => /^(Arguments|Options|Commands):/.test(l));
        for (let i = 1; i < descEnd; i++) {
          const prev = lines[i - 1] as string;
          const line = lines[i] as string;
          // A line at column 0 right after an indented one is a table row cut apart.
          if (/^\s+\S/.test(prev) && /^\S/.test(line)) throw new Error(`damo ${path.join(' ')} --help at ${columns} columns: '${line}' lost its indentation`);
        }
      }
    }
  }, 60_000);

  it('every command has examples, and none depends on the current directory', async () => {
    for (const { path } of leafCommands(await buildProgram(quietIO()))) {
      const r = await runMain([...path, '--help']);
      expect(r.stdout, `damo ${path.join(' ')}`).toMatch(/^Examples:$/m);
      for (const line of r.stdout.split('\n').filter((l) => /^\s*\$ /.test(l))) {
        expect(line, `damo ${path.join(' ')}`).not.toMatch(/(^|\s)(build|dist|test|src|scripts)\//);
      }
    }
  }, 60_000);
});
