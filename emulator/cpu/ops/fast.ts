/**
 * Width- and form-specialised fast paths for the hottest encodings. The decoder asks
 * `specialize(d, h)` after picking the generic handler; a returned handler must have exactly
 * the generic semantics (the host-CPU oracle tests run through these paths).
 */
import type { CpuState } from "../state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_IMUL64 } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { ea, load32, load64, loadHi, store32, store64 } from "../operands.js";
import { getCF } from "../flags.js";
import { setArith, szp } from "../flags.js";
import { specializeForm } from "./fast-forms.js";
import { specializeSse } from "./fast-sse.js";
import { nop } from "./mov.js";

// ---- MOV
export const movRR64: Handler = (c, d) => { c.lo[d.rm] = c.lo[d.reg]!; c.hi[d.rm] = c.hi[d.reg]!; };
export const movRR32: Handler = (c, d) => { c.lo[d.rm] = c.lo[d.reg]!; c.hi[d.rm] = 0; };
export const movGE64: Handler = (c, d) => { c.lo[d.reg] = c.lo[d.rm]!; c.hi[d.reg] = c.hi[d.rm]!; };
export const movGE32: Handler = (c, d) => { c.lo[d.reg] = c.lo[d.rm]!; c.hi[d.reg] = 0; };
export const movLoad64: Handler = (c, d) => { const lo = load64(c, ea(c, d)); c.lo[d.reg] = lo; c.hi[d.reg] = loadHi; };
export const movLoad32: Handler = (c, d) => { const v = load32(c, ea(c, d)); c.lo[d.reg] = v; c.hi[d.reg] = 0; };
export const movStore64: Handler = (c, d) => { store64(c, ea(c, d), c.lo[d.reg]!, c.hi[d.reg]!); };
export const movStore32: Handler = (c, d) => { store32(c, ea(c, d), c.lo[d.reg]!); };
const movzxLoad8: Handler = (c, d) => { c.lo[d.reg] = c.mem.r8(ea(c, d)); c.hi[d.reg] = 0; };

