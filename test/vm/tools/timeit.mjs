// SPDX-License-Identifier: GPL-2.0-only
// Wall-clock latency of commands and of sysfs writes, repeated and interleaved, for the VM
// scenarios.
//
//   node timeit.mjs N OUTDIR SPEC...
//     SPEC = "NAME:run:CMD ARG..."     spawn CMD (words split on blanks, no quoting)
//          | "NAME:write:FILE VALUE"   one write(2) of VALUE to FILE
//
// Runs every SPEC once per round, in the given order, for N rounds, so that a change of the
// host's load under TCG moves all of them alike instead of whichever ran at that time. Prints
// one line per SPEC: `NAME n= ok= median_ms= p90_ms= min_ms= max_ms= all_ms=` (ms with one
// decimal, from process.hrtime; percentiles by nearest rank). OUTDIR/NAME.out keeps the
// output of the last run (or of the first failing one). Exit status 0 unless a SPEC never
// succeeded.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const [nText, outDir, ...specTexts] = process.argv.slice(2);
const n = Number(nText);
const specs = specTexts.map((t) => {
  const m = /^([A-Za-z0-9_-]+):(run|write):(.+)$/.exec(t);
  return m === null ? null : { name: m[1], mode: m[2], words: m[3].trim().split(/\s+/), times: [], ok: 0, kept: false };
});
if (!(n > 0) || !outDir || specs.length === 0 || specs.some((s) => s === null)) {
  process.stderr.write('usage: timeit.mjs N OUTDIR NAME:run:CMD ARG... | NAME:write:FILE VALUE ...\n');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

function once(s) {
  if (s.mode === 'run') {
    const r = spawnSync(s.words[0], s.words.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
    return [r.status === 0, `rc=${r.status ?? r.signal}\n--- stdout\n${r.stdout ?? ''}--- stderr\n${r.stderr ?? ''}${r.error ? `${r.error}\n` : ''}`];
  }
  try {
    fs.writeFileSync(s.words[0], s.words.slice(1).join(' '));
    return [true, 'ok\n'];
  } catch (err) {
    return [false, `${err}\n`];
  }
}

for (let i = 0; i < n; i++) {
  for (const s of specs) {
    const t0 = process.hrtime.bigint();
    const [good, text] = once(s);
    s.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (good) s.ok++;
    if (!s.kept && (!good || i === n - 1)) {
      fs.writeFileSync(`${outDir}/${s.name}.out`, text);
      s.kept = !good;
    }
  }
}

const f = (v) => v.toFixed(1);
for (const s of specs) {
  const sorted = [...s.times].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  console.log(
    `${s.name} n=${n} ok=${s.ok} median_ms=${f(pct(50))} p90_ms=${f(pct(90))} min_ms=${f(sorted[0])} max_ms=${f(sorted[sorted.length - 1])} all_ms=${s.times.map(f).join(',')}`,
  );
}
process.exit(specs.some((s) => s.ok === 0) ? 1 : 0);
