/**
 * SSE3, SSSE3, SSE4.1 and SSE4.2 (66-prefixed xmm forms; MMX forms raise #UD).
 */
import type { CpuState } from "../state.js";
import { XTMP2, F_CF, F_ZF, F_SF, F_OF } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { GuestFault } from "../fault.js";
import { setArith } from "../flags.js";
import { def, byPfx, IMM_NONE, IMM_B } from "../decode.js";
import { readRM, writeRM, writeG, getReg, setReg, ea } from "../operands.js";
import { xsrc, copySlot, only66, isNaN64, isNaN32 } from "./ssehelp.js";
import { roundMode, fpOp, dz } from "./sse-float.js";
import { isSNaN32, isSNaN64 } from "./sse-flags.js";
import { FX_IE, FX_PE } from "./softfp.js";

// ---- float helpers with x86 NaN rules ----------------------------------------------------
const f64 = new Float64Array(1), u64 = new Int32Array(f64.buffer);
const f32 = new Float32Array(1), u32 = new Int32Array(f32.buffer);
/** a op b on doubles given as bit pairs; result bits in u64[0..1]. op: 0 add, 2 sub. */
let curC: CpuState | null = null;
function fp64(op: number, al: number, ah: number, bl: number, bh: number): void {
  if (isSNaN64(ah, al) || isSNaN64(bh, bl)) curC!.mxcsr |= FX_IE;
  if (isNaN64(ah, al)) { u64[0] = al; u64[1] = ah | 0x80000; return; }
  if (isNaN64(bh, bl)) { u64[0] = bl; u64[1] = bh | 0x80000; return; }
  u64[0] = al; u64[1] = ah; const a = f64[0]!;
  u64[0] = bl; u64[1] = bh; const b = f64[0]!;
  const r = fpOp(curC!, op, a, b, false);
  if (r !== r) { u64[0] = 0; u64[1] = 0xfff80000 | 0; } else f64[0] = r;
}
function fp32(op: number, a: number, b: number): number {
  if (isSNaN32(a) || isSNaN32(b)) curC!.mxcsr |= FX_IE;
  if (isNaN32(a)) return a | 0x400000;
  if (isNaN32(b)) return b | 0x400000;
  u32[0] = a; const x = f32[0]!; u32[0] = b; const y = f32[0]!;
  const r = fpOp(curC!, op, x, y, true);
  if (r !== r) return 0xffc00000 | 0;
  f32[0] = r; return u32[0]!;
}

// ---- SSE3 ----------------------------------------------------------------------------------
function addsub(dbl: boolean): Handler {
  return (c, d) => {
    curC = c;
    const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, t = XTMP2 * 4;
    if (dbl) for (let j = 0; j < 2; j++) { fp64(j === 0 ? 2 : 0, x[r + 2 * j]!, x[r + 2 * j + 1]!, x[s * 4 + 2 * j]!, x[s * 4 + 2 * j + 1]!); x[t + 2 * j] = u64[0]!; x[t + 2 * j + 1] = u64[1]!; }
    else for (let j = 0; j < 4; j++) x[t + j] = fp32(j & 1 ? 0 : 2, x[r + j]!, x[s * 4 + j]!);
    copySlot(c, d.reg, XTMP2);
  };
}
function hop(dbl: boolean, op: number): Handler {
  return (c, d) => {
    curC = c;
    const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, t = XTMP2 * 4;
    if (dbl) {
      fp64(op, x[r]!, x[r + 1]!, x[r + 2]!, x[r + 3]!); x[t] = u64[0]!; x[t + 1] = u64[1]!;
      fp64(op, x[s * 4]!, x[s * 4 + 1]!, x[s * 4 + 2]!, x[s * 4 + 3]!); x[t + 2] = u64[0]!; x[t + 3] = u64[1]!;
    } else {
      x[t] = fp32(op, x[r]!, x[r + 1]!); x[t + 1] = fp32(op, x[r + 2]!, x[r + 3]!);
      x[t + 2] = fp32(op, x[s * 4]!, x[s * 4 + 1]!); x[t + 3] = fp32(op, x[s * 4 + 2]!, x[s * 4 + 3]!);
    }
    copySlot(c, d.reg, XTMP2);
  };
}
const lddqu: Handler = (c, d) => { const s = xsrc(c, d, 16, false); copySlot(c, d.reg, s); };

