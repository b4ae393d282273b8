/**
 * Second tier: compiles a hot *region* (the hot blocks reachable from a hot block head by
 * static edges: loops, fall-throughs, calls) into one JS function that loops over its blocks
 * with a dispatch switch, so control stays in compiled code across branches, calls and returns
 * that land inside the region (chaining) and V8 optimises the loop as a whole. Under the loop
 * policy (run.ts) a region is the loop through its head: the blocks on a cycle through it,
 * a call's callee left out; it can be entered at any of its block heads.
 *
 * Per instruction: register/memory integer ops (byte ones too), loads, stores, LEA (32/64),
 * IMUL (with and without an immediate), MOVSX/MOVSXD, INC/DEC, NOT/NEG, CMOVcc/SETcc, PUSH/POP, CALL/RET/JMP, scalar-double SSE2 and
 * SSE moves are emitted inline with constant register numbers; everything else calls the
 * instruction's own handler. A conditional jump (CMOVcc, SETcc) is fused with its flag producer
 * when that producer is inline in the same block (the condition is a plain comparison of the
 * recorded operands). Lazy-flag writes are dropped when a later inline instruction overwrites
 * all flags before anything could read them. Guest state the region touches lives in JS locals
 * while it runs (see localize).
 *
 * Contract with run(): the function checks the budget before each block (it never starts a
 * block the budget cannot cover), keeps `c.left` exact at block boundaries and on every exit,
 * sets `c.jb` (index in D of the running block's first instruction) and `c.jk` (index of the
 * instruction that may fault next) so a fault can be made precise, and exits with RIP set when
 * control leaves the region, a handler stops the CPU, a handler or 16-byte store invalidated
 * code of the region, or a store missed its site's cache (RIP is then the store's own
 * instruction, not yet run: see cacheStores). A region of one block that jumps back to itself
 * runs as a plain loop (no dispatch; see selfLoop in compileRegion), under the same contract. Returns 2 (and retires
 * nothing) if the region's code was invalidated before entry, else 0.
 */
import type { CpuState } from "./state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_IMUL64, FOP_EAGER, FOP_INC, FOP_DEC } from "./state.js";
import type { Insn } from "./insn.js";
import { BASE_RIP, SEG_NONE, SEG_FS } from "./insn.js";
import { setArith, szp, materialize, cond, getCF } from "./flags.js";
import { opUD } from "./decode.js";

/** Helpers the generated code calls (passed in: generated code has no module scope). */
export interface JitHelpers {
  setArith: typeof setArith; szp: typeof szp; materialize: typeof materialize; cond: typeof cond; getCF: typeof getCF;
  /** The carry flag of a lazy-flag record given as the region's int32 locals (see cfOf). */
  cfOf: typeof cfOf;
  /** The store cache's empty page (one shape for the locals from the start). */
  noBytes: Uint8Array; noView: DataView;
}
export const JIT_HELPERS: JitHelpers = { setArith, szp, materialize, cond, getCF, cfOf, noBytes: new Uint8Array(0), noView: new DataView(new ArrayBuffer(0)) };
/**
 * The carry flag of the lazy-flag record a region holds in its locals: written to CpuState as
 * the region's write-back does (the operands as uint32), then read by flags.ts's own getCF. One
 * short call in the generated code where the record's producer is not known (the inline
 * evaluation of every kind was ~600 characters per INC/DEC).
 */
function cfOf(c: CpuState, op: number, w: number, a: number, ah: number, b: number, bh: number, r: number, rh: number, fc: number): number {
  c.fop = op; c.fw = w; c.fa = a >>> 0; c.fah = ah >>> 0; c.fb = b >>> 0; c.fbh = bh >>> 0; c.fr = r >>> 0; c.frh = rh >>> 0; c.fc = fc;
  return getCF(c);
}
/** A compiled region, entered at its block `e` (0, the head, when absent). */
export type JitRegion = (c: CpuState, D: Insn[], H: JitHelpers, e?: number) => number;
/** A compiled region: its code, the instructions it indexes, and its block heads (entry i = block i). */
export interface CompiledRegion { fn: JitRegion; D: Insn[]; heads: Insn[] }

/** What an instruction does to the flags, from the JIT's point of view. */
const enum FX { None, WriteAll, Other, Partial }

interface Emitted {
  code: string; fx: FX; inline: boolean; faults: boolean; flagCode?: string; stores?: boolean;
  /** Reads the flags (CMOVcc, SETcc, INC/DEC's carry) through @CC<n>@ / @CF@ placeholders. */
  readsFlags?: boolean;
  /** The condition code an @COND@ placeholder stands for. */
  cc?: number;
  /** The lazy-flag producer this instruction records (when kept), for fusing a following Jcc. */
  lazy?: { fop: number; w: number };
}

function eaExpr(d: Insn): string | null {
  if (d.asz32) return null;
  let e = String(d.disp);
  if (d.base >= 0) e = `(hi[${d.base}] * 4294967296 + (lo[${d.base}] >>> 0)) + ${e}`;
  else if (d.base === BASE_RIP) e = String(d.next + d.disp);
  if (d.index >= 0) e = `${e} + (hi[${d.index}] * 4294967296 + (lo[${d.index}] >>> 0)) * ${d.scale}`;
  if (d.seg !== SEG_NONE) e = `(${e}) + ${d.seg === SEG_FS ? "c.fsBase" : "c.gsBase"}`;
  return e;
}

function alu(op: number, w: number, dst: number, bLo: string, bHi: string): Emitted | null {
  return aluOn(op, w, `lo[${dst}]`, `hi[${dst}]`, bLo, bHi,
    w === 8 ? `lo[${dst}] = l; hi[${dst}] = h; ` : `lo[${dst}] = v; hi[${dst}] = 0; `, false);
}

/**
 * ALU op (not ADC/SBB: they read CF) over a = aLo/aHi and b, the result written by `wb`
 * (over l/h at width 8, v at 4) unless it is CMP. `wbFirst`: the write-back (a store that may
 * fault) comes before the flags, so a faulting store leaves them as they were.
 */
function aluOn(op: number, w: number, aLo: string, aHi: string, bLo: string, bHi: string, wb: string, wbFirst: boolean): Emitted | null {
  if (op === 2 || op === 3) return null; // ADC/SBB read CF
  const kind = op === 0 ? FOP_ADD : op === 5 || op === 7 ? FOP_SUB : FOP_LOGIC;
  let code: string, flag: string;
  const put = (body: string) => (op === 7 ? body + "@FLAGS@" : wbFirst ? body + wb + "@FLAGS@" : body + "@FLAGS@" + wb);
  if (w === 8) {
    code = `{ const a = ${aLo}, ah = ${aHi}, b = ${bLo}, bh = ${bHi}; let l, h; `;
    switch (op) {
      case 0: code += `l = (a + b) | 0; h = (ah + bh + ((l >>> 0) < (a >>> 0) ? 1 : 0)) | 0; `; break;
      case 5: case 7: code += `l = (a - b) | 0; h = (ah - bh - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; `; break;
      case 1: code += `l = a | b; h = ah | bh; `; break;
      case 4: code += `l = a & b; h = ah & bh; `; break;
      default: code += `l = a ^ b; h = ah ^ bh; `;
    }
    flag = `c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = l; c.frh = h; c.fw = 8; c.fop = ${kind}; `;
    return { code: put(code) + "}", flagCode: flag, fx: FX.WriteAll, inline: true, faults: false, lazy: { fop: kind, w: 8 } };
  }
  if (w !== 4) return null;
  code = `{ const a = ${aLo}, b = ${bLo}; let v; `;
  switch (op) {
    case 0: code += `v = (a + b) | 0; `; break;
    case 5: case 7: code += `v = (a - b) | 0; `; break;
    case 1: code += `v = a | b; `; break;
    case 4: code += `v = a & b; `; break;
    default: code += `v = a ^ b; `;
  }
  flag = `c.fa = a; c.fb = b; c.fr = v; c.fw = 4; c.fop = ${kind}; `;
  return { code: put(code) + "}", flagCode: flag, fx: FX.WriteAll, inline: true, faults: false, lazy: { fop: kind, w: 4 } };
}

/** ALU r/m (memory), reg or imm: read, operate, store (CMP only reads). */
function aluMem(d: Insn, op: number, bLo: string, bHi: string): Emitted | null {
  const w = d.opsz;
  if (w !== 8 && w !== 4) return null;
  const e = eaExpr(d); if (e === null) return null;
  const pre = w === 8 ? `const A_ = ${e}; const ml_ = m.r32(A_), mh_ = m.r32(A_ + 4); ` : `const A_ = ${e}; const ml_ = m.r32(A_); `;
  const inner = aluOn(op, w, "ml_", w === 8 ? "mh_" : "0", bLo, bHi, w === 8 ? "m.w64(A_, l, h); " : "m.w32(A_, v); ", true);
  if (inner === null) return null;
  return { ...inner, code: `{ ${pre}${inner.code} }`, faults: true, stores: op !== 7 };
}

