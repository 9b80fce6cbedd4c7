// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo replay`: plan a trace's replay and run it (or write the plan for running later).
 * The CLI module only parses options; everything the command does is here.
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { PendingOutput } from '../core/output_file.js';
import { availableParallelism } from 'node:os';

import { DamoError } from '../core/errors.js';
import { SIGNAL_EXIT_CODES, type InterruptSignal, type OnInterrupt } from '../core/interrupts.js';
import { note, TextOut, type CliIO } from '../core/io.js';
import type { TraceSource } from '../core/model.js';
import { pageSizeBytes } from '../core/page_size.js';
import { readRecordedMappings } from '../format/mappings.js';
import { openForReport } from '../format/open_for_report.js';
import { makePlan, planPeriods, scanTrace, type ReplayPlan } from './plan.js';
import { encodePlanEnd, encodePlanHeader, encodePlanPeriod } from './plan_codec.js';
import { replayBinaryPath, ReplayRun } from './runner.js';
import { replaySummaryJson, replaySummaryText } from './summary.js';
import { formatSz } from '../core/fmt.js';
import { jsonConvention } from '../core/json_keys.js';

export interface ReplayRequest {
  input: string;
  target: number;
  timeScale: number;
  maxMemoryBytes?: number;
  seed: number;
  threads?: number;
  startDelayNs: number;
  vmaBytes?: number;
  mapping?: string;
  planOut?: string;
  keepCold: boolean;
  thp: boolean;
  checkRss: boolean;
  checkReferenced: boolean;
  json: boolean;
  strict: boolean;
  quiet: boolean;
}

const DEFAULT_MAX_MEMORY_BYTES = 1 << 30;

