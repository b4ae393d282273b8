/**
 * The interpreter loop: run(cpu, mem, maxInsns) -> Stop.
 */
import { CpuState } from "./state.js";
import { Insn, GuestFault } from "./insn.js";
import type { Stop } from "./insn.js";
import { Memory, PAGE } from "./memory.js";
import { decode } from "./decode.js";
import { registerAll } from "./ops/index.js";
import type { TraceRing } from "./trace.js";

registerAll();

/** Decoded instruction at addr (through the per-page decode cache). */
export function fetchInsn(mem: Memory, addr: number): Insn {
  const pg = mem.fetchPage(addr);
  const off = addr - Math.floor(addr / PAGE) * PAGE;
  let ic = pg.icache;
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
      cur = d;
      if (trace !== undefined) trace.push(rip);
      c.rip = d.next;
      d.exec(c, d);
      c.left--;
      if (c.stop !== null) {
        const s = c.stop;
        c.stop = null;
        return s === "syscall" ? { kind: "syscall" } : { kind: "hlt" };
      }
      prev = d;
    }
    return { kind: "budget" };
  } catch (e) {
    if (e instanceof GuestFault) {
      if (cur !== null) c.rip = cur.addr;
      return { kind: "fault", fault: e.fault };
    }
    throw e;
  } finally {
    c.icount += maxInsns - c.left;
    c.left = 0;
    c.runStart = 0;
    c.cur = null;
  }
}
