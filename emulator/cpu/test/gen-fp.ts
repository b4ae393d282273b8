/**
 * Floating-point corner-case generators for the host oracle: SSE/SSE2/SSE3/SSE4.1 FP
 * instructions over operands that reach denormals, NaN payloads (signalling and quiet, both
 * signs), infinities and the overflow/underflow boundaries, under random MXCSR modes and sticky
 * flags; and x87 macro sequences for the transcendental, scaling, remainder, BCD and
 * environment instructions over 80-bit corner values under random FCW rounding/precision.
 * The whole x87 state (FCW, FSW, FTW) and MXCSR are compared after each case (oracle.ts).
 */
import fc from "fast-check";
import { DATA, vet, readsUndefinedFlags } from "./oracle.js";
import type { Case } from "./oracle.js";
import { FORMS, encode } from "./gen.js";

// ---- SSE FP forms ------------------------------------------------------------------------------
const MAP1_FP = new Set([0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f, 0x51, 0xc2, 0x2e, 0x2f, 0x2a, 0x2c, 0x2d, 0x5a, 0x5b, 0xe6, 0xd0, 0x7c, 0x7d]);
const MAP3A_FP = new Set([0x08, 0x09, 0x0a, 0x0b, 0x40, 0x41]);
export const FP_FORMS = FORMS.filter((f) =>
  (f.esc.length === 1 && MAP1_FP.has(f.op)) || (f.esc.length === 2 && f.esc[1] === 0x3a && MAP3A_FP.has(f.op)));

const fpInsnArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    form: fc.nat(FP_FORMS.length - 1), rex: fc.nat(31), p66: fc.boolean(), mod3: fc.boolean(), modrm: fc.nat(255),
    off: fc.nat(255), sib: fc.nat(255), disp: fc.integer(),
    imm: fc.oneof(fc.nat(255), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x31, 0xff, 0xf1, 0x33)),
  })
  .map((r) => encode(FP_FORMS[r.form]!, r))
  .filter((b) => vet(b) !== null);

// ---- operand values ------------------------------------------------------------------------------
const f64bits = (v: number): Uint8Array => new Uint8Array(new Float64Array([v]).buffer);
const f32pair = (a: number, b: number): Uint8Array => new Uint8Array(new Float32Array([a, b]).buffer);
const D_SPECIAL = [0, -0, 1, -1, 1.5, 3, 0.1, 1 / 3, Infinity, -Infinity, NaN, Number.MAX_VALUE, -Number.MAX_VALUE,
  2.2250738585072014e-308, 2.225073858507201e-308, 5e-324, -5e-324, 1e-310, 2 ** -1022 * 1.5, 2 ** 1023, 2 ** 512, 2 ** -512, 2 ** -537, 2 ** 511,
  2 ** 63, -(2 ** 63), 2 ** 31, 2 ** 53 + 1, 4294967296.5, 0.5, 2.5, 1e308, 2 ** -1074 * 3];
const F_SPECIAL = [0, -0, 1, -1, 1.5, 0.1, Infinity, -Infinity, NaN, 3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45,
  1e-40, -1e-40, 2 ** -126 * 1.5, 2 ** 127, 2 ** 64, 2 ** -64, 2 ** -75, 2 ** 63, 2 ** 31, 16777217, 0.5, 2.5];
