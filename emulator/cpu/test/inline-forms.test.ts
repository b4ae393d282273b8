/**
 * The interpreter loop's inline forms (ops/inline-forms.ts, run.ts interpret()): every form code
 * runs exactly as the handler it stands for. Each instruction below runs once through the
 * loop's fast path (where its code is switched on and run inline) and once with a trace ring (which makes run() call every instruction's `exec`, the
 * handler), from the same random states; registers, RFLAGS, RIP, the retired count and the data
 * memory must agree. Every code in use has instructions here (the test fails on a code it does
 * not reach), so a slip in any case of the switch fails it. Flag writers whose flags are
 * overwritten unseen run in their dead-flag forms (markDeadFlags), followed by the instructions
 * that overwrite them, and again with a faulting load in between, where they must keep their flags.
 */
import { describe, it, expect, afterAll } from "vitest";
import { CpuState, run, getReg64, setReg64, getFlags, fetchInsn, TraceRing, PROT_READ, PROT_WRITE } from "../index.js";
import type { Memory } from "../index.js";
import { setJitThreshold, JIT_THRESHOLD, runPrimingCode } from "../run.js";
import { inlineCodes, K_JCC, PRIMING_CODE } from "../ops/inline-forms.js";
import { CODE, DATA, DATA_SIZE, testMachine } from "./machine.js";

const HLT = 0xf4;
/** RBX holds BASE (memory forms address [rbx+disp]); RSI an index 0..15; RSP is the machine's. */
const BASE = DATA + 0x100;
/** The data the forms can reach (around BASE, and the stack's top), filled and compared. */
const WINDOW = 1024;
/** A stack page on either side of 2^32. */
const STACK_EDGE = 2 ** 32;
/** FS.base: fs:[rbx+8] lands 0x40 past [rbx+8], inside the window. */
const FS_BASE = 0x40;
const rel32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];

