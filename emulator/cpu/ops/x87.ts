/**
 * x87 FPU with exact 80-bit extended arithmetic. Registers hold raw 80-bit values; every
 * operation decodes them to sign * m * 2^e (m a bigint), computes exactly, and rounds once
 * under FCW.PC (24/53/64-bit precision) and FCW.RC. Covers loads/stores (m32/m64/m80, integer
 * m16/m32/m64, FISTTP), + - * / sqrt, compares (FCOM/FUCOM/FCOMI/FUCOMI/FTST), FXAM, FCHS,
 * FABS, FRNDINT, FXCH, FLD1/FLDZ, FNINIT/FNCLEX/FLDCW/FNSTCW/FNSTSW. Not implemented (#UD):
 * transcendentals, FSCALE, FPREM, FLDENV/FSTENV/FSAVE, BCD. Exceptions are masked (no #MF);
 * status exception bits are not modelled.
 */
import type { CpuState } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { F_CF, F_PF, F_ZF } from "../state.js";
import { setArith } from "../flags.js";
import { def, IMM_NONE } from "../decode.js";
import { ea } from "../operands.js";
import { roundTo, F64, F32 } from "./softfp.js";

/** A decoded extended value: kind 0 finite (m may be 0), 1 infinity, 2 NaN (raw kept). */
interface X { neg: boolean; m: bigint; e: number; kind: number; raw?: Uint8Array }

const BIAS = 16383;
function bitLen(v: bigint): number { return v === 0n ? 0 : v.toString(2).length; }