/** A NaN with a random payload: double (8 bytes) or a float pair. */
const nanArb = fc.record({ sig: fc.boolean(), neg: fc.boolean(), lo: fc.nat(0xffffffff), hi: fc.nat(0x7ffff), f: fc.boolean() }).map((r) => {
  const b = new Uint8Array(8), dv = new DataView(b.buffer);
  if (r.f) {
    const p = (r.lo & 0x3fffff) || 1;
    const w = (r.neg ? 0x80000000 : 0) | 0x7f800000 | (r.sig ? 0 : 0x400000) | p;
    dv.setUint32(0, w >>> 0, true); dv.setUint32(4, ((w ^ 0x80000000) >>> 0), true);
  } else {
    const hi = (r.neg ? 0x80000000 : 0) | 0x7ff00000 | (r.sig ? 0 : 0x80000) | (r.hi & 0x7ffff);
    dv.setUint32(0, r.lo || 1, true); dv.setUint32(4, hi >>> 0, true);
  }
  return b;
});
/** Values near a power of two (a random significand at a chosen exponent). */
const scaledArb = fc.record({ m: fc.double({ min: 1, max: 2, noNaN: true }), e: fc.integer({ min: -1080, max: 1024 }), neg: fc.boolean() })
  .map((r) => f64bits((r.neg ? -1 : 1) * r.m * 2 ** r.e));
const scaled32Arb = fc.record({ a: fc.double({ min: 1, max: 2, noNaN: true }), b: fc.double({ min: 1, max: 2, noNaN: true }), e: fc.integer({ min: -152, max: 128 }), k: fc.integer({ min: -152, max: 128 }) })
  .map((r) => f32pair(r.a * 2 ** r.e, -r.b * 2 ** r.k));
export const fpLaneArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...D_SPECIAL).map(f64bits) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...F_SPECIAL), fc.constantFrom(...F_SPECIAL)).map(([a, b]) => f32pair(a, b)) },
  { weight: 2, arbitrary: nanArb },
  { weight: 2, arbitrary: scaledArb },
  { weight: 2, arbitrary: scaled32Arb },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
);
const fpXmmArb = fc.array(fpLaneArb, { minLength: 32, maxLength: 32 }).map((ls) => { const b = new Uint8Array(256); ls.forEach((l, i) => b.set(l, i * 8)); return b; });

/** 80-bit extended corner values (10 bytes). */
function ext(neg: boolean, exp: number, m: bigint): Uint8Array {
  const b = new Uint8Array(10);
  for (let i = 0; i < 8; i++) { b[i] = Number(m & 255n); m >>= 8n; }
  const se = (neg ? 0x8000 : 0) | exp;
  b[8] = se & 255; b[9] = se >> 8;
  return b;
}
const J = 1n << 63n;
const extArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  // ordinary values across the whole exponent range, and near 1 (transcendental domains)
  { weight: 4, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 16383 - 70, max: 16383 + 70 }), m: fc.bigInt({ min: 0n, max: J - 1n }) }).map((r) => ext(r.neg, r.e, J | r.m)) },
  { weight: 2, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 1, max: 0x7ffe }), m: fc.bigInt({ min: 0n, max: J - 1n }) }).map((r) => ext(r.neg, r.e, J | r.m)) },
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 16383 - 2, max: 16383 + 1 }), m: fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }) }).map((r) => ext(r.neg, r.e, J | (r.m << 40n))) },
  // exact small integers and powers of two (exact FYL2X/FSCALE/FPREM cases)
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 16383 - 20, max: 16383 + 70 }) }).map((r) => ext(r.neg, r.e, J)) },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: 1000 }).map((v) => { if (v === 0) return ext(false, 0, 0n); const a = BigInt(Math.abs(v)); const l = a.toString(2).length; return ext(v < 0, 16383 + l - 1, a << BigInt(64 - l)); }) },
  // denormals, zeros, infinities, NaNs (payloads), boundaries
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), m: fc.bigInt({ min: 1n, max: J - 1n }) }).map((r) => ext(r.neg, 0, r.m)) },
  { weight: 1, arbitrary: fc.boolean().map((n) => ext(n, 0, 0n)) },
  { weight: 1, arbitrary: fc.boolean().map((n) => ext(n, 0x7fff, J)) },
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), q: fc.boolean(), m: fc.bigInt({ min: 1n, max: (1n << 62n) - 1n }) }).map((r) => ext(r.neg, 0x7fff, J | (r.q ? 1n << 62n : 0n) | r.m)) },
  { weight: 1, arbitrary: fc.constantFrom(ext(false, 0x7ffe, (1n << 64n) - 1n), ext(true, 1, J), ext(false, 16383, J), ext(true, 16383, J), ext(false, 16383 + 63, J), ext(false, 16383 + 62, (1n << 64n) - 1n)) },
);
/** Data: 8 slots of 16 bytes, each an extended value (+6 bytes) or two FP lanes. */
const fpDataArb = fc.array(fc.oneof(extArb.map((e) => { const b = new Uint8Array(16); b.set(e); return b; }), fc.tuple(fpLaneArb, fpLaneArb).map(([a, b]) => { const r = new Uint8Array(16); r.set(a); r.set(b, 8); return r; })), { minLength: 16, maxLength: 16 })
  .map((slots) => { const b = new Uint8Array(256); slots.forEach((s, i) => b.set(s, i * 16)); return b; });