/** Instructions by what they exercise (the code each one gets is read back from the decoder). */
const INSNS: number[][] = [
  // register moves, loads and stores with base+disp, LEA, push/pop
  [0x48, 0x89, 0xc8], [0x48, 0x8b, 0xc1], [0x4c, 0x89, 0xc0], [0x89, 0xc8], [0x8b, 0xc1],
  [0x48, 0x8b, 0x43, 0x08], [0x8b, 0x43, 0x0c], [0x48, 0x89, 0x43, 0x10], [0x89, 0x4b, 0x14], [0x48, 0x8b, 0x5b, 0x08],
  [0x48, 0x8d, 0x43, 0x10], [0x48, 0x8d, 0x82, ...rel32(0x80000000)], [0x48, 0x8d, 0x40, 0xff],
  [0x51], [0x41, 0x50], [0x54], [0x59], [0x5c], [0x41, 0x5f],
  // ALU on registers: ADD, OR, AND, SUB, XOR, CMP; both directions, 64 and 32 bits, and with immediates
  ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x03, 0x0b, 0x23, 0x2b, 0x33, 0x3b].flatMap((op) => [[0x48, op, 0xc8], [op, 0xc8], [0x4d, op, 0xc1], [op, 0xc0]]),
  ...[0, 1, 4, 5, 6, 7].flatMap((r) => [[0x48, 0x83, 0xc0 | (r << 3), 0x85], [0x83, 0xc1 | (r << 3), 0x05], [0x48, 0x81, 0xc2 | (r << 3), ...rel32(0x80000001)], [0x81, 0xc0 | (r << 3), ...rel32(0x7fffffff)]]),
  [0x48, 0x85, 0xc8], [0x85, 0xc8], [0x48, 0x85, 0xc0],
  // 64-bit shifts by immediates (0, and both sides of 32), IMUL, MOVZX, byte stores
  ...[0, 1, 13, 31, 32, 33, 63].flatMap((n) => [[0x48, 0xc1, 0xe0, n], [0x48, 0xc1, 0xf0, n], [0x48, 0xc1, 0xe8, n], [0x48, 0xc1, 0xf8, n], [0x49, 0xc1, 0xf8, n]]),
  [0x48, 0x0f, 0xaf, 0xc1], [0x4c, 0x0f, 0xaf, 0xc2],
  [0x0f, 0xb6, 0xc1], [0x40, 0x0f, 0xb6, 0xc6], [0x48, 0x0f, 0xb6, 0xc1],
  [0x88, 0x03], [0x88, 0x63, 0x01], [0x40, 0x88, 0x73, 0x02], [0x88, 0x04, 0xb3],
  // the directly called handlers
  [0xc1, 0xc0, 0x05], [0xc1, 0xc8, 0x07], [0xc1, 0xe0, 0x03], [0xc1, 0xf0, 0x03], [0xc1, 0xe8, 0x1f], [0xc1, 0xf8, 0x01],
  [0x48, 0xff, 0xc0], [0x48, 0xff, 0xc9], [0xff, 0xc0], [0xff, 0xc9],
  [0x8d, 0x04, 0xb3], [0x8d, 0x43, 0x10], [0x48, 0x8d, 0x04, 0x73], [0x48, 0x8d, 0x44, 0xb3, 0x10], [0x48, 0x8d, 0x05, ...rel32(0x10)],
  [0x0f, 0xb6, 0x43, 0x01], [0xf7, 0xd0], [0x48, 0xf7, 0xd1], [0x48, 0x63, 0xc1], [0x48, 0x63, 0x43, 0x04], [0x48, 0x98],
  [0x01, 0x43, 0x08], [0x29, 0x43, 0x08], [0x39, 0x43, 0x08], [0x48, 0x01, 0x43, 0x08], [0x48, 0x31, 0x43, 0x08],
  [0x03, 0x43, 0x08], [0x2b, 0x43, 0x08], [0x48, 0x03, 0x43, 0x08], [0x48, 0x3b, 0x43, 0x08],
  [0x05, ...rel32(0x80000000)], [0x25, ...rel32(0xff)], [0x48, 0x05, ...rel32(0x7fffffff)], [0x48, 0x3d, ...rel32(0x80000000)],
  [0xf7, 0xc1, ...rel32(0x80000001)], [0x48, 0xf7, 0xc1, ...rel32(0x80000000)],
  [0x83, 0x7b, 0x08, 0x05], [0x80, 0x7b, 0x08, 0x80],
  [0xc7, 0x43, 0x08, ...rel32(0x12345678)], [0x48, 0xc7, 0x43, 0x08, ...rel32(0x80000000)],
  [0x8b, 0x04, 0xb3], [0x48, 0x8b, 0x04, 0xb3], [0x0f, 0xb7, 0x43, 0x02], [0x8a, 0x43, 0x01], [0x8a, 0x63, 0x01],
  // any-address memory forms: indexed, FS-relative, RIP-relative (the HLT after it) and 32-bit addresses
  [0x48, 0x89, 0x04, 0xb3], [0x89, 0x4c, 0xb3, 0x08], [0x48, 0x0f, 0xbe, 0x44, 0x73, 0x01], [0x0f, 0xbe, 0x04, 0x33],
  [0x48, 0x0f, 0xbe, 0x43, 0x02], [0x0f, 0xbe, 0x43, 0x03], [0x48, 0x83, 0x3c, 0xf3, 0x05], [0x48, 0x81, 0x7c, 0x33, 0x08, ...rel32(0x80000000)],
  [0x81, 0x3c, 0xb3, ...rel32(0x80000000)], [0x80, 0x3c, 0x33, 0x7f], [0x48, 0x63, 0x04, 0xb3], [0x0f, 0xb7, 0x04, 0x73], [0x0f, 0xb6, 0x04, 0x33],
  [0x64, 0x48, 0x8b, 0x43, 0x08], [0x64, 0x89, 0x43, 0x08], [0x8b, 0x05, ...rel32(0)], [0x0f, 0xb6, 0x05, ...rel32(0)], [0x67, 0x8b, 0x43, 0x08],
  [0x67, 0x48, 0x89, 0x43, 0x10],
  // 32-bit addressing drops the high half: mov rdx, rbx; bts rdx, 32; mov eax, [edx+8]
  [0x48, 0x89, 0xda, 0x48, 0x0f, 0xba, 0xea, 0x20, 0x67, 0x8b, 0x42, 0x08],
  // LEA with carries between the halves (random RCX, RDX), RIP-relative and base-less 32-bit LEA
  [0x48, 0x8d, 0x84, 0x11, ...rel32(0x80000000)], [0x48, 0x8d, 0x44, 0xd1, 0xf0], [0x48, 0x8d, 0x84, 0x91, ...rel32(0x7fffffff)],
  [0x8d, 0x05, ...rel32(0x10)], [0x8d, 0x04, 0x55, ...rel32(8)], [0x8d, 0x84, 0x11, ...rel32(0x7fffffff)],
  // INC/DEC keep CF, read from each kind of record: cmp eax, edi; add eax, edi; test; shl; inc; imul; adc; sbb first
  [0x39, 0xf8, 0x48, 0xff, 0xc0], [0x01, 0xf8, 0xff, 0xc8], [0x85, 0xc0, 0x48, 0xff, 0xc8], [0x48, 0xd1, 0xe7, 0xff, 0xc0],
  [0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0], [0x48, 0x0f, 0xaf, 0xc1, 0xff, 0xc0], [0x48, 0x11, 0xc8, 0xff, 0xc0], [0x19, 0xc8, 0x48, 0xff, 0xc9],
  [0x31, 0xff, 0x01, 0xf8, 0xff, 0xc8], // an add of 0 (no carry, the result equal to the operand)
  // MOV r8, m8 (AH among them); op r, m and op m, r (64 and 32 bits; ADC/SBB stay handler calls)
  [0x8a, 0x04, 0x33], [0x8a, 0x64, 0x33, 0x01], [0x40, 0x8a, 0x34, 0x33],
  ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x03, 0x0b, 0x23, 0x2b, 0x33, 0x3b, 0x13, 0x1b].flatMap((op) => [[0x48, op, 0x14, 0xf3], [op, 0x4c, 0xb3, 0x08]]),
  [0x64, 0x48, 0x2b, 0x43, 0x08],
  // MOV r, imm (B8+r and C7 /0; a 64-bit C7 immediate sign-extended), TEST r8, imm8
  [0xb8, ...rel32(0x87654321)], [0x41, 0xbb, ...rel32(0x12345678)], [0x48, 0xb9, ...rel32(0x9abcdef0), ...rel32(0x80000001)],
  [0x48, 0xc7, 0xc2, ...rel32(0xfffffffe)], [0xc7, 0xc1, ...rel32(0x80000000)],
  [0xf6, 0xc1, 0x81], [0xf6, 0xc4, 0x80], [0x40, 0xf6, 0xc6, 0x03], [0xf6, 0xc9, 0x01],
  // byte compares of registers, AH..BH among them
  [0x38, 0xc8], [0x3a, 0xe1], [0x38, 0xec], [0x40, 0x38, 0xf7], [0x84, 0xe4],
  [0x0f, 0x94, 0xc0], [0x0f, 0x92, 0xc1], [0x0f, 0x44, 0xc1], [0x0f, 0x4c, 0xc1], [0x48, 0x0f, 0x42, 0xc1], [0x48, 0x0f, 0x4f, 0xc1],
  [0x0f, 0xba, 0x63, 0x08, 0x05], [0x80, 0xf9, 0x05], [0x80, 0xfc, 0x80], [0x3c, 0x05], [0x84, 0xc8], [0x84, 0xe0], [0xa8, 0x81],
];
/** Flag writers (ALU ops, TEST, shifts by immediates, IMUL): each gets a dead-flag form when its flags are overwritten unseen. */
const WRITERS: number[][] = [
  ...[0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x03, 0x2b].flatMap((op) => [[0x48, op, 0xc8], [op, 0xc8], [0x4d, op, 0xc1], [op, 0xc0]]),
  ...[0, 1, 4, 5, 6, 7].flatMap((r) => [[0x48, 0x83, 0xc0 | (r << 3), 0x85], [0x83, 0xc1 | (r << 3), 0x05], [0x48, 0x81, 0xc2 | (r << 3), ...rel32(0x80000001)], [0x81, 0xc0 | (r << 3), ...rel32(0x7fffffff)]]),
  [0x48, 0x85, 0xc8], [0x85, 0xc8], [0x48, 0x85, 0xc0],
  ...[0, 1, 13, 31, 32, 33, 63].flatMap((n) => [[0x48, 0xc1, 0xe0, n], [0x48, 0xc1, 0xe8, n], [0x48, 0xc1, 0xf8, n], [0x49, 0xc1, 0xf8, n]]),
  [0x48, 0x0f, 0xaf, 0xc1], [0x4c, 0x0f, 0xaf, 0xc2], [0x48, 0x0f, 0xaf, 0xc0],
];
/** What overwrites every flag field a writer can write: a shift (RFLAGS' status bits) and a compare (the lazy fields). */
const KILL = [0x48, 0xc1, 0xe7, 0x01, 0x48, 0x39, 0xd7]; // shl rdi, 1; cmp rdi, rdx
/** A load that faults (RBX + 1 MiB is unmapped): what a fault sees must be exact. */
const FAULTING_LOAD = [0x48, 0x8b, 0x93, ...rel32(0x100000)]; // mov rdx, [rbx+0x100000]

