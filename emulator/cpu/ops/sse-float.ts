/**
 * SSE/SSE2 floating point: moves, logic, arithmetic (IEEE round-to-nearest via JS doubles;
 * float32 results are computed in double and rounded once, which is exact for + - * / sqrt),
 * x86 NaN rules (first-operand NaN wins, quieted; invalid -> default NaN), MIN/MAX operand
 * order, compares, COMIS/UCOMIS, conversions honouring MXCSR.RC for float->int.
 */
import type { CpuState } from "../state.js";
import { XTMP2, F_CF, F_PF, F_ZF } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { setArith } from "../flags.js";
import { def, byPfx, IMM_NONE, IMM_B } from "../decode.js";
import { readRM, writeG } from "../operands.js";
import { xsrc, xstore, copySlot, isNaN64, isNaN32 } from "./ssehelp.js";
import { arithMode, intToFloat, toF32, fx, F64, F32, FX_IE, FX_DE, FX_PE } from "./softfp.js";
import { defaultFlags, denormal, isSNaN32, isSNaN64 } from "./sse-flags.js";

/** MXCSR bits that select the exact software path: RC (13-14), FTZ (15), DAZ (6). */
export const MXCSR_SLOW = 0xe040;
/** Apply MXCSR.DAZ to an input value (denormals read as signed zero). */
export function dz(c: CpuState, v: number, single: boolean): number {
  if ((c.mxcsr & 0x40) === 0 || v === 0) return v;
  return Math.abs(v) < (single ? 1.1754943508222875e-38 : 2.2250738585072014e-308) ? v * 0 : v;
}
/** a op b under the current MXCSR mode (op: 0 add, 1 mul, 2 sub, 4 div, 6 sqrt(b)). */
export function fpOp(c: CpuState, op: number, a: number, b: number, single: boolean): number {
  const m = c.mxcsr;
  if ((m & MXCSR_SLOW) === 0) {
    let r = arith(op, a, b);
    if (single) r = Math.fround(r);
    if ((m & 0x3f) !== 0x3f) c.mxcsr = m | defaultFlags(op, a, b, r, single, (m & FX_PE) !== 0);
    return r;
  }
  fx.f = 0;
  const r = arithMode(op, a, b, single ? F32 : F64, (m >> 13) & 3, (m & 0x8000) !== 0, (m & 0x40) !== 0);
  c.mxcsr |= fx.f;
  return r;
}
/** DE for an operand that is denormal while DAZ is off. */
function deFlag(c: CpuState, v: number, single: boolean): void {
  if ((c.mxcsr & 0x40) === 0 && denormal(v, single)) c.mxcsr |= FX_DE;
}

const f64 = new Float64Array(1), u64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

const ADD = 0, MUL = 1, SUB = 2, MIN = 3, DIV = 4, MAX = 5, SQRT = 6;

