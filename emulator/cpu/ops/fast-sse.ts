/**
 * Decode-time specialisations of the commonest SSE2 integer forms (66 0F xx): the generic
 * lane handlers (sse-int.ts) call a per-lane function through one shared closure, which V8
 * sees as a megamorphic call per lane. Each handler here has exactly the generic semantics,
 * including the alignment #GP of a 16-byte memory operand (it goes through `xsrc`); the
 * host-CPU oracle's form list covers every one of them.
 */
import type { Handler, Insn } from "../insn.js";
import { xsrc } from "./ssehelp.js";

// ---- bitwise logic and 32-bit lane add/sub (dst op= src, four int32 lanes)
const pxor: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = x[t]! ^ x[s]!; x[t + 1] = x[t + 1]! ^ x[s + 1]!; x[t + 2] = x[t + 2]! ^ x[s + 2]!; x[t + 3] = x[t + 3]! ^ x[s + 3]!;
};
const por: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = x[t]! | x[s]!; x[t + 1] = x[t + 1]! | x[s + 1]!; x[t + 2] = x[t + 2]! | x[s + 2]!; x[t + 3] = x[t + 3]! | x[s + 3]!;
};
const pand: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = x[t]! & x[s]!; x[t + 1] = x[t + 1]! & x[s + 1]!; x[t + 2] = x[t + 2]! & x[s + 2]!; x[t + 3] = x[t + 3]! & x[s + 3]!;
};
const pandn: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = ~x[t]! & x[s]!; x[t + 1] = ~x[t + 1]! & x[s + 1]!; x[t + 2] = ~x[t + 2]! & x[s + 2]!; x[t + 3] = ~x[t + 3]! & x[s + 3]!;
};
const paddd: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = x[t]! + x[s]!; x[t + 1] = x[t + 1]! + x[s + 1]!; x[t + 2] = x[t + 2]! + x[s + 2]!; x[t + 3] = x[t + 3]! + x[s + 3]!;
};
const psubd: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 4, t = d.reg * 4, x = c.x32;
  x[t] = x[t]! - x[s]!; x[t + 1] = x[t + 1]! - x[s + 1]!; x[t + 2] = x[t + 2]! - x[s + 2]!; x[t + 3] = x[t + 3]! - x[s + 3]!;
};
/** PCMPEQB: each byte lane becomes 0xFF where equal, else 0 (glibc's string scans). */
const pcmpeqb: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true) * 16, t = d.reg * 16, b = c.x8;
  for (let i = 0; i < 16; i++) b[t + i] = b[t + i] === b[s + i] ? 255 : 0;
};
/** MOVDQA/MOVDQU xmm, xmm (66/F3 0F 6F, register source). */
const movdqaRR: Handler = (c, d) => {
  const x = c.x32, t = d.reg * 4, f = d.rm * 4;
  x[t] = x[f]!; x[t + 1] = x[f + 1]!; x[t + 2] = x[f + 2]!; x[t + 3] = x[f + 3]!;
};

// ---- 32-bit lane shifts by an immediate (66 0F 72 /2 /4 /6 ib, register operand)
const psrldI: Handler = (c, d) => {
  const n = d.imm & 255, t = d.rm * 4, x = c.x32;
  if (n > 31) { x[t] = 0; x[t + 1] = 0; x[t + 2] = 0; x[t + 3] = 0; return; }
  x[t] = x[t]! >>> n; x[t + 1] = x[t + 1]! >>> n; x[t + 2] = x[t + 2]! >>> n; x[t + 3] = x[t + 3]! >>> n;
};
const pslldI: Handler = (c, d) => {
  const n = d.imm & 255, t = d.rm * 4, x = c.x32;
  if (n > 31) { x[t] = 0; x[t + 1] = 0; x[t + 2] = 0; x[t + 3] = 0; return; }
  x[t] = x[t]! << n; x[t + 1] = x[t + 1]! << n; x[t + 2] = x[t + 2]! << n; x[t + 3] = x[t + 3]! << n;
};
const psradI: Handler = (c, d) => {
  const n = Math.min(d.imm & 255, 31), t = d.rm * 4, x = c.x32;
  x[t] = x[t]! >> n; x[t + 1] = x[t + 1]! >> n; x[t + 2] = x[t + 2]! >> n; x[t + 3] = x[t + 3]! >> n;
};

const LANE_OPS: (Handler | undefined)[] = [];
LANE_OPS[0xef] = pxor; LANE_OPS[0xeb] = por; LANE_OPS[0xdb] = pand; LANE_OPS[0xdf] = pandn;
LANE_OPS[0xfe] = paddd; LANE_OPS[0xfa] = psubd; LANE_OPS[0x74] = pcmpeqb;
const SHIFT32_IMM: (Handler | undefined)[] = [undefined, undefined, psrldI, undefined, psradI, undefined, pslldI, undefined];

/** A faster handler with the generic semantics for an SSE2 integer form, or null. */
export function specializeSse(d: Insn): Handler | null {
  if (d.map !== 1) return null;
  const op = d.op;
  if (d.p66 && d.rep === 0) {
    const h = LANE_OPS[op];
    if (h !== undefined) return h;
    if (op === 0x72 && d.mod === 3) return SHIFT32_IMM[d.reg & 7] ?? null;
  }
  if (op === 0x6f && d.mod === 3 && (d.rep === 0xf3 || (d.p66 && d.rep === 0))) return movdqaRR;
  return null;
}
