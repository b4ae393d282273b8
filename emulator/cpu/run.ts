/**
 * The interpreter loop: run(cpu, mem, maxInsns) -> Stop.
 */
import { CpuState } from "./state.js";
import { Insn } from "./insn.js";
import { GuestFault } from "./fault.js";
import type { Stop } from "./fault.js";
import { Memory, PAGE } from "./memory.js";
import { decode, opUD } from "./decode.js";
import { registerAll } from "./ops/index.js";
import type { TraceRing } from "./trace.js";
import { compileBlock } from "./jit.js";
import type { JitBlock } from "./jit.js";
import { setArith, szp, materialize } from "./flags.js";

/** Executions of a block before it is compiled by the second tier (0 disables the JIT). */
export let JIT_THRESHOLD = 64;
export function setJitThreshold(n: number): void { JIT_THRESHOLD = n; }

registerAll();

/** Decoded instruction at addr (through the per-page decode cache). */
export function fetchInsn(mem: Memory, addr: number): Insn {
  const pg = mem.fetchPage(addr);
  const off = addr - Math.floor(addr / PAGE) * PAGE;
  // The page's cache holds only Insns (this function is its one writer).
  let ic = pg.icache as (Insn | undefined)[] | null;
  if (ic === null) ic = pg.icache = new Array<Insn | undefined>(PAGE);
  let d = ic[off];
  if (d === undefined) {
    d = decode(mem, addr);
    // decoding may have touched the next page; re-check the cache survived
    if (pg.icache === null) pg.icache = ic;
    ic[off] = d;
  }
  return d;
}

/** Does this instruction end a straight-line block (may change RIP or stop the CPU)? */
function endsBlock(d: Insn): boolean {
  if (d.exec === (opUD as unknown as Insn["exec"])) return true;
  const op = d.op;
  if (d.map === 0) {
    return (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op === 0xe8 || op === 0xe9 || op === 0xeb
      || op === 0xc2 || op === 0xc3 || op === 0xff || (op >= 0xa4 && op <= 0xaf) || op === 0xf4 || op === 0xcc || op === 0xcd;
  }
  if (d.map === 1) return (op >= 0x80 && op <= 0x8f) || op === 0x05 || op === 0x0b;
  return false;
}
const MAX_BLOCK = 48;
/** Decode the straight-line run starting at d (stops early where decoding would fault). */
function buildBlock(mem: Memory, d: Insn): Insn[] {
  const blk = [d];
  let x = d;
  while (!endsBlock(x) && blk.length < MAX_BLOCK) {
    let y: Insn;
    try { y = fetchInsn(mem, x.next); } catch (e) { if (e instanceof GuestFault) break; throw e; }
    blk.push(y);
    x = y;
  }
  return blk;
}

/**
 * Execute until a stop condition. Exactly `maxInsns` instructions retire before a
 * `budget` stop; a SYSCALL/HLT counts as retired; a faulting instruction does not retire
 * and RIP points at it. Throws only for emulator bugs.
 */
export function run(c: CpuState, mem: Memory, maxInsns: number, trace?: TraceRing): Stop {
  if (!(maxInsns >= 0)) throw new RangeError("maxInsns must be >= 0");
  c.mem = mem;
  c.stop = null;
  c.left = maxInsns;
  c.runStart = maxInsns;
  let cur: Insn | null = null;
  let prev: Insn | null = null;
  let jitBlk: Insn[] | null = null, jitL0 = 0;
  try {
    while (c.left > 0) {
      const rip = c.rip;
      let d: Insn | null = null;
      if (prev !== null) {
        d = prev.succ;
        if (d === null || d.addr !== rip || !d.valid) {
          d = prev.succ2;
          if (d === null || d.addr !== rip || !d.valid) {
            cur = null;
            d = fetchInsn(mem, rip);
          }
          prev.succ2 = prev.succ;
          prev.succ = d;
        }
      } else {
        cur = null;
        d = fetchInsn(mem, rip);
      }
      let blk: Insn[] | null = d.block;
      if (blk === null) blk = d.block = buildBlock(mem, d);
      const n = blk.length;
      if (d.jit === null && trace === undefined && ++d.heat === JIT_THRESHOLD) {
        const f = compileBlock(blk);
        if (f !== null) d.jit = f as unknown as Insn["jit"];
      }
      if (d.jit !== null && n <= c.left && trace === undefined) {
        jitBlk = blk; jitL0 = c.left;
        const k = (d.jit as unknown as JitBlock)(c, blk, setArith, szp, materialize);
        jitBlk = null;
        prev = blk[k - 1]!;
        cur = prev;
        if (k < n) d.block = null; // a store invalidated part of the block
      } else
      for (let i = 0; i < n; i++) {
        const x: Insn = blk[i]!;
        if (!x.valid) { d.block = null; break; } // code rewritten under us: decode afresh
        cur = x;
        if (trace !== undefined) trace.push(x.addr);
        c.rip = x.next;
        x.exec(c, x);
        prev = x;
        if (--c.left <= 0) break;
      }
      if (c.stop !== null) {
        const s = c.stop;
        c.stop = null;
        return s === "syscall" ? { kind: "syscall" } : { kind: "hlt" };
      }
    }
    return { kind: "budget" };
  } catch (e) {
    if (e instanceof GuestFault) {
      if (jitBlk !== null) { cur = jitBlk[c.jk]!; c.left = jitL0 - c.jk; }
      if (cur !== null) c.rip = cur.addr;
      return { kind: "fault", fault: e.fault };
    }
    throw e;
  } finally {
    c.icount += maxInsns - c.left;
    c.left = 0;
    c.runStart = 0;
  }
}
