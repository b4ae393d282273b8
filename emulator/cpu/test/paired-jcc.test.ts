/**
 * A flag producer and the conditional or direct jump after it, at the end of a block: the
 * interpreter's fast path runs the producer in the block's body (inline, ops/inline-forms.ts, or
 * through its handler) and the jump in its block-ending form (inline too), and the compiled tier
 * fuses the two. Checked against the host CPU for every condition after every producer form
 * (the branch taken or not, the flags a later PUSHF, SETcc or ADC reads), and for the run()
 * contract: a budget may end between the two, a fault in the producer retires neither, and code
 * rewritten inside the block takes effect.
 */
import { describe, it, expect } from "vitest";
import { CpuState, run, getReg64, getFlags, setFlags } from "../index.js";
import { setJitThreshold, DEFAULT_JIT_THRESHOLD, fetchInsn } from "../run.js";
import { TraceRing } from "../trace.js";
import { K_JCC, K_JMP } from "../ops/inline-forms.js";
import { checkCases, oracleSkipReason, describeCase, vet, DATA } from "./oracle.js";
import type { Case } from "./oracle.js";
import { CODE, testMachine } from "./machine.js";

const abs = (a: number) => [0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255];
/** Producers over RCX and RDX (or the data buffer), at every width the fast forms specialise. */
const PRODUCERS: [string, number[]][] = [
  ["cmp rcx,rdx", [0x48, 0x39, 0xd1]], ["cmp ecx,edx", [0x39, 0xd1]], ["cmp rdx,rcx (3B)", [0x48, 0x3b, 0xd1]],
  ["cmp rcx,imm8", [0x48, 0x83, 0xf9, 0x05]], ["cmp ecx,imm32", [0x81, 0xf9, 0x00, 0x00, 0x00, 0x80]],
  ["cmp rax,imm32", [0x48, 0x3d, 0xff, 0xff, 0xff, 0x7f]], ["cmp cl,imm8", [0x80, 0xf9, 0x80]], ["cmp al,imm8", [0x3c, 0x01]],
  ["cmp cl,dl", [0x38, 0xd1]], ["cmp cx,dx", [0x66, 0x39, 0xd1]], ["cmp r9,r10", [0x4d, 0x39, 0xd1]],
  ["test rcx,rdx", [0x48, 0x85, 0xd1]], ["test ecx,edx", [0x85, 0xd1]], ["test cl,dl", [0x84, 0xd1]],
  ["test eax,imm32", [0xa9, 0x00, 0x00, 0x00, 0x80]], ["test rcx,imm32", [0x48, 0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00]],
  ["sub rcx,rdx", [0x48, 0x29, 0xd1]], ["add ecx,edx", [0x01, 0xd1]], ["and rcx,imm8", [0x48, 0x83, 0xe1, 0xf0]],
  ["xor edx,ecx", [0x31, 0xca]], ["or rcx,rdx", [0x48, 0x09, 0xd1]], ["adc rcx,rdx", [0x48, 0x11, 0xd1]], ["sbb ecx,edx", [0x19, 0xd1]],
  ["inc rcx", [0x48, 0xff, 0xc1]], ["dec ecx", [0xff, 0xc9]], ["dec cl", [0xfe, 0xc9]],
  ["cmp rcx,[data]", [0x48, 0x3b, 0x0c, ...abs(DATA + 8)]], ["cmp dword [data],imm8", [0x83, 0x3c, ...abs(DATA + 16), 0x07]],
  ["test [data],ecx", [0x85, 0x0c, ...abs(DATA + 24)]], ["sub rdx,[data]", [0x48, 0x2b, 0x14, ...abs(DATA + 32)]],
  // instructions that leave the flags alone or set them without being compares (the jump reads
  // the entry flags, or these)
  ["lea rcx,[rcx+1]", [0x48, 0x8d, 0x49, 0x01]], ["mov rdx,rcx", [0x48, 0x89, 0xca]], ["mov ecx,[data]", [0x8b, 0x0c, ...abs(DATA + 40)]],
  ["movzx ecx,byte [data]", [0x0f, 0xb6, 0x0c, ...abs(DATA + 3)]], ["movsxd rcx,edx", [0x48, 0x63, 0xca]], ["mov ecx,imm32", [0xb9, 0x78, 0x56, 0x34, 0x12]],
  ["cmovb rcx,rdx", [0x48, 0x0f, 0x42, 0xca]], ["setl cl", [0x0f, 0x9c, 0xc1]], ["shl rcx,1", [0x48, 0xd1, 0xe1]],
  ["not rcx", [0x48, 0xf7, 0xd1]], ["neg ecx", [0xf7, 0xd9]],
];
/** RCX, RDX (and RAX, R9, R10 alike): equal, below/above, signed and unsigned order disagreeing, sign and carry edges. */
const VALUES: [bigint, bigint][] = [
  [0n, 0n], [5n, 7n], [0xffffffffffffffffn, 1n], [0x7fffffffn, 0x80000000n],
  [0x8000000000000000n, 0x7fffffffffffffffn], [0x80n, 0x7fn],
];
const DATA_BYTES = Uint8Array.from({ length: 256 }, (_, i) => [0, 5, 0x80, 0xff, 7, 0, 0x7f, 1][i % 8]!);
/** After the pair: SETB BL, SETL BH, SETE SIL (REX), ADC RSI, RDI, all reading the pair's flags. */
const READERS = [0x0f, 0x92, 0xc3, 0x0f, 0x9c, 0xc7, 0x40, 0x0f, 0x94, 0xc6, 0x48, 0x11, 0xfe];

