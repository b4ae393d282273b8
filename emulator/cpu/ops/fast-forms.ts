/**
 * More decode-time specialisations (see fast.ts): memory-operand forms with a base+disp
 * address, read-modify-write ALU on memory, INC/DEC, 32-bit shifts and rotates by an
 * immediate, MOVZX/MOVSX/MOVSXD, 32-bit LEA, and PUSH/POP/CALL/RET with the stack pointer
 * updated in int32 halves. Each handler has exactly the semantics of the generic one it
 * replaces (the host-CPU oracle tests run through these paths).
 */
import type { CpuState } from "../state.js";
import { FOP_SUB, FOP_LOGIC, FOP_INC, FOP_DEC } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { BASE_NONE, BASE_RIP } from "../insn.js";
import { ea, getR8, setR8, load32, load64, loadHi, store32, store64 } from "../operands.js";
import { cond, getCF, materialize, setArith, szp } from "../flags.js";
import { aluOp } from "./alu.js";
import { ALU_MEM_IMM32, ALU_MEM_IMM64, ALU_MEM_REG32, ALU_MEM_REG64 } from "./fast-mem.js";

// The lazy-flag kinds are literals in the handlers below (V8 loads an imported const at run time).
if (FOP_SUB !== 2 || FOP_LOGIC !== 5 || FOP_INC !== 6 || FOP_DEC !== 7) throw new Error("fast-forms.ts: lazy-flag kind literals out of date");

// ---- effective address: base + disp (64-bit addressing, no index, no segment override)
function eaBD(c: CpuState, d: Insn): number {
  const b = d.base;
  return c.hi[b]! * 4294967296 + (c.lo[b]! >>> 0) + d.disp;
}
function isBD(d: Insn): boolean {
  return d.mod !== 3 && d.base >= 0 && d.index < 0 && !d.asz32 && d.seg === 0;
}

// ---- MOV loads and stores with a base+disp address
export const movLoad64BD: Handler = (c, d) => {
  const a = eaBD(c, d);
  const lo = load64(c, a), hi = loadHi;
  c.lo[d.reg] = lo; c.hi[d.reg] = hi;
};
export const movLoad32BD: Handler = (c, d) => { const v = load32(c, eaBD(c, d)); c.lo[d.reg] = v; c.hi[d.reg] = 0; };
export const movStore64BD: Handler = (c, d) => { store64(c, eaBD(c, d), c.lo[d.reg]!, c.hi[d.reg]!); };
export const movStore32BD: Handler = (c, d) => { store32(c, eaBD(c, d), c.lo[d.reg]!); };
const movStoreImm64BD: Handler = (c, d) => { store64(c, eaBD(c, d), d.imm, d.immHi); };
const movStoreImm32BD: Handler = (c, d) => { store32(c, eaBD(c, d), d.imm); };
const movStoreImm64: Handler = (c, d) => { store64(c, ea(c, d), d.imm, d.immHi); };
const movStoreImm32: Handler = (c, d) => { store32(c, ea(c, d), d.imm); };

// ---- ALU with a memory destination or source (aluOp stores before it records the flags, so a
// store that faults leaves them as they were)
const aluEGm64: Handler = (c, d) => {
  const a = ea(c, d), op = (d.op >> 3) & 7;
  const x = load64(c, a) >>> 0, xh = loadHi >>> 0;
  aluOp(c, op, 8, x, xh, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0, op !== 7 ? a : -1);
};
const aluEGm32: Handler = (c, d) => {
  const a = ea(c, d), op = (d.op >> 3) & 7;
  aluOp(c, op, 4, load32(c, a) >>> 0, 0, c.lo[d.reg]! >>> 0, 0, op !== 7 ? a : -1);
};
const aluEIm64: Handler = (c, d) => {
  const a = ea(c, d), op = d.reg & 7;
  const x = load64(c, a) >>> 0, xh = loadHi >>> 0;
  aluOp(c, op, 8, x, xh, d.imm >>> 0, d.immHi >>> 0, op !== 7 ? a : -1);
};
const aluEIm32: Handler = (c, d) => {
  const a = ea(c, d), op = d.reg & 7;
  aluOp(c, op, 4, load32(c, a) >>> 0, 0, d.imm >>> 0, 0, op !== 7 ? a : -1);
};
/** CMP r/m32, imm with a base+disp address (the commonest memory compare). */
export const cmpMI32BD: Handler = (c, d) => {
  const a = load32(c, eaBD(c, d)) >>> 0, b = d.imm >>> 0;
  c.fa = a; c.fb = b; c.fr = (a - b) >>> 0; c.fw = 4; c.fop = 2 /* FOP_SUB */;
};

