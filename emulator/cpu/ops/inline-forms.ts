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
import { movRR64, movRR32, movGE64, movGE32, testRR64, testRR32, leaSimple64, EG64, GE64, EG32, GE32, EI64, EI32, shiftRI64, imulRR64, store8,
  movLoad64, movLoad32, movStore64, movStore32, cmpMI8, aluGEmNC64, aluGEmNC32 } from "./fast.js";
import { movLoad64BD, movLoad32BD, movStore64BD, movStore32BD, pushR64, popR64, callRel, retNear, movzx8R,
  movsxdR, cdqe, lea32, leaBIS64, jmpR, inc64, dec64, inc32, dec32, movsxdM, movzx8M, movzx16M, movsx8M64, movsx8M32,
  cmpMI32BD, cmpRI8, cmpAI8, cmpEG8, cmpGE8, testRR8, testRI8, testAI8, movRI64, movRI32, movLoad8 } from "./fast-forms.js";
import { ALU_MEM_IMM32, ALU_MEM_IMM64, ALU_MEM_REG32, ALU_MEM_REG64 } from "./fast-mem.js";
import { JCC, jmp } from "./branch.js";

/** The form codes (run.ts writes them as literals: keep the two in step; run.ts checks at load). */
export const K_CALL = 0, K_MOV64 = 1, K_MOV32 = 2, K_LOAD64BD = 3, K_LOAD32BD = 4, K_STORE64BD = 5, K_STORE32BD = 6,
  K_LEA64BD = 7, K_PUSH64 = 8, K_POP64 = 9,
  /** ALU ops in the order ADD, OR, AND, SUB, XOR, CMP from each of these. */
  K_ALU64RR = 10, K_ALU32RR = 16, K_ALU64RI = 22, K_ALU32RI = 28,
  K_TEST64RR = 34, K_TEST32RR = 35,
  /** The block-ending forms (one dense range, so that V8 makes their switch a jump table: JMP r64 came later). */
  K_JMPR = 39, K_JCC = 40, K_JMP = 41, K_CALLREL = 42, K_RET = 43,
  K_SHL64I = 44, K_SHR64I = 45, K_SAR64I = 46, K_IMUL64RR = 47, K_MOVZX8R = 48, K_STORE8 = 49,
  /**
   * Flag writers whose flags are dead (see markDeadFlags): CMP or TEST (nothing left to do), and
   * the ALU ops ADD, OR, AND, SUB, XOR (in that order from each of these), shifts and IMUL
   * computing their result only.
   */
  K_NOP64 = 50, K_ALU64RR_NF = 51, K_NOP32 = 56, K_ALU32RR_NF = 57, K_ALU64RI_NF = 62, K_ALU32RI_NF = 67,
  K_SHL64I_NF = 72, K_SHR64I_NF = 73, K_SAR64I_NF = 74, K_IMUL64RR_NF = 75,
  /**
   * Register forms that were handler calls in the bench's real programs (session 15's
   * handler-profile: MOVSXD and CDQE 10%, 32-bit LEA 6% of the bytecode interpreter's
   * instructions; INC/DEC 9.5% of bzip2's; byte compares 4% of sort -n's). (79 is free.)
   */
  K_MOVSXD = 76, K_LEA32 = 77, K_LEA64BIS = 78, K_INC64 = 80, K_DEC64 = 81, K_INC32 = 82, K_DEC32 = 83,
  /**
   * Memory forms with any address (base + index * scale + displacement run in place; RIP-relative,
   * segment and 32-bit addresses through ea()): MOV loads and stores of 8 and 4 bytes, MOVSXD,
   * MOVZX and MOVSX loads, CMP with an immediate. Indexed loads and stores, MOVSXD loads and
   * `cmp qword [r+r*8], imm` were 30% of the bytecode interpreter's instructions.
   */
  K_LOAD64M = 84, K_LOAD32M = 85, K_STORE64M = 86, K_STORE32M = 87, K_MOVSXDM = 88, K_MOVZX8M = 89, K_MOVZX16M = 90,
  K_MOVSX8M64 = 91, K_MOVSX8M32 = 92, K_CMPMI64 = 93, K_CMPMI32 = 94, K_CMPMI8 = 95,
  /** Byte compares and tests on registers (kd, ks: byte-register codes, >= 16 for AH..BH). */
  K_CMPRI8 = 96, K_CMPRR8 = 97, K_TESTRR8 = 98,
  /** MOV r, imm; TEST r8, imm8 (with the byte compares). */
  K_MOVRI64 = 99, K_MOVRI32 = 100, K_TESTRI8 = 101,
  /**
   * More any-address memory forms: MOV r8, m8; ADD/OR/AND/SUB/XOR/CMP r, m (64, 32 bits) and
   * m, r (read, store unless CMP, then the flags: a store that faults leaves them as they were).
   */
  K_LOAD8 = 102, K_ALUGEM64 = 103, K_ALUGEM32 = 104, K_ALUMR32 = 105, K_ALUMR64 = 106;