// ---- ALU on 64-bit registers (dst index, src lo/hi). The lazy-flag kinds in this file are
// literals (ADD 1, SUB 2, ADC 3, SBB 4, LOGIC 5, IMUL64 8): V8 loads an imported const at run
// time, and these handlers run for a large share of all instructions.
if (FOP_ADD !== 1 || FOP_SUB !== 2 || FOP_LOGIC !== 5 || FOP_IMUL64 !== 8) throw new Error("fast.ts: lazy-flag kind literals out of date");
function alu64(c: CpuState, op: number, r: number, b: number, bh: number): void {
  const a = c.lo[r]! >>> 0, ah = c.hi[r]! >>> 0;
  let lo: number, hi: number;
  switch (op) {
    case 0: { const s = a + b; lo = s >>> 0; hi = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; c.fop = 1; break; }
    case 5: case 7: { const s = a - b; lo = s >>> 0; hi = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; c.fop = 2; break; }
    case 1: lo = (a | b) >>> 0; hi = (ah | bh) >>> 0; c.fop = 5; break;
    case 4: lo = (a & b) >>> 0; hi = (ah & bh) >>> 0; c.fop = 5; break;
    case 6: lo = (a ^ b) >>> 0; hi = (ah ^ bh) >>> 0; c.fop = 5; break;
    case 2: { const cf = getCF(c); const s = a + b + cf; lo = s >>> 0; hi = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; c.fc = cf; c.fop = 3; break; }
    default: { const cf = getCF(c); const s = a - b - cf; lo = s >>> 0; hi = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; c.fc = cf; c.fop = 4; break; }
  }
  c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = lo; c.frh = hi; c.fw = 8;
  if (op !== 7) { c.lo[r] = lo; c.hi[r] = hi; }
}
function alu32(c: CpuState, op: number, r: number, b: number): void {
  const a = c.lo[r]! >>> 0;
  let v: number;
  switch (op) {
    case 0: v = (a + b) >>> 0; c.fop = 1; break;
    case 5: case 7: v = (a - b) >>> 0; c.fop = 2; break;
    case 1: v = (a | b) >>> 0; c.fop = 5; break;
    case 4: v = (a & b) >>> 0; c.fop = 5; break;
    case 6: v = (a ^ b) >>> 0; c.fop = 5; break;
    case 2: { const cf = getCF(c); v = (a + b + cf) >>> 0; c.fc = cf; c.fop = 3; break; }
    default: { const cf = getCF(c); v = (a - b - cf) >>> 0; c.fc = cf; c.fop = 4; break; }
  }
  c.fa = a; c.fb = b; c.fr = v; c.fw = 4;
  if (op !== 7) { c.lo[r] = v; c.hi[r] = 0; }
}
// One handler per operation (ADC/SBB excepted: they stay on the dynamic form): a constant op
// lets V8 fold alu64/alu32's switch away when it inlines them.
const aluEG64: Handler = (c, d) => alu64(c, (d.op >> 3) & 7, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0);
const aluGE64: Handler = (c, d) => alu64(c, (d.op >> 3) & 7, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0);
const aluEG32: Handler = (c, d) => alu32(c, (d.op >> 3) & 7, d.rm, c.lo[d.reg]! >>> 0);
const aluGE32: Handler = (c, d) => alu32(c, (d.op >> 3) & 7, d.reg, c.lo[d.rm]! >>> 0);
const aluEI64: Handler = (c, d) => alu64(c, d.reg & 7, d.rm, d.imm >>> 0, d.immHi >>> 0);
const aluEI32: Handler = (c, d) => alu32(c, d.reg & 7, d.rm, d.imm >>> 0);
export const EG64: (Handler | undefined)[] = [
  (c, d) => alu64(c, 0, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0), (c, d) => alu64(c, 1, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0),
  undefined, undefined,
  (c, d) => alu64(c, 4, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0), (c, d) => alu64(c, 5, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0),
  (c, d) => alu64(c, 6, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0), (c, d) => alu64(c, 7, d.rm, c.lo[d.reg]! >>> 0, c.hi[d.reg]! >>> 0),
];
export const GE64: (Handler | undefined)[] = [
  (c, d) => alu64(c, 0, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0), (c, d) => alu64(c, 1, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0),
  undefined, undefined,
  (c, d) => alu64(c, 4, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0), (c, d) => alu64(c, 5, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0),
  (c, d) => alu64(c, 6, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0), (c, d) => alu64(c, 7, d.reg, c.lo[d.rm]! >>> 0, c.hi[d.rm]! >>> 0),
];
export const EG32: (Handler | undefined)[] = [
  (c, d) => alu32(c, 0, d.rm, c.lo[d.reg]! >>> 0), (c, d) => alu32(c, 1, d.rm, c.lo[d.reg]! >>> 0), undefined, undefined,
  (c, d) => alu32(c, 4, d.rm, c.lo[d.reg]! >>> 0), (c, d) => alu32(c, 5, d.rm, c.lo[d.reg]! >>> 0),
  (c, d) => alu32(c, 6, d.rm, c.lo[d.reg]! >>> 0), (c, d) => alu32(c, 7, d.rm, c.lo[d.reg]! >>> 0),
];
export const GE32: (Handler | undefined)[] = [
  (c, d) => alu32(c, 0, d.reg, c.lo[d.rm]! >>> 0), (c, d) => alu32(c, 1, d.reg, c.lo[d.rm]! >>> 0), undefined, undefined,
  (c, d) => alu32(c, 4, d.reg, c.lo[d.rm]! >>> 0), (c, d) => alu32(c, 5, d.reg, c.lo[d.rm]! >>> 0),
  (c, d) => alu32(c, 6, d.reg, c.lo[d.rm]! >>> 0), (c, d) => alu32(c, 7, d.reg, c.lo[d.rm]! >>> 0),
];
export const EI64: (Handler | undefined)[] = [
  (c, d) => alu64(c, 0, d.rm, d.imm >>> 0, d.immHi >>> 0), (c, d) => alu64(c, 1, d.rm, d.imm >>> 0, d.immHi >>> 0), undefined, undefined,
  (c, d) => alu64(c, 4, d.rm, d.imm >>> 0, d.immHi >>> 0), (c, d) => alu64(c, 5, d.rm, d.imm >>> 0, d.immHi >>> 0),
  (c, d) => alu64(c, 6, d.rm, d.imm >>> 0, d.immHi >>> 0), (c, d) => alu64(c, 7, d.rm, d.imm >>> 0, d.immHi >>> 0),
];
export const EI32: (Handler | undefined)[] = [
  (c, d) => alu32(c, 0, d.rm, d.imm >>> 0), (c, d) => alu32(c, 1, d.rm, d.imm >>> 0), undefined, undefined,
  (c, d) => alu32(c, 4, d.rm, d.imm >>> 0), (c, d) => alu32(c, 5, d.rm, d.imm >>> 0),
  (c, d) => alu32(c, 6, d.rm, d.imm >>> 0), (c, d) => alu32(c, 7, d.rm, d.imm >>> 0),
];
export const aluGEm64: Handler = (c, d) => { const lo = load64(c, ea(c, d)) >>> 0; alu64(c, (d.op >> 3) & 7, d.reg, lo, loadHi >>> 0); };
export const aluGEm32: Handler = (c, d) => alu32(c, (d.op >> 3) & 7, d.reg, load32(c, ea(c, d)) >>> 0);
/**
 * The same for ADD, OR, AND, SUB, XOR and CMP only (not ADC, SBB, which read CF): handlers of
 * their own so that these get the interpreter's inline form (ops/inline-forms.ts K_ALUGEM*).
 */
