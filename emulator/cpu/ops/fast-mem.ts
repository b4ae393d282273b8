/**
 * Decode-time forms for ALU operations with a memory operand (see fast.ts): CMP and the
 * read-modify-write ADD/OR/AND/SUB/XOR on r/m32 and r/m64 with a register or an immediate, one
 * handler per operation and width (the generic aluOp switches on the width as well, takes
 * eight arguments and writes through writeMem's width switch), and a 64-bit operand is read with one TLB lookup (operands.ts load64) instead of two. In the
 * bench's bytecode interpreter `cmp qword [r+r*8], imm` alone was 6% of the instructions and
 * aluEIm64 with aluOp 9% of the interpreter's profile; `add [r+r*4], r32` is 3% of bzip2's.
 * The order of effects is the generic one: read (may fault), store (may fault; a faulting
 * instruction leaves the flags as they were), then the lazy flags.
 */
import type { CpuState } from "../state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC } from "../state.js";
import type { Handler } from "../insn.js";
import { ea, load32, load64, loadHi, store32, store64 } from "../operands.js";

if (FOP_ADD !== 1 || FOP_SUB !== 2 || FOP_LOGIC !== 5) throw new Error("fast-mem.ts: lazy-flag kind literals out of date");

/**
 * ADD (0), OR (1), AND (4), SUB (5), XOR (6), CMP (7) of b into the 32-bit value x read from
 * address a (stored back there unless CMP).
 */
function aluMem32(c: CpuState, op: number, a: number, x: number, b: number): void {
  let v: number, fop: number;
  switch (op) {
    case 0: v = (x + b) >>> 0; fop = 1; break;
    case 1: v = (x | b) >>> 0; fop = 5; break;
    case 4: v = (x & b) >>> 0; fop = 5; break;
    case 6: v = (x ^ b) >>> 0; fop = 5; break;
    default: v = (x - b) >>> 0; fop = 2; break;
  }
  if (op !== 7) store32(c, a, v);
  c.fa = x; c.fb = b; c.fr = v; c.fw = 4; c.fop = fop;
}
/** The same at 64 bits (x, xh: the value read; b, bh: the operand; all unsigned halves). */
function aluMem64(c: CpuState, op: number, a: number, x: number, xh: number, b: number, bh: number): void {
  let lo: number, hi: number, fop: number;
  switch (op) {
    case 0: { const s = x + b; lo = s >>> 0; hi = (xh + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; fop = 1; break; }
    case 1: lo = (x | b) >>> 0; hi = (xh | bh) >>> 0; fop = 5; break;
    case 4: lo = (x & b) >>> 0; hi = (xh & bh) >>> 0; fop = 5; break;
    case 6: lo = (x ^ b) >>> 0; hi = (xh ^ bh) >>> 0; fop = 5; break;
    default: { const s = x - b; lo = s >>> 0; hi = (xh - bh - (s < 0 ? 1 : 0)) >>> 0; fop = 2; break; }
  }
  if (op !== 7) store64(c, a, lo, hi);
  c.fa = x; c.fah = xh; c.fb = b; c.fbh = bh; c.fr = lo; c.frh = hi; c.fw = 8; c.fop = fop;
}

/** Per operation (index: the x86 operation, ModRM /reg order); ADC and SBB (2, 3) stay generic. */
type Forms = (Handler | undefined)[];
const OPS = [0, 1, 4, 5, 6, 7];
function table(f: (op: number) => Handler): Forms {
  const t: Forms = new Array<Handler | undefined>(8).fill(undefined);
  for (const op of OPS) t[op] = f(op);
  return t;
}
/** op r/m32, r32 (01, 09, 21, 29, 31, 39 with a memory operand). */
export const ALU_MEM_REG32 = table((op) => (c, d) => { const a = ea(c, d); aluMem32(c, op, a, load32(c, a) >>> 0, c.lo[d.reg]! >>> 0); });
export const ALU_MEM_REG64 = table((op) => (c, d) => {
  const a = ea(c, d), x = load64(c, a) >>> 0, xh = loadHi >>> 0;
  aluMem64(c, op, a, x, xh, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0);
});
/** op r/m32, imm (81 and 83 with a memory operand; the immediate already sign-extended). */
export const ALU_MEM_IMM32 = table((op) => (c, d) => { const a = ea(c, d); aluMem32(c, op, a, load32(c, a) >>> 0, d.imm >>> 0); });
export const ALU_MEM_IMM64 = table((op) => (c, d) => {
  const a = ea(c, d), x = load64(c, a) >>> 0, xh = loadHi >>> 0;
  aluMem64(c, op, a, x, xh, d.imm >>> 0, d.immHi >>> 0);
});