/** Highest code in use (tests run them all). */
export const K_LAST = 106;

/** x86 ALU operation (the opcode's bits 3-5, or ModRM /reg of 81/83) -> index in a K_ALU* group (-1: not inline). */
const ALU_INDEX = [0, 1, -1, -1, 2, 3, 4, 5];

/** Where kd and ks come from ("reg8": the byte-register code of ModRM reg, >= 16 for AH..BH). */
type Operand = "rm" | "reg" | "rm8" | "reg8" | "base" | "none";
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
// CDQE is MOVSXD rax, eax
add(movsxdR, K_MOVSXD, "reg", "rm"); add(cdqe, K_MOVSXD, "none", "none");
add(lea32, K_LEA32, "reg", "none"); add(leaBIS64, K_LEA64BIS, "reg", "none"); add(jmpR, K_JMPR, "rm", "none");
add(inc64, K_INC64, "rm", "none"); add(dec64, K_DEC64, "rm", "none"); add(inc32, K_INC32, "rm", "none"); add(dec32, K_DEC32, "rm", "none");
add(movLoad64, K_LOAD64M, "reg", "none"); add(movLoad32, K_LOAD32M, "reg", "none");
add(movStore64, K_STORE64M, "none", "reg"); add(movStore32, K_STORE32M, "none", "reg");
add(movsxdM, K_MOVSXDM, "reg", "none"); add(movzx8M, K_MOVZX8M, "reg", "none"); add(movzx16M, K_MOVZX16M, "reg", "none");
add(movsx8M64, K_MOVSX8M64, "reg", "none"); add(movsx8M32, K_MOVSX8M32, "reg", "none");
add(ALU_MEM_IMM64[7], K_CMPMI64, "none", "none"); add(ALU_MEM_IMM32[7], K_CMPMI32, "none", "none"); add(cmpMI32BD, K_CMPMI32, "none", "none");
add(cmpMI8, K_CMPMI8, "none", "none");
// CMP AL, imm8 is CMP r/m8, imm8 with AL (byte-register code 0)
add(cmpRI8, K_CMPRI8, "rm8", "none"); add(cmpAI8, K_CMPRI8, "none", "none");
add(cmpEG8, K_CMPRR8, "rm8", "reg8"); add(cmpGE8, K_CMPRR8, "reg8", "rm8"); add(testRR8, K_TESTRR8, "rm8", "reg8");
// TEST AL, imm8 is TEST r/m8, imm8 with AL
add(testRI8, K_TESTRI8, "rm8", "none"); add(testAI8, K_TESTRI8, "none", "none");
add(movRI64, K_MOVRI64, "rm", "none"); add(movRI32, K_MOVRI32, "rm", "none");
add(movLoad8, K_LOAD8, "reg8", "none"); add(aluGEmNC64, K_ALUGEM64, "reg", "none"); add(aluGEmNC32, K_ALUGEM32, "reg", "none");
for (const op of [0, 1, 4, 5, 6, 7]) { add(ALU_MEM_REG32[op], K_ALUMR32, "none", "reg"); add(ALU_MEM_REG64[op], K_ALUMR64, "none", "reg"); }

