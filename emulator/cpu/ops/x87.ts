/**
 * x87 FPU with exact 80-bit extended arithmetic. Registers hold raw 80-bit values; every
 * operation decodes them to sign * m * 2^e (m a bigint), computes exactly, and rounds once
 * under FCW.PC (24/53/64-bit precision; only + - * / sqrt obey PC) and FCW.RC.
 * Covers loads/stores (m32/m64/m80, integer m16/m32/m64, FISTTP, BCD), + - * / sqrt,
 * compares, FXAM, FCHS, FABS, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, the transcendentals
 * (F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS; correctly rounded from the
 * high-precision arithmetic in x87-math.ts), FCMOVcc, FXCH, constants, FINCSTP/FDECSTP, FFREE(P),
 * and the environment (FNINIT, FNCLEX, FLDCW/FNSTCW, FNSTSW, FNSTENV/FLDENV, FNSAVE/FRSTOR).
 * The status word carries C0-C3, the exception flags IE/DE/ZE/OE/UE/PE and stack faults (SF).
 * An unmasked exception sets ES and B and is delivered as #MF by the next waiting x87 instruction
 * (every one but FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE) or FWAIT; FLDCW and FLDENV/FRSTOR
 * recompute ES and B from the flags and masks (the host agrees: see x87-pending.test.ts).
 */
import type { CpuState } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { F_CF, F_PF, F_ZF } from "../state.js";
import { setArith, cond } from "../flags.js";
import { def, IMM_NONE } from "../decode.js";
import { ea } from "../operands.js";
import { roundTo, fx, F64, F32, FX_IE, FX_DE, FX_ZE, FX_OE, FX_UE, FX_PE } from "./softfp.js";
import * as B from "./x87-math.js";
import { GuestFault } from "../fault.js";

/** A decoded extended value: kind 0 finite (m may be 0), 1 infinity, 2 NaN (raw kept), 3 unsupported encoding. */
interface X { neg: boolean; m: bigint; e: number; kind: number; raw?: Uint8Array; den?: boolean }

const BIAS = 16383, EMIN = 1 - BIAS;
const SF = 0x40, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
const Q_BIT = 1n << 62n;
function bitLen(v: bigint): number { return v === 0n ? 0 : v.toString(2).length; }
const ZERO: X = { neg: false, m: 0n, e: 0, kind: 0 };
const ONE: X = { neg: false, m: 1n, e: 0, kind: 0 };
const DEFAULT_NAN: X = { neg: true, m: 0xc000000000000000n, e: 0, kind: 2 };
const inf = (neg: boolean): X => ({ neg, m: 0n, e: 0, kind: 1 });
const zero = (neg: boolean): X => ({ neg, m: 0n, e: 0, kind: 0 });

function decode80(b: Uint8Array, o: number): X {
  let m = 0n;
  for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(b[o + i]!);
  const se = b[o + 8]! | (b[o + 9]! << 8);
  const neg = (se & 0x8000) !== 0, be = se & 0x7fff, j = (m >> 63n) === 1n;
  if (be === 0x7fff) {
    if (!j) return { neg, m, e: 0, kind: 3 }; // pseudo-infinity / pseudo-NaN
    if ((m & 0x7fffffffffffffffn) === 0n) return inf(neg);
    return { neg, m, e: 0, kind: 2, raw: b.slice(o, o + 10) };
  }
  if (be !== 0 && !j) return { neg, m, e: 0, kind: 3 }; // unnormal
  return { neg, m, e: (be === 0 ? 1 : be) - BIAS - 63, kind: 0, den: be === 0 && m !== 0n };
}
function encode80(x: X, b: Uint8Array, o: number): void {
  if (x.kind === 2 || x.kind === 3) {
    if (x.kind === 2 && x.raw) { b.set(x.raw, o); b[o + 7] = b[o + 7]! | 0x40; b[o + 9] = (b[o + 9]! & 0x7f) | (x.neg ? 0x80 : 0); return; } // quiet it, sign from x
    let m = x.kind === 2 ? x.m | Q_BIT | (1n << 63n) : DEFAULT_NAN.m;
    const n = x.kind === 2 ? x.neg : true;
    for (let i = 0; i < 8; i++) { b[o + i] = Number(m & 255n); m >>= 8n; }
    b[o + 8] = 0xff; b[o + 9] = n ? 0xff : 0x7f; return;
  }
  let m = 0n, be = 0;
  if (x.kind === 1) { m = 0x8000000000000000n; be = 0x7fff; }
  else if (x.m !== 0n) {
    // x is already rounded: normalise to 64 bits if the exponent allows
    let mm = x.m, e = x.e;
    const len = bitLen(mm);
    if (len > 64) { mm >>= BigInt(len - 64); e += len - 64; } // exact by construction
    else if (len < 64) { const sh = Math.min(64 - len, e - (EMIN - 63)); if (sh > 0) { mm <<= BigInt(sh); e -= sh; } }
    if (mm >> 63n) be = e + 63 + BIAS; else be = 0;
    m = mm;
  }
  for (let i = 0; i < 8; i++) { b[o + i] = Number(m & 255n); m >>= 8n; }
  const se = (x.neg ? 0x8000 : 0) | be;
  b[o + 8] = se & 255; b[o + 9] = se >> 8;
}

// ---- status word ---------------------------------------------------------------------------
/** Record exception flags; an unmasked one also sets ES and B (the next waiting instruction raises #MF). ES is
 * always "some flag is set whose mask is clear": every change of flags or masks recomputes it. */
function raise(c: CpuState, f: number): void {
  c.fsw |= f;
  summarize(c);
}
/** FSW.ES (exception summary) and FSW.B (busy, its copy). */
const ES_B = 0x8080;
/** After a new control or status word: ES and B say whether an unmasked exception flag is set. */
function summarize(c: CpuState): void { c.fsw = c.fsw & 0x3f & ~c.fcw ? c.fsw | ES_B : c.fsw & ~ES_B; }
/** A waiting instruction delivers a pending unmasked exception before it runs. */
function waitPending(c: CpuState): void { if (c.fsw & 0x80) throw new GuestFault({ type: "#MF" }); }
/** FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE (and the 287 no-ops FNENI, FNDISI, FNSETPM) never wait. */
function waits(d: Insn): boolean {
  const op = d.op, r = d.reg & 7;
  if (d.mod !== 3) return !((op === 0xd9 || op === 0xdd) && r >= 6);
  return !((op === 0xdb && r === 4) || (op === 0xdf && r === 4 && (d.rm & 7) === 0));
}
function setC1(c: CpuState, on: boolean): void { c.fsw = on ? c.fsw | C1 : c.fsw & ~C1; }
function isSNaN(x: X): boolean { return x.kind === 2 && (x.m & Q_BIT) === 0n; }
/** Operand checks shared by arithmetic: unsupported or SNaN -> IE; denormal -> DE. */
function checkOperand(c: CpuState, x: X): void {
  if (x.kind === 3 || isSNaN(x)) raise(c, FX_IE);
  else if (x.den) raise(c, FX_DE);
}

