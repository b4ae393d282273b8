/**
 * ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, TEST, INC/DEC, NOT/NEG (lazy flags).
 */
import { CpuState, FOP_ADD, FOP_SUB, FOP_ADC, FOP_SBB, FOP_LOGIC, FOP_INC, FOP_DEC } from "../state.js";
import type { Insn, Handler } from "../insn.js";
import { getCF } from "../flags.js";
import { def, byReg, allowLock, IMM_B, IMM_Z, IMM_NONE } from "../decode.js";
import { MASK, ea, readMem, readRMa, writeRMa, writeMem, getReg, setReg, readG, writeG, immW } from "../operands.js";

/**
 * Width-generic ALU operation (op = ModRM /reg order). Returns lo; hi in c.th for w = 8.
 * `store` >= 0: the result is also written to memory there, before the flags are recorded, so
 * a store that faults leaves the flags as they were (a faulting instruction does not retire).
 */
export function aluOp(c: CpuState, op: number, w: number, a: number, ah: number, b: number, bh: number, store = -1): number {
  let r = 0, rh = 0, fop: number, cf = 0;
  if (w === 8) {
    switch (op) {
      case 0: { const s = a + b; r = s >>> 0; rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; fop = FOP_ADD; break; }
      case 1: r = (a | b) >>> 0; rh = (ah | bh) >>> 0; fop = FOP_LOGIC; break;
      case 2: { cf = getCF(c); const s = a + b + cf; r = s >>> 0; rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; fop = FOP_ADC; break; }
      case 3: { cf = getCF(c); const s = a - b - cf; r = s >>> 0; rh = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; fop = FOP_SBB; break; }
      case 4: r = (a & b) >>> 0; rh = (ah & bh) >>> 0; fop = FOP_LOGIC; break;
      case 6: r = (a ^ b) >>> 0; rh = (ah ^ bh) >>> 0; fop = FOP_LOGIC; break;
      default: { const s = a - b; r = s >>> 0; rh = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; fop = FOP_SUB; break; }
    }
    if (store >= 0) writeMem(c, store, 8, r, rh);
    if (op === 2 || op === 3) c.fc = cf;
    c.fop = fop; c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = r; c.frh = rh; c.fw = 8;
    c.th = rh;
    return r;
  }
  const m = MASK[w]!;
  switch (op) {
    case 0: r = ((a + b) & m) >>> 0; fop = FOP_ADD; break;
    case 1: r = (a | b) >>> 0; fop = FOP_LOGIC; break;
    case 2: cf = getCF(c); r = ((a + b + cf) & m) >>> 0; fop = FOP_ADC; break;
    case 3: cf = getCF(c); r = ((a - b - cf) & m) >>> 0; fop = FOP_SBB; break;
    case 4: r = (a & b) >>> 0; fop = FOP_LOGIC; break;
    case 6: r = (a ^ b) >>> 0; fop = FOP_LOGIC; break;
    default: r = ((a - b) & m) >>> 0; fop = FOP_SUB; break;
  }
  if (store >= 0) writeMem(c, store, w, r, 0);
  if (op === 2 || op === 3) c.fc = cf;
  c.fop = fop; c.fa = a; c.fb = b; c.fr = r; c.fw = w;
  return r;
}

function formEG(op: number): Handler {
  return (c, d) => {
    const w = d.opsz;
    if (d.mod === 3) {
      const rm = w === 1 ? d.rm8 : d.rm;
      const a = getReg(c, rm, w), ah = c.th;
      const b = readG(c, d, w), bh = c.th;
      const r = aluOp(c, op, w, a, ah, b, bh);
      if (op !== 7) setReg(c, rm, w, r, c.th);
    } else {
      const addr = ea(c, d);
      const a = readMem(c, addr, w), ah = c.th;
      const b = readG(c, d, w), bh = c.th;
      aluOp(c, op, w, a, ah, b, bh, op !== 7 ? addr : -1);
    }
  };
}
function formGE(op: number): Handler {
  return (c, d) => {
    const w = d.opsz;
    const a = readG(c, d, w), ah = c.th;
    const b = readRMa(c, d, d.mod === 3 ? 0 : ea(c, d), w), bh = c.th;
    const r = aluOp(c, op, w, a, ah, b, bh);
    if (op !== 7) writeG(c, d, w, r, c.th);
  };
}
function formAI(op: number): Handler {
  return (c, d) => {
    const w = d.opsz;
    const a = getReg(c, 0, w), ah = c.th;
    const b = immW(c, d, w), bh = c.th;
    const r = aluOp(c, op, w, a, ah, b, bh);
    if (op !== 7) setReg(c, 0, w, r, c.th);
  };
}
function formEI(op: number): Handler {
  return (c, d) => {
    const w = d.opsz;
    const addr = d.mod === 3 ? 0 : ea(c, d);
    const a = readRMa(c, d, addr, w), ah = c.th;
    const b = immW(c, d, w), bh = c.th;
    const r = aluOp(c, op, w, a, ah, b, bh, op !== 7 && d.mod !== 3 ? addr : -1);
    if (op !== 7 && d.mod === 3) setReg(c, w === 1 ? d.rm8 : d.rm, w, r, c.th);
  };
}

