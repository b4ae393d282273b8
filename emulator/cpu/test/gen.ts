/**
 * fast-check arbitraries for instruction sequences accepted by the host oracle: a table of
 * encoding forms, random prefixes/REX/ModRM/immediates, memory operands only as absolute
 * disp32 addresses inside the data buffer (LEA may use any addressing form).
 */
import fc from "fast-check";
import { DATA, vet, readsUndefinedFlags } from "./oracle.js";
import type { Case } from "./oracle.js";
import { assembleLoop, loopStep, LOOP_REGS, type LoopCase } from "./loops.js";

type Imm = 0 | 1 | 2 | 4 | "z";
interface Form {
  pfx: number; // mandatory prefix byte (0 none, 0x66, 0xf2, 0xf3)
  esc: number[]; // opcode escape bytes
  op: number;
  modrm: "rm" | "reg" | "mem" | "none" | "lea";
  digit?: number; // ModRM /digit
  imm: Imm;
  osz: boolean; // 66 / REX.W vary operand size
  sse?: boolean; // 16-byte aligned memory operand
}
const F: Form[] = [];
const add = (f: Partial<Form> & { op: number }) => F.push({ pfx: 0, esc: [], modrm: "rm", imm: 0, osz: true, ...f });

// integer
for (let o = 0; o < 8; o++) {
  for (let k = 0; k < 4; k++) add({ op: (o << 3) | k });
  add({ op: (o << 3) | 4, modrm: "none", imm: 1 }); add({ op: (o << 3) | 5, modrm: "none", imm: "z" });
  add({ op: 0x80, digit: o, imm: 1 }); add({ op: 0x81, digit: o, imm: "z" }); add({ op: 0x83, digit: o, imm: 1 });
  for (const op of [0xc0, 0xc1]) add({ op, digit: o, imm: 1 });
  for (const op of [0xd0, 0xd1, 0xd2, 0xd3]) add({ op, digit: o });
  for (const op of [0xf6, 0xf7]) add({ op, digit: o, imm: o < 2 ? (op === 0xf6 ? 1 : "z") : 0 });
}
for (const op of [0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x63]) add({ op });
add({ op: 0xa8, modrm: "none", imm: 1 }); add({ op: 0xa9, modrm: "none", imm: "z" });
for (const d of [0, 1]) { add({ op: 0xfe, digit: d }); add({ op: 0xff, digit: d }); }
add({ op: 0xc6, digit: 0, imm: 1 }); add({ op: 0xc7, digit: 0, imm: "z" });
for (let r = 0; r < 8; r++) { add({ op: 0xb0 + r, modrm: "none", imm: 1 }); add({ op: 0xb8 + r, modrm: "none", imm: "z" }); add({ op: 0x90 + r, modrm: "none" }); }
add({ op: 0x8d, modrm: "lea" });
for (const op of [0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9]) add({ op, modrm: "none" });
add({ op: 0x69, imm: "z" }); add({ op: 0x6b, imm: 1 });
const E = [0x0f];
for (const op of [0xaf, 0xb6, 0xb7, 0xbe, 0xbf, 0xbc, 0xbd, 0xb0, 0xb1, 0xc0, 0xc1]) add({ esc: E, op });
for (const op of [0xa3, 0xab, 0xb3, 0xbb]) add({ esc: E, op, modrm: "reg" });
for (const d of [4, 5, 6, 7]) add({ esc: E, op: 0xba, digit: d, imm: 1 });
add({ esc: E, op: 0xa4, imm: 1 }); add({ esc: E, op: 0xa5 }); add({ esc: E, op: 0xac, imm: 1 }); add({ esc: E, op: 0xad });
for (let cc = 0; cc < 16; cc++) { add({ esc: E, op: 0x40 + cc }); add({ esc: E, op: 0x90 + cc, digit: 0 }); }
for (let r = 0; r < 8; r++) add({ esc: E, op: 0xc8 + r, modrm: "none" });
add({ pfx: 0xf3, esc: E, op: 0xb8 }); add({ pfx: 0xf3, esc: E, op: 0xbc }); add({ pfx: 0xf3, esc: E, op: 0xbd });

