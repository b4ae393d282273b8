/**
 * Second tier: compiles a hot straight-line block (see run.ts) into one JS function.
 *
 * Register-only integer ops, loads and LEA are emitted inline with constant register numbers;
 * everything else calls the instruction's own handler. Lazy-flag writes are dropped when a
 * later inline instruction of the same block overwrites all flags before anything could read
 * them. Contract with run(): the function runs the whole block (the caller guarantees the
 * budget covers it), sets `c.jk` to the index of the instruction that may fault next, keeps
 * `c.left` exact around handler calls, and returns early (with RIP set) if a store
 * invalidated a later instruction of the block.
 */
import type { CpuState } from "./state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_IMUL64 } from "./state.js";
import type { Insn } from "./insn.js";
import { BASE_RIP, SEG_NONE } from "./insn.js";
import { setArith, szp, materialize } from "./flags.js";

export type JitBlock = (c: CpuState, D: Insn[], setArithF: typeof setArith, szpF: typeof szp, materializeF: typeof materialize) => number;

/** What an instruction does to the flags, from the JIT's point of view. */
const enum FX { None, WriteAll, Other, Partial }

interface Emitted { code: string; fx: FX; inline: boolean; faults: boolean; flagCode?: string; stores?: boolean; }

function eaExpr(d: Insn): string | null {
  if (d.seg !== SEG_NONE || d.asz32) return null;
  let e = String(d.disp);
  if (d.base >= 0) e = `(hi[${d.base}] * 4294967296 + (lo[${d.base}] >>> 0)) + ${e}`;
  else if (d.base === BASE_RIP) e = String(d.next + d.disp);
  if (d.index >= 0) e = `${e} + (hi[${d.index}] * 4294967296 + (lo[${d.index}] >>> 0)) * ${d.scale}`;
  return e;
}

function alu(op: number, w: number, dst: number, bLo: string, bHi: string): Emitted | null {
  if (op === 2 || op === 3) return null; // ADC/SBB read CF
  const kind = op === 0 ? FOP_ADD : op === 5 || op === 7 ? FOP_SUB : FOP_LOGIC;
  let code: string, flag: string;
  if (w === 8) {
    code = `{ const a = lo[${dst}] >>> 0, ah = hi[${dst}] >>> 0, b = ${bLo}, bh = ${bHi}; let l, h; `;
    switch (op) {
      case 0: code += `const s = a + b; l = s >>> 0; h = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; `; break;
      case 5: case 7: code += `const s = a - b; l = s >>> 0; h = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; `; break;
      case 1: code += `l = (a | b) >>> 0; h = (ah | bh) >>> 0; `; break;
      case 4: code += `l = (a & b) >>> 0; h = (ah & bh) >>> 0; `; break;
      default: code += `l = (a ^ b) >>> 0; h = (ah ^ bh) >>> 0; `;
    }
    flag = `c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = l; c.frh = h; c.fw = 8; c.fop = ${kind}; `;
    const wb = op === 7 ? "" : `lo[${dst}] = l; hi[${dst}] = h; `;
    return { code: code + "@FLAGS@" + wb + "}", flagCode: flag, fx: FX.WriteAll, inline: true, faults: false };
  }
  if (w !== 4) return null;
  code = `{ const a = lo[${dst}] >>> 0, b = ${bLo}; let v; `;
  switch (op) {
    case 0: code += `v = (a + b) >>> 0; `; break;
    case 5: case 7: code += `v = (a - b) >>> 0; `; break;
    case 1: code += `v = (a | b) >>> 0; `; break;
    case 4: code += `v = (a & b) >>> 0; `; break;
    default: code += `v = (a ^ b) >>> 0; `;
  }
  flag = `c.fa = a; c.fb = b; c.fr = v; c.fw = 4; c.fop = ${kind}; `;
  const wb = op === 7 ? "" : `lo[${dst}] = v; hi[${dst}] = 0; `;
  return { code: code + "@FLAGS@" + wb + "}", flagCode: flag, fx: FX.WriteAll, inline: true, faults: false };
}

