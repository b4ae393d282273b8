/**
 * Decode-time handler forms (ops/fast.ts, fast-forms.ts, fast-mem.ts) and handlers rewritten for
 * speed, against the host CPU (oracle.ts): the generated oracle batch addresses memory only as
 * absolute disp32, so here each instruction runs with RBX pointing into the data buffer and RSI
 * a small index, from deterministic register states with the carries, signs and shift counts the
 * forms branch on, after a producer of lazy flags of each kind (so that a form that keeps flags,
 * INC/DEC's CF or a rotate's SF/ZF, reads them from every kind). Each listed instruction must also
 * decode to a handler other than its generic one (the test fails when a form stops being chosen),
 * except the rewritten generic handlers, which are listed apart.
 */
import { describe, it, expect } from "vitest";
import { checkCases, oracleSkipReason, describeCase, DATA, DATA_SIZE } from "./oracle.js";
import type { Case } from "./oracle.js";
import { Memory, PROT_READ, PROT_WRITE, PROT_EXEC } from "../memory.js";
import { run } from "../run.js";
import { getReg64, setReg64 } from "../state.js";
import { getFlags } from "../flags.js";
import { testMachine, DATA as M_DATA, DATA_SIZE as M_DATA_SIZE } from "./machine.js";
import { decode, setSpecializer } from "../decode.js";
import { registerAll } from "../ops/index.js";
import { specialize } from "../ops/fast.js";
import { setInlineForm } from "../ops/inline-forms.js";

export const rel32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];