// SSE integer (66 0F xx, xmm, xmm/m128)
const sse = (pfx: number, op: number, extra: Partial<Form> = {}) => add({ pfx, esc: E, op, osz: false, sse: true, ...extra });
for (const op of [0xfc, 0xfd, 0xfe, 0xd4, 0xf8, 0xf9, 0xfa, 0xfb, 0xec, 0xed, 0xdc, 0xdd, 0xe8, 0xe9, 0xd8, 0xd9, 0xdb, 0xdf, 0xeb, 0xef,
  0x74, 0x75, 0x76, 0x64, 0x65, 0x66, 0xda, 0xde, 0xea, 0xee, 0xe0, 0xe3, 0xd5, 0xe5, 0xe4, 0xf4, 0xf5, 0xf6,
  0x60, 0x61, 0x62, 0x6c, 0x68, 0x69, 0x6a, 0x6d, 0x63, 0x6b, 0x67, 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3, 0x6f]) sse(0x66, op);
sse(0x66, 0x7f); sse(0xf3, 0x6f); sse(0xf3, 0x7f);
for (const [op, d] of [[0x71, 2], [0x71, 4], [0x71, 6], [0x72, 2], [0x72, 4], [0x72, 6], [0x73, 2], [0x73, 3], [0x73, 6], [0x73, 7]] as const) sse(0x66, op, { digit: d, imm: 1, modrm: "reg" });
sse(0x66, 0x70, { imm: 1 }); sse(0xf2, 0x70, { imm: 1 }); sse(0xf3, 0x70, { imm: 1 });
sse(0x66, 0xd7, { modrm: "reg" }); sse(0x66, 0xc5, { modrm: "reg", imm: 1 }); sse(0x66, 0xc4, { imm: 1 });
sse(0x66, 0x6e, { osz: true }); sse(0x66, 0x7e, { osz: true }); sse(0xf3, 0x7e); sse(0x66, 0xd6);
// SSE float
for (const op of [0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f, 0x51]) for (const p of [0, 0x66, 0xf2, 0xf3]) sse(p, op);
for (const op of [0x54, 0x55, 0x56, 0x57, 0x14, 0x15, 0x28, 0x10, 0x11, 0x29]) for (const p of [0, 0x66]) sse(p, op);
for (const p of [0xf2, 0xf3]) { sse(p, 0x10); sse(p, 0x11); sse(p, 0x2a, { osz: true }); sse(p, 0x2c, { osz: true }); sse(p, 0x2d, { osz: true }); }
for (const p of [0, 0x66, 0xf2, 0xf3]) { sse(p, 0xc2, { imm: 1 }); sse(p, 0x5a); }
for (const p of [0, 0x66]) { sse(p, 0x2e); sse(p, 0x2f); sse(p, 0xc6, { imm: 1 }); sse(p, 0x50, { modrm: "reg" }); sse(p, 0x12, { modrm: p ? "mem" : "rm" }); sse(p, 0x16, { modrm: p ? "mem" : "rm" }); sse(p, 0x13, { modrm: "mem" }); sse(p, 0x17, { modrm: "mem" }); }
sse(0, 0x5b); sse(0x66, 0x5b); sse(0xf3, 0x5b); sse(0x66, 0xe6); sse(0xf3, 0xe6); sse(0xf2, 0xe6);
// SSE3 / SSSE3 / SSE4.1 / SSE4.2
sse(0x66, 0xd0); sse(0xf2, 0xd0); sse(0x66, 0x7c); sse(0xf2, 0x7c); sse(0x66, 0x7d); sse(0xf2, 0x7d);
sse(0xf2, 0x12); sse(0xf3, 0x12); sse(0xf3, 0x16); sse(0xf2, 0xf0, { modrm: "mem" });
const E38 = [0x0f, 0x38], E3A = [0x0f, 0x3a];
for (const op of [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x1c, 0x1d, 0x1e, 0x10, 0x14, 0x15, 0x17,
  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x28, 0x29, 0x2b, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41])
  add({ pfx: 0x66, esc: E38, op, osz: false, sse: true });
add({ pfx: 0x66, esc: E38, op: 0x2a, osz: false, sse: true, modrm: "mem" });
add({ pfx: 0xf2, esc: E38, op: 0xf0 }); add({ pfx: 0xf2, esc: E38, op: 0xf1 });
for (const op of [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x17, 0x21, 0x40, 0x41, 0x42, 0x60, 0x61, 0x62, 0x63])
  add({ pfx: 0x66, esc: E3A, op, osz: false, sse: true, imm: 1 });
for (const op of [0x14, 0x15, 0x16, 0x20, 0x22]) add({ pfx: 0x66, esc: E3A, op, osz: true, sse: true, imm: 1 });
export const FORMS: readonly Form[] = F;

