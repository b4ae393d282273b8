/**
 * BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT (F3 forms, as on the host), POPCNT.
 */
import type { Handler } from "../insn.js";
import { F_CF, F_ZF } from "../state.js";
import { materialize, setArith, szp } from "../flags.js";
import { def, byReg, byPfx, allowLock, IMM_B, IMM_NONE } from "../decode.js";
import { ea, readMem, writeMem, getReg, setReg, readG, readRM, writeG } from "../operands.js";

function clz32(v: number): number { return Math.clz32(v); }
function ctz32(v: number): number { return v === 0 ? 32 : 31 - Math.clz32(v & -v); }

/** BTS (1), BTR (2) or BTC (3) of mask m on a 32-bit half (a module function: a closure in the handler was allocated per execution). */
function btUpdate(kind: number, v: number, m: number): number {
  return (kind === 1 ? v | m : kind === 2 ? v & ~m : v ^ m) >>> 0;
}

/** kind: 0 BT, 1 BTS, 2 BTR, 3 BTC; imm: bit offset from the immediate. */
function bt(kind: number, imm: boolean): Handler {
  return (c, d) => {
    const w = d.opsz, bits = w * 8;
    let off: number;
    let lo: number, hi: number, addr = 0;
    if (imm) off = d.imm & (bits - 1);
    else off = readG(c, d, w);
    const offHi = c.th;
    if (d.mod === 3) {
      off &= bits - 1;
      lo = getReg(c, d.rm, w); hi = c.th;
    } else {
      addr = ea(c, d);
      if (!imm) {
        // signed bit offset: operand-sized units before/after the addressed one
        const sOff = w === 8 ? (offHi | 0) * 4294967296 + off : w === 4 ? off | 0 : (off << 16) >> 16;
        const low = off & (bits - 1);
        addr += ((sOff - low) / bits) * w;
        off = low;
      }
      lo = readMem(c, addr, w); hi = c.th;
    }
    let bit: number;
    if (off >= 32) bit = (hi >>> (off - 32)) & 1; else bit = (lo >>> off) & 1;
    if (kind !== 0) {
      // BTS/BTR/BTC: the store before CF, so a store that faults leaves CF as it was
      const m = 1 << (off & 31);
      if (off >= 32) hi = btUpdate(kind, hi, m); else lo = btUpdate(kind, lo, m);
      if (w === 2) lo &= 0xffff;
      if (d.mod === 3) setReg(c, d.rm, w, lo, hi); else writeMem(c, addr, w, lo, hi);
    }
    materialize(c);
    c.flags = (c.flags & ~F_CF) | bit;
  };
}

function scan(reverse: boolean): Handler {
  return (c, d) => {
    const w = d.opsz;
    const lo = readRM(c, d, w), hi = w === 8 ? c.th : 0;
    materialize(c);
    if (lo === 0 && hi === 0) { c.flags |= F_ZF; return; }
    let r: number;
    if (!reverse) r = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
    else r = hi !== 0 ? 63 - clz32(hi) : 31 - clz32(lo);
    c.flags &= ~F_ZF;
    writeG(c, d, w, r, 0);
  };
}
function cnt(kind: number): Handler { // 0 tzcnt, 1 lzcnt, 2 popcnt
  return (c, d) => {
    const w = d.opsz, bits = w * 8;
    const lo = readRM(c, d, w), hi = w === 8 ? c.th : 0;
    let r: number;
    if (kind === 0) r = w === 8 ? (lo !== 0 ? ctz32(lo) : 32 + ctz32(hi)) : Math.min(ctz32(lo), bits);
    else if (kind === 1) r = w === 8 ? (hi !== 0 ? clz32(hi) : 32 + clz32(lo)) : clz32(lo) - (32 - bits);
    else { r = 0; for (let v = lo; v; v &= v - 1) r++; for (let v = hi; v; v &= v - 1) r++; }
    writeG(c, d, w, r, 0);
    if (kind === 2) setArith(c, (lo === 0 && hi === 0) ? F_ZF : 0);
    else setArith(c, (r === bits ? F_CF : 0) | (r === 0 ? F_ZF : 0));
    void szp;
  };
}

export function registerBitops(): void {
  def(1, 0xa3, { modrm: true, imm: IMM_NONE, h: bt(0, false) });
  def(1, 0xab, { modrm: true, imm: IMM_NONE, h: bt(1, false) });
  def(1, 0xb3, { modrm: true, imm: IMM_NONE, h: bt(2, false) });
  def(1, 0xbb, { modrm: true, imm: IMM_NONE, h: bt(3, false) });
  for (const op of [0xab, 0xb3, 0xbb]) allowLock(1, op);
  def(1, 0xba, { modrm: true, imm: IMM_B, pick: true, h: byReg([undefined, undefined, undefined, undefined, bt(0, true), bt(1, true), bt(2, true), bt(3, true)]) });
  allowLock(1, 0xba, (r) => r > 4);
  def(1, 0xbc, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([scan(false), scan(false), cnt(0), scan(false)]) });
  def(1, 0xbd, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([scan(true), scan(true), cnt(1), scan(true)]) });
  def(1, 0xb8, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([undefined, undefined, cnt(2), undefined]) });
}