// ---- generic lane helpers --------------------------------------------------------------------
type Arr = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
function views(c: CpuState, bits: number, signed: boolean): Arr {
  if (bits === 8) return signed ? c.xs8 : c.x8;
  if (bits === 16) return signed ? c.xs16 : c.x16;
  return signed ? c.x32 : c.xu32;
}
function lanes(bits: number, signed: boolean, f: (a: number, b: number) => number): Handler {
  const n = 128 / bits;
  return (c, d) => {
    const s = xsrc(c, d, 16, true), v = views(c, bits, signed);
    for (let i = 0; i < n; i++) v[d.reg * n + i] = f(v[d.reg * n + i]!, v[s * n + i]!);
  };
}
const satS16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
function hadd16(op: number, sat: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), w = c.xs16, t = XTMP2 * 8;
    for (let i = 0; i < 4; i++) {
      const a = w[d.reg * 8 + 2 * i]!, b = w[d.reg * 8 + 2 * i + 1]!, x = w[s * 8 + 2 * i]!, y = w[s * 8 + 2 * i + 1]!;
      const r1 = op === 0 ? a + b : a - b, r2 = op === 0 ? x + y : x - y;
      w[t + i] = sat ? satS16(r1) : r1; w[t + 4 + i] = sat ? satS16(r2) : r2;
    }
    copySlot(c, d.reg, XTMP2);
  };
}
function hadd32(op: number): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), x = c.x32, t = XTMP2 * 4, r = d.reg * 4;
    const f = (a: number, b: number) => (op === 0 ? a + b : a - b) | 0;
    x[t] = f(x[r]!, x[r + 1]!); x[t + 1] = f(x[r + 2]!, x[r + 3]!); x[t + 2] = f(x[s * 4]!, x[s * 4 + 1]!); x[t + 3] = f(x[s * 4 + 2]!, x[s * 4 + 3]!);
    copySlot(c, d.reg, XTMP2);
  };
}
const pshufb: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), b = c.x8, t = XTMP2 * 16, r = d.reg * 16;
  for (let i = 0; i < 16; i++) { const m = b[s * 16 + i]!; b[t + i] = m & 0x80 ? 0 : b[r + (m & 15)]!; }
  copySlot(c, d.reg, XTMP2);
};
const pmaddubsw: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), u = c.x8, sb = c.xs8, w = c.xs16, t = XTMP2 * 8;
  for (let i = 0; i < 8; i++) w[t + i] = satS16(u[d.reg * 16 + 2 * i]! * sb[s * 16 + 2 * i]! + u[d.reg * 16 + 2 * i + 1]! * sb[s * 16 + 2 * i + 1]!);
  copySlot(c, d.reg, XTMP2);
};
const palignr: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), b = c.x8, t = XTMP2 * 16, n = d.imm & 255;
  for (let i = 0; i < 16; i++) { const k = i + n; b[t + i] = k < 16 ? b[s * 16 + k]! : k < 32 ? b[d.reg * 16 + k - 16]! : 0; }
  copySlot(c, d.reg, XTMP2);
};