function arith(op: number, a: number, b: number): number {
  switch (op) {
    case ADD: return a + b;
    case MUL: return a * b;
    case SUB: return a - b;
    case DIV: return a / b;
    default: return Math.sqrt(b);
  }
}
/** One double lane: dst lane j of slot dr, source lane j of slot sr. */
function laneD(c: CpuState, op: number, dr: number, sr: number, j: number): void {
  const x = c.x32, di = dr * 4 + j * 2, si = sr * 4 + j * 2;
  const dh = x[di + 1]!, dl = x[di]!, sh = x[si + 1]!, sl = x[si]!;
  if (op === MIN || op === MAX) {
    const a = dz(c, c.xf64[dr * 2 + j]!, false), b = dz(c, c.xf64[sr * 2 + j]!, false);
    if (a !== a || b !== b) c.mxcsr |= FX_IE;
    else { deFlag(c, c.xf64[dr * 2 + j]!, false); deFlag(c, c.xf64[sr * 2 + j]!, false); }
    const takeA = op === MIN ? a < b : a > b; // false for NaNs and equal values -> source
    if (!takeA) { x[di] = sl; x[di + 1] = sh; if (b === 0 && (c.mxcsr & 0x40)) c.xf64[dr * 2 + j] = b; }
    else if (a === 0 && (c.mxcsr & 0x40)) c.xf64[dr * 2 + j] = a;
    return;
  }
  const sn = isNaN64(sh, sl);
  if (op === SQRT) {
    if (sn) { if (isSNaN64(sh, sl)) c.mxcsr |= FX_IE; x[di] = sl; x[di + 1] = sh | 0x80000; return; }
  } else {
    const dn = isNaN64(dh, dl);
    if (dn || sn) {
      if (isSNaN64(dh, dl) || isSNaN64(sh, sl)) c.mxcsr |= FX_IE;
      // both NaN: the first source (the destination) wins, quieted
      if (dn) x[di + 1] = dh | 0x80000; else { x[di] = sl; x[di + 1] = sh | 0x80000; }
      return;
    }
  }
  const r = fpOp(c, op, c.xf64[dr * 2 + j]!, c.xf64[sr * 2 + j]!, false);
  if (r !== r) { x[di] = 0; x[di + 1] = 0xfff80000 | 0; } else c.xf64[dr * 2 + j] = r;
}
function laneS(c: CpuState, op: number, dr: number, sr: number, j: number): void {
  const x = c.x32, di = dr * 4 + j, si = sr * 4 + j;
  const dv = x[di]!, sv = x[si]!;
  if (op === MIN || op === MAX) {
    const a = dz(c, c.xf32[di]!, true), b = dz(c, c.xf32[si]!, true);
    if (a !== a || b !== b) c.mxcsr |= FX_IE;
    else { deFlag(c, c.xf32[di]!, true); deFlag(c, c.xf32[si]!, true); }
    const takeA = op === MIN ? a < b : a > b;
    if (!takeA) { x[di] = sv; if (b === 0 && (c.mxcsr & 0x40)) c.xf32[di] = b; }
    else if (a === 0 && (c.mxcsr & 0x40)) c.xf32[di] = a;
    return;
  }
  const sn = isNaN32(sv);
  if (op === SQRT) {
    if (sn) { if (isSNaN32(sv)) c.mxcsr |= FX_IE; x[di] = sv | 0x400000; return; }
  } else {
    const dn = isNaN32(dv);
    if (dn || sn) {
      if (isSNaN32(dv) || isSNaN32(sv)) c.mxcsr |= FX_IE;
      x[di] = dn ? dv | 0x400000 : sv | 0x400000; // both NaN: the first source wins, quieted
      return;
    }
  }
  const r = fpOp(c, op, c.xf32[di]!, c.xf32[si]!, true);
  if (r !== r) x[di] = 0xffc00000 | 0; else c.xf32[di] = r;
}
/** kind: 0 ps, 1 pd, 2 ss, 3 sd */
function farith(op: number, kind: number): Handler {
  return (c, d) => {
    const s = xsrc(c, d, kind === 2 ? 4 : kind === 3 ? 8 : 16, true);
    switch (kind) {
      case 0: for (let j = 0; j < 4; j++) laneS(c, op, d.reg, s, j); break;
      case 1: laneD(c, op, d.reg, s, 0); laneD(c, op, d.reg, s, 1); break;
      case 2: laneS(c, op, d.reg, s, 0); break;
      default: laneD(c, op, d.reg, s, 0);
    }
  };
}
function arithRow(opc: number, op: number): void {
  def(1, opc, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([farith(op, 0), farith(op, 1), farith(op, 2), farith(op, 3)]) });
}
function logic(f: (a: number, b: number) => number): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), x = c.x32;
    for (let i = 0; i < 4; i++) x[d.reg * 4 + i] = f(x[d.reg * 4 + i]!, x[s * 4 + i]!);
  };
}

