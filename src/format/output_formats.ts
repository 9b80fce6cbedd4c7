/**
 * The formats a recording can be written in: our protobuf trace and damo's four. The CLI
 * offers them as choices (`damo record --output_type`, `damo convert --format`), so this
 * module imports nothing.
 */
export const OUTPUT_FORMATS = ['protobuf', 'json', 'json_compressed', 'perf_script', 'legacy'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
