/**
 * The CLI's view of the process streams. The types and the buffered writer live in
 * src/core/io.ts so that report code can write results without depending on the CLI layer.
 */
export { note, processIO, StdoutClosed, TextOut, warn, type CliIO } from '../core/io.js';