/** MemAvailable from /proc/meminfo in bytes, or null when unreadable. */
export function memAvailableBytes(meminfo?: string): number | null {
  try {
    const text = meminfo ?? readFileSync('/proc/meminfo', 'utf8');
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}


/**
 * Runs `damo replay`. `onInterrupt` registers a handler for Ctrl-C / SIGTERM (the CLI's
 * src/cli/signals.ts) and returns its unregister function.
 */
export async function runReplayCommand(
  io: CliIO,
  o: ReplayRequest,
  onInterrupt: OnInterrupt,
): Promise<number> {
  // Warnings found while streaming are printed as the passes end.
  const trace = await openForReport(io, o.input, { strict: o.strict, showsAddresses: true, outputs: [{ path: o.planOut, what: '--plan_out' }, { path: o.mapping, what: '--mapping' }] });
  const scan = await scanTrace(trace, o.target);
  if (!o.quiet && trace.header.targets.length > 1) {
    note(io, `${o.input} has ${trace.header.targets.length} targets; replaying target ${o.target} (choose with --target)`);
  }

  // Only the mapped parts of the regions are replayed when the recording says what they were.
  const mapped = trace.header.ops === 'paddr' ? undefined : (await readRecordedMappings(o.input, o.strict)).get(o.target)?.union();
  if (!o.quiet && trace.header.ops === 'vaddr' && !trace.header.source.endsWith('synthetic')) {
    note(
      io,
      mapped === undefined
        ? `${o.input} has no record of the process's mappings: the gaps between mappings inside its regions are replayed as memory (record with this damo to record them)`
        : `replaying only the mapped parts of the regions (${formatSz(mapped.reduce((n, [s, e]) => n + (e - s), 0), false)} mapped at some time of ${o.input})`,
    );
  }

  const available = memAvailableBytes();
  const maxMemoryBytes =
    o.maxMemoryBytes ?? Math.min(DEFAULT_MAX_MEMORY_BYTES, available === null ? DEFAULT_MAX_MEMORY_BYTES : Math.floor(available / 2));
  const plan = makePlan(scan, {
    maxMemoryBytes,
    timeScale: o.timeScale,
    pageSizeBytes: pageSizeBytes(),
    seed: o.seed,
    nrThreads: o.threads ?? Math.min(4, availableParallelism()),
    startDelayNs: o.startDelayNs,
    ...(o.vmaBytes === undefined ? {} : { vmaBytes: o.vmaBytes }),
    keepCold: o.keepCold,
    allowThp: o.thp,
    ...(mapped === undefined ? {} : { mappedRanges: mapped }),
    // Period events drive the progress line, and tell the RSS check when each period ended.
    periodEvents: (io.stderrIsTTY && !o.quiet) || o.checkRss || o.checkReferenced,
  });
  if (o.planOut === undefined && available !== null && plan.layout.replayBytes > 0.9 * available) {
    throw new DamoError(
      'E_UNSUPPORTED',
      `the replay needs up to ${formatSz(plan.layout.replayBytes, false)} but only ${formatSz(available, false)} of memory is available`,
      { hint: 'lower --max_memory (the replay is scaled down proportionally)' },
    );
  }
  if (!o.quiet && plan.layout.scale < 1) {
    note(io, `the trace covers ${formatSz(plan.layout.traceBytes, false)}; replaying it scaled by ${plan.layout.scale.toPrecision(4)} to fit --max_memory ${formatSz(maxMemoryBytes, false)}`);
  }

  if (o.planOut !== undefined) return writePlan(trace, plan, o, io);

  const run = new ReplayRun(
    trace,
    plan,
    {
      checkRss: o.checkRss || o.checkReferenced,
      checkReferenced: o.checkReferenced,
      ...(o.mapping === undefined ? {} : { mappingPath: o.mapping }),
    },
    {
      onMapping: (m) => {
        if (o.quiet) return;
        const delay = o.startDelayNs > 0 ? `, starting in ${(o.startDelayNs / 1e9).toFixed(1)} s` : '';
        note(
          io,
          `replaying ${scan.nrSnapshots} snapshots as pid ${m.pid} (${plan.layout.areas.length} area(s), ${formatSz(plan.layout.replayBytes, false)})${delay}`,
        );
      },
      onPeriod: (index, lagNs) => {
        if (!io.stderrIsTTY || o.quiet) return;
        const lag = lagNs > 0 ? `, ${(lagNs / 1e6).toFixed(1)} ms behind` : '';
        io.stderr.write(`\rdamo: period ${index + 1}/${scan.nrSnapshots}${lag}   `);
      },
    },
  );
  let interruptedBy: InterruptSignal | null = null;
  const unregister = onInterrupt((signal) => {
    interruptedBy = signal;
    run.stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  });
  let result;
  try {
    result = await run.run();
  } finally {
    unregister();
    if (io.stderrIsTTY && !o.quiet) io.stderr.write('\n');
  }
  if (result.outcome === 'error') {
    throw new DamoError('E_NATIVE', `the replay failed: ${result.errorMessage ?? 'unknown error'}`);
  }
  const out = new TextOut(io.stdout);
  const mappingPath = o.mapping ?? null;
  if (o.json) await out.write(JSON.stringify(jsonConvention(replaySummaryJson(plan, result, mappingPath)), null, 2) + '\n');
  else await out.write(replaySummaryText(plan, result, mappingPath));
  await out.flush();
  if (result.outcome === 'interrupted') {
    const signal: InterruptSignal = interruptedBy ?? (result.exitCode === 143 ? 'SIGTERM' : result.exitCode === 129 ? 'SIGHUP' : 'SIGINT');
    return SIGNAL_EXIT_CODES[signal];
  }
  return 0;
}

async function writePlan(
  trace: TraceSource,
  plan: ReplayPlan,
  o: ReplayRequest,
  io: CliIO,
): Promise<number> {
  const path = o.planOut as string;
  const pending = new PendingOutput(path, '--plan_out');
  let fh;
  try {
    fh = await open(pending.tmp, 'w');
  } catch (err) {
    await pending.abandon();
    throw pending.failure(err);
  }
  let bytes = 0;
  let n = 0;
  try {
    const put = async (buf: Buffer): Promise<void> => {
      await fh.write(buf);
      bytes += buf.length;
    };
    await put(encodePlanHeader(plan.header));
    for await (const p of planPeriods(trace, plan)) {
      await put(encodePlanPeriod(p));
      n++;
    }
    await put(encodePlanEnd(n));
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await pending.abandon();
    throw pending.failure(err);
  }
  await pending.commit((m) => note(io, m));
  if (!o.quiet) {
    note(io, `wrote ${path} (${n} periods, ${bytes} bytes); run it (for example under \`damo record -- ...\`) with:`);
    io.stderr.write(`  ${replayBinaryPath()} --plan ${path} --max_memory ${plan.options.maxMemoryBytes}${o.mapping === undefined ? '' : ` --mapping ${o.mapping}`}\n`);
  }
  return 0;
}