/**
 * Round sign * (M * 2^E (+ sticky)) to p bits (default FCW.PC) under FCW.RC, raising PE, UE
 * (tiny after rounding and inexact), OE, and setting C1 when the magnitude was rounded up.
 */
function roundX(c: CpuState, neg: boolean, M: bigint, E: number, sticky: boolean, pIn?: number): X {
  setC1(c, false);
  if (M === 0n && !sticky) return zero(neg);
  const pc = (c.fcw >> 8) & 3, rc = (c.fcw >> 10) & 3;
  const p = pIn ?? (pc === 0 ? 24 : pc === 2 ? 53 : 64);
  let lead = E + bitLen(M) - 1;
  const up = (q: bigint, rem: boolean, half: boolean, above: boolean) =>
    (rc === 0 && (above || (half && (q & 1n) === 1n))) || (rc === 1 && neg && rem) || (rc === 2 && !neg && rem);
  const cut = (lsb: number): [bigint, boolean, boolean] => {
    const sh = lsb - E;
    if (sh <= 0) return [M << BigInt(-sh), sticky, false];
    const S = BigInt(sh), r = M & ((1n << S) - 1n), h = 1n << (S - 1n);
    const q = M >> S, rem = r !== 0n || sticky, above = r > h || (r === h && sticky), half = r === h && !sticky;
    return [up(q, rem, half, above) ? q + 1n : q, rem, true];
  };
  // tininess after rounding: round to p bits with an unbounded exponent
  let tiny = lead < EMIN;
  if (lead === EMIN - 1) { const [q] = cut(lead - p + 1); tiny = bitLen(q) <= p; }
  let lsb = Math.max(lead - p + 1, EMIN - 63);
  let [q, rem] = cut(lsb);
  const sh = lsb - E;
  let rounded = false;
  if (sh > 0) { const t = M >> BigInt(sh); rounded = q !== t; }
  else rounded = sticky && q !== (M << BigInt(-sh));
  if (rem) raise(c, tiny ? FX_PE | FX_UE : FX_PE);
  else if (tiny && q !== 0n && !(c.fcw & FX_UE)) raise(c, FX_UE); // unmasked, underflow is tininess alone (then #MF)
  setC1(c, rounded);
  if (bitLen(q) > p) { q >>= 1n; lsb += 1; }
  lead = lsb + bitLen(q) - 1;
  if (q !== 0n && lead > BIAS) {
    raise(c, FX_OE | FX_PE);
    const toInf = rc === 0 || (rc === 1 && neg) || (rc === 2 && !neg);
    setC1(c, toInf);
    if (toInf) return inf(neg);
    return { neg, m: ((1n << BigInt(p)) - 1n) << BigInt(64 - p), e: BIAS - 63, kind: 0 };
  }
  return { neg, m: q, e: lsb, kind: 0 };
}
/** 128-bit constants (value = m * 2^e): log2(10), log2(e), pi, log10(2), ln(2). */
const CONSTS: [bigint, number][] = [
  [0xd49a784bcd1b8afe492bf6ff4dafdb4dn, 1 - 127], [0xb8aa3b295c17f0bbbe87fed0691d3e89n, 0 - 127],
  [0xc90fdaa22168c234c4c6628b80dc1cd1n, 1 - 127], [0x9a209a84fbcff7988f8959ac0b7c9178n, -2 - 127],
  [0xb17217f7d1cf79abc9e3b39803f2f6afn, -1 - 127],
];

// ---- stack ----------------------------------------------------------------------------------
function isEmpty(c: CpuState, i: number): boolean { return ((c.ftag >> (((c.ftop + i) & 7) * 2)) & 3) === 3; }
/** Reading an empty register is a masked stack underflow: the value is the QNaN indefinite. */
function getSt(c: CpuState, i: number): X {
  const p = (c.ftop + i) & 7;
  if (((c.ftag >> (p * 2)) & 3) === 3) { raise(c, FX_IE | SF); setC1(c, false); return DEFAULT_NAN; }
  return decode80(c.st, p * 10);
}
function setSt(c: CpuState, i: number, x: X): void { encode80(x, c.st, ((c.ftop + i) & 7) * 10); c.ftag &= ~(3 << (((c.ftop + i) & 7) * 2)); }
/** Pushing onto a non-empty register is a masked stack overflow: the indefinite is loaded. */
function push(c: CpuState, x: X): void {
  c.ftop = (c.ftop - 1) & 7;
  if (((c.ftag >> (c.ftop * 2)) & 3) !== 3) { raise(c, FX_IE | SF); setC1(c, true); x = DEFAULT_NAN; }
  setSt(c, 0, x);
}
/** Raw register bytes (moves keep any encoding, including pseudo-denormals and unnormals). */
const INDEFINITE = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
function getRaw(c: CpuState, i: number): Uint8Array {
  const p = (c.ftop + i) & 7;
  if (((c.ftag >> (p * 2)) & 3) === 3) { raise(c, FX_IE | SF); setC1(c, false); return INDEFINITE; }
  return c.st.slice(p * 10, p * 10 + 10);
}
function setRaw(c: CpuState, i: number, b: Uint8Array): void { const p = (c.ftop + i) & 7; c.st.set(b, p * 10); c.ftag &= ~(3 << (p * 2)); }
function pushRaw(c: CpuState, b: Uint8Array): void {
  c.ftop = (c.ftop - 1) & 7;
  if (((c.ftag >> (c.ftop * 2)) & 3) !== 3) { raise(c, FX_IE | SF); setC1(c, true); b = INDEFINITE; }
  setRaw(c, 0, b);
}
function pop(c: CpuState): void { c.ftag |= 3 << (c.ftop * 2); c.ftop = (c.ftop + 1) & 7; }

