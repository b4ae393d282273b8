/**
 * Per-thread architectural state of the user-mode x86-64 CPU.
 *
 * GPRs are kept as int32 lo/hi halves in two typed arrays (no BigInt on the hot path).
 * Arithmetic flags are lazy: the last flag-producing operation records its kind, width,
 * operands and result (`fop`, `fw`, `fa/fah`, `fb/fbh`, `fr/frh`, `fc`), and flags are
 * computed on demand by `flags.ts`. When `fop === FOP_EAGER` the value lives in `flags`.
 */
import type { Memory } from "./memory.js";

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;
export const REG_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;

/** Lazy-flag producer kinds. */
export const FOP_EAGER = 0, FOP_ADD = 1, FOP_SUB = 2, FOP_ADC = 3, FOP_SBB = 4, FOP_LOGIC = 5,
  FOP_INC = 6, FOP_DEC = 7, FOP_IMUL64 = 8;

export const F_CF = 1, F_PF = 4, F_AF = 0x10, F_ZF = 0x40, F_SF = 0x80, F_TF = 0x100,
  F_IF = 0x200, F_DF = 0x400, F_OF = 0x800, F_AC = 0x40000, F_ID = 0x200000;
export const F_ARITH = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;

/** Number of XMM slots: 16 architectural + 2 scratch (memory operands). */
export const XMM_SLOTS = 18;
export const XTMP = 16, XTMP2 = 17;

export class CpuState {
  /**
   * The GPRs' halves in one array, low halves then high halves: the interpreter loop indexes it
   * directly (one typed array's map, length and base checked per instruction instead of two's).
   */
  readonly regs = new Int32Array(32);
  /** Low 32 bits of each GPR (as int32): regs[0..15]. */
  readonly lo = this.regs.subarray(0, 16);
  /** High 32 bits of each GPR (as int32): regs[16..31]. */
  readonly hi = this.regs.subarray(16, 32);
  /** Instruction pointer (exact integer in a double; user addresses are < 2^47). */
  rip = 0;

  // ---- lazy flags -------------------------------------------------------------
  fop = FOP_EAGER;
  fw = 4;
  fa = 0; fah = 0; fb = 0; fbh = 0; fr = 0; frh = 0; fc = 0;
  /** RFLAGS; the arithmetic bits are only valid when fop === FOP_EAGER. */
  flags = 0x202;

  fsBase = 0;
  gsBase = 0;

  // ---- SSE ----------------------------------------------------------------------
  readonly xmmBuf = new ArrayBuffer(XMM_SLOTS * 16);
  readonly x8 = new Uint8Array(this.xmmBuf);
  readonly xs8 = new Int8Array(this.xmmBuf);
  readonly x16 = new Uint16Array(this.xmmBuf);
  readonly xs16 = new Int16Array(this.xmmBuf);
  readonly x32 = new Int32Array(this.xmmBuf);
  readonly xu32 = new Uint32Array(this.xmmBuf);
  readonly xf32 = new Float32Array(this.xmmBuf);
  readonly xf64 = new Float64Array(this.xmmBuf);
  mxcsr = 0x1f80;

  // ---- x87: physical registers R0..R7 as raw 80-bit extended values (10 bytes each) ----
  readonly st = new Uint8Array(80);
  ftop = 0;
  fcw = 0x37f;
  fsw = 0;
  ftag = 0xffff;

  /** Virtual time-stamp counter returned by RDTSC (controlled by the personality). */
  tsc = 0;
  /** Instructions retired by this CPU over its lifetime. */
  icount = 0;

  // ---- run-loop scratch (not architectural) -------------------------------------------
  /** High half channel for 64-bit operand reads. */
  th = 0;
  /** Remaining instruction budget of the current run() call (string ops consume from it). */
  left = 0;
  /** JIT: index within the compiled region of the instruction that may fault next. */
  jk = 0;
  /** JIT: index within the compiled region of the running block's first instruction. */
  jb = 0;
  /** Budget at the start of the current run() call. */
  runStart = 0;
  /** Non-null when the executing instruction requests a stop (syscall, hlt). */
  stop: "syscall" | "hlt" | null = null;
  /** Memory of the current run() (set by run). */
  mem!: Memory;
}

// RIP (an address, often at or above 2^30) and the lazy-flag operands (unsigned 32-bit halves)
// soon hold numbers that are no V8 Smi; the first such store would give CpuState a new map with
// double fields in the middle of a run and deoptimise every function optimised for the old one,
// so the fields are doubles from the start (see the same for Insn in run.ts). Likewise `th` (the
// high half of an operand), the budgets (`left`, `runStart`: 1e11 in the bench), the counters
// and the segment bases: `th` alone made the interpreter loop's second optimised compile deopt
// ("wrong map") in the first real program after priming, costing a third compile every process.
{
  const shape = new CpuState();
  shape.rip = shape.fa = shape.fah = shape.fb = shape.fbh = shape.fr = shape.frh = shape.th = 2 ** 32 - 1;
  shape.left = shape.runStart = shape.icount = shape.tsc = shape.fsBase = shape.gsBase = 2 ** 40;
  mutableFields(shape);
}

/**
 * Give each number and boolean field of `o` a second value and back. V8 treats a field that no
 * object of the map has yet changed after its construction as a constant, and code optimised
 * while it was one is thrown away at the first change: `Insn.jitNext`, first written when the
 * tier looks at a head, discarded run.ts interpret()'s optimised code in every bench program's first
 * compiled run (`--trace-generalization`: "jitNext: const -> mutable"), as would `seg` or
 * `asz32` in the first instruction with such a prefix. (The object fields get their second
 * values from the shapes set before this is called.)
 */
export function mutableFields(o: object): void {
  const r = o as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const v = r[key];
    if (typeof v === "number") { r[key] = v + 1; r[key] = v; }
    else if (typeof v === "boolean") { r[key] = !v; r[key] = v; }
  }
}

/** Read a 64-bit GPR as bigint (for tests and personalities; not hot path). */
export function getReg64(c: CpuState, r: number): bigint {
  return (BigInt(c.hi[r]! >>> 0) << 32n) | BigInt(c.lo[r]! >>> 0);
}
/** Write a 64-bit GPR from a bigint (wrapped to 64 bits). */
export function setReg64(c: CpuState, r: number, v: bigint): void {
  v = BigInt.asUintN(64, v);
  c.lo[r] = Number(v & 0xffffffffn) | 0;
  c.hi[r] = Number(v >> 32n) | 0;
}
/** Read a GPR as a signed 64-bit value in a double (exact within ±2^53). */
export function getRegNum(c: CpuState, r: number): number {
  return c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0);
}
/** Write a GPR from an integer double (taken modulo 2^64). */
export function setRegNum(c: CpuState, r: number, v: number): void {
  c.lo[r] = v | 0;
  c.hi[r] = Math.floor(v / 4294967296) | 0;
}