/** Encode one instruction from a form and random choices. */
export function encode(f: Form, r: { rex: number; p66: boolean; mod3: boolean; modrm: number; off: number; imm: number; sib: number; disp: number }): Uint8Array {
  const b: number[] = [];
  if (f.pfx === 0x66 || (f.osz && r.p66 && f.pfx === 0)) b.push(0x66);
  if (f.pfx === 0xf2 || f.pfx === 0xf3) b.push(f.pfx);
  let rex = r.rex & (f.osz ? 15 : 7);
  let modrm = r.modrm & 0xff;
  const tail: number[] = [];
  if (f.digit !== undefined) modrm = (modrm & ~0x38) | (f.digit << 3);
  switch (f.modrm) {
    case "none": rex &= ~6; break;
    case "reg": modrm |= 0xc0; rex &= ~2; break;
    case "lea": modrm &= ~0xc0; modrm |= (r.mod3 ? 0x40 : 0x80) & 0xc0; if ((modrm & 7) === 4) tail.push(r.sib & 0xff);
      if ((modrm & 0xc0) === 0x40) tail.push(r.disp & 0xff); else tail.push(r.disp & 255, (r.disp >>> 8) & 255, (r.disp >>> 16) & 255, (r.disp >>> 24) & 255);
      break;
    default:
      if (f.modrm === "rm" && r.mod3) { modrm |= 0xc0; rex &= ~2; }
      else {
        const a = DATA + (f.sse ? r.off & 0xe0 : r.off & 0xc7);
        modrm = (modrm & 0x38) | 0x04; rex &= ~3;
        tail.push(0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255);
      }
  }
  if (rex || (r.rex & 16)) b.push(0x40 | rex);
  b.push(...f.esc, f.op);
  if (f.modrm !== "none") b.push(modrm, ...tail);
  const immBytes = f.imm === "z" ? (b[0] === 0x66 && f.osz ? 2 : 4) : f.imm;
  const movabs = f.modrm === "none" && f.op >= 0xb8 && f.op < 0xc0 && f.esc.length === 0 && (rex & 8);
  for (let i = 0; i < (movabs ? 8 : immBytes); i++) b.push(i < 4 ? (r.imm >>> (8 * i)) & 255 : ((r.imm * 7) >>> (8 * (i - 4))) & 255);
  return Uint8Array.from(b);
}

const insnArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    form: fc.nat(FORMS.length - 1), rex: fc.nat(31), p66: fc.boolean(), mod3: fc.boolean(), modrm: fc.nat(255),
    off: fc.nat(255), sib: fc.nat(255), disp: fc.integer(),
    imm: fc.oneof(fc.integer(), fc.constantFrom(0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 255, -1, 0x7fffffff, -0x80000000)),
  })
  .map((r) => encode(FORMS[r.form]!, r))
  .filter((b) => vet(b) !== null && !isShld16(b));

/** 16-bit SHLD/SHRD with counts above 16 have undefined results; leave them out. */
function isShld16(b: Uint8Array): boolean {
  const i = b.indexOf(0x0f);
  return i > 0 && b.subarray(0, i).includes(0x66) && [0xa4, 0xa5, 0xac, 0xad].includes(b[i + 1]!);
}

const u64Arb = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn) },
  { weight: 2, arbitrary: fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, v)) },
);
const F64_SPECIAL = [0, -0, 1, -1, 0.5, 1.5, 2.5, -2.5, Infinity, -Infinity, NaN, 1e308, 5e-324, 2.2250738585072014e-308, 2 ** 31, -(2 ** 31), 2 ** 63, 4294967296.5, 3.4028235677973366e38, 1.401298464324817e-45];
const laneArb = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...F64_SPECIAL).map((v) => new Uint8Array(new Float64Array([v]).buffer)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...F64_SPECIAL), fc.constantFrom(...F64_SPECIAL)).map(([a, b]) => new Uint8Array(new Float32Array([a, b]).buffer)) },
  { weight: 1, arbitrary: fc.constantFrom(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf0, 0x7f]), new Uint8Array([0, 0, 0, 0, 0, 0, 0xf4, 0xff]), new Uint8Array([1, 0, 0x80, 0x7f, 0, 0, 0xa0, 0xff])) },
);
const xmmArb = fc.array(laneArb, { minLength: 32, maxLength: 32 }).map((ls) => { const b = new Uint8Array(256); ls.forEach((l, i) => b.set(l, i * 8)); return b; });

