/**
 * Lazy arithmetic flags. Producers store (kind, width, a, b, result) in CpuState; these
 * functions compute individual flags or the whole RFLAGS on demand.
 * Stored operand values are unsigned and truncated to the width (for width 8 the
 * low halves live in fa/fb/fr and the high halves in fah/fbh/frh, all unsigned).
 */
import {
  CpuState, FOP_EAGER, FOP_ADD, FOP_SUB, FOP_ADC, FOP_SBB, FOP_LOGIC, FOP_INC, FOP_DEC, FOP_IMUL64,
  F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF,
} from "./state.js";

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = 0; b < 8; b++) if (i & (1 << b)) p ^= 1;
  PARITY[i] = p;
}
export { PARITY };

// The lazy-flag kinds are written as literals below (V8 loads an imported const at run time,
// and getCF runs in every INC/DEC); this keeps them in step with state.ts.
if (FOP_EAGER !== 0 || FOP_ADD !== 1 || FOP_SUB !== 2 || FOP_ADC !== 3 || FOP_SBB !== 4 || FOP_LOGIC !== 5
  || FOP_INC !== 6 || FOP_DEC !== 7 || FOP_IMUL64 !== 8 || F_ZF !== 0x40 || F_SF !== 0x80 || F_PF !== 4) {
  throw new Error("flags.ts: lazy-flag kind literals out of date");
}

/** unsigned a < b over the width (hi halves used when w === 8). */
function ltu(w: number, a: number, ah: number, b: number, bh: number): boolean {
  if (w === 8) return ah < bh || (ah === bh && a < b);
  return a < b;
}

function signOf(w: number, lo: number, hi: number): number {
  return w === 8 ? (hi >>> 31) : (lo >>> (w * 8 - 1)) & 1;
}

export function getCF(c: CpuState): number {
  const w = c.fw;
  switch (c.fop) {
    case 0 /* FOP_EAGER */: return c.flags & 1;
    case 1 /* FOP_ADD */: return ltu(w, c.fr, c.frh, c.fa, c.fah) ? 1 : 0;
    case 2 /* FOP_SUB */: return ltu(w, c.fa, c.fah, c.fb, c.fbh) ? 1 : 0;
    case 3 /* FOP_ADC */:
      return c.fc ? (ltu(w, c.fa, c.fah, c.fr, c.frh) ? 0 : 1) : (ltu(w, c.fr, c.frh, c.fa, c.fah) ? 1 : 0);
    case 4 /* FOP_SBB */:
      return c.fc ? (ltu(w, c.fb, c.fbh, c.fa, c.fah) ? 0 : 1) : (ltu(w, c.fa, c.fah, c.fb, c.fbh) ? 1 : 0);
    case 5 /* FOP_LOGIC */: return 0;
    case 6 /* FOP_INC */: case 7 /* FOP_DEC */: return c.fc;
    case 8 /* FOP_IMUL64 */: return imul64Overflow(c);
  }
  return 0;
}

export function getZF(c: CpuState): number {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags >> 6) & 1;
  return (c.fr === 0 && (c.fw !== 8 || c.frh === 0)) ? 1 : 0;
}
export function getSF(c: CpuState): number {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags >> 7) & 1;
  return signOf(c.fw, c.fr, c.frh);
}
export function getPF(c: CpuState): number {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags >> 2) & 1;
  return PARITY[c.fr & 255]!;
}
export function getAF(c: CpuState): number {
  switch (c.fop) {
    case 0 /* FOP_EAGER */: return (c.flags >> 4) & 1;
    case 5 /* FOP_LOGIC */: case 8 /* FOP_IMUL64 */: return 0;
  }
  return ((c.fa ^ c.fb ^ c.fr) >> 4) & 1;
}
export function getOF(c: CpuState): number {
  const w = c.fw;
  switch (c.fop) {
    case 0 /* FOP_EAGER */: return (c.flags >> 11) & 1;
    case 1 /* FOP_ADD */: case 3 /* FOP_ADC */: case 6 /* FOP_INC */:
      return w === 8 ? (((c.fah ^ c.frh) & (c.fbh ^ c.frh)) >>> 31)
        : (((c.fa ^ c.fr) & (c.fb ^ c.fr)) >>> (w * 8 - 1)) & 1;
    case 2 /* FOP_SUB */: case 4 /* FOP_SBB */: case 7 /* FOP_DEC */:
      return w === 8 ? (((c.fah ^ c.fbh) & (c.fah ^ c.frh)) >>> 31)
        : (((c.fa ^ c.fb) & (c.fa ^ c.fr)) >>> (w * 8 - 1)) & 1;
    case 5 /* FOP_LOGIC */: return 0;
    case 8 /* FOP_IMUL64 */: return imul64Overflow(c);
  }
  return 0;
}

