/**
 * Operand access helpers shared by all instruction families.
 *
 * Width-generic values: for w = 1, 2, 4 a value is an unsigned number truncated to the width;
 * for w = 8 the function returns the unsigned low half and leaves the unsigned high half in c.th.
 */
import type { CpuState } from "./state.js";
import { Insn, BASE_RIP, SEG_FS } from "./insn.js";

export const MASK = [0, 0xff, 0xffff, 0, -1, 0, 0, 0, -1];

/**
 * Effective address of the memory operand. BASE_RIP (-2) and SEG_FS (1) are literals here:
 * V8 reads an imported const at run time, and every generic memory operand comes through here.
 */
export function ea(c: CpuState, d: Insn): number {
  let a = d.disp;
  const b = d.base;
  if (b >= 0) a += c.hi[b]! * 4294967296 + (c.lo[b]! >>> 0);
  else if (b === -2) a += d.next;
  const x = d.index;
  if (x >= 0) a += (c.hi[x]! * 4294967296 + (c.lo[x]! >>> 0)) * d.scale;
  if (d.asz32) a = a - Math.floor(a / 4294967296) * 4294967296;
  if (d.seg !== 0) a += d.seg === 1 ? c.fsBase : c.gsBase;
  return a;
}
if (BASE_RIP !== -2 || SEG_FS !== 1) throw new Error("operands.ts: ea() literals out of date");

export function getR8(c: CpuState, r: number): number {
  return r < 16 ? c.lo[r]! & 255 : (c.lo[r - 16]! >>> 8) & 255;
}
export function setR8(c: CpuState, r: number, v: number): void {
  if (r < 16) c.lo[r] = (c.lo[r]! & ~255) | (v & 255);
  else { const k = r - 16; c.lo[k] = (c.lo[k]! & ~0xff00) | ((v & 255) << 8); }
}

/** Read register r at width w (r is a byte-register code when w === 1). */
export function getReg(c: CpuState, r: number, w: number): number {
  switch (w) {
    case 1: return getR8(c, r);
    case 2: return c.lo[r]! & 0xffff;
    case 4: return c.lo[r]! >>> 0;
    default: c.th = c.hi[r]! >>> 0; return c.lo[r]! >>> 0;
  }
}
/** Write register r at width w (32-bit writes zero the upper half). */
export function setReg(c: CpuState, r: number, w: number, v: number, vh: number): void {
  switch (w) {
    case 1: setR8(c, r, v); return;
    case 2: c.lo[r] = (c.lo[r]! & ~0xffff) | (v & 0xffff); return;
    case 4: c.lo[r] = v; c.hi[r] = 0; return;
    default: c.lo[r] = v; c.hi[r] = vh;
  }
}

export function readMem(c: CpuState, a: number, w: number): number {
  const m = c.mem;
  switch (w) {
    case 1: return m.r8(a);
    case 2: return m.r16(a);
    case 4: return m.r32(a) >>> 0;
    default: {
      const lo = m.r32(a) >>> 0;
      c.th = m.r32(a + 4) >>> 0;
      return lo;
    }
  }
}
export function writeMem(c: CpuState, a: number, w: number, v: number, vh: number): void {
  const m = c.mem;
  switch (w) {
    case 1: m.w8(a, v); return;
    case 2: m.w16(a, v); return;
    case 4: m.w32(a, v); return;
    default: m.w64(a, v, vh);
  }
}

/** Read the ModRM r/m operand at width w. */
export function readRM(c: CpuState, d: Insn, w: number): number {
  if (d.mod === 3) return getReg(c, w === 1 ? d.rm8 : d.rm, w);
  return readMem(c, ea(c, d), w);
}
/** Read r/m when the address is already computed (a ignored for registers). */
export function readRMa(c: CpuState, d: Insn, a: number, w: number): number {
  if (d.mod === 3) return getReg(c, w === 1 ? d.rm8 : d.rm, w);
  return readMem(c, a, w);
}
export function writeRMa(c: CpuState, d: Insn, a: number, w: number, v: number, vh: number): void {
  if (d.mod === 3) setReg(c, w === 1 ? d.rm8 : d.rm, w, v, vh);
  else writeMem(c, a, w, v, vh);
}
export function writeRM(c: CpuState, d: Insn, w: number, v: number, vh: number): void {
  if (d.mod === 3) setReg(c, w === 1 ? d.rm8 : d.rm, w, v, vh);
  else writeMem(c, ea(c, d), w, v, vh);
}
/** Read the ModRM reg operand. */
export function readG(c: CpuState, d: Insn, w: number): number {
  return getReg(c, w === 1 ? d.reg8 : d.reg, w);
}
export function writeG(c: CpuState, d: Insn, w: number, v: number, vh: number): void {
  setReg(c, w === 1 ? d.reg8 : d.reg, w, v, vh);
}

/** Immediate at width w (sign-extended to the width), lo; hi in c.th for w = 8. */
export function immW(c: CpuState, d: Insn, w: number): number {
  if (w === 8) { c.th = d.immHi >>> 0; return d.imm >>> 0; }
  return (d.imm & MASK[w]!) >>> 0;
}

// ---- stack ---------------------------------------------------------------------------
export function rsp(c: CpuState): number { return c.hi[4]! * 4294967296 + (c.lo[4]! >>> 0); }
export function setRsp(c: CpuState, v: number): void { c.lo[4] = v | 0; c.hi[4] = Math.floor(v / 4294967296) | 0; }
export function push64(c: CpuState, lo: number, hi: number): void {
  const s = rsp(c) - 8;
  c.mem.w64(s, lo, hi);
  setRsp(c, s);
}
/** Push an address held in a double. */
export function pushAddr(c: CpuState, v: number): void {
  push64(c, v | 0, Math.floor(v / 4294967296) | 0);
}
export function pop64(c: CpuState): number {
  const s = rsp(c);
  const lo = c.mem.r32(s) >>> 0;
  c.th = c.mem.r32(s + 4) >>> 0;
  setRsp(c, s + 8);
  return lo;
}
/** Double from an unsigned lo/hi pair interpreted as signed 64-bit. */
export function toNum(lo: number, hi: number): number { return (hi | 0) * 4294967296 + (lo >>> 0); }

// ---- loads and stores of the handlers' fast forms: Memory's own TLB paths (a 64-bit load
// reads both halves with one lookup, r64)
/** The high half (int32) of the last load64. */
export let loadHi = 0;
/** 64-bit read at a: the low half as int32, the high half in loadHi. */
export function load64(c: CpuState, a: number): number {
  const m = c.mem, lo = m.r64(a);
  loadHi = m.r64Hi;
  return lo;
}
/** 32-bit read at a, as int32. */
export function load32(c: CpuState, a: number): number { return c.mem.r32(a); }
export function store64(c: CpuState, a: number, lo: number, hi: number): void { c.mem.w64(a, lo, hi); }
export function store32(c: CpuState, a: number, v: number): void { c.mem.w32(a, v); }
