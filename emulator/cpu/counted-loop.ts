/**
 * Counted loops in closed form: a block that jumps back to its own head, counts one register
 * by a constant step and leaves when that register reaches a value, optionally storing a
 * constant at the register each time round. Compilers emit exactly these for busy-wait delays
 * (`for (k = 0; k < n; k++) asm volatile("")`: add, cmp, jne, or add -1, jne) and for byte or
 * word zeroing under -fno-builtin (mov $0,(r); add; cmp; jne). The capOS agent spends more than
 * half its instructions in three such loops (its steering spins and its SQE zeroing), so the
 * interpreter runs those iterations as one step: the register moves by the iterations' total,
 * the stores become one fill, and the budget is charged for every instruction they retired.
 *
 * Exactness: the skipped iterations change nothing but the induction register, the stored
 * bytes and the flags, and the flags they leave are overwritten by the next iteration, which
 * always runs normally: the skip stops one iteration short of the exit, of the end of the
 * budget and of the last store known to be writable. That iteration therefore retires its flag
 * write (the compare, or the update when the jump tests the update's own ZF) before anything
 * can stop the CPU, and every fault, budget stop and exit happens in ordinary execution with
 * the state ordinary execution would have. A skip only starts when the loop's own block has just
 * run whole and jumped back to its head (not another block ending in the same jump: a rotated
 * loop is entered past its store), so the last iteration's store succeeded: the remaining stores
 * are limited to that store's page, which is then known to be mapped and writable, and never to
 * the pages the loop's code lives on (a store there would invalidate the code being run).
 *
 * Checked by emulator/cpu/test/counted-loop.test.ts against the same loops run with skipping
 * off at every budget split, and by the host-CPU oracle's loop macros (test/gen.ts).
 */
import type { CountedLoop, Insn, LoopStore } from "./insn.js";
import { BASE_RIP, SEG_NONE } from "./insn.js";
import type { CpuState } from "./state.js";
import { cpuStats } from "./stats.js";

/** Whether skipping is on (tests compare against runs with it off). */
export let countedLoopsOn = true;
export function setCountedLoops(on: boolean): void { countedLoopsOn = on; }

const ADD = 0, SUB = 5, CMP = 7;

/** The step of an induction update on a 64-bit register (null: not one). */
function updateOf(d: Insn): { reg: number; step: number } | null {
  if (d.map !== 0 || d.mod !== 3 || d.opsz !== 8 || d.lock) return null;
  const digit = d.reg & 7;
  if (d.op === 0xff && digit <= 1) return { reg: d.rm, step: digit === 0 ? 1 : -1 }; // INC, DEC
  if ((d.op === 0x83 || d.op === 0x81) && (digit === ADD || digit === SUB) && d.immHi === d.imm >> 31) {
    const v = digit === ADD ? d.imm : -d.imm;
    return v === 1 || v === -1 || v === 2 || v === -2 || v === 4 || v === -4 || v === 8 || v === -8 ? { reg: d.rm, step: v } : null;
  }
  return null;
}

/** A 64-bit compare of `ind` with a register or an immediate (null: not one). */
function compareOf(d: Insn, ind: number): { reg: number; lo: number; hi: number } | null {
  if (d.map !== 0 || d.mod !== 3 || d.opsz !== 8) return null;
  if (d.op === 0x39 || d.op === 0x3b) {
    // ZF is all JNE reads, and equality is symmetric: either operand order will do
    if (d.rm === ind && d.reg !== ind) return { reg: d.reg, lo: 0, hi: 0 };
    if (d.reg === ind && d.rm !== ind) return { reg: d.rm, lo: 0, hi: 0 };
    return null;
  }
  if ((d.op === 0x83 || d.op === 0x81) && (d.reg & 7) === CMP && d.rm === ind) return { reg: -1, lo: d.imm, hi: d.immHi };
  return null;
}

/** A store of an immediate at [ind + disp] of `w` bytes (null: not one). */
function storeOf(d: Insn, ind: number): { w: number; disp: number; lo: number; hi: number } | null {
  if (d.map !== 0 || (d.op !== 0xc6 && d.op !== 0xc7) || (d.reg & 7) !== 0 || d.mod === 3) return null;
  if (d.base !== ind || d.base === BASE_RIP || d.index !== -1 || d.seg !== SEG_NONE || d.asz32 !== 0) return null;
  return { w: d.opsz, disp: d.disp, lo: d.imm, hi: d.immHi };
}

const isJneTo = (d: Insn, head: number) => ((d.map === 0 && d.op === 0x75) || (d.map === 1 && d.op === 0x85)) && d.target === head;

/**
 * The closed form of the block `blk` (whose head is blk[0]) if it is a counted loop:
 * [store] update [store] [compare] jne head, in that order, nothing else.
 */