function regOf(d: Insn, which: Operand): number {
  return which === "rm" ? d.rm : which === "reg" ? d.reg : which === "rm8" ? d.rm8 : which === "reg8" ? d.reg8 : which === "base" ? d.base : 0;
}

/** Set d.k (and d.kd, d.ks) from the handler the decoder chose (d.exec): K_CALL when it has no inline form. */
export function setInlineForm(d: Insn): void {
  const f = byHandler.get(d.exec);
  if (f === undefined) { d.k = d.kc = K_CALL; return; }
  if (d.exec === shiftRI64) { d.k = d.kc = K_SHL64I + SHIFT_INDEX[d.reg & 7]!; d.kd = d.rm; d.ks = 0; return; }
  d.k = d.kc = f.k; d.kd = regOf(d, f.dst); d.ks = regOf(d, f.src);
}

/** Every form code in use (for the test that runs each both ways): the handlers' and their dead-flag forms. */
export function inlineCodes(): number[] {
  const live = [...byHandler.values()].map((f) => f.k).concat([K_SHR64I, K_SAR64I]);
  return [...new Set(live.concat(live.map((k) => DEAD_FORM[k]!).filter((k) => k > 0)))].sort((a, b) => a - b);
}

// ---------------------------------------------------------------- dead flags
// Most flag writers' flags are never read: the next ALU op overwrites them (the bench loop's
// xorshift is shl/xor/shr/xor/shl/xor; only the final compare's flags reach its jump). Recording
// lazy flags costs 7-8 stores of double fields per op, so a writer whose every flag field is
// written again, before anything can observe it, gets a form that computes its result only.
// "Observe" is anything but the register forms below: a flag reader, a handler called through
// exec, any memory access (a fault must see exact flags), the block's end (the next block or a
// stop sees them). The lazy-flag fields are compared one by one, not as RFLAGS, so CpuState is
// the same field for field at every point something can see it.

/** Lazy-flag fields, as bits of a writer's write set. */
const F_LAZY64 = 0xff; // fa, fah, fb, fbh, fr, frh, fw, fop
const F_LAZY32 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80; // fa, fb, fr, fw, fop
const F_EAGER = 0x100 | 0x80; // flags' status bits, fop

/** Live form code -> its dead-flag form (0: none). */
const DEAD_FORM = new Int8Array(K_LAST + 1);
/** Form code -> the flag fields it writes; 0: writes none and cannot fault (passes liveness through); -1: observes them. */
const WRITES = new Int16Array(K_LAST + 1).fill(-1);
for (let i = 0; i < 6; i++) {
  const cmp = i === 5;
  DEAD_FORM[K_ALU64RR + i] = cmp ? K_NOP64 : K_ALU64RR_NF + i;
  DEAD_FORM[K_ALU64RI + i] = cmp ? K_NOP64 : K_ALU64RI_NF + i;
  DEAD_FORM[K_ALU32RR + i] = cmp ? K_NOP32 : K_ALU32RR_NF + i;
  DEAD_FORM[K_ALU32RI + i] = cmp ? K_NOP32 : K_ALU32RI_NF + i;
}
DEAD_FORM[K_TEST64RR] = K_NOP64; DEAD_FORM[K_TEST32RR] = K_NOP32;
DEAD_FORM[K_SHL64I] = K_SHL64I_NF; DEAD_FORM[K_SHR64I] = K_SHR64I_NF; DEAD_FORM[K_SAR64I] = K_SAR64I_NF;
DEAD_FORM[K_IMUL64RR] = K_IMUL64RR_NF;
for (const k of [K_MOV64, K_MOV32, K_LEA64BD, K_MOVZX8R, K_MOVSXD, K_LEA32, K_LEA64BIS, K_MOVRI64, K_MOVRI32]) WRITES[k] = 0;
// byte compares and tests write the 32-bit form's fields (no dead form of their own: they pass
// liveness on as writers, not as observers); INC and DEC read CF, so they observe (-1, as set)
for (const k of [K_CMPRI8, K_CMPRR8, K_TESTRR8, K_TESTRI8]) WRITES[k] = F_LAZY32;
for (let k = 0; k <= K_LAST; k++) {
  const d = DEAD_FORM[k]!;
  if (d === 0) continue;
  const w = k >= K_SHL64I && k <= K_SAR64I ? F_EAGER : (k >= K_ALU32RR && k < K_ALU64RI) || k >= K_ALU32RI && k < K_TEST64RR || k === K_TEST32RR ? F_LAZY32 : F_LAZY64;
  WRITES[k] = w; WRITES[d] = w;
}