// ---- conversions ----------------------------------------------------------------------------
const cvt = new DataView(new ArrayBuffer(8));
/** A float/double memory operand: SNaN -> IE (quieted on use), denormal -> DE. */
function fromDouble(c: CpuState, v: number, bits: number, single: boolean): X {
  if (single) {
    const neg = bits >>> 31 === 1, be = (bits >>> 23) & 0xff, fr = BigInt(bits & 0x7fffff);
    if (be === 0xff) {
      if (fr === 0n) return inf(neg);
      if (!(bits & 0x400000)) raise(c, FX_IE);
      const m = 0xc000000000000000n | (fr << 40n);
      return { neg, m, e: 0, kind: 2, raw: nanRaw(neg, m) };
    }
    if (be === 0 && fr !== 0n) raise(c, FX_DE);
    return be === 0 ? { neg, m: fr, e: -149, kind: 0 } : { neg, m: fr | 0x800000n, e: be - 150, kind: 0 };
  }
  cvt.setFloat64(0, v, true);
  const hi = cvt.getUint32(4, true), lo = cvt.getUint32(0, true);
  const neg = hi >>> 31 === 1, be = (hi >>> 20) & 0x7ff, fr = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (be === 0x7ff) {
    if (fr === 0n) return inf(neg);
    if (!(hi & 0x80000)) raise(c, FX_IE);
    const m = (1n << 63n) | Q_BIT | (fr << 11n);
    return { neg, m, e: 0, kind: 2, raw: nanRaw(neg, m) };
  }
  if (be === 0 && fr !== 0n) raise(c, FX_DE);
  return be === 0 ? { neg, m: fr, e: -1074, kind: 0 } : { neg, m: fr | (1n << 52n), e: be - 1075, kind: 0 };
}
function nanRaw(neg: boolean, m: bigint): Uint8Array {
  const r = new Uint8Array(10);
  for (let i = 0; i < 8; i++) { r[i] = Number(m & 255n); m >>= 8n; }
  r[8] = 0xff; r[9] = neg ? 0xff : 0x7f;
  return r;
}
/** FST m32/m64: rounded by FCW.RC; SNaN -> IE; OE/UE/PE and C1 from the rounding. */
function writeFloat(c: CpuState, a: number, x: X, single: boolean): void {
  setC1(c, false);
  if (x.kind === 2 || x.kind === 3) {
    // NaN: keep the top payload bits, quieted
    if (x.kind === 3 || isSNaN(x)) raise(c, FX_IE);
    const m = x.kind === 2 ? x.m : DEFAULT_NAN.m, n = x.kind === 2 ? x.neg : true;
    if (single) c.mem.w32(a, ((n ? 0x80000000 : 0) | 0x7fc00000 | Number((m >> 40n) & 0x3fffffn)) | 0);
    else { const fr = (m >> 11n) & 0xfffffffffffffn; c.mem.w64(a, Number(fr & 0xffffffffn) | 0, ((n ? 0x80000000 : 0) | 0x7ff80000 | Number(fr >> 32n)) | 0); }
    return;
  }
  let v: number;
  if (x.kind === 1) v = x.neg ? -Infinity : Infinity;
  else {
    fx.f = 0;
    v = roundTo(x.neg, x.m, x.e, false, (c.fcw >> 10) & 3, single ? F32 : F64, false);
    if (fx.f) raise(c, fx.f & (FX_OE | FX_UE | FX_PE));
    setC1(c, fx.up);
  }
  if (single) { cvt.setFloat32(0, v, true); c.mem.w32(a, cvt.getInt32(0, true)); }
  else { cvt.setFloat64(0, v, true); c.mem.w64(a, cvt.getInt32(0, true), cvt.getInt32(4, true)); }
}