// ---- INC/DEC on registers (CF is kept: it is recorded in c.fc)
export const inc64: Handler = (c, d) => {
  const r = d.rm, a = c.lo[r]! >>> 0, ah = c.hi[r]! >>> 0, cf = getCF(c);
  const s = a + 1, lo = s >>> 0, hi = (ah + (s > 0xffffffff ? 1 : 0)) >>> 0;
  c.lo[r] = lo; c.hi[r] = hi;
  c.fa = a; c.fah = ah; c.fb = 1; c.fbh = 0; c.fr = lo; c.frh = hi; c.fw = 8; c.fc = cf; c.fop = 6 /* FOP_INC */;
};
export const dec64: Handler = (c, d) => {
  const r = d.rm, a = c.lo[r]! >>> 0, ah = c.hi[r]! >>> 0, cf = getCF(c);
  const s = a - 1, lo = s >>> 0, hi = (ah - (s < 0 ? 1 : 0)) >>> 0;
  c.lo[r] = lo; c.hi[r] = hi;
  c.fa = a; c.fah = ah; c.fb = 1; c.fbh = 0; c.fr = lo; c.frh = hi; c.fw = 8; c.fc = cf; c.fop = 7 /* FOP_DEC */;
};
export const inc32: Handler = (c, d) => {
  const r = d.rm, a = c.lo[r]! >>> 0, cf = getCF(c), v = (a + 1) >>> 0;
  c.lo[r] = v; c.hi[r] = 0;
  c.fa = a; c.fb = 1; c.fr = v; c.fw = 4; c.fc = cf; c.fop = 6 /* FOP_INC */;
};
export const dec32: Handler = (c, d) => {
  const r = d.rm, a = c.lo[r]! >>> 0, cf = getCF(c), v = (a - 1) >>> 0;
  c.lo[r] = v; c.hi[r] = 0;
  c.fa = a; c.fb = 1; c.fr = v; c.fw = 4; c.fc = cf; c.fop = 7 /* FOP_DEC */;
};

// ---- 32-bit register shifts and rotates by a nonzero immediate count (1..31)
const shl32: Handler = (c, d) => {
  const r = d.rm, n = d.imm & 31, a = c.lo[r]! >>> 0;
  const v = (a << n) >>> 0, cf = (a >>> (32 - n)) & 1;
  c.lo[r] = v; c.hi[r] = 0;
  setArith(c, cf | szp(4, v, 0) | (((v >>> 31) ^ cf) << 11));
};
const shr32: Handler = (c, d) => {
  const r = d.rm, n = d.imm & 31, a = c.lo[r]! >>> 0;
  const v = a >>> n, cf = (a >>> (n - 1)) & 1;
  c.lo[r] = v; c.hi[r] = 0;
  setArith(c, cf | szp(4, v, 0) | ((a >>> 31) << 11));
};
const sar32: Handler = (c, d) => {
  const r = d.rm, n = d.imm & 31, a = c.lo[r]! | 0;
  const v = (a >> n) >>> 0, cf = (a >> (n - 1)) & 1;
  c.lo[r] = v; c.hi[r] = 0;
  setArith(c, cf | szp(4, v, 0));
};
const rol32: Handler = (c, d) => {
  const r = d.rm, k = d.imm & 31, a = c.lo[r]! >>> 0;
  const v = ((a << k) | (a >>> (32 - k))) >>> 0, cf = v & 1;
  c.lo[r] = v; c.hi[r] = 0;
  materialize(c);
  c.flags = (c.flags & ~0x801) | cf | (((v >>> 31) ^ cf) << 11);
};
const ror32: Handler = (c, d) => {
  const r = d.rm, k = 32 - (d.imm & 31), a = c.lo[r]! >>> 0;
  const v = ((a << k) | (a >>> (32 - k))) >>> 0, cf = v >>> 31;
  c.lo[r] = v; c.hi[r] = 0;
  materialize(c);
  c.flags = (c.flags & ~0x801) | cf | ((cf ^ ((v >>> 30) & 1)) << 11);
};
const SHIFT32: (Handler | undefined)[] = [rol32, ror32, undefined, undefined, shl32, shr32, shl32, sar32];