function emitBase(d: Insn): Emitted | null {
  const w = d.opsz;
  if (d.map === 0) {
    const op = d.op;
    if ((op === 0x89 || op === 0x8b) && (w === 8 || w === 4)) {
      if (d.mod === 3) {
        const [to, from] = op === 0x89 ? [d.rm, d.reg] : [d.reg, d.rm];
        return { code: w === 8 ? `lo[${to}] = lo[${from}]; hi[${to}] = hi[${from}];` : `lo[${to}] = lo[${from}]; hi[${to}] = 0;`, fx: FX.None, inline: true, faults: false };
      }
      if (op === 0x8b) {
        const e = eaExpr(d); if (e === null) return null;
        return {
          code: w === 8 ? `{ const a = ${e}; const l = m.r32(a), h = m.r32(a + 4); lo[${d.reg}] = l; hi[${d.reg}] = h; }` : `{ const v = m.r32(${e}); lo[${d.reg}] = v; hi[${d.reg}] = 0; }`,
          fx: FX.None, inline: true, faults: true,
        };
      }
      // MOV m, r: the store form below
    }
    if (op >= 0xb8 && op <= 0xbf && (w === 8 || w === 4)) {
      return { code: `lo[${d.rm}] = ${d.imm | 0}; hi[${d.rm}] = ${w === 8 ? d.immHi | 0 : 0};`, fx: FX.None, inline: true, faults: false };
    }
    if (op < 0x40 && (op & 7) === 1 && d.mod === 3 && !d.lock) return alu((op >> 3) & 7, w, d.rm, `lo[${d.reg}]`, `hi[${d.reg}]`);
    if (op < 0x40 && (op & 7) === 3 && d.mod === 3) return alu((op >> 3) & 7, w, d.reg, `lo[${d.rm}]`, `hi[${d.rm}]`);
    if ((op === 0x81 || op === 0x83) && d.mod === 3) return alu(d.reg & 7, w, d.rm, String(d.imm | 0), String(d.immHi | 0));
    if (op < 0x40 && (op & 7) === 1 && d.mod !== 3 && !d.lock) return aluMem(d, (op >> 3) & 7, `lo[${d.reg}]`, `hi[${d.reg}]`);
    if ((op === 0x81 || op === 0x83) && d.mod !== 3 && !d.lock && (d.reg & 7) !== 7) return aluMem(d, d.reg & 7, String(d.imm | 0), String(d.immHi | 0));
    if (op === 0x85 && d.mod === 3 && (w === 8 || w === 4)) {
      if (w === 8) return { code: `{ const l = lo[${d.rm}] & lo[${d.reg}], h = hi[${d.rm}] & hi[${d.reg}]; @FLAGS@}`, flagCode: `c.fa = l; c.fah = h; c.fb = l; c.fbh = h; c.fr = l; c.frh = h; c.fw = 8; c.fop = ${FOP_LOGIC}; `, fx: FX.WriteAll, inline: true, faults: false, lazy: { fop: FOP_LOGIC, w: 8 } };
      return { code: `{ const v = lo[${d.rm}] & lo[${d.reg}]; @FLAGS@}`, flagCode: `c.fa = v; c.fb = v; c.fr = v; c.fw = 4; c.fop = ${FOP_LOGIC}; `, fx: FX.WriteAll, inline: true, faults: false, lazy: { fop: FOP_LOGIC, w: 4 } };
    }
    if ((op === 0xc1 || op === 0xd1) && d.mod === 3 && w === 8 && (d.reg & 7) >= 4) {
      const cnt = (op === 0xd1 ? 1 : d.imm) & 63, kind = d.reg & 7, r = d.rm;
      if (cnt === 0) return { code: "", fx: FX.None, inline: true, faults: false };
      let code = `{ const a = lo[${r}], ah = hi[${r}]; let l, h; `;
      let flag: string;
      if (kind === 4 || kind === 6) {
        code += cnt < 32 ? `h = (ah << ${cnt}) | (a >>> ${32 - cnt}); l = a << ${cnt}; ` : `h = a << ${cnt - 32}; l = 0; `;
        const pos = 64 - cnt;
        flag = `{ const cf = ${pos >= 32 ? `(ah >>> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h) | (((h >>> 31) ^ cf) << 11)); } `;
      } else if (kind === 5) {
        code += cnt < 32 ? `l = (a >>> ${cnt}) | (ah << ${32 - cnt}); h = (ah >>> ${cnt}) | 0; ` : `l = (ah >>> ${cnt - 32}) | 0; h = 0; `;
        const pos = cnt - 1;
        flag = `{ const cf = ${pos >= 32 ? `(ah >>> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h) | ((ah >>> 31) << 11)); } `;
      } else {
        code += cnt < 32 ? `l = (a >>> ${cnt}) | (ah << ${32 - cnt}); h = ah >> ${cnt}; ` : `l = ah >> ${cnt - 32}; h = ah >> 31; `;
        const pos = cnt - 1;
        flag = `{ const cf = ${pos >= 32 ? `(ah >> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h)); } `;
      }
      return { code: code + `lo[${r}] = l; hi[${r}] = h; @FLAGS@}`, flagCode: flag, fx: FX.WriteAll, inline: true, faults: false };
    }
    if ((op === 0xc1 || op === 0xd1) && d.mod === 3 && w === 4 && [0, 1, 4, 5, 6, 7].includes(d.reg & 7)) {
      const cnt = (op === 0xd1 ? 1 : d.imm) & 31, kind = d.reg & 7, r = d.rm;
      if (cnt === 0) return { code: `hi[${r}] = 0;`, fx: FX.None, inline: true, faults: false };
      let code = `{ const a = lo[${r}]; let v; `, flag: string;
      switch (kind) {
        case 0: code += `v = (a << ${cnt}) | (a >>> ${32 - cnt}); `; flag = `{ const cf = v & 1; materializeF(c); c.flags = (c.flags & ~0x801) | cf | (((v >>> 31) ^ cf) << 11); } `; break;
        case 1: code += `v = (a >>> ${cnt}) | (a << ${32 - cnt}); `; flag = `{ const cf = v >>> 31; materializeF(c); c.flags = (c.flags & ~0x801) | cf | ((cf ^ ((v >>> 30) & 1)) << 11); } `; break;
        case 5: code += `v = (a >>> ${cnt}) | 0; `; flag = `setArithF(c, ((a >>> ${cnt - 1}) & 1) | szpF(4, v, 0) | ((a >>> 31) << 11)); `; break;
        case 7: code += `v = a >> ${cnt}; `; flag = `setArithF(c, ((a >> ${cnt - 1}) & 1) | szpF(4, v, 0)); `; break;
        default: code += `v = a << ${cnt}; `; flag = `{ const cf = (a >>> ${32 - cnt}) & 1; setArithF(c, cf | szpF(4, v, 0) | (((v >>> 31) ^ cf) << 11)); } `;
      }
      return { code: code + `lo[${r}] = v; hi[${r}] = 0; @FLAGS@}`, flagCode: flag, fx: kind <= 1 ? FX.Partial : FX.WriteAll, inline: true, faults: false };
    }
    if ((op === 0x89 || op === 0x88) && d.mod !== 3 && (op === 0x88 || w === 8 || w === 4)) {
      const e = eaExpr(d); if (e === null) return null;
      let code: string;
      if (op === 0x88) { const r = d.reg8; code = `m.w8(${e}, ${r < 16 ? `lo[${r}]` : `lo[${r - 16}] >>> 8`});`; }
      else code = w === 8 ? `m.w64(${e}, lo[${d.reg}], hi[${d.reg}]);` : `m.w32(${e}, lo[${d.reg}]);`;
      return { code, fx: FX.None, inline: true, faults: true, stores: true };
    }
    if (op < 0x40 && (op & 7) === 3 && d.mod !== 3 && (w === 8 || w === 4) && ((op >> 3) & 7) !== 2 && ((op >> 3) & 7) !== 3) {
      const e = eaExpr(d); if (e === null) return null;
      const pre = w === 8 ? `const A_ = ${e}; const ml_ = m.r32(A_), mh_ = m.r32(A_ + 4); ` : `const ml_ = m.r32(${e}); `;
      const inner = alu((op >> 3) & 7, w, d.reg, "ml_", w === 8 ? "mh_" : "0");
      if (inner === null) return null;
      return { ...inner, code: `{ ${pre}${inner.code} }`, faults: true };
    }
    if (op === 0x63 && d.mod === 3 && w === 8) return { code: `{ const v = lo[${d.rm}]; lo[${d.reg}] = v; hi[${d.reg}] = v >> 31; }`, fx: FX.None, inline: true, faults: false };
    if (op === 0x8d && d.mod !== 3 && w === 8 && !d.asz32) {
      // exact 64-bit LEA
      // int32 halves throughout: a sum's carry is (unsigned) sum < addend
      let code = `{ let l = ${d.disp | 0}, h = ${d.disp >> 31}, x; `;
      const addIn = (xl: string, xh: string) => `x = ${xl}; l = (l + x) | 0; h = (h + ${xh} + ((l >>> 0) < (x >>> 0) ? 1 : 0)) | 0; `;
      if (d.base >= 0) code += addIn(`lo[${d.base}]`, `hi[${d.base}]`);
      else if (d.base === BASE_RIP) { const [nl, nh] = halves(d.next); code += addIn(String(nl), String(nh)); }
      if (d.index >= 0) {
        const sh = d.scale === 1 ? 0 : d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
        code += sh ? `{ const il = lo[${d.index}]; ${addIn(`il << ${sh}`, `((hi[${d.index}] << ${sh}) | (il >>> ${32 - sh}))`)}} `
          : addIn(`lo[${d.index}]`, `hi[${d.index}]`);
      }
      return { code: code + `lo[${d.reg}] = l; hi[${d.reg}] = h; }`, fx: FX.None, inline: true, faults: false };
    }
  } else if (d.map === 1 && d.rep === 0xf2 && !d.lock && [0x58, 0x59, 0x5c, 0x5e, 0x51, 0x10, 0x11].includes(d.op)) {
    // scalar double SSE2 in the default MXCSR mode once PE is sticky, when no other MXCSR flag
    // can be raised (normal operands and result); everything else uses the handler
    const R = d.reg * 2, op = d.op, NM = "2.2250738585072014e-308";
    let src: string, pre = "", faults = false;
    if (d.mod === 3) src = `f64[${d.rm * 2}]`;
    else {
      const e = eaExpr(d); if (e === null) return null;
      faults = true;
      pre = `const A_ = ${e}; x32[${16 * 4}] = m.r32(A_); x32[${16 * 4 + 1}] = m.r32(A_ + 4); `;
      src = `f64[${16 * 2}]`;
    }
    const slow = `{ c.rip = ${d.next}; D[@K@].exec(c, D[@K@]); }`;
    let code: string;
    if (op === 0x10) code = d.mod === 3 ? `x32[${R * 2}] = x32[${d.rm * 4}]; x32[${R * 2 + 1}] = x32[${d.rm * 4 + 1}];` : `{ ${pre}x32[${R * 2}] = x32[64]; x32[${R * 2 + 1}] = x32[65]; x32[${R * 2 + 2}] = 0; x32[${R * 2 + 3}] = 0; }`;
    else if (op === 0x11) {
      if (d.mod === 3) return null;
      const e = eaExpr(d); if (e === null) return null;
      return { code: `m.w64(${e}, x32[${R * 2}], x32[${R * 2 + 1}]);`, fx: FX.None, inline: true, faults: true, stores: true };
    } else {
      const expr = op === 0x58 ? `a + b` : op === 0x59 ? `a * b` : op === 0x5c ? `a - b` : op === 0x5e ? `a / b` : `Math.sqrt(b)`;
      code = `{ ${pre}const a = f64[${R}], b = ${src}; const r = ${expr}; if (r === r && (c.mxcsr & 0xe060) === 0x20 && (r > ${NM} || r < -${NM}) && r - r === 0 && (a === 0 || a >= ${NM} || a <= -${NM}) && (b === 0 || b >= ${NM} || b <= -${NM})) f64[${R}] = r; else ${slow} }`;
    }
    return { code, fx: FX.None, inline: true, faults };
  } else if (d.map === 1) {
    if (d.op === 0xaf && (w === 8 || w === 4)) return imulEmit(d, `lo[${d.reg}]`, `hi[${d.reg}]`, null);
    if (d.op === 0xb6 && d.mod === 3 && w === 4) {
      const r = d.rm8;
      return { code: `lo[${d.reg}] = ${r < 16 ? `lo[${r}] & 255` : `(lo[${r - 16}] >>> 8) & 255`}; hi[${d.reg}] = 0;`, fx: FX.None, inline: true, faults: false };
    }
    if (d.op === 0xb6 && d.mod !== 3 && w === 4) {
      const e = eaExpr(d); if (e === null) return null;
      return { code: `{ const v = m.r8(${e}); lo[${d.reg}] = v; hi[${d.reg}] = 0; }`, fx: FX.None, inline: true, faults: true };
    }
  }
  return null;
}

/**
 * IMUL r, r/m (`aLo`/`aHi` the register operand, imm null) or IMUL r, r/m, imm (the r/m
 * operand multiplied by the immediate), 64- or 32-bit. int32 throughout: the high half of the
 * unsigned 32x32 product from 16-bit pieces, each partial sum below 2^32 so its int32 wrap
 * keeps the bits the shifts take. 64-bit records the lazy IMUL64 producer; 32-bit sets the
 * flags eagerly as the handler does (CF = OF = the signed product does not fit, SZP of the
 * result, AF clear).
 */
function imulEmit(d: Insn, aLo: string, aHi: string, imm: number | null): Emitted | null {
  const w = d.opsz;
  let pre = "", rl = `lo[${d.rm}]`, rh = `hi[${d.rm}]`;
  if (d.mod !== 3) {
    const e = eaExpr(d); if (e === null) return null;
    pre = `const A_ = ${e}; const ml_ = m.r32(A_)${w === 8 ? ", mh_ = m.r32(A_ + 4)" : ""}; `;
    rl = "ml_"; rh = w === 8 ? "mh_" : "0";
  }
  // IMUL r, r/m: a = r, b = r/m; with an immediate: a = r/m, b = imm
  const [a, ah, b, bh] = imm === null ? [aLo, aHi, rl, rh] : [rl, rh, String(imm | 0), String(imm >> 31)];
  const uhi = `const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const t0 = Math.imul(a0, b0), m1 = (Math.imul(a1, b0) + (t0 >>> 16)) | 0, m2 = (Math.imul(a0, b1) + (m1 & 0xffff)) | 0;
  const l = Math.imul(a, b);`;
  if (w === 8) return {
    code: `{ ${pre}const a = ${a}, ah = ${ah}, b = ${b}, bh = ${bh};
  ${uhi}
  const h = (Math.imul(a1, b1) + (m1 >>> 16) + (m2 >>> 16) + Math.imul(a, bh) + Math.imul(ah, b)) | 0;
  @FLAGS@lo[${d.reg}] = l; hi[${d.reg}] = h; }`,
    flagCode: `c.fop = ${FOP_IMUL64}; c.fw = 8; c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = l; c.frh = h; `,
    fx: FX.WriteAll, inline: true, faults: d.mod !== 3,
  };
  if (w !== 4) return null;
  return {
    code: `{ ${pre}const a = ${a}, b = ${b};
  ${uhi}
  const h = (Math.imul(a1, b1) + (m1 >>> 16) + (m2 >>> 16) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
  lo[${d.reg}] = l; hi[${d.reg}] = 0; @FLAGS@}`,
    flagCode: `setArithF(c, (h !== (l >> 31) ? 0x801 : 0) | szpF(4, l, 0)); `,
    fx: FX.WriteAll, inline: true, faults: d.mod !== 3,
  };
}

const RSP_GET = `hi[4] * 4294967296 + (lo[4] >>> 0)`;
const RSP_SET = (v: string) => `lo[4] = ${v} | 0; hi[4] = Math.floor(${v} / 4294967296) | 0;`;
/** Low and high int32 halves of an address held in a double, as literals. */
const halves = (v: number): [number, number] => [v | 0, Math.floor(v / 4294967296) | 0];

/** Forms beyond the base set: stack, MOVSXD/LEA32/MOV imm, accumulator ALU, SSE moves. */
function emitMore(d: Insn): Emitted | null {
  const w = d.opsz;
  if (d.map === 0) {
    const op = d.op;
    if (op >= 0x50 && op <= 0x57 && w === 8) {
      const r = d.rm;
      return { code: `{ const s_ = ${RSP_GET} - 8; m.w64(s_, lo[${r}], hi[${r}]); ${RSP_SET("s_")} }`, fx: FX.None, inline: true, faults: true, stores: true };
    }
    if (op >= 0x58 && op <= 0x5f && w === 8) {
      const r = d.rm;
      return { code: `{ const s_ = ${RSP_GET}; const l_ = m.r32(s_), h_ = m.r32(s_ + 4); ${RSP_SET("(s_ + 8)")} lo[${r}] = l_; hi[${r}] = h_; }`, fx: FX.None, inline: true, faults: true };
    }
    if (op === 0x63 && d.mod !== 3 && w === 8) {
      const e = eaExpr(d); if (e === null) return null;
      return { code: `{ const v = m.r32(${e}); lo[${d.reg}] = v; hi[${d.reg}] = v >> 31; }`, fx: FX.None, inline: true, faults: true };
    }
    if (op === 0x8d && d.mod !== 3 && w === 4 && !d.asz32 && d.seg === SEG_NONE) {
      // 32-bit LEA: the low half of the 64-bit address (sums stay exact in a double)
      let e = String(d.disp);
      if (d.base >= 0) e += ` + lo[${d.base}]`;
      else if (d.base === BASE_RIP) e = String((d.next + d.disp) | 0);
      if (d.index >= 0) e += ` + lo[${d.index}] * ${d.scale}`;
      return { code: `lo[${d.reg}] = (${e}) | 0; hi[${d.reg}] = 0;`, fx: FX.None, inline: true, faults: false };
    }
    if ((op === 0x69 || op === 0x6b) && (w === 8 || w === 4)) return imulEmit(d, "", "", d.imm);
    if (op === 0x98 && w === 8) return { code: `hi[0] = lo[0] >> 31;`, fx: FX.None, inline: true, faults: false }; // CDQE
    if (op === 0x98 && w === 4) return { code: `lo[0] = (lo[0] << 16) >> 16; hi[0] = 0;`, fx: FX.None, inline: true, faults: false }; // CWDE
    if (op === 0xc7 && (d.reg & 7) === 0 && (w === 8 || w === 4)) {
      const hiV = w === 8 ? d.imm >> 31 : 0;
      if (d.mod === 3) return { code: `lo[${d.rm}] = ${d.imm | 0}; hi[${d.rm}] = ${hiV};`, fx: FX.None, inline: true, faults: false };
      const e = eaExpr(d); if (e === null) return null;
      return { code: w === 8 ? `m.w64(${e}, ${d.imm | 0}, ${hiV});` : `m.w32(${e}, ${d.imm | 0});`, fx: FX.None, inline: true, faults: true, stores: true };
    }
    if (op < 0x40 && (op & 7) === 5 && (w === 8 || w === 4)) return alu((op >> 3) & 7, w, 0, String(d.imm | 0), String(d.immHi | 0));
    if ((op === 0x81 || op === 0x83) && d.mod !== 3 && (d.reg & 7) === 7 && (w === 8 || w === 4)) {
      // CMP m, imm: flags only
      const e = eaExpr(d); if (e === null) return null;
      const b = d.imm | 0, bh = d.immHi | 0;
      if (w === 8) return {
        code: `{ const A_ = ${e}; const a = m.r32(A_), ah = m.r32(A_ + 4); const l = (a - ${b}) | 0, h = (ah - ${bh} - ((a >>> 0) < ${b >>> 0} ? 1 : 0)) | 0; @FLAGS@}`,
        flagCode: `c.fa = a; c.fah = ah; c.fb = ${b}; c.fbh = ${bh}; c.fr = l; c.frh = h; c.fw = 8; c.fop = ${FOP_SUB}; `,
        fx: FX.WriteAll, inline: true, faults: true, lazy: { fop: FOP_SUB, w: 8 },
      };
      return {
        code: `{ const a = m.r32(${e}); const v = (a - ${b}) | 0; @FLAGS@}`,
        flagCode: `c.fa = a; c.fb = ${b}; c.fr = v; c.fw = 4; c.fop = ${FOP_SUB}; `,
        fx: FX.WriteAll, inline: true, faults: true, lazy: { fop: FOP_SUB, w: 4 },
      };
    }
    return null;
  }
  if (d.map !== 1) return null;
  const op = d.op;
  if (op === 0xb7 && w === 4) {
    if (d.mod === 3) return { code: `lo[${d.reg}] = lo[${d.rm}] & 0xffff; hi[${d.reg}] = 0;`, fx: FX.None, inline: true, faults: false };
    const e = eaExpr(d); if (e === null) return null;
    return { code: `{ const v = m.r16(${e}); lo[${d.reg}] = v; hi[${d.reg}] = 0; }`, fx: FX.None, inline: true, faults: true };
  }
  // ---- SSE moves ([none, 66, F3, F2] as the decoder picks them)
  const pfx = d.rep === 0xf3 ? 2 : d.rep === 0xf2 ? 3 : d.p66 ? 1 : 0;
  const R = d.reg * 4, S = d.rm * 4;
  const load16 = (align: boolean): Emitted | null => {
    if (d.mod === 3) return { code: `x32[${R}] = x32[${S}]; x32[${R + 1}] = x32[${S + 1}]; x32[${R + 2}] = x32[${S + 2}]; x32[${R + 3}] = x32[${S + 3}];`, fx: FX.None, inline: true, faults: false };
    const e = eaExpr(d); if (e === null) return null;
    const chk = align ? `if (A_ % 16 !== 0) { c.rip = ${d.next}; D[@K@].exec(c, D[@K@]); } ` : "";
    // one Memory call (one TLB lookup) into the scratch slot, then the register: a read that
    // faults on its second page leaves the register as it was
    return { code: `{ const A_ = ${e}; ${chk}m.r128(A_, x32, 64); x32[${R}] = x32[64]; x32[${R + 1}] = x32[65]; x32[${R + 2}] = x32[66]; x32[${R + 3}] = x32[67]; }`, fx: FX.None, inline: true, faults: true };
  };
  const store = (bytes: number, align: boolean): Emitted | null => {
    if (d.mod === 3) return null; // register forms keep their handler (they differ by width)
    const e = eaExpr(d); if (e === null) return null;
    const chk = align ? `if (A_ % 16 !== 0) { c.rip = ${d.next}; D[@K@].exec(c, D[@K@]); } ` : "";
    // 16 bytes in one Memory call (it checks both ends before writing; it may invalidate code,
    // so the region's code check runs after it): a quarter of the JS of four cached stores
    if (bytes === 16) return { code: `{ const A_ = ${e}; ${chk}sw = true; m.w128(A_, x32, ${R}); }`, fx: FX.None, inline: true, faults: true, stores: true };
    let code = `{ const A_ = ${e}; ${chk}m.checkW(A_, ${bytes}); `;
    for (let i = 0; i < bytes >> 2; i++) code += `m.w32(A_ + ${i * 4}, x32[${R + i}]); `;
    return { code: code + "}", fx: FX.None, inline: true, faults: true, stores: true };
  };
  if ((op === 0x10 || op === 0x28) && pfx <= 1) return load16(op === 0x28);
  if ((op === 0x11 || op === 0x29) && pfx <= 1) return store(16, op === 0x29);
  if (op === 0x6f && (pfx === 1 || pfx === 2)) return load16(pfx === 1);
  if (op === 0x7f && (pfx === 1 || pfx === 2)) return store(16, pfx === 1);
  if (op === 0x10 && pfx === 2) { // MOVSS
    if (d.mod === 3) return { code: `x32[${R}] = x32[${S}];`, fx: FX.None, inline: true, faults: false };
    const e = eaExpr(d); if (e === null) return null;
    return { code: `{ const v = m.r32(${e}); x32[${R}] = v; x32[${R + 1}] = 0; x32[${R + 2}] = 0; x32[${R + 3}] = 0; }`, fx: FX.None, inline: true, faults: true };
  }
  if (op === 0x11 && pfx === 2) return store(4, false);
  if (op === 0x7e && pfx === 2) { // MOVQ xmm, xmm/m64
    if (d.mod === 3) return { code: `x32[${R}] = x32[${S}]; x32[${R + 1}] = x32[${S + 1}]; x32[${R + 2}] = 0; x32[${R + 3}] = 0;`, fx: FX.None, inline: true, faults: false };
    const e = eaExpr(d); if (e === null) return null;
    return { code: `{ const A_ = ${e}; const v0 = m.r32(A_), v1 = m.r32(A_ + 4); x32[${R}] = v0; x32[${R + 1}] = v1; x32[${R + 2}] = 0; x32[${R + 3}] = 0; }`, fx: FX.None, inline: true, faults: true };
  }
  if (op === 0xd6 && pfx === 1) return store(8, false);
  if (op === 0xc6 && pfx === 1 && d.mod === 3) { // SHUFPD xmm, xmm, imm8: dst = [dst[i0], src[i1]]
    const a = R + (d.imm & 1) * 2, b = S + ((d.imm >> 1) & 1) * 2;
    return { code: `{ const a0 = x32[${a}], a1 = x32[${a + 1}], b0 = x32[${b}], b1 = x32[${b + 1}]; x32[${R}] = a0; x32[${R + 1}] = a1; x32[${R + 2}] = b0; x32[${R + 3}] = b1; }`, fx: FX.None, inline: true, faults: false };
  }
  if (op === 0x6e && pfx === 1 && d.mod === 3) // MOVD/MOVQ xmm, r32/r64
    return { code: `x32[${R}] = lo[${d.rm}]; x32[${R + 1}] = ${d.rexW ? `hi[${d.rm}]` : "0"}; x32[${R + 2}] = 0; x32[${R + 3}] = 0;`, fx: FX.None, inline: true, faults: false };
  if (op === 0x7e && pfx === 1 && d.mod === 3) // MOVD/MOVQ r32/r64, xmm
    return { code: `lo[${d.rm}] = x32[${R}]; hi[${d.rm}] = ${d.rexW ? `x32[${R + 1}]` : "0"};`, fx: FX.None, inline: true, faults: false };
  return null;
}

function emit(d: Insn): Emitted | null {
  if (d.exec === (opUD as unknown as Insn["exec"]) || d.lock) return null;
  return emitBase(d) ?? emitMore(d) ?? emitFlagForms(d);
}

/** A byte register (reg8/rm8 code: 16..19 are AH..BH) as a JS expression, and its write. */
const r8Get = (r: number) => (r < 16 ? `(lo[${r}] & 255)` : `((lo[${r - 16}] >>> 8) & 255)`);
const r8Set = (r: number, v: string) => (r < 16 ? `lo[${r}] = (lo[${r}] & -256) | (${v});` : `lo[${r - 16}] = (lo[${r - 16}] & -65281) | ((${v}) << 8);`);
/** Write-back of a 32/64-bit ALU result (l/h at width 8, v at 4) to GPR r. */
const wbReg = (w: number, r: number) => (w === 8 ? `lo[${r}] = l; hi[${r}] = h; ` : `lo[${r}] = v; hi[${r}] = 0; `);

/** Byte and word ALU op (not ADC/SBB) over a and b; `wb(v)` stores the result (null: flags only). */
function aluNarrow(op: number, w: number, a: string, b: string, wb: ((v: string) => string) | null): Emitted | null {
  if (op === 2 || op === 3) return null;
  const kind = op === 0 ? FOP_ADD : op === 5 || op === 7 ? FOP_SUB : FOP_LOGIC, m = w === 1 ? 255 : 65535;
  const expr = op === 0 ? `((a + b) & ${m}) >>> 0` : op === 5 || op === 7 ? `((a - b) & ${m}) >>> 0` : op === 1 ? `(a | b) >>> 0` : op === 4 ? `(a & b) >>> 0` : `(a ^ b) >>> 0`;
  const write = op === 7 || wb === null ? "" : wb("v");
  return {
    code: `{ const a = ${a}, b = ${b}; const v = ${expr}; ${write}@FLAGS@}`,
    flagCode: `c.fa = a; c.fb = b; c.fr = v; c.fw = ${w}; c.fop = ${kind}; `,
    fx: FX.WriteAll, inline: true, faults: false, lazy: { fop: kind, w },
  };
}

/**
 * Forms beyond emitMore: byte ALU/CMP/TEST and byte moves, TEST imm, INC/DEC, NOT/NEG,
 * CMOVcc/SETcc (the condition fused like a Jcc's), MOVSX, NOPs, 16-bit stores.
 */
function emitFlagForms(d: Insn): Emitted | null {
  const w = d.opsz, op = d.op;
  const mem = (f: (e: string) => Emitted | null): Emitted | null => {
    const e = eaExpr(d); if (e === null) return null;
    const r = f(e); return r === null ? null : { ...r, faults: true };
  };
  if (d.map === 0) {
    if (op === 0x90 && (d.rex & 1) === 0 && d.rep === 0) return { code: "", fx: FX.None, inline: true, faults: false };
    // byte ALU: r/m8 op= r8, r8 op= r/m8, AL op= imm8, r/m8 op= imm8, TEST
    const byteAlu = (aop: number, src: string, toRm: boolean, test = false): Emitted | null => {
      if (d.mod === 3) {
        const rm = d.rm8, g = d.reg8;
        const [dst, b] = toRm ? [rm, src === "REG" ? r8Get(g) : src] : [g, r8Get(rm)];
        return aluNarrow(aop, 1, r8Get(dst), b, test ? null : (v) => r8Set(dst, v) + " ");
      }
      if (!toRm) return mem((e) => aluNarrow(aop, 1, r8Get(d.reg8), `m.r8(${e})`, (v) => r8Set(d.reg8, v) + " "));
      const b = src === "REG" ? r8Get(d.reg8) : src;
      return mem((e) => {
        const r = aluNarrow(aop, 1, "m.r8(A_)", b, test ? null : (v) => `m.w8(A_, ${v}); `);
        return r && { ...r, code: `{ const A_ = ${e}; ${r.code} }`, stores: !test && aop !== 7 };
      });
    };
    if (op < 0x40 && (op & 7) === 0) return byteAlu((op >> 3) & 7, "REG", true);
    if (op < 0x40 && (op & 7) === 2) return byteAlu((op >> 3) & 7, "", false);
    if (op < 0x40 && (op & 7) === 4) return aluNarrow((op >> 3) & 7, 1, r8Get(0), String(d.imm & 255), (v) => r8Set(0, v) + " ");
    if (op === 0x80) return byteAlu(d.reg & 7, String(d.imm & 255), true);
    if (op === 0x84) return byteAlu(4, "REG", true, true);
    if (op === 0xa8) return aluNarrow(4, 1, r8Get(0), String(d.imm & 255), null);
    if (op === 0xf6 && (d.reg & 7) === 0) return byteAlu(4, String(d.imm & 255), true, true);
    // byte moves
    if (op === 0x8a) {
      if (d.mod === 3) return { code: r8Set(d.reg8, r8Get(d.rm8)), fx: FX.None, inline: true, faults: false };
      return mem((e) => ({ code: `{ const v = m.r8(${e}); ${r8Set(d.reg8, "v")} }`, fx: FX.None, inline: true, faults: true }));
    }
    if (op === 0x88 && d.mod === 3) return { code: r8Set(d.rm8, r8Get(d.reg8)), fx: FX.None, inline: true, faults: false };
    if (op === 0xc6 && (d.reg & 7) === 0) {
      if (d.mod === 3) return { code: r8Set(d.rm8, String(d.imm & 255)), fx: FX.None, inline: true, faults: false };
      return mem((e) => ({ code: `m.w8(${e}, ${d.imm & 255});`, fx: FX.None, inline: true, faults: true, stores: true }));
    }
    // 16-bit stores
    if ((op === 0x89 || op === 0xc7) && w === 2 && d.mod !== 3 && (op === 0x89 || (d.reg & 7) === 0))
      return mem((e) => ({ code: `m.w16(${e}, ${op === 0x89 ? `lo[${d.reg}]` : d.imm & 0xffff});`, fx: FX.None, inline: true, faults: true, stores: true }));
    if (w !== 8 && w !== 4) return null;
    // TEST r/m, imm32 and TEST eAX, imm32
    if (op === 0xa9) return aluOn(4, w, `lo[0]`, `hi[0]`, String(d.imm | 0), String(d.immHi | 0), "", false);
    if (op === 0xf7 && (d.reg & 7) === 0) {
      if (d.mod === 3) return aluOn(4, w, `lo[${d.rm}]`, `hi[${d.rm}]`, String(d.imm | 0), String(d.immHi | 0), "", false);
      return mem((e) => {
        const r = aluOn(4, w, "ml_", w === 8 ? "mh_" : "0", String(d.imm | 0), String(d.immHi | 0), "", false);
        return r && { ...r, code: `{ const A_ = ${e}; const ml_ = m.r32(A_)${w === 8 ? ", mh_ = m.r32(A_ + 4)" : ""}; ${r.code} }` };
      });
    }
    if (op === 0xf7 && (d.reg & 7) === 2 && d.mod === 3)
      return { code: `lo[${d.rm}] = ~lo[${d.rm}]; hi[${d.rm}] = ${w === 8 ? `~hi[${d.rm}]` : "0"};`, fx: FX.None, inline: true, faults: false };
    if (op === 0xf7 && (d.reg & 7) === 3 && d.mod === 3)
      return aluOn(5, w, "0", "0", `lo[${d.rm}]`, `hi[${d.rm}]`, wbReg(w, d.rm), false);
    if (op === 0xff && ((d.reg & 7) === 0 || (d.reg & 7) === 1)) {
      const dec = (d.reg & 7) === 1, kind = dec ? FOP_DEC : FOP_INC;
      const calc = w === 8 ? (dec ? `const l = (a - 1) | 0, h = (ah - (a === 0 ? 1 : 0)) | 0; ` : `const l = (a + 1) | 0, h = (ah + (l === 0 ? 1 : 0)) | 0; `)
        : `const v = (a ${dec ? "-" : "+"} 1) | 0; `;
      // the carry INC/DEC keep is the previous producer's: read before its record is replaced
      const flag = `c.fc = @CF@; ` + (w === 8 ? `c.fah = ah; c.fbh = 0; c.frh = h; c.fa = a; c.fb = 1; c.fr = l; ` : `c.fa = a; c.fb = 1; c.fr = v; `) + `c.fw = ${w}; c.fop = ${kind}; `;
      const base = { flagCode: flag, fx: FX.WriteAll, inline: true, readsFlags: true, lazy: { fop: kind, w } };
      if (d.mod === 3) return { ...base, faults: false, code: `{ const a = lo[${d.rm}]${w === 8 ? `, ah = hi[${d.rm}]` : ""}; ${calc}${wbReg(w, d.rm)}@FLAGS@}` };
      return mem((e) => ({ ...base, faults: true, stores: true,
        code: `{ const A_ = ${e}; const a = m.r32(A_)${w === 8 ? ", ah = m.r32(A_ + 4)" : ""}; ${calc}${w === 8 ? "m.w64(A_, l, h); " : "m.w32(A_, v); "}@FLAGS@}` }));
    }
    return null;
  }
  if (d.map !== 1) return null;
  if (op === 0x1f) return { code: "", fx: FX.None, inline: true, faults: false }; // NOP r/m (no access)
  if (op >= 0x90 && op <= 0x9f) { // SETcc
    const cc = op - 0x90;
    if (d.mod === 3) return { code: r8Set(d.rm8, "(@COND@ ? 1 : 0)"), fx: FX.None, inline: true, faults: false, readsFlags: true, cc };
    return mem((e) => ({ code: `m.w8(${e}, @COND@ ? 1 : 0);`, fx: FX.None, inline: true, faults: true, stores: true, readsFlags: true, cc }));
  }
  if (w !== 8 && w !== 4) return null;
  if (op >= 0x40 && op <= 0x4f) { // CMOVcc: a memory operand is read (and may fault) regardless
    const cc = op - 0x40, r = d.reg;
    const put = (l: string, h: string) => `if (@COND@) { lo[${r}] = ${l}; hi[${r}] = ${w === 8 ? h : "0"}; }${w === 4 ? ` else { hi[${r}] = 0; }` : ""}`;
    if (d.mod === 3) return { code: put(`lo[${d.rm}]`, `hi[${d.rm}]`), fx: FX.None, inline: true, faults: false, readsFlags: true, cc };
    return mem((e) => ({ code: `{ const A_ = ${e}; const v0 = m.r32(A_)${w === 8 ? ", v1 = m.r32(A_ + 4)" : ""}; ${put("v0", "v1")} }`, fx: FX.None, inline: true, faults: true, readsFlags: true, cc }));
  }
  if (op === 0xbe || op === 0xbf) { // MOVSX r, r/m8 / r/m16
    const sh = op === 0xbe ? 24 : 16;
    const set = (v: string) => `{ const v = (${v} << ${sh}) >> ${sh}; lo[${d.reg}] = v; hi[${d.reg}] = ${w === 8 ? "v >> 31" : "0"}; }`;
    if (d.mod === 3) return { code: set(op === 0xbe ? r8Get(d.rm8) : `lo[${d.rm}]`), fx: FX.None, inline: true, faults: false };
    return mem((e) => ({ code: set(op === 0xbe ? `m.r8(${e})` : `m.r16(${e})`), fx: FX.None, inline: true, faults: true }));
  }
  return null;
}

/** A recorded flag operand as uint32, and two operands' bit equality (either may be int32 or uint32). */
const U = (v: string) => `(${v} >>> 0)`;
const EQ = (a: string, b: string) => `((${a} ^ ${b}) === 0)`;

/**
 * A condition as a JS expression over the recorded operands of a known lazy producer, or
 * null when only the generic evaluator can decide it.
 */
function condExpr(p: Producer, cc: number): string | null {
  const w8 = p.w === 8;
  const zf = w8 ? `((c.fr | c.frh) === 0)` : `(c.fr === 0)`;
  const sf = w8 ? `(c.frh >>> 31 === 1)` : `(((c.fr >>> ${p.w * 8 - 1}) & 1) === 1)`;
  /** A narrow operand as a signed int32 (sign-extended from its width). */
  const sx = (v: string) => (p.w === 4 ? `(${v} | 0)` : `((${v} << ${32 - p.w * 8}) >> ${32 - p.w * 8})`);
  let e: string | null = null;
  const base = cc & ~1;
  if (p.fop === FOP_SUB) {
    // the recorded operands may be int32 or uint32 (the region's own producers record int32,
    // the interpreter's uint32): compare as unsigned, test equality on the bits
    const lt = w8 ? `(${U("c.fah")} < ${U("c.fbh")} || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} < ${U("c.fb")}))` : `(${U("c.fa")} < ${U("c.fb")})`;
    const le = w8 ? `(${U("c.fah")} < ${U("c.fbh")} || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} <= ${U("c.fb")}))` : `(${U("c.fa")} <= ${U("c.fb")})`;
    const slt = w8 ? `((c.fah | 0) < (c.fbh | 0) || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} < ${U("c.fb")}))` : `(${sx("c.fa")} < ${sx("c.fb")})`;
    const sle = w8 ? `((c.fah | 0) < (c.fbh | 0) || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} <= ${U("c.fb")}))` : `(${sx("c.fa")} <= ${sx("c.fb")})`;
    switch (base) { case 2: e = lt; break; case 4: e = zf; break; case 6: e = le; break; case 8: e = sf; break; case 12: e = slt; break; case 14: e = sle; break; }
  } else if (p.fop === FOP_LOGIC) {
    switch (base) { case 0: e = "false"; break; case 2: e = "false"; break; case 4: e = zf; break; case 6: e = zf; break; case 8: e = sf; break; case 12: e = sf; break; case 14: e = `(${zf} || ${sf})`; break; }
  } else if (p.fop === FOP_ADD || p.fop === FOP_INC || p.fop === FOP_DEC) {
    switch (base) { case 4: e = zf; break; case 8: e = sf; break; }
  }
  if (e === null) return null;
  return cc & 1 ? `!${e}` : e;
}

/**
 * The carry flag as 0/1 (what INC/DEC keep): from the known producer when there is one, else
 * from the recorded producer kind, the rare kinds through the generic evaluator.
 */
function cfExpr(p: Producer): string {
  const ltu = (a: string, b: string, w8: boolean) => w8 ? `(${U(`c.${a}h`)} < ${U(`c.${b}h`)} || (${EQ(`c.${a}h`, `c.${b}h`)} && ${U(`c.${a}`)} < ${U(`c.${b}`)}))` : `(${U(`c.${a}`)} < ${U(`c.${b}`)})`;
  if (p.fop === FOP_SUB) return `(${ltu("fa", "fb", p.w === 8)} ? 1 : 0)`;
  if (p.fop === FOP_ADD) return `(${ltu("fr", "fa", p.w === 8)} ? 1 : 0)`;
  if (p.fop === FOP_LOGIC) return "0";
  if (p.fop === FOP_INC || p.fop === FOP_DEC) return "c.fc";
  return CF_ANY;
}
/** The carry of whatever producer the record holds: the flags.ts evaluator, given the record (see cfOf). */
const CF_ANY = "cfL(c, c.fop, c.fw, c.fa, c.fah, c.fb, c.fbh, c.fr, c.frh, c.fc)";
/**
 * `specific` (an expression valid for the hinted producer) when the record holds a producer of
 * the hint's kind and width, else `generic`; just `generic` without a hint.
 */
function guarded(hint: Producer | null, specific: string | null, generic: string): string {
  if (hint === null || specific === null || specific === generic) return generic;
  return `(c.fop === ${hint.fop} && c.fw === ${hint.w} ? ${specific} : ${generic})`;
}
/** A lazy-flag producer as the region compiler knows it: its kind (FOP_*) and width. */
type Producer = { fop: number; w: number };

/** Handlers that read the run budget (c.left) cannot run inside compiled code. */
function readsBudget(d: Insn): boolean {
  return (d.map === 0 && d.op >= 0xa4 && d.op <= 0xaf) || (d.map === 1 && d.op === 0x31);
}
const isJcc = (d: Insn) => (d.map === 0 && d.op >= 0x70 && d.op <= 0x7f) || (d.map === 1 && d.op >= 0x80 && d.op <= 0x8f);
const isJmpRel = (d: Insn) => d.map === 0 && (d.op === 0xeb || d.op === 0xe9);
const isCallRel = (d: Insn) => d.map === 0 && d.op === 0xe8;
const isRet = (d: Insn) => d.map === 0 && d.op === 0xc3;
/** JMP r/m64 (FF /4): a switch's jump-table dispatch, an interpreter's threaded code. */
export const isJmpIndirect = (d: Insn) => d.map === 0 && d.op === 0xff && (d.reg & 7) === 4 && !d.lock;

/** Region limits: blocks, and instructions in all. */
const MAX_REGION_BLOCKS = 8, MAX_REGION_INSNS = 96;
/** Under the loop policy: blocks the search may look at, and instructions in the loop it keeps. */
const MAX_LOOP_SEARCH_BLOCKS = 48, MAX_LOOP_INSNS = 400;
/**
 * Under the loop policy a region is compiled only once its blocks have already run this many
 * instructions in the interpreter (sum over its blocks of entries x length), on the rule that
 * a region's future is about its past, and the bar is the cost of compiling it. V8's
 * optimising compile of a region costs about as much as interpreting a few million guest
 * instructions for a large one, and the region runs in V8's unoptimised tiers (several times
 * slower than the interpreter) until it is done. That cost grows faster than the region's
 * instruction count: it is driven by the generated code (each x86 block is a switch case that
 * every register local merges at, stores and faulting loads add branches). Measured with
 * `node --trace-opt` on this machine under load: the bench loop's 3.8K characters 20-60 ms,
 * quicksort's 17K-character loop nest 440 ms, then 555 ms more for an OSR compile; bzip2's
 * 5.4K-character loop 32 ms, then 91 ms for OSR, and at 400 per character it ran 0.8x the
 * interpreter (it retired 2.7M instructions compiled). So the bar
 * is PROMOTE_VOLUME_PER_CHAR per character of generated code (at least PROMOTE_VOLUME_FLOOR),
 * and a loop whose code is longer than MAX_REGION_CHARS is not compiled at all: within the
 * bench's programs (4-30M instructions) no such region paid back its compile (quicksort 0.4x,
 * bzip2 0.7x, the bytecode interpreter 1.0x with 14-22K-character regions compiled).
 */
export const PROMOTE_VOLUME_PER_CHAR = 800;
export const PROMOTE_VOLUME_FLOOR = 1 << 17;
export const MAX_REGION_CHARS = 6000;
/**
 * A region of one block that loops to itself is the cheap case: V8 compiles a single straight
 * block without a dispatch switch in a fraction of the time (measured: 20-60 ms of compiler
 * thread on a loaded machine for the bench loop's 17 instructions, about what the interpreter
 * spends on 1-2M guest instructions), and such a loop has no cold paths left to deoptimise on.
 * It is compiled once it has run this many instructions per instruction of its block, and at
 * least PROMOTE_VOLUME_SELF_LOOP in all (the floor keeps bzip2's 5-instruction prefix-sum loop,
 * which did not clearly pay compiled, interpreted): the bench loop (17 instructions) at 557K.
 */
export const PROMOTE_VOLUME_PER_INSN_SELF_LOOP = 1 << 15;
export const PROMOTE_VOLUME_SELF_LOOP = 1 << 19;
/** A factor on every promotion volume (1 in use; tests scale the policy down to their small loops). */
let promoteScale = 1;
export function setPromoteScale(k: number): void { promoteScale = k; }
/** Interpreted instructions a loop region must have shown before it is compiled (see above). */
function promoteVolume(nBlocks: number, nInsns: number, chars: number): number {
  return promoteScale * (nBlocks === 1 ? Math.max(PROMOTE_VOLUME_SELF_LOOP, nInsns * PROMOTE_VOLUME_PER_INSN_SELF_LOOP)
    : Math.max(PROMOTE_VOLUME_FLOOR, chars * PROMOTE_VOLUME_PER_CHAR));
}
/**
 * Fewer characters of generated code than a region of n instructions has (the check before
 * generating it). The bench's regions run 115 (sha256's straight 32-bit round loop) to 270 per
 * instruction; at 80 a loop nest of more than 75 instructions is found too big without
 * generating its 15-17K characters first (quicksort's, the bytecode interpreter's: their
 * compileRegion calls 84 -> 38 and 39 -> 17, the latter's time in it 64 -> 4 ms).
 */
const MIN_CHARS_PER_INSN = 80;
/**
 * Heads of loop nests found too big or calling handlers. Every head of a loop nest finds the
 * same loop (the nest's strongly connected blocks), so one verdict serves them all instead of
 * each searching, generating its code and declining it again (measured: that churn alone made
 * the bench's quicksort a third slower with nothing compiled). A head of a declined nest is
 * looked at once more for its innermost loop alone (innerCycle): sha256's 47-instruction round
 * loop, 72% of its run, is a single block that loops to itself inside a 285-instruction nest.
 */
const declined = new WeakSet<Insn>();
/**
 * Decline a loop: a whole nest (inner false) marks its heads, and the head looks again, at its
 * innermost loop, when that is smaller (after a quarter more entries: run.ts's retry); an
 * innermost loop declined is final for its head alone (null).
 */
function decline(blocks: RBlock[], byAddr: Map<number, RBlock>, inner: boolean): null | number {
  if (inner) return null;
  for (const rb of blocks) declined.add(rb.insns[0]!);
  return innerCycle(blocks, byAddr).length < blocks.length ? 1.25 : null;
}
/**
 * Instructions an innermost loop has retired per entry into it, estimated within its nest: the
 * head's passes times the loop's length over the entries of the nest's blocks outside the loop
 * that lead to its head (0 when none does: nothing known). A loop of a few trips per entry
 * (quicksort's partition scans, each of the bytecode interpreter's opcodes through its
 * dispatch: 4-30 instructions) only pays V8's compile back in entries and exits, and run.ts
 * demotes it after its first 64 entries anyway; measured compiled, quicksort ran 0.8x.
 */
function perEntry(cycle: RBlock[], nest: RBlock[]): number {
  const head = cycle[0]!, len = cycle.reduce((n, rb) => n + rb.insns.length, 0);
  const entries = nest.reduce((n, rb) => (!cycle.includes(rb) && rb.succs.includes(head.addr) ? n + rb.insns[0]!.heat : n), 0);
  return entries === 0 ? 0 : head.insns[0]!.heat * len / entries;
}
/** The least perEntry for which the innermost loop of a declined nest is looked at. */
const INNER_MIN_PER_ENTRY = 512;
/** The generated code's size, by head, as last generated for a region not yet worth compiling. */
const codeSizeSeen = new WeakMap<Insn, { n: number; chars: number }>();
/**
 * How much more its head must run before a region short of its bar is looked at again: the
 * volume grows with the head's entries, so about bar/volume times as many (at least a quarter
 * more). Each look searches the loop and may generate its code, and every head of a loop looks.
 */
const laterBy = (volume: number, bar: number): number => Math.max(1.25, bar / Math.max(1, volume));
/** Observed targets of an indirect jump that join its region: the most frequent ones. */
const MAX_INDIRECT_TARGETS = 16;

interface RBlock { addr: number; insns: Insn[]; start: number; cut: boolean; succs: number[] }

/** Targets an indirect jump was seen to take (by the interpreter), most frequent first. */
function indirectTargets(d: Insn): number[] {
  if (d.ind === null) return [];
  return [...d.ind].sort((a, b) => b[1] - a[1]).slice(0, MAX_INDIRECT_TARGETS).map(([t]) => t);
}

/**
 * Build and compile the region headed by `head`. `blockAt(addr)` gives the (valid) block
 * starting at addr when it is hot enough to join the region, else null; the head's block is
 * always given. Returns null when nothing can be compiled, or (loopsOnly) when no cycle
 * returns to the head, the loop calls a handler or its code is too long; (loopsOnly) a number
 * while its blocks have run fewer instructions in the interpreter than promoteVolume asks:
 * the factor by which the head's entries should grow before it is looked at again.
 */
/** Why compileRegion declined a head (for profiling tools; null = off), with the generated code once generated. */
export let regionWhy: ((head: Insn, why: string, at?: Insn, code?: string) => void) | null = null;
export function explainRegions(f: typeof regionWhy): void { regionWhy = f; }

export function compileRegion(head: Insn, blockAt: (addr: number, isHead: boolean) => Insn[] | null, loopsOnly: boolean, regs?: CpuState): CompiledRegion | null | number {
  const inner = loopsOnly && declined.has(head);
  let blocks: RBlock[] = [];
  let byAddr = new Map<number, RBlock>();
  const queue = [head.addr];
  // Under the loop policy the search looks further (a loop body of several large blocks) and
  // keeps only the blocks on a cycle through the head (see loopOf): the cold exits and the
  // code after the loop, which the breadth-first search also reaches, stay interpreted.
  const maxBlocks = loopsOnly ? MAX_LOOP_SEARCH_BLOCKS : MAX_REGION_BLOCKS, maxInsns = loopsOnly ? MAX_LOOP_INSNS : MAX_REGION_INSNS;
  let size = 0;
  while (queue.length > 0 && blocks.length < maxBlocks) {
    const addr = queue.shift()!;
    if (byAddr.has(addr)) continue;
    const blk = blockAt(addr, blocks.length === 0);
    if (blk === null) continue;
    let n = blk.findIndex(readsBudget);
    const cut = n >= 0;
    if (!cut) n = blk.length;
    if (n === 0 || size + n > maxInsns) continue;
    const last = blk[n - 1]!;
    const succs = cut ? [] : isJcc(last) ? [last.next, last.target] : isJmpRel(last) ? [last.target]
      : isCallRel(last) ? (loopsOnly ? [last.next] : [last.target, last.next]) : isJmpIndirect(last) ? indirectTargets(last)
      : !isRet(last) && !endsBlock(last) ? [last.next] : [];
    const rb: RBlock = { addr, insns: blk.slice(0, n), start: 0, cut, succs };
    blocks.push(rb); byAddr.set(addr, rb); size += n;
    queue.push(...succs);
  }
  if (loopsOnly && blocks.length > 0) {
    blocks = loopOf(blocks, byAddr);
    if (inner) {
      const cycle = innerCycle(blocks, byAddr);
      if (cycle.length === blocks.length || perEntry(cycle, blocks) < INNER_MIN_PER_ENTRY) { regionWhy?.(head, "inner loop too short"); return null; }
      blocks = cycle;
    }
    byAddr = new Map(blocks.map((rb) => [rb.addr, rb]));
  }
  const D: Insn[] = [];
  for (const rb of blocks) { rb.start = D.length; D.push(...rb.insns); }
  // the volume check again, after code generation, when the bar depends on the code's size;
  // first against the least a region of this many instructions can cost, without generating it
  const volume = blocks.reduce((v, rb) => v + rb.insns[0]!.heat * rb.insns.length, 0);
  // a loop whose remaining trip count can be read off its exit compare must also have that
  // much left to run (a loop run once, caught near its end, would only pay V8's compile)
  const future = loopsOnly && regs !== undefined ? remainingVolume(head, blocks, byAddr, regs, volume) : null;
  const short = (bar: number): boolean => volume < bar || (future !== null && future < bar);
  if (loopsOnly) {
    // the code's size as last generated for this head's loop when it still has as many
    // instructions, else the least it can be: generating it again costs more than the look
    const known = codeSizeSeen.get(head), chars = known !== undefined && known.n === D.length ? known.chars : D.length * MIN_CHARS_PER_INSN;
    if (chars > MAX_REGION_CHARS) { regionWhy?.(head, `too big ${chars} chars`); return decline(blocks, byAddr, inner); }
    const bar = promoteVolume(blocks.length, D.length, chars);
    if (short(bar)) {
      regionWhy?.(head, `later ${volume}/${bar} left ${future} (${blocks.length} blocks, ${D.length} insns${known ? `, ${chars} chars` : ""})`);
      return volume < bar ? laterBy(volume, bar) : 1.25;
    }
  }
  if (blocks.length === 0) return null;
  // Only loops pay for V8's optimising compile: a region must hold a cycle.
  if (loopsOnly && !hasCycle(blocks, byAddr)) { regionWhy?.(head, "no cycle"); return null; }
  // one instruction per page the region's code lives on: code invalidation drops whole pages
  const pages = new Map<number, number>();
  D.forEach((x, i) => { const pn = Math.floor(x.addr / 4096); if (!pages.has(pn)) pages.set(pn, i); });
  const stale = [...pages.values()].map((i) => `!D[${i}].valid`).join(" || ");
  let inlined = 0, called = 0;
  // A single block that jumps back to itself (the commonest hot loop) runs as a plain loop:
  // no dispatch switch, the budget checked once on entry and then after each pass (so no exit
  // at the top of a pass reads the record the previous pass left, and V8 need not carry the
  // lazy-flag locals around the loop), the block's index set once
  const selfLoop = loopsOnly && blocks.length === 1 && !blocks[0]!.cut && isJcc(blocks[0]!.insns.at(-1)!) && blocks[0]!.insns.at(-1)!.target === head.addr;
  let body = selfLoop ? `c.jb = 0;\nL: { if (c.left < ${D.length}) { c.rip = ${head.addr}; return 0; }\nfor (;;) {\n` : `L: for (;;) switch (b) {
`;
  const goTo = (addr: number): string => {
    const t = byAddr.get(addr);
    return t ? `{ b = ${blocks.indexOf(t)}; continue L; }` : `{ c.rip = ${addr}; return 0; }`;
  };
  // dynamic targets (RET, handlers) go through one shared lookup (case -1), keeping code linear
  const dispatch = (v: string): string => `t = ${v}; b = -1; continue L;`;
  // per block: its terminator, the instructions before it emitted inline, which of them keep
  // their flags, and the lazy producer known at its end
  const plans = blocks.map((rb) => {
    const blk = rb.insns, n = blk.length, last = blk[n - 1]!;
    // the terminator, when handled by the region itself
    const ijmp = isJmpIndirect(last) ? indirectJump(last) : null;
    const term = rb.cut ? "cut" : isJcc(last) ? "jcc" : isJmpRel(last) ? "jmp" : isCallRel(last) ? "call" : isRet(last) ? "ret" : ijmp !== null ? "ijmp" : endsBlock(last) ? "handler" : "fall";
    const bodyN = term === "jcc" || term === "jmp" || term === "call" || term === "ret" || term === "ijmp" ? n - 1 : n;
    const em: (Emitted | null)[] = blk.slice(0, bodyN).map(emit);
    if (term === "handler") em[n - 1] = null;
    // dead-flag elimination: walk backwards tracking whether flags are overwritten before read
    let dead = false;
    const keepFlags: boolean[] = new Array(n).fill(true);
    for (let k = bodyN - 1; k >= 0; k--) {
      const e = em[k];
      if (e === null || e === undefined || e.faults) { dead = false; if (e === null || e === undefined) continue; }
      if (e.fx === FX.WriteAll) { keepFlags[k] = !dead; dead = true; }
      else if (e.fx === FX.Partial) keepFlags[k] = !dead;
      else if (e.fx === FX.Other) dead = false;
      if (e.readsFlags && (e.fx !== FX.WriteAll || keepFlags[k])) dead = false;
    }
    // what the block leaves in the record: its last producer's kind, the record it was entered
    // with ("pass": no instruction of it touches the flags) or nothing known (null)
    let exit: Producer | "pass" | null = "pass";
    for (let k = 0; k < bodyN; k++) {
      const e = em[k];
      exit = e === null || e === undefined ? null : e.lazy && keepFlags[k] ? e.lazy : e.fx === FX.None ? exit : null;
    }
    const staticSuccs = term === "jcc" ? [last.next, last.target] : term === "jmp" || term === "call" ? [last.target] : term === "fall" ? [last.next] : [];
    return { ijmp, term, bodyN, em, keepFlags, exit, staticSuccs };
  });
  // A self loop whose only faulting accesses are stores the store cache serves cannot fault: a
  // store that misses leaves the region before its instruction (see cacheStores), so the loop
  // needs no try/catch keeping every local alive at every store, and no stale-code check
  const cannotFault = selfLoop && plans[0]!.em.every((e) => !e?.faults || onlyCachedStores(e.code));
  // Hints: the producer every region edge into a block leaves (through blocks that do not touch
  // the flags too), found by iterating to a fixed point from "no edge seen" (undefined). A block
  // can also be entered from outside or through the dispatch, so code that reads a hint checks
  // the record's kind and width first (guarded).
  const hints: (Producer | null | undefined)[] = blocks.map(() => undefined);
  const same = (a: Producer | null | undefined, b: Producer | null | undefined) => a === b || (a != null && b != null && a.fop === b.fop && a.w === b.w);
  for (let changed = true, rounds = 0; changed && rounds < 4 * blocks.length + 4; rounds++) {
    changed = false;
    blocks.forEach((rb, id) => {
      let h: Producer | null | undefined = undefined;
      for (const [i, pl] of plans.entries()) {
        if (!pl.staticSuccs.includes(rb.addr)) continue;
        const x = pl.exit === "pass" ? hints[i] : pl.exit;
        if (x === undefined) continue;
        h = h === undefined || same(h, x) ? x : null;
      }
      if (!same(h, hints[id])) { hints[id] = h; changed = true; }
    });
  }
  for (const [id, rb] of blocks.entries()) {
    const blk = rb.insns, n = blk.length, last = blk[n - 1]!;
    const { ijmp, term, bodyN, em, keepFlags } = plans[id]!;
    if (!selfLoop) body += `case ${id}: {\nif (c.left < ${n}) { c.rip = ${rb.addr}; return 0; }\nc.jb = ${rb.start};\n`;
    let known: Producer | null = null;
    const hint = hints[id] ?? null;
    /** A condition with no producer of this block before it: the hint's when the record is of its kind. */
    const cond = (cc: number): string => (known && condExpr(known, cc)) ?? guarded(hint, hint && condExpr(hint, cc), `condF(c, ${cc})`);
    for (let k = 0; k < bodyN; k++) {
      const e = em[k], d = blk[k]!, j = rb.start + k;
      if (e !== null && e !== undefined) {
        inlined++;
        if (e.faults) body += `c.jk = ${j};\n`;
        body += e.code.replace("@FLAGS@", keepFlags[k] ? e.flagCode ?? "" : "").replaceAll("@K@", String(j))
          .replaceAll("@COND@", e.cc === undefined ? "" : cond(e.cc)).replaceAll("@CF@", known ? cfExpr(known) : guarded(hint, hint && cfExpr(hint), CF_ANY)) + "\n";
        // (a cached store never sets sw: only an instruction still calling Memory needs the check)
        if (e.stores && !onlyCachedStores(e.code)) body += `if (sw && ((sw = false), ${stale})) { c.rip = ${d.next}; c.left -= ${k + 1}; return 0; }\n`;
        known = e.lazy && keepFlags[k] ? e.lazy : e.fx === FX.None ? known : null;
      } else {
        if (loopsOnly) { regionWhy?.(head, "handler", d); return decline(blocks, byAddr, inner); } // see below: a region calling handlers does not pay
        body += `c.jk = ${j}; c.rip = ${d.next}; D[${j}].exec(c, D[${j}]);\n`;
        called++;
        known = null;
        if (term === "handler" && k === n - 1) break; // its exit code follows
        body += `if (${stale}) { c.left -= ${k + 1}; return 0; }\n`;
      }
    }
    const j = rb.start + n - 1;
    switch (term) {
      case "cut": body += `c.left -= ${n}; c.rip = ${last.next}; return 0;\n`; break;
      case "fall": body += `c.left -= ${n};\n${goTo(last.next)}\n`; break;
      case "jmp": inlined++; body += `c.left -= ${n};\n${goTo(last.target)}\n`; break;
      case "jcc": {
        inlined++;
        const cc = last.map === 0 ? last.op - 0x70 : last.op - 0x80;
        if (selfLoop) body += `c.left -= ${n};\nif (!(${cond(cc)})) { c.rip = ${last.next}; return 0; }\nif (c.left < ${n}) { c.rip = ${rb.addr}; return 0; }\n`;
        else body += `c.left -= ${n};\nif (${cond(cc)}) ${goTo(last.target)}\n${goTo(last.next)}\n`;
        break;
      }
      case "call": {
        inlined++;
        const [rl, rh] = halves(last.next);
        body += `c.jk = ${j};\n{ const s_ = ${RSP_GET} - 8; m.w64(s_, ${rl}, ${rh}); ${RSP_SET("s_")} }\nc.left -= ${n};\n`;
        body += `if (sw && ((sw = false), ${stale})) { c.rip = ${last.target}; return 0; }\n${goTo(last.target)}\n`;
        break;
      }
      case "ret": {
        inlined++;
        body += `c.jk = ${j};\n{ const s_ = ${RSP_GET}; const l_ = m.r32(s_), h_ = m.r32(s_ + 4); ${RSP_SET("(s_ + 8)")} c.left -= ${n};\nconst t_ = h_ * 4294967296 + (l_ >>> 0); ${dispatch("t_")} }\n`;
        break;
      }
      case "ijmp":
        inlined++;
        body += `c.jk = ${j};\n{ ${ijmp} c.left -= ${n};\n${dispatch("t_")} }\n`;
        break;
      case "handler":
        if (loopsOnly) { regionWhy?.(head, "handler-term", last); return decline(blocks, byAddr, inner); }
        body += `c.left -= ${n};\nif (c.stop !== null || ${stale}) return 0;\n{ const t_ = c.rip; ${dispatch("t_")} }\n`;
        break;
    }
    body += "}\n";
  }
  if (selfLoop) body += "}\n"; else body += `case -1: switch (t) { ${blocks.map((rb, i) => `case ${rb.addr}: b = ${i}; continue L; `).join("")}}\nc.rip = t; return 0;\ndefault: return 0;\n}`;
  if (inlined === 0) return null;
  // A region that still calls handlers costs V8 more to compile than it saves (measured on
  // the bench's real programs): under the loop policy only fully inlined loops are compiled.
  if (loopsOnly && called > 0) return null;
  const { code, sites } = localize(body, cannotFault);
  if (loopsOnly) {
    codeSizeSeen.set(head, { n: D.length, chars: code.length });
    if (code.length > MAX_REGION_CHARS) { regionWhy?.(head, `too big ${code.length} chars`, undefined, code); return decline(blocks, byAddr, inner); }
    const bar = promoteVolume(blocks.length, D.length, code.length);
    if (short(bar)) {
      regionWhy?.(head, `later ${volume}/${bar} left ${future} (${blocks.length} blocks, ${D.length} insns, ${code.length} chars)`, undefined, code);
      return volume < bar ? laterBy(volume, bar) : 1.25;
    }
  }
  const prologue = `const lo = c.lo, hi = c.hi, m = c.mem, f64 = c.xf64, x32 = c.x32;
const setArithF = H.setArith, szpF = H.szp, materializeF = H.materialize, condF = H.cond, cfL = H.cfOf;
if (${stale}) return 2;
${selfLoop ? "" : "let b = e | 0, t = 0;\n"}`;
  // each store site's remembered page (see cacheStores), in the region function's closure
  const S = new Float64Array(sites).fill(NaN);
  const fn = new Function("S", `return function region(c, D, H, e) {\n${prologue}${code}};`)(S) as JitRegion;
  return { fn, D, heads: blocks.map((rb) => rb.insns[0]!) };
}

/**
 * Rewrite a region body so guest state lives in JS locals while it runs (V8 then keeps it in
 * machine registers and drops dead moves): each GPR half the region names (`lo[n]`, `hi[n]`)
 * becomes a local int32 (`rNl`, `rNh`, every write truncated as the typed array would), the
 * budget `c.left` and the fault indices `c.jb`/`c.jk` become locals. State is written back at
 * every exit, around every handler call (handlers read and write c.lo/c.hi: reloaded after),
 * and, when something throws (a guest fault), before rethrowing, so run() sees exactly what the
 * interpreter would have left. `hs` is set while a handler runs: registers are then already
 * in c (the handler may have changed them) and are not overwritten.
 */
const LAZY_FLAGS = ["fop", "fw", "fa", "fah", "fb", "fbh", "fr", "frh", "fc"];
const UNSIGNED_FLAG = new Set(["fa", "fah", "fb", "fbh", "fr", "frh"]);
function localize(body: string, noCatch: boolean): { code: string; sites: number } {
  const name = (k: string, n: string) => `r${n}${k === "lo" ? "l" : "h"}`;
  const written = new Set<string>();
  body = body.replace(/(?<![\w.])(lo|hi)\[(\d+)\] = ([^;]*);/g, (_m, k: string, n: string, e: string) => {
    const v = name(k, n); written.add(v); return `${v} = (${e}) | 0;`;
  });
  const used = new Set<string>();
  body = body.replace(/(?<![\w.])(lo|hi)\[(\d+)\]/g, (_m, k: string, n: string) => { const v = name(k, n); used.add(v); return v; });
  for (const v of written) used.add(v);
  const arr = (v: string) => `${v.endsWith("l") ? "lo" : "hi"}[${v.slice(1, -1)}]`;
  const regsBack = [...written].map((v) => `${arr(v)} = ${v}; `).join("");
  const reload = [...used].map((v) => `${v} = ${arr(v)}; `).join("");
  body = body.replaceAll("c.left", "left").replaceAll("c.jb = ", "jb = ").replaceAll("c.jk = ", "jk = ");
  // the lazy-flag record: locals too, written back before the flag helpers read or replace it
  body = body.replace(/c\.(fop|fw|fa|fah|fb|fbh|fr|frh|fc)\b/g, (_m, f: string) => `F${f.slice(1)}`);
  // inside the region the record is int32 (what its producers compute); in CpuState it is
  // uint32, as flags.ts reads it
  const flagsBack = LAZY_FLAGS.map((f) => `c.${f} = F${f.slice(1)}${UNSIGNED_FLAG.has(f) ? " >>> 0" : ""}; `).join("");
  const flagsLoad = LAZY_FLAGS.map((f) => `F${f.slice(1)} = c.${f} | 0; `).join("");
  body = body.replaceAll("setArithF(c, ", `${flagsBack}Fop = ${FOP_EAGER}; setArithF(c, `);
  body = body.replaceAll("materializeF(c);", `${flagsBack}materializeF(c); Fop = ${FOP_EAGER};`);
  body = body.replace(/condF\(c, (\d+)\)/g, (call) => `(${flagsBack.replaceAll("; ", ", ")}${call})`);
  // one exit path (V8's compile time grows with every copy of the write-back)
  body = body.replaceAll("return 0;", "break L;");
  body = body.replace(/D\[(\d+)\]\.exec\(c, D\[\1\]\);/g, (call) => `{ ${regsBack}${flagsBack}hs = true; ${call} hs = false; ${reload}${flagsLoad}sw = true; @WRESET@}`);
  const cached = cacheStores(body);
  body = cached.body.replaceAll("@WRESET@", siteResets(cached.sites));
  const decl = [...used].map((v) => `${v} = ${arr(v)}`).concat(LAZY_FLAGS.map((f) => `F${f.slice(1)} = c.${f} | 0`),
    ["left = c.left", "jb = 0", "jk = 0", "hs = false", "sw = false"], siteLocals(cached.sites)).join(", ");
  const start = `let ${decl};\n${siteFills(cached.sites)}`, sites = cached.sites.length;
  // (a region whose only faulting accesses are cached stores cannot throw: see cacheStores)
  if (noCatch) return { code: `${start}${body}\n${regsBack}${flagsBack}c.left = left;\nreturn 0;\n`, sites };
  return { code: `${start}try {
${body}
} catch (e) { if (!hs) { ${regsBack}${flagsBack}} c.left = left; c.jb = jb; c.jk = jk; throw e; }
${regsBack}${flagsBack}c.left = left;
return 0;
`, sites };
}

/**
 * The blocks of a region that lie on a cycle through its head (the head's strongly connected
 * component in the static edge graph), in their search order (the head first); just the head
 * when no cycle returns to it.
 */
function loopOf(blocks: RBlock[], byAddr: Map<number, RBlock>): RBlock[] {
  const preds = new Map<RBlock, RBlock[]>();
  for (const rb of blocks) for (const a of rb.succs) {
    const t = byAddr.get(a);
    if (t !== undefined) { let p = preds.get(t); if (p === undefined) preds.set(t, p = []); p.push(rb); }
  }
  const head = blocks[0]!;
  const reaches = new Set<RBlock>();
  const stack = [...(preds.get(head) ?? [])];
  while (stack.length > 0) {
    const rb = stack.pop()!;
    if (reaches.has(rb)) continue;
    reaches.add(rb);
    stack.push(...(preds.get(rb) ?? []));
  }
  // every block the search found was reached from the head, so reaching the head back = on a cycle through it
  return reaches.has(head) ? blocks.filter((rb) => reaches.has(rb)) : [head];
}

/**
 * The head's innermost loop within its nest: the blocks of a shortest cycle through the head
 * (breadth-first over the static edges), the head first; just the head when none returns to it.
 */
function innerCycle(blocks: RBlock[], byAddr: Map<number, RBlock>): RBlock[] {
  const head = blocks[0]!;
  const from = new Map<RBlock, RBlock>();
  const queue = [head];
  for (let i = 0; i < queue.length; i++) {
    const rb = queue[i]!;
    for (const a of rb.succs) {
      const t = byAddr.get(a);
      if (t === undefined) continue;
      if (t === head) {
        const path = [rb];
        while (path[0] !== head) path.unshift(from.get(path[0]!)!);
        return path;
      }
      if (!from.has(t)) { from.set(t, rb); queue.push(t); }
    }
  }
  return [head];
}

/** A constant added to a GPR by INC/DEC or ADD/SUB imm (32- or 64-bit), or null. */
function stepOf(d: Insn): { reg: number; step: number } | null {
  if (d.map !== 0 || d.mod !== 3 || (d.opsz !== 8 && d.opsz !== 4) || d.lock) return null;
  const digit = d.reg & 7;
  if (d.op === 0xff && digit <= 1) return { reg: d.rm, step: digit === 0 ? 1 : -1 };
  if ((d.op === 0x83 || d.op === 0x81) && (digit === 0 || digit === 5) && d.imm !== 0) return { reg: d.rm, step: digit === 0 ? d.imm : -d.imm };
  return null;
}

/**
 * What a loop still running its first entry has left to run, estimated from the registers at
 * its head: for a block of the loop that leaves it by a Jcc right after CMP r, r/imm (32- or
 * 64-bit) where the same block adds a constant to one of the two registers, the iterations
 * until they meet times the instructions the loop has run per pass through that block. Only
 * when the induction register has moved by exactly the step times the passes since the head's
 * previous look (one entry still running, as a loop run once over a large array does); a loop
 * entered again and again (an inner loop of a few trips) resets it, and null leaves its
 * decision to the volume alone, as does an exit of any other shape or a count that is not
 * positive. Only the tier policy reads it: a wrong estimate costs speed, never sameness.
 */
function remainingVolume(head: Insn, blocks: RBlock[], byAddr: Map<number, RBlock>, c: CpuState, volume: number): number | null {
  const value = (r: number, w: number) => (w === 8 ? c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0) : c.lo[r]! >>> 0);
  for (const rb of blocks) {
    const n = rb.insns.length, j = rb.insns[n - 1]!, cmp = rb.insns[n - 2];
    if (rb.cut || cmp === undefined || !isJcc(j) || byAddr.has(j.next) === byAddr.has(j.target)) continue;
    if (cmp.map !== 0 || cmp.mod !== 3 || (cmp.opsz !== 8 && cmp.opsz !== 4)) continue;
    const w = cmp.opsz;
    let a: number, b: number;
    if (cmp.op === 0x39) { a = cmp.rm; b = cmp.reg; }
    else if (cmp.op === 0x3b) { a = cmp.reg; b = cmp.rm; }
    else if ((cmp.op === 0x81 || cmp.op === 0x83) && (cmp.reg & 7) === 7) { a = cmp.rm; b = -1; }
    else continue;
    for (const u of rb.insns.slice(0, n - 2)) {
      const st = stepOf(u);
      if (st === null || (st.reg !== a && st.reg !== b)) continue;
      const passes = rb.insns[0]!.heat, ind = value(st.reg, w);
      const seen = inductionSeen.get(head);
      inductionSeen.set(head, { passes, ind });
      // (a head the policy looked at counts one pass twice: the tier's return and the rerun)
      if (seen === undefined || Math.abs((ind - seen.ind) / st.step - (passes - seen.passes)) > 8) return null;
      const bound = st.reg === a ? (b < 0 ? (w === 8 ? cmp.imm : cmp.imm >>> 0) : value(b, w)) : value(a, w);
      const left = (bound - ind) / st.step;
      if (!(left > 0) || !Number.isFinite(left)) return null;
      return left * (volume / Math.max(1, passes));
    }
  }
  return null;
}
/** Per head: the exit block's passes and the induction register's value at the previous look. */
const inductionSeen = new WeakMap<Insn, { passes: number; ind: number }>();

/** Does the region's static edge graph hold a cycle (a loop that stays in compiled code)? */
function hasCycle(blocks: RBlock[], byAddr: Map<number, RBlock>): boolean {
  const state = new Map<RBlock, number>(); // 1 on the DFS stack, 2 done
  const visit = (rb: RBlock): boolean => {
    state.set(rb, 1);
    for (const a of rb.succs) {
      const t = byAddr.get(a);
      if (t === undefined) continue;
      const st = state.get(t);
      if (st === 1 || (st === undefined && visit(t))) return true;
    }
    state.set(rb, 2);
    return false;
  };
  return blocks.some((rb) => !state.has(rb) && visit(rb));
}

/**
 * Stores through a write cache per store site: `m.w8/w32/w64(a, ...)` becomes a direct write
 * into the page the site last wrote when `a` falls in it (and the access does not cross its
 * end). Anything else leaves the region *before the store's instruction*, which the
 * interpreter then runs (faulting precisely, copying a shared page, dropping decoded code: all
 * Memory's own work); the site remembers the page in `S` (one slot per site, the region's own),
 * and the next entry takes it from Memory's write TLB, whose pages are private, writable and
 * hold no code (see Memory.cachedWritePage). So no Memory call and no stale-code check sits in
 * a loop's path, and the cache locals do not change while the region runs: V8 keeps them (and
 * the page's bounds) out of the loop. Leaving before the instruction is exact because every
 * emitter does its memory accesses before it writes a register or the flags (see emit), and a
 * store already done is done again with the same bytes. 16-bit stores, SSE stores' range check
 * and handlers still call Memory and set `sw` (the region's stale-code check).
 */
function cacheStores(body: string): { body: string; sites: number[] } {
  let out = "", i = 0;
  const sites: number[] = [];
  for (;;) {
    const j = body.indexOf("m.w", i);
    if (j < 0) break;
    const m = /^m\.w(8|32|64|16)\(/.exec(body.slice(j, j + 8));
    if (m === null || (j > 0 && /[\w.]/.test(body[j - 1]!))) { out += body.slice(i, j + 3); i = j + 3; continue; }
    // the argument list, split at top-level commas
    let depth = 0, k = j + m[0].length, start = k;
    const args: string[] = [];
    for (; ; k++) {
      const ch = body[k]!;
      if (ch === "(") depth++;
      else if (ch === ")") { if (depth === 0) break; depth--; }
      else if (ch === "," && depth === 0) { args.push(body.slice(start, k).trim()); start = k + 1; }
    }
    args.push(body.slice(start, k).trim());
    const end = body[k + 1] === ";" ? k + 2 : k + 1;
    const call = body.slice(j, k + 1);
    let code: string;
    if (m[1] === "16") code = `sw = true; ${call};`;
    else {
      const w = Number(m[1]) / 8, s = sites.length;
      sites.push(w);
      const fast = (o: string) => w === 1 ? `W${s}d[${o}] = ${args[1]};` : w === 4 ? `W${s}v.setInt32(${o}, ${args[1]}, true);` : `W${s}v.setInt32(${o}, ${args[1]}, true); W${s}v.setInt32(${o} + 4, ${args[2]}, true);`;
      const leave = `S[${s}] = Math.floor(A_w / 4096); c.rip = D[jk].addr; left -= jk - jb; break L;`;
      const slow = `{ const A_w = ${args[0]}; const p_w = Math.floor(A_w / 4096), o_w = A_w - p_w * 4096; if (p_w === W${s}n${w > 1 ? ` && o_w <= ${4096 - w}` : ""}) { ${fast("o_w")} } else { ${leave} } }`;
      const int = intAddress(args[0]!, w, `W${s}l`, `W${s}h`);
      // where the integer path misses, the double path's verdict (an address the double key
      // would have matched, through a carry or an index's high half, is rare)
      code = int === null ? slow : `{ ${int.pre}if (${int.hit}) { ${fast("(l_w & 4095)")} } else { const A_w = ${args[0]}; ${leave} } }`;
    }
    out += body.slice(i, j) + code;
    i = end;
  }
  out += body.slice(i);
  return { body: out.replaceAll("m.checkW(", "sw = true; m.checkW("), sites };
}

/**
 * The store sites' cache locals (see cacheStores), each keyed by its page number as a double
 * (`n`, NaN: empty) and as the int32 pair intAddress compares (`l`, the page number's low 20
 * bits, -1: empty; `h`, the address's high half), with the page's bytes and view.
 */
function siteLocals(sites: number[]): string[] {
  return sites.flatMap((_w, s) => [`W${s}n = NaN`, `W${s}l = -1`, `W${s}h = 0`, `W${s}d = H.noBytes`, `W${s}v = H.noView`]);
}
/** Each site's cache filled from its remembered page, when Memory's write TLB still holds it. */
function siteFills(sites: number[]): string {
  return sites.map((_w, s) => `{ const p = S[${s}], g = m.cachedWritePage(p); if (g !== null) { W${s}n = p; W${s}l = p % 1048576; W${s}h = Math.floor(p / 1048576); W${s}d = g.data; W${s}v = g.dv; } }\n`).join("");
}
/** Every site's cache emptied (after a handler, which may have changed any mapping). */
function siteResets(sites: number[]): string {
  return sites.map((_w, s) => `W${s}n = NaN; W${s}l = -1; `).join("");
}

/** Does this instruction's code touch memory only through stores cacheStores serves (m.w8/w32/w64)? */
function onlyCachedStores(code: string): boolean {
  return !/(?<![\w.])m\.(?!w(?:8|32|64)\()/.test(code);
}

/**
 * The store cache's integer path for an address eaExpr wrote (after localize): `pre` computes
 * `l_w`, the address's low 32 bits, in int32 arithmetic, and `hit` is true only when the whole
 * address is exactly wph * 2^32 + l_w (every high half the sum reads is the base's, the index
 * is below 2^32 after scaling, and no carry or borrow crosses bit 32) and that lies, all w
 * bytes, on the cached page. Anything else (a high half the index holds, a carry, a segment
 * base, an access across the page end) takes the double path, which computes the address as
 * the interpreter does. null: no integer path for this form.
 */
function intAddress(a: string, w: number, keyLo: string, keyHi: string): { pre: string; hit: string } | null {
  const fits = w > 1 ? ` && (l_w & 4095) <= ${4096 - w}` : "";
  if (/^-?\d+$/.test(a)) { // an absolute or RIP-relative address: its key is a constant
    const v = Number(a);
    if (!(v >= 0 && v < 2 ** 47) || v % 4096 > 4096 - w) return null; // (an access across the page end: Memory's)
    const h = Math.floor(v / 4294967296), l = v - h * 4294967296;
    return { pre: `const l_w = ${l | 0}; `, hit: `${keyLo} === ${l >>> 12} && ${keyHi} === ${h}` };
  }
  const m = /^(?:\(r(\d+)h \* 4294967296 \+ \(r\1l >>> 0\)\) \+ )?(-?\d+)(?: \+ \(r(\d+)h \* 4294967296 \+ \(r\3l >>> 0\)\) \* ([1248]))?$/.exec(a);
  if (m === null || (m[1] === undefined && m[3] === undefined)) return null;
  const base = m[1], disp = Number(m[2]), index = m[3], sh = [1, 2, 4, 8].indexOf(Number(m[4] ?? 1));
  const conds: string[] = [];
  let pre = "", u: string;
  if (index !== undefined) {
    conds.push(sh === 0 ? `r${index}h === 0` : `(r${index}h | (r${index}l >>> ${32 - sh})) === 0`);
    const scaled = sh === 0 ? `r${index}l` : `(r${index}l << ${sh})`;
    if (base !== undefined) { pre += `const t_w = (r${base}l + ${scaled}) | 0; `; conds.push(`(t_w >>> 0) >= (r${base}l >>> 0)`); u = "t_w"; }
    else u = scaled;
  } else u = `r${base}l`;
  pre += disp === 0 ? `const l_w = ${u} | 0; ` : `const l_w = (${u} + ${disp}) | 0; `;
  if (disp > 0) conds.push(`(l_w >>> 0) >= (${u} >>> 0)`);
  else if (disp < 0) conds.push(`(l_w >>> 0) <= (${u} >>> 0)`);
  return { pre, hit: [`(l_w >>> 12) === ${keyLo}`, base !== undefined ? `r${base}h === ${keyHi}` : `${keyHi} === 0`, ...conds].join(" && ") + fits };
}

/** JS computing an indirect jump's target into `t_` (may fault on its memory operand), or null. */
function indirectJump(d: Insn): string | null {
  if (d.mod === 3) return `const t_ = hi[${d.rm}] * 4294967296 + (lo[${d.rm}] >>> 0);`;
  const e = eaExpr(d); if (e === null) return null;
  return `const A_ = ${e}; const l_ = m.r32(A_), t_ = m.r32(A_ + 4) * 4294967296 + (l_ >>> 0);`;
}

/** Does this instruction end a straight-line block (may change RIP or stop the CPU)? */
export function endsBlock(d: Insn): boolean {
  if (d.exec === (opUD as unknown as Insn["exec"])) return true;
  const op = d.op;
  if (d.map === 0) {
    return (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op === 0xe8 || op === 0xe9 || op === 0xeb
      || op === 0xc2 || op === 0xc3 || (op === 0xff && (d.reg & 7) >= 2 && (d.reg & 7) <= 5) || (op >= 0xa4 && op <= 0xaf) || op === 0xf4 || op === 0xcc || op === 0xcd;
  }
  if (d.map === 1) return (op >= 0x80 && op <= 0x8f) || op === 0x05 || op === 0x0b;
  return false;
}

/** Whether the region compiler emits this instruction inline (else it calls its handler): for profiling tools. */
export function inlinable(d: Insn): boolean { return emit(d) !== null; }