/** The flag fields x writes in the interpreter's fast path (see WRITES; a shift by 0 writes none). */
function flagWrites(x: Insn): number {
  const k = x.k;
  if (k >= K_SHL64I && k <= K_SAR64I && (x.imm & 63) === 0) return 0;
  return WRITES[k]!;
}

/**
 * Give each flag writer of a block (but its last instruction, which runs through its handler)
 * its dead-flag form when every flag field it writes is written again before anything observes
 * it, or its live form when not. An instruction lies in every block that starts at or before it
 * and reaches it, and such blocks end at the same place unless MAX_BLOCK cuts one short: so an
 * instruction found live in any block stays live for good (`flagsLive`), and the dead form,
 * once given, is taken back then. Code rewritten between a writer and the instruction that
 * overwrites its flags can only be the writer's page or the next one; writing the next page
 * drops the writer's too, as a block running onto it has an instruction in the writer's page's
 * last 15 bytes (memory.ts invalidateCode), so the fast path stops before the writer runs.
 */
export function markDeadFlags(blk: readonly Insn[]): void {
  let covered = 0;
  for (let i = blk.length - 1; i >= 0; i--) {
    const x = blk[i]!;
    const w = flagWrites(x);
    if (w < 0) { covered = 0; continue; }
    if (w === 0) continue;
    if (i < blk.length - 1) {
      if ((w & ~covered) === 0 && x.flagsLive === 0) { if (DEAD_FORM[x.k]! > 0) x.k = x.kc = DEAD_FORM[x.k]!; }
      else if ((w & ~covered) !== 0) { x.flagsLive = 1; if (DEAD_FORM[x.k] === 0) setInlineForm(x); }
    }
    covered = i === blk.length - 1 ? w : covered | w;
  }
}

/** disp32 of [rbx+rdx*2+disp] (rbx = the priming's data + 0x100, rdx = 3) on data page p: its first (0) or second (1) value. */
function primingDisp(p: number, second: number): number[] {
  const d = p * 0x1000 + (second ? 0x18 : 0x10);
  return [d & 255, (d >> 8) & 255, (d >> 16) & 255, 0];
}

/**
 * Code that runs every form code's case in interpret() (rbx: a data base, rsp: a stack; the
 * memory layout is run.ts primeInterpreter's), for run.ts to run at load. V8 optimises interpret()
 * with the type feedback its cases have collected; a path with none compiles to a
 * deoptimisation, and each one a program met for the first time threw the optimised loop away
 * and compiled it again (~500 ms of V8's time each). So every path of every case runs here: each
 * memory form's first access goes to a page of its own (the TLB miss path; run.ts preloads the
 * TLB in half the runs, the hit path), every flag writer sees operands of both signs (a `>>> 0`
 * that only ever gave a small integer is a "lost precision" deoptimisation at the first large
 * one), and the block-ending paths (second successor link, indirect jump, counted loop) run.
 */