// ---- MOVZX/MOVSX/MOVSXD (32- and 64-bit destinations; a 32-bit write zeroes the high half)
export const movzx8R: Handler = (c, d) => { c.lo[d.reg] = c.lo[d.rm]! & 255; c.hi[d.reg] = 0; };
export const movzx8M: Handler = (c, d) => { c.lo[d.reg] = c.mem.r8(ea(c, d)); c.hi[d.reg] = 0; };
const movzx16R: Handler = (c, d) => { c.lo[d.reg] = c.lo[d.rm]! & 0xffff; c.hi[d.reg] = 0; };
export const movzx16M: Handler = (c, d) => { c.lo[d.reg] = c.mem.r16(ea(c, d)); c.hi[d.reg] = 0; };
const movsx8R32: Handler = (c, d) => { c.lo[d.reg] = (c.lo[d.rm]! << 24) >> 24; c.hi[d.reg] = 0; };
export const movsx8M32: Handler = (c, d) => { c.lo[d.reg] = (c.mem.r8(ea(c, d)) << 24) >> 24; c.hi[d.reg] = 0; };
const movsx8R64: Handler = (c, d) => { const v = (c.lo[d.rm]! << 24) >> 24; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };
export const movsx8M64: Handler = (c, d) => { const v = (c.mem.r8(ea(c, d)) << 24) >> 24; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };
const movsx16R32: Handler = (c, d) => { c.lo[d.reg] = (c.lo[d.rm]! << 16) >> 16; c.hi[d.reg] = 0; };
const movsx16M32: Handler = (c, d) => { c.lo[d.reg] = (c.mem.r16(ea(c, d)) << 16) >> 16; c.hi[d.reg] = 0; };
const movsx16R64: Handler = (c, d) => { const v = (c.lo[d.rm]! << 16) >> 16; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };
const movsx16M64: Handler = (c, d) => { const v = (c.mem.r16(ea(c, d)) << 16) >> 16; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };
export const movsxdR: Handler = (c, d) => { const v = c.lo[d.rm]!; c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };
export const movsxdM: Handler = (c, d) => { const v = load32(c, ea(c, d)); c.lo[d.reg] = v; c.hi[d.reg] = v >> 31; };

/** LEA with a 32-bit destination: only the low 32 bits of the sum matter, so int32 math is exact. */
export const lea32: Handler = (c, d) => {
  let v = d.disp;
  const b = d.base;
  if (b >= 0) v = (v + c.lo[b]!) | 0;
  else if (b === BASE_RIP) v = (v + (d.next | 0)) | 0;
  const x = d.index;
  if (x >= 0) v = (v + Math.imul(c.lo[x]!, d.scale)) | 0;
  c.lo[d.reg] = v; c.hi[d.reg] = 0;
};
/** LEA r64 with base + index*scale + disp (64-bit addressing). */
export const leaBIS64: Handler = (c, d) => {
  const b = d.base, x = d.index, sh = d.scale === 1 ? 0 : d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
  let il = c.lo[x]! >>> 0, ih = c.hi[x]!;
  if (sh) { ih = (ih << sh) | (il >>> (32 - sh)); il = (il << sh) >>> 0; }
  const s1 = (d.disp >>> 0) + (c.lo[b]! >>> 0);
  let hi = (d.disp >> 31) + c.hi[b]! + (s1 > 0xffffffff ? 1 : 0);
  const s2 = (s1 >>> 0) + il;
  hi = hi + ih + (s2 > 0xffffffff ? 1 : 0);
  c.lo[d.reg] = s2 | 0; c.hi[d.reg] = hi | 0;
};