function cases(): Case[] {
  const out: Case[] = [];
  let k = 0;
  for (const [, prod] of PRODUCERS) for (let cc = 0; cc <= 16; cc++) for (const [a, b] of VALUES) {
    // the oracle's flag mask (vet) covers units whose only jumps are conditional: after a JMP,
    // only producers that leave no flag undefined are comparable
    if (cc === 16 && vet(Uint8Array.from(prod)) !== 0) continue;
    const near = (k & 1) === 1, readers = (k & 2) === 2;
    // producer; Jcc (cc 16: JMP) over `not rax`; then (every other case) the readers, else the epilogue's PUSHF reads the flags
    const jcc = cc === 16 ? (near ? [0xe9, 3, 0, 0, 0] : [0xeb, 3]) : near ? [0x0f, 0x80 + cc, 3, 0, 0, 0] : [0x70 + cc, 3];
    const regs = Array.from({ length: 16 }, (_, r) => BigInt(r) * 0x1111n);
    regs[0] = a; regs[1] = a; regs[2] = b; regs[9] = a; regs[10] = b; regs[7] = 0x0123456789abcdefn;
    out.push({
      insns: [Uint8Array.from([...prod, ...jcc, 0x48, 0xf7, 0xd0, ...(readers ? READERS : [])])],
      regs, flags: (k % 3 === 0 ? 0x8d5 : 0) | 0x202, xmm: new Uint8Array(256), data: DATA_BYTES,
    });
    k++;
  }
  return out;
}

const machine = testMachine;
const state = (c: CpuState) => ({ regs: Array.from({ length: 16 }, (_, r) => getReg64(c, r)), flags: getFlags(c), rip: c.rip, icount: c.icount });

/**
 * xor eax,eax; xor ecx,ecx; jmp L; L: add rax,rcx; inc ecx; cmp ecx,10; jb L; adc rdx,rbx; setb bl; hlt
 * (3 + 10 x 4 + 3 = 46 instructions; the first block ends in a pair with JMP, the loop's back
 * edge is a pair with JB, whose flags are read after the exit).
 */
const LOOP = [0x31, 0xc0, 0x31, 0xc9, 0xeb, 0x00, 0x48, 0x01, 0xc8, 0xff, 0xc1, 0x83, 0xf9, 0x0a, 0x72, 0xf6, 0x48, 0x11, 0xda, 0x0f, 0x92, 0xc3, 0xf4];
const LOOP_INSNS = 46;

