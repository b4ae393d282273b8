/**
 * Compare-and-branch pairs: a block that ends in a conditional (or direct) jump runs it and
 * the instruction before it (usually the one that sets its flags) as one handler in the
 * interpreter's fast path: one dispatch from the loop instead of two, and the jump's handler
 * inlined into the pair's. The pair's handler is the first instruction's handler followed by
 * the jump's, so its semantics are theirs by construction: the lazy flags are recorded exactly
 * as before, for any later reader.
 *
 * The first of the two is an instruction that writes no memory and does not touch RIP
 * (isPairable): only it may fault, and nothing the pair does can rewrite the jump's code.
 * run.ts keeps the instruction count exact (a pair retires two instructions; a block the
 * budget cannot cover runs one instruction at a time, unpaired).
 */
import type { Handler, Insn } from "../insn.js";

/** Jcc rel8 (70-7F) or rel32 (0F 80-8F), or JMP rel8/rel32 (EB, E9): jumps that cannot fault. */
export function isDirectJump(d: Insn): boolean {
  return d.map === 0 ? (d.op & 0xf0) === 0x70 || d.op === 0xeb || d.op === 0xe9 : d.map === 1 && (d.op & 0xf0) === 0x80;
}

/**
 * An instruction that may run first in a pair: it writes no memory and leaves RIP alone (it
 * may read memory, and fault). Mostly the flag producer the jump reads (CMP, TEST, ALU ops,
 * INC/DEC), but compilers also put a move, LEA or load between the two.
 */
export function isPairable(d: Insn): boolean {
  if (d.lock || d.rep !== 0) return false;
  const op = d.op, reg = d.reg & 7, mem = d.mod !== 3;
  if (d.map === 1) {
    // CMOVcc, SETcc on a register, IMUL r, r/m, MOVZX/MOVSX
    return (op >= 0x40 && op <= 0x4f) || (op >= 0x90 && op <= 0x9f && !mem) || op === 0xaf || op === 0xb6 || op === 0xb7 || op === 0xbe || op === 0xbf;
  }
  if (d.map !== 0) return false;
  if (op < 0x40 && (op & 7) < 6) {
    // ADD..CMP: forms 0/1 write r/m (memory unless mod 3, or CMP); 2/3 write a register; 4/5 AL/rAX
    if ((op & 7) >= 2) return true;
    return !mem || (op >> 3) === 7;
  }
  if (op >= 0xb0 && op <= 0xbf) return true; // MOV r, imm
  switch (op) {
    case 0x80: case 0x81: case 0x83: return !mem || reg === 7;
    case 0x84: case 0x85: case 0xa8: case 0xa9: return true; // TEST
    case 0x88: case 0x89: return !mem; // MOV r/m, r on registers
    case 0x8a: case 0x8b: case 0x8d: case 0x63: return true; // MOV r, r/m; LEA; MOVSXD
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: return !mem; // shifts and rotates on a register
    case 0xf6: case 0xf7: return reg < 2 || (!mem && reg < 4); // TEST r/m, imm; NOT/NEG on a register
    case 0xfe: case 0xff: return !mem && reg < 2; // INC/DEC on a register
    case 0x98: case 0x99: return true; // CBW/CWDE/CDQE, CWD/CDQ/CQO
  }
  return false;
}

const byJump = new Map<Handler, Handler>();
let pairs = 0;

/**
 * The pair handler for p followed by the jump j (called with j, whose `pair` is p), or null
 * when the two do not form a pair. One function per jump handler (16 conditions and JMP),
 * each compiled on its own (`new Function`) so that V8 inlines that jump's handler into it
 * (closures of one function literal would share one call feedback); the first instruction's
 * handler is called through the instruction, as the interpreter loop would. One function per
 * (first handler, jump handler), inlining both, was measured too: it saved more per pair run
 * (47 host instructions against about half that) but a real program makes a hundred or more of
 * them, each compiled by V8 on its own, and busybox sort -n ran 1.3% more host instructions
 * with them than with no pairs at all.
 */
export function pairHandler(p: Insn, j: Insn): Handler | null {
  if (p.next !== j.addr || !isDirectJump(j) || !isPairable(p)) return null;
  let h = byJump.get(j.exec);
  if (h === undefined) {
    // The source names the jump: V8 caches compilations by source text, and identical sources
    // would give every jump one shared function. A strict arrow, as the handlers in ops/ are:
    // a field that holds functions of one kind keeps its type.
    h = new Function("J", `"use strict"; return (c, j) => { const p = j.pair; p.exec(c, p); J(c, j); }; // jump ${++pairs}`)(j.exec) as Handler;
    byJump.set(j.exec, h);
  }
  return h;
}