/** Integer loads are exact (FCW.PC does not apply). */
function fromInt(v: bigint): X {
  if (v === 0n) return ZERO;
  return { neg: v < 0n, m: v < 0n ? -v : v, e: 0, kind: 0 };
}
/** Round a finite value to an integer (bigint) under rc: [value, inexact, magnitude rounded up]. */
function toIntBig(x: X, rc: number): [bigint, boolean, boolean] {
  if (x.m === 0n) return [0n, false, false];
  let q: bigint, inexact = false, upd = false;
  if (x.e >= 0) q = x.m << BigInt(x.e);
  else {
    const S = BigInt(-x.e);
    q = x.m >> S;
    const r = x.m & ((1n << S) - 1n), h = 1n << (S - 1n);
    inexact = r !== 0n;
    if (inexact && ((rc === 0 && (r > h || (r === h && (q & 1n) === 1n))) || (rc === 1 && x.neg) || (rc === 2 && !x.neg))) { q += 1n; upd = true; }
  }
  return [x.neg ? -q : q, inexact, upd];
}
/** FIST/FISTP/FISTTP: NaN, infinity or out of range -> IE and the integer indefinite. */
function storeInt(c: CpuState, a: number, x: X, bits: number, trunc: boolean): void {
  setC1(c, false);
  const lim = 1n << BigInt(bits - 1);
  let r = -lim;
  if (x.kind !== 0) raise(c, FX_IE);
  else {
    const [v, inexact, upd] = toIntBig(x, trunc ? 3 : (c.fcw >> 10) & 3);
    if (v < -lim || v >= lim) raise(c, FX_IE);
    else { r = v; if (inexact) { raise(c, FX_PE); setC1(c, upd); } }
  }
  const u = BigInt.asUintN(64, r);
  if (bits === 16) c.mem.w16(a, Number(u & 0xffffn));
  else if (bits === 32) c.mem.w32(a, Number(u & 0xffffffffn) | 0);
  else c.mem.w64(a, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}

// ---- arithmetic -----------------------------------------------------------------------------
/** NaN operands of a two-operand instruction: IE for SNaN/unsupported, and the NaN result (x87 rule). */
function nanResult(c: CpuState, a: X, b: X): X | null {
  const an = a.kind >= 2, bn = b.kind >= 2;
  if (!an && !bn) return null;
  if (a.kind === 3 || b.kind === 3) { raise(c, FX_IE); return DEFAULT_NAN; }
  if (isSNaN(a) || isSNaN(b)) raise(c, FX_IE);
  if (an && bn) {
    // a QNaN beats an SNaN, otherwise the larger significand wins
    const aq = (a.m & Q_BIT) !== 0n, bq = (b.m & Q_BIT) !== 0n;
    if (aq !== bq) return aq ? a : b;
    const ma = a.m & 0x7fffffffffffffffn, mb = b.m & 0x7fffffffffffffffn;
    return ma > mb ? a : mb > ma ? b : a.neg ? b : a;
  }
  return an ? a : b;
}
/** FSW at the start of the current instruction. */
let swStart = 0;
/** An invalid operation: IE and the indefinite; a denormal operand of this instruction is not reported. */
function invalid(c: CpuState): X { c.fsw = (c.fsw & ~FX_DE) | (swStart & FX_DE); raise(c, FX_IE); return DEFAULT_NAN; }
/** Division by zero: ZE; like invalid, it hides this instruction's denormal operand. */
function zeroDivide(c: CpuState): void { c.fsw = (c.fsw & ~FX_DE) | (swStart & FX_DE); raise(c, FX_ZE); }
/** Exact arithmetic. op: 0 add, 1 mul, 4 a-b, 5 b-a, 6 a/b, 7 b/a (x87 /reg encoding). */
function arith(c: CpuState, op: number, a: X, b: X): X {
  setC1(c, false);
  if (op === 5) { [a, b] = [b, a]; op = 4; } else if (op === 7) { [a, b] = [b, a]; op = 6; }
  const n = nanResult(c, a, b);
  if (n) return n;
  if (a.den || b.den) raise(c, FX_DE);
  const rc = (c.fcw >> 10) & 3;
  if (op === 4) { b = { ...b, neg: !b.neg }; op = 0; }
  if (a.kind === 1 || b.kind === 1) {
    switch (op) {
      case 0: if (a.kind === 1 && b.kind === 1) return a.neg === b.neg ? a : invalid(c); return a.kind === 1 ? a : b;
      case 1: if ((a.kind === 0 && a.m === 0n) || (b.kind === 0 && b.m === 0n)) return invalid(c); return inf(a.neg !== b.neg);
      default: if (a.kind === 1 && b.kind === 1) return invalid(c); return a.kind === 1 ? inf(a.neg !== b.neg) : zero(a.neg !== b.neg);
    }
  }
  switch (op) {
    case 0: {
      if (a.m === 0n && b.m === 0n) return zero(a.neg && b.neg ? true : !a.neg && !b.neg ? false : rc === 1);
      const e = Math.min(a.e, b.e);
      const A = (a.m << BigInt(a.e - e)) * (a.neg ? -1n : 1n), B2 = (b.m << BigInt(b.e - e)) * (b.neg ? -1n : 1n);
      const s = A + B2;
      if (s === 0n) return zero(rc === 1);
      return roundX(c, s < 0n, s < 0n ? -s : s, e, false);
    }
    case 1: return roundX(c, a.neg !== b.neg, a.m * b.m, a.e + b.e, false);
    default: {
      const neg = a.neg !== b.neg;
      if (b.m === 0n) { if (a.m === 0n) return invalid(c); zeroDivide(c); return inf(neg); }
      if (a.m === 0n) return zero(neg);
      const K = 200, num = a.m << BigInt(K);
      return roundX(c, neg, num / b.m, a.e - b.e - K, num % b.m !== 0n);
    }
  }
}
function sqrtX(c: CpuState, a: X): X {
  setC1(c, false);
  if (a.kind >= 2) return nanResult(c, a, a)!;
  if (a.kind === 0 && a.m === 0n) return a;
  if (a.neg) return invalid(c);
  if (a.kind === 1) return a;
  if (a.den) raise(c, FX_DE);
  let m = a.m, e = a.e;
  if (e % 2 !== 0) { m <<= 1n; e -= 1; }
  const K = 200, n = m << BigInt(K);
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) { const y = (x + n / x) >> 1n; if (y >= x) break; x = y; }
  while (x * x > n) x -= 1n;
  return roundX(c, false, x, (e - K) / 2, x * x !== n);
}
/** -1, 0, 1, or 2 for unordered. */
function cmpX(a: X, b: X): number {
  if (a.kind >= 2 || b.kind >= 2) return 2;
  const val = (x: X): number => (x.kind === 1 ? (x.neg ? -2 : 2) : (x.m === 0n ? 0 : x.neg ? -1 : 1));
  const sa = val(a), sb = val(b);
  if (sa !== sb || Math.abs(sa) === 2 || sa === 0) return Math.sign(sa - sb);
  const e = Math.min(a.e, b.e);
  const A = a.m << BigInt(a.e - e), B2 = b.m << BigInt(b.e - e);
  const r = A === B2 ? 0 : A > B2 ? 1 : -1;
  return sa < 0 ? -r : r;
}
/** Compare with flags: FCOM-class (quiet=false) signals IE on any NaN, FUCOM-class only on SNaN. */
function compareX(c: CpuState, a: X, b: X, quiet: boolean, eflags: boolean): void {
  setC1(c, false);
  const r = cmpX(a, b);
  if (r === 2) { if (!quiet || a.kind === 3 || b.kind === 3 || isSNaN(a) || isSNaN(b)) raise(c, FX_IE); }
  else if (a.den || b.den) raise(c, FX_DE);
  const cz = r === 2 ? 7 : r < 0 ? 1 : r === 0 ? 4 : 0;
  if (eflags) setArith(c, (cz & 1 ? F_CF : 0) | (r === 2 ? F_PF : 0) | (cz & 4 ? F_ZF : 0));
  else c.fsw = (c.fsw & ~(C0 | C2 | C3)) | (cz & 1 ? C0 : 0) | (r === 2 ? C2 : 0) | (cz & 4 ? C3 : 0);
}
function fsw(c: CpuState): number { return (c.fsw & ~0x3800) | ((c.ftop & 7) << 11); }

function memOperand(c: CpuState, a: number, kind: number): X {
  const m = c.mem;
  switch (kind) {
    case 0: { const bits = m.r32(a); cvt.setInt32(0, bits, true); return fromDouble(c, cvt.getFloat32(0, true), bits >>> 0, true); }
    case 1: { cvt.setInt32(0, m.r32(a), true); cvt.setInt32(4, m.r32(a + 4), true); return fromDouble(c, cvt.getFloat64(0, true), 0, false); }
    case 2: return fromInt(BigInt(m.r32(a)));
    default: return fromInt(BigInt((m.r16(a) << 16) >> 16));
  }
}
/** FXAM class bits (C3 C2 C0) and C1 = sign. */
function fxam(c: CpuState): void {
  const empty = isEmpty(c, 0);
  const x = empty ? DEFAULT_NAN : decode80(c.st, c.ftop * 10);
  let cls: number; // bit2 C3, bit1 C2, bit0 C0
  if (empty) cls = 0b101;
  else if (x.kind === 3) cls = 0b000;
  else if (x.kind === 2) cls = 0b001;
  else if (x.kind === 1) cls = 0b011;
  else if (x.m === 0n) cls = 0b100;
  else cls = x.den ? 0b110 : 0b010;
  c.fsw = (c.fsw & ~(C0 | C1 | C2 | C3)) | (cls & 1 ? C0 : 0) | (x.neg ? C1 : 0) | (cls & 2 ? C2 : 0) | (cls & 4 ? C3 : 0);
}
function frndint(c: CpuState, x: X): X {
  setC1(c, false);
  if (x.kind !== 0) return x.kind === 1 ? x : nanResult(c, x, x)!;
  if (x.den) raise(c, FX_DE);
  const [v, inexact, upd] = toIntBig(x, (c.fcw >> 10) & 3);
  if (inexact) { raise(c, FX_PE); setC1(c, upd); }
  return v === 0n ? zero(x.neg) : fromInt(v);
}

