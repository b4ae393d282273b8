/**
 * MUL/IMUL/DIV/IDIV (F6/F7 /4-/7, 0F AF, 69, 6B) plus the F6/F7 TEST/NOT/NEG rows.
 * Division raises #DE on a zero divisor or quotient overflow.
 */
import { CpuState, FOP_IMUL64, F_CF, F_OF } from "../state.js";
import type { Handler } from "../insn.js";
import { de } from "../fault.js";
import { szp, setArith } from "../flags.js";
import { def, byReg, allowLock, IMM_B, IMM_Z, IMM_NONE } from "../decode.js";
import { ea, readRMa, readRM, getReg, setReg, readG, writeG, immW } from "../operands.js";
import { testEI, notE, negE } from "./alu.js";

/** Unsigned 32x32 -> 64: returns lo, hi in c.th. */
export function mulu32(c: CpuState, a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = lh + hl + (ll >>> 16);
  c.th = (hh + Math.floor(mid / 65536)) >>> 0;
  return (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
}
/** Low 64 bits of a 64x64 product: lo returned, hi in c.th. */
export function mulLo64(c: CpuState, a: number, ah: number, b: number, bh: number): number {
  const lo = mulu32(c, a, b);
  c.th = (c.th + Math.imul(a, bh) + Math.imul(ah, b)) >>> 0;
  return lo;
}
function big(lo: number, hi: number): bigint { return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }

function mulFlags(c: CpuState, w: number, lo: number, hi: number, ovf: boolean): void {
  setArith(c, (ovf ? F_CF | F_OF : 0) | szp(w, lo, hi));
}

function mul1(signed: boolean): Handler {
  return (c, d) => {
    const w = d.opsz;
    const s = readRM(c, d, w), sh = c.th;
    switch (w) {
      case 1: {
        const a = c.lo[0]! & 255;
        const p = signed ? ((a << 24) >> 24) * ((s << 24) >> 24) : a * s;
        c.lo[0] = (c.lo[0]! & ~0xffff) | (p & 0xffff);
        const ovf = signed ? ((p << 24) >> 24) !== p : (p & 0xff00) !== 0;
        mulFlags(c, 1, p & 0xff, 0, ovf);
        return;
      }
      case 2: {
        const a = c.lo[0]! & 0xffff;
        const p = signed ? ((a << 16) >> 16) * ((s << 16) >> 16) : a * s;
        setReg(c, 0, 2, p & 0xffff, 0); setReg(c, 2, 2, (p >> 16) & 0xffff, 0);
        const ovf = signed ? ((p << 16) >> 16) !== p : (p >>> 16) !== 0;
        mulFlags(c, 2, p & 0xffff, 0, ovf);
        return;
      }
      case 4: {
        const a = c.lo[0]! >>> 0;
        const lo = mulu32(c, a, s);
        let hi = c.th;
        if (signed) hi = (hi - ((a | 0) < 0 ? s : 0) - ((s | 0) < 0 ? a : 0)) >>> 0;
        setReg(c, 0, 4, lo | 0, 0); setReg(c, 2, 4, hi | 0, 0);
        const ovf = signed ? (hi | 0) !== ((lo | 0) >> 31) : hi !== 0;
        mulFlags(c, 4, lo, 0, ovf);
        return;
      }
      default: {
        let A = big(c.lo[0]!, c.hi[0]!), S = big(s, sh);
        if (signed) { A = BigInt.asIntN(64, A); S = BigInt.asIntN(64, S); }
        const p = BigInt.asUintN(128, A * S);
        const lo = p & 0xffffffffffffffffn, hi = p >> 64n;
        c.lo[0] = Number(lo & 0xffffffffn) | 0; c.hi[0] = Number(lo >> 32n) | 0;
        c.lo[2] = Number(hi & 0xffffffffn) | 0; c.hi[2] = Number(hi >> 32n) | 0;
        const ovf = signed ? BigInt.asIntN(64, lo) !== BigInt.asIntN(128, p) : hi !== 0n;
        mulFlags(c, 8, c.lo[0]! >>> 0, c.hi[0]! >>> 0, ovf);
      }
    }
  };
}

/** Truncating signed multiply used by 0F AF / 69 / 6B. */
function imulTrunc(c: CpuState, w: number, a: number, ah: number, b: number, bh: number): number {
  switch (w) {
    case 2: {
      const p = ((a << 16) >> 16) * ((b << 16) >> 16);
      const r = p & 0xffff;
      mulFlags(c, 2, r, 0, ((p << 16) >> 16) !== p);
      return r;
    }
    case 4: {
      const lo = mulu32(c, a, b);
      const hi = (c.th - ((a | 0) < 0 ? b : 0) - ((b | 0) < 0 ? a : 0)) | 0;
      mulFlags(c, 4, lo, 0, hi !== ((lo | 0) >> 31));
      return lo;
    }
    default: {
      const lo = mulLo64(c, a, ah, b, bh);
      const hi = c.th;
      c.fop = FOP_IMUL64; c.fw = 8;
      c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = lo; c.frh = hi;
      c.th = hi;
      return lo;
    }
  }
}
const imulGE: Handler = (c, d) => {
  const w = d.opsz;
  const a = readG(c, d, w), ah = c.th;
  const b = readRM(c, d, w), bh = c.th;
  const r = imulTrunc(c, w, a, ah, b, bh);
  writeG(c, d, w, r, c.th);
};
const imulGEI: Handler = (c, d) => {
  const w = d.opsz;
  const a = readRM(c, d, w), ah = c.th;
  const b = immW(c, d, w), bh = c.th;
  const r = imulTrunc(c, w, a, ah, b, bh);
  writeG(c, d, w, r, c.th);
};

function div1(signed: boolean): Handler {
  return (c, d) => {
    const w = d.opsz;
    const s = readRM(c, d, w), sh = c.th;
    switch (w) {
      case 1: case 2: {
        const bits = w * 8, m = w === 1 ? 0xff : 0xffff;
        const n = w === 1 ? (c.lo[0]! & 0xffff) : ((c.lo[2]! & 0xffff) * 65536 + (c.lo[0]! & 0xffff));
        let q: number, r: number;
        if (signed) {
          const sn = w === 1 ? (n << 16) >> 16 : n | 0;
          const sd = (s << (32 - bits)) >> (32 - bits);
          if (sd === 0) throw de();
          q = Math.trunc(sn / sd); r = sn - q * sd;
          if (q > (m >> 1) || q < -((m >> 1) + 1)) throw de();
        } else {
          if (s === 0) throw de();
          q = Math.floor(n / s); r = n - q * s;
          if (q > m) throw de();
        }
        if (w === 1) c.lo[0] = (c.lo[0]! & ~0xffff) | ((r & 0xff) << 8) | (q & 0xff);
        else { setReg(c, 0, 2, q & 0xffff, 0); setReg(c, 2, 2, r & 0xffff, 0); }
        return;
      }
      case 4: {
        const lo = c.lo[0]! >>> 0, hi = c.lo[2]! >>> 0;
        if (!signed && hi === 0) {
          if (s === 0) throw de();
          const q = Math.floor(lo / s);
          setReg(c, 0, 4, q | 0, 0); setReg(c, 2, 4, (lo - q * s) | 0, 0);
          return;
        }
        let N = big(lo, hi), D = BigInt(s);
        if (signed) { N = BigInt.asIntN(64, N); D = BigInt.asIntN(32, D); }
        if (D === 0n) throw de();
        const q = N / D, r = N % D;
        if (signed ? BigInt.asIntN(32, q) !== q : q > 0xffffffffn) throw de();
        setReg(c, 0, 4, Number(BigInt.asUintN(32, q)) | 0, 0); setReg(c, 2, 4, Number(BigInt.asUintN(32, r)) | 0, 0);
        return;
      }
      default: {
        let N = (big(c.lo[2]!, c.hi[2]!) << 64n) | big(c.lo[0]!, c.hi[0]!), D = big(s, sh);
        if (signed) { N = BigInt.asIntN(128, N); D = BigInt.asIntN(64, D); }
        if (D === 0n) throw de();
        const q = N / D, r = N % D;
        if (signed ? BigInt.asIntN(64, q) !== q : q > 0xffffffffffffffffn) throw de();
        const qu = BigInt.asUintN(64, q), ru = BigInt.asUintN(64, r);
        c.lo[0] = Number(qu & 0xffffffffn) | 0; c.hi[0] = Number(qu >> 32n) | 0;
        c.lo[2] = Number(ru & 0xffffffffn) | 0; c.hi[2] = Number(ru >> 32n) | 0;
      }
    }
  };
}

export function registerMulDiv(): void {
  const grp = byReg([testEI, testEI, notE, negE, mul1(false), mul1(true), div1(false), div1(true)]);
  const immF = (d: { reg: number }) => ((d.reg & 7) < 2 ? -1 : IMM_NONE);
  def(0, 0xf6, { modrm: true, imm: (d) => (immF(d) < 0 ? IMM_B : IMM_NONE), byteOp: true, pick: true, h: grp });
  def(0, 0xf7, { modrm: true, imm: (d) => (immF(d) < 0 ? IMM_Z : IMM_NONE), pick: true, h: grp });
  allowLock(0, 0xf6, (r) => r === 2 || r === 3);
  allowLock(0, 0xf7, (r) => r === 2 || r === 3);
  def(1, 0xaf, { modrm: true, imm: IMM_NONE, h: imulGE });
  def(0, 0x69, { modrm: true, imm: IMM_Z, h: imulGEI });
  def(0, 0x6b, { modrm: true, imm: IMM_B, h: imulGEI });
}

export { ea, readRMa, getReg };
