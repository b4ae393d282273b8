/**
 * The interpreter loop: run(cpu, mem, maxInsns) -> Stop.
 */
import { CpuState } from "./state.js";
import { Insn } from "./insn.js";
import { GuestFault } from "./fault.js";
import type { Stop } from "./fault.js";
import { Memory, PAGE } from "./memory.js";
import { decode } from "./decode.js";
import { registerAll } from "./ops/index.js";
import type { TraceRing } from "./trace.js";
import { compileRegion, endsBlock, isJmpIndirect, JIT_HELPERS } from "./jit.js";
import type { JitRegion } from "./jit.js";

/**
 * Tier policy: a block head entered this many times by the interpreter is considered as the
 * head of a compiled region (0 disables the JIT). Successor blocks join the region when they
 * have run at least JIT_THRESHOLD / 8 times, so cold paths stay interpreted and exit the
 * region; an indirect jump's observed targets join it too. Above a threshold of 1 only regions
 * holding a loop whose every instruction is inlined are compiled, and only once their blocks
 * have retired PROMOTE_VOLUME (and PROMOTE_VOLUME_PER_INSN per region instruction)
 * instructions in the interpreter (anything else costs V8 more to compile than it saves; see
 * jit.ts): a head not yet worth it is looked at again at twice its entries.
 * Measured demotion: a compiled region is only worth its entry and exit (state to and from
 * JS locals, and V8 running a fresh function in its slow tiers until it optimises it) when it
 * stays inside for long, so every DEMOTE_PROBE entries the instructions it retired are
 * counted, and a region averaging fewer than DEMOTE_MIN_PER_ENTRY per entry is dropped for
 * good (its head is interpreted from then on; the count is of retired instructions, so the
 * decision is deterministic and guest-visible behaviour is the same either way). A threshold of 1
 * compiles every region on first entry, which is how the host-CPU oracle tests exercise the
 * compiler.
 */
export const DEFAULT_JIT_THRESHOLD = 1024;
export let JIT_THRESHOLD = DEFAULT_JIT_THRESHOLD;
export function setJitThreshold(n: number): void { JIT_THRESHOLD = n; }
const DEMOTE_PROBE = 64, DEMOTE_MIN_PER_ENTRY = 12;
/** Most distinct targets recorded per indirect jump (a region takes the most frequent). */
const MAX_IND = 64;

registerAll();

/** Heads of every region compiled since the last call (for profiling tools; null = off). */
export let regionLog: Insn[] | null = null;
export function logRegions(on: boolean): void { regionLog = on ? [] : null; }

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
  if (x.ind === null && isJmpIndirect(x)) x.ind = new Map();
  return blk;
}

/** A block a region may take in: valid, and entered at least minHeat times (else null). */
function regionBlockAt(mem: Memory, addr: number, minHeat: number): Insn[] | null {
  let x: Insn;
  try { x = fetchInsn(mem, addr); } catch (e) { if (e instanceof GuestFault) return null; throw e; }
  if (x.heat < minHeat) return null;
  let blk = x.block;
  if (blk === null || !blk.every((y) => y.valid)) blk = x.block = buildBlock(mem, x);
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
  let jitD: Insn[] | null = null;
  const jitAt = JIT_THRESHOLD;
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
      let interpret = true;
      if (trace === undefined) {
        if (d.jit === null && ++d.heat >= jitAt && d.heat >= d.jitNext && jitAt > 0) {
          const joinHeat = Math.max(1, jitAt >> 3);
          const r = compileRegion(d, (addr, isHead) => regionBlockAt(mem, addr, isHead ? 0 : joinHeat), jitAt > 1);
          if (r === "later") d.jitNext = d.heat * 2;
          else if (r === null) d.jitNext = Infinity;
          else { d.jit = r.fn as unknown as Insn["jit"]; d.jitD = r.D; d.jitRuns = 0; d.jitRetired = 0; regionLog?.push(d); }
        }
        if (d.jit !== null) {
          const L = c.left;
          jitD = d.jitD;
          const r = (d.jit as unknown as JitRegion)(c, jitD!, JIT_HELPERS);
          jitD = null;
          if (jitAt > 1) {
            d.jitRetired += L - c.left;
            if (++d.jitRuns === DEMOTE_PROBE) {
              if (d.jitRetired < DEMOTE_PROBE * DEMOTE_MIN_PER_ENTRY) { d.jit = null; d.jitD = null; d.jitNext = Infinity; }
              else { d.jitRuns = 0; d.jitRetired = 0; }
            }
          }
          if (r === 2) { d.jit = null; d.jitD = null; d.heat = 0; d.jitNext = 0; } // its code was rewritten: interpret, maybe recompile later
          else if (c.left !== L || c.stop !== null) { interpret = false; prev = null; cur = null; }
          // else: the budget cannot cover the head block; interpret it
        }
      }
      if (interpret) {
        let blk: Insn[] | null = d.block;
        if (blk === null) blk = d.block = buildBlock(mem, d);
        const n = blk.length;
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
        // an indirect jump ends its block: note where it went (the region builder's edges)
        const ind = prev === null ? null : prev.ind;
        if (ind !== null) {
          const k = ind.get(c.rip);
          if (k !== undefined) ind.set(c.rip, k + 1);
          else if (ind.size < MAX_IND) ind.set(c.rip, 1);
        }
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
      if (jitD !== null) { cur = jitD[c.jk]!; c.left -= c.jk - c.jb; }
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
