/**
 * Handler forms the interpreter loop runs inline (run.ts interpret(): a `switch` on the
 * instruction's form code instead of a call through `exec`). A call through `exec` is a call
 * of an unknown function from one site that sees hundreds of them: V8's generic call sequence,
 * the handler's frame, and every register access going through `c.lo`/`c.hi` afresh; the
 * commonest forms (register moves, ALU ops on registers, base+displacement loads and stores,
 * push/pop, the block-ending jumps) are a few typed-array accesses each, so the loop runs them
 * in place with the register arrays held in locals.
 *
 * A form code is given only to an instruction whose handler (decided by the decoder and the
 * specialisers, fast.ts and fast-forms.ts) is one of the handlers listed here, so the inline
 * code replaces exactly that handler; run.ts's case for the code repeats the handler's body.
 * emulator/cpu/test/inline-forms.test.ts runs every code both ways and compares.
 * `kd` and `ks` are the form's destination and source registers (or base register), fixed at
 * decode time so that one case serves the r/m,reg and reg,r/m directions alike.
 */
import type { Handler, Insn } from "../insn.js";
import { movRR64, movRR32, movGE64, movGE32, testRR64, testRR32, leaSimple64, EG64, GE64, EG32, GE32, EI64, EI32, shiftRI64, imulRR64, store8 } from "./fast.js";
import { movLoad64BD, movLoad32BD, movStore64BD, movStore32BD, pushR64, popR64, callRel, retNear, movzx8R } from "./fast-forms.js";
import { JCC, jmp } from "./branch.js";

/** The form codes (run.ts writes them as literals: keep the two in step; run.ts checks at load). */
export const K_CALL = 0, K_MOV64 = 1, K_MOV32 = 2, K_LOAD64BD = 3, K_LOAD32BD = 4, K_STORE64BD = 5, K_STORE32BD = 6,
  K_LEA64BD = 7, K_PUSH64 = 8, K_POP64 = 9,
  /** ALU ops in the order ADD, OR, AND, SUB, XOR, CMP from each of these. */
  K_ALU64RR = 10, K_ALU32RR = 16, K_ALU64RI = 22, K_ALU32RI = 28,
  K_TEST64RR = 34, K_TEST32RR = 35,
  K_JCC = 40, K_JMP = 41, K_CALLREL = 42, K_RET = 43,
  K_SHL64I = 44, K_SHR64I = 45, K_SAR64I = 46, K_IMUL64RR = 47, K_MOVZX8R = 48, K_STORE8 = 49;
/** Highest code in use (tests run them all). */
export const K_LAST = 49;

/** x86 ALU operation (the opcode's bits 3-5, or ModRM /reg of 81/83) -> index in a K_ALU* group (-1: not inline). */
const ALU_INDEX = [0, 1, -1, -1, 2, 3, 4, 5];

