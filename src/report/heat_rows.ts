// SPDX-License-Identifier: GPL-2.0-only
/**
 * The cells of a heat grid, and damo's update of a run of them,
 * `heats[j] = (whole + heats[j] * pixelSz) / pixelSz`, two cells at a time.
 *
 * That update is most of `report heats` on large recordings: each snapshot updates every
 * column its regions cover (500 per snapshot at damo's default resolution, 271 million
 * updates for damo's test recording x1000), and V8 runs it one cell at a time at about
 * 1.3-1.6 ns a cell on the project's machine. A WebAssembly function with 128-bit SIMD does
 * two cells per instruction at about 0.67 ns a cell (docs/PERFORMANCE.md, "The heat grid in
 * WebAssembly"). The results are the same bits: WebAssembly's f64x2.mul, f64x2.add and
 * f64x2.div, like JavaScript's *, + and /, are IEEE 754 binary64 operations rounded to
 * nearest, done here in damo's order (the addition's operands swapped, which IEEE addition
 * does not see). The cells then live in the function's linear memory. Where WebAssembly or
 * its SIMD is not available (e.g. node --jitless), the cells are a plain Float64Array and the
 * update a JavaScript loop.
 */

import { putUvarintAt } from '../format/varint.js';

/**
 * `heats[j] = (whole + heats[j] * pixelSz) / pixelSz` for the `n` cells from byte `ptr` of the
 * cells (8 x the first cell's index).
 */
export type WholeRunUpdate = (ptr: number, n: number, whole: number, pixelSz: number) => void;

export interface HeatCells {
  /** The cells, zero. */
  heats: Float64Array;
  /** The update in WebAssembly, null where it is not available (the caller loops itself). */
  wholeRun: WholeRunUpdate | null;
  /** The same with a NaN cell taken as 0 (damo 3.3.0's heatmap, whose cells start as NaN). */
  wholeRunNanAsZero: WholeRunUpdate | null;
}

/** Runs shorter than this are better left to a JavaScript loop: a call into WebAssembly costs a few cells' time. */
export const WASM_MIN_RUN = 4;

const WASM_PAGE_BYTES = 65536;

// The module, hand-assembled (WebAssembly binary format 1.0 with the SIMD proposal's opcodes):
// (import "env" "mem" (memory 1))
// (func (export "row") (param $ptr i32) (param $n i32) (param $whole f64) (param $p f64)
//   (local $end i32) (local $end2 i32) (local $w2 v128) (local $p2 v128) (local $v v128) (local $x f64)
//   $end = $ptr + $n * 8; $end2 = $ptr + ($n & -2) * 8; $w2, $p2 = splat($whole), splat($p)
//   while ($ptr < $end2) { v128 at $ptr = f64x2.div(f64x2.add($w2, f64x2.mul(v128 at $ptr, $p2)), $p2); $ptr += 16 }
//   while ($ptr < $end) { f64 at $ptr = ($whole + (f64 at $ptr) * $p) / $p; $ptr += 8 })
// (func (export "row_nan") ...): the same with a NaN cell read as 0 (damo 3.3.0's heatmap,
//   whose cells start as NaN): v128.and($v, f64x2.eq($v, $v)), and select(x, 0, x == x).
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
const localGet = (i: number): number[] => [0x20, i];
const localSet = (i: number): number[] => [0x21, i];
/** A SIMD instruction: the 0xfd prefix and its opcode as unsigned LEB128. */
const simd = (op: number): number[] => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7]);
const F64X2_SPLAT = 20;
const F64X2_EQ = 71;
const V128_AND = 78;
const V128_LOAD = 0;
const V128_STORE = 11;
const F64X2_ADD = 240;
const F64X2_MUL = 242;
const F64X2_DIV = 243;
const F64_LOAD = 0x2b;
const F64_STORE = 0x39;
const F64_CONST_0 = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const F64_EQ = 0x61;
const F64_ADD = 0xa0;
const F64_MUL = 0xa2;
const F64_DIV = 0xa3;
const SELECT = 0x1b;
/** memarg: alignment 2^3, offset 0. */
const MEMARG = [3, 0];
// Parameters and locals by index.
const PTR = 0, N = 1, WHOLE = 2, P = 3, END = 4, END2 = 5, W2 = 6, P2 = 7, V = 8, X = 9;

