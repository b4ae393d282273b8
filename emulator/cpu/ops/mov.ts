/**
 * Data movement: MOV forms, LEA, MOVZX/MOVSX/MOVSXD, CBW/CWD families, XCHG, moffs,
 * LAHF/SAHF and the flag-bit instructions (CLC/STC/CMC/CLD/STD), NOP forms, BSWAP.
 */
import { F_CF, F_DF } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import type { CpuState } from "../state.js";
import { getFlags, materialize, setFlags } from "../flags.js";
import { def, byReg, byPfx, allowLock, IMM_B, IMM_Z, IMM_V, IMM_NONE, IMM_MOFFS } from "../decode.js";
import { BASE_RIP } from "../insn.js";
import { ea, readRM, readRMa, writeRMa, writeRM, getReg, setReg, readG, writeG, immW } from "../operands.js";

const movEG: Handler = (c, d) => { const w = d.opsz; const v = readG(c, d, w); writeRM(c, d, w, v, c.th); };
const movGE: Handler = (c, d) => { const w = d.opsz; const v = readRM(c, d, w); writeG(c, d, w, v, c.th); };
const movEI: Handler = (c, d) => { const w = d.opsz; const v = immW(c, d, w); writeRM(c, d, w, v, c.th); };
const movRI: Handler = (c, d) => {
  const w = d.opsz;
  if (w === 8) { c.lo[d.rm] = d.imm; c.hi[d.rm] = d.immHi; return; }
  setReg(c, w === 1 ? d.rm8 : d.rm, w, immW(c, d, w), 0);
};

/** Address computation without the segment base (LEA). */
export function leaAddr(c: CpuState, d: Insn): number {
  const s = d.seg; d.seg = 0;
  const a = ea(c, d);
  d.seg = s;
  return a;
}
/** LEA with exact 64-bit wrap-around arithmetic (LEA is often used for plain integer math). */
const lea: Handler = (c, d) => {
  let lo = d.disp >>> 0, hi = d.disp >> 31;
  const b = d.base;
  if (b >= 0) { const s = lo + (c.lo[b]! >>> 0); hi = hi + c.hi[b]! + (s > 0xffffffff ? 1 : 0); lo = s >>> 0; }
  else if (b === BASE_RIP) { const n = d.next; const s = lo + (n >>> 0); hi = hi + Math.floor(n / 4294967296) + (s > 0xffffffff ? 1 : 0); lo = s >>> 0; }
  const x = d.index;
  if (x >= 0) {
    let il = c.lo[x]! >>> 0, ih = c.hi[x]!;
    const sh = d.scale === 1 ? 0 : d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
    if (sh) { ih = (ih << sh) | (il >>> (32 - sh)); il = (il << sh) >>> 0; }
    const s = lo + il; hi = hi + ih + (s > 0xffffffff ? 1 : 0); lo = s >>> 0;
  }
  const w = d.opsz;
  if (w === 8 && !d.asz32) { c.lo[d.reg] = lo | 0; c.hi[d.reg] = hi | 0; }
  else setReg(c, d.reg, w, w === 2 ? lo & 0xffff : lo | 0, 0);
};

function movx(srcW: number, signed: boolean): Handler {
  return (c, d) => {
    const w = d.opsz;
    let v = readRM(c, d, srcW);
    if (signed) v = srcW === 1 ? (v << 24) >> 24 : srcW === 2 ? (v << 16) >> 16 : v | 0;
    if (w === 8) { c.lo[d.reg] = v; c.hi[d.reg] = signed ? v >> 31 : 0; }
    else setReg(c, d.reg, w, w === 2 ? v & 0xffff : v, 0);
  };
}
const movsxd: Handler = (c, d) => {
  if (d.opsz === 8) { const v = readRM(c, d, 4) | 0; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; }
  else { const w = d.opsz; writeG(c, d, w, readRM(c, d, w), 0); }
};
const cbw: Handler = (c, d) => {
  switch (d.opsz) {
    case 2: setReg(c, 0, 2, ((c.lo[0]! << 24) >> 24) & 0xffff, 0); break;
    case 4: setReg(c, 0, 4, (c.lo[0]! << 16) >> 16, 0); break;
    default: c.hi[0] = c.lo[0]! >> 31;
  }
};
const cwd: Handler = (c, d) => {
  switch (d.opsz) {
    case 2: setReg(c, 2, 2, ((c.lo[0]! << 16) >> 31) & 0xffff, 0); break;
    case 4: setReg(c, 2, 4, c.lo[0]! >> 31, 0); break;
    default: { const s = c.hi[0]! >> 31; c.lo[2] = s; c.hi[2] = s; }
  }
};
const xchgEG: Handler = (c, d) => {
  const w = d.opsz;
  const a = d.mod === 3 ? 0 : ea(c, d);
  const x = readRMa(c, d, a, w), xh = c.th;
  const y = readG(c, d, w), yh = c.th;
  writeRMa(c, d, a, w, y, yh);
  writeG(c, d, w, x, xh);
};
const xchgAR: Handler = (c, d) => {
  const w = d.opsz, r = d.rm;
  const x = getReg(c, 0, w), xh = c.th;
  const y = getReg(c, r, w), yh = c.th;
  setReg(c, 0, w, y, yh); setReg(c, r, w, x, xh);
};
/** NOP and the hint NOPs (multi-byte NOP, PAUSE, prefetches, ENDBR64): fast.ts gives them an inline form. */
export const nop: Handler = () => {};
const movAO: Handler = (c, d) => { const w = d.opsz; const v = readRM(c, d, w); setReg(c, 0, w, v, c.th); };
const movOA: Handler = (c, d) => { const w = d.opsz; const v = getReg(c, 0, w); writeRM(c, d, w, v, c.th); };
const lahf: Handler = (c) => { const f = getFlags(c); c.lo[0] = (c.lo[0]! & ~0xff00) | ((f & 0xd5 | 2) << 8); };
const sahf: Handler = (c) => { materialize(c); c.flags = (c.flags & ~0xd5) | ((c.lo[0]! >> 8) & 0xd5); };
const flagOp = (clear: number, set: number, toggle: number): Handler => (c) => {
  materialize(c); c.flags = ((c.flags & ~clear) | set) ^ toggle;
};
const bswap: Handler = (c, d) => {
  const r = d.rm;
  const sw = (v: number) => ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  if (d.opsz === 8) { const l = c.lo[r]!; c.lo[r] = sw(c.hi[r]!); c.hi[r] = sw(l); }
  else if (d.opsz === 4) { c.lo[r] = sw(c.lo[r]!); c.hi[r] = 0; }
  else c.lo[r] = c.lo[r]! & ~0xffff; // BSWAP r16 is undefined; hardware clears the low word
};