/** Where kd and ks come from ("reg8": the byte-register code of ModRM reg, >= 16 for AH..BH). */
type Operand = "rm" | "reg" | "reg8" | "base" | "none";
const byHandler = new Map<Handler, { k: number; dst: Operand; src: Operand }>();
function add(h: Handler | undefined, k: number, dst: Operand, src: Operand): void {
  if (h === undefined) return;
  if (byHandler.has(h)) throw new Error("inline-forms.ts: a handler listed twice");
  byHandler.set(h, { k, dst, src });
}
add(movRR64, K_MOV64, "rm", "reg"); add(movGE64, K_MOV64, "reg", "rm");
add(movRR32, K_MOV32, "rm", "reg"); add(movGE32, K_MOV32, "reg", "rm");
add(movLoad64BD, K_LOAD64BD, "reg", "base"); add(movLoad32BD, K_LOAD32BD, "reg", "base");
add(movStore64BD, K_STORE64BD, "base", "reg"); add(movStore32BD, K_STORE32BD, "base", "reg");
add(leaSimple64, K_LEA64BD, "reg", "base");
add(pushR64, K_PUSH64, "none", "rm"); add(popR64, K_POP64, "rm", "none");
for (let op = 0; op < 8; op++) {
  const i = ALU_INDEX[op]!;
  if (i < 0) continue;
  add(EG64[op], K_ALU64RR + i, "rm", "reg"); add(GE64[op], K_ALU64RR + i, "reg", "rm");
  add(EG32[op], K_ALU32RR + i, "rm", "reg"); add(GE32[op], K_ALU32RR + i, "reg", "rm");
  add(EI64[op], K_ALU64RI + i, "rm", "none"); add(EI32[op], K_ALU32RI + i, "rm", "none");
}
/** SHL/SAL, SHR, SAR (ModRM /reg 4, 6; 5; 7) -> offset from K_SHL64I (shiftRI64 takes /reg 4-7 only). */
const SHIFT_INDEX = [-1, -1, -1, -1, 0, 1, 0, 2];
add(shiftRI64, K_SHL64I, "rm", "none");
add(testRR64, K_TEST64RR, "rm", "reg"); add(testRR32, K_TEST32RR, "rm", "reg");
for (const h of JCC) add(h, K_JCC, "none", "none");
add(imulRR64, K_IMUL64RR, "reg", "rm"); add(movzx8R, K_MOVZX8R, "reg", "rm");
add(store8, K_STORE8, "none", "reg8");
add(jmp, K_JMP, "none", "none"); add(callRel, K_CALLREL, "none", "none"); add(retNear, K_RET, "none", "none");

function regOf(d: Insn, which: Operand): number {
  return which === "rm" ? d.rm : which === "reg" ? d.reg : which === "reg8" ? d.reg8 : which === "base" ? d.base : 0;
}

/** Set d.k (and d.kd, d.ks) from the handler the decoder chose (d.exec): K_CALL when it has no inline form. */
export function setInlineForm(d: Insn): void {
  const f = byHandler.get(d.exec);
  if (f === undefined) { d.k = K_CALL; return; }
  if (d.exec === shiftRI64) { d.k = K_SHL64I + SHIFT_INDEX[d.reg & 7]!; d.kd = d.rm; d.ks = 0; return; }
  d.k = f.k; d.kd = regOf(d, f.dst); d.ks = regOf(d, f.src);
}

/** Every form code some handler has (for the test that runs each both ways). */
export function inlineCodes(): number[] {
  return [...new Set([...byHandler.values()].map((f) => f.k).concat([K_SHR64I, K_SAR64I]))].sort((a, b) => a - b);
}

/**
 * Code that runs every form code's case in interpret() (rbx: a data base, rsp: a stack), for
 * run.ts to run once at load. V8 optimises interpret() with the type feedback its cases have
 * collected; a case with none compiles to a deoptimisation, and each form a program meets for
 * the first time then threw the optimised loop away and compiled it again (seven compiles of
 * ~200 ms on the bench's sha256 before, one now).
 */
export const PRIMING_CODE: readonly number[] = [
  0x48, 0x89, 0xc8, 0x89, 0xc8, 0x48, 0x8b, 0x43, 0x08, 0x8b, 0x43, 0x0c, 0x48, 0x89, 0x43, 0x10, 0x89, 0x4b, 0x14,
  0x48, 0x8d, 0x43, 0x10, 0x51, 0x59,
  ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39].flatMap((op) => [0x48, op, 0xc8, op, 0xc8]),
  ...[0xc0, 0xc8, 0xe0, 0xe8, 0xf0, 0xf8].flatMap((m) => [0x48, 0x83, m, 0x85, 0x83, m, 0x85]),
  0x48, 0x85, 0xc8, 0x85, 0xc8,
  ...[0x00, 0x03, 0x21].flatMap((n) => [0x48, 0xc1, 0xe0, n, 0x48, 0xc1, 0xe8, n, 0x48, 0xc1, 0xf8, n]),
  0x48, 0x0f, 0xaf, 0xc1, 0x0f, 0xb6, 0xc1, 0x88, 0x03, 0x88, 0x63, 0x01,
  // block ends: cmp + jb (taken and not: rax ^ rcx alternates), jmp, call +1 over a hlt to a ret that returns to it
  0x48, 0x39, 0xc8, 0x72, 0x00, 0xeb, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xc3,
];