/**
 * Loads and stores run in place on a TLB hit (interpret() reads the page's view itself) and
 * through Memory on a miss: each twice in one block, so that the second finds the page the first
 * put in the TLB; and loads straddling a page end (RBX + 0xefc reaches DATA's first page's last 4 bytes).
 */
const TLB_HITS: number[][] = [
  [0x48, 0x8b, 0x43, 0x08], [0x8b, 0x43, 0x0c], [0x48, 0x89, 0x43, 0x10], [0x89, 0x4b, 0x14], [0x88, 0x03], [0x88, 0x63, 0x01], [0x88, 0x04, 0xb3],
  [0x48, 0x8b, 0x83, ...rel32(0xefc)], [0x8b, 0x83, ...rel32(0xefe)],
  // the any-address forms, and ones straddling a page end (RSI: 0..15)
  [0x48, 0x8b, 0x04, 0xb3], [0x48, 0x89, 0x04, 0xb3], [0x89, 0x4c, 0xb3, 0x08], [0x48, 0x63, 0x04, 0xb3], [0x0f, 0xb7, 0x04, 0x73],
  [0x48, 0x0f, 0xbe, 0x44, 0x73, 0x01], [0x0f, 0xbe, 0x04, 0x33], [0x48, 0x83, 0x3c, 0xf3, 0x05], [0x83, 0x3c, 0xb3, 0x05],
  [0x48, 0x8b, 0x84, 0x33, ...rel32(0xef8)], [0x8b, 0x84, 0x33, ...rel32(0xef8)], [0x48, 0x63, 0x84, 0x33, ...rel32(0xef8)],
  [0x0f, 0xb7, 0x84, 0x33, ...rel32(0xef8)], [0x48, 0x83, 0xbc, 0x33, ...rel32(0xef8), 0x05],
  [0x48, 0x01, 0x04, 0xf3], [0x01, 0x4c, 0xb3, 0x08], [0x48, 0x2b, 0x04, 0xf3], [0x8a, 0x64, 0x33, 0x01],
  [0x48, 0x01, 0x84, 0x33, ...rel32(0xef8)], [0x01, 0x84, 0x33, ...rel32(0xefa)],
].map((x) => [...x, ...x]).concat([[0x51, 0x41, 0x50, 0x59, 0x41, 0x5f]]);

