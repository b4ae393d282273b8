/**
 * Compare-and-branch pairs: a block that ends in a conditional jump right after the
 * instruction that sets its flags runs the two as one handler in the interpreter's fast path
 * (one dispatch instead of two, and V8, inlining both handlers into it, reads the flags the
 * producer has just recorded without going through memory). The pair's handler is the
 * producer's handler followed by the jump's, so its semantics are theirs by construction: the
 * lazy flags are recorded exactly as before, for any later reader.
 *
 * Producers are the instructions that write no memory and do not touch RIP (ALU and TEST on
 * registers, immediates or a memory source, INC/DEC on a register): only the producer may
 * fault, and nothing the pair does can rewrite the jump's code. run.ts keeps the instruction
 * count exact (a pair retires two instructions; a block the budget cannot cover runs one
 * instruction at a time, unfused).
 */
import type { Handler, Insn } from "../insn.js";

/** Jcc rel8 (70-7F) or rel32 (0F 80-8F). */
export function isJcc(d: Insn): boolean {
  return d.map === 0 ? (d.op & 0xf0) === 0x70 : d.map === 1 && (d.op & 0xf0) === 0x80;
}

/** An instruction that sets flags, writes no memory and leaves RIP alone. */
export function isPureFlagProducer(d: Insn): boolean {
  if (d.map !== 0 || d.lock || d.rep !== 0) return false;
  const op = d.op, reg = d.reg & 7, mem = d.mod !== 3;
  if (op < 0x40 && (op & 7) < 6) {
    // ADD..CMP: forms 0/1 write r/m (memory unless mod 3, or CMP); 2/3 write a register; 4/5 AL/rAX
    if ((op & 7) >= 2) return true;
    return !mem || (op >> 3) === 7;
  }
  switch (op) {
    case 0x80: case 0x81: case 0x83: return !mem || reg === 7;
    case 0x84: case 0x85: case 0xa8: case 0xa9: return true;
    case 0xf6: case 0xf7: return reg < 2; // TEST r/m, imm
    case 0xfe: case 0xff: return !mem && reg < 2; // INC/DEC register
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
  if (p.next !== j.addr || !isJcc(j) || !isPureFlagProducer(p)) return null;
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