// ---- compares
function cmpPred(p: number, a: number, b: number): boolean {
  const un = a !== a || b !== b;
  switch (p & 7) {
    case 0: return a === b;
    case 1: return a < b;
    case 2: return a <= b;
    case 3: return un;
    case 4: return !(a === b);
    case 5: return !(a < b);
    case 6: return !(a <= b);
    default: return !un;
  }
}
/**
 * Compare flags: IE for an SNaN, or for any NaN under a signalling predicate (LT, LE, NLT, NLE,
 * or COMIS); DE for a denormal when no NaN is involved.
 */
function cmpFlags(c: CpuState, a: number, b: number, aSNaN: boolean, bSNaN: boolean, signalling: boolean, single: boolean): void {
  if (a !== a || b !== b) { if (aSNaN || bSNaN || signalling) c.mxcsr |= FX_IE; return; }
  deFlag(c, a, single); deFlag(c, b, single);
}
function fcmp(kind: number): Handler {
  return (c, d) => {
    const s = xsrc(c, d, kind === 2 ? 4 : kind === 3 ? 8 : 16, true), p = d.imm, sig = ((p & 3) === 1 || (p & 3) === 2), x = c.x32;
    if (kind === 0 || kind === 2) {
      for (let j = 0; j < (kind === 0 ? 4 : 1); j++) {
        const a = c.xf32[d.reg * 4 + j]!, b = c.xf32[s * 4 + j]!;
        cmpFlags(c, a, b, isSNaN32(x[d.reg * 4 + j]!), isSNaN32(x[s * 4 + j]!), sig, true);
        x[d.reg * 4 + j] = cmpPred(p, dz(c, a, true), dz(c, b, true)) ? -1 : 0;
      }
    } else {
      for (let j = 0; j < (kind === 1 ? 2 : 1); j++) {
        const a = c.xf64[d.reg * 2 + j]!, b = c.xf64[s * 2 + j]!;
        cmpFlags(c, a, b, isSNaN64(x[d.reg * 4 + j * 2 + 1]!, x[d.reg * 4 + j * 2]!), isSNaN64(x[s * 4 + j * 2 + 1]!, x[s * 4 + j * 2]!), sig, false);
        const r = cmpPred(p, dz(c, a, false), dz(c, b, false)) ? -1 : 0;
        x[d.reg * 4 + j * 2] = r; x[d.reg * 4 + j * 2 + 1] = r;
      }
    }
  };
}
function comis(dbl: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, dbl ? 8 : 4, false), x = c.x32;
    const a0 = dbl ? c.xf64[d.reg * 2]! : c.xf32[d.reg * 4]!, b0 = dbl ? c.xf64[s * 2]! : c.xf32[s * 4]!;
    cmpFlags(c, a0, b0, dbl ? isSNaN64(x[d.reg * 4 + 1]!, x[d.reg * 4]!) : isSNaN32(x[d.reg * 4]!), dbl ? isSNaN64(x[s * 4 + 1]!, x[s * 4]!) : isSNaN32(x[s * 4]!), d.op === 0x2f, !dbl);
    const a = dz(c, a0, !dbl), b = dz(c, b0, !dbl);
    let f: number;
    if (a !== a || b !== b) f = F_ZF | F_PF | F_CF;
    else if (a > b) f = 0;
    else if (a < b) f = F_CF;
    else f = F_ZF;
    setArith(c, f);
  };
}

