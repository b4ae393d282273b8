/**
 * SSE2 integer instructions (66-prefixed forms; MMX forms raise #UD) and XMM<->GPR/memory moves.
 */
import type { CpuState } from "../state.js";
import { XTMP2 } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { def, byPfx, byReg, IMM_NONE, IMM_B } from "../decode.js";
import { readRM, writeRM, writeG, getReg } from "../operands.js";
import { xsrc, xstore, copySlot, only66 } from "./ssehelp.js";

type View = "u8" | "s8" | "u16" | "s16" | "u32" | "s32";
function view(c: CpuState, v: View): Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array {
  switch (v) {
    case "u8": return c.x8; case "s8": return c.xs8; case "u16": return c.x16;
    case "s16": return c.xs16; case "u32": return c.xu32; default: return c.x32;
  }
}
const lanesOf: Record<View, number> = { u8: 16, s8: 16, u16: 8, s16: 8, u32: 4, s32: 4 };
const sat = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** dst[i] = f(dst[i], src[i]) over lanes of the given view. */
function lanes(v: View, f: (a: number, b: number) => number): Handler {
  const n = lanesOf[v];
  return (c, d) => {
    const s = xsrc(c, d, 16, true);
    const arr = view(c, v);
    const db = d.reg * n, sb = s * n;
    for (let i = 0; i < n; i++) arr[db + i] = f(arr[db + i]!, arr[sb + i]!);
  };
}
function q64(sub: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true);
    const x = c.xu32;
    for (let j = 0; j < 2; j++) {
      const di = d.reg * 4 + j * 2, si = s * 4 + j * 2;
      const l = sub ? x[di]! - x[si]! : x[di]! + x[si]!;
      const carry = sub ? (l < 0 ? -1 : 0) : (l > 0xffffffff ? 1 : 0);
      x[di] = l >>> 0;
      x[di + 1] = (sub ? x[di + 1]! - x[si + 1]! : x[di + 1]! + x[si + 1]!) + carry;
    }
  };
}
const mulhw = (a: number, b: number) => (a * b) >> 16;
const pmuludq: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true);
  const x = c.xu32;
  for (let j = 0; j < 2; j++) {
    const a = x[d.reg * 4 + j * 2]!, b = x[s * 4 + j * 2]!;
    const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
    const ll = al * bl, mid = al * bh + ah * bl + (ll >>> 16);
    x[d.reg * 4 + j * 2] = (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
    x[d.reg * 4 + j * 2 + 1] = (ah * bh + Math.floor(mid / 65536)) >>> 0;
  }
};
const pmaddwd: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true);
  const w = c.xs16, out = new Int32Array(4);
  for (let i = 0; i < 4; i++) out[i] = w[d.reg * 8 + 2 * i]! * w[s * 8 + 2 * i]! + w[d.reg * 8 + 2 * i + 1]! * w[s * 8 + 2 * i + 1]!;
  c.x32.set(out, d.reg * 4);
};
const psadbw: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true);
  const b = c.x8;
  for (let j = 0; j < 2; j++) {
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += Math.abs(b[d.reg * 16 + j * 8 + i]! - b[s * 16 + j * 8 + i]!);
    c.x32[d.reg * 4 + j * 2] = sum; c.x32[d.reg * 4 + j * 2 + 1] = 0;
  }
};
/** Unpack (interleave) low or high halves, element size es bytes. */
function unpack(es: number, high: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true);
    const b = c.x8, t = XTMP2 * 16, off = high ? 8 : 0;
    for (let i = 0; i < 8 / es; i++)
      for (let k = 0; k < es; k++) {
        b[t + 2 * i * es + k] = b[d.reg * 16 + off + i * es + k]!;
        b[t + (2 * i + 1) * es + k] = b[s * 16 + off + i * es + k]!;
      }
    copySlot(c, d.reg, XTMP2);
  };
}
function pack(kind: number): Handler { // 0 packsswb, 1 packssdw, 2 packuswb
  return (c, d) => {
    const s = xsrc(c, d, 16, true);
    const t = XTMP2;
    if (kind === 1) {
      const src = c.x32, out = c.xs16;
      for (let i = 0; i < 4; i++) { out[t * 8 + i] = sat(src[d.reg * 4 + i]!, -32768, 32767); out[t * 8 + 4 + i] = sat(src[s * 4 + i]!, -32768, 32767); }
    } else {
      const src = c.xs16, out = c.x8;
      const lo = kind === 0 ? -128 : 0, hi = kind === 0 ? 127 : 255;
      for (let i = 0; i < 8; i++) { out[t * 16 + i] = sat(src[d.reg * 8 + i]!, lo, hi) & 255; out[t * 16 + 8 + i] = sat(src[s * 8 + i]!, lo, hi) & 255; }
    }
    copySlot(c, d.reg, t);
  };
}
/** Shift lanes by a count; es = element bits, kind 0 srl, 1 sra, 2 sll. */
function shiftLanes(c: CpuState, r: number, es: number, kind: number, cnt: number): void {
  if (es === 64) {
    const x = c.xu32;
    for (let j = 0; j < 2; j++) {
      const i = r * 4 + j * 2;
      let lo = x[i]!, hi = x[i + 1]!;
      if (cnt > 63) { lo = 0; hi = 0; }
      else if (kind === 0) { if (cnt >= 32) { lo = hi >>> (cnt - 32); hi = 0; } else if (cnt) { lo = (lo >>> cnt) | (hi << (32 - cnt)); hi = hi >>> cnt; } }
      else { if (cnt >= 32) { hi = lo << (cnt - 32); lo = 0; } else if (cnt) { hi = (hi << cnt) | (lo >>> (32 - cnt)); lo = lo << cnt; } }
      x[i] = lo >>> 0; x[i + 1] = hi >>> 0;
    }
    return;
  }
  const n = 128 / es;
  const arr = es === 16 ? (kind === 1 ? c.xs16 : c.x16) : (kind === 1 ? c.x32 : c.xu32);
  for (let i = 0; i < n; i++) {
    const v = arr[r * n + i]!;
    if (kind === 1) arr[r * n + i] = v >> Math.min(cnt, es - 1);
    else if (cnt >= es) arr[r * n + i] = 0;
    else arr[r * n + i] = kind === 0 ? v >>> cnt : v << cnt;
  }
}
function shiftX(es: number, kind: number): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true);
    const cnt = c.xu32[s * 4 + 1]! !== 0 ? 1e9 : c.xu32[s * 4]!;
    shiftLanes(c, d.reg, es, kind, Math.min(cnt, 255));
  };
}
function shiftI(es: number, kind: number): Handler {
  return (c, d) => shiftLanes(c, d.rm, es, kind, d.imm & 255);
}
function byteShift(left: boolean): Handler {
  return (c, d) => {
    const n = d.imm & 255, b = c.x8, r = d.rm * 16, t = XTMP2 * 16;
    for (let i = 0; i < 16; i++) {
      const k = left ? i - n : i + n;
      b[t + i] = k >= 0 && k < 16 ? b[r + k]! : 0;
    }
    copySlot(c, d.rm, XTMP2);
  };
}
const pshufd: Handler = (c, d) => {
  const s = xsrc(c, d, 16, true), x = c.x32, t = XTMP2 * 4, imm = d.imm;
  for (let i = 0; i < 4; i++) x[t + i] = x[s * 4 + ((imm >> (2 * i)) & 3)]!;
  copySlot(c, d.reg, XTMP2);
};
function pshufw(high: boolean): Handler {
  return (c, d) => {
    const s = xsrc(c, d, 16, true), w = c.x16, t = XTMP2 * 8, imm = d.imm, o = high ? 4 : 0;
    copySlot(c, XTMP2, s);
    for (let i = 0; i < 4; i++) w[t + o + i] = w[s * 8 + o + ((imm >> (2 * i)) & 3)]!;
    copySlot(c, d.reg, XTMP2);
  };
}
const pmovmskb: Handler = (c, d) => {
  let m = 0;
  for (let i = 0; i < 16; i++) m |= (c.x8[d.rm * 16 + i]! >> 7) << i;
  writeG(c, d, 4, m, 0);
};
const pextrw: Handler = (c, d) => { writeG(c, d, 4, c.x16[d.rm * 8 + (d.imm & 7)]!, 0); };
const pinsrw: Handler = (c, d) => { const v = readRM(c, d, 2); c.x16[d.reg * 8 + (d.imm & 7)] = v; };
const movdToX: Handler = (c, d) => {
  const w = d.rexW ? 8 : 4;
  const v = readRM(c, d, w), x = c.x32, b = d.reg * 4;
  x[b] = v; x[b + 1] = w === 8 ? c.th : 0; x[b + 2] = 0; x[b + 3] = 0;
};
const movdFromX: Handler = (c, d) => {
  const w = d.rexW ? 8 : 4, x = c.x32, b = d.reg * 4;
  writeRM(c, d, w, x[b]! >>> 0, x[b + 1]! >>> 0);
};
const movqLoad: Handler = (c, d) => { // F3 0F 7E
  const s = xsrc(c, d, 8, false), x = c.x32, b = d.reg * 4;
  x[b] = x[s * 4]!; x[b + 1] = x[s * 4 + 1]!; x[b + 2] = 0; x[b + 3] = 0;
};
const movqStore: Handler = (c, d) => { // 66 0F D6
  if (d.mod === 3) { const x = c.x32, b = d.rm * 4; x[b] = x[d.reg * 4]!; x[b + 1] = x[d.reg * 4 + 1]!; x[b + 2] = 0; x[b + 3] = 0; return; }
  xstore(c, d, d.reg, 8, false);
};
function movLoad(align: boolean): Handler { return (c, d) => { const s = xsrc(c, d, 16, align); copySlot(c, d.reg, s); }; }
function movStore(align: boolean): Handler { return (c, d) => xstore(c, d, d.reg, 16, align); }
const movnti: Handler = (c, d) => { const w = d.opsz; writeRM(c, d, w, getReg(c, d.reg, w), c.th); };