// ---- FSCALE, FXTRACT, FPREM -------------------------------------------------------------------
function fscale(c: CpuState, a: X, b: X): X {
  setC1(c, false);
  const n = nanResult(c, a, b);
  if (n) return n;
  if (a.den || b.den) raise(c, FX_DE);
  if (b.kind === 1) {
    if (a.kind === 0 && a.m === 0n) return b.neg ? a : invalid(c);
    if (a.kind === 1) return b.neg ? invalid(c) : a;
    return b.neg ? zero(a.neg) : inf(a.neg);
  }
  if (a.kind === 1 || a.m === 0n) return a;
  const [t] = toIntBig(b, 3);
  const k = t > 100000n ? 100000 : t < -100000n ? -100000 : Number(t);
  return roundX(c, a.neg, a.m, a.e + k, false, 64);
}
/** True exponent of a finite nonzero value (its leading bit). */
function lead(x: X): number { return x.e + bitLen(x.m) - 1; }
function fxtract(c: CpuState): void {
  const x = getSt(c, 0);
  setC1(c, false);
  let sig: X, ex: X;
  if (x.kind >= 2) { sig = nanResult(c, x, x)!; ex = sig; }
  else if (x.kind === 1) { sig = x; ex = inf(false); }
  else if (x.m === 0n) { raise(c, FX_ZE); sig = x; ex = inf(true); }
  else {
    if (x.den) raise(c, FX_DE);
    const l = lead(x);
    sig = { neg: x.neg, m: x.m, e: x.e - l, kind: 0 };
    ex = fromInt(BigInt(l));
  }
  setSt(c, 0, ex);
  push(c, sig);
}
/**
 * FPREM/FPREM1 stop with a partial remainder (C2 = 1) when the exponents differ by 64 or more.
 * The reduction per step is N = 32 + (D mod 32) bits, leaving a difference that is a multiple of
 * 32 (the manual allows any N in 32..63; this is what the host does).
 */
const PREM_PARTIAL = 64;
function fprem(c: CpuState, nearest: boolean): void {
  const a = getSt(c, 0), b = getSt(c, 1);
  c.fsw &= ~(C0 | C1 | C2 | C3);
  const n = nanResult(c, a, b);
  if (n) { setSt(c, 0, n); return; }
  if (a.kind === 1 || (b.kind === 0 && b.m === 0n)) { setSt(c, 0, invalid(c)); return; }
  if (a.den || b.den) raise(c, FX_DE);
  if (b.kind === 1 || a.m === 0n) { setSt(c, 0, a); return; }
  const d = lead(a) - lead(b);
  const e = Math.min(a.e, b.e);
  const A = a.m << BigInt(a.e - e), Bm = b.m << BigInt(b.e - e);
  if (d < PREM_PARTIAL) {
    let q = A / Bm, r = A - q * Bm;
    if (nearest && (2n * r > Bm || (2n * r === Bm && (q & 1n) === 1n))) { q += 1n; r -= Bm; }
    const neg = r < 0n ? !a.neg : a.neg;
    const rr = r < 0n ? -r : r;
    setSt(c, 0, rr === 0n ? zero(a.neg) : roundX(c, neg, rr, e, false, 64));
    c.fsw = (c.fsw & ~(C0 | C1 | C3)) | ((q & 4n) ? C0 : 0) | ((q & 2n) ? C3 : 0) | ((q & 1n) ? C1 : 0);
    return;
  }
  // partial: reduce the exponent difference by d - N (truncating), C2 = 1
  const sh = BigInt(d - (32 + (d % 32)));
  const Bs = Bm << sh;
  const q = A / Bs, r = A - q * Bs;
  setSt(c, 0, r === 0n ? zero(a.neg) : roundX(c, a.neg, r, e, false, 64));
  c.fsw = (c.fsw & ~(C0 | C1 | C3)) | C2;
}