// ---- conversions
/** Round per MXCSR.RC (or truncate). */
export function roundMode(x: number, rc: number): number {
  switch (rc) {
    case 0: {
      const r = Math.round(x);
      return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r;
    }
    case 1: return Math.floor(x);
    case 2: return Math.ceil(x);
    default: return Math.trunc(x);
  }
}
/** float -> int32/int64 with the x86 "integer indefinite" on NaN/overflow. Writes lo/hi. */
function toInt(c: CpuState, d: Insn, v: number, trunc: boolean): void {
  const w = d.rexW ? 8 : 4;
  const r = v !== v ? NaN : roundMode(v, trunc ? 3 : (c.mxcsr >> 13) & 3);
  if (!(w === 4 ? r >= -2147483648 && r <= 2147483647 : r >= -9223372036854775808 && r < 9223372036854775808)) c.mxcsr |= FX_IE;
  else if (r !== v) c.mxcsr |= FX_PE;
  if (w === 4) {
    if (!(r >= -2147483648 && r <= 2147483647)) writeG(c, d, 4, 0x80000000, 0);
    else writeG(c, d, 4, r >>> 0, 0);
  } else {
    if (!(r >= -9223372036854775808 && r < 9223372036854775808)) writeG(c, d, 8, 0, 0x80000000);
    else writeG(c, d, 8, r >>> 0, Math.floor(r / 4294967296) >>> 0);
  }
}
function cvt2si(dbl: boolean, trunc: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, dbl ? 8 : 4, false);
    toInt(c, d, dz(c, dbl ? c.xf64[s * 2]! : c.xf32[s * 4]!, !dbl), trunc);
  };
}
/** int64 (lo/hi) -> float32 with a single rounding. */
function i64ToF32(lo: number, hi: number): number {
  const v = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  const neg = v < 0n, m = neg ? -v : v;
  const bits = m.toString(2).length;
  if (bits <= 53) return Math.fround(Number(v));
  const k = BigInt(bits - 26);
  const red = (m >> k) | ((m & ((1n << k) - 1n)) !== 0n ? 1n : 0n);
  const f = Math.fround(Number(red) * 2 ** Number(k));
  return neg ? -f : f;
}

/** Integers of magnitude up to 2^24 convert to float32 exactly (its significand has 24 bits). */
const F32_EXACT_INT = 2 ** 24;
/** A 64-bit integer converts to float64 exactly when |x| < 2^53, i.e. its high word lies in ±2^21. */
const F64_EXACT_HI = 2 ** 21;

