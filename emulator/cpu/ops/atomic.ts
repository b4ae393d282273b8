/**
 * CMPXCHG, XADD, CMPXCHG8B/16B (LOCK accepted; the emulator executes one instruction at a
 * time, so every instruction is atomic with respect to other guest threads).
 */
import type { Handler, Insn } from "../insn.js";
import { GuestFault } from "../fault.js";
import { F_ZF } from "../state.js";
import { materialize } from "../flags.js";
import { def, byReg, allowLock, IMM_NONE } from "../decode.js";
import { ea, readRMa, writeRMa, getReg, setReg, readG, writeG } from "../operands.js";
import { aluOp } from "./alu.js";

const cmpxchg: Handler = (c, d) => {
  const w = d.opsz;
  const a = d.mod === 3 ? 0 : ea(c, d);
  const dst = readRMa(c, d, a, w), dsth = c.th;
  const acc = getReg(c, 0, w), acch = c.th;
  const equal = dst === acc && (w !== 8 || dsth === acch);
  // the store first (the memory forms always store): one that faults leaves flags and RAX as they were
  if (equal) writeRMa(c, d, a, w, readG(c, d, w), c.th);
  else if (d.mod !== 3) writeRMa(c, d, a, w, dst, dsth); // the destination written back with its own value
  aluOp(c, 7, w, acc, acch, dst, dsth);
  if (!equal) setReg(c, 0, w, dst, dsth); // accumulator loaded
};
const xadd: Handler = (c, d) => {
  const w = d.opsz;
  const a = d.mod === 3 ? 0 : ea(c, d);
  const dst = readRMa(c, d, a, w), dsth = c.th;
  const src = readG(c, d, w), srch = c.th;
  // a memory destination is stored by aluOp before the flags and the source register change
  const r = aluOp(c, 0, w, dst, dsth, src, srch, d.mod !== 3 ? a : -1), rh = c.th;
  writeG(c, d, w, dst, dsth);
  if (d.mod === 3) writeRMa(c, d, a, w, r, rh);
};
const cmpxchg8b: Handler = (c, d) => {
  const a = ea(c, d);
  const m = c.mem;
  materialize(c);
  if (d.rexW) {
    if (a % 16 !== 0) throw new GuestFault({ type: "#GP", reason: "cmpxchg16b unaligned" });
    m.checkW(a, 16);
    const v0 = m.r32(a), v1 = m.r32(a + 4), v2 = m.r32(a + 8), v3 = m.r32(a + 12);
    if (v0 === c.lo[0] && v1 === c.hi[0] && v2 === c.lo[2] && v3 === c.hi[2]) {
      m.w32(a, c.lo[3]!); m.w32(a + 4, c.hi[3]!); m.w32(a + 8, c.lo[1]!); m.w32(a + 12, c.hi[1]!);
      c.flags |= F_ZF;
    } else {
      m.w32(a, v0); m.w32(a + 4, v1); m.w32(a + 8, v2); m.w32(a + 12, v3);
      c.lo[0] = v0; c.hi[0] = v1; c.lo[2] = v2; c.hi[2] = v3;
      c.flags &= ~F_ZF;
    }
    return;
  }
  m.checkW(a, 8);
  const v0 = m.r32(a), v1 = m.r32(a + 4);
  if (v0 === c.lo[0] && v1 === c.lo[2]) {
    m.w32(a, c.lo[3]!); m.w32(a + 4, c.lo[1]!);
    c.flags |= F_ZF;
  } else {
    m.w32(a, v0); m.w32(a + 4, v1);
    c.lo[0] = v0; c.hi[0] = 0; c.lo[2] = v1; c.hi[2] = 0;
    c.flags &= ~F_ZF;
  }
};

export function registerAtomic(): void {
  def(1, 0xb0, { modrm: true, imm: IMM_NONE, byteOp: true, h: cmpxchg });
  def(1, 0xb1, { modrm: true, imm: IMM_NONE, h: cmpxchg });
  def(1, 0xc0, { modrm: true, imm: IMM_NONE, byteOp: true, h: xadd });
  def(1, 0xc1, { modrm: true, imm: IMM_NONE, h: xadd });
  def(1, 0xc7, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod !== 3 && (d.reg & 7) === 1 ? cmpxchg8b : undefined) });
  for (const op of [0xb0, 0xb1, 0xc0, 0xc1]) allowLock(1, op);
  allowLock(1, 0xc7, (r) => r === 1);
  void byReg;
}