// ---- transcendentals ----------------------------------------------------------------------------
function toBig(x: X): B.Big { return B.big(x.neg ? -x.m : x.m, x.e); }
/** Round a high-precision value (inexact) to 64 bits under FCW.RC. */
function fromBig(c: CpuState, v: B.Big): X {
  if (v.m === 0n) return roundX(c, false, 0n, 0, true, 64);
  return roundX(c, v.m < 0n, v.m < 0n ? -v.m : v.m, v.e, true, 64);
}
/** Operand screening for the one-operand transcendentals: NaN/unsupported -> result, denormal -> DE. */
function unaryPre(c: CpuState, x: X): X | null {
  setC1(c, false);
  if (x.kind >= 2) return nanResult(c, x, x);
  if (x.den) raise(c, FX_DE);
  return null;
}
function f2xm1(c: CpuState, x: X): X {
  const n = unaryPre(c, x);
  if (n) return n;
  if (x.kind === 1) return x.neg ? { neg: true, m: 1n, e: 0, kind: 0 } : x;
  if (x.m === 0n) return x;
  const l = lead(x);
  // ±1: the hardware's 2^x lies just below the exact 1 or -0.5 (PE; C1 by the rounding)
  if (l === 0 && x.m === 1n << BigInt(-x.e)) return x.neg ? roundX(c, true, (1n << 96n) + 1n, -97, false, 64) : roundX(c, false, (1n << 96n) - 1n, -96, false, 64);
  if (l <= 0) return fromBig(c, B.expm1B(B.mul(toBig(x), B.LN2)));
  // outside the architectural domain (|x| > 1, undefined on hardware): 2^n * 2^f - 1, bounded
  if (l > 15) return x.neg ? roundX(c, true, 1n, 0, false, 64) : roundX(c, false, 1n, 20000, false, 64);
  const [k] = toIntBig(x, 3), f = B.sub(toBig(x), B.big(k));
  const p = B.add(B.expm1B(B.mul(f, B.LN2)), B.big(1n));
  return fromBig(c, B.sub({ m: p.m, e: p.e + Number(k) }, B.big(1n)));
}
/** y * log2(x) (FYL2X) or y * log2(1 + x) (FYL2XP1). */
function fyl2x(c: CpuState, x: X, y: X, plusOne: boolean): X {
  setC1(c, false);
  const n = nanResult(c, x, y);
  if (n) return n;
  if (x.den || y.den) raise(c, FX_DE);
  const xZero = x.kind === 0 && x.m === 0n, yZero = y.kind === 0 && y.m === 0n;
  if (plusOne) {
    if (xZero) return y.kind === 1 ? invalid(c) : zero(x.neg !== y.neg);
    if (x.kind === 1) return invalid(c);
    if (yZero) return zero(y.neg !== x.neg);
    if (y.kind === 1) return inf(y.neg !== x.neg);
    // outside the architectural domain (|x| < 1 - sqrt(2)/2) hardware is undefined; keep log2(1+x) real
    if (x.neg && lead(x) >= 0) { if (x.m === 1n << BigInt(-x.e)) { raise(c, FX_ZE); return inf(!y.neg); } return invalid(c); }
    return fromBig(c, B.mul(toBig(y), B.div(B.ln1pB(toBig(x)), B.LN2)));
  }
  if (x.neg && !xZero) return invalid(c);
  if (xZero) { if (yZero) return invalid(c); if (y.kind !== 1) zeroDivide(c); return inf(!y.neg); }
  if (x.kind === 1) return yZero ? invalid(c) : inf(y.neg);
  // log2(x) is exact for powers of two
  const l = lead(x), pow2 = x.m === 1n << BigInt(l - x.e);
  if (pow2 && l === 0) return y.kind === 1 ? invalid(c) : zero(y.neg); // log2(1) = +0
  if (y.kind === 1) return inf(y.neg !== (l < 0));
  if (yZero) return zero(y.neg !== (l < 0));
  if (pow2) { // exact, but the hardware reports PE all the same
    const k = BigInt(l), p = y.m * (k < 0n ? -k : k), v = roundX(c, y.neg !== (k < 0n), p, y.e, false, 64);
    raise(c, FX_PE);
    return v;
  }
  return fromBig(c, B.mul(toBig(y), B.div(B.lnB(toBig(x)), B.LN2)));
}
function fpatan(c: CpuState, x: X, y: X): X { // atan2(y, x)
  setC1(c, false);
  const n = nanResult(c, x, y);
  if (n) return n;
  if (x.den || y.den) raise(c, FX_DE);
  const pi = B.PI_B, half = (v: B.Big): B.Big => ({ m: v.m, e: v.e - 1 }), quarter = (v: B.Big): B.Big => ({ m: v.m, e: v.e - 2 });
  const sgn = (v: B.Big): B.Big => (y.neg ? B.neg(v) : v);
  const xZero = x.kind === 0 && x.m === 0n, yZero = y.kind === 0 && y.m === 0n;
  if (yZero) return x.neg ? fromBig(c, sgn(pi)) : zero(y.neg);
  if (y.kind === 1) {
    if (x.kind === 1) return fromBig(c, sgn(x.neg ? B.mul(pi, { m: 3n, e: -2 }) : quarter(pi)));
    return fromBig(c, sgn(half(pi)));
  }
  if (x.kind === 1) return x.neg ? fromBig(c, sgn(pi)) : zero(y.neg);
  if (xZero) return fromBig(c, sgn(half(pi)));
  const ay = toBig({ ...y, neg: false }), ax = toBig({ ...x, neg: false });
  let r: B.Big;
  if (B.cmpAbs(ay, ax) <= 0) r = B.atanB(B.div(ay, ax));
  else r = B.sub(half(pi), B.atanB(B.div(ax, ay)));
  if (x.neg) r = B.sub(pi, r);
  return fromBig(c, sgn(r));
}
/** |x| >= 2^63: FSIN/FCOS/FPTAN/FSINCOS leave the operand and set C2. */
function outOfRange(x: X): boolean { return x.kind === 0 && x.m !== 0n && lead(x) >= 63; }
/** kind 0 sin, 1 cos, 2 tan, 3 sincos. */
function trig(c: CpuState, kind: number): void {
  const x = getSt(c, 0);
  c.fsw &= ~C2;
  if (x.kind === 0 && outOfRange(x)) { c.fsw |= C2; setC1(c, false); return; }
  const nan = unaryPre(c, x);
  const bad = nan ?? (x.kind === 1 ? invalid(c) : null);
  if (bad) {
    setSt(c, 0, bad);
    if (kind >= 2) push(c, bad); // FPTAN pushes the NaN too, not 1.0
    return;
  }
  if (x.m === 0n) {
    if (kind === 0 || kind === 2) { setSt(c, 0, x); if (kind === 2) push(c, ONE); return; }
    if (kind === 1) { setSt(c, 0, ONE); return; }
    setSt(c, 0, x); push(c, ONE); return;
  }
  const [s, co] = B.sinCosB(toBig(x));
  switch (kind) {
    case 0: setSt(c, 0, fromBig(c, s)); return;
    case 1: setSt(c, 0, fromBig(c, co)); return;
    case 2: setSt(c, 0, fromBig(c, B.div(s, co))); push(c, ONE); return;
    default: {
      // C1 reports the rounding of the sine (the host agrees; the cosine's is not visible)
      const cv = fromBig(c, co), sv = fromBig(c, s), up = (c.fsw & C1) !== 0;
      setSt(c, 0, sv); push(c, cv);
      setC1(c, up);
    }
  }
}

// ---- BCD ----------------------------------------------------------------------------------------
function fbld(c: CpuState, a: number): void {
  const b = c.mem.readBytes(a, 10);
  let v = 0n;
  for (let i = 8; i >= 0; i--) v = v * 100n + BigInt((b[i]! >> 4) * 10 + (b[i]! & 15));
  const neg = (b[9]! & 0x80) !== 0;
  setC1(c, false);
  push(c, v === 0n ? zero(neg) : { neg, m: v, e: 0, kind: 0 });
}
function fbstp(c: CpuState, a: number): void {
  const x = getSt(c, 0);
  setC1(c, false);
  const out = new Uint8Array(10);
  let ok = false;
  if (x.kind === 0) {
    const [v, inexact, upd] = toIntBig(x, (c.fcw >> 10) & 3);
    const mag = v < 0n ? -v : v;
    if (mag < 10n ** 18n) {
      ok = true;
      if (inexact) { raise(c, FX_PE); setC1(c, upd); }
      let t = mag;
      for (let i = 0; i < 9; i++) { const lo = Number(t % 10n); t /= 10n; const hi = Number(t % 10n); t /= 10n; out[i] = (hi << 4) | lo; }
      out[9] = x.neg ? 0x80 : 0;
    }
  }
  if (!ok) { raise(c, FX_IE); out.set([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]); }
  c.mem.checkW(a, 10);
  for (let k = 0; k < 10; k++) c.mem.w8(a + k, out[k]!);
  pop(c);
}