/** LEA r64 with index*scale + disp and no base (64-bit addressing). */
const leaIS64: Handler = (c, d) => {
  const x = d.index, sh = d.scale === 1 ? 0 : d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
  let il = c.lo[x]! >>> 0, ih = c.hi[x]!;
  if (sh) { ih = (ih << sh) | (il >>> (32 - sh)); il = (il << sh) >>> 0; }
  const s = (d.disp >>> 0) + il;
  c.lo[d.reg] = s | 0; c.hi[d.reg] = ((d.disp >> 31) + ih + (s > 0xffffffff ? 1 : 0)) | 0;
};
/**
 * LEA r64, [rip + disp] loads a constant, known once `next` is: it runs as MOV r64, imm64 with
 * that constant (in imm:immHi, the destination in rm; nothing else reads a LEA's imm or rm), and
 * so gets that form's inline code instead of a handler call (busybox awk: 0.6% of its
 * instructions). next + disp is exact in a double (user addresses are below 2^47).
 */
function leaRipAsConstant(d: Insn): Handler {
  const v = d.next + d.disp;
  d.imm = v | 0; d.immHi = Math.floor(v / 4294967296) | 0; d.rm = d.reg;
  return movRI64;
}

// ---- stack: RSP moved in int32 halves (no double division per push/pop)
/** Push a 64-bit value given as int32 halves. */
function pushHalves(c: CpuState, lo: number, hi: number): void {
  const l = c.lo[4]!, h = c.hi[4]!;
  const nl = (l - 8) | 0, nh = (l >>> 0) < 8 ? (h - 1) | 0 : h;
  store64(c, nh * 4294967296 + (nl >>> 0), lo, hi);
  c.lo[4] = nl; c.hi[4] = nh;
}
export const pushR64: Handler = (c, d) => { const r = d.rm; pushHalves(c, c.lo[r]!, c.hi[r]!); };
const pushI64: Handler = (c, d) => { pushHalves(c, d.imm, d.imm >> 31); };
export const popR64: Handler = (c, d) => {
  const l = c.lo[4]!, h = c.hi[4]!, a = h * 4294967296 + (l >>> 0);
  const lo = load64(c, a), hi = loadHi;
  c.lo[4] = (l + 8) | 0; c.hi[4] = (l >>> 0) >= 0xfffffff8 ? (h + 1) | 0 : h;
  const r = d.rm;
  c.lo[r] = lo; c.hi[r] = hi;
};
export const callRel: Handler = (c, d) => {
  const n = d.next;
  pushHalves(c, n | 0, (n / 4294967296) | 0);
  c.rip = d.target;
};
export const retNear: Handler = (c) => {
  const l = c.lo[4]!, h = c.hi[4]!, a = h * 4294967296 + (l >>> 0);
  const lo = load64(c, a), hi = loadHi;
  c.lo[4] = (l + 8) | 0; c.hi[4] = (l >>> 0) >= 0xfffffff8 ? (h + 1) | 0 : h;
  c.rip = hi * 4294967296 + (lo >>> 0);
};

// ---- CMOVcc and SETcc (the condition is the opcode's low nibble)
const cmov64R: Handler = (c, d) => { if (cond(c, d.op & 15)) { c.lo[d.reg] = c.lo[d.rm]!; c.hi[d.reg] = c.hi[d.rm]!; } };
const cmov32R: Handler = (c, d) => { if (cond(c, d.op & 15)) c.lo[d.reg] = c.lo[d.rm]!; c.hi[d.reg] = 0; };
const cmov64M: Handler = (c, d) => {
  const a = ea(c, d);
  const lo = load64(c, a), hi = loadHi; // read (and may fault) whatever the condition
  if (cond(c, d.op & 15)) { c.lo[d.reg] = lo; c.hi[d.reg] = hi; }
};
const cmov32M: Handler = (c, d) => {
  const v = load32(c, ea(c, d));
  if (cond(c, d.op & 15)) c.lo[d.reg] = v;
  c.hi[d.reg] = 0;
};
export const setccR: Handler = (c, d) => { const r = d.rm; c.lo[r] = (c.lo[r]! & ~255) | (cond(c, d.op & 15) ? 1 : 0); };
const setccM: Handler = (c, d) => { c.mem.w8(ea(c, d), cond(c, d.op & 15) ? 1 : 0); };

