/**
 * The few pieces of the WebAssembly binary format the wasm tier (jit-wasm.ts) writes: one
 * module importing one memory and exporting one function. A function body is built as bytes
 * with the opcodes below; `wasmModule` wraps it in the type, import, function, export and code
 * sections (WebAssembly Core Specification 2.0, chapter 5, "Binary Format").
 */

/** The part of the WebAssembly JS API the tier uses (the project's TypeScript libs carry no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { run: unknown } };
  Memory: new (limits: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
}
/** The WebAssembly JS API, or undefined where the host has none (`node --jitless`: jit-wasm.ts then compiles nothing). */
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The opcodes the tier emits (spec 5.4), by their text-format names. */
export const enum W {
  block = 0x02, loop = 0x03, if = 0x04, else = 0x05, end = 0x0b, br = 0x0c, brIf = 0x0d, select = 0x1b,
  localGet = 0x20, localSet = 0x21, localTee = 0x22,
  i32Load = 0x28, i64Load = 0x29, i64Load8U = 0x31, i64Load16U = 0x33, i64Load32S = 0x34, i64Load32U = 0x35, i32Store = 0x36, i64Store8 = 0x3c, i64Store32 = 0x3e, i64Store = 0x37,
  i32Const = 0x41, i64Const = 0x42,
  i32Eqz = 0x45, i32Eq = 0x46, i32Ne = 0x47, i32LtS = 0x48, i32LtU = 0x49, i32LeS = 0x4c, i32LeU = 0x4d,
  i64Eqz = 0x50, i64Eq = 0x51, i64Ne = 0x52, i64LtS = 0x53, i64LtU = 0x54, i64LeS = 0x57, i64LeU = 0x58,
  i32Popcnt = 0x69, i32Add = 0x6a, i32Sub = 0x6b, i32And = 0x71, i32Or = 0x72, i32Xor = 0x73,
  i32Shl = 0x74, i32ShrS = 0x75, i32ShrU = 0x76, i32Rotl = 0x77, i32Rotr = 0x78,
  i64Add = 0x7c, i64Sub = 0x7d, i64Mul = 0x7e, i64DivS = 0x7f, i64And = 0x83, i64Or = 0x84, i64Xor = 0x85,
  i64Shl = 0x86, i64ShrS = 0x87, i64ShrU = 0x88,
  i32WrapI64 = 0xa7, i64ExtendI32S = 0xac, i64ExtendI32U = 0xad,
}
/** Value types (spec 5.3.1) and the empty block type. */
export const I32 = 0x7f, I64 = 0x7e, VOID = 0x40;

/** Unsigned LEB128 of a non-negative integer below 2^53. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? b | 0x80 : b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a 64-bit integer (i32.const and i64.const immediates). */
export function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n; // arithmetic: the sign stays
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

/**
 * A module importing one memory of at least `memPages` 64 KiB pages (as "m" "mem") with one
 * function of the given parameter and result types (exported as "run"), whose extra locals are
 * `locals` (value types, in order after the parameters) and whose body is `body` (without its
 * final `end`).
 */
export function wasmModule(params: number[], results: number[], locals: number[], body: number[], memPages: number): Uint8Array {
  const type = [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
  // locals as runs of one type (count, type)
  const runs: number[][] = [];
  for (const t of locals) {
    const last = runs.at(-1);
    if (last !== undefined && last[1] === t) last[0]!++;
    else runs.push([1, t]);
  }
  const fn = [...vec(runs.map(([n, t]) => [...uleb(n!), t!])), ...body, W.end];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, ...uleb(memPages)]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name("run"), 0x00, 0]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
}