// ---- environment ----------------------------------------------------------------------------------
/** Full tag word: 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported), 11 empty. */
function fullTags(c: CpuState): number {
  let t = 0;
  for (let p = 0; p < 8; p++) {
    let tag = 3;
    if (((c.ftag >> (p * 2)) & 3) !== 3) {
      const x = decode80(c.st, p * 10);
      tag = x.kind === 0 ? (x.m === 0n ? 1 : x.den ? 2 : 0) : 2;
    }
    t |= tag << (p * 2);
  }
  return t;
}
/**
 * FNSTENV: the 28-byte protected-mode image, or with an operand-size prefix (0x66) the 14-byte
 * 16-bit image (FCW, FSW, FTW, then FIP, FCS, FDP, FDS as words; SDM Vol. 1 Figure 8-10). The
 * instruction and data pointers are stored as 0.
 */
function fstenv(c: CpuState, a: number, small: boolean): void {
  const m = c.mem;
  if (small) {
    m.checkW(a, 14);
    m.w16(a, c.fcw); m.w16(a + 2, fsw(c)); m.w16(a + 4, fullTags(c));
    for (let k = 6; k < 14; k += 2) m.w16(a + k, 0);
    return;
  }
  m.checkW(a, 28);
  m.w32(a, c.fcw | 0xffff0000); m.w32(a + 4, fsw(c) | 0xffff0000); m.w32(a + 8, fullTags(c) | 0xffff0000);
  for (let k = 12; k < 28; k += 4) m.w32(a + k, 0);
}
/** FLDENV from the 28-byte image, or the 14-byte one with an operand-size prefix. */
function fldenv(c: CpuState, a: number, small: boolean): void {
  const m = c.mem, step = small ? 2 : 4;
  const cw = m.r16(a), sw = m.r16(a + step), tw = m.r16(a + 2 * step);
  c.fcw = cw; c.fsw = sw & ~0x3800; c.ftop = (sw >> 11) & 7;
  // keep only empty / non-empty; the contents decide the rest
  let t = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (p * 2)) & 3) === 3) t |= 3 << (p * 2);
  c.ftag = t;
  summarize(c); // the image's ES and B are not taken: the flags and masks decide
}
function fninit(c: CpuState): void { c.fcw = 0x37f; c.fsw = 0; c.ftop = 0; c.ftag = 0xffff; }