// ---- x87 macros ------------------------------------------------------------------------------------
const absM = (op: number, digit: number, off: number): number[] => { const a = DATA + off; return [op, (digit << 3) | 4, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255]; };
const movDword0 = (off: number): number[] => { const a = DATA + off; return [0xc7, 0x04, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255, 0, 0, 0, 0]; };
const CW = 240, OUT = 128;
const setCw = (cw: number): number[] => [0x66, 0xc7, 0x04, 0x25, ...[0, 8, 16, 24].map((k) => ((DATA + CW) >>> k) & 255), cw & 255, cw >> 8, ...absM(0xd9, 5, CW)];
/** Loads from a data slot: fld m80, fld m64, fld m32, fild m32. */
const load = (k: number, slot: number): number[] => [[0xdb, 5], [0xdd, 0], [0xd9, 0], [0xdb, 0]].map(([op, dg]) => absM(op!, dg!, slot * 16))[k]!;
/** Operations: bytes, and how many stack values they consume as inputs. */
const X87_OPS: number[][] = [
  [0xd9, 0xf0], [0xd9, 0xfe], [0xd9, 0xff], [0xd9, 0xf2], [0xd9, 0xfb], [0xd9, 0xfc], [0xd9, 0xf4], [0xd9, 0xfa], // f2xm1 fsin fcos fptan fsincos frndint fxtract fsqrt
  [0xd9, 0xf1], [0xd9, 0xf9], [0xd9, 0xf3], [0xd9, 0xfd], [0xd9, 0xf8], [0xd9, 0xf5], // fyl2x fyl2xp1 fpatan fscale fprem fprem1
  [0xde, 0xc1], [0xde, 0xc9], [0xde, 0xe9], [0xde, 0xf9], [0xd8, 0xd1], [0xdd, 0xe1], [0xdb, 0xf1], [0xdb, 0xe9], [0xd9, 0xe4], [0xd9, 0xe5], // fadd fmul fsub fdiv fcom fucom fcomi fucomi ftst fxam
  [0xda, 0xc1], [0xdb, 0xd1], [0xda, 0xd9], [0xdb, 0xc9], [0xd9, 0xe0], [0xd9, 0xe1], [0xd9, 0xc9], [0xd9, 0xf7, 0xd9, 0xf6], [0xd9, 0xe8, 0xd9, 0xf8, 0xd9, 0xf8], // fcmovb fcmovnbe fcmovu fcmovne fchs fabs fxch fincstp+fdecstp, fprem twice
];
/** Operands inside the architectural domains: F2XM1 |x| <= 1, FYL2XP1 |x| < 1 - sqrt(2)/2. */
const domainArb = (maxExp: number): fc.Arbitrary<Uint8Array> => fc.oneof(
  { weight: 6, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 16383 - 80, max: maxExp }), m: fc.bigInt({ min: 0n, max: J - 1n }) }).map((r) => ext(r.neg, r.e, J | r.m)) },
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), e: fc.integer({ min: 1, max: 16383 - 80 }), m: fc.bigInt({ min: 0n, max: J - 1n }) }).map((r) => ext(r.neg, r.e, J | r.m)) },
  { weight: 1, arbitrary: fc.record({ neg: fc.boolean(), m: fc.bigInt({ min: 0n, max: J - 1n }) }).map((r) => ext(r.neg, 0, r.m)) },
  { weight: 1, arbitrary: fc.boolean().map((n) => (maxExp === 16382 ? ext(n, 16383, J) : ext(n, 16383 - 3, J))) },
);
const F2XM1 = 0, FYL2XP1 = 9;
export interface X87Macro { bytes: Uint8Array; patch: { slot: number; value: Uint8Array } | null }
export const x87FpArb: fc.Arbitrary<X87Macro> = fc.record({
  rc: fc.nat(3), pc: fc.constantFrom(0, 2, 3, 3, 3), unmask: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(63) }), n: fc.integer({ min: 0, max: 3 }), la: fc.nat(3), lb: fc.nat(3), sa: fc.nat(7), sb: fc.nat(7),
  op: fc.nat(X87_OPS.length + 5), out: fc.nat(5), f2xm1: domainArb(16382), fyl2xp1: domainArb(16380),
}).map((r) => {
  const domain = r.op === F2XM1 ? r.f2xm1 : r.op === FYL2XP1 ? r.fyl2xp1 : null;
  if (domain) { r.la = 0; if (r.sb === r.sa) r.sb = (r.sa + 1) & 7; }
  // some macros unmask exceptions: a pending one is delivered (#MF, SIGFPE) by the next waiting
  // instruction, at the latest the closing FLDCW
  const b: number[] = [...setCw((0x037f & ~r.unmask) | (r.pc << 8) | (r.rc << 10))];
  b.push(...load(r.lb, r.sb), ...load(r.la, r.sa));
  const k = r.op - X87_OPS.length;
  if (k < 0) {
    b.push(...X87_OPS[r.op]!);
  } else if (k === 0) { // FBSTP then FBLD back
    b.push(...absM(0xdf, 6, OUT + 96), ...absM(0xdf, 4, OUT + 96));
  } else if (k >= 1 && k <= 4) {
    // FNSAVE/FRSTOR or FNSTENV/FLDENV round trip, 32-bit images (k 1, 2) or with an operand-size
    // prefix the 16-bit ones (k 3, 4); the pointers are zeroed between: they differ by nature
    const save = k === 1 || k === 3, p66 = k >= 3 ? [0x66] : [];
    const pointers = k >= 3 ? [6, 10] : [12, 16, 20, 24];
    b.push(...p66, ...absM(save ? 0xdd : 0xd9, 6, OUT - 112));
    for (const o of pointers) b.push(...movDword0(OUT - 112 + o));
    b.push(...p66, ...absM(save ? 0xdd : 0xd9, 4, OUT - 112));
  } else { // store to memory formats: fst m32, fst m64, fist m32/m16/m64, fisttp
    const st = [absM(0xd9, 2, OUT + 80), absM(0xdd, 2, OUT + 80), absM(0xdb, 2, OUT + 80), absM(0xdf, 2, OUT + 80), absM(0xdf, 7, OUT + 80), absM(0xdd, 1, OUT + 80)];
    b.push(...st[r.out]!);
  }
  for (let i = 0; i < r.n; i++) b.push(...absM(0xdb, 7, OUT + 16 * i)); // fstp m80 results
  b.push(...setCw(0x037f | (r.rc << 10)));
  return { bytes: Uint8Array.from(b), patch: domain ? { slot: r.sa, value: domain } : null };
});

