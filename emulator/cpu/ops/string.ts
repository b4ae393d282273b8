/**
 * MOVS/CMPS/STOS/LODS/SCAS with REP/REPE/REPNE.
 *
 * Each REP iteration retires as one instruction. A REP instruction runs as many iterations
 * as the remaining run() budget allows (consuming that budget) and otherwise leaves RIP at
 * itself so that it resumes exactly where it stopped.
 */
import type { Handler, Insn } from "../insn.js";
import type { CpuState } from "../state.js";
import { F_DF } from "../state.js";
import { getZF } from "../flags.js";
import { def, IMM_NONE } from "../decode.js";
import { readMem, writeMem, getReg, setReg, setRsp } from "../operands.js";
import { aluOp } from "./alu.js";
import { SEG_FS } from "../insn.js";
import { PAGE } from "../memory.js";

const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4;

/**
 * A register as an address. A 64-bit one is read signed, as ea() reads a base or index: an
 * FS/GS-relative string operand adds the segment base mod 2^64 (SDM vol. 1 3.4.2.1), and a
 * small negative RSI such as -8 is exact as a signed double, where read unsigned it was
 * 2^64 - 8, which a double rounds to 2^64: `fs lodsq` with RSI = -8 read FS.base + 2^64 and
 * faulted instead of reading FS.base - 8. Without a segment a negative address faults as an
 * unsigned one above 2^63 did (neither is a user address); wr() stores either form the same way.
 */
function rd(c: CpuState, r: number, a32: boolean): number {
  return a32 ? c.lo[r]! >>> 0 : c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0);
}
function wr(c: CpuState, r: number, a32: boolean, v: number): void {
  if (a32) { c.lo[r] = v | 0; c.hi[r] = 0; } else { c.lo[r] = v | 0; c.hi[r] = Math.floor(v / 4294967296) | 0; }
}
function wrap(v: number, a32: boolean): number {
  return a32 ? v - Math.floor(v / 4294967296) * 4294967296 : v;
}

// The iteration state lives in module variables rather than a closure per execution: a REP
// string instruction runs millions of times in memcpy-heavy code and must not allocate.
let si = 0, di = 0, lastLo = 0, lastHi = 0;

/** One iteration at si/di; false when a REPE/REPNE condition ends the repetition. */
function once(c: CpuState, d: Insn, kind: number, w: number, a32: boolean, step: number, segBase: number, accLo: number, accHi: number): boolean {
  switch (kind) {
    case MOVS: { const v = readMem(c, si + segBase, w); writeMem(c, di, w, v, c.th); break; }
    case STOS: writeMem(c, di, w, accLo, accHi); break;
    case LODS: lastLo = readMem(c, si + segBase, w); lastHi = c.th; break;
    case CMPS: {
      const x = readMem(c, si + segBase, w), xh = c.th;
      const y = readMem(c, di, w), yh = c.th;
      aluOp(c, 7, w, x, xh, y, yh);
      break;
    }
    default: {
      const y = readMem(c, di, w), yh = c.th;
      aluOp(c, 7, w, accLo, accHi, y, yh);
    }
  }
  if (kind === MOVS || kind === CMPS || kind === LODS) si = wrap(si + step, a32);
  if (kind !== LODS) di = wrap(di + step, a32);
  if (kind === CMPS || kind === SCAS) return d.rep === 0xf3 ? getZF(c) === 1 : getZF(c) === 0;
  return true;
}

/**
 * Forward REP MOVS/STOS in bulk: as many whole iterations (at most n) as fit in the current
 * source and destination pages, copied with typed-array operations. The page lookups fault
 * exactly where the first iteration would (source read before destination write), so a
 * fault leaves nothing written, as the per-iteration path does. Returns the iterations done
 * (0: the next element straddles a page or overlaps what it copies; run it singly).
 */