// ---- byte compares and tests on registers (byte-register codes >= 16 name AH..BH)
export const cmpRI8: Handler = (c, d) => {
  const a = getR8(c, d.rm8), b = d.imm & 255;
  c.fa = a; c.fb = b; c.fr = (a - b) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */;
};
export const cmpAI8: Handler = (c, d) => {
  const a = c.lo[0]! & 255, b = d.imm & 255;
  c.fa = a; c.fb = b; c.fr = (a - b) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */;
};
/** CMP r/m8, r8 (38) and CMP r8, r/m8 (3A) on registers. */
export const cmpEG8: Handler = (c, d) => {
  const a = getR8(c, d.rm8), b = getR8(c, d.reg8);
  c.fa = a; c.fb = b; c.fr = (a - b) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */;
};
export const cmpGE8: Handler = (c, d) => {
  const a = getR8(c, d.reg8), b = getR8(c, d.rm8);
  c.fa = a; c.fb = b; c.fr = (a - b) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */;
};
export const testRR8: Handler = (c, d) => {
  const a = getR8(c, d.rm8), b = getR8(c, d.reg8);
  c.fa = a; c.fb = b; c.fr = a & b; c.fw = 1; c.fop = 5 /* FOP_LOGIC */;
};
export const testAI8: Handler = (c, d) => {
  const a = c.lo[0]! & 255, b = d.imm & 255;
  c.fa = a; c.fb = b; c.fr = a & b; c.fw = 1; c.fop = 5 /* FOP_LOGIC */;
};
/** TEST r/m8, imm8 on a register (F6 /0 and /1). */
export const testRI8: Handler = (c, d) => {
  const a = getR8(c, d.rm8), b = d.imm & 255;
  c.fa = a; c.fb = b; c.fr = a & b; c.fw = 1; c.fop = 5 /* FOP_LOGIC */;
};
// ---- MOV r, imm (B8+r, and C7 /0 on a register; a 64-bit C7 immediate is sign-extended into immHi)
export const movRI64: Handler = (c, d) => { c.lo[d.rm] = d.imm; c.hi[d.rm] = d.immHi; };
export const movRI32: Handler = (c, d) => { c.lo[d.rm] = d.imm; c.hi[d.rm] = 0; };
// ---- byte moves
export const movLoad8: Handler = (c, d) => { setR8(c, d.reg8, c.mem.r8(ea(c, d))); };
const movRR8: Handler = (c, d) => { setR8(c, d.rm8, getR8(c, d.reg8)); }; // 88 /r, register form
const movGE8: Handler = (c, d) => { setR8(c, d.reg8, getR8(c, d.rm8)); }; // 8A /r, register form

// ---- INC/DEC on memory (the store comes before the flags, as in the generic form: a faulting
// store leaves the flags as they were)
const incM32: Handler = (c, d) => {
  const a = ea(c, d), x = load32(c, a) >>> 0, cf = getCF(c), v = (x + 1) >>> 0;
  store32(c, a, v);
  c.fa = x; c.fb = 1; c.fr = v; c.fw = 4; c.fc = cf; c.fop = 6 /* FOP_INC */;
};
const decM32: Handler = (c, d) => {
  const a = ea(c, d), x = load32(c, a) >>> 0, cf = getCF(c), v = (x - 1) >>> 0;
  store32(c, a, v);
  c.fa = x; c.fb = 1; c.fr = v; c.fw = 4; c.fc = cf; c.fop = 7 /* FOP_DEC */;
};
const incM64: Handler = (c, d) => {
  const a = ea(c, d), x = load64(c, a) >>> 0, xh = loadHi >>> 0, cf = getCF(c);
  const s = x + 1, lo = s >>> 0, hi = (xh + (s > 0xffffffff ? 1 : 0)) >>> 0;
  store64(c, a, lo, hi);
  c.fa = x; c.fah = xh; c.fb = 1; c.fbh = 0; c.fr = lo; c.frh = hi; c.fw = 8; c.fc = cf; c.fop = 6 /* FOP_INC */;
};
const decM64: Handler = (c, d) => {
  const a = ea(c, d), x = load64(c, a) >>> 0, xh = loadHi >>> 0, cf = getCF(c);
  const s = x - 1, lo = s >>> 0, hi = (xh - (s < 0 ? 1 : 0)) >>> 0;
  store64(c, a, lo, hi);
  c.fa = x; c.fah = xh; c.fb = 1; c.fbh = 0; c.fr = lo; c.frh = hi; c.fw = 8; c.fc = cf; c.fop = 7 /* FOP_DEC */;
};