export const aluGEmNC64: Handler = (c, d) => aluGEm64(c, d);
export const aluGEmNC32: Handler = (c, d) => aluGEm32(c, d);
// accumulator-immediate forms (ADD/OR/.../CMP rAX, imm32)
export const aluAI64: Handler = (c, d) => alu64(c, (d.op >> 3) & 7, 0, d.imm >>> 0, d.immHi >>> 0);
export const aluAI32: Handler = (c, d) => alu32(c, (d.op >> 3) & 7, 0, d.imm >>> 0);
/** TEST r, imm: flags of r & imm. */
function testRI64(c: CpuState, r: number, d: Insn): void {
  const a = c.lo[r]! >>> 0, ah = c.hi[r]! >>> 0, b = d.imm >>> 0, bh = d.immHi >>> 0;
  c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = (a & b) >>> 0; c.frh = (ah & bh) >>> 0; c.fw = 8; c.fop = 5 /* FOP_LOGIC */;
}
function testRI32(c: CpuState, r: number, d: Insn): void {
  const a = c.lo[r]! >>> 0, b = d.imm >>> 0;
  c.fa = a; c.fb = b; c.fr = (a & b) >>> 0; c.fw = 4; c.fop = 5 /* FOP_LOGIC */;
}
// F7 /0 and /1 on a register; A9 always tests rAX (its d.rm holds the opcode's low bits)
export const testEI64: Handler = (c, d) => testRI64(c, d.rm, d);
export const testEI32: Handler = (c, d) => testRI32(c, d.rm, d);
const testAI64: Handler = (c, d) => testRI64(c, 0, d);
const testAI32: Handler = (c, d) => testRI32(c, 0, d);
/** CMP r/m8, imm8 with a memory operand. */
export const cmpMI8: Handler = (c, d) => {
  const a = c.mem.r8(ea(c, d)), b = d.imm & 255;
  c.fa = a; c.fb = b; c.fr = (a - b) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */;
};
export const testRR64: Handler = (c, d) => {
  const lo = (c.lo[d.rm]! & c.lo[d.reg]!) >>> 0, hi = (c.hi[d.rm]! & c.hi[d.reg]!) >>> 0;
  c.fa = lo; c.fah = hi; c.fb = lo; c.fbh = hi; c.fr = lo; c.frh = hi; c.fw = 8; c.fop = 5 /* FOP_LOGIC */;
};
export const testRR32: Handler = (c, d) => {
  const v = (c.lo[d.rm]! & c.lo[d.reg]!) >>> 0;
  c.fa = v; c.fb = v; c.fr = v; c.fw = 4; c.fop = 5 /* FOP_LOGIC */;
};