// ---- dispatch ---------------------------------------------------------------------------------
const x87: Handler = (c, d) => {
  const op = d.op, r = d.reg & 7, i = d.rm & 7;
  if (waits(d)) waitPending(c);
  swStart = c.fsw;
  if (d.mod !== 3) {
    const a = ea(c, d);
    switch (op) {
      case 0xd8: case 0xdc: case 0xda: case 0xde: {
        const v = memOperand(c, a, op === 0xd8 ? 0 : op === 0xdc ? 1 : op === 0xda ? 2 : 3);
        if (r === 2 || r === 3) { compareX(c, getSt(c, 0), v, false, false); if (r === 3) pop(c); return; }
        setSt(c, 0, arith(c, r, getSt(c, 0), v)); return;
      }
      case 0xd9:
        switch (r) {
          case 0: { const v = memOperand(c, a, 0); setC1(c, false); push(c, v); return; }
          case 2: case 3: writeFloat(c, a, getSt(c, 0), true); if (r === 3) pop(c); return;
          case 4: fldenv(c, a, d.p66); return;
          case 5: c.fcw = c.mem.r16(a); summarize(c); return;
          case 6: fstenv(c, a, d.p66); c.fcw |= 0x3f; summarize(c); return;
          case 7: c.mem.w16(a, c.fcw); return;
        }
        break;
      case 0xdd:
        switch (r) {
          case 0: { const v = memOperand(c, a, 1); setC1(c, false); push(c, v); return; }
          case 1: storeInt(c, a, getSt(c, 0), 64, true); pop(c); return;
          case 2: case 3: writeFloat(c, a, getSt(c, 0), false); if (r === 3) pop(c); return;
          case 4: { // FRSTOR (the registers follow the 28- or 14-byte environment)
            const regs = c.mem.readBytes(a + (d.p66 ? 14 : 28), 80);
            fldenv(c, a, d.p66);
            for (let k = 0; k < 8; k++) c.st.set(regs.subarray(k * 10, k * 10 + 10), ((c.ftop + k) & 7) * 10);
            return;
          }
          case 6: { // FNSAVE
            const env = d.p66 ? 14 : 28;
            c.mem.checkW(a, env + 80);
            fstenv(c, a, d.p66);
            for (let k = 0; k < 8; k++) { const o = ((c.ftop + k) & 7) * 10; for (let j = 0; j < 10; j++) c.mem.w8(a + env + k * 10 + j, c.st[o + j]!); }
            fninit(c);
            return;
          }
          case 7: c.mem.w16(a, fsw(c)); return;
        }
        break;
      case 0xdb:
        switch (r) {
          case 0: setC1(c, false); push(c, memOperand(c, a, 2)); return;
          case 1: case 2: case 3: storeInt(c, a, getSt(c, 0), 32, r === 1); if (r !== 2) pop(c); return;
          case 5: { const b = c.mem.readBytes(a, 10); setC1(c, false); pushRaw(c, b); return; }
          case 7: { setC1(c, false); const b = getRaw(c, 0); c.mem.checkW(a, 10); for (let k = 0; k < 10; k++) c.mem.w8(a + k, b[k]!); pop(c); return; }
        }
        break;
      case 0xdf:
        switch (r) {
          case 0: setC1(c, false); push(c, memOperand(c, a, 3)); return;
          case 1: case 2: case 3: storeInt(c, a, getSt(c, 0), 16, r === 1); if (r !== 2) pop(c); return;
          case 4: fbld(c, a); return;
          case 5: { const lo = BigInt(c.mem.r32(a) >>> 0), hi = BigInt(c.mem.r32(a + 4)); setC1(c, false); push(c, fromInt((hi << 32n) | lo)); return; }
          case 6: fbstp(c, a); return;
          case 7: storeInt(c, a, getSt(c, 0), 64, false); pop(c); return;
        }
        break;
    }
    throw new Error(`x87 form not implemented: ${op.toString(16)} /${r}`);
  }
  switch (op) {
    case 0xd8: case 0xdc: case 0xde: {
      if (r === 2 || r === 3) { compareX(c, getSt(c, 0), getSt(c, i), false, false); if (r === 3) pop(c); if (op === 0xde && r === 3) pop(c); return; }
      if (op === 0xd8) setSt(c, 0, arith(c, r, getSt(c, 0), getSt(c, i)));
      else { const rr = r >= 4 ? r ^ 1 : r; setSt(c, i, arith(c, rr, getSt(c, i), getSt(c, 0))); if (op === 0xde) pop(c); }
      return;
    }
    case 0xd9:
      if (r === 0) { const v = getRaw(c, i); setC1(c, false); pushRaw(c, v); return; }
      if (r === 1) { const t = getRaw(c, 0), u = getRaw(c, i); setC1(c, false); setRaw(c, 0, u); setRaw(c, i, t); return; }
      switch (i | (r << 3)) {
        case 0x10: return; // FNOP
        case 0x20: case 0x21: { // FCHS, FABS: the sign bit alone
          const x = getRaw(c, 0).slice(); setC1(c, false);
          x[9] = i === 0 ? x[9]! ^ 0x80 : x[9]! & 0x7f; setRaw(c, 0, x); return;
        }
        case 0x24: compareX(c, getSt(c, 0), ZERO, false, false); return;
        case 0x25: fxam(c); return;
        case 0x28: setC1(c, false); push(c, ONE); return;
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: { // FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2, rounded per RC (no PE)
          const [m, e] = CONSTS[i - 1]!;
          const sw = c.fsw;
          const v = roundX(c, false, m, e, false, 64);
          c.fsw = sw & ~C1;
          push(c, v);
          return;
        }
        case 0x2e: setC1(c, false); push(c, ZERO); return;
        case 0x30: setSt(c, 0, f2xm1(c, getSt(c, 0))); return;
        case 0x31: { const v = fyl2x(c, getSt(c, 0), getSt(c, 1), false); setSt(c, 1, v); pop(c); return; }
        case 0x32: trig(c, 2); return;
        case 0x33: { const v = fpatan(c, getSt(c, 0), getSt(c, 1)); setSt(c, 1, v); pop(c); return; }
        case 0x34: fxtract(c); return;
        case 0x35: fprem(c, true); return;
        case 0x36: c.ftop = (c.ftop - 1) & 7; setC1(c, false); return; // FDECSTP
        case 0x37: c.ftop = (c.ftop + 1) & 7; setC1(c, false); return; // FINCSTP
        case 0x38: fprem(c, false); return;
        case 0x39: { const v = fyl2x(c, getSt(c, 0), getSt(c, 1), true); setSt(c, 1, v); pop(c); return; }
        case 0x3a: setSt(c, 0, sqrtX(c, getSt(c, 0))); return;
        case 0x3b: trig(c, 3); return;
        case 0x3c: setSt(c, 0, frndint(c, getSt(c, 0))); return;
        case 0x3d: setSt(c, 0, fscale(c, getSt(c, 0), getSt(c, 1))); return;
        case 0x3e: trig(c, 0); return;
        case 0x3f: trig(c, 1); return;
      }
      break;
    case 0xda: case 0xdb:
      if (r <= 3) { // FCMOVcc: B E BE U, and their negations under DB
        const cc = [2, 4, 6, 10][r]!;
        const t = cond(c, cc);
        const v = getRaw(c, i);
        setC1(c, false);
        if (t !== (op === 0xdb)) setRaw(c, 0, v);
        return;
      }
      if (op === 0xda) { if (r === 5 && i === 1) { compareX(c, getSt(c, 0), getSt(c, 1), true, false); pop(c); pop(c); return; } break; }
      if (r === 5 || r === 6) { compareX(c, getSt(c, 0), getSt(c, i), r === 5, true); return; }
      if (i === 3 && r === 4) { fninit(c); return; }
      if (i === 2 && r === 4) { c.fsw &= ~0x80ff; return; }
      break;
    case 0xdd:
      if (r === 0) { c.ftag |= 3 << (((c.ftop + i) & 7) * 2); return; }
      if (r === 2) { const v = getRaw(c, 0); setC1(c, false); setRaw(c, i, v); return; }
      if (r === 3) { const v = getRaw(c, 0); setC1(c, false); setRaw(c, i, v); pop(c); return; }
      if (r === 4 || r === 5) { compareX(c, getSt(c, 0), getSt(c, i), true, false); if (r === 5) pop(c); return; }
      break;
    case 0xdf:
      if (r === 0) { c.ftag |= 3 << (((c.ftop + i) & 7) * 2); pop(c); return; } // FFREEP
      if (r === 4 && i === 0) { c.lo[0] = (c.lo[0]! & ~0xffff) | fsw(c); return; }
      if (r === 5 || r === 6) { compareX(c, getSt(c, 0), getSt(c, i), r === 5, true); pop(c); return; }
      break;
  }
  throw new Error(`x87 form not implemented: ${op.toString(16)} /${r} rm ${i}`);
};

/** Only the forms handled above decode; everything else is #UD. */
function supported(d: Insn): boolean {
  const op = d.op, r = d.reg & 7, rm = d.rm & 7;
  if (d.mod !== 3) {
    switch (op) {
      case 0xd8: case 0xdc: case 0xda: case 0xde: return true;
      case 0xd9: return r !== 1;
      case 0xdd: return r !== 5;
      case 0xdb: return r !== 4 && r !== 6;
      case 0xdf: return true;
    }
    return false;
  }
  switch (op) {
    case 0xd8: return true;
    case 0xdc: return r !== 2 && r !== 3;
    case 0xde: return r !== 2 && (r !== 3 || rm === 1);
    case 0xd9: return r <= 1 || (r === 2 && rm === 0) || (r === 4 && rm !== 2 && rm !== 3 && rm !== 6 && rm !== 7) || (r === 5 && rm !== 7) || r >= 6;
    case 0xdd: return r === 0 || r === 2 || r === 3 || r === 4 || r === 5;
    case 0xdb: return r <= 3 || r === 5 || r === 6 || (r === 4 && (rm === 2 || rm === 3));
    case 0xdf: return r === 0 || (r === 4 && rm === 0) || r === 5 || r === 6;
    case 0xda: return r <= 3 || (r === 5 && rm === 1);
  }
  return false;
}

/** FWAIT delivers a pending unmasked exception (#MF). */
const fwait: Handler = (c) => waitPending(c);
export function registerX87(): void {
  def(0, 0x9b, { modrm: false, imm: IMM_NONE, h: fwait });
  for (let op = 0xd8; op <= 0xdf; op++) def(0, op, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (supported(d) ? x87 : undefined) });
}
/** Extended-precision helpers for FXSAVE/FXRSTOR (raw register bytes). */
export function stRaw(c: CpuState, i: number): Uint8Array { const o = ((c.ftop + i) & 7) * 10; return c.st.slice(o, o + 10); }
export function setStRaw(c: CpuState, i: number, b: Uint8Array): void { c.st.set(b.subarray(0, 10), ((c.ftop + i) & 7) * 10); }