function emit(d: Insn): Emitted | null {
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
      return null;
    }
    if (op >= 0xb8 && op <= 0xbf && (w === 8 || w === 4)) {
      return { code: `lo[${d.rm}] = ${d.imm | 0}; hi[${d.rm}] = ${w === 8 ? d.immHi | 0 : 0};`, fx: FX.None, inline: true, faults: false };
    }
    if (op < 0x40 && (op & 7) === 1 && d.mod === 3 && !d.lock) return alu((op >> 3) & 7, w, d.rm, `lo[${d.reg}] >>> 0`, `hi[${d.reg}] >>> 0`);
    if (op < 0x40 && (op & 7) === 3 && d.mod === 3) return alu((op >> 3) & 7, w, d.reg, `lo[${d.rm}] >>> 0`, `hi[${d.rm}] >>> 0`);
    if ((op === 0x81 || op === 0x83) && d.mod === 3) return alu(d.reg & 7, w, d.rm, String(d.imm >>> 0), String(d.immHi >>> 0));
    if (op === 0x85 && d.mod === 3 && (w === 8 || w === 4)) {
      if (w === 8) return { code: `{ const l = (lo[${d.rm}] & lo[${d.reg}]) >>> 0, h = (hi[${d.rm}] & hi[${d.reg}]) >>> 0; @FLAGS@}`, flagCode: `c.fa = l; c.fah = h; c.fb = l; c.fbh = h; c.fr = l; c.frh = h; c.fw = 8; c.fop = ${FOP_LOGIC}; `, fx: FX.WriteAll, inline: true, faults: false };
      return { code: `{ const v = (lo[${d.rm}] & lo[${d.reg}]) >>> 0; @FLAGS@}`, flagCode: `c.fa = v; c.fb = v; c.fr = v; c.fw = 4; c.fop = ${FOP_LOGIC}; `, fx: FX.WriteAll, inline: true, faults: false };
    }
    if (op === 0xc1 && d.mod === 3 && w === 8 && (d.reg & 7) >= 4) {
      const cnt = d.imm & 63, kind = d.reg & 7, r = d.rm;
      if (cnt === 0) return { code: "", fx: FX.None, inline: true, faults: false };
      let code = `{ const a = lo[${r}] >>> 0, ah = hi[${r}] >>> 0; let l, h; `;
      let flag: string;
      if (kind === 4 || kind === 6) {
        code += cnt < 32 ? `h = ((ah << ${cnt}) | (a >>> ${32 - cnt})) >>> 0; l = (a << ${cnt}) >>> 0; ` : `h = (a << ${cnt - 32}) >>> 0; l = 0; `;
        const pos = 64 - cnt;
        flag = `{ const cf = ${pos >= 32 ? `(ah >>> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h) | (((h >>> 31) ^ cf) << 11)); } `;
      } else if (kind === 5) {
        code += cnt < 32 ? `l = ((a >>> ${cnt}) | (ah << ${32 - cnt})) >>> 0; h = ah >>> ${cnt}; ` : `l = ah >>> ${cnt - 32}; h = 0; `;
        const pos = cnt - 1;
        flag = `{ const cf = ${pos >= 32 ? `(ah >>> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h) | ((ah >>> 31) << 11)); } `;
      } else {
        code += cnt < 32 ? `l = ((a >>> ${cnt}) | (ah << ${32 - cnt})) >>> 0; h = ((ah | 0) >> ${cnt}) >>> 0; ` : `l = ((ah | 0) >> ${cnt - 32}) >>> 0; h = ((ah | 0) >> 31) >>> 0; `;
        const pos = cnt - 1;
        flag = `{ const cf = ${pos >= 32 ? `((ah | 0) >> ${pos - 32}) & 1` : `(a >>> ${pos}) & 1`}; setArithF(c, cf | szpF(8, l, h)); } `;
      }
      return { code: code + `lo[${r}] = l; hi[${r}] = h; @FLAGS@}`, flagCode: flag, fx: FX.WriteAll, inline: true, faults: false };
    }
    if (op === 0xc1 && d.mod === 3 && w === 4 && [0, 1, 4, 5, 6, 7].includes(d.reg & 7)) {
      const cnt = d.imm & 31, kind = d.reg & 7, r = d.rm;
      if (cnt === 0) return { code: `hi[${r}] = 0;`, fx: FX.None, inline: true, faults: false };
      let code = `{ const a = lo[${r}] >>> 0; let v; `, flag: string;
      switch (kind) {
        case 0: code += `v = ((a << ${cnt}) | (a >>> ${32 - cnt})) >>> 0; `; flag = `{ const cf = v & 1; materializeF(c); c.flags = (c.flags & ~0x801) | cf | (((v >>> 31) ^ cf) << 11); } `; break;
        case 1: code += `v = ((a >>> ${cnt}) | (a << ${32 - cnt})) >>> 0; `; flag = `{ const cf = v >>> 31; materializeF(c); c.flags = (c.flags & ~0x801) | cf | ((cf ^ ((v >>> 30) & 1)) << 11); } `; break;
        case 5: code += `v = a >>> ${cnt}; `; flag = `setArithF(c, ((a >>> ${cnt - 1}) & 1) | szpF(4, v, 0) | ((a >>> 31) << 11)); `; break;
        case 7: code += `v = ((a | 0) >> ${cnt}) >>> 0; `; flag = `setArithF(c, (((a | 0) >> ${cnt - 1}) & 1) | szpF(4, v, 0)); `; break;
        default: code += `v = (a << ${cnt}) >>> 0; `; flag = `{ const cf = (a >>> ${32 - cnt}) & 1; setArithF(c, cf | szpF(4, v, 0) | (((v >>> 31) ^ cf) << 11)); } `;
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
      const pre = w === 8 ? `const A_ = ${e}; const ml_ = m.r32(A_) >>> 0, mh_ = m.r32(A_ + 4) >>> 0; ` : `const ml_ = m.r32(${e}) >>> 0; `;
      const inner = alu((op >> 3) & 7, w, d.reg, "ml_", w === 8 ? "mh_" : "0");
      if (inner === null) return null;
      return { ...inner, code: `{ ${pre}${inner.code} }`, faults: true };
    }
    if (op === 0x63 && d.mod === 3 && w === 8) return { code: `{ const v = lo[${d.rm}]; lo[${d.reg}] = v; hi[${d.reg}] = v >> 31; }`, fx: FX.None, inline: true, faults: false };
    if (op === 0x8d && d.mod !== 3 && w === 8 && !d.asz32) {
      // exact 64-bit LEA
      let code = `{ let l = ${d.disp >>> 0}, h = ${d.disp >> 31}, s; `;
      if (d.base >= 0) code += `s = l + (lo[${d.base}] >>> 0); h = h + hi[${d.base}] + (s > 0xffffffff ? 1 : 0); l = s >>> 0; `;
      else if (d.base === BASE_RIP) { const n = d.next; code += `s = l + ${n >>> 0}; h = h + ${Math.floor(n / 4294967296)} + (s > 0xffffffff ? 1 : 0); l = s >>> 0; `; }
      if (d.index >= 0) {
        const sh = d.scale === 1 ? 0 : d.scale === 2 ? 1 : d.scale === 4 ? 2 : 3;
        code += sh ? `{ const il = lo[${d.index}] >>> 0; const ih = (hi[${d.index}] << ${sh}) | (il >>> ${32 - sh}); s = l + ((il << ${sh}) >>> 0); h = h + ih + (s > 0xffffffff ? 1 : 0); l = s >>> 0; } `
          : `s = l + (lo[${d.index}] >>> 0); h = h + hi[${d.index}] + (s > 0xffffffff ? 1 : 0); l = s >>> 0; `;
      }
      return { code: code + `lo[${d.reg}] = l | 0; hi[${d.reg}] = h | 0; }`, fx: FX.None, inline: true, faults: false };
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
    if (d.op === 0xaf && d.mod === 3 && w === 8) {
      return {
        code: `{ const a = lo[${d.reg}] >>> 0, ah = hi[${d.reg}] >>> 0, b = lo[${d.rm}] >>> 0, bh = hi[${d.rm}] >>> 0;
  const al16 = a & 0xffff, ah16 = a >>> 16, bl16 = b & 0xffff, bh16 = b >>> 16;
  const ll = al16 * bl16, mid = al16 * bh16 + ah16 * bl16 + (ll >>> 16);
  const l = (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
  const h = (ah16 * bh16 + Math.floor(mid / 65536) + Math.imul(a, bh) + Math.imul(ah, b)) >>> 0;
  @FLAGS@lo[${d.reg}] = l; hi[${d.reg}] = h; }`,
        flagCode: `c.fop = ${FOP_IMUL64}; c.fw = 8; c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = l; c.frh = h; `,
        fx: FX.WriteAll, inline: true, faults: false,
      };
    }
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

/** Handlers that read the run budget (c.left) cannot run inside compiled blocks. */
function readsBudget(d: Insn): boolean {
  return (d.map === 0 && d.op >= 0xa4 && d.op <= 0xaf) || (d.map === 1 && d.op === 0x31);
}

/** Compile a block; returns null when nothing in it can be inlined. */
export function compileBlock(blk: readonly Insn[]): JitBlock | null {
  if (blk.some(readsBudget)) return null;
  const em: (Emitted | null)[] = blk.map(emit);
  if (!em.some((e) => e !== null)) return null;
  // dead-flag elimination: walk backwards tracking whether flags are overwritten before read
  let dead = false;
  const keepFlags: boolean[] = new Array(blk.length).fill(true);
  for (let k = blk.length - 1; k >= 0; k--) {
    const e = em[k];
    if (e === null || e.faults) { dead = false; if (e === null) continue; }
    if (e.fx === FX.WriteAll) { keepFlags[k] = !dead; dead = true; }
    else if (e.fx === FX.Partial) keepFlags[k] = !dead;
    else if (e.fx === FX.Other) dead = false;
  }
  let body = "const lo = c.lo, hi = c.hi, m = c.mem, L0 = c.left, f64 = c.xf64, x32 = c.x32;\n";
  const n = blk.length;
  for (let k = 0; k < n; k++) {
    const e = em[k], d = blk[k]!;
    if (e !== null) {
      if (e.faults) body += `c.jk = ${k};\n`;
      body += e.code.replace("@FLAGS@", keepFlags[k] ? e.flagCode ?? "" : "").replaceAll("@K@", String(k)) + "\n";
      // a block spans at most two pages: checking the next and the last instruction covers both
      if (e.stores && k + 1 < n) body += `if (!D[${k + 1}].valid || !D[${n - 1}].valid) { c.rip = ${d.next}; c.left = L0 - ${k + 1}; return ${k + 1}; }\n`;
    } else {
      body += `c.jk = ${k}; c.rip = ${d.next}; D[${k}].exec(c, D[${k}]);\n`;
      if (k + 1 < n) body += `if (!D[${k + 1}].valid || !D[${n - 1}].valid) { c.left = L0 - ${k + 1}; return ${k + 1}; }\n`;
    }
  }
  const last = em[n - 1];
  if (last !== null && last !== undefined) body += `c.rip = ${blk[n - 1]!.next};\n`;
  body += `c.left = L0 - ${n};\nreturn ${n};`;
  return new Function("c", "D", "setArithF", "szpF", "materializeF", body) as JitBlock;
}
export { setArith, szp };