function imul64Overflow(c: CpuState): number {
  const a = BigInt.asIntN(64, (BigInt(c.fah >>> 0) << 32n) | BigInt(c.fa >>> 0));
  const b = BigInt.asIntN(64, (BigInt(c.fbh >>> 0) << 32n) | BigInt(c.fb >>> 0));
  const p = a * b;
  return BigInt.asIntN(64, p) === p ? 0 : 1;
}

/** Full RFLAGS value. */
export function getFlags(c: CpuState): number {
  const fop = c.fop;
  if (fop === 0 /* FOP_EAGER */) return c.flags;
  // Rotates, BT and PUSHF materialise after every kind of producer; the commonest ones (logic
  // and 32-bit or narrower SUB/ADD) are computed here in one pass instead of six switches.
  const w = c.fw, r = c.fr;
  if (fop === 5 /* FOP_LOGIC */) return (c.flags & ~0x8d5) | szp(w, r, c.frh);
  if (w !== 8 && (fop === 2 /* FOP_SUB */ || fop === 1 /* FOP_ADD */)) {
    const a = c.fa, b = c.fb, top = w * 8 - 1;
    const cf = fop === 2 /* FOP_SUB */ ? (a < b ? 1 : 0) : (r < a ? 1 : 0);
    const of = fop === 2 /* FOP_SUB */ ? (((a ^ b) & (a ^ r)) >>> top) & 1 : (((a ^ r) & (b ^ r)) >>> top) & 1;
    return (c.flags & ~0x8d5) | cf | (PARITY[r & 255]! << 2) | ((a ^ b ^ r) & 0x10) | (r === 0 ? 0x40 : 0)
      | (((r >>> top) & 1) << 7) | (of << 11);
  }
  return (c.flags & ~0x8d5) | getCF(c) | (getPF(c) << 2) | (getAF(c) << 4) | (getZF(c) << 6)
    | (getSF(c) << 7) | (getOF(c) << 11);
}

/** Replace RFLAGS (arith bits become eager). */
export function setFlags(c: CpuState, v: number): void {
  c.flags = (v & 0x0ed5) | 0x2 | (v & 0x240000) | 0x200;
  c.fop = 0 /* FOP_EAGER */;
}

/** Materialize lazy flags so individual bits can be edited in c.flags. */
export function materialize(c: CpuState): void {
  if (c.fop !== 0 /* FOP_EAGER */) { c.flags = getFlags(c); c.fop = 0 /* FOP_EAGER */; }
}

/** ZF/SF/PF bits for a result of width w (lo/hi unsigned). */
export function szp(w: number, lo: number, hi: number): number {
  const z = (lo === 0 && (w !== 8 || hi === 0)) ? 0x40 /* F_ZF */ : 0;
  return z | (signOf(w, lo, hi) << 7 /* F_SF */) | (PARITY[lo & 255]! << 2 /* F_PF */);
}

/** Set all six arithmetic flags eagerly. */
export function setArith(c: CpuState, bits: number): void {
  c.flags = (c.flags & ~0x8d5) | bits;
  c.fop = 0 /* FOP_EAGER */;
}