/** Block-ending forms: each at the end of its block, after a compare that sets the flags it may read. */
const CMP = [0x48, 0x39, 0xf8]; // cmp rax, rdi
const TAILS: { code: number[]; ret?: number; at?: number }[] = [
  ...Array.from({ length: 16 }, (_, cc) => ({ code: [...CMP, 0x70 + cc, 0x01, HLT, HLT] })),
  ...Array.from({ length: 16 }, (_, cc) => ({ code: [0x85, 0xc8, 0x0f, 0x80 + cc, ...rel32(1), HLT, HLT] })),
  { code: [0x48, 0x29, 0xf8, 0x72, 0x01, HLT, HLT] }, { code: [0xff, 0xc0, 0x7c, 0x01, HLT, HLT] },
  { code: [0xeb, 0x01, HLT, HLT] }, { code: [0xe9, ...rel32(1), HLT, HLT] }, { code: [0xe8, ...rel32(1), HLT, HLT] },
  { code: [0xc3, HLT], ret: CODE + 1 },
  // lea rax, [rip+3]; jmp rax (over the first HLT); jmp r9 with r9 = rax
  { code: [0x48, 0x8d, 0x05, ...rel32(3), 0xff, 0xe0, HLT, HLT], at: 7 },
  { code: [0x48, 0x8d, 0x05, ...rel32(6), 0x49, 0x89, 0xc1, 0x41, 0xff, 0xe1, HLT, HLT], at: 10 },
];