function cvtsi2(dbl: boolean): Handler {
  return (c, d) => {
    const w = d.rexW ? 8 : 4;
    const lo = readRM(c, d, w), hi = c.th;
    const rc = (c.mxcsr >> 13) & 3;
    const l = lo | 0, h = hi | 0;
    const exact = w === 4 ? dbl || (l >= -F32_EXACT_INT && l <= F32_EXACT_INT)
      : dbl ? h >= -F64_EXACT_HI && h < F64_EXACT_HI
        : (h === 0 && l >= 0 && l <= F32_EXACT_INT) || (h === -1 && l < 0 && l >= -F32_EXACT_INT);
    if (rc !== 0 || !exact) {
      // rounding may be needed: the exact path rounds once and reports PE
      fx.f = 0;
      const v = w === 8 ? BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) : BigInt(lo | 0);
      if (dbl) c.xf64[d.reg * 2] = intToFloat(v, F64, rc); else c.xf32[d.reg * 4] = intToFloat(v, F32, rc);
      c.mxcsr |= fx.f;
    } else if (dbl) c.xf64[d.reg * 2] = w === 8 ? (hi | 0) * 4294967296 + lo : lo | 0;
    else c.xf32[d.reg * 4] = w === 8 ? i64ToF32(lo, hi) : Math.fround(lo | 0);
  };
}
function f64ToF32Bits(c: CpuState, hi: number, lo: number, v: number): number {
  const mx = c.mxcsr;
  if (isNaN64(hi, lo)) { if (isSNaN64(hi, lo)) c.mxcsr |= FX_IE; return (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29); }
  if (mx & 0x40) { if (denormal(v, false)) v *= 0; } else if (denormal(v, false)) c.mxcsr |= FX_DE;
  const near = Math.fround(v);
  if ((mx & MXCSR_SLOW) === 0 && (near === v || ((mx & FX_PE) && isFinite(near) && Math.abs(near) > 1.1754943508222875e-38))) { f32[0] = near; if (near !== v) c.mxcsr |= FX_PE; }
  else { fx.f = 0; f32[0] = toF32(v, (mx >> 13) & 3, (mx & 0x8000) !== 0); c.mxcsr |= fx.f; }
  return u32[0]! | 0;
}
function f32ToF64(c: CpuState, bits: number): [number, number] {
  if (isSNaN32(bits)) c.mxcsr |= FX_IE;
  else if ((bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0 && (c.mxcsr & 0x40) === 0) c.mxcsr |= FX_DE;
  if (isNaN32(bits)) return [(bits << 29) | 0, (bits & 0x80000000) | 0x7ff80000 | ((bits & 0x3fffff) >>> 3)];
  if ((c.mxcsr & 0x40) && (bits & 0x7f800000) === 0) return [0, bits & 0x80000000];
  u32[0] = bits; f64[0] = f32[0]!;
  return [u64[0]! | 0, u64[1]! | 0];
}
const cvtsd2ss: Handler = (c, d) => {
  const s = xsrc(c, d, 8, false);
  c.x32[d.reg * 4] = f64ToF32Bits(c, c.x32[s * 4 + 1]!, c.x32[s * 4]!, c.xf64[s * 2]!);
};
const cvtss2sd: Handler = (c, d) => {
  const s = xsrc(c, d, 4, false);
  const [l, h] = f32ToF64(c, c.x32[s * 4]!);
  c.x32[d.reg * 4] = l; c.x32[d.reg * 4 + 1] = h;
};
const cvtps2pd: Handler = (c, d) => {
  const s = xsrc(c, d, 8, false);
  const a = c.x32[s * 4]!, b = c.x32[s * 4 + 1]!;
  const [l0, h0] = f32ToF64(c, a), [l1, h1] = f32ToF64(c, b);
  const x = c.x32, r = d.reg * 4;
  x[r] = l0; x[r + 1] = h0; x[r + 2] = l1; x[r + 3] = h1;
};
const cvtpd2ps: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), x = c.x32;
  const a = f64ToF32Bits(c, x[s * 4 + 1]!, x[s * 4]!, c.xf64[s * 2]!), b = f64ToF32Bits(c, x[s * 4 + 3]!, x[s * 4 + 2]!, c.xf64[s * 2 + 1]!);
  const r = d.reg * 4;
  x[r] = a; x[r + 1] = b; x[r + 2] = 0; x[r + 3] = 0;
};
function i32(c: CpuState, v: number, trunc: boolean, rc: number): number {
  const r = v !== v ? NaN : roundMode(v, trunc ? 3 : rc);
  if (r >= -2147483648 && r <= 2147483647) { if (r !== v) c.mxcsr |= FX_PE; return r | 0; }
  c.mxcsr |= FX_IE;
  return 0x80000000 | 0;
}
const cvtdq2ps: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), rc = (c.mxcsr >> 13) & 3;
  for (let j = 0; j < 4; j++) {
    const v = c.x32[s * 4 + j]!, r = rc ? intToFloat(BigInt(v), F32, rc) : Math.fround(v);
    if (r !== v) c.mxcsr |= FX_PE;
    c.xf32[d.reg * 4 + j] = r;
  }
};
function cvtps2dq(trunc: boolean): Handler {
  return (c, d) => { const s = xsrc(c, d, 16, true); for (let j = 0; j < 4; j++) c.x32[d.reg * 4 + j] = i32(c, dz(c, c.xf32[s * 4 + j]!, true), trunc, (c.mxcsr >> 13) & 3); };
}
const cvtdq2pd: Handler = (c, d) => {
  const s = xsrc(c, d, 8, false); const a = c.x32[s * 4]!, b = c.x32[s * 4 + 1]!;
  c.xf64[d.reg * 2] = a; c.xf64[d.reg * 2 + 1] = b;
};
function cvtpd2dq(trunc: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), rc = (c.mxcsr >> 13) & 3;
    const a = i32(c, dz(c, c.xf64[s * 2]!, false), trunc, rc), b = i32(c, dz(c, c.xf64[s * 2 + 1]!, false), trunc, rc);
    const x = c.x32, r = d.reg * 4; x[r] = a; x[r + 1] = b; x[r + 2] = 0; x[r + 3] = 0;
  };
}