// ---- conditions ---------------------------------------------------------------------
// One function per condition pair, each with inline paths for the producers that dominate
// real code (CMP/SUB and TEST/AND/OR/XOR at every width) and the generic flag getters for
// the rest. Stored operands are unsigned and truncated to the width (see the header).
// Every conditional jump runs one of these, so the kinds and flag bits are literals (V8 loads
// an imported const at run time; the check at the top keeps them in step with state.ts).

/** CF (B/NAE; its negation is AE/NB). */
export function condB(c: CpuState): boolean {
  const fop = c.fop;
  if (fop === 2 /* FOP_SUB */) {
    if (c.fw !== 8) return c.fa < c.fb;
    const ah = c.fah, bh = c.fbh;
    return ah < bh || (ah === bh && c.fa < c.fb);
  }
  if (fop === 5 /* FOP_LOGIC */) return false;
  return getCF(c) === 1;
}
/** ZF (E/Z). Every lazy kind records its result, so ZF never needs the operands. */
export function condZ(c: CpuState): boolean {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags & 0x40) !== 0;
  return c.fr === 0 && (c.fw !== 8 || c.frh === 0);
}
/** CF or ZF (BE/NA). */
export function condBE(c: CpuState): boolean {
  const fop = c.fop;
  if (fop === 2 /* FOP_SUB */) {
    if (c.fw !== 8) return c.fa <= c.fb;
    const ah = c.fah, bh = c.fbh;
    return ah < bh || (ah === bh && c.fa <= c.fb);
  }
  if (fop === 5 /* FOP_LOGIC */) return c.fr === 0 && (c.fw !== 8 || c.frh === 0);
  return (getCF(c) | getZF(c)) === 1;
}
/** SF (S). */
export function condS(c: CpuState): boolean {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags & 0x80) !== 0;
  return signOf(c.fw, c.fr, c.frh) === 1;
}
/** OF (O). */
export function condO(c: CpuState): boolean {
  return c.fop === 5 /* FOP_LOGIC */ ? false : getOF(c) === 1;
}
/** PF (P/PE). */
export function condP(c: CpuState): boolean {
  if (c.fop === 0 /* FOP_EAGER */) return (c.flags & 4) !== 0;
  return PARITY[c.fr & 255] === 1;
}
/** SF != OF (L/NGE). */
export function condL(c: CpuState): boolean {
  const fop = c.fop;
  if (fop === 2 /* FOP_SUB */) {
    const w = c.fw;
    if (w === 8) {
      const ah = c.fah | 0, bh = c.fbh | 0;
      return ah < bh || (ah === bh && c.fa < c.fb);
    }
    const sh = 32 - w * 8;
    return (c.fa << sh) >> sh < (c.fb << sh) >> sh;
  }
  if (fop === 5 /* FOP_LOGIC */) return signOf(c.fw, c.fr, c.frh) === 1;
  return getSF(c) !== getOF(c);
}
/** ZF or SF != OF (LE/NG). */
export function condLE(c: CpuState): boolean {
  const fop = c.fop;
  if (fop === 2 /* FOP_SUB */) {
    const w = c.fw;
    if (w === 8) {
      const ah = c.fah | 0, bh = c.fbh | 0;
      return ah < bh || (ah === bh && c.fa <= c.fb);
    }
    const sh = 32 - w * 8;
    return (c.fa << sh) >> sh <= (c.fb << sh) >> sh;
  }
  if (fop === 5 /* FOP_LOGIC */) return (c.fr === 0 && (c.fw !== 8 || c.frh === 0)) || signOf(c.fw, c.fr, c.frh) === 1;
  return getZF(c) === 1 || getSF(c) !== getOF(c);
}

/** Evaluate condition code cc (0..15, Jcc encoding order). */
export function cond(c: CpuState, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = condO(c); break;
    case 1: r = condB(c); break;
    case 2: r = condZ(c); break;
    case 3: r = condBE(c); break;
    case 4: r = condS(c); break;
    case 5: r = condP(c); break;
    case 6: r = condL(c); break;
    default: r = condLE(c); break;
  }
  return (cc & 1) ? !r : r;
}

export { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };
