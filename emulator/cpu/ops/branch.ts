/**
 * Control transfer: Jcc, JMP, CALL, RET, LOOP/JRCXZ, CMOVcc, SETcc, and the FF group
 * (INC/DEC/CALL/JMP/PUSH r/m).
 */
import type { Handler, Insn } from "../insn.js";
import { cond, condO, condB, condZ, condBE, condS, condP, condL, condLE } from "../flags.js";
import { def, byReg, allowLock, IMM_NONE, IMM_REL8, IMM_RELZ, IMM_W } from "../decode.js";
import { readRM, writeRM, getReg, setReg, writeG, push64, pushAddr, pop64, rsp, setRsp, toNum, ea, readMem } from "../operands.js";
import { incE, decE } from "./alu.js";

// One handler per condition (not a closure over cc) so that each inlines its own test.
export const JCC: Handler[] = [
  (c, d) => { if (condO(c)) c.rip = d.target; }, (c, d) => { if (!condO(c)) c.rip = d.target; },
  (c, d) => { if (condB(c)) c.rip = d.target; }, (c, d) => { if (!condB(c)) c.rip = d.target; },
  (c, d) => { if (condZ(c)) c.rip = d.target; }, (c, d) => { if (!condZ(c)) c.rip = d.target; },
  (c, d) => { if (condBE(c)) c.rip = d.target; }, (c, d) => { if (!condBE(c)) c.rip = d.target; },
  (c, d) => { if (condS(c)) c.rip = d.target; }, (c, d) => { if (!condS(c)) c.rip = d.target; },
  (c, d) => { if (condP(c)) c.rip = d.target; }, (c, d) => { if (!condP(c)) c.rip = d.target; },
  (c, d) => { if (condL(c)) c.rip = d.target; }, (c, d) => { if (!condL(c)) c.rip = d.target; },
  (c, d) => { if (condLE(c)) c.rip = d.target; }, (c, d) => { if (!condLE(c)) c.rip = d.target; },
];
function jcc(cc: number): Handler { return JCC[cc]!; }
export const jmp: Handler = (c, d) => { c.rip = d.target; };
const call: Handler = (c, d) => { pushAddr(c, d.next); c.rip = d.target; };
const ret: Handler = (c) => { const lo = pop64(c); c.rip = toNum(lo, c.th); };
const retI: Handler = (c, d) => { const lo = pop64(c); c.rip = toNum(lo, c.th); setRsp(c, rsp(c) + (d.imm & 0xffff)); };
const callE: Handler = (c, d) => {
  const lo = readRM(c, d, 8), hi = c.th;
  pushAddr(c, d.next);
  c.rip = toNum(lo, hi);
};
const jmpE: Handler = (c, d) => { const lo = readRM(c, d, 8); c.rip = toNum(lo, c.th); };
const pushE: Handler = (c, d) => {
  if (d.opsz === 2) {
    const v = readRM(c, d, 2); const s = rsp(c) - 2; c.mem.w16(s, v); setRsp(c, s); return;
  }
  const lo = readRM(c, d, 8); push64(c, lo, c.th);
};
function loop(kind: number): Handler {
  return (c, d) => {
    if (kind === 3) { // JRCXZ / JECXZ
      const z = d.asz32 ? c.lo[1] === 0 : (c.lo[1] === 0 && c.hi[1] === 0);
      if (z) c.rip = d.target;
      return;
    }
    let nz: boolean;
    if (d.asz32) { c.lo[1] = (c.lo[1]! - 1) | 0; c.hi[1] = 0; nz = c.lo[1] !== 0; }
    else {
      const l = c.lo[1]!;
      if (l === 0) c.hi[1] = (c.hi[1]! - 1) | 0;
      c.lo[1] = (l - 1) | 0;
      nz = c.lo[1] !== 0 || c.hi[1] !== 0;
    }
    if (nz && (kind === 2 || (kind === 1 ? cond(c, 4) : !cond(c, 4)))) c.rip = d.target;
  };
}
function cmov(cc: number): Handler {
  return (c, d) => {
    const w = d.opsz;
    const v = readRM(c, d, w); // memory operand is read (and may fault) regardless
    if (cond(c, cc)) writeG(c, d, w, v, c.th);
    else if (w === 4) c.hi[d.reg] = 0;
  };
}
function setcc(cc: number): Handler {
  return (c, d) => { writeRM(c, d, 1, cond(c, cc) ? 1 : 0, 0); };
}

export function registerBranch(): void {
  for (let cc = 0; cc < 16; cc++) {
    def(0, 0x70 + cc, { modrm: false, imm: IMM_REL8, def64: true, h: jcc(cc) });
    def(1, 0x80 + cc, { modrm: false, imm: IMM_RELZ, def64: true, h: jcc(cc) });
    def(1, 0x40 + cc, { modrm: true, imm: IMM_NONE, h: cmov(cc) });
    def(1, 0x90 + cc, { modrm: true, imm: IMM_NONE, byteOp: true, h: setcc(cc) });
  }
  def(0, 0xeb, { modrm: false, imm: IMM_REL8, def64: true, h: jmp });
  def(0, 0xe9, { modrm: false, imm: IMM_RELZ, def64: true, h: jmp });
  def(0, 0xe8, { modrm: false, imm: IMM_RELZ, def64: true, h: call });
  def(0, 0xc3, { modrm: false, imm: IMM_NONE, def64: true, h: ret });
  def(0, 0xc2, { modrm: false, imm: IMM_W, def64: true, h: retI });
  for (let k = 0; k < 4; k++) def(0, 0xe0 + k, { modrm: false, imm: IMM_REL8, def64: true, h: loop(k) });
  def(0, 0xff, {
    modrm: true, imm: IMM_NONE, pick: true,
    h: (d: Insn) => {
      switch (d.reg & 7) {
        case 0: return incE;
        case 1: return decE;
        case 2: return callE;
        case 4: return jmpE;
        case 6: return pushE;
      }
      return undefined;
    },
  });
  allowLock(0, 0xff, (r) => r < 2);
  void byReg; void getReg; void setReg; void ea; void readMem; void push64;
}