// ---- moves and shuffles
function movups(align: boolean): Handler { return (c, d) => { const s = xsrc(c, d, 16, align); copySlot(c, d.reg, s); }; }
function movupsSt(align: boolean): Handler { return (c, d) => xstore(c, d, d.reg, 16, align); }
function movScalar(bytes: number): Handler {
  return (c, d) => {
    const x = c.x32, r = d.reg * 4;
    if (d.mod === 3) { for (let i = 0; i < bytes >> 2; i++) x[r + i] = x[d.rm * 4 + i]!; return; }
    const s = xsrc(c, d, bytes, false);
    copySlot(c, d.reg, s);
  };
}
function movScalarSt(bytes: number): Handler { return (c, d) => xstore(c, d, d.reg, bytes, false); }
function movHalf(high: boolean, store: boolean): Handler {
  return (c, d) => {
    const x = c.x32, r = d.reg * 4, o = high ? 2 : 0;
    if (store) { copySlot(c, XTMP2, d.reg); if (high) { x[XTMP2 * 4] = x[r + 2]!; x[XTMP2 * 4 + 1] = x[r + 3]!; } xstore(c, d, XTMP2, 8, false); return; }
    if (d.mod === 3) { // MOVHLPS / MOVLHPS
      const s = d.rm * 4;
      if (high) { x[r + 2] = x[s]!; x[r + 3] = x[s + 1]!; } else { x[r] = x[s + 2]!; x[r + 1] = x[s + 3]!; }
      return;
    }
    const s = xsrc(c, d, 8, false);
    x[r + o] = x[s * 4]!; x[r + o + 1] = x[s * 4 + 1]!;
  };
}
function unpckps(high: boolean, dbl: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, t = XTMP2 * 4;
    if (dbl) { const o = high ? 2 : 0; x[t] = x[r + o]!; x[t + 1] = x[r + o + 1]!; x[t + 2] = x[s * 4 + o]!; x[t + 3] = x[s * 4 + o + 1]!; }
    else { const o = high ? 2 : 0; x[t] = x[r + o]!; x[t + 1] = x[s * 4 + o]!; x[t + 2] = x[r + o + 1]!; x[t + 3] = x[s * 4 + o + 1]!; }
    copySlot(c, d.reg, XTMP2);
  };
}
function shufp(dbl: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, t = XTMP2 * 4, i = d.imm;
    if (dbl) {
      const a = (i & 1) * 2, b = ((i >> 1) & 1) * 2;
      x[t] = x[r + a]!; x[t + 1] = x[r + a + 1]!; x[t + 2] = x[s * 4 + b]!; x[t + 3] = x[s * 4 + b + 1]!;
    } else {
      x[t] = x[r + (i & 3)]!; x[t + 1] = x[r + ((i >> 2) & 3)]!; x[t + 2] = x[s * 4 + ((i >> 4) & 3)]!; x[t + 3] = x[s * 4 + ((i >> 6) & 3)]!;
    }
    copySlot(c, d.reg, XTMP2);
  };
}
function movmsk(dbl: boolean): Handler {
  return (c, d) => {
    const x = c.x32, s = d.rm * 4;
    const m = dbl ? ((x[s + 1]! >>> 31) | ((x[s + 3]! >>> 31) << 1)) : ((x[s]! >>> 31) | ((x[s + 1]! >>> 31) << 1) | ((x[s + 2]! >>> 31) << 2) | ((x[s + 3]! >>> 31) << 3));
    writeG(c, d, 4, m, 0);
  };
}