// ---- BT r/m, imm (CF = the bit; ZF kept, as the generic form does: it materialises the flags)
export const btI32M: Handler = (c, d) => {
  const bit = (load32(c, ea(c, d)) >>> (d.imm & 31)) & 1;
  materialize(c);
  c.flags = (c.flags & ~1) | bit;
};
const btI64M: Handler = (c, d) => {
  const a = ea(c, d), n = d.imm & 63;
  const lo = load64(c, a), hi = loadHi; // both halves, in the generic form's order (same fault address)
  const bit = n >= 32 ? (hi >>> (n - 32)) & 1 : (lo >>> n) & 1;
  materialize(c);
  c.flags = (c.flags & ~1) | bit;
};
const btI32R: Handler = (c, d) => {
  const bit = (c.lo[d.rm]! >>> (d.imm & 31)) & 1;
  materialize(c);
  c.flags = (c.flags & ~1) | bit;
};
const btI64R: Handler = (c, d) => {
  const n = d.imm & 63, bit = n >= 32 ? (c.hi[d.rm]! >>> (n - 32)) & 1 : (c.lo[d.rm]! >>> n) & 1;
  materialize(c);
  c.flags = (c.flags & ~1) | bit;
};

// ---- NOT, CDQE
export const not64: Handler = (c, d) => { const r = d.rm; c.lo[r] = ~c.lo[r]!; c.hi[r] = ~c.hi[r]!; };
export const not32: Handler = (c, d) => { const r = d.rm; c.lo[r] = ~c.lo[r]!; c.hi[r] = 0; };
export const cdqe: Handler = (c) => { c.hi[0] = c.lo[0]! >> 31; };

// ---- indirect JMP/CALL through a register or a 64-bit memory operand (the target is read
// before CALL pushes, so CALL [rsp+x] and CALL rsp see the old stack pointer)
export const jmpR: Handler = (c, d) => { const r = d.rm; c.rip = c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0); };
const jmpM: Handler = (c, d) => {
  const a = ea(c, d), lo = load64(c, a), hi = loadHi;
  c.rip = hi * 4294967296 + (lo >>> 0);
};
const callR: Handler = (c, d) => {
  const r = d.rm, t = c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0), n = d.next;
  pushHalves(c, n | 0, (n / 4294967296) | 0);
  c.rip = t;
};
const callM: Handler = (c, d) => {
  const a = ea(c, d), lo = load64(c, a), hi = loadHi, n = d.next;
  pushHalves(c, n | 0, (n / 4294967296) | 0);
  c.rip = hi * 4294967296 + (lo >>> 0);
};