export function registerSseInt(): void {
  const L = (op: number, h: Handler) => def(1, op, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx(only66(h)) });
  L(0xfc, lanes("u8", (a, b) => a + b)); L(0xfd, lanes("u16", (a, b) => a + b)); L(0xfe, lanes("u32", (a, b) => a + b)); L(0xd4, q64(false));
  L(0xf8, lanes("u8", (a, b) => a - b)); L(0xf9, lanes("u16", (a, b) => a - b)); L(0xfa, lanes("u32", (a, b) => a - b)); L(0xfb, q64(true));
  L(0xec, lanes("s8", (a, b) => sat(a + b, -128, 127))); L(0xed, lanes("s16", (a, b) => sat(a + b, -32768, 32767)));
  L(0xdc, lanes("u8", (a, b) => sat(a + b, 0, 255))); L(0xdd, lanes("u16", (a, b) => sat(a + b, 0, 65535)));
  L(0xe8, lanes("s8", (a, b) => sat(a - b, -128, 127))); L(0xe9, lanes("s16", (a, b) => sat(a - b, -32768, 32767)));
  L(0xd8, lanes("u8", (a, b) => sat(a - b, 0, 255))); L(0xd9, lanes("u16", (a, b) => sat(a - b, 0, 65535)));
  L(0xdb, lanes("s32", (a, b) => a & b)); L(0xdf, lanes("s32", (a, b) => ~a & b));
  L(0xeb, lanes("s32", (a, b) => a | b)); L(0xef, lanes("s32", (a, b) => a ^ b));
  L(0x74, lanes("u8", (a, b) => (a === b ? 255 : 0))); L(0x75, lanes("u16", (a, b) => (a === b ? 65535 : 0))); L(0x76, lanes("s32", (a, b) => (a === b ? -1 : 0)));
  L(0x64, lanes("s8", (a, b) => (a > b ? -1 : 0))); L(0x65, lanes("s16", (a, b) => (a > b ? -1 : 0))); L(0x66, lanes("s32", (a, b) => (a > b ? -1 : 0)));
  L(0xda, lanes("u8", Math.min)); L(0xde, lanes("u8", Math.max)); L(0xea, lanes("s16", Math.min)); L(0xee, lanes("s16", Math.max));
  L(0xe0, lanes("u8", (a, b) => (a + b + 1) >> 1)); L(0xe3, lanes("u16", (a, b) => (a + b + 1) >> 1));
  L(0xd5, lanes("s16", (a, b) => Math.imul(a, b))); L(0xe5, lanes("s16", mulhw)); L(0xe4, lanes("u16", (a, b) => (a * b) >>> 16));
  L(0xf4, pmuludq); L(0xf5, pmaddwd); L(0xf6, psadbw);
  L(0x60, unpack(1, false)); L(0x61, unpack(2, false)); L(0x62, unpack(4, false)); L(0x6c, unpack(8, false));
  L(0x68, unpack(1, true)); L(0x69, unpack(2, true)); L(0x6a, unpack(4, true)); L(0x6d, unpack(8, true));
  L(0x63, pack(0)); L(0x6b, pack(1)); L(0x67, pack(2));
  L(0xd1, shiftX(16, 0)); L(0xd2, shiftX(32, 0)); L(0xd3, shiftX(64, 0));
  L(0xe1, shiftX(16, 1)); L(0xe2, shiftX(32, 1));
  L(0xf1, shiftX(16, 2)); L(0xf2, shiftX(32, 2)); L(0xf3, shiftX(64, 2));
  const G = (op: number, hs: (Handler | undefined)[]) => def(1, op, {
    modrm: true, imm: IMM_B, pick: true,
    h: (d: Insn) => (d.mod === 3 && d.p66 && d.rep === 0 ? byReg(hs)(d) : undefined),
  });
  G(0x71, [undefined, undefined, shiftI(16, 0), undefined, shiftI(16, 1), undefined, shiftI(16, 2), undefined]);
  G(0x72, [undefined, undefined, shiftI(32, 0), undefined, shiftI(32, 1), undefined, shiftI(32, 2), undefined]);
  G(0x73, [undefined, undefined, shiftI(64, 0), byteShift(false), undefined, undefined, shiftI(64, 2), byteShift(true)]);
  def(1, 0x70, { modrm: true, imm: IMM_B, pick: true, h: byPfx([undefined, pshufd, pshufw(true), pshufw(false)]) });
  def(1, 0xd7, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod === 3 && d.p66 && !d.rep ? pmovmskb : undefined) });
  def(1, 0xc5, { modrm: true, imm: IMM_B, pick: true, h: (d: Insn) => (d.mod === 3 && d.p66 && !d.rep ? pextrw : undefined) });
  def(1, 0xc4, { modrm: true, imm: IMM_B, pick: true, h: byPfx(only66(pinsrw)) });
  def(1, 0x6e, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx(only66(movdToX)) });
  def(1, 0x7e, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([undefined, movdFromX, movqLoad, undefined]) });
  def(1, 0xd6, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx(only66(movqStore)) });
  def(1, 0x6f, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([undefined, movLoad(true), movLoad(false), undefined]) });
  def(1, 0x7f, { modrm: true, imm: IMM_NONE, pick: true, h: byPfx([undefined, movStore(true), movStore(false), undefined]) });
  def(1, 0xe7, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod !== 3 && d.p66 && !d.rep ? movStore(true) : undefined) });
  def(1, 0xc3, { modrm: true, imm: IMM_NONE, pick: true, h: (d: Insn) => (d.mod !== 3 && !d.p66 && !d.rep ? movnti : undefined) });
}