export const fpCaseArb: fc.Arbitrary<Case> = fc.record({
  code: fc.oneof(
    { weight: 3, arbitrary: fc.array(fpInsnArb, { minLength: 1, maxLength: 3 }).map((insns) => ({ insns, patch: null as X87Macro["patch"] })) },
    { weight: 2, arbitrary: x87FpArb.map((m) => ({ insns: [m.bytes], patch: m.patch })) }),
  regs: fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), fc.constantFrom(0n, 1n, 0x80000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x20000000000001n, 0xffffffffffffffffn)), { minLength: 16, maxLength: 16 }),
  flags: fc.nat(0xfff).map((f) => (f & 0x8d5) | 0x202),
  mxcsr: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(0x1f80, 0x1fa0) },
    { weight: 3, arbitrary: fc.record({ rc: fc.nat(3), ftz: fc.boolean(), daz: fc.boolean(), sticky: fc.nat(63) }).map((m) => 0x1f80 | (m.rc << 13) | (m.ftz ? 0x8000 : 0) | (m.daz ? 0x40 : 0) | m.sticky) },
  ),
  xmm: fpXmmArb,
  data: fpDataArb,
}).map(({ code, ...rest }): Case => {
  const data = rest.data.slice();
  if (code.patch) data.set(code.patch.value, code.patch.slot * 16);
  return { ...rest, insns: code.insns, data };
}).filter((c) => !readsUndefinedFlags(c.insns));

