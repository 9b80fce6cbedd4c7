// SPDX-License-Identifier: GPL-2.0-only
/**
 * The formats a recording can be written in: our protobuf trace and damo's four. The CLI
 * offers them as choices (`damo record --output_type`, `damo convert --format`), so this
 * module imports nothing.
 */
export const OUTPUT_FORMATS = ['protobuf', 'json', 'json_compressed', 'perf_script', 'legacy'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The output format an output file name asks for: `.json` is json; `.json_compressed`,
 * `.jsonz` and `.json.z` are json_compressed; `.perf_script`, `.script` and `.txt` are
 * perf_script; `.legacy` and `.recfmt` are the legacy binary; anything else (`.damo`,
 * `.trace`, `damon.data`, ...) is our protobuf trace.
 */
export function formatForOutputName(path: string): OutputFormat {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.json_compressed') || name.endsWith('.jsonz') || name.endsWith('.json.z')) return 'json_compressed';
  if (name.endsWith('.perf_script') || name.endsWith('.script') || name.endsWith('.txt')) return 'perf_script';
  if (name.endsWith('.legacy') || name.endsWith('.recfmt')) return 'legacy';
  return 'protobuf';
}