/** Deterministic values with the edges the forms branch on (carries, signs, 2^31, 2^32). */
function states(n: number): bigint[][] {
  const edges = [0n, 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffffffffffffffn, 0x8000000000000000n, 0x100000000n, 0x1ffffffffn];
  let x = 0x9e3779b97f4a7c15n;
  const next = () => { x ^= (x << 13n) & 0xffffffffffffffffn; x ^= x >> 7n; x ^= (x << 17n) & 0xffffffffffffffffn; return x; };
  return Array.from({ length: n }, (_, k) => Array.from({ length: 16 }, (_, r) => {
    const v = next();
    return k % 3 === 0 ? v : k % 3 === 1 ? edges[Number(v % BigInt(edges.length))]! : v & 0xffffffffn;
  }));
}

function setUp(code: number[], regs: bigint[], flagsFrom: number): { c: CpuState; m: Memory } {
  // a producer first, so that the forms that read or keep flags see lazy flags of either kind
  const pre = flagsFrom === 0 ? [0x48, 0x39, 0xd7] /* cmp rdi, rdx */ : [0x48, 0x01, 0xd7]; /* add rdi, rdx */
  const { c, m } = testMachine([...pre, ...code]);
  const rsp = getReg64(c, 4);
  regs.forEach((v, r) => { if (r !== 4) setReg64(c, r, v); });
  setReg64(c, 3, BigInt(BASE));
  setReg64(c, 6, regs[6]! & 15n);
  const data = new Uint8Array(WINDOW);
  for (let i = 0; i < WINDOW; i++) data[i] = (i * 37 + Number(regs[1]! & 255n)) & 255;
  m.writeBytes(DATA, data);
  m.writeBytes(DATA + DATA_SIZE - WINDOW, data);
  setReg64(c, 4, rsp);
  c.fsBase = FS_BASE;
  return { c, m };
}

function outcome(c: CpuState, m: Memory): unknown {
  return { regs: Array.from({ length: 16 }, (_, r) => getReg64(c, r)), flags: getFlags(c), rip: c.rip, icount: c.icount, data: Buffer.from(m.readBytes(DATA, WINDOW)).toString("hex"), edge: m.isMapped(STACK_EDGE) ? Buffer.from(m.readBytes(STACK_EDGE - 16, 32)).toString("hex") : "", stack: Buffer.from(m.readBytes(DATA + DATA_SIZE - WINDOW, WINDOW)).toString("hex") };
}