describe("flag producer + Jcc at a block's end", () => {
  it("match the host CPU for every condition after every producer form, in the interpreter and compiled", (ctx) => {
    const why = oracleSkipReason();
    if (why) ctx.skip(why);
    const all = cases();
    const bad = checkCases(all);
    expect(bad.slice(0, 5).map((b) => `${describeCase(all[b.i]!)}: ${b.why}`)).toEqual([]);
    // not vacuous: every case's jump has its inline block-ending form
    for (const c of all) {
      const code = c.insns[0]!, { m } = machine(Array.from(code));
      const j = fetchInsn(m, fetchInsn(m, CODE).next);
      expect(j.k === K_JCC || j.k === K_JMP, describeCase(c)).toBe(true);
    }
  }, 600_000);

  it("runs the loop's back edge inline, retires exactly the budget at every split, and ends where one-at-a-time execution does", () => {
    setJitThreshold(0);
    try {
      const ref = machine(LOOP);
      expect(run(ref.c, ref.m, 1000, new TraceRing())).toEqual({ kind: "hlt" }); // a trace runs one instruction at a time, each through its handler
      expect(ref.c.icount).toBe(LOOP_INSNS);
      const whole = machine(LOOP);
      setFlags(whole.c, 0x202);
      expect(run(whole.c, whole.m, 1000)).toEqual({ kind: "hlt" });
      expect(state(whole.c)).toEqual(state(ref.c));
      // the jumps have their inline forms (and ran them: budget 1000 covers every block)
      expect(fetchInsn(whole.m, CODE + 4).k).toBe(K_JMP);
      expect(fetchInsn(whole.m, CODE + 14).k).toBe(K_JCC);
      for (let k = 1; k < LOOP_INSNS; k++) {
        const split = machine(LOOP), step = machine(LOOP);
        expect(run(split.c, split.m, k)).toEqual({ kind: "budget" });
        expect(run(step.c, step.m, k, new TraceRing())).toEqual({ kind: "budget" });
        expect(state(split.c)).toEqual(state(step.c)); // stops between a producer and its jump when k says so
        expect(run(split.c, split.m, 1000)).toEqual({ kind: "hlt" });
        expect(state(split.c)).toEqual(state(ref.c));
      }
    } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
  });

  it("a producer that faults retires neither it nor its jump, at any budget", () => {
    // k x `inc rax`; cmp dword [0x12345000], 5 (unmapped); jne +0; hlt
    const INC = [0x48, 0xff, 0xc0], CMP = [0x83, 0x3c, 0x25, 0x00, 0x50, 0x34, 0x12, 0x05];
    setJitThreshold(0);
    try {
      for (let k = 0; k < 6; k++) for (const budget of [k + 1, k + 2, 100]) {
        const { c, m } = machine([...Array.from({ length: k }, () => INC).flat(), ...CMP, 0x75, 0x00, 0xf4]);
        setFlags(c, 0x202 | 0x40);
        expect(run(c, m, budget)).toEqual({ kind: "fault", fault: { type: "#PF", addr: 0x1234_5000n, access: "read" } });
        expect(c.icount).toBe(k);
        expect(c.rip).toBe(CODE + 3 * k);
        expect(getReg64(c, 0)).toBe(BigInt(k));
        // the entry flags (ZF), or the last INC's: PF from the count's parity (k <= 5: no AF, ZF, SF, OF)
        const pf = [1, 2, 4, 8, 16].includes(k) ? 0 : 4;
        expect(getFlags(c) & 0x8d5).toBe(k === 0 ? 0x40 : pf);
      }
    } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
  });

  it("a store in the block that rewrites its jump takes effect at once", () => {
    // 0: mov byte [rip+3], 0x73 (JB -> JAE at 10); 7: cmp ecx, 10; 10: jb +2; 12: mov al, 1; 14: hlt
    const code = [0xc6, 0x05, 0x03, 0x00, 0x00, 0x00, 0x73, 0x83, 0xf9, 0x0a, 0x72, 0x02, 0xb0, 0x01, 0xf4];
    setJitThreshold(0);
    try {
      const { c, m } = machine(code, true);
      c.rip = CODE + 7; // decode cmp + jb first
      expect(run(c, m, 100)).toEqual({ kind: "hlt" });
      expect(getReg64(c, 0) & 255n).toBe(0n); // JB taken (0 < 10): mov al, 1 skipped
      expect(fetchInsn(m, CODE + 10).k).toBe(K_JCC);
      c.rip = CODE;
      expect(run(c, m, 100)).toEqual({ kind: "hlt" });
      expect(getReg64(c, 0) & 255n).toBe(1n); // JAE not taken: mov al, 1 ran
      expect(c.icount).toBe(3 + 5);
    } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
  });
});