// ---- shifts by immediate on 64-bit registers (SHL/SHR/SAR)
export const shiftRI64: Handler = (c, d) => {
  const cnt = d.imm & 63, kind = d.reg & 7, r = d.rm;
  if (cnt === 0) return;
  const a = c.lo[r]! >>> 0, ah = c.hi[r]! >>> 0;
  let lo: number, hi: number, cf: number, of: number;
  if (kind === 4 || kind === 6) {
    if (cnt < 32) { hi = ((ah << cnt) | (a >>> (32 - cnt))) >>> 0; lo = (a << cnt) >>> 0; }
    else { hi = (a << (cnt - 32)) >>> 0; lo = 0; }
    const pos = 64 - cnt;
    cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
    of = (hi >>> 31) ^ cf;
  } else if (kind === 5) {
    if (cnt < 32) { lo = ((a >>> cnt) | (ah << (32 - cnt))) >>> 0; hi = ah >>> cnt; }
    else { lo = ah >>> (cnt - 32); hi = 0; }
    const pos = cnt - 1;
    cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
    of = ah >>> 31;
  } else {
    if (cnt < 32) { lo = ((a >>> cnt) | (ah << (32 - cnt))) >>> 0; hi = ((ah | 0) >> cnt) >>> 0; }
    else { lo = ((ah | 0) >> (cnt - 32)) >>> 0; hi = ((ah | 0) >> 31) >>> 0; }
    const pos = cnt - 1;
    cf = pos >= 32 ? ((ah | 0) >> (pos - 32)) & 1 : (a >>> pos) & 1;
    of = 0;
  }
  c.lo[r] = lo; c.hi[r] = hi;
  setArith(c, cf | szp(8, lo, hi) | (of << 11));
};

