/**
 * The compiled tier's per-instruction code generators: for each instruction the region compiler
 * can run inline, the JS it compiles to (over `lo`/`hi`/`m`/`x32`/`f64` and the lazy-flag
 * record, with @FLAGS@/@COND@/@CF@/@K@ placeholders jit.ts fills in per block), and the tests
 * that classify an instruction for region building (block terminators, budget readers). Apart
 * from jit.ts because it is the bulk of the tier and knows nothing of regions.
 */
import type { Insn } from "./insn.js";
import { BASE_RIP, SEG_NONE, SEG_FS } from "./insn.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_IMUL64, FOP_INC, FOP_DEC } from "./state.js";
import { opUD } from "./decode.js";

/** What an instruction does to the flags, from the JIT's point of view. */
export const enum FX { None, WriteAll, Other, Partial }

export interface Emitted {
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

export const RSP_GET = `hi[4] * 4294967296 + (lo[4] >>> 0)`;
export const RSP_SET = (v: string) => `lo[4] = ${v} | 0; hi[4] = Math.floor(${v} / 4294967296) | 0;`;
/** Low and high int32 halves of an address held in a double, as literals. */
export const halves = (v: number): [number, number] => [v | 0, Math.floor(v / 4294967296) | 0];

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

export function emit(d: Insn): Emitted | null {
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

/** Handlers that read the run budget (c.left) cannot run inside compiled code. */
export function readsBudget(d: Insn): boolean {
  return (d.map === 0 && d.op >= 0xa4 && d.op <= 0xaf) || (d.map === 1 && d.op === 0x31);
}
export const isJcc = (d: Insn) => (d.map === 0 && d.op >= 0x70 && d.op <= 0x7f) || (d.map === 1 && d.op >= 0x80 && d.op <= 0x8f);
export const isJmpRel = (d: Insn) => d.map === 0 && (d.op === 0xeb || d.op === 0xe9);
export const isCallRel = (d: Insn) => d.map === 0 && d.op === 0xe8;
export const isRet = (d: Insn) => d.map === 0 && d.op === 0xc3;
/** JMP r/m64 (FF /4): a switch's jump-table dispatch, an interpreter's threaded code. */
export const isJmpIndirect = (d: Insn) => d.map === 0 && d.op === 0xff && (d.reg & 7) === 4 && !d.lock;

/** JS computing an indirect jump's target into `t_` (may fault on its memory operand), or null. */
export function indirectJump(d: Insn): string | null {
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