// ---- SSE4.1 --------------------------------------------------------------------------------
function pmovx(fromBits: number, toBits: number, signed: boolean): Handler {
  const n = 128 / toBits;
  return (c, d) => {
    const s = xsrc(c, d, (n * fromBits) / 8, false);
    const src = views(c, fromBits, signed);
    const vals: number[] = [];
    for (let i = 0; i < n; i++) vals.push(src[s * (128 / fromBits) + i]!);
    const x = c.x32, r = d.reg * 4;
    if (toBits === 64) { for (let i = 0; i < 2; i++) { x[r + 2 * i] = vals[i]!; x[r + 2 * i + 1] = signed && vals[i]! < 0 ? -1 : 0; } }
    else { const dst = views(c, toBits, false); for (let i = 0; i < n; i++) dst[d.reg * n + i] = vals[i]!; }
  };
}
function blendv(bits: number): Handler { // xmm0 implicit mask
  const n = 128 / bits;
  return (c, d) => {
    const s = xsrc(c, d, 16, true), b = c.x8, lb = bits / 8;
    for (let i = 0; i < n; i++) if (b[i * lb + lb - 1]! & 0x80) for (let k = 0; k < lb; k++) b[d.reg * 16 + i * lb + k] = b[s * 16 + i * lb + k]!;
  };
}
function blendI(bits: number): Handler {
  const n = 128 / bits;
  return (c, d) => {
    const s = xsrc(c, d, 16, true), b = c.x8, lb = bits / 8;
    for (let i = 0; i < n; i++) if ((d.imm >> i) & 1) for (let k = 0; k < lb; k++) b[d.reg * 16 + i * lb + k] = b[s * 16 + i * lb + k]!;
  };
}
const ptest: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), x = c.x32;
  let z = 0, cz = 0;
  for (let i = 0; i < 4; i++) { z |= x[d.reg * 4 + i]! & x[s * 4 + i]!; cz |= ~x[d.reg * 4 + i]! & x[s * 4 + i]!; }
  setArith(c, (z === 0 ? F_ZF : 0) | (cz === 0 ? F_CF : 0));
};
function q64(f: (al: number, ah: number, bl: number, bh: number) => [number, number]): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4;
    for (let j = 0; j < 2; j++) { const [l, h] = f(x[r + 2 * j]!, x[r + 2 * j + 1]!, x[s * 4 + 2 * j]!, x[s * 4 + 2 * j + 1]!); x[r + 2 * j] = l; x[r + 2 * j + 1] = h; }
  };
}
const pmuldq = q64((al, _ah, bl) => { const p = BigInt(al) * BigInt(bl); return [Number(BigInt.asIntN(32, p)), Number(BigInt.asIntN(32, p >> 32n))]; });
const pcmpeqq = q64((al, ah, bl, bh) => (al === bl && ah === bh ? [-1, -1] : [0, 0]));
const pcmpgtq = q64((al, ah, bl, bh) => ((ah > bh || (ah === bh && al >>> 0 > bl >>> 0)) ? [-1, -1] : [0, 0]));
const packusdw: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), x = c.x32, w = c.x16, t = XTMP2 * 8;
  const sat = (v: number) => (v < 0 ? 0 : v > 65535 ? 65535 : v);
  for (let i = 0; i < 4; i++) { w[t + i] = sat(x[d.reg * 4 + i]!); w[t + 4 + i] = sat(x[s * 4 + i]!); }
  copySlot(c, d.reg, XTMP2);
};
const phminposuw: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), w = c.x16;
  let m = w[s * 8]!, k = 0;
  for (let i = 1; i < 8; i++) if (w[s * 8 + i]! < m) { m = w[s * 8 + i]!; k = i; }
  const x = c.x32, r = d.reg * 4; x[r] = m | (k << 16); x[r + 1] = 0; x[r + 2] = 0; x[r + 3] = 0;
};
function roundP(dbl: boolean, scalar: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, scalar ? (dbl ? 8 : 4) : 16, !scalar);
    const mode = d.imm & 4 ? (c.mxcsr >> 13) & 3 : d.imm & 3;
    const n = scalar ? 1 : dbl ? 2 : 4, x = c.x32, t = XTMP2;
    copySlot(c, t, d.reg);
    for (let j = 0; j < n; j++) {
      if (dbl) {
        const lo = x[s * 4 + 2 * j]!, hi = x[s * 4 + 2 * j + 1]!;
        if (isNaN64(hi, lo)) { if (isSNaN64(hi, lo)) c.mxcsr |= FX_IE; x[t * 4 + 2 * j] = lo; x[t * 4 + 2 * j + 1] = hi | 0x80000; }
        else { const v = dz(c, c.xf64[s * 2 + j]!, false), r = roundMode(v, mode); if (r !== v && !(d.imm & 8)) c.mxcsr |= FX_PE; c.xf64[t * 2 + j] = r; }
      } else {
        const v = x[s * 4 + j]!;
        if (isNaN32(v)) { if (isSNaN32(v)) c.mxcsr |= FX_IE; x[t * 4 + j] = v | 0x400000; }
        else { const f = dz(c, c.xf32[s * 4 + j]!, true), r = roundMode(f, mode); if (r !== f && !(d.imm & 8)) c.mxcsr |= FX_PE; c.xf32[t * 4 + j] = r; }
      }
    }
    copySlot(c, d.reg, t);
  };
}
const dpps: Handler = (c, d) => {
  curC = c;
  const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, imm = d.imm;
  const p: number[] = [];
  for (let i = 0; i < 4; i++) p.push((imm >> (4 + i)) & 1 ? fp32(1, x[r + i]!, x[s * 4 + i]!) : 0);
  const sum = fp32(0, fp32(0, p[0]!, p[1]!), fp32(0, p[2]!, p[3]!));
  for (let i = 0; i < 4; i++) x[r + i] = (imm >> i) & 1 ? sum : 0;
};
const dppd: Handler = (c, d) => {
  curC = c;
  const s = xsrc(c, d, 16, true), x = c.x32, r = d.reg * 4, imm = d.imm;
  const prod = (j: number): [number, number] => {
    if (!((imm >> (4 + j)) & 1)) return [0, 0];
    const al = x[r + 2 * j]!, ah = x[r + 2 * j + 1]!, bl = x[s * 4 + 2 * j]!, bh = x[s * 4 + 2 * j + 1]!;
    if (isSNaN64(ah, al) || isSNaN64(bh, bl)) c.mxcsr |= FX_IE;
    if (isNaN64(ah, al)) return [al, ah | 0x80000];
    if (isNaN64(bh, bl)) return [bl, bh | 0x80000];
    const v = fpOp(c, 1, c.xf64[d.reg * 2 + j]!, c.xf64[s * 2 + j]!, false);
    if (v !== v) return [0, 0xfff80000 | 0];
    f64[0] = v; return [u64[0]!, u64[1]!];
  };
  const [l0, h0] = prod(0), [l1, h1] = prod(1);
  fp64(0, l0, h0, l1, h1);
  const rl = u64[0]!, rh = u64[1]!;
  for (let j = 0; j < 2; j++) { x[r + 2 * j] = (imm >> j) & 1 ? rl : 0; x[r + 2 * j + 1] = (imm >> j) & 1 ? rh : 0; }
};
const mpsadbw: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), b = c.x8, w = c.x16, t = XTMP2 * 8;
  const so = (d.imm & 3) * 4, dO = ((d.imm >> 2) & 1) * 4;
  for (let i = 0; i < 8; i++) { let sum = 0; for (let k = 0; k < 4; k++) sum += Math.abs(b[d.reg * 16 + dO + i + k]! - b[s * 16 + so + k]!); w[t + i] = sum; }
  copySlot(c, d.reg, XTMP2);
};
function pextr(bytes: number): Handler {
  return (c, d) => {
    const w = bytes === 8 && d.rexW ? 8 : bytes === 8 ? 4 : bytes;
    const x = c.x8, base = d.reg * 16, n = 16 / w, i = d.imm & (n - 1);
    let lo = 0, hi = 0;
    for (let k = 0; k < Math.min(w, 4); k++) lo |= x[base + i * w + k]! << (8 * k);
    if (w === 8) for (let k = 0; k < 4; k++) hi |= x[base + i * 8 + 4 + k]! << (8 * k);
    if (d.mod === 3) setReg(c, d.rm, w === 8 ? 8 : 4, lo >>> 0, hi >>> 0);
    else writeRM(c, d, w, lo >>> 0, hi >>> 0);
  };
}
function pinsr(bytes: number): Handler {
  return (c, d) => {
    const w = bytes === 8 && d.rexW ? 8 : bytes === 8 ? 4 : bytes;
    const lo = d.mod === 3 ? getReg(c, d.rm, w === 8 ? 8 : 4) : readRM(c, d, w), hi = c.th;
    const x = c.x8, base = d.reg * 16, n = 16 / w, i = d.imm & (n - 1);
    for (let k = 0; k < Math.min(w, 4); k++) x[base + i * w + k] = lo >>> (8 * k);
    if (w === 8) for (let k = 0; k < 4; k++) x[base + i * 8 + 4 + k] = hi >>> (8 * k);
  };
}
const extractps: Handler = (c, d) => { const v = c.x32[d.reg * 4 + (d.imm & 3)]! >>> 0; if (d.mod === 3) setReg(c, d.rm, 4, v, 0); else writeRM(c, d, 4, v, 0); };
const insertps: Handler = (c, d) => {
  const imm = d.imm, x = c.x32;
  let v: number;
  if (d.mod === 3) v = x[d.rm * 4 + ((imm >> 6) & 3)]!; else v = c.mem.r32(ea(c, d));
  x[d.reg * 4 + ((imm >> 4) & 3)] = v;
  for (let i = 0; i < 4; i++) if ((imm >> i) & 1) x[d.reg * 4 + i] = 0;
};
const movntdqa: Handler = (c, d) => { const s = xsrc(c, d, 16, true); copySlot(c, d.reg, s); };