// ---- IMUL r64, r/m64 (register form) and byte stores
export const imulRR64: Handler = (c, d) => {
  const a = c.lo[d.reg]! >>> 0, ah = c.hi[d.reg]! >>> 0, b = c.lo[d.rm]! >>> 0, bh = c.hi[d.rm]! >>> 0;
  const al16 = a & 0xffff, ah16 = a >>> 16, bl16 = b & 0xffff, bh16 = b >>> 16;
  const ll = al16 * bl16, mid = al16 * bh16 + ah16 * bl16 + (ll >>> 16);
  const lo = (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
  const hi = (ah16 * bh16 + Math.floor(mid / 65536) + Math.imul(a, bh) + Math.imul(ah, b)) >>> 0;
  c.fop = 8 /* FOP_IMUL64 */; c.fw = 8; c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = lo; c.frh = hi;
  c.lo[d.reg] = lo; c.hi[d.reg] = hi;
};
export const store8: Handler = (c, d) => {
  const r = d.reg8;
  c.mem.w8(ea(c, d), r < 16 ? c.lo[r]! : c.lo[r - 16]! >>> 8);
};
const load8zx32: Handler = (c, d) => { c.lo[d.reg] = c.mem.r8(ea(c, d)); c.hi[d.reg] = 0; };
export const leaSimple64: Handler = (c, d) => { // base + disp, no index, 64-bit
  const b = d.base, s = (c.lo[b]! >>> 0) + (d.disp >>> 0);
  c.hi[d.reg] = (c.hi[b]! + (d.disp >> 31) + (s > 0xffffffff ? 1 : 0)) | 0;
  c.lo[d.reg] = s | 0;
};

/** Return a faster handler with identical semantics, or h itself. */
export function specialize(d: Insn, h: Handler): Handler {
  const f = specializeForm(d) ?? specializeSse(d);
  if (f !== null) return f;
  // A NOP (any encoding: 90, 0F 1F /0 with its unaccessed memory operand, PAUSE, ENDBR64, the
  // prefetches) does what MOV rax, rax does, so it runs as that register move and gets its inline
  // form instead of a handler call (reg and rm are read by nothing else for these opcodes). In
  // the bench's quicksort `nop [rax]` padding was 2.4% of the instructions; busybox starts every
  // function with ENDBR64.
  if (h === nop) { d.reg = 0; d.rm = 0; return movRR64; }
  if (d.map === 0) {
    const op = d.op;
    const w = d.opsz;
    if (op === 0x89 || op === 0x8b) {
      if (d.mod === 3) {
        if (w === 8) return op === 0x89 ? movRR64 : movGE64;
        if (w === 4) return op === 0x89 ? movRR32 : movGE32;
      } else if (w === 8) return op === 0x89 ? movStore64 : movLoad64;
      else if (w === 4) return op === 0x89 ? movStore32 : movLoad32;
      return h;
    }
    if (op < 0x40 && (op & 7) < 4 && (op & 1) === 1 && !d.lock) {
      const ge = (op & 2) !== 0;
      if (d.mod === 3) {
        const k = (op >> 3) & 7;
        if (w === 8) return (ge ? GE64[k] : EG64[k]) ?? (ge ? aluGE64 : aluEG64);
        if (w === 4) return (ge ? GE32[k] : EG32[k]) ?? (ge ? aluGE32 : aluEG32);
      } else if (ge) {
        const carry = ((op >> 3) & 7) === 2 || ((op >> 3) & 7) === 3;
        if (w === 8) return carry ? aluGEm64 : aluGEmNC64;
        if (w === 4) return carry ? aluGEm32 : aluGEmNC32;
      }
      return h;
    }
    if ((op === 0x81 || op === 0x83) && d.mod === 3) {
      if (w === 8) return EI64[d.reg & 7] ?? aluEI64;
      if (w === 4) return EI32[d.reg & 7] ?? aluEI32;
      return h;
    }
    if (op < 0x40 && (op & 7) === 5 && op !== 0x15 && op !== 0x1d) {
      // ADD/OR/AND/SUB/XOR/CMP rAX, imm32 are op r/m, imm with r/m = rAX: the same handlers
      // (and so the interpreter's inline forms, which read the register from rm: these opcodes
      // have no ModRM, and rm held the opcode's low bits, which nothing else reads). In busybox awk
      // `and eax, imm` and `cmp eax, imm` were 2% of the instructions, each a handler call.
      const k = (op >> 3) & 7;
      if (w === 8) { d.rm = 0; return EI64[k] ?? aluAI64; }
      if (w === 4) { d.rm = 0; return EI32[k] ?? aluAI32; }
      return h;
    }
    if (op === 0xa9) {
      if (w === 8) return testAI64;
      if (w === 4) return testAI32;
      return h;
    }
    if (op === 0xf7 && d.mod === 3 && (d.reg & 7) < 2) {
      if (w === 8) return testEI64;
      if (w === 4) return testEI32;
      return h;
    }
    if (op === 0x80 && d.mod !== 3 && (d.reg & 7) === 7) return cmpMI8;
    if (op === 0x85 && d.mod === 3) {
      if (w === 8) return testRR64;
      if (w === 4) return testRR32;
    }
    if (op === 0xc1 && d.mod === 3 && w === 8 && (d.reg & 7) >= 4) return shiftRI64;
    if (op === 0x88 && d.mod !== 3) return store8;
    if (op === 0x8d && w === 8 && !d.asz32 && d.base >= 0 && d.index < 0) return leaSimple64;
  } else if (d.map === 1) {
    if (d.op === 0xb6 && d.mod !== 3 && d.opsz === 4) return load8zx32;
    if (d.op === 0xaf && d.mod === 3 && d.opsz === 8) return imulRR64;
  }
  return h;
}