// ---- x87 macro sequences (self-contained: balanced stack, FCW restored) --------------------
const absM = (op: number, digit: number, off: number): number[] => { const a = DATA + off; return [op, (digit << 3) | 4, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255]; };
const CW = 240;
const setCw = (cw: number): Uint8Array[] => [Uint8Array.from([0x66, 0xc7, 0x04, 0x25, ...[0, 8, 16, 24].map((k) => ((DATA + CW) >>> k) & 255), cw & 255, cw >> 8]), Uint8Array.from(absM(0xd9, 5, CW))];
const LOADS: [number, number][] = [[0xdd, 0], [0xd9, 0], [0xdf, 5], [0xdb, 0]]; // fld m64, fld m32, fild m64, fild m32
const x87Arb: fc.Arbitrary<Uint8Array[]> = fc.record({
  rc: fc.nat(3), pc: fc.constantFrom(0, 2, 3, 3, 3), a: fc.nat(15), b: fc.nat(15), la: fc.nat(3), lb: fc.nat(3),
  op: fc.nat(13), st: fc.nat(5), out: fc.nat(7),
}).map((r) => {
  const ins: Uint8Array[] = [...setCw(0x037f | (r.pc << 8) | (r.rc << 10))];
  const ld = (k: number, off: number) => Uint8Array.from(absM(LOADS[k]![0], LOADS[k]![1], off));
  ins.push(ld(r.la, r.a * 8), ld(r.lb, r.b * 8));
  const two = [[0xde, 0xc1], [0xde, 0xc9], [0xde, 0xe9], [0xde, 0xe1], [0xde, 0xf9], [0xde, 0xf1]];
  const out = 128 + (r.out % 7) * 16;
  const stores = [absM(0xdb, 7, out), absM(0xdd, 3, out), absM(0xd9, 3, out), absM(0xdf, 7, out), absM(0xdb, 3, out), absM(0xdd, 1, out)];
  if (r.op < 6) { ins.push(Uint8Array.from(two[r.op]!)); ins.push(Uint8Array.from(stores[r.st]!)); }
  else if (r.op < 8) { ins.push(Uint8Array.from(r.op === 6 ? [0xdf, 0xf1] : [0xdf, 0xe9]), Uint8Array.from([0xdd, 0xd8])); }
  else {
    // FXAM + FNSTSW: only the condition codes and TOP are compared (exception bits are not modelled)
    const un = [[0xd9, 0xe1, 0xd9, 0xfa], [0xd9, 0xe0], [0xd9, 0xfc], [0xd9, 0xe5, 0xdf, 0xe0, 0x25, 0x00, 0x7f, 0x00, 0x00], [0xd9, 0xc9], [0xd9, 0xeb, 0xde, 0xc9]][r.op - 8]!;
    ins.push(Uint8Array.from(un.slice(0, 2)));
    if (un.length > 2) ins.push(Uint8Array.from(un.slice(2)));
    ins.push(Uint8Array.from(stores[r.st]!), Uint8Array.from(absM(0xdb, 7, 128 + 7 * 16 - 16)));
  }
  ins.push(...setCw(0x037f));
  // one unit, so shrinking cannot unbalance the stack or drop the control-word setup
  const all = new Uint8Array(ins.reduce((n, b) => n + b.length, 0));
  let o = 0; for (const b of ins) { all.set(b, o); o += b.length; }
  return [all];
});

// ---- branch macros: flag producer; Jcc over `not rax`; (the JIT fuses compare-and-jump) -----
const ALU_FORMS = FORMS.flatMap((f, i) => (f.esc.length === 0 && (f.op < 0x40 || [0x81, 0x83, 0x84, 0x85, 0xa8, 0xa9].includes(f.op)) ? [i] : []));
const branchArb: fc.Arbitrary<Uint8Array[]> = fc.record({
  form: fc.constantFrom(...ALU_FORMS), rex: fc.nat(31), p66: fc.boolean(), mod3: fc.boolean(), modrm: fc.nat(255),
  off: fc.nat(255), sib: fc.nat(255), disp: fc.integer(),
  imm: fc.oneof(fc.integer(), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000)), cc: fc.nat(15), near: fc.boolean(),
}).map((r) => {
  const prod = encode(FORMS[r.form]!, r);
  const jcc = r.near ? [0x0f, 0x80 + r.cc, 3, 0, 0, 0] : [0x70 + r.cc, 3];
  return [Uint8Array.from([...prod, ...jcc, 0x48, 0xf7, 0xd0])]; // one unit: shrinking keeps the branch whole
});

