// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo synth`: write a deterministic synthetic recording.
 */
import type { CliIO } from '../core/io.js';
import { writeSyntheticTrace, type SyntheticTraceSpec } from './synthetic.js';

export interface SynthRequest extends SyntheticTraceSpec {
  out: string;
}

export async function runSynthCommand(io: CliIO, r: SynthRequest): Promise<number> {
  const { out, ...spec } = r;
  const bytes = await writeSyntheticTrace(out, spec, (m) => io.stderr.write(`damo: ${m}\n`));
  io.stderr.write(`damo: wrote ${out} (${spec.nrSnapshots} snapshots, ${bytes} bytes)\n`);
  return 0;
}