describe("inline forms", () => {
  const saved = JIT_THRESHOLD;
  setJitThreshold(0); // the interpreter alone (no region compiles between the two runs)
  afterAll(() => setJitThreshold(saved));
  const seen = new Set<number>();
  const STATES = states(12);

  /** `edge`: RSP just above or at the 2^32 boundary (push/pop/call/ret carry into its high half). */
  function check(code: number[], at: number, ret?: number, edge?: "push" | "pop", stop: "hlt" | "fault" = "hlt"): void {
    STATES.forEach((regs, k) => {
      const a = setUp(code, regs, k & 1), b = setUp(code, regs, k & 1);
      for (const x of [a, b]) {
        if (edge !== undefined) {
          x.m.map(STACK_EDGE - 4096, 8192, PROT_READ | PROT_WRITE);
          x.m.writeBytes(STACK_EDGE - 8, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
          setReg64(x.c, 4, BigInt(edge === "push" ? STACK_EDGE : STACK_EDGE - 8));
        }
        const sp = Number(getReg64(x.c, 4));
        if (ret !== undefined) x.m.writeBytes(sp, Uint8Array.from(rel32(ret + 3).concat([0, 0, 0, 0])));
      }
      const sa = run(a.c, a.m, 100), sb = run(b.c, b.m, 100, new TraceRing());
      const d = fetchInsn(a.m, CODE + 3 + at);
      seen.add(d.k);
      const what = `${code.map((x) => x.toString(16).padStart(2, "0")).join(" ")} (form ${d.k}) from state ${k}`;
      expect(sa.kind, what).toBe(stop);
      expect(sb, what).toEqual(sa);
      expect(outcome(a.c, a.m), what).toEqual(outcome(b.c, b.m));
    });
  }

  it("every instruction's inline form runs as its handler, in the block's body", () => {
    for (const insn of INSNS) check([...insn, HLT], 0);
  });
  it("every block-ending form runs as its handler, at the block's end", () => {
    for (const t of TAILS) {
      // the tail instruction comes after the compare of the Jcc cases, or first
      const at = t.at ?? (t.code[0] === 0x48 && t.code[1] === 0x39 ? 3 : t.code[0] === 0x85 || t.code[0] === 0xff ? 2 : t.code[0] === 0x48 ? 3 : 0);
      check(t.code, at, t.ret);
    }
    expect(seen.has(K_JCC)).toBe(true);
  });
  it("every flag writer's dead-flag form runs as its handler (its flags overwritten before the block ends)", () => {
    for (const w of WRITERS) check([...w, ...KILL, HLT], 0);
  });
  it("a byte compare or test overwrites a 32-bit writer's flags (its dead form) but not a 64-bit one's", () => {
    // cmp al, cl; test ah, ch; cmp cl, 5; test dl, 3 (the last a TEST r8, imm8) after every writer
    for (const killer of [[0x38, 0xc8], [0x84, 0xec], [0x80, 0xf9, 0x05], [0xf6, 0xc2, 0x03]]) {
      for (const w of WRITERS) check([...w, ...killer, HLT], 0);
    }
  });
  it("a flag writer keeps its flags when a memory access comes before they are overwritten (a fault sees them)", () => {
    for (const w of WRITERS) check([...w, ...FAULTING_LOAD, ...KILL, HLT], 0, undefined, undefined, "fault");
  });
  it("loads and stores that hit the TLB run as their handlers (and ones straddling a page end)", () => {
    for (const code of TLB_HITS) check([...code, HLT], 0);
    // call and ret: the call's push fills the TLB for the ret's pop
    check([0xe8, ...rel32(1), HLT, 0xc3], 0);
  });
  it("push, pop, call and ret carry into RSP's high half", () => {
    for (const push of [[0x51], [0x41, 0x50]]) check([...push, HLT], 0, undefined, "push");
    for (const pop of [[0x59], [0x41, 0x5f]]) check([...pop, HLT], 0, undefined, "pop");
    check([0xe8, ...rel32(1), HLT, HLT], 0, undefined, "push");
    check([0xc3, HLT], 0, CODE + 1, "pop");
  });
  it("addresses that wrap around 2^64, lie past 2^47 or take a huge index run as their handlers", () => {
    // interpret() computes a load's or store's address in register halves modulo 2^64 and finds
    // the page by an integer key; ea() (the handlers) sums exactly. The two agree wherever the
    // loop hits the TLB, and everything else (non-canonical, kernel-half, unmapped) must come out
    // as the handler's fault, with the handler's address
    const U64 = 2n ** 64n, B = BigInt(BASE);
    const cases: { code: number[]; rbx: bigint; rsi?: bigint; rsp?: bigint }[] = [];
    const loads = [[0x48, 0x8b, 0x43, 0x10], [0x89, 0x4b, 0x14], [0x88, 0x43, 0x01], [0x48, 0x89, 0x04, 0xb3], [0x8b, 0x04, 0xb3], [0x48, 0x83, 0x3c, 0xf3, 0x05], [0x48, 0x01, 0x04, 0xf3], [0x88, 0x04, 0xb3], [0x0f, 0xb6, 0x04, 0x33]];
    for (const code of loads) {
      for (const [rbx, rsi] of [
        [U64 - 16n, 0n], [B - U64 + U64, U64 - 1n], [U64 - 0x100n, (B + 0x100n) / 8n], // wraps to BASE: a hit either way
        [B, 2n ** 62n], [B, 2n ** 61n + 3n], [B, U64 - 2n ** 62n], [B + 2n ** 52n, 0n], [B + 2n ** 47n, 0n], // exact sums past 2^64 or 2^47
        [2n ** 47n - 8n, 0n], [0n, U64 - 8n], [B + 2n ** 35n, 1n], [B + 2n ** 20n * 256n, 0n], // non-canonical, kernel half, unmapped (same TLB slot)
      ] as [bigint, bigint][]) cases.push({ code, rbx: rbx % U64, rsi });
    }
    for (const rsp of [0n, 8n, 2n ** 47n, U64 - 8n]) for (const code of [[0x51], [0x59], [0xe8, ...rel32(1)], [0xc3]]) cases.push({ code, rbx: B, rsp });
    // mov rdx, [r8]; mov [r8+0x200], rdx with R8 = BASE first: BASE's page is then in both TLBs,
    // so that an address that wrongly lands on it hits
    const FILL = [0x49, 0x8b, 0x10, 0x49, 0x89, 0x90, ...rel32(0x200)];
    for (const { code, rbx, rsi, rsp } of cases) {
      const a = setUp([...FILL, ...code, HLT, HLT], states(1)[0]!, 0), b = setUp([...FILL, ...code, HLT, HLT], states(1)[0]!, 0);
      for (const x of [a, b]) { setReg64(x.c, 8, B); setReg64(x.c, 3, rbx); if (rsi !== undefined) setReg64(x.c, 6, rsi); if (rsp !== undefined) setReg64(x.c, 4, rsp); }
      const sa = run(a.c, a.m, 100), sb = run(b.c, b.m, 100, new TraceRing());
      const what = `${code.map((x) => x.toString(16).padStart(2, "0")).join(" ")} with rbx ${rbx.toString(16)} rsi ${rsi?.toString(16)} rsp ${rsp?.toString(16)}`;
      expect(sb, what).toEqual(sa);
      expect(outcome(a.c, a.m), what).toEqual(outcome(b.c, b.m));
    }
  });
  it("LEA r64, [rip+disp] loads the next instruction's address plus disp (a constant at decode)", () => {
    for (const disp of [0, 0x10, -0x10, -0x400000, 0x7fffffff, -0x80000000]) {
      for (const [rex, reg] of [[0x48, 0], [0x4c, 9]] as [number, number][]) {
        const code = [rex, 0x8d, 0x05 | ((reg & 7) << 3), ...rel32(disp), HLT];
        const { c, m } = setUp(code, states(1)[0]!, 0);
        expect(run(c, m, 100).kind).toBe("hlt");
        // the ISA's rule: RIP-relative addresses count from the end of the instruction (setUp puts a 3-byte compare first)
        expect(getReg64(c, reg), `disp ${disp}`).toBe(BigInt.asUintN(64, BigInt(CODE + 3 + 7 + disp)));
      }
    }
  });
  it("reaches every form code in use (none untested)", () => {
    const missing = inlineCodes().filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });
  it("the priming code run at load reaches every form code in use (V8 optimises interpret() with feedback from each case)", () => {
    // a case the priming never ran compiles to a deoptimisation: the first program to reach it
    // throws the optimised loop away (~500 ms of compiling again)
    for (const k of [0, 15]) {
      const { m, code, stop } = runPrimingCode(k);
      expect(stop.kind).toBe("hlt");
      const codes = new Set<number>();
      for (let a = code; a < code + PRIMING_CODE.length;) { const d = fetchInsn(m, a); codes.add(d.k); a = d.next; }
      m.release();
      expect(inlineCodes().filter((x) => !codes.has(x))).toEqual([]);
    }
  });
});
