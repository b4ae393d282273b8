/**
 * Compare-and-branch pairs: a block that ends in a conditional jump runs it and the
 * instruction before it (usually the one that sets its flags) as one handler in the
 * interpreter's fast path
 * (one dispatch instead of two, and V8, inlining both handlers into it, reads the flags the
 * producer has just recorded without going through memory). The pair's handler is the
 * producer's handler followed by the jump's, so its semantics are theirs by construction: the
 * lazy flags are recorded exactly as before, for any later reader.
 *
 * The first of the two is an instruction that writes no memory and does not touch RIP
 * (isPairable): only it may fault, and nothing the pair does can rewrite the jump's code. run.ts keeps the instruction
 * count exact (a pair retires two instructions; a block the budget cannot cover runs one
 * instruction at a time, unfused).
 */
import type { Handler, Insn } from "../insn.js";

/** Jcc rel8 (70-7F) or rel32 (0F 80-8F). */
export function isJcc(d: Insn): boolean {
  return d.map === 0 ? (d.op & 0xf0) === 0x70 : d.map === 1 && (d.op & 0xf0) === 0x80;
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

const made = new Map<Handler, Map<Handler, Handler>>();
let pairs = 0;

/**
 * The pair handler for producer p followed by Jcc j (called with j, whose `pair` is p), or
 * null when the two do not form a pair. One function per (producer handler, jump handler),
 * each compiled on its own (`new Function`), so that V8 keeps separate call feedback for each
 * and inlines both handlers; closures of one function literal would share it.
 */
export function pairHandler(p: Insn, j: Insn): Handler | null {
  if (p.next !== j.addr || !isJcc(j) || !isPairable(p)) return null;
  let byJump = made.get(p.exec);
  if (byJump === undefined) made.set(p.exec, byJump = new Map());
  let h = byJump.get(j.exec);
  if (h === undefined) {
    // The source names the pair: V8 caches compilations by source text, and identical sources
    // would give every pair one shared function (and one shared call feedback). A strict arrow,
    // as the handlers in ops/ are: a field that holds functions of one kind keeps its type.
    h = new Function("P", "J", `"use strict"; return (c, j) => { P(c, j.pair); J(c, j); }; // pair ${++pairs}`)(p.exec, j.exec) as Handler;
    byJump.set(j.exec, h);
  }
  return h;
}