// ---- documented deviations of the host's transcendentals --------------------------------------------
const TRANSCENDENTAL: Record<string, string> = {
  d9f0: "F2XM1", d9f1: "FYL2X", d9f9: "FYL2XP1", d9f2: "FPTAN", d9f3: "FPATAN", d9fe: "FSIN", d9ff: "FCOS", d9fb: "FSINCOS",
};
const OP_AT = 31; // macro layout: control-word set-up (17 bytes), two loads (7 each), the operation
/** 80-bit value as an ordinal (sign-magnitude order) so that adjacent values differ by 1. */
function ordinal(b: Uint8Array, o: number): bigint {
  let m = 0n;
  for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(b[o + i]!);
  const se = b[o + 8]! | (b[o + 9]! << 8);
  const mag = (BigInt(se & 0x7fff) << 64n) | m;
  return se & 0x8000 ? -mag : mag;
}
/**
 * The emulator's transcendentals are correctly rounded; the host's are not always (within one
 * ulp). A difference is accepted as known when the case is one x87 transcendental macro and the
 * only differences are results one ulp apart and the C1 (rounded-up) bit. Everything else fails.
 */
export function knownDeviation(c: Case, nat: { out: Uint8Array; data: Uint8Array }, emu: { out: Uint8Array; data: Uint8Array }): string | null {
  if (c.insns.length !== 1 || c.insns[0]!.length < OP_AT + 2) return null;
  const name = TRANSCENDENTAL[Buffer.from(c.insns[0]!.subarray(OP_AT, OP_AT + 2)).toString("hex")];
  if (!name) return null;
  for (let i = 0; i < 400; i++) if (nat.out[i] !== emu.out[i]) return null;
  const fswN = nat.out[404]! | (nat.out[405]! << 8), fswE = emu.out[404]! | (emu.out[405]! << 8);
  if ((fswN ^ fswE) & ~0x200) return null;
  for (let i = 408; i < 410; i++) if (nat.out[i] !== emu.out[i]) return null;
  let ulps = 0;
  for (let s = 0; s < 16; s++) {
    const o = s * 16;
    let same = true;
    for (let k = 0; k < 16; k++) if (nat.data[o + k] !== emu.data[o + k]) same = false;
    if (same) continue;
    if (s < 8 || s > 10) return null; // only the FSTP m80 result slots
    for (let k = 10; k < 16; k++) if (nat.data[o + k] !== emu.data[o + k]) return null;
    const d = ordinal(nat.data, o) - ordinal(emu.data, o);
    if (d !== 1n && d !== -1n) return null;
    ulps = 1;
  }
  return `${name} ${ulps ? "1 ulp" : "C1 only"}`;
}
