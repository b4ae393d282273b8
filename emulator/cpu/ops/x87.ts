/**
 * x87 subset. Values are held as doubles (64-bit precision, not 80-bit): FLD/FSTP m80 convert
 * exactly when the value fits a double. Covers the control/status words and the loads, stores,
 * arithmetic and compares that libc code commonly uses. Unsupported forms raise #UD.
 */
import type { CpuState } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { F_CF, F_PF, F_ZF } from "../state.js";
import { setArith } from "../flags.js";
import { def, IMM_NONE } from "../decode.js";
import { ea } from "../operands.js";
import { roundMode } from "./sse-float.js";

const f64 = new Float64Array(1), u32 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);

function st(c: CpuState, i: number): number { return c.st[(c.ftop + i) & 7]!; }
function setSt(c: CpuState, i: number, v: number): void { c.st[(c.ftop + i) & 7] = v; }
function push(c: CpuState, v: number): void {
  c.ftop = (c.ftop - 1) & 7; c.st[c.ftop] = v; c.ftag &= ~(3 << (c.ftop * 2));
}
function pop(c: CpuState): number {
  const v = c.st[c.ftop]!; c.ftag |= 3 << (c.ftop * 2); c.ftop = (c.ftop + 1) & 7; return v;
}

/** 80-bit extended at address -> double. */
export function readF80(c: CpuState, a: number): number {
  const m = c.mem;
  const lo = m.r32(a) >>> 0, hi = m.r32(a + 4) >>> 0, se = m.r16(a + 8);
  const sign = se & 0x8000 ? -1 : 1, e = se & 0x7fff;
  if (e === 0x7fff) return (hi & 0x7fffffff) === 0 && lo === 0 ? sign * Infinity : NaN;
  const mant = hi * 4294967296 + lo; // rounding to double may occur here (documented gap)
  return sign * mant * Math.pow(2, e - 16383 - 63);
}
export function writeF80(c: CpuState, a: number, v: number): void {
  const m = c.mem;
  m.checkW(a, 10);
  let se = 0, hi = 0, lo = 0;
  if (v !== v) { se = 0xffff; hi = 0xc0000000; }
  else if (!isFinite(v)) { se = v < 0 ? 0xffff : 0x7fff; hi = 0x80000000; }
  else if (v !== 0 || 1 / v < 0) {
    f64[0] = v;
    const bh = u32[1]!, bl = u32[0]!;
    se = bh & 0x80000000 ? 0x8000 : 0;
    let e = (bh >>> 20) & 0x7ff;
    let mh = bh & 0xfffff, ml = bl;
    if (e === 0 && (mh | ml) !== 0) { // double denormal: normalize
      let shift = 0;
      while (!(mh & 0x100000)) { mh = (mh << 1) | (ml >>> 31); ml <<= 1; shift++; }
      e = 1 - shift; mh &= 0xfffff;
    }
    if (e !== 0 || (mh | ml) !== 0) {
      se |= e - 1023 + 16383;
      hi = (0x80000000 | (mh << 11) | (ml >>> 21)) >>> 0;
      lo = (ml << 11) >>> 0;
    }
  }
  m.w32(a, lo); m.w32(a + 4, hi); m.w16(a + 8, se);
}

function memOp(c: CpuState, d: Insn, kind: number): number {
  const a = ea(c, d), m = c.mem;
  switch (kind) {
    case 0: i32[0] = m.r32(a); return f32[0]!; // m32fp
    case 1: u32[0] = m.r32(a); u32[1] = m.r32(a + 4); return f64[0]!; // m64fp
    case 2: return m.r32(a); // m32int
    default: return (m.r16(a) << 16) >> 16; // m16int
  }
}
function arith(op: number, a: number, b: number): number {
  switch (op) {
    case 0: return a + b;
    case 1: return a * b;
    case 4: return a - b;
    case 5: return b - a;
    case 6: return a / b;
    default: return b / a;
  }
}
function fcomFlags(c: CpuState, a: number, b: number, eflags: boolean): void {
  const un = a !== a || b !== b;
  const cz = un ? 7 : a < b ? 1 : a === b ? 4 : 0; // bit0 C0/CF, bit1 C2/PF, bit2 C3/ZF
  if (eflags) setArith(c, (cz & 1 ? F_CF : 0) | (cz & 2 || un ? F_PF : 0) | (cz & 4 ? F_ZF : 0));
  else c.fsw = (c.fsw & ~0x4500) | (cz & 1 ? 0x100 : 0) | (un ? 0x400 : 0) | (cz & 4 ? 0x4000 : 0);
}
function fsw(c: CpuState): number { return (c.fsw & ~0x3800) | ((c.ftop & 7) << 11); }
function toInt(c: CpuState, v: number, bits: number, trunc: boolean): number {
  const r = v !== v ? NaN : roundMode(v, trunc ? 3 : (c.fcw >> 10) & 3);
  const lim = 2 ** (bits - 1);
  return r >= -lim && r < lim ? r : -lim;
}
function storeInt(c: CpuState, a: number, v: number, bits: number): void {
  if (bits === 16) c.mem.w16(a, v & 0xffff);
  else if (bits === 32) c.mem.w32(a, v | 0);
  else c.mem.w64(a, v | 0, Math.floor(v / 4294967296) | 0);
}