function decode80(b: Uint8Array, o: number): X {
  let m = 0n;
  for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(b[o + i]!);
  const se = b[o + 8]! | (b[o + 9]! << 8);
  const neg = (se & 0x8000) !== 0, be = se & 0x7fff;
  if (be === 0x7fff) {
    if ((m & 0x7fffffffffffffffn) === 0n) return { neg, m: 0n, e: 0, kind: 1 };
    return { neg, m, e: 0, kind: 2, raw: b.slice(o, o + 10) };
  }
  return { neg, m, e: (be === 0 ? 1 : be) - BIAS - 63, kind: 0 };
}
function encode80(x: X, b: Uint8Array, o: number): void {
  if (x.kind === 2) {
    if (x.raw) { b.set(x.raw, o); b[o + 7] = b[o + 7]! | 0x40; b[o + 9] = (b[o + 9]! & 0x7f) | (x.neg ? 0x80 : 0); return; } // quiet it, sign from x
    x = { neg: true, m: 0xc000000000000000n, e: 0, kind: 2 };
    let m = x.m; for (let i = 0; i < 8; i++) { b[o + i] = Number(m & 255n); m >>= 8n; }
    b[o + 8] = 0xff; b[o + 9] = 0xff; return;
  }
  let m = 0n, be = 0;
  if (x.kind === 1) { m = 0x8000000000000000n; be = 0x7fff; }
  else if (x.m !== 0n) {
    // x is already rounded: normalise to 64 bits if the exponent allows
    let mm = x.m, e = x.e;
    const len = bitLen(mm);
    if (len < 64) { const sh = Math.min(64 - len, e - (1 - BIAS - 63)); if (sh > 0) { mm <<= BigInt(sh); e -= sh; } }
    if (mm >> 63n) be = e + 63 + BIAS; else be = 0;
    m = mm;
  }
  for (let i = 0; i < 8; i++) { b[o + i] = Number(m & 255n); m >>= 8n; }
  const se = (x.neg ? 0x8000 : 0) | be;
  b[o + 8] = se & 255; b[o + 9] = se >> 8;
}
/** Round sign * (M * 2^E (+ sticky)) to the FPU precision/rounding of FCW. */
function roundX(c: CpuState, neg: boolean, M: bigint, E: number, sticky: boolean): X {
  if (M === 0n && !sticky) return { neg, m: 0n, e: 0, kind: 0 };
  const pc = (c.fcw >> 8) & 3, rc = (c.fcw >> 10) & 3;
  const p = pc === 0 ? 24 : pc === 2 ? 53 : 64;
  const emin = 1 - BIAS;
  let lead = E + bitLen(M) - 1;
  let lsb = Math.max(lead - p + 1, emin - 63);
  let q: bigint, rem = false, half = false, above = false;
  const sh = lsb - E;
  if (sh <= 0) { q = M << BigInt(-sh); rem = sticky; above = sticky; }
  else {
    const S = BigInt(sh); q = M >> S;
    const r = M & ((1n << S) - 1n), h = 1n << (S - 1n);
    half = r === h && !sticky; above = r > h || (r === h && sticky); rem = r !== 0n || sticky;
  }
  if ((rc === 0 && (above || (half && (q & 1n) === 1n))) || (rc === 1 && neg && rem) || (rc === 2 && !neg && rem)) q += 1n;
  if (bitLen(q) > p) { q >>= 1n; lsb += 1; }
  lead = lsb + bitLen(q) - 1;
  if (q !== 0n && lead > BIAS) {
    const toInf = rc === 0 || (rc === 1 && neg) || (rc === 2 && !neg);
    if (toInf) return { neg, m: 0n, e: 0, kind: 1 };
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
const DEFAULT_NAN: X = { neg: true, m: 0xc000000000000000n, e: 0, kind: 2 };

/** Reading an empty register is a masked stack underflow: the value is the QNaN indefinite. */
function getSt(c: CpuState, i: number): X {
  const p = (c.ftop + i) & 7;
  if (((c.ftag >> (p * 2)) & 3) === 3) { c.fsw |= 0x41; return DEFAULT_NAN; }
  return decode80(c.st, p * 10);
}
function setSt(c: CpuState, i: number, x: X): void { encode80(x, c.st, ((c.ftop + i) & 7) * 10); c.ftag &= ~(3 << (((c.ftop + i) & 7) * 2)); }
/** Pushing onto a non-empty register is a masked stack overflow: the indefinite is loaded. */
function push(c: CpuState, x: X): void {
  c.ftop = (c.ftop - 1) & 7;
  if (((c.ftag >> (c.ftop * 2)) & 3) !== 3) { c.fsw |= 0x241; x = DEFAULT_NAN; }
  setSt(c, 0, x);
}
function pop(c: CpuState): void { c.ftag |= 3 << (c.ftop * 2); c.ftop = (c.ftop + 1) & 7; }

function fromDouble(v: number, single: boolean): X {
  const b = new DataView(new ArrayBuffer(8));
  if (single) {
    b.setFloat32(0, v, true);
    const bits = b.getUint32(0, true), neg = bits >>> 31 === 1, be = (bits >>> 23) & 0xff, fr = BigInt(bits & 0x7fffff);
    if (be === 0xff) return fr === 0n ? { neg, m: 0n, e: 0, kind: 1 } : { neg, m: 0xc000000000000000n | (fr << 40n), e: 0, kind: 2, raw: nanRaw(neg, 0xc000000000000000n | (fr << 40n)) };
    return be === 0 ? { neg, m: fr, e: -149, kind: 0 } : { neg, m: fr | 0x800000n, e: be - 150, kind: 0 };
  }
  b.setFloat64(0, v, true);
  const hi = b.getUint32(4, true), lo = b.getUint32(0, true);
  const neg = hi >>> 31 === 1, be = (hi >>> 20) & 0x7ff, fr = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (be === 0x7ff) return fr === 0n ? { neg, m: 0n, e: 0, kind: 1 } : { neg, m: 0xc000000000000000n | (fr << 11n), e: 0, kind: 2, raw: nanRaw(neg, (1n << 63n) | (fr << 11n)) };
  return be === 0 ? { neg, m: fr, e: -1074, kind: 0 } : { neg, m: fr | (1n << 52n), e: be - 1075, kind: 0 };
}
function nanRaw(neg: boolean, m: bigint): Uint8Array {
  const r = new Uint8Array(10);
  for (let i = 0; i < 8; i++) { r[i] = Number(m & 255n); m >>= 8n; }
  r[8] = 0xff; r[9] = neg ? 0xff : 0x7f;
  return r;
}
/** Extended -> double/float bits (rounded by FCW.RC). */
function toDouble(c: CpuState, x: X, single: boolean): number {
  if (x.kind === 1) return x.neg ? -Infinity : Infinity;
  if (x.kind === 2) return NaN;
  return roundTo(x.neg, x.m, x.e, false, (c.fcw >> 10) & 3, single ? F32 : F64, false);
}
function writeFloat(c: CpuState, a: number, x: X, single: boolean): void {
  const dv = new DataView(new ArrayBuffer(8));
  if (x.kind === 2) {
    // NaN: keep the top payload bits, quieted
    const m = x.raw ? decodeMant(x.raw) : 0xc000000000000000n;
    if (single) c.mem.w32(a, ((x.neg ? 0x80000000 : 0) | 0x7fc00000 | Number((m >> 40n) & 0x3fffffn)) | 0);
    else { const fr = (m >> 11n) & 0xfffffffffffffn; c.mem.w64(a, Number(fr & 0xffffffffn) | 0, ((x.neg ? 0x80000000 : 0) | 0x7ff80000 | Number(fr >> 32n)) | 0); }
    return;
  }
  const v = toDouble(c, x, single);
  if (single) { dv.setFloat32(0, v, true); c.mem.w32(a, dv.getInt32(0, true)); }
  else { dv.setFloat64(0, v, true); c.mem.w64(a, dv.getInt32(0, true), dv.getInt32(4, true)); }
}
function decodeMant(raw: Uint8Array): bigint { let m = 0n; for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(raw[i]!); return m; }

function fromInt(c: CpuState, v: bigint): X { return v === 0n ? { neg: false, m: 0n, e: 0, kind: 0 } : roundX(c, v < 0n, v < 0n ? -v : v, 0, false); }
/** Round to an integer (bigint) per mode; null for NaN/Inf. */
function toIntBig(x: X, rc: number): bigint | null {
  if (x.kind !== 0) return null;
  if (x.m === 0n) return 0n;
  let q: bigint;
  if (x.e >= 0) q = x.m << BigInt(x.e);
  else {
    const S = BigInt(-x.e);
    q = x.m >> S;
    const r = x.m & ((1n << S) - 1n), h = 1n << (S - 1n);
    if (r !== 0n && ((rc === 0 && (r > h || (r === h && (q & 1n) === 1n))) || (rc === 1 && x.neg) || (rc === 2 && !x.neg))) q += 1n;
  }
  return x.neg ? -q : q;
}
function storeInt(c: CpuState, a: number, x: X, bits: number, trunc: boolean): void {
  const v = toIntBig(x, trunc ? 3 : (c.fcw >> 10) & 3);
  const lim = 1n << BigInt(bits - 1);
  const r = v === null || v < -lim || v >= lim ? -lim : v;
  const u = BigInt.asUintN(64, r);
  if (bits === 16) c.mem.w16(a, Number(u & 0xffffn));
  else if (bits === 32) c.mem.w32(a, Number(u & 0xffffffffn) | 0);
  else c.mem.w64(a, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}

/** Exact arithmetic. op: 0 add, 1 mul, 4 a-b, 5 b-a, 6 a/b, 7 b/a (x87 /reg encoding). */
function arith(c: CpuState, op: number, a: X, b: X): X {
  if (op === 5) { [a, b] = [b, a]; op = 4; } else if (op === 7) { [a, b] = [b, a]; op = 6; }
  if (a.kind === 2 && b.kind === 2) {
    // x87 rule: a QNaN beats an SNaN, otherwise the larger significand wins
    const Q = 1n << 62n, aq = (a.m & Q) !== 0n, bq = (b.m & Q) !== 0n;
    if (aq !== bq) return aq ? a : b;
    return (a.m & 0x7fffffffffffffffn) >= (b.m & 0x7fffffffffffffffn) ? a : b;
  }
  if (a.kind === 2) return a;
  if (b.kind === 2) return b;
  const rc = (c.fcw >> 10) & 3;
  if (op === 4) { b = { ...b, neg: !b.neg }; op = 0; }
  if (a.kind === 1 || b.kind === 1) {
    switch (op) {
      case 0: if (a.kind === 1 && b.kind === 1) return a.neg === b.neg ? a : DEFAULT_NAN; return a.kind === 1 ? a : b;
      case 1: if ((a.kind === 0 && a.m === 0n) || (b.kind === 0 && b.m === 0n)) return DEFAULT_NAN; return { neg: a.neg !== b.neg, m: 0n, e: 0, kind: 1 };
      default: if (a.kind === 1 && b.kind === 1) return DEFAULT_NAN; return a.kind === 1 ? { neg: a.neg !== b.neg, m: 0n, e: 0, kind: 1 } : { neg: a.neg !== b.neg, m: 0n, e: 0, kind: 0 };
    }
  }
  switch (op) {
    case 0: {
      if (a.m === 0n && b.m === 0n) return { neg: a.neg && b.neg ? true : !a.neg && !b.neg ? false : rc === 1, m: 0n, e: 0, kind: 0 };
      const e = Math.min(a.e, b.e);
      const A = (a.m << BigInt(a.e - e)) * (a.neg ? -1n : 1n), B = (b.m << BigInt(b.e - e)) * (b.neg ? -1n : 1n);
      const s = A + B;
      if (s === 0n) return { neg: rc === 1, m: 0n, e: 0, kind: 0 };
      return roundX(c, s < 0n, s < 0n ? -s : s, e, false);
    }
    case 1: return roundX(c, a.neg !== b.neg, a.m * b.m, a.e + b.e, false);
    default: {
      const neg = a.neg !== b.neg;
      if (b.m === 0n) return a.m === 0n ? DEFAULT_NAN : { neg, m: 0n, e: 0, kind: 1 };
      if (a.m === 0n) return { neg, m: 0n, e: 0, kind: 0 };
      const K = 200, num = a.m << BigInt(K);
      return roundX(c, neg, num / b.m, a.e - b.e - K, num % b.m !== 0n);
    }
  }
}
function sqrtX(c: CpuState, a: X): X {
  if (a.kind === 2) return a;
  if (a.kind === 0 && a.m === 0n) return a;
  if (a.neg) return DEFAULT_NAN;
  if (a.kind === 1) return a;
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
  if (a.kind === 2 || b.kind === 2) return 2;
  const val = (x: X): [number, bigint, number] => [x.kind === 1 ? (x.neg ? -2 : 2) : (x.m === 0n ? 0 : x.neg ? -1 : 1), x.m, x.e];
  const [sa, ma, ea2] = val(a), [sb, mb, eb] = val(b);
  if (sa !== sb || Math.abs(sa) === 2 || sa === 0) return Math.sign(sa - sb);
  const e = Math.min(ea2, eb);
  const A = ma << BigInt(ea2 - e), B = mb << BigInt(eb - e);
  const r = A === B ? 0 : A > B ? 1 : -1;
  return sa < 0 ? -r : r;
}
function fcomFlags(c: CpuState, r: number, eflags: boolean): void {
  const cz = r === 2 ? 7 : r < 0 ? 1 : r === 0 ? 4 : 0;
  if (eflags) setArith(c, (cz & 1 ? F_CF : 0) | (r === 2 ? F_PF : 0) | (cz & 4 ? F_ZF : 0));
  else c.fsw = (c.fsw & ~0x4500) | (cz & 1 ? 0x100 : 0) | (r === 2 ? 0x400 : 0) | (cz & 4 ? 0x4000 : 0);
}
function fsw(c: CpuState): number { return (c.fsw & ~0x3800) | ((c.ftop & 7) << 11); }

function memOperand(c: CpuState, a: number, kind: number): X {
  const m = c.mem;
  switch (kind) {
    case 0: { const dv = new DataView(new ArrayBuffer(4)); dv.setInt32(0, m.r32(a), true); return fromDouble(dv.getFloat32(0, true), true); }
    case 1: { const dv = new DataView(new ArrayBuffer(8)); dv.setInt32(0, m.r32(a), true); dv.setInt32(4, m.r32(a + 4), true); return fromDouble(dv.getFloat64(0, true), false); }
    case 2: return fromInt(c, BigInt(m.r32(a)));
    default: return fromInt(c, BigInt((m.r16(a) << 16) >> 16));
  }
}
/** FXAM class bits (C3 C2 C0) and C1 = sign. */
function fxam(c: CpuState): void {
  const empty = ((c.ftag >> (c.ftop * 2)) & 3) === 3;
  const x = getSt(c, 0);
  let cls: number; // bit2 C3, bit1 C2, bit0 C0
  if (empty) cls = 0b101;
  else if (x.kind === 2) cls = 0b001;
  else if (x.kind === 1) cls = 0b011;
  else if (x.m === 0n) cls = 0b100;
  else cls = (x.m >> 63n) === 0n ? 0b110 : 0b010;
  c.fsw = (c.fsw & ~0x4700) | (cls & 1 ? 0x100 : 0) | (x.neg ? 0x200 : 0) | (cls & 2 ? 0x400 : 0) | (cls & 4 ? 0x4000 : 0);
}

const x87: Handler = (c, d) => {
  const op = d.op, r = d.reg & 7, i = d.rm & 7;
  if (d.mod !== 3) {
    const a = ea(c, d);
    switch (op) {
      case 0xd8: case 0xdc: case 0xda: case 0xde: {
        const v = memOperand(c, a, op === 0xd8 ? 0 : op === 0xdc ? 1 : op === 0xda ? 2 : 3);
        if (r === 2 || r === 3) { fcomFlags(c, cmpX(getSt(c, 0), v), false); if (r === 3) pop(c); return; }
        setSt(c, 0, arith(c, r, getSt(c, 0), v)); return;
      }
      case 0xd9:
        switch (r) {
          case 0: push(c, memOperand(c, a, 0)); return;
          case 2: case 3: writeFloat(c, a, getSt(c, 0), true); if (r === 3) pop(c); return;
          case 5: c.fcw = c.mem.r16(a); return;
          case 7: c.mem.w16(a, c.fcw); return;
        }
        break;
      case 0xdd:
        switch (r) {
          case 0: push(c, memOperand(c, a, 1)); return;
          case 1: storeInt(c, a, getSt(c, 0), 64, true); pop(c); return;
          case 2: case 3: writeFloat(c, a, getSt(c, 0), false); if (r === 3) pop(c); return;
          case 7: c.mem.w16(a, fsw(c)); return;
        }
        break;
      case 0xdb:
        switch (r) {
          case 0: push(c, memOperand(c, a, 2)); return;
          case 1: case 2: case 3: storeInt(c, a, getSt(c, 0), 32, r === 1); if (r !== 2) pop(c); return;
          case 5: push(c, decode80(c.mem.readBytes(a, 10), 0)); return;
          case 7: { const b = new Uint8Array(10); encode80(getSt(c, 0), b, 0); c.mem.checkW(a, 10); for (let k = 0; k < 10; k++) c.mem.w8(a + k, b[k]!); pop(c); return; }
        }
        break;
      case 0xdf:
        switch (r) {
          case 0: push(c, memOperand(c, a, 3)); return;
          case 1: case 2: case 3: storeInt(c, a, getSt(c, 0), 16, r === 1); if (r !== 2) pop(c); return;
          case 5: { const lo = BigInt(c.mem.r32(a) >>> 0), hi = BigInt(c.mem.r32(a + 4)); push(c, fromInt(c, (hi << 32n) | lo)); return; }
          case 7: storeInt(c, a, getSt(c, 0), 64, false); pop(c); return;
        }
        break;
    }
    throw new Error(`x87 form not implemented: ${op.toString(16)} /${r}`);
  }
  switch (op) {
    case 0xd8: case 0xdc: case 0xde: {
      if (r === 2 || r === 3) { fcomFlags(c, cmpX(getSt(c, 0), getSt(c, i)), false); if (r === 3) pop(c); if (op === 0xde && r === 3) pop(c); return; }
      if (op === 0xd8) setSt(c, 0, arith(c, r, getSt(c, 0), getSt(c, i)));
      else { const rr = r >= 4 ? r ^ 1 : r; setSt(c, i, arith(c, rr, getSt(c, i), getSt(c, 0))); if (op === 0xde) pop(c); }
      return;
    }
    case 0xd9:
      if (r === 0) { push(c, getSt(c, i)); return; }
      if (r === 1) { const t = getSt(c, 0); setSt(c, 0, getSt(c, i)); setSt(c, i, t); return; }
      switch ((d.rm & 7) | (r << 3)) {
        case 0x20: { const x = getSt(c, 0); setSt(c, 0, { ...x, neg: !x.neg }); return; }
        case 0x21: { const x = getSt(c, 0); setSt(c, 0, { ...x, neg: false }); return; }
        case 0x24: fcomFlags(c, cmpX(getSt(c, 0), { neg: false, m: 0n, e: 0, kind: 0 }), false); return;
        case 0x25: fxam(c); return;
        case 0x28: push(c, { neg: false, m: 1n, e: 0, kind: 0 }); return;
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: { // FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2, rounded per RC
          const [m, e] = CONSTS[(d.rm & 7) - 1]!;
          push(c, roundX({ ...c, fcw: c.fcw | 0x300 } as CpuState, false, m, e, false));
          return;
        }
        case 0x2e: push(c, { neg: false, m: 0n, e: 0, kind: 0 }); return;
        case 0x3a: setSt(c, 0, sqrtX(c, getSt(c, 0))); return;
        case 0x3c: { const x = getSt(c, 0); const v = toIntBig(x, (c.fcw >> 10) & 3); if (v !== null) setSt(c, 0, v === 0n ? { neg: x.neg, m: 0n, e: 0, kind: 0 } : fromInt(c, v)); return; }
        case 0x10: return;
      }
      break;
    case 0xdd:
      if (r === 0) { c.ftag |= 3 << (((c.ftop + i) & 7) * 2); return; }
      if (r === 2) { setSt(c, i, getSt(c, 0)); return; }
      if (r === 3) { setSt(c, i, getSt(c, 0)); pop(c); return; }
      if (r === 4 || r === 5) { fcomFlags(c, cmpX(getSt(c, 0), getSt(c, i)), false); if (r === 5) pop(c); return; }
      break;
    case 0xdb:
      if (r === 5 || r === 6) { fcomFlags(c, cmpX(getSt(c, 0), getSt(c, i)), true); return; }
      if (d.rm === 3 && r === 4) { c.fcw = 0x37f; c.fsw = 0; c.ftop = 0; c.ftag = 0xffff; return; }
      if (d.rm === 2 && r === 4) { c.fsw &= ~0x80ff; return; }
      if (r <= 3) { // FCMOVNB/NE/NBE/NU
        const f = c; void f;
      }
      break;
    case 0xdf:
      if (r === 4 && (d.rm & 7) === 0) { c.lo[0] = (c.lo[0]! & ~0xffff) | fsw(c); return; }
      if (r === 5 || r === 6) { fcomFlags(c, cmpX(getSt(c, 0), getSt(c, i)), true); pop(c); return; }
      break;
    case 0xda:
      if (r === 5 && (d.rm & 7) === 1) { fcomFlags(c, cmpX(getSt(c, 0), getSt(c, 1)), false); pop(c); pop(c); return; }
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
      case 0xd9: return [0, 2, 3, 5, 7].includes(r);
      case 0xdd: return [0, 1, 2, 3, 7].includes(r);
      case 0xdb: return [0, 1, 2, 3, 5, 7].includes(r);
      case 0xdf: return [0, 1, 2, 3, 5, 7].includes(r);
    }
    return false;
  }
  switch (op) {
    case 0xd8: return true;
    case 0xdc: return r !== 2 && r !== 3;
    case 0xde: return r !== 2 && (r !== 3 || rm === 1);
    case 0xd9: return r <= 1 || [0x20, 0x21, 0x24, 0x25, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x3a, 0x3c, 0x10].includes(rm | (r << 3));
    case 0xdd: return r === 0 || r === 2 || r === 3 || r === 4 || r === 5;
    case 0xdb: return r === 5 || r === 6 || (r === 4 && (rm === 2 || rm === 3));
    case 0xdf: return (r === 4 && rm === 0) || r === 5 || r === 6;
    case 0xda: return r === 5 && rm === 1;
  }
  return false;
}

export function registerX87(): void {
  for (let op = 0xd8; op <= 0xdf; op++) def(0, op, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (supported(d) ? x87 : undefined) });
}
/** Extended-precision helpers for FXSAVE/FXRSTOR (raw register bytes). */
export function stRaw(c: CpuState, i: number): Uint8Array { const o = ((c.ftop + i) & 7) * 10; return c.st.slice(o, o + 10); }
export function setStRaw(c: CpuState, i: number, b: Uint8Array): void { c.st.set(b.subarray(0, 10), ((c.ftop + i) & 7) * 10); }