/** A faster handler with the semantics of h for d, or null. */
export function specializeForm(d: Insn): Handler | null {
  const op = d.op, w = d.opsz, mem = d.mod !== 3;
  if (d.map === 0) {
    switch (op) {
      case 0x8b: if (isBD(d)) { if (w === 8) return movLoad64BD; if (w === 4) return movLoad32BD; } return null;
      case 0x89: if (isBD(d)) { if (w === 8) return movStore64BD; if (w === 4) return movStore32BD; } return null;
      case 0xc7:
        if ((d.reg & 7) !== 0) return null;
        if (!mem) return w === 8 ? movRI64 : w === 4 ? movRI32 : null;
        if (isBD(d)) { if (w === 8) return movStoreImm64BD; if (w === 4) return movStoreImm32BD; }
        if (w === 8) return movStoreImm64;
        if (w === 4) return movStoreImm32;
        return null;
      case 0x81: case 0x83:
        if (!mem || d.lock) return null;
        if ((d.reg & 7) === 7 && w === 4 && isBD(d)) return cmpMI32BD;
        if (w === 8) return ALU_MEM_IMM64[d.reg & 7] ?? aluEIm64;
        if (w === 4) return ALU_MEM_IMM32[d.reg & 7] ?? aluEIm32;
        return null;
      case 0xff:
        if (d.lock) return null;
        switch (d.reg & 7) {
          case 0: return mem ? (w === 8 ? incM64 : w === 4 ? incM32 : null) : w === 8 ? inc64 : w === 4 ? inc32 : null;
          case 1: return mem ? (w === 8 ? decM64 : w === 4 ? decM32 : null) : w === 8 ? dec64 : w === 4 ? dec32 : null;
          // CALL/JMP r/m64: always 64-bit in long mode (a 66 prefix would make them 16-bit)
          case 2: return d.p66 ? null : mem ? callM : callR;
          case 4: return d.p66 ? null : mem ? jmpM : jmpR;
        }
        return null;
      case 0x80: return !mem && (d.reg & 7) === 7 ? cmpRI8 : null;
      case 0x3c: return cmpAI8;
      case 0xa8: return testAI8;
      case 0x38: return mem ? null : cmpEG8;
      case 0x3a: return mem ? null : cmpGE8;
      case 0x84: return mem ? null : testRR8;
      case 0x88: return mem ? null : movRR8;
      case 0x8a: return mem ? movLoad8 : movGE8;
      case 0xf6: return !mem && (d.reg & 7) < 2 ? testRI8 : null;
      case 0xf7:
        if (mem || (d.reg & 7) !== 2) return null;
        return w === 8 ? not64 : w === 4 ? not32 : null;
      case 0x98: return w === 8 ? cdqe : null;
      case 0xc1:
        if (mem || w !== 4 || (d.imm & 31) === 0) return null;
        return SHIFT32[d.reg & 7] ?? null;
      case 0x63:
        if (w !== 8) return null;
        return mem ? movsxdM : movsxdR;
      case 0x8d:
        if (w === 4) return lea32;
        if (w === 8 && !d.asz32 && d.base >= 0 && d.index >= 0) return leaBIS64;
        if (w === 8 && !d.asz32 && d.base === BASE_NONE && d.index >= 0) return leaIS64;
        if (w === 8 && !d.asz32 && d.base === BASE_RIP) return leaRipAsConstant(d);
        return null;
      case 0xe8: return callRel;
      case 0xc3: return retNear;
      case 0x68: case 0x6a: return w === 8 ? pushI64 : null;
    }
    if (op >= 0xb8 && op <= 0xbf) return w === 8 ? movRI64 : w === 4 ? movRI32 : null;
    if (op >= 0x50 && op <= 0x57) return w === 8 ? pushR64 : null;
    if (op >= 0x58 && op <= 0x5f) return w === 8 ? popR64 : null;
    if (op < 0x40 && (op & 7) === 1 && mem && !d.lock) {
      const k = (op >> 3) & 7;
      return w === 8 ? ALU_MEM_REG64[k] ?? aluEGm64 : w === 4 ? ALU_MEM_REG32[k] ?? aluEGm32 : null;
    }
    return null;
  }
  if (d.map === 1 && op === 0xba && (d.reg & 7) === 4 && !d.lock) {
    if (w === 8) return mem ? btI64M : btI64R;
    if (w === 4) return mem ? btI32M : btI32R;
    return null;
  }
  if (d.map === 1 && op >= 0x90 && op <= 0x9f) return mem ? setccM : d.rm8 < 16 ? setccR : null;
  if (d.map === 1 && op >= 0x40 && op <= 0x4f) {
    if (w === 8) return mem ? cmov64M : cmov64R;
    if (w === 4) return mem ? cmov32M : cmov32R;
    return null;
  }
  if (d.map === 1 && (w === 4 || w === 8)) {
    const wide = w === 8;
    switch (op) {
      case 0xb6: return mem ? movzx8M : d.rm8 < 16 ? movzx8R : null;
      case 0xb7: return mem ? movzx16M : movzx16R;
      case 0xbe: return mem ? (wide ? movsx8M64 : movsx8M32) : d.rm8 < 16 ? (wide ? movsx8R64 : movsx8R32) : null;
      case 0xbf: return mem ? (wide ? movsx16M64 : movsx16M32) : (wide ? movsx16R64 : movsx16R32);
    }
  }
  return null;
}