const x87: Handler = (c, d) => {
  const op = d.op, r = d.reg & 7, i = d.rm & 7;
  if (d.mod !== 3) {
    const a = ea(c, d);
    switch (op) {
      case 0xd8: case 0xdc: case 0xda: case 0xde: {
        const v = memOp(c, d, op === 0xd8 ? 0 : op === 0xdc ? 1 : op === 0xda ? 2 : 3);
        if (r === 2 || r === 3) { fcomFlags(c, st(c, 0), v, false); if (r === 3) pop(c); return; }
        setSt(c, 0, arith(r, st(c, 0), v)); return;
      }
      case 0xd9:
        switch (r) {
          case 0: push(c, memOp(c, d, 0)); return;
          case 2: case 3: f32[0] = st(c, 0); c.mem.w32(a, i32[0]!); if (r === 3) pop(c); return;
          case 5: c.fcw = c.mem.r16(a); return;
          case 7: c.mem.w16(a, c.fcw); return;
        }
        break;
      case 0xdd:
        switch (r) {
          case 0: push(c, memOp(c, d, 1)); return;
          case 1: { const v = toInt(c, st(c, 0), 64, true); storeInt(c, a, v, 64); pop(c); return; }
          case 2: case 3: f64[0] = st(c, 0); c.mem.w64(a, u32[0]!, u32[1]!); if (r === 3) pop(c); return;
          case 7: c.mem.w16(a, fsw(c)); return;
        }
        break;
      case 0xdb:
        switch (r) {
          case 0: push(c, memOp(c, d, 2)); return;
          case 1: case 2: case 3: { const v = toInt(c, st(c, 0), 32, r === 1); storeInt(c, a, v, 32); if (r !== 2) pop(c); return; }
          case 5: push(c, readF80(c, a)); return;
          case 7: writeF80(c, a, st(c, 0)); pop(c); return;
        }
        break;
      case 0xdf:
        switch (r) {
          case 0: push(c, memOp(c, d, 3)); return;
          case 1: case 2: case 3: { const v = toInt(c, st(c, 0), 16, r === 1); storeInt(c, a, v, 16); if (r !== 2) pop(c); return; }
          case 5: { const lo = c.mem.r32(a) >>> 0, hi = c.mem.r32(a + 4); push(c, hi * 4294967296 + lo); return; }
          case 7: { const v = toInt(c, st(c, 0), 64, false); storeInt(c, a, v, 64); pop(c); return; }
        }
        break;
    }
    throw new (class { })() as never;
  }
  switch (op) {
    case 0xd8: case 0xdc: case 0xde: {
      if (r === 2 || r === 3) { fcomFlags(c, st(c, 0), st(c, i), false); if (r === 3) pop(c); if (op === 0xde && r === 3) pop(c); return; }
      if (op === 0xd8) setSt(c, 0, arith(r, st(c, 0), st(c, i)));
      else { const rr = r >= 4 ? r ^ 1 : r; setSt(c, i, arith(rr, st(c, i), st(c, 0))); if (op === 0xde) pop(c); }
      return;
    }
    case 0xd9:
      if (r === 0) { push(c, st(c, i)); return; }
      if (r === 1) { const t = st(c, 0); setSt(c, 0, st(c, i)); setSt(c, i, t); return; }
      switch (d.rm & 7 | (r << 3)) {
        case 0x20: setSt(c, 0, -st(c, 0)); return; // fchs
        case 0x21: setSt(c, 0, Math.abs(st(c, 0))); return; // fabs
        case 0x24: fcomFlags(c, st(c, 0), 0, false); return; // ftst
        case 0x28: push(c, 1); return;
        case 0x2e: push(c, 0); return;
        case 0x3a: setSt(c, 0, Math.sqrt(st(c, 0))); return;
        case 0x3c: setSt(c, 0, roundMode(st(c, 0), (c.fcw >> 10) & 3)); return; // frndint
        case 0x10: return; // fnop
      }
      break;
    case 0xdd:
      if (r === 0) { c.ftag |= 3 << (((c.ftop + i) & 7) * 2); return; } // ffree
      if (r === 2) { setSt(c, i, st(c, 0)); return; }
      if (r === 3) { setSt(c, i, st(c, 0)); pop(c); return; }
      if (r === 4 || r === 5) { fcomFlags(c, st(c, 0), st(c, i), false); if (r === 5) pop(c); return; }
      break;
    case 0xdb:
      if (r === 5 || r === 6) { fcomFlags(c, st(c, 0), st(c, i), true); return; }
      if (d.rm === 3 && r === 4) { c.fcw = 0x37f; c.fsw = 0; c.ftop = 0; c.ftag = 0xffff; return; } // fninit
      if (d.rm === 2 && r === 4) { c.fsw &= ~0x80ff; return; } // fnclex
      break;
    case 0xdf:
      if (r === 4 && (d.rm & 7) === 0) { c.lo[0] = (c.lo[0]! & ~0xffff) | fsw(c); return; } // fnstsw ax
      if (r === 5 || r === 6) { fcomFlags(c, st(c, 0), st(c, i), true); pop(c); return; }
      break;
    case 0xda:
      if (r === 5 && (d.rm & 7) === 1) { fcomFlags(c, st(c, 0), st(c, 1), false); pop(c); pop(c); return; }
      break;
  }
  throw new (class { })() as never;
};

/** Pick: only the forms handled above; everything else decodes to #UD. */
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
    case 0xd9: return r <= 1 || [0x20, 0x21, 0x24, 0x28, 0x2e, 0x3a, 0x3c, 0x10].includes(rm | (r << 3));
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