/** Instructions whose decoded handler is a specialised form (checked: it is not the generic one). */
const FORMS: number[][] = [
  // MOV loads and stores with base+index*scale(+disp) addresses (operands.ts load64/store64: one TLB lookup)
  [0x48, 0x8b, 0x04, 0xf3], [0x8b, 0x44, 0xb3, 0x04], [0x48, 0x89, 0x0c, 0xf3], [0x89, 0x4c, 0xb3, 0x08], [0x4c, 0x8b, 0x44, 0xf3, 0x08],
  // ADD, OR, AND, SUB, XOR, CMP r/m, r with a memory destination (fast-mem.ts), 64 and 32 bits
  ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39].flatMap((op) => [[0x48, op, 0x0c, 0xf3], [op, 0x4c, 0xb3, 0x04], [0x4c, op, 0x44, 0xf3, 0x08]]),
  // the same with an immediate (83: imm8, 81: imm32, sign-extended)
  ...[0, 1, 4, 5, 6, 7].flatMap((r) => [
    [0x48, 0x83, 0x04 | (r << 3), 0xf3, 0x85], [0x48, 0x81, 0x04 | (r << 3), 0xf3, ...rel32(0x80000001)], [0x48, 0x81, 0x44 | (r << 3), 0xb3, 0x08, ...rel32(0x7fffffff)],
    [0x83, 0x44 | (r << 3), 0xb3, 0x04, 0x05], [0x81, 0x04 | (r << 3), 0xb3, ...rel32(0x80000000)],
  ]),
  // reg op= [mem] (03, 0B, 23, 2B, 33, 3B): 64-bit reads in one lookup
  ...[0x03, 0x0b, 0x23, 0x2b, 0x33, 0x3b].flatMap((op) => [[0x48, op, 0x04, 0xf3], [op, 0x44, 0xb3, 0x04]]),
  // ADD/OR/AND/SUB/XOR/CMP rAX, imm32 (as op r/m, imm on rAX), 64 and 32 bits
  ...[0x05, 0x0d, 0x25, 0x2d, 0x35, 0x3d].flatMap((op) => [[0x48, op, ...rel32(0x80000001)], [op, ...rel32(0x7fffffff)], [0x49, op, ...rel32(5)]]),
  // NOPs (as MOV rax, rax): 90, 66 90, PAUSE, 0F 1F with memory operands (not accessed), ENDBR64, a prefetch
  [0x90], [0x66, 0x90], [0xf3, 0x90], [0x0f, 0x1f, 0x00], [0x0f, 0x1f, 0x44, 0xf3, 0x00], [0x66, 0x0f, 0x1f, 0x84, 0x00, ...rel32(0x7fff0000)],
  [0x41, 0x0f, 0x1f, 0xc1], [0xf3, 0x0f, 0x1e, 0xfa], [0x0f, 0x18, 0x0b],
  // ADC/SBB on memory (the generic-operation forms), INC/DEC on memory (CF kept), MOV m, imm, MOVSXD, BT m, imm, CMOVcc
  [0x48, 0x11, 0x0c, 0xf3], [0x19, 0x4c, 0xb3, 0x04], [0x48, 0x83, 0x14, 0xf3, 0x85], [0x83, 0x5c, 0xb3, 0x04, 0x05],
  [0xff, 0x04, 0xb3], [0xff, 0x4c, 0xb3, 0x04], [0x48, 0xff, 0x04, 0xf3], [0x48, 0xff, 0x4c, 0xf3, 0x08],
  [0xc7, 0x04, 0xb3, ...rel32(0x80000001)], [0x48, 0xc7, 0x44, 0xf3, 0x08, ...rel32(0x80000000)], [0x48, 0xc7, 0x43, 0x08, ...rel32(0x7fffffff)], [0xc7, 0x43, 0x0c, ...rel32(5)],
  [0x48, 0x63, 0x04, 0xb3], [0x0f, 0xba, 0x24, 0xb3, 0x1f], [0x48, 0x0f, 0xba, 0x64, 0xf3, 0x08, 0x25],
  [0x48, 0x0f, 0x44, 0x04, 0xf3], [0x0f, 0x4c, 0x44, 0xb3, 0x04], [0x48, 0x8b, 0x43, 0x08], [0x48, 0x89, 0x4b, 0x10],
];
/** Generic handlers rewritten for speed (SHLD/SHRD in int32 halves): the host is their only judge. */
const REWRITTEN: number[][] = [
  // SHLD/SHRD r/m, r, imm8 and CL at 32 and 64 bits, register and memory destinations; counts
  // 0, 1, both sides of 32 and the top, and CL from the state (the masked count)
  ...[0, 1, 7, 31, 32, 33, 63, 64 + 5].flatMap((n) => [
    [0x0f, 0xa4, 0xc8, n], [0x48, 0x0f, 0xa4, 0xc8, n], [0x0f, 0xac, 0xd1, n], [0x48, 0x0f, 0xac, 0xd1, n],
    [0x48, 0x0f, 0xa4, 0x4b, 0x08, n], [0x0f, 0xac, 0x53, 0x10, n], [0x49, 0x0f, 0xac, 0xc7, n],
  ]),
  [0x0f, 0xa5, 0xc8], [0x48, 0x0f, 0xa5, 0xc8], [0x0f, 0xad, 0xd0], [0x48, 0x0f, 0xad, 0xd0], [0x48, 0x0f, 0xad, 0x4b, 0x08],
];

/** Producers before the instruction: flags from POPF (eager), a 64-bit SUB, a 32-bit ADD, a logic op, an INC. */
const PRODUCERS: number[][] = [[], [0x48, 0x39, 0xd7], [0x01, 0xd7], [0x48, 0x21, 0xd7], [0xff, 0xc7]];

/** Deterministic states with the edges the forms branch on (carries, signs, 2^31, 2^32, shift counts). */
function cases(insn: number[], n: number, seed: number): Case[] {
  const edges = [0n, 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffffffffffffffn, 0x8000000000000000n, 0x100000000n, 0x1ffffffffn, 32n, 63n, 64n];
  let x = 0x9e3779b97f4a7c15n ^ BigInt(seed);
  const next = () => { x ^= (x << 13n) & 0xffffffffffffffffn; x ^= x >> 7n; x ^= (x << 17n) & 0xffffffffffffffffn; return x; };
  return Array.from({ length: n }, (_, k) => {
    const regs = Array.from({ length: 16 }, () => {
      const v = next();
      return k % 3 === 0 ? v : k % 3 === 1 ? edges[Number(v % BigInt(edges.length))]! : v & 0xffffffffn;
    });
    regs[3] = BigInt(DATA + 64); // RBX: a base inside the data buffer
    regs[6] = regs[6]! & 7n; // RSI: an index (scaled by up to 8, disp up to 0x40: inside the buffer)
    const data = new Uint8Array(DATA_SIZE);
    for (let i = 0; i < DATA_SIZE; i++) data[i] = Number(next() & 255n);
    const pre = PRODUCERS[k % PRODUCERS.length]!;
    const insns = (pre.length ? [Uint8Array.from(pre)] : []).concat([Uint8Array.from(insn)]);
    return { insns, regs, flags: Number(next() & 0x8d5n) | 0x202, xmm: new Uint8Array(256), data };
  });
}