// ---- SSE4.2 string compares and CRC32 -------------------------------------------------------------
function pcmpstr(explicit: boolean, index: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), imm = d.imm;
    const words = (imm & 1) !== 0, signed = (imm & 2) !== 0, n = words ? 8 : 16;
    const arr = words ? (signed ? c.xs16 : c.x16) : (signed ? c.xs8 : c.x8);
    const A: number[] = [], B: number[] = [];
    for (let i = 0; i < n; i++) { A.push(arr[d.reg * n + i]!); B.push(arr[s * n + i]!); }
    let la: number, lb: number;
    if (explicit) {
      const len = (r: number) => { let v: number; if (d.rexW) { const h = c.hi[r]!, l = c.lo[r]!; v = h < 0 ? (h === -1 && l < 0 ? -l : n) : (h > 0 ? n : l >>> 0); } else v = Math.abs(c.lo[r]!); return Math.min(v, n); };
      la = len(0); lb = len(2);
    } else {
      la = A.indexOf(0); if (la < 0) la = n;
      lb = B.indexOf(0); if (lb < 0) lb = n;
    }
    const agg = (imm >> 2) & 3;
    let res = 0;
    for (let j = 0; j < n; j++) {
      let bit = 0;
      const bv = j < lb;
      switch (agg) {
        case 0: if (bv) for (let i = 0; i < la; i++) if (A[i] === B[j]) { bit = 1; break; } break;
        case 1: if (bv) for (let i = 0; i + 1 < la; i += 2) if (B[j]! >= A[i]! && B[j]! <= A[i + 1]!) { bit = 1; break; } break;
        case 2: { const av = j < la; bit = av && bv ? (A[j] === B[j] ? 1 : 0) : (!av && !bv ? 1 : 0); break; }
        default: {
          bit = 1;
          for (let k = 0; k < n - j; k++) {
            const av = k < la, bvv = j + k < lb;
            if (!av) break;
            if (!bvv || A[k] !== B[j + k]) { bit = 0; break; }
          }
        }
      }
      res |= bit << j;
    }
    const pol = (imm >> 4) & 3, full = (1 << n) - 1;
    if (pol === 1) res = ~res & full;
    else if (pol === 3) res = (res ^ ((1 << lb) - 1)) & full;
    if (index) {
      let idx = n;
      if (res) idx = imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
      c.lo[1] = idx; c.hi[1] = 0;
    } else {
      const x = c.x32;
      if (imm & 0x40) { const v = words ? c.x16 : c.x8; for (let i = 0; i < n; i++) v[i] = (res >> i) & 1 ? (words ? 0xffff : 0xff) : 0; }
      else { x[0] = res; x[1] = 0; x[2] = 0; x[3] = 0; }
    }
    setArith(c, (res ? F_CF : 0) | (lb < n ? F_ZF : 0) | (la < n ? F_SF : 0) | (res & 1 ? F_OF : 0));
  };
}
const CRC = new Int32Array(256);
for (let i = 0; i < 256; i++) { let v = i; for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1; CRC[i] = v; }
function crc32(byteSrc: boolean): Handler {
  return (c, d) => {
    const w = byteSrc ? 1 : d.opsz;
    const lo = readRM(c, d, w), hi = c.th;
    let crc = c.lo[d.reg]! >>> 0;
    const feed = (v: number, nb: number) => { for (let k = 0; k < nb; k++) crc = (CRC[(crc ^ (v >>> (8 * k))) & 255]! ^ (crc >>> 8)) >>> 0; };
    feed(lo, Math.min(w, 4));
    if (w === 8) feed(hi, 4);
    c.lo[d.reg] = crc | 0; c.hi[d.reg] = 0;
  };
}