export const PRIMING_CODE: readonly number[] = [
  // mov rax, rcx; mov eax, ecx; mov rax, [rbx+8] (page 0); mov eax, [rbx+0x100c] (page 1);
  // mov [rbx+0x2010], rax (page 2); mov [rbx+0x3014], ecx (page 3); mov [rbx+0x10], rax (hit)
  0x48, 0x89, 0xc8, 0x89, 0xc8, 0x48, 0x8b, 0x43, 0x08, 0x8b, 0x83, 0x0c, 0x10, 0x00, 0x00,
  0x48, 0x89, 0x83, 0x10, 0x20, 0x00, 0x00, 0x89, 0x8b, 0x14, 0x30, 0x00, 0x00, 0x48, 0x89, 0x43, 0x10,
  // mov eax, [rbx+0x1010] (hit); mov [rbx+0x3018], ecx (hit); lea rax, [rbx+0x10]; push rcx; pop rcx (page 5, the stack)
  0x8b, 0x83, 0x10, 0x10, 0x00, 0x00, 0x89, 0x8b, 0x18, 0x30, 0x00, 0x00,
  0x48, 0x8d, 0x43, 0x10, 0x51, 0x59,
  // LEA with a negative displacement (V8 otherwise types `disp >>> 0` as a small integer: "lost precision")
  0x48, 0x8d, 0x43, 0xf0,
  // every flag writer twice and then a load of rax (mov rax, [rbx+8]: a value of its own per run,
  // so that each writer sees it): the first has dead flags (markDeadFlags), the second live ones;
  // a JMP to the next instruction after every few keeps MAX_BLOCK from cutting a block at one of
  // them (a block's last instruction runs through exec)
  ...[
    ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39].flatMap((op) => [[0x48, op, 0xc8], [op, 0xc8]]),
    ...[0xc0, 0xc8, 0xe0, 0xe8, 0xf0, 0xf8].flatMap((m) => [[0x48, 0x83, m, 0x85], [0x83, m, 0x85]]),
    [0x48, 0x85, 0xc8], [0x85, 0xc8],
    ...[0x00, 0x03, 0x21].flatMap((n) => [[0x48, 0xc1, 0xe0, n], [0x48, 0xc1, 0xe8, n], [0x48, 0xc1, 0xf8, n]]),
    // imul rax, rcx; imul rax, rax (the second gives products of both signs in each half)
    [0x48, 0x0f, 0xaf, 0xc1], [0x48, 0x0f, 0xaf, 0xc0],
  ].flatMap((w, i) => [...w, ...w, 0x48, 0x8b, 0x43, 0x08, ...(i % 4 === 3 ? [0xeb, 0x00] : [])]),
  // movzx eax, cl; byte stores: mov [rbx+0x4000], al (page 4); mov [rbx+0x4001], ah;
  // mov edx, 3; mov [rbx+rdx*2+0x4004], al; mov rdx, -2; the same (an index of each sign);
  // mov fs:[rdx+0x10], al (through ea(); FS.base is page 4's)
  0x0f, 0xb6, 0xc1, 0x88, 0x83, 0x00, 0x40, 0x00, 0x00, 0x88, 0xa3, 0x01, 0x40, 0x00, 0x00,
  0xba, 0x03, 0x00, 0x00, 0x00, 0x88, 0x84, 0x53, 0x04, 0x40, 0x00, 0x00,
  0x48, 0xc7, 0xc2, 0xfe, 0xff, 0xff, 0xff, 0x88, 0x84, 0x53, 0x04, 0x40, 0x00, 0x00,
  0x64, 0x88, 0x42, 0x10,
  // the any-address memory forms (rax saved: the block ends below compare it): mov edx, 3; then
  // each form at [rbx+rdx*2+disp] twice, first on a page of its own (7-25) and then again (a TLB
  // hit), and a JMP to the next instruction after every form
  0x50, 0xba, 0x03, 0x00, 0x00, 0x00,
  ...[
    [0x48, 0x8b, 0x84, 0x53], [0x8b, 0x84, 0x53], [0x48, 0x89, 0x84, 0x53], [0x89, 0x84, 0x53], [0x48, 0x63, 0x84, 0x53],
    [0x0f, 0xb6, 0x84, 0x53], [0x0f, 0xb7, 0x84, 0x53], [0x48, 0x0f, 0xbe, 0x84, 0x53], [0x0f, 0xbe, 0x84, 0x53],
    [0x48, 0x83, 0xbc, 0x53], [0x83, 0xbc, 0x53], [0x80, 0xbc, 0x53],
    // mov al, m8; mov ah, m8
    [0x8a, 0x84, 0x53], [0x8a, 0xa4, 0x53],
  ].flatMap((w, i) => {
    const imm = i >= 9 && i < 12 ? [0x85] : []; // the compares' immediate (negative: sign-extended)
    return [...w, ...primingDisp(7 + i, 0), ...imm, ...w, ...primingDisp(7 + i, 1), ...imm, 0xeb, 0x00];
  }),
  // op rax, m64; op eax, m32; op m32, eax; op m64, rax (pages 21-24), each operation (ADD, OR,
  // AND, SUB, XOR, CMP) after a load of rax (mov rax, [rbx+rdx*2+0x7018]: a large value in odd runs)
  ...[[0x48, 3], [3], [1], [0x48, 1]].flatMap((g, i) => [0, 1, 4, 5, 6, 7].flatMap((op, j) => [
    0x48, 0x8b, 0x84, 0x53, ...primingDisp(7, 1),
    ...g.slice(0, -1), op * 8 + g[g.length - 1]!, 0x84, 0x53, ...primingDisp(21 + i, j & 1), ...(j & 1 ? [0xeb, 0x00] : []),
  ])),
  // three forms whose address is not base(+index): each runs its handler, and the one call that
  // does so must have seen more than one (else V8 inlines it, and deoptimises at the first other):
  // mov rax, fs:[rdx+0x10]; movzx eax, byte fs:[rdx+0x10]; mov eax, [rip]
  0x64, 0x48, 0x8b, 0x42, 0x10, 0x64, 0x0f, 0xb6, 0x42, 0x10, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00,
  // the register forms: movsxd rax, ecx; cdqe; lea eax, [rbx+rdx*2+8]; lea eax, [rip]; lea eax, [rdx*2+8];
  // lea rax, [rbx+rdx*2+8]; lea rax, [rbx+rdx*8-8]; inc/dec rax and eax; cmp al, 5; cmp cl, 5;
  // cmp ah, 0x80; cmp al, cl; cmp cl, ah; test al, cl; test ah, ah (a JMP to the next after every few)
  0x48, 0x63, 0xc1, 0x48, 0x98, 0x8d, 0x44, 0x53, 0x08, 0x8d, 0x05, 0x00, 0x00, 0x00, 0x00, 0xeb, 0x00,
  0x8d, 0x04, 0x55, 0x08, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x44, 0x53, 0x08, 0x48, 0x8d, 0x44, 0xd3, 0xf8, 0xeb, 0x00,
  0x48, 0xff, 0xc0, 0x48, 0xff, 0xc8, 0xff, 0xc0, 0xff, 0xc8, 0xeb, 0x00,
  // INC/DEC across 0 and 2^32 (high halves of both signs): mov rdx, -2; inc rdx; inc rdx; dec rdx; inc edx; dec edx;
  // then lea rax, [rbx+rdx*2+8] with that index, 2^32 - 1
  0x48, 0xc7, 0xc2, 0xfe, 0xff, 0xff, 0xff, 0x48, 0xff, 0xc2, 0x48, 0xff, 0xc2, 0x48, 0xff, 0xca, 0xff, 0xc2, 0xff, 0xca, 0xeb, 0x00,
  0x48, 0x8d, 0x44, 0x53, 0x08,
  // INC/DEC after each kind of flag record they read CF from (a compare, an add, at 64 and 32 bits; a
  // logic op, a shift, an INC; and an IMUL, whose INC runs its handler): cmp rax, rcx; inc rdx;
  // add eax, ecx; dec edx; add rax, rcx; inc edx; cmp eax, ecx; dec rdx; test eax, eax; inc rdx;
  // shl rax, 1; dec edx; inc rdx; imul rax, rcx; inc rdx
  0x48, 0x39, 0xc8, 0x48, 0xff, 0xc2, 0x01, 0xc8, 0xff, 0xca, 0x48, 0x01, 0xc8, 0xff, 0xc2, 0xeb, 0x00,
  0x39, 0xc8, 0x48, 0xff, 0xca, 0x85, 0xc0, 0x48, 0xff, 0xc2, 0x48, 0xd1, 0xe0, 0xff, 0xca, 0xeb, 0x00,
  0x48, 0xff, 0xc2, 0x48, 0x0f, 0xaf, 0xc1, 0x48, 0xff, 0xc2, 0xeb, 0x00,
  // and after records whose high halves are equal: cmp rdx, rdx; inc rdx; add rdx, 1; dec rdx
  0x48, 0x39, 0xd2, 0x48, 0xff, 0xc2, 0x48, 0x83, 0xc2, 0x01, 0x48, 0xff, 0xca, 0xeb, 0x00,
  0x3c, 0x05, 0x80, 0xf9, 0x05, 0x80, 0xfc, 0x80, 0x38, 0xc8, 0xeb, 0x00, 0x3a, 0xcc, 0x84, 0xc8, 0x84, 0xe4, 0xeb, 0x00,
  // test al, 0x81; test ah, 0x80; mov eax, 0x87654321; mov rax, 0x8000000012345678
  0xa8, 0x81, 0xf6, 0xc4, 0x80, 0xb8, 0x21, 0x43, 0x65, 0x87, 0x48, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x80, 0xeb, 0x00,
  // three handler calls in a block's body (bt eax, 3; setne al; cmovz eax, ecx), so that the body's
  // call through exec has seen several handlers: with one, V8 inlines it, and a program's first
  // other handler call deoptimised the loop ("wrong call target")
  0x0f, 0xba, 0xe0, 0x03, 0x0f, 0x95, 0xc0, 0x0f, 0x44, 0xc1, 0xeb, 0x00,
  0x58,
  // a block whose successor alternates, so interpret() follows a block's second successor link
  // (prev.succ2) with one set: unprimed, that compare deoptimised the loop on sha256's first run
  // (one more ~500 ms compile). An indirect jump: a JCC's successors are its succT and succF. rcx
  // saved: the block ends below use it. push rcx; mov ecx, 6; top: lea rsi, [rip+even];
  // lea rdx, [rip+odd]; test cl, 1; cmovnz rsi, rdx; jmp rsi; odd: dec ecx; jmp back; even: dec ecx;
  // back: jnz top; pop rcx
  0x51, 0xb9, 0x06, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35, 0x14, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x15, 0x09, 0x00, 0x00, 0x00,
  0xf6, 0xc1, 0x01, 0x48, 0x0f, 0x45, 0xf2, 0xff, 0xe6, 0xff, 0xc9, 0xeb, 0x02, 0xff, 0xc9, 0x75, 0xe1, 0x59,
  // an indirect jump run twice (the tier's record of its targets: a new one and a repeat):
  // mov edx, 2; top: lea rsi, [rip+2]; jmp rsi; dec edx; jnz top
  0xba, 0x02, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35, 0x02, 0x00, 0x00, 0x00, 0xff, 0xe6, 0xff, 0xca, 0x75, 0xf3,
  // a block ending in a handler call (call rsi, to the pop after it), so that the block end's
  // call through exec has seen two handlers (this and HLT's): with one, V8 inlines it, and every
  // program's first other block end (SYSCALL, REP STOS) deoptimised the loop ("wrong call target")
  0x48, 0x8d, 0x35, 0x02, 0x00, 0x00, 0x00, 0xff, 0xd6, 0x5e,
  // a counted loop (counted-loop.ts), left when a 64-bit result is zero: mov edx, 12; top: add rdx, -1; jnz top
  0xba, 0x0c, 0x00, 0x00, 0x00, 0x48, 0x83, 0xc2, 0xff, 0x75, 0xfa,
  // block ends: cmp + jb (taken and not: rax ^ rcx alternates), jmp; then on a stack of its own
  // (page 6: lea rsp, [rsp+0x1000]) call +1 over a hlt to a ret that returns to it
  0x48, 0x39, 0xc8, 0x72, 0x00, 0xeb, 0x00, 0x48, 0x8d, 0xa4, 0x24, 0x00, 0x10, 0x00, 0x00,
  0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xc3,
];