// ---- string macros: RSI/RDI inside the data buffer, a small count in RCX, either direction, then
// MOVS/STOS/LODS/CMPS/SCAS at every width, alone or under REP (and REPNE for the compares;
// REPNE before MOVS/STOS/LODS is reserved, so never generated); CLD last, as the state blob expects
const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const stringArb: fc.Arbitrary<Uint8Array[]> = fc.record({
  op: fc.constantFrom(0xa4, 0xa6, 0xaa, 0xac, 0xae), wide: fc.nat(3), rep: fc.nat(2), cnt: fc.nat(8),
  si: fc.integer({ min: 64, max: 191 }), di: fc.integer({ min: 64, max: 191 }), down: fc.boolean(),
}).map((r) => {
  const compare = r.op === 0xa6 || r.op === 0xae;
  const rep = r.rep === 0 ? [] : r.rep === 2 && compare ? [0xf2] : [0xf3];
  // wide: 0 byte, 1 word (66), 2 dword, 3 qword (REX.W); at most 8 elements of 8 bytes stay inside [0, 256)
  const op = [...(r.wide === 1 ? [0x66] : []), ...rep, ...(r.wide === 3 ? [0x48] : []), r.wide === 0 ? r.op : r.op + 1];
  return [Uint8Array.from([0xbe, ...le32(DATA + r.si), 0xbf, ...le32(DATA + r.di), 0xb9, ...le32(r.cnt), ...(r.down ? [0xfd] : []), ...op, 0xfc])];
});

// ---- counted-loop macros: the loops the interpreter runs in closed form (counted-loop.ts), with
// their stores inside the data buffer and an exit they reach (the host runs them to the end)
const loopArb: fc.Arbitrary<Uint8Array[]> = fc.record({
  ind: fc.constantFrom(...LOOP_REGS), other: fc.nat(LOOP_REGS.length - 2),
  update: fc.constantFrom("add8", "add32", "sub8", "inc", "dec") as fc.Arbitrary<LoopCase["update"]>, step: fc.constantFrom(1, 2, 4, 8, -1, -2, -4, -8),
  cmp: fc.constantFrom("39", "3b", "imm", "none") as fc.Arbitrary<LoopCase["cmp"]>, store: fc.constantFrom("none", "before", "after") as fc.Arbitrary<LoopCase["store"]>,
  storeVal: fc.integer(), disp: fc.integer({ min: -8, max: 8 }), count: fc.integer({ min: 1, max: 24 }), at: fc.nat(1000), near: fc.boolean(),
}).map((r) => {
  const step = loopStep(r.update, r.step), span = r.count * Math.abs(step);
  // stores (at most 24 of 8 bytes) start 16 bytes in from whichever end they walk away from
  const off = step > 0 ? 16 + (r.at % (256 - 32 - span + 1)) : 16 + span + (r.at % (256 - 32 - span + 1));
  const others = LOOP_REGS.filter((x) => x !== r.ind);
  const k: LoopCase = {
    ...r, step, other: others[r.other % others.length]!, store: r.cmp === "none" ? "none" : r.store,
    start: r.cmp === "none" ? BigInt(-step * r.count) : BigInt(DATA + off), reachable: true, budgets: [], extra: false,
  };
  return [Uint8Array.from(assembleLoop(k))]; // one unit: shrinking keeps the loop whole
});

export const caseArb: fc.Arbitrary<Case> = fc.record({
  insns: fc.oneof({ weight: 9, arbitrary: fc.array(insnArb, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: x87Arb }, { weight: 1, arbitrary: branchArb }, { weight: 1, arbitrary: stringArb }, { weight: 1, arbitrary: loopArb }),
  regs: fc.array(u64Arb, { minLength: 16, maxLength: 16 }),
  flags: fc.nat(0xfff).map((f) => (f & 0x8d5) | 0x202),
  mxcsr: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0x1f80) },
    { weight: 2, arbitrary: fc.record({ rc: fc.nat(3), ftz: fc.boolean(), daz: fc.boolean(), sticky: fc.nat(63) }).map((m) => 0x1f80 | (m.rc << 13) | (m.ftz ? 0x8000 : 0) | (m.daz ? 0x40 : 0) | m.sticky) },
    { weight: 1, arbitrary: fc.constantFrom(0x1f80 | 0x20, 0x1fbf) }, // PE (or every flag) already sticky
  ),
  xmm: xmmArb,
  data: fc.oneof(fc.uint8Array({ minLength: 256, maxLength: 256 }), xmmArb),
}).filter((c) => !readsUndefinedFlags(c.insns));