/** The body of "row" (nanAsZero false) or "row_nan", with its local declarations. */
function rowBody(nanAsZero: boolean): number[] {
  const vectorCell = nanAsZero
    ? [...localGet(PTR), ...simd(V128_LOAD), ...MEMARG, ...localSet(V), ...localGet(V), ...localGet(V), ...localGet(V), ...simd(F64X2_EQ), ...simd(V128_AND)]
    : [...localGet(PTR), ...simd(V128_LOAD), ...MEMARG];
  const scalarCell = nanAsZero
    ? [...localGet(PTR), F64_LOAD, ...MEMARG, ...localSet(X), ...localGet(X), ...F64_CONST_0, ...localGet(X), ...localGet(X), F64_EQ, SELECT]
    : [...localGet(PTR), F64_LOAD, ...MEMARG];
  return [
    3, 2, I32, 3, V128, 1, F64, // locals: $end $end2, $w2 $p2 $v, $x
    ...localGet(PTR), ...localGet(N), 0x41, 3, 0x74, 0x6a, ...localSet(END), // end = ptr + (n << 3)
    ...localGet(PTR), ...localGet(N), 0x41, 0x7e, 0x71, 0x41, 3, 0x74, 0x6a, ...localSet(END2), // end2 = ptr + ((n & -2) << 3)
    ...localGet(WHOLE), ...simd(F64X2_SPLAT), ...localSet(W2),
    ...localGet(P), ...simd(F64X2_SPLAT), ...localSet(P2),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...localGet(PTR), ...localGet(END2), 0x4f, 0x0d, 1, // br_if out when ptr >= end2 (unsigned)
    ...localGet(PTR), ...localGet(W2), ...vectorCell, ...localGet(P2), ...simd(F64X2_MUL),
    ...simd(F64X2_ADD), ...localGet(P2), ...simd(F64X2_DIV), ...simd(V128_STORE), ...MEMARG,
    ...localGet(PTR), 0x41, 16, 0x6a, ...localSet(PTR), 0x0c, 0, // ptr += 16; br loop
    0x0b, 0x0b,
    0x02, 0x40, 0x03, 0x40,
    ...localGet(PTR), ...localGet(END), 0x4f, 0x0d, 1, // br_if out when ptr >= end
    ...localGet(PTR), ...localGet(WHOLE), ...scalarCell, ...localGet(P), F64_MUL, F64_ADD, ...localGet(P), F64_DIV, F64_STORE, ...MEMARG,
    ...localGet(PTR), 0x41, 8, 0x6a, ...localSet(PTR), 0x0c, 0, // ptr += 8; br loop
    0x0b, 0x0b,
    0x0b,
  ];
}

function rowModuleBytes(): Uint8Array {
  const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];
  const code = (body: number[]): number[] => [...leb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 4, I32, I32, F64, F64, 0]), // type: (i32, i32, f64, f64) -> ()
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x01]), // import memory, min 1 page
    ...section(3, [2, 0, 0]),
    ...section(7, [2, ...name('row'), 0x00, 0, ...name('row_nan'), 0x00, 1]),
    ...section(10, [2, ...code(rowBody(false)), ...code(rowBody(true))]),
  ]);
}

/** `n` as unsigned LEB128 (WebAssembly's integer coding, protobuf's varint). */
function leb(n: number): number[] {
  const b = new Uint8Array(8);
  return Array.from(b.subarray(0, putUvarintAt(b, 0, n)));
}

/** The part of the WebAssembly global used here (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let rowModule: object | null | undefined;

/** The compiled module, or null where this Node cannot run it. */
function compiledRowModule(): object | null {
  if (rowModule === undefined) {
    rowModule = null;
    try {
      const bytes = rowModuleBytes();
      if (wasmApi !== undefined && wasmApi.validate(bytes)) rowModule = new wasmApi.Module(bytes);
    } catch {
      rowModule = null;
    }
  }
  return rowModule;
}

/**
 * `nrCells` zero cells, and their update where WebAssembly runs it; `useWasm: false` asks for
 * none (tests). A linear memory that cannot be had falls back to the JavaScript form: V8
 * reserves several GiB of address space for each (guard regions), which a process under a
 * virtual memory limit (`ulimit -v 3000000`) does not get, where a Float64Array of the same
 * cells is fine.
 */
export function heatCells(nrCells: number, useWasm = true): HeatCells {
  const mod = useWasm ? compiledRowModule() : null;
  if (mod !== null && wasmApi !== undefined) {
    let mem: { buffer: ArrayBuffer } | null;
    try {
      mem = new wasmApi.Memory({ initial: Math.max(1, Math.ceil((nrCells * 8) / WASM_PAGE_BYTES)) });
    } catch {
      // RangeError: WebAssembly.Memory(): could not allocate memory
      mem = null;
    }
    if (mem !== null) {
      const { exports } = new wasmApi.Instance(mod, { env: { mem } });
      return {
        heats: new Float64Array(mem.buffer, 0, nrCells),
        wholeRun: exports['row'] as WholeRunUpdate,
        wholeRunNanAsZero: exports['row_nan'] as WholeRunUpdate,
      };
    }
  }
  return { heats: new Float64Array(nrCells), wholeRun: null, wholeRunNanAsZero: null };
}

/** Whether heatCells() runs the update in WebAssembly in this process. */
export function heatCellsUseWasm(): boolean {
  return compiledRowModule() !== null;
}