/** MOVDDUP / MOVSLDUP / MOVSHDUP (SSE3, registered with their 0F 12/16 neighbours here). */
function dup(kind: number): Handler { // 0 movddup, 1 movsldup, 2 movshdup
  return (c, d) => {
    const s = xsrc(c, d, kind === 0 ? 8 : 16, kind !== 0), x = c.x32, r = d.reg * 4, b = s * 4;
    const v = kind === 0 ? [x[b]!, x[b + 1]!, x[b]!, x[b + 1]!] : kind === 1 ? [x[b]!, x[b]!, x[b + 2]!, x[b + 2]!] : [x[b + 1]!, x[b + 1]!, x[b + 3]!, x[b + 3]!];
    for (let i = 0; i < 4; i++) x[r + i] = v[i]!;
  };
}

export function registerSseFloat(): void {
  arithRow(0x58, ADD); arithRow(0x59, MUL); arithRow(0x5c, SUB); arithRow(0x5d, MIN); arithRow(0x5e, DIV); arithRow(0x5f, MAX); arithRow(0x51, SQRT);
  const P = (op: number, hs: (Handler | undefined)[], imm = IMM_NONE, regOnly = false, memOnly = false) =>
    def(1, op, { modrm: true, imm, pick: true, h: (d: Insn) => (regOnly && d.mod !== 3) || (memOnly && d.mod === 3) ? undefined : byPfx(hs)(d) });
  P(0x54, [logic((a, b) => a & b), logic((a, b) => a & b)]);
  P(0x55, [logic((a, b) => ~a & b), logic((a, b) => ~a & b)]);
  P(0x56, [logic((a, b) => a | b), logic((a, b) => a | b)]);
  P(0x57, [logic((a, b) => a ^ b), logic((a, b) => a ^ b)]);
  P(0xc2, [fcmp(0), fcmp(1), fcmp(2), fcmp(3)], IMM_B);
  P(0x2e, [comis(false), comis(true)]);
  P(0x2f, [comis(false), comis(true)]);
  P(0x2a, [undefined, undefined, cvtsi2(false), cvtsi2(true)]);
  P(0x2c, [undefined, undefined, cvt2si(false, true), cvt2si(true, true)]);
  P(0x2d, [undefined, undefined, cvt2si(false, false), cvt2si(true, false)]);
  P(0x5a, [cvtps2pd, cvtpd2ps, cvtss2sd, cvtsd2ss]);
  P(0x5b, [cvtdq2ps, cvtps2dq(false), cvtps2dq(true), undefined]);
  P(0xe6, [undefined, cvtpd2dq(true), cvtdq2pd, cvtpd2dq(false)]);
  P(0x10, [movups(false), movups(false), movScalar(4), movScalar(8)]);
  P(0x11, [movupsSt(false), movupsSt(false), movScalarSt(4), movScalarSt(8)]);
  P(0x28, [movups(true), movups(true)]);
  P(0x29, [movupsSt(true), movupsSt(true)]);
  P(0x2b, [movupsSt(true), movupsSt(true)], IMM_NONE, false, true);
  P(0x12, [movHalf(false, false), movHalf(false, false), dup(1), dup(0)]);
  P(0x13, [movHalf(false, true), movHalf(false, true)], IMM_NONE, false, true);
  P(0x16, [movHalf(true, false), movHalf(true, false), dup(2), undefined]);
  P(0x17, [movHalf(true, true), movHalf(true, true)], IMM_NONE, false, true);
  P(0x14, [unpckps(false, false), unpckps(false, true)]);
  P(0x15, [unpckps(true, false), unpckps(true, true)]);
  P(0xc6, [shufp(false), shufp(true)], IMM_B);
  P(0x50, [movmsk(false), movmsk(true)], IMM_NONE, true);
}