export function countedLoopOf(blk: readonly Insn[]): CountedLoop | null {
  const n = blk.length;
  if (n < 2 || n > 4) return null;
  const head = blk[0]!.addr;
  if (!isJneTo(blk[n - 1]!, head)) return null;
  let upd: { reg: number; step: number } | null = null;
  let updAt = -1;
  for (let i = 0; i < n - 1 && upd === null; i++) if ((upd = updateOf(blk[i]!)) !== null) updAt = i;
  if (upd === null) return null;
  const ind = upd.reg;
  // the last flag writer before the jump: a compare after the update, or the update itself
  let cmp: { reg: number; lo: number; hi: number };
  let rest: number[];
  if (updAt === n - 2) { cmp = { reg: -1, lo: 0, hi: 0 }; rest = [...Array(updAt).keys()]; }
  else {
    const c = compareOf(blk[n - 2]!, ind);
    if (c === null) return null;
    cmp = c;
    rest = [...Array(n - 2).keys()].filter((i) => i !== updAt);
  }
  if (rest.length > 1) return null;
  let store: LoopStore | null = null;
  if (rest.length === 1) {
    const s = storeOf(blk[rest[0]!]!, ind);
    if (s === null || s.w !== Math.abs(upd.step)) return null;
    store = { ...s, afterUpdate: rest[0]! > updAt };
  }
  const last = blk[n - 1]!;
  return {
    n, ind, step: upd.step, otherReg: cmp.reg, otherLo: cmp.lo, otherHi: cmp.hi, store,
    codeFirstPn: Math.floor(head / 4096), codeLastPn: Math.floor((last.next - 1) / 4096),
  };
}

const TWO32 = 4294967296;

/**
 * Iterations until the exit, counting the one about to run as 1: the least i >= 1 with
 * from + i*step = to (mod 2^64); Infinity when there is none below 2^52 (more than any budget).
 */
function iterationsToExit(fromLo: number, fromHi: number, toLo: number, toHi: number, step: number): number {
  // distance in the direction of the step, mod 2^64, as exact halves
  let dlo: number, dhi: number;
  if (step > 0) { dlo = (toLo >>> 0) - (fromLo >>> 0); dhi = (toHi >>> 0) - (fromHi >>> 0); }
  else { dlo = (fromLo >>> 0) - (toLo >>> 0); dhi = (fromHi >>> 0) - (toHi >>> 0); }
  if (dlo < 0) { dlo += TWO32; dhi -= 1; }
  if (dhi < 0) dhi += TWO32;
  if (dhi >= 1 << 20) return Infinity;
  const dist = dhi * TWO32 + dlo, a = step < 0 ? -step : step;
  if (dist === 0 || dist % a !== 0) return Infinity; // wraps all the way round, or never lands on it
  return dist / a;
}

/**
 * Called at the loop's head when its own block has just run whole and jumped back: runs as many
 * whole iterations as can be skipped exactly (see the header), charging the budget for them.
 */
export function skipIterations(c: CpuState, p: CountedLoop): void {
  const lo = c.lo, hi = c.hi, ind = p.ind, step = p.step;
  const vlo = lo[ind]!, vhi = hi[ind]!;
  let olo: number, ohi: number;
  if (p.otherReg >= 0) { olo = lo[p.otherReg]!; ohi = hi[p.otherReg]!; } else { olo = p.otherLo; ohi = p.otherHi; }
  let limit = Math.min(iterationsToExit(vlo, vhi, olo, ohi, step), Math.floor(c.left / p.n));
  const st = p.store;
  let at = 0;
  if (st !== null) {
    // this iteration's store address; the last iteration stored one step before it
    at = vhi * TWO32 + (vlo >>> 0) + st.disp + (st.afterUpdate ? step : 0);
    const prev = at - step;
    if (!(prev >= 0 && prev < 2 ** 47)) return;
    const pn = Math.floor(prev / 4096), end = (pn + 1) * 4096;
    if (prev + st.w > end || (pn >= p.codeFirstPn && pn <= p.codeLastPn + 1)) return;
    limit = Math.min(limit, step > 0 ? Math.floor((end - st.w - at) / step) + 1 : Math.floor((at - pn * 4096) / -step) + 1);
  }
  const skip = limit - 1;
  if (!(skip >= 1)) return;
  if (st !== null) fill(c, st, step > 0 ? at : at + (skip - 1) * step, skip);
  // the register moves by skip*step (|skip*step| < 2^34: exact in a double)
  const sum = (vlo >>> 0) + skip * step;
  const carry = Math.floor(sum / TWO32);
  lo[ind] = sum - carry * TWO32;
  hi[ind] = (vhi + carry) | 0;
  c.left -= skip * p.n;
  cpuStats.closedFormSkips++;
  cpuStats.closedFormInsns += skip * p.n;
}

/** `count` stores of the loop's constant, ascending from `from` (all on one writable page). */
function fill(c: CpuState, st: LoopStore, from: number, count: number): void {
  c.mem.wpage(from).fillElements(from - Math.floor(from / 4096) * 4096, count, st.w, st.lo, st.hi);
}
