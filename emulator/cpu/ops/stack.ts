/**
 * PUSH/POP (registers, immediates, r/m), PUSHF/POPF, ENTER/LEAVE.
 */
import type { Handler } from "../insn.js";
import { getFlags, setFlags } from "../flags.js";
import { def, byReg, IMM_NONE, IMM_B, IMM_Z, IMM_ENTER } from "../decode.js";
import { push64, pop64, rsp, setRsp, writeRM, ea, writeMem } from "../operands.js";

const pushR: Handler = (c, d) => {
  const r = d.rm;
  if (d.opsz === 2) { const s = rsp(c) - 2; c.mem.w16(s, c.lo[r]!); setRsp(c, s); return; }
  push64(c, c.lo[r]!, c.hi[r]!);
};
const popR: Handler = (c, d) => {
  const r = d.rm;
  if (d.opsz === 2) { const s = rsp(c); const v = c.mem.r16(s); setRsp(c, s + 2); c.lo[r] = (c.lo[r]! & ~0xffff) | v; return; }
  const lo = pop64(c);
  c.lo[r] = lo; c.hi[r] = c.th;
};
const pushI: Handler = (c, d) => {
  if (d.opsz === 2) { const s = rsp(c) - 2; c.mem.w16(s, d.imm); setRsp(c, s); return; }
  push64(c, d.imm, d.imm >> 31);
};
const popE: Handler = (c, d) => {
  if (d.opsz === 2) {
    const s = rsp(c); const v = c.mem.r16(s); setRsp(c, s + 2);
    writeRM(c, d, 2, v, 0); return;
  }
  // RSP is incremented before the destination address is computed
  const s = rsp(c);
  const lo = c.mem.r32(s), hi = c.mem.r32(s + 4);
  setRsp(c, s + 8);
  try { writeRM(c, d, 8, lo, hi); } catch (e) { setRsp(c, s); throw e; }
};
const pushf: Handler = (c, d) => {
  const f = getFlags(c) & 0xfcffff;
  if (d.opsz === 2) { const s = rsp(c) - 2; c.mem.w16(s, f); setRsp(c, s); return; }
  push64(c, f, 0);
};
const popf: Handler = (c, d) => {
  if (d.opsz === 2) { const s = rsp(c); const v = c.mem.r16(s); setRsp(c, s + 2); setFlags(c, (getFlags(c) & ~0xffff) | v); return; }
  const lo = pop64(c);
  setFlags(c, lo);
};
const leave: Handler = (c) => {
  const bp = c.hi[5]! * 4294967296 + (c.lo[5]! >>> 0);
  const lo = c.mem.r32(bp), hi = c.mem.r32(bp + 4);
  setRsp(c, bp + 8);
  c.lo[5] = lo; c.hi[5] = hi;
};
const enter: Handler = (c, d) => {
  const size = d.imm & 0xffff, level = d.imm2 & 31;
  let s = rsp(c) - 8;
  c.mem.w64(s, c.lo[5]!, c.hi[5]!);
  const frame = s;
  let bp = c.hi[5]! * 4294967296 + (c.lo[5]! >>> 0);
  for (let i = 1; i < level; i++) {
    bp -= 8; s -= 8;
    c.mem.w64(s, c.mem.r32(bp), c.mem.r32(bp + 4));
  }
  if (level > 0) { s -= 8; c.mem.w64(s, frame | 0, Math.floor(frame / 4294967296) | 0); }
  s -= size;
  c.lo[5] = frame | 0; c.hi[5] = Math.floor(frame / 4294967296) | 0;
  setRsp(c, s);
};

export function registerStack(): void {
  for (let r = 0; r < 8; r++) {
    def(0, 0x50 + r, { modrm: false, imm: IMM_NONE, def64: true, h: pushR });
    def(0, 0x58 + r, { modrm: false, imm: IMM_NONE, def64: true, h: popR });
  }
  def(0, 0x68, { modrm: false, imm: IMM_Z, def64: true, h: pushI });
  def(0, 0x6a, { modrm: false, imm: IMM_B, def64: true, h: pushI });
  def(0, 0x8f, { modrm: true, imm: IMM_NONE, def64: true, pick: true, h: byReg([popE]) });
  def(0, 0x9c, { modrm: false, imm: IMM_NONE, def64: true, h: pushf });
  def(0, 0x9d, { modrm: false, imm: IMM_NONE, def64: true, h: popf });
  def(0, 0xc9, { modrm: false, imm: IMM_NONE, def64: true, h: leave });
  def(0, 0xc8, { modrm: false, imm: IMM_ENTER, def64: true, h: enter });
  void ea; void writeMem;
}