function bulk(c: CpuState, kind: number, w: number, segBase: number, accLo: number, accHi: number, n: number): number {
  const m = c.mem;
  const src = si + segBase;
  const rp = kind === MOVS ? m.rpage(src) : null;
  const wp = m.wpage(di);
  const doff = di % PAGE;
  let k = Math.min(n, Math.floor((PAGE - doff) / w));
  if (rp !== null) {
    const soff = src % PAGE;
    k = Math.min(k, Math.floor((PAGE - soff) / w));
    // a destination just above the source re-reads what this copy writes: copy in steps
    // no longer than the distance, which is what iterating element by element produces
    if (di > src && di - src < k * w) k = Math.floor((di - src) / w);
    if (k <= 0) return 0;
    const bytes = k * w;
    if (rp === wp) wp.data.copyWithin(doff, soff, soff + bytes);
    else wp.data.set(rp.data.subarray(soff, soff + bytes), doff);
    si += bytes;
  } else {
    if (k <= 0) return 0;
    wp.fillElements(doff, k, w, accLo, accHi);
  }
  di += k * w;
  return k;
}

/**
 * RCX after `done` iterations of a count held as exact halves (cntHi:cntLo). A module function,
 * not a closure in the handler: a REP instruction would otherwise allocate one per execution.
 */
function writeCount(c: CpuState, a32: boolean, cntLo: number, cntHi: number, done: number): void {
  let lo = cntLo - done;
  if (lo < 0) { lo += 4294967296; cntHi -= 1; }
  c.lo[1] = lo | 0;
  c.hi[1] = a32 ? 0 : cntHi | 0;
}

function strop(kind: number): Handler {
  return (c: CpuState, d: Insn) => {
    const w = d.opsz, a32 = d.asz32 !== 0;
    const step = (c.flags & F_DF) ? -w : w;
    const segBase = d.seg === 0 ? 0 : d.seg === SEG_FS ? c.fsBase : c.gsBase;
    const useSi = kind === MOVS || kind === CMPS || kind === LODS;
    const useDi = kind !== LODS;
    si = useSi ? rd(c, 6, a32) : 0; di = useDi ? rd(c, 7, a32) : 0;
    const accLo = getReg(c, 0, w), accHi = c.th;
    lastLo = 0; lastHi = 0;
    if (d.rep === 0) {
      once(c, d, kind, w, a32, step, segBase, accLo, accHi);
      if (useSi) wr(c, 6, a32, si);
      if (useDi) wr(c, 7, a32, di);
      if (kind === LODS) setReg(c, 0, w, lastLo, lastHi);
      return;
    }
    // The count is an unsigned 64-bit (or 32-bit) quantity kept as two exact 32-bit halves:
    // a double cannot hold counts above 2^53 exactly, and a count read as signed went
    // negative for RCX >= 2^63, ran no iteration and left RIP in place without consuming budget.
    const cntLo = c.lo[1]! >>> 0;
    const cntHi = a32 ? 0 : c.hi[1]! >>> 0;
    if (cntLo === 0 && cntHi === 0) return;
    const max = cntHi > 0 ? c.left : Math.min(cntLo, c.left);
    const fast = (kind === MOVS || kind === STOS) && step > 0 && !a32;
    let done = 0, cont = true;
    try {
      while (done < max) {
        if (fast && max - done > 1) {
          const k = bulk(c, kind, w, segBase, accLo, accHi, max - done);
          if (k > 0) { done += k; continue; }
        }
        cont = once(c, d, kind, w, a32, step, segBase, accLo, accHi);
        done++;
        if (!cont) break;
      }
    } catch (e) {
      c.left -= done;
      if (useSi) wr(c, 6, a32, si);
      if (useDi) wr(c, 7, a32, di);
      writeCount(c, a32, cntLo, cntHi, done);
      if (kind === LODS && done > 0) setReg(c, 0, w, lastLo, lastHi);
      throw e;
    }
    c.left -= done - 1;
    if (useSi) wr(c, 6, a32, si);
    if (useDi) wr(c, 7, a32, di);
    writeCount(c, a32, cntLo, cntHi, done);
    if (kind === LODS) setReg(c, 0, w, lastLo, lastHi);
    const cnt = (c.lo[1]! | c.hi[1]!) >>> 0;
    if (cnt !== 0 && cont) c.rip = d.addr;
  };
}

export function registerString(): void {
  const ops: [number, number][] = [[0xa4, MOVS], [0xa6, CMPS], [0xaa, STOS], [0xac, LODS], [0xae, SCAS]];
  for (const [op, kind] of ops) {
    def(0, op, { modrm: false, imm: IMM_NONE, byteOp: true, h: strop(kind) });
    def(0, op + 1, { modrm: false, imm: IMM_NONE, h: strop(kind) });
  }
  void setRsp;
}
