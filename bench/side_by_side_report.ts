// SPDX-License-Identifier: GPL-2.0-only
/**
 * The side-by-side benchmark's results: the targets of issues 16 and 17 checked against the
 * measured rows, and the markdown table docs/PERFORMANCE.md quotes.
 */
import type { MachineState } from './measure.js';

export interface Row {
  input: string;
  format: 'json_compressed' | 'trace';
  /** the report measured (wss, heats_raw, ...) */
  case: string;
  /** our command line, without input and output names */
  command: string;
  peer_command: string;
  nr_regions: number;
  ours_runs: number;
  /** why our command failed, when it did (no figures then) */
  ours_error: string | null;
  ours_median_s: number;
  ours_median_cpu_s: number;
  ours_peak_rss_mb: number | null;
  peer_runs: number;
  /** the Python damo's median on the json_compressed file of the same recording */
  peer_median_s: number | null;
  /** user + system CPU seconds of damo's runs (python and its children), median */
  peer_median_cpu_s: number | null;
  peer_peak_rss_mb: number | null;
  peer_note: string;
  /** peer median / ours median: how many times faster we are */
  ratio: number | null;
  /** reading and inflating the json_compressed file alone (no parsing), median */
  floor_s: number | null;
  floor_peak_rss_mb: number | null;
  regions_per_s: number;
  load1_median: number;
}

export interface Target {
  issue: string;
  name: string;
  value: number | null;
  unit: string;
  target: string;
  /** null when there is no figure to check (e.g. the peer was not run) */
  pass: boolean | null;
}

export interface Summary {
  machine_before: MachineState;
  machine_after: MachineState;
  peer: string;
  pairs: number;
  peer_max_s: number;
  quick: boolean;
  node_start_s: number;
  inputs: Array<{ id: string; description: string; nr_regions: number; json_compressed_bytes: number; trace_bytes: number }>;
  rows: Row[];
  targets: Target[];
}

const BIG = new Set(['big100', 'syn1k', 'big1000']);
const RSS_LIMIT_MB = 200;

function check(issue: string, name: string, value: number | null, unit: string, op: '>=' | '<=', limit: number): Target {
  const ok = value === null || !Number.isFinite(value) ? null : op === '>=' ? value >= limit : value <= limit;
  return { issue, name, value, unit, target: `${op} ${limit}`, pass: ok };
}

export function evaluateTargets(s: Summary): Target[] {
  const t: Target[] = [];
  const ok = s.rows.filter((r) => r.ours_error === null);
  for (const r of ok) {
    const label = `${r.input} ${r.format === 'trace' ? 'trace' : 'json_z'}: ${r.command}`;
    if (r.input === 'big100') {
      const need = r.format === 'trace' ? 100 : 30;
      t.push(check('17.5', `${label}: speed-up over damo ${r.format === 'trace' ? '(damo on json_z)' : ''}`.trimEnd(), r.ratio, 'x', '>=', need));
    }
    if (r.input === 'syn1k' && r.case === 'access' && r.format === 'json_compressed') {
      t.push(check('16.7', `${label}: speed-up over damo`, r.ratio, 'x', '>=', 30));
    }
    if (r.input === 'big1000' || (r.input === 'big100' && ['heats_raw', 'adjust'].includes(r.case)) || (r.input === 'syn1k' && r.case === 'access')) {
      t.push(check(r.input === 'big1000' ? '17.5' : '16.7', `${label}: peak RSS`, r.ours_peak_rss_mb, 'MB', '<=', RSS_LIMIT_MB));
    }
    if (r.format === 'trace' && BIG.has(r.input)) {
      t.push(check('17.1', `${label}: regions/s end to end`, r.regions_per_s / 1e6, 'M/s', '>=', 20));
      if (r.input === 'big1000' && r.case === 'wss') t.push(check('17.1', `${label}: wall`, r.ours_median_s, 's', '<=', 1));
      const twin = ok.find((j) => j.format === 'json_compressed' && j.input === r.input && j.command === r.command);
      if (twin !== undefined) t.push(check('17.1', `${label}: trace time / json_z time`, r.ours_median_s / twin.ours_median_s, 'x', '<=', 1));
    }
    if (r.format === 'json_compressed' && BIG.has(r.input) && r.floor_s !== null) {
      t.push(check('17.3', `${label}: wall / inflate alone`, r.ours_median_s / r.floor_s, 'x', '<=', 1.3));
    }
    // Start-up: the heatmaps compute and print 250,000 cells whatever the input, so they are not start-up bound.
    if (r.input === 'small' && !['heats_raw', 'heatmap_png'].includes(r.case)) {
      t.push(check('17.4', `${label}: wall minus node -e 0`, r.ours_median_s - s.node_start_s, 's', '<=', 0.05));
    }
  }
  for (const i of s.inputs) {
    if (i.id === 'small') continue;
    t.push(check('17.2', `${i.id}: trace bytes / json_z bytes`, i.trace_bytes / i.json_compressed_bytes, 'x', '<=', 0.5));
  }
  for (const r of s.rows.filter((x) => x.ours_error !== null)) {
    t.push({ issue: '-', name: `${r.input} ${r.format}: ${r.command} failed: ${r.ours_error}`, value: null, unit: '', target: 'runs', pass: false });
  }
  return t;
}

