// SPDX-License-Identifier: GPL-2.0-only
// Reads the VM's serial console (QEMU's stdout) on stdin, keeps a raw copy, shows progress
// and, in suite mode, writes the results file. The line protocol is described at the top of
// test/vm/guest/init.sh.
//
// usage: node console.mjs --mode suite|cmd --log FILE [--results FILE] [--verbose]
//                         [--phase NAME=SECONDS ...]
// Exit status: suite: 0 when every scenario passed; cmd: the command's exit status;
// 3 when the VM never reached its init script or stopped before the end.
import { createWriteStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const mode = opt('--mode') ?? 'suite';
const resultsPath = opt('--results');
const verbose = args.includes('--verbose');
const log = createWriteStream(opt('--log') ?? '/dev/null');
// Host-side phase durations (--phase name=seconds, repeatable) go into the results file.
const phases = {};
args.forEach((a, i) => {
  if (a !== '--phase') return;
  const [k, v] = (args[i + 1] ?? '').split('=');
  if (k && v !== undefined) phases[k] = Number(v);
});
const t0 = Date.now();

/** Parses "k=v k2=v2" into an object; numeric values become numbers. */
function parseKv(words) {
  const out = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) continue;
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    out[k] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

const fmtKv = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const state = {
  ready: null,
  done: null,
  current: null, // { name, results: [], logLines: null|[] , inLog: bool }
  scenarios: [],
  cmdRc: null,
  inCmd: false,
  lastLines: [],
};

function endScenario(name, rc, ms, interrupted) {
  const cur = state.current;
  const results = cur?.results ?? [];
  const logTail = cur?.logLines ?? [];
  const timedOut = logTail.some((l) => l.startsWith('TIMEOUT after'));
  const entries = [];
  for (const r of results) entries.push({ ...r, file: name, ms });
  if (results.length === 0) {
    const reason = interrupted
      ? 'the VM stopped during this scenario'
      : timedOut
        ? 'timed out'
        : `printed no RESULT line (exit status ${rc})`;
    entries.push({ name, status: 'fail', metrics: {}, reason, file: name, ms });
  } else if (rc !== 0 && !entries.some((e) => e.status === 'fail')) {
    entries.push({ name, status: 'fail', metrics: {}, reason: timedOut ? 'timed out' : `exit status ${rc}`, file: name, ms });
  }
  for (const e of entries) {
    const secs = (ms / 1000).toFixed(1);
    const extra = e.reason ? `  (${e.reason})` : '';
    console.log(`${e.status.toUpperCase()} ${e.name.padEnd(24)} ${fmtKv(e.metrics)} time_s=${secs}${extra}`);
    state.scenarios.push(e);
  }
  if (entries.some((e) => e.status === 'fail') && logTail.length > 0) {
    console.log(`  --- last lines of ${name}'s log ---`);
    for (const l of logTail) console.log(`  | ${l}`);
  }
  state.current = null;
}

function onLine(raw) {
  // SeaBIOS leaves terminal-reset escapes in front of the first line of the guest.
  // eslint-disable-next-line no-control-regex
  const line = raw.replace(/\r/g, '').replace(/\x1b(\[[0-9;?]*[A-Za-z]|[A-Za-z])/g, '');
  log.write(line + '\n');
  state.lastLines.push(line);
  if (state.lastLines.length > 40) state.lastLines.shift();
  if (verbose) process.stderr.write(`vm| ${line}\n`);

  if (state.inCmd) {
    const m = /^@@CMD-END rc=(\d+)/.exec(line);
    if (m) {
      state.inCmd = false;
      state.cmdRc = Number(m[1]);
    } else {
      process.stdout.write(line + '\n');
    }
    return;
  }
  if (state.current?.inLog) {
    if (line.startsWith('@@LOG-END')) state.current.inLog = false;
    else state.current.logLines.push(line);
    return;
  }
  let m;
  if ((m = /^@@VM-READY (.*)$/.exec(line))) {
    state.ready = parseKv(m[1].split(/\s+/));
    if (!verbose) {
      process.stderr.write(
        `vm: booted, init running after ${state.ready.uptime_s} s of guest time (kernel ${state.ready.kernel}, clocksource ${state.ready.clocksource ?? 'unknown'})\n`,
      );
    }
  } else if ((m = /^@@SCENARIO-BEGIN (\S+)/.exec(line))) {
    state.current = { name: m[1], results: [], logLines: [], inLog: false };
  } else if ((m = /^RESULT (\S+) (pass|fail|skip)\b ?(.*)$/.exec(line)) && state.current) {
    state.current.results.push({ name: m[1], status: m[2], metrics: parseKv(m[3].split(/\s+/)) });
  } else if (line.startsWith('@@LOG-BEGIN') && state.current) {
    state.current.inLog = true;
  } else if ((m = /^@@SCENARIO-END (\S+) rc=(\d+) ms=(\d+)/.exec(line))) {
    endScenario(m[1], Number(m[2]), Number(m[3]), false);
  } else if (line.startsWith('@@CMD-BEGIN')) {
    state.inCmd = true;
  } else if ((m = /^@@VM-DONE rc=(\d+)/.exec(line))) {
    state.done = Number(m[1]);
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', onLine);
rl.on('close', () => {
  log.end();
  const totalS = (Date.now() - t0) / 1000;
  let problem = null;
  if (!state.ready) problem = 'the VM did not reach its init script (kernel panic, bad initramfs or QEMU error)';
  else if (state.done === null) problem = 'the VM stopped before the end (timeout or crash)';
  if (problem) {
    console.error(`vm: ${problem}; last console lines:`);
    for (const l of state.lastLines.slice(-20)) console.error(`  | ${l}`);
  }
  if (mode === 'cmd') {
    process.exitCode = problem ? 3 : (state.cmdRc ?? 3);
    return;
  }
  if (state.current) endScenario(state.current.name, -1, 0, true);
  if (problem) state.scenarios.push({ name: 'vm', status: 'fail', metrics: {}, reason: problem, file: null, ms: 0 });
  const passed = state.scenarios.filter((s) => s.status === 'pass').length;
  // A skip is a case the test itself declared inapplicable to this kernel (damo's suites
  // print SKIP lines): it is counted apart, neither passed nor failed.
  const skipped = state.scenarios.filter((s) => s.status === 'skip').length;
  const failed = state.scenarios.length - passed - skipped;
  if (resultsPath) {
    const out = {
      passed,
      failed,
      skipped,
      kernel: state.ready?.kernel ?? null,
      clocksource: state.ready?.clocksource ?? null,
      seconds: { ...phases, guestBoot: state.ready?.uptime_s ?? null, vm: totalS },
      scenarios: state.scenarios,
    };
    writeFileSync(resultsPath, JSON.stringify(out, null, 2) + '\n');
  }
  console.log(`vm: ${passed} scenarios passed, ${failed} failed, ${skipped} skipped (VM ran ${totalS.toFixed(1)} s)`);
  process.exitCode = failed > 0 || problem ? (problem ? 3 : 1) : 0;
});
