// SPDX-License-Identifier: GPL-2.0-only
// Wall-clock latency of a command or of one sysfs write, repeated, for the VM scenarios.
//
//   node timeit.mjs N OUT run CMD [ARGS...]   spawn CMD N times, one after another
//   node timeit.mjs N OUT write FILE VALUE    write VALUE to FILE N times (one write(2) each)
//
// Prints one line: `n= ok= median_ms= p90_ms= min_ms= max_ms=` (ms with one decimal, from
// process.hrtime). `run` keeps the last run's stdout and stderr in OUT (the first failing run's,
// if any failed); `write` puts the last error there. Exit status 0 unless every try failed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const [nText, out, mode, ...rest] = process.argv.slice(2);
const n = Number(nText);
if (!(n > 0) || !out || (mode !== 'run' && mode !== 'write') || rest.length === 0) {
  process.stderr.write('usage: timeit.mjs N OUT run CMD [ARGS...] | timeit.mjs N OUT write FILE VALUE\n');
  process.exit(2);
}

const times = [];
let ok = 0;
let kept = false;
for (let i = 0; i < n; i++) {
  const t0 = process.hrtime.bigint();
  let good;
  let text;
  if (mode === 'run') {
    const r = spawnSync(rest[0], rest.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
    good = r.status === 0;
    text = `rc=${r.status ?? r.signal}\n--- stdout\n${r.stdout ?? ''}--- stderr\n${r.stderr ?? ''}${r.error ? `${r.error}\n` : ''}`;
  } else {
    try {
      fs.writeFileSync(rest[0], rest[1] ?? '');
      good = true;
      text = 'ok\n';
    } catch (err) {
      good = false;
      text = `${err}\n`;
    }
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (good) ok++;
  if (!kept && (!good || i === n - 1)) {
    fs.writeFileSync(out, text);
    kept = !good;
  }
}

const sorted = [...times].sort((a, b) => a - b);
// nearest-rank percentiles
const pct = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const f = (v) => v.toFixed(1);
console.log(
  `n=${n} ok=${ok} median_ms=${f(pct(50))} p90_ms=${f(pct(90))} min_ms=${f(sorted[0])} max_ms=${f(sorted[sorted.length - 1])} all_ms=${times.map(f).join(',')}`,
);
process.exit(ok === 0 ? 1 : 0);
