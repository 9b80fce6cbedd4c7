// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14, data safety: outputs never destroy inputs, failed writes are errors, replaced
 * files are announced, and a target record started does not outlive it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { fileTempDir } from '../fixtures/temp_dir.js';
import { BIN, runBin } from './helpers.js';

const dir = fileTempDir('damo-trust-safety-');

function synth(name: string, snapshots = 20): string {
  const out = join(dir, name);
  const r = runBin(['synth', '-o', out, '--snapshots', String(snapshots), '--regions', '10']);
  expect(r.status).toBe(0);
  return out;
}

describe('14.1 refuses an output that is the input', () => {
  it('heats --heatmap, wss/nr_regions --plot, replay --plan_out/--mapping, convert: exit 2 naming both, input untouched', () => {
    const rec = synth('in.data');
    const png = join(dir, 'x.png');
    copyFileSync(rec, png);
    const link = join(dir, 'link.data');
    symlinkSync(rec, link);
    const before = readFileSync(rec);
    const cases: Array<{ argv: string[]; input: string; out: string }> = [
      { argv: ['report', 'heats', '-i', png, '--heatmap', png], input: png, out: png },
      { argv: ['report', 'wss', '-i', png, '--plot', png], input: png, out: png },
      { argv: ['report', 'nr_regions', '-i', png, '--plot', png], input: png, out: png },
      { argv: ['replay', '-i', rec, '--plan_out', rec], input: rec, out: rec },
      { argv: ['replay', '-i', rec, '--plan_out', link], input: rec, out: link },
      { argv: ['replay', '-i', rec, '--mapping', rec, '--plan_out', join(dir, 'p.plan')], input: rec, out: rec },
      { argv: ['convert', '-i', rec, '-o', link], input: rec, out: link },
    ];
    for (const c of cases) {
      const r = runBin(c.argv);
      expect(r.status, c.argv.join(' ')).toBe(2);
      expect(r.stderr).toContain(`${c.out} is the same file as the input ${c.input}`);
    }
    expect(readFileSync(rec).equals(before)).toBe(true);
    expect(readFileSync(png).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'p.plan'))).toBe(false);
  });
});

describe('14.2 a failed write is an error', () => {
  it('stdout to /dev/full says ENOSPC and exits 1', () => {
    const rec = synth('full.data');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" report raw -i "${rec}" > /dev/full`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('damo: cannot write stdout: ENOSPC');
  });

  it('a closed stdout (>&-) says so and exits 1', () => {
    const rec = synth('closed.data');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" report wss -i "${rec}" >&-`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('damo: cannot write stdout');
  });

  it('a closed pipe (EPIPE) stays quiet', () => {
    const rec = synth('pipe.data', 400);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" report raw -i "${rec}" | head -1`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('-o DIR says it is a directory; a missing directory is named', () => {
    const rec = synth('dir.data');
    const r = runBin(['convert', '-i', rec, '-o', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${dir} is a directory`);
    const h = runBin(['report', 'heats', '-i', rec, '--heatmap', dir]);
    expect(h.status).toBe(2);
    expect(h.stderr).toContain('is a directory');
    const m = runBin(['convert', '-i', rec, '-o', join(dir, 'nope', 'x.json')]);
    expect(m.status).not.toBe(0);
    expect(m.stderr).toContain(`cannot write ${join(dir, 'nope', 'x.json')}`);
  });

  it('an interrupted convert leaves no temporary file', async () => {
    const rec = synth('big.data', 6000);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const out = join(dir, `interrupted-${signal}.json`);
      const child = spawn(process.execPath, [BIN, 'convert', '-i', rec, '-o', out], { stdio: 'ignore' });
      const tmp = join(dir, `.interrupted-${signal}.json.tmp-${child.pid}`);
      const deadline = Date.now() + 10_000;
      while (!existsSync(tmp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const started = existsSync(tmp);
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      if (started) expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }
  }, 30_000);
});

describe('14.3 says when an existing output is replaced', () => {
  it('convert and synth say they replaced a file', () => {
    const rec = synth('r3.data');
    const out = join(dir, 'r3.json');
    writeFileSync(out, 'old');
    const r = runBin(['convert', '-i', rec, '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`replaced the existing ${out}`);
    const s = runBin(['synth', '-o', rec, '--snapshots', '3']);
    expect(s.stderr).toContain(`replaced the existing ${rec}`);
  });

  it('record says it moved the old file to .old and keeps the previous .old', () => {
    const out = join(dir, 'rec3.data');
    writeFileSync(out, 'first');
    writeFileSync(`${out}.old`, 'older');
    const r = runBin(['record', '-o', out, '--source', 'native', '--primitive', 'clear_refs', '--', 'sleep', '0.3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`moved the previous ${out}.old to ${out}.old.1`);
    expect(r.stderr).toContain(`moved the existing ${out} to ${out}.old`);
    expect(readFileSync(`${out}.old`, 'utf8')).toBe('first');
    expect(readFileSync(`${out}.old.1`, 'utf8')).toBe('older');
    expect(statSync(out).size).toBeGreaterThan(0);
  });
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return [];
  }
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('14.15 the target record started is gone soon after record is interrupted', () => {
  it('SIGINT: the command target is gone within 100 ms (250 ms allowed on a loaded host)', async () => {
    const out = join(dir, 'r15.data');
    const rec = spawn(process.execPath, [BIN, 'record', '-o', out, '--source', 'native', '--primitive', 'clear_refs', '--', 'sleep', '30'], { stdio: 'ignore' });
    let target: number | undefined;
    const deadline = Date.now() + 10_000;
    while (target === undefined && Date.now() < deadline) {
      target = childrenOf(rec.pid!)[0];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(target).toBeDefined();
    while (!existsSync(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    rec.kill('SIGINT');
    while (running(target!) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 2));
    const goneMs = performance.now() - t0;
    await new Promise((r) => rec.once('exit', r));
    expect(running(target!)).toBe(false);
    expect(goneMs).toBeLessThan(250);
  }, 30_000);
});

describe('14.16 -i - reads a recording from a pipe', () => {
  it('report raw/wss and convert read stdin and pipes exactly as the file', () => {
    const rec = synth('r16.data', 8);
    const json = join(dir, 'r16.json');
    expect(runBin(['convert', '-i', rec, '-o', json]).status).toBe(0);
    for (const [input, argv] of [
      [rec, ['report', 'raw']],
      [json, ['report', 'wss']],
      [rec, ['report', 'nr_regions']],
    ] as const) {
      const fromFile = runBin([...argv, '-i', input]);
      const fromPipe = spawnSync('sh', ['-c', `cat "${input}" | "${process.execPath}" "${BIN}" ${argv.join(' ')} -i -`], { encoding: 'utf8' });
      expect(fromPipe.status, fromPipe.stderr).toBe(0);
      expect(fromPipe.stdout).toBe(fromFile.stdout);
    }
    const fifoRun = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" report raw -i /dev/stdin < "${rec}" | cat`], { encoding: 'utf8' });
    expect(fifoRun.stdout).toBe(runBin(['report', 'raw', '-i', rec]).stdout);
    const out = join(dir, 'from-stdin.json');
    const c = spawnSync('sh', ['-c', `cat "${rec}" | "${process.execPath}" "${BIN}" convert -i - -o "${out}"`], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(json, 'utf8'));
  });
});