export function registerMov(): void {
  def(0, 0x88, { modrm: true, imm: IMM_NONE, byteOp: true, h: movEG });
  def(0, 0x89, { modrm: true, imm: IMM_NONE, h: movEG });
  def(0, 0x8a, { modrm: true, imm: IMM_NONE, byteOp: true, h: movGE });
  def(0, 0x8b, { modrm: true, imm: IMM_NONE, h: movGE });
  def(0, 0xc6, { modrm: true, imm: IMM_B, byteOp: true, pick: true, h: byReg([movEI]) });
  def(0, 0xc7, { modrm: true, imm: IMM_Z, pick: true, h: byReg([movEI]) });
  for (let r = 0; r < 8; r++) {
    def(0, 0xb0 + r, { modrm: false, imm: IMM_B, byteOp: true, h: movRI });
    def(0, 0xb8 + r, { modrm: false, imm: IMM_V, h: movRI });
  }
  def(0, 0x8d, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod === 3 ? undefined : lea) });
  def(1, 0xb6, { modrm: true, imm: IMM_NONE, h: movx(1, false) });
  def(1, 0xb7, { modrm: true, imm: IMM_NONE, h: movx(2, false) });
  def(1, 0xbe, { modrm: true, imm: IMM_NONE, h: movx(1, true) });
  def(1, 0xbf, { modrm: true, imm: IMM_NONE, h: movx(2, true) });
  def(0, 0x63, { modrm: true, imm: IMM_NONE, h: movsxd });
  def(0, 0x98, { modrm: false, imm: IMM_NONE, h: cbw });
  def(0, 0x99, { modrm: false, imm: IMM_NONE, h: cwd });
  def(0, 0x86, { modrm: true, imm: IMM_NONE, byteOp: true, h: xchgEG });
  def(0, 0x87, { modrm: true, imm: IMM_NONE, h: xchgEG });
  allowLock(0, 0x86); allowLock(0, 0x87);
  def(0, 0x90, { modrm: false, imm: IMM_NONE, pick: true, h: (d: Insn) => ((d.rex & 1) ? xchgAR : nop) });
  for (let r = 1; r < 8; r++) def(0, 0x90 + r, { modrm: false, imm: IMM_NONE, h: xchgAR });
  def(0, 0xa0, { modrm: false, imm: IMM_MOFFS, byteOp: true, h: movAO });
  def(0, 0xa1, { modrm: false, imm: IMM_MOFFS, h: movAO });
  def(0, 0xa2, { modrm: false, imm: IMM_MOFFS, byteOp: true, h: movOA });
  def(0, 0xa3, { modrm: false, imm: IMM_MOFFS, h: movOA });
  def(0, 0x9e, { modrm: false, imm: IMM_NONE, h: sahf });
  def(0, 0x9f, { modrm: false, imm: IMM_NONE, h: lahf });
  def(0, 0xf5, { modrm: false, imm: IMM_NONE, h: flagOp(0, 0, F_CF) });
  def(0, 0xf8, { modrm: false, imm: IMM_NONE, h: flagOp(F_CF, 0, 0) });
  def(0, 0xf9, { modrm: false, imm: IMM_NONE, h: flagOp(0, F_CF, 0) });
  def(0, 0xfc, { modrm: false, imm: IMM_NONE, h: flagOp(F_DF, 0, 0) });
  def(0, 0xfd, { modrm: false, imm: IMM_NONE, h: flagOp(0, F_DF, 0) });
  def(1, 0x1f, { modrm: true, imm: IMM_NONE, h: nop });
  def(1, 0x0d, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod === 3 ? undefined : nop) });
  def(1, 0x18, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod === 3 || (d.reg & 7) > 3 ? (d.mod === 3 ? undefined : nop) : nop) });
  for (let r = 0; r < 8; r++) def(1, 0xc8 + r, { modrm: false, imm: IMM_NONE, h: bswap });
  void byPfx; void setFlags; void BASE_RIP;
}