export function registerSse4(): void {
  const P = (map: number, op: number, hs: (Handler | undefined)[], imm = IMM_NONE, check?: (d: Insn) => boolean) =>
    def(map, op, { modrm: true, imm, pick: true, h: (d: Insn) => (check && !check(d) ? undefined : byPfx(hs)(d)) });
  const mem = (d: Insn) => d.mod !== 3;
  // SSE3
  P(1, 0xd0, [undefined, addsub(true), undefined, addsub(false)]);
  P(1, 0x7c, [undefined, hop(true, 0), undefined, hop(false, 0)]);
  P(1, 0x7d, [undefined, hop(true, 2), undefined, hop(false, 2)]);
  P(1, 0xf0, [undefined, undefined, undefined, lddqu], IMM_NONE, mem);
  // SSSE3 / SSE4.1 / SSE4.2 in 0F38
  const S = (op: number, h: Handler, check?: (d: Insn) => boolean) => P(2, op, only66(h), IMM_NONE, check);
  S(0x00, pshufb); S(0x01, hadd16(0, false)); S(0x02, hadd32(0)); S(0x03, hadd16(0, true)); S(0x04, pmaddubsw);
  S(0x05, hadd16(2, false)); S(0x06, hadd32(2)); S(0x07, hadd16(2, true));
  S(0x08, lanes(8, true, (a, b) => (b < 0 ? -a : b === 0 ? 0 : a))); S(0x09, lanes(16, true, (a, b) => (b < 0 ? -a : b === 0 ? 0 : a))); S(0x0a, lanes(32, true, (a, b) => (b < 0 ? -a : b === 0 ? 0 : a)));
  S(0x0b, lanes(16, true, (a, b) => (((a * b) >> 14) + 1) >> 1));
  S(0x1c, lanes(8, true, (_a, b) => Math.abs(b))); S(0x1d, lanes(16, true, (_a, b) => Math.abs(b))); S(0x1e, lanes(32, true, (_a, b) => Math.abs(b)));
  S(0x10, blendv(8)); S(0x14, blendv(32)); S(0x15, blendv(64)); S(0x17, ptest);
  S(0x20, pmovx(8, 16, true)); S(0x21, pmovx(8, 32, true)); S(0x22, pmovx(8, 64, true)); S(0x23, pmovx(16, 32, true)); S(0x24, pmovx(16, 64, true)); S(0x25, pmovx(32, 64, true));
  S(0x30, pmovx(8, 16, false)); S(0x31, pmovx(8, 32, false)); S(0x32, pmovx(8, 64, false)); S(0x33, pmovx(16, 32, false)); S(0x34, pmovx(16, 64, false)); S(0x35, pmovx(32, 64, false));
  S(0x28, pmuldq); S(0x29, pcmpeqq); S(0x2a, movntdqa, mem); S(0x2b, packusdw); S(0x37, pcmpgtq);
  S(0x38, lanes(8, true, Math.min)); S(0x39, lanes(32, true, Math.min)); S(0x3a, lanes(16, false, Math.min)); S(0x3b, lanes(32, false, Math.min));
  S(0x3c, lanes(8, true, Math.max)); S(0x3d, lanes(32, true, Math.max)); S(0x3e, lanes(16, false, Math.max)); S(0x3f, lanes(32, false, Math.max));
  S(0x40, lanes(32, true, Math.imul)); S(0x41, phminposuw);
  def(2, 0xf0, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.rep === 0xf2 ? crc32(true) : undefined) });
  def(2, 0xf1, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.rep === 0xf2 ? crc32(false) : undefined) });
  // 0F3A
  const T = (op: number, h: Handler, check?: (d: Insn) => boolean) => P(3, op, only66(h), IMM_B, check);
  T(0x08, roundP(false, false)); T(0x09, roundP(true, false)); T(0x0a, roundP(false, true)); T(0x0b, roundP(true, true));
  T(0x0c, blendI(32)); T(0x0d, blendI(64)); T(0x0e, blendI(16)); T(0x0f, palignr);
  T(0x14, pextr(1)); T(0x15, pextr(2)); T(0x16, pextr(8)); T(0x17, extractps);
  T(0x20, pinsr(1)); T(0x21, insertps); T(0x22, pinsr(8));
  T(0x40, dpps); T(0x41, dppd); T(0x42, mpsadbw);
  T(0x60, pcmpstr(true, false)); T(0x61, pcmpstr(true, true)); T(0x62, pcmpstr(false, false)); T(0x63, pcmpstr(false, true));
  void writeG; void GuestFault;
}