function hex(b: number[]): string { return b.map((v) => v.toString(16).padStart(2, "0")).join(" "); }

/** The handler the decoder picks for insn, with or without the specialisers. */
function handlerOf(insn: number[], specialised: boolean): unknown {
  registerAll();
  const m = new Memory(4);
  m.map(0x10000, 4096, PROT_READ | PROT_EXEC);
  m.writeBytes(0x10000, Uint8Array.from([...insn, 0xf4]));
  if (!specialised) setSpecializer((_d, h) => h);
  try { return decode(m, 0x10000).exec; } finally { setSpecializer(specialize, setInlineForm); }
}

describe("handler forms against the host CPU", () => {
  it("each listed form is chosen by the decoder (not its generic handler)", () => {
    const generic = FORMS.filter((i) => handlerOf(i, true) === handlerOf(i, false)).map(hex);
    expect(generic).toEqual([]);
  });
  it("every form and rewritten handler matches the host from each state", (ctx) => {
    const why = oracleSkipReason();
    if (why) ctx.skip(why);
    const all = [...FORMS, ...REWRITTEN].flatMap((insn, i) => cases(insn, 30, i));
    const bad = checkCases(all).map((b) => `${describeCase(all[b.i]!)}: ${b.why}`);
    expect(bad.slice(0, 5)).toEqual([]);
  }, 300_000);
});

/**
 * What the host cannot show: accesses that straddle a page end (into a mapped page, and into an
 * unmapped one, where the fault address and the unchanged state matter) and pages not yet in the
 * TLB or only readable. Each form runs with the specialisers and without (the generic handler,
 * which the host oracle checks) from the same state; stop, registers, flags and memory must agree.
 */
describe("memory forms at page ends, against their generic handlers", () => {
  /** A run of insn with RBX = the last page of DATA's end minus `back` bytes, RSI = 0; the page after mapped or not. */
  function outcome(insn: number[], back: number, nextMapped: boolean, readOnly: boolean, specialised: boolean): unknown {
    const { c, m } = testMachine([...insn, 0xf4]);
    const end = M_DATA + M_DATA_SIZE;
    if (nextMapped) m.map(end, 4096, PROT_READ | PROT_WRITE);
    if (readOnly) m.protect(end - 4096, 4096, PROT_READ);
    for (let r = 0; r < 16; r++) if (r !== 4) setReg64(c, r, 0x8000000180000001n * BigInt(r + 1));
    setReg64(c, 3, BigInt(end - back)); setReg64(c, 6, 0n);
    if (!specialised) setSpecializer((_d, h) => h);
    let stop: unknown;
    try { stop = run(c, m, 10); } finally { setSpecializer(specialize, setInlineForm); }
    const bytes = (a: number, n: number) => (m.isMapped(a) ? Buffer.from(m.readBytes(a, n)).toString("hex") : "");
    return { stop, regs: Array.from({ length: 16 }, (_, r) => getReg64(c, r)), flags: getFlags(c), rip: c.rip, before: bytes(end - 16, 16), after: bytes(end, 16) };
  }
  it("each memory form faults, straddles and stores as its generic handler", () => {
    registerAll();
    const memForms = FORMS.filter((i) => i.some((b) => b === 0xf3 || b === 0xb3));
    const diffs: string[] = [];
    for (const insn of memForms) for (const back of [1, 3, 4, 5, 8, 16]) for (const nextMapped of [false, true]) for (const ro of [false, true]) {
      const a = outcome(insn, back, nextMapped, ro, true), b = outcome(insn, back, nextMapped, ro, false);
      if (JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)) !== JSON.stringify(b, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v))) diffs.push(`${hex(insn)} at end-${back}${nextMapped ? " (next page mapped)" : ""}${ro ? " (read-only)" : ""}`);
    }
    expect(diffs).toEqual([]);
  });
});