export const testEI: Handler = (c, d) => {
  const w = d.opsz;
  const a = readRMa(c, d, d.mod === 3 ? 0 : ea(c, d), w), ah = c.th;
  const b = immW(c, d, w), bh = c.th;
  aluOp(c, 4, w, a, ah, b, bh);
};
const testEG: Handler = (c, d) => {
  const w = d.opsz;
  const a = readRMa(c, d, d.mod === 3 ? 0 : ea(c, d), w), ah = c.th;
  const b = readG(c, d, w), bh = c.th;
  aluOp(c, 4, w, a, ah, b, bh);
};
const testAI: Handler = (c, d) => {
  const w = d.opsz;
  const a = getReg(c, 0, w), ah = c.th;
  const b = immW(c, d, w), bh = c.th;
  aluOp(c, 4, w, a, ah, b, bh);
};

function incDec(dec: boolean): Handler {
  return (c, d) => {
    const w = d.opsz;
    const addr = d.mod === 3 ? 0 : ea(c, d);
    const a = readRMa(c, d, addr, w), ah = c.th;
    const cf = getCF(c);
    let r: number, rh = 0;
    if (w === 8) {
      if (dec) { const s = a - 1; r = s >>> 0; rh = (ah - (s < 0 ? 1 : 0)) >>> 0; }
      else { const s = a + 1; r = s >>> 0; rh = (ah + (s > 0xffffffff ? 1 : 0)) >>> 0; }
    } else r = ((dec ? a - 1 : a + 1) & MASK[w]!) >>> 0;
    writeRMa(c, d, addr, w, r, rh);
    // the flag record only after the store: one that faults leaves it as it was
    if (w === 8) { c.fah = ah; c.fbh = 0; c.frh = rh; }
    c.fa = a; c.fb = 1; c.fr = r; c.fw = w; c.fc = cf; c.fop = dec ? FOP_DEC : FOP_INC;
  };
}
export const incE = incDec(false), decE = incDec(true);

export const notE: Handler = (c, d) => {
  const w = d.opsz;
  const addr = d.mod === 3 ? 0 : ea(c, d);
  const a = readRMa(c, d, addr, w), ah = c.th;
  writeRMa(c, d, addr, w, (~a & MASK[w]!) >>> 0, (~ah) >>> 0);
};
export const negE: Handler = (c, d) => {
  const w = d.opsz;
  const addr = d.mod === 3 ? 0 : ea(c, d);
  const a = readRMa(c, d, addr, w), ah = c.th;
  const r = aluOp(c, 5, w, 0, 0, a, ah, d.mod !== 3 ? addr : -1);
  if (d.mod === 3) setReg(c, w === 1 ? d.rm8 : d.rm, w, r, c.th);
};

export function registerAlu(): void {
  for (let op = 0; op < 8; op++) {
    const base = op << 3;
    def(0, base + 0, { modrm: true, imm: IMM_NONE, byteOp: true, h: formEG(op) });
    def(0, base + 1, { modrm: true, imm: IMM_NONE, h: formEG(op) });
    def(0, base + 2, { modrm: true, imm: IMM_NONE, byteOp: true, h: formGE(op) });
    def(0, base + 3, { modrm: true, imm: IMM_NONE, h: formGE(op) });
    def(0, base + 4, { modrm: false, imm: IMM_B, byteOp: true, h: formAI(op) });
    def(0, base + 5, { modrm: false, imm: IMM_Z, h: formAI(op) });
    if (op !== 7) { allowLock(0, base + 0); allowLock(0, base + 1); }
  }
  const grp = [0, 1, 2, 3, 4, 5, 6, 7].map(formEI);
  def(0, 0x80, { modrm: true, imm: IMM_B, byteOp: true, pick: true, h: byReg(grp) });
  def(0, 0x81, { modrm: true, imm: IMM_Z, pick: true, h: byReg(grp) });
  def(0, 0x83, { modrm: true, imm: IMM_B, pick: true, h: byReg(grp) });
  for (const op of [0x80, 0x81, 0x83]) allowLock(0, op, (r) => r !== 7);
  def(0, 0x84, { modrm: true, imm: IMM_NONE, byteOp: true, h: testEG });
  def(0, 0x85, { modrm: true, imm: IMM_NONE, h: testEG });
  def(0, 0xa8, { modrm: false, imm: IMM_B, byteOp: true, h: testAI });
  def(0, 0xa9, { modrm: false, imm: IMM_Z, h: testAI });
  def(0, 0xfe, { modrm: true, imm: IMM_NONE, byteOp: true, pick: true, h: byReg([incE, decE]) });
  allowLock(0, 0xfe, (r) => r < 2);
}

export type { Insn };