function sec(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  return x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function num(x: number | null, digits = 0): string {
  if (x === null || !Number.isFinite(x)) return '';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  return x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(1)}x`;
}

function load(m: MachineState): string {
  return m.load_avg.map((x) => x.toFixed(2)).join(' ');
}

export function renderMarkdown(s: Summary): string {
  const out: string[] = [];
  const mb = s.machine_before;
  out.push(`### damo-ts side by side with ${s.peer.startsWith('Python damo') ? 'the Python damo' : 'no peer'}, ${s.quick ? '--quick, ' : ''}${mb.date_utc}`);
  out.push('');
  out.push(
    `Machine: ${mb.nproc} CPUs (${mb.cpu_model}), ${mb.mem_total_gb.toFixed(0)} GiB, Node ${mb.node_version}; ` +
      `load average ${load(mb)} at the start, ${load(s.machine_after)} at the end (${s.machine_after.date_utc}). ` +
      `Peer: ${s.peer}. Rounds: ${s.pairs} (ours json_z, damo, ours trace, interleaved), ` +
      `damo's time per row bounded by --peer-max-s ${s.peer_max_s}${s.quick ? '; --quick' : ''}. ` +
      `\`node -e 0\`: ${sec(s.node_start_s)} s.`,
  );
  out.push('');
  out.push('| input | regions | json_compressed | our trace | trace / json_z |');
  out.push('|---|---:|---:|---:|---:|');
  for (const i of s.inputs) {
    out.push(`| ${i.id}: ${i.description} | ${num(i.nr_regions)} | ${num(i.json_compressed_bytes / 1e6, 2)} MB | ${num(i.trace_bytes / 1e6, 2)} MB | ${(i.trace_bytes / i.json_compressed_bytes).toFixed(2)} |`);
  }
  out.push('');
  out.push(
    '| input | format | damo-ts command | ours median s (CPU) | damo 3.3.0 command | damo median s (CPU) | speed-up (CPU) | ours peak RSS MB | damo peak RSS MB | floor: inflate alone s (ours / floor) | runs ours/damo | load |',
  );
  out.push('|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of s.rows) {
    const fmt = r.format === 'trace' ? 'trace' : 'json_z';
    if (r.ours_error !== null) {
      out.push(`| ${r.input} | ${fmt} | \`${r.command}\` | failed: ${r.ours_error.replace(/\|/g, '\\|')} | | | | | | | | |`);
      continue;
    }
    const peerCell = r.peer_median_s === null ? '' : `${sec(r.peer_median_s)} (${sec(r.peer_median_cpu_s)})`;
    const cpuRatio = r.peer_median_cpu_s === null ? null : r.peer_median_cpu_s / r.ours_median_cpu_s;
    const speedCell = r.ratio === null ? '' : `${ratio(r.ratio)} (${ratio(cpuRatio)})`;
    const note = r.peer_note === '' ? '' : ` (${r.peer_note})`;
    const floor = r.floor_s === null ? '' : `${sec(r.floor_s)} (${(r.ours_median_s / r.floor_s).toFixed(2)}x)`;
    out.push(
      `| ${r.input} | ${fmt} | \`${r.command}\` | ${sec(r.ours_median_s)} (${sec(r.ours_median_cpu_s)}) | \`${r.peer_command}\`${note} | ${peerCell} | ${speedCell} | ` +
        `${num(r.ours_peak_rss_mb)} | ${num(r.peer_peak_rss_mb)} | ${floor} | ${r.ours_runs}/${r.peer_runs} | ${r.load1_median.toFixed(1)} |`,
    );
  }
  out.push('');
  const passed = s.targets.filter((x) => x.pass === true).length;
  const failed = s.targets.filter((x) => x.pass === false).length;
  const open = s.targets.filter((x) => x.pass === null).length;
  out.push(`Targets (issues 16 and 17): ${passed} pass, ${failed} fail, ${open} without a figure.`);
  out.push('');
  out.push('| issue | figure | measured | target | result |');
  out.push('|---|---|---:|---|---|');
  for (const x of s.targets) {
    const v = x.value === null || !Number.isFinite(x.value) ? 'n/a' : `${x.value >= 100 ? x.value.toFixed(0) : x.value.toPrecision(3)} ${x.unit}`;
    out.push(`| ${x.issue} | ${x.name.replace(/\|/g, '\\|')} | ${v} | ${x.target} ${x.unit} | ${x.pass === null ? 'no figure' : x.pass ? 'pass' : 'FAIL'} |`);
  }
  return out.join('\n') + '\n';
}
