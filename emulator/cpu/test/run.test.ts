/**
 * run() contract: exact budgets, REP interruption and resumption, typed fault stops with RIP at
 * the faulting instruction, SYSCALL register effects, self-modifying code, snapshot/restore
 * determinism.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, getReg64, setReg64, getFlags, snapshotMachine, restoreMachine } from "../index.js";
import { setJitThreshold, DEFAULT_JIT_THRESHOLD, logRegions, regionLog } from "../run.js";
import { CODE, DATA, testMachine } from "./machine.js";

const machine = (code: number[]) => testMachine(code);
// loop: inc rax; jmp loop
const LOOP = [0x48, 0xff, 0xc0, 0xeb, 0xfb];

describe("run()", () => {
  it("retires exactly maxInsns before a budget stop, for any split of the budget", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), (chunks) => {
      const { c, m } = machine(LOOP);
      for (const k of chunks) expect(run(c, m, k)).toEqual({ kind: "budget" });
      const total = chunks.reduce((a, b) => a + b, 0);
      expect(c.icount).toBe(total);
      // inc executes ceil(total / 2) times
      expect(getReg64(c, 0)).toBe(BigInt(Math.ceil(total / 2)));
    }), { seed: 5, numRuns: 200 });
  });

  it("treats the REP count as unsigned 64-bit: RCX >= 2^63 iterates and consumes budget (hung forever before)", () => {
    // rep stosb ; hlt, with DF=1 so the stores walk down inside DATA for the whole budget.
    // Contract (SDM REP): every iteration decrements RCX by one; the count is unsigned.
    for (const rcx of [1n << 63n, (1n << 64n) - 1n, (1n << 63n) + 5n, 1n << 53n, (1n << 53n) + 1n, 1n << 32n]) {
      const { c, m } = machine([0xfd, 0xf3, 0xaa, 0xf4]);
      setReg64(c, 7, BigInt(DATA + 60_000));
      setReg64(c, 1, rcx);
      expect(run(c, m, 1_001)).toEqual({ kind: "budget" });
      expect(c.icount).toBe(1_001); // std + 1000 iterations
      expect(getReg64(c, 1)).toBe(rcx - 1000n);
      expect(getReg64(c, 7)).toBe(BigInt(DATA + 60_000 - 1000));
    }
  });

  it("a 32-bit address-size REP uses ECX only and zero-extends it", () => {
    // addr32 rep stosb ; hlt with RCX = 0xffffffff_00000003: three iterations, RCX ends 0.
    const { c, m } = machine([0x67, 0xf3, 0xaa, 0xf4]);
    setReg64(c, 7, BigInt(DATA));
    setReg64(c, 1, 0xffffffff_00000003n);
    expect(run(c, m, 100)).toEqual({ kind: "hlt" });
    expect(getReg64(c, 1)).toBe(0n);
    expect(c.icount).toBe(4);
  });

  it("interrupts REP MOVSB between iterations and resumes to the same result", () => {
    // rep movsb ; hlt
    const code = [0xf3, 0xa4, 0xf4];
    const ref = machine(code);
    const setup = (c: CpuState, m: Memory) => {
      m.writeBytes(DATA, Uint8Array.from({ length: 300 }, (_, i) => i & 255));
      setReg64(c, 6, BigInt(DATA)); setReg64(c, 7, BigInt(DATA + 1000)); setReg64(c, 1, 300n);
    };
    setup(ref.c, ref.m);
    expect(run(ref.c, ref.m, 10_000)).toEqual({ kind: "hlt" });
    expect(ref.c.icount).toBe(301); // 300 iterations + hlt
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 40 }), (chunks) => {
      const t = machine(code);
      setup(t.c, t.m);
      let s;
      let i = 0;
      do { s = run(t.c, t.m, chunks[i++ % chunks.length]!); } while (s.kind === "budget");
      expect(s).toEqual({ kind: "hlt" });
      expect(t.c.icount).toBe(301);
      expect(getReg64(t.c, 1)).toBe(0n);
      expect(t.m.readBytes(DATA + 1000, 300)).toEqual(ref.m.readBytes(DATA + 1000, 300));
    }), { seed: 6, numRuns: 100 });
  });

  it("reports #UD with the bytes and RIP at the instruction", () => {
    const { c, m } = machine([0x90, 0x0f, 0x0b]);
    const s = run(c, m, 10);
    expect(s.kind).toBe("fault");
    if (s.kind === "fault" && s.fault.type === "#UD") expect(Array.from(s.fault.bytes)).toEqual([0x0f, 0x0b]);
    expect(c.rip).toBe(CODE + 1);
    expect(c.icount).toBe(1);
  });

  it("reports #PF with the address and access kind; #DE on division by zero", () => {
    const a = machine([0x48, 0x8b, 0x04, 0x25, 0x00, 0x50, 0x34, 0x12]); // mov rax, [0x12345000] (unmapped)
    expect(run(a.c, a.m, 10)).toEqual({ kind: "fault", fault: { type: "#PF", addr: 0x1234_5000n, access: "read" } });
    expect(a.c.rip).toBe(CODE);
    const b = machine([0x31, 0xc9, 0xf7, 0xf1]); // xor ecx,ecx; div ecx
    expect(run(b.c, b.m, 10)).toEqual({ kind: "fault", fault: { type: "#DE" } });
    expect(b.c.rip).toBe(CODE + 2);
    const w = machine([0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00]); // mov [CODE], rax (read-only page)
    expect(run(w.c, w.m, 10)).toEqual({ kind: "fault", fault: { type: "#PF", addr: BigInt(CODE), access: "write" } });
  });

  it("a fault in the middle of a block retires exactly the instructions before it, for any budget", () => {
    // k x `inc rax`, `mov rax, [0x12345000]` (unmapped), 3 x `inc rax`, hlt: one straight-line
    // block, which the interpreter runs without per-instruction budget counting when the budget
    // covers it; the count must still be exact at the fault, and a budget stop must come first
    // when the budget ends before the load.
    const INC = [0x48, 0xff, 0xc0], LOAD = [0x48, 0x8b, 0x04, 0x25, 0x00, 0x50, 0x34, 0x12];
    fc.assert(fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 40 }), (k, budget) => {
      const { c, m } = machine([...Array.from({ length: k }, () => INC).flat(), ...LOAD, ...INC, ...INC, ...INC, 0xf4]);
      const s = run(c, m, budget);
      if (budget <= k) {
        expect(s).toEqual({ kind: "budget" });
        expect(c.icount).toBe(budget);
        expect(getReg64(c, 0)).toBe(BigInt(budget));
        expect(c.rip).toBe(CODE + 3 * budget);
      } else {
        expect(s).toEqual({ kind: "fault", fault: { type: "#PF", addr: 0x1234_5000n, access: "read" } });
        expect(c.icount).toBe(k);
        expect(getReg64(c, 0)).toBe(BigInt(k));
        expect(c.rip).toBe(CODE + 3 * k);
      }
    }), { seed: 11, numRuns: 300 });
  });

  it("RDTSC mid-block reads a TSC that counts exactly the instructions retired before it", () => {
    // k x `inc rcx`, rdtsc, hlt: the virtual TSC (tsc base + retired count) must equal k.
    for (let k = 0; k < 10; k++) {
      const { c, m } = machine([...Array.from({ length: k }, () => [0x48, 0xff, 0xc1]).flat(), 0x0f, 0x31, 0xf4]);
      c.tsc = 1000;
      expect(run(c, m, 100)).toEqual({ kind: "hlt" });
      expect(getReg64(c, 0)).toBe(BigInt(1000 + k));
    }
  });

  it("a read-modify-write whose store faults changes no register and no flag (SDM: a faulting instruction does not retire)", () => {
    // stc (or cmp); <RMW on [rbx] or [CODE]> where CODE's page is read-only: the read succeeds,
    // the store raises #PF (write), and the flags and registers must be those before the RMW.
    const forms: [string, number[]][] = [
      ["add [rbx], rax", [0x48, 0x01, 0x43, 0x00]],
      ["add [rbx], eax", [0x01, 0x43, 0x00]],
      ["sub qword [rbx], 5", [0x48, 0x83, 0x6b, 0x00, 0x05]],
      ["sub dword [rbx], 5", [0x83, 0x6b, 0x00, 0x05]],
      ["adc [rbx], rax", [0x48, 0x11, 0x43, 0x00]],
      ["sbb dword [rbx], 1", [0x83, 0x5b, 0x00, 0x01]],
      ["xor [rbx], al", [0x30, 0x43, 0x00]],
      ["add [rbx], ax", [0x66, 0x01, 0x43, 0x00]],
      ["add [CODE], rax (absolute)", [0x48, 0x01, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00]],
      ["lock add [rbx], rax", [0xf0, 0x48, 0x01, 0x43, 0x00]],
      ["neg qword [rbx]", [0x48, 0xf7, 0x5b, 0x00]],
      ["xadd [rbx], rax", [0x48, 0x0f, 0xc1, 0x43, 0x00]],
      ["cmpxchg [rbx], rcx (equal)", [0x48, 0x0f, 0xb1, 0x4b, 0x00]],
      // bits 1 and 2 of [CODE] (0xf9, the STC) are 0: CF would change from STC's 1
      ["bts qword [rbx], 1", [0x48, 0x0f, 0xba, 0x6b, 0x00, 0x01]],
      ["btc dword [rbx], 2", [0x0f, 0xba, 0x7b, 0x00, 0x02]],
    ];
    // after a 64-bit CMP instead of STC: the flags are then read from the lazy record's high halves
    const afterCmp: [string, number[]][] = [
      ["lock inc qword [rbx]", [0xf0, 0x48, 0xff, 0x43, 0x00]],
      ["lock dec qword [rbx]", [0xf0, 0x48, 0xff, 0x4b, 0x00]],
      ["add [rbx], rax", [0x48, 0x01, 0x43, 0x00]],
    ];
    for (const [name, insn, setup] of [...forms.map(([n, i]) => [n, i, [0xf9]] as const), ...afterCmp.map(([n, i]) => [`cmp rax, rcx; ${n}`, i, [0x48, 0x39, 0xc8]] as const)]) {
      const { c, m } = machine([...setup, ...insn]);
      setReg64(c, 3, BigInt(CODE));
      setReg64(c, 0, m.readU64(CODE)); // rax = [CODE]: cmpxchg takes its equal path, add changes ZF/CF
      // after CMP, a high half in RCX makes the compare's lazy record differ from the RMW's in every half
      setReg64(c, 1, setup.length > 1 ? 0x7fff_0000_0000_1234n : 0x1234n);
      expect(run(c, m, 1), name).toEqual({ kind: "budget" });
      const flags = getFlags(c), regs = [...Array(16).keys()].map((r) => getReg64(c, r));
      expect(run(c, m, 10), name).toEqual({ kind: "fault", fault: { type: "#PF", addr: BigInt(CODE), access: "write" } });
      expect(c.rip, name).toBe(CODE + setup.length);
      expect(getFlags(c), `${name}: flags`).toBe(flags);
      expect([...Array(16).keys()].map((r) => getReg64(c, r)), `${name}: registers`).toEqual(regs);
    }
  });

  it("a jump to an unmapped page retires and faults on the fetch with RIP at the target", () => {
    // nop; mov eax, 0x12345000; jmp rax   (SDM: the fetch at the target raises #PF; the JMP has retired)
    const target = 0x1234_5000;
    const code = [0x90, 0xb8, 0x00, 0x50, 0x34, 0x12, 0xff, 0xe0];
    for (const [budget, split] of [[10, 10], [10, 2], [10, 3]] as const) {
      const { c, m } = machine(code);
      let stop = run(c, m, split);
      if (stop.kind === "budget") stop = run(c, m, budget - split);
      expect(stop, `budget split at ${split}`).toEqual({ kind: "fault", fault: { type: "#PF", addr: BigInt(target), access: "exec" } });
      expect(c.rip, `budget split at ${split}`).toBe(target);
      expect(c.icount, `budget split at ${split}`).toBe(3);
    }
  });

  it("SYSCALL stops after the instruction with RCX = next RIP and R11 = RFLAGS", () => {
    const { c, m } = machine([0xf9, 0x0f, 0x05, 0xf4]); // stc; syscall; hlt
    expect(run(c, m, 10)).toEqual({ kind: "syscall" });
    expect(c.rip).toBe(CODE + 3);
    expect(getReg64(c, 1)).toBe(BigInt(CODE + 3));
    expect(Number(getReg64(c, 11)) & 1).toBe(1);
    expect(Number(getReg64(c, 11))).toBe(getFlags(c));
    expect(run(c, m, 10)).toEqual({ kind: "hlt" });
  });

  it("re-decodes code after it is overwritten (self-modifying code)", () => {
    const m = new Memory(64);
    m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    // mov byte [rip+1], 0x07 ; mov al, 0x01 ; hlt   -> the store patches the immediate of the next instruction
    m.writeBytes(CODE, Uint8Array.from([0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x07, 0xb0, 0x01, 0xf4, 0xeb, 0xf4]));
    const c = new CpuState();
    c.rip = CODE + 7;
    expect(run(c, m, 2)).toEqual({ kind: "hlt" }); // decode and cache mov al,1
    expect(Number(getReg64(c, 0)) & 255).toBe(1);
    c.rip = CODE;
    expect(run(c, m, 10)).toEqual({ kind: "hlt" });
    expect(Number(getReg64(c, 0)) & 255).toBe(7);
  });

  it("self-modifying code inside a hot (compiled) block takes effect at once", () => {
    // loop: add eax, 1; mov [rip+4], al (patches the imm of the mov two instructions on);
    //       mov r8, r9; mov ecx, imm32; add rdx, rcx; sub ebx, 1; jnz loop; hlt  (one block, all inlined)
    const code = [0x83, 0xc0, 0x01, 0x88, 0x05, 0x04, 0x00, 0x00, 0x00, 0x4d, 0x89, 0xc8, 0xb9, 0, 0, 0, 0, 0x48, 0x01, 0xca, 0x83, 0xeb, 0x01, 0x75, 0xe7, 0xf4];
    for (const threshold of [0, 1, 64, DEFAULT_JIT_THRESHOLD]) {
      setJitThreshold(threshold);
      try {
        const m = new Memory(64);
        m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
        m.writeBytes(CODE, Uint8Array.from(code));
        const c = new CpuState();
        c.rip = CODE;
        setReg64(c, 3, 300n);
        expect(run(c, m, 100_000)).toEqual({ kind: "hlt" });
        let sum = 0n;
        for (let i = 1; i <= 300; i++) sum += BigInt(i & 255);
        expect(getReg64(c, 2), `threshold ${threshold}`).toBe(sum);
        expect(c.icount).toBe(300 * 7 + 1);
      } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
    }
  });

  it("a switch-dispatch loop (jump table, memory and register forms) gives the same state at every tier threshold", () => {
    // loop: mov rax, rbx; and eax, 3; jmp [rax*8 + TABLE]  (or: mov rax, [rax*8 + TABLE]; jmp rax)
    // case k: add rdx, imm_k; jmp next  (case 3 falls through); next: add [rdi], rbx; sub rbx, 1; jnz loop; hlt
    // Reference: plain arithmetic over the iterations (the SDM semantics of each instruction).
    // N: enough iterations for the dispatch loop to reach the tier's promote volume (jit.ts) and run on compiled
    const TABLE = CODE + 0x100, N = 1_100_000, adds = [1, 10, 100, 1000];
    for (const form of ["memory", "register"] as const) {
      const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
      const head = [0x48, 0x89, 0xd8, 0x83, 0xe0, 0x03,
        ...(form === "memory" ? [0xff, 0x24, 0xc5, ...le32(TABLE)] : [0x48, 0x8b, 0x04, 0xc5, ...le32(TABLE), 0xff, 0xe0])];
      const c0 = head.length, c1 = c0 + 6, c2 = c1 + 6, c3 = c2 + 6, next = c3 + 7;
      const code = [...head,
        0x48, 0x83, 0xc2, 0x01, 0xeb, next - (c0 + 6),
        0x48, 0x83, 0xc2, 0x0a, 0xeb, next - (c1 + 6),
        0x48, 0x83, 0xc2, 0x64, 0xeb, next - (c2 + 6),
        0x48, 0x81, 0xc2, ...le32(1000),
        0x48, 0x01, 0x1f, 0x48, 0x83, 0xeb, 0x01, 0x75, (256 - (next + 9)) & 255, 0xf4];
      const table = [c0, c1, c2, c3].flatMap((o) => [...le32(CODE + o), 0, 0, 0, 0]);
      for (const threshold of [0, 1, 64, DEFAULT_JIT_THRESHOLD]) {
        // thresholds 0 and 1 need no volume: a shorter run keeps the test quick
        const n = threshold > 1 ? N : N / 10;
        let rdx = 0, insns = 1;
        for (let i = n; i >= 1; i--) { rdx += adds[i & 3]!; insns += (form === "memory" ? 3 : 4) + ((i & 3) === 3 ? 1 : 2) + 3; }
        setJitThreshold(threshold);
        logRegions(true);
        try {
          const { c, m } = machine(code);
          m.writeBytes(TABLE, Uint8Array.from(table));
          setReg64(c, 3, BigInt(n));
          setReg64(c, 7, BigInt(DATA));
          expect(run(c, m, 20_000_000), `${form}, threshold ${threshold}`).toEqual({ kind: "hlt" });
          expect(getReg64(c, 2), `${form}, threshold ${threshold}`).toBe(BigInt(rdx));
          expect(m.readU64(DATA), `${form}, threshold ${threshold}`).toBe(BigInt(n * (n + 1) / 2));
          expect(c.icount, `${form}, threshold ${threshold}`).toBe(insns);
          // the compiled path must have been taken; above threshold 1 (when the jump's targets
          // are known) in one region holding the dispatch and its cases
          if (threshold > 0) expect(regionLog!.some((d) => d.jitD!.length >= (threshold > 1 ? 10 : 1)), `${form}, threshold ${threshold}: no dispatch region compiled`).toBe(true);
        } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); logRegions(false); }
      }
    }
  });

  it("tier policy: a compiled loop that keeps leaving after a few iterations is dropped, one that stays is kept", () => {
    // outer: mov ecx, K; L: add rsi, rcx; sub ecx, 1; jnz L; rdtsc; sub rbx, 1; jnz outer; hlt
    // (RDTSC reads the budget, so no region runs past it: every outer iteration enters compiled
    // code afresh.) Reference: rsi = N * K(K+1)/2, and the interpreter-only run's state.
    // n: enough outer iterations for the inner loop to reach the tier's promote volume (jit.ts)
    for (const [k, n, kept] of [[2, 1_200_000, false], [400, 8000, true]] as const) {
      const code = [0xb9, k & 255, k >> 8, 0, 0, 0x48, 0x01, 0xce, 0x83, 0xe9, 0x01, 0x75, 0xf8, 0x0f, 0x31, 0x48, 0x83, 0xeb, 0x01, 0x75, 0xeb, 0xf4];
      const ends: bigint[] = [];
      for (const threshold of [0, DEFAULT_JIT_THRESHOLD]) {
        setJitThreshold(threshold);
        logRegions(true);
        try {
          const { c, m } = machine(code);
          setReg64(c, 3, BigInt(n));
          expect(run(c, m, 100_000_000)).toEqual({ kind: "hlt" });
          expect(getReg64(c, 6)).toBe(BigInt(n * k * (k + 1) / 2));
          expect(c.icount).toBe(n * (3 * k + 4) + 1);
          ends.push(getReg64(c, 6), getReg64(c, 1), getReg64(c, 3), BigInt(c.icount));
          if (threshold > 0) {
            expect(regionLog!.length, `K=${k}: no region compiled`).toBeGreaterThan(0);
            if (kept) expect(regionLog!.some((d) => d.jit !== null), `K=${k}: the loop region was dropped`).toBe(true);
            else expect(regionLog!.filter((d) => d.jit !== null).map((d) => d.addr - CODE), `K=${k}: regions kept`).toEqual([]);
          }
        } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); logRegions(false); }
      }
      expect(ends.slice(4)).toEqual(ends.slice(0, 4));
    }
  });

  it("snapshot/restore replays bit-exactly", () => {
    // xorshift loop writing to memory
    const code = [0x48, 0x89, 0xc2, 0x48, 0xc1, 0xe2, 0x0d, 0x48, 0x31, 0xd0, 0x48, 0x89, 0xc2, 0x48, 0xc1, 0xea, 0x07, 0x48, 0x31, 0xd0,
      0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, 0xeb, 0xe2];
    const { c, m } = machine(code);
    setReg64(c, 0, 88172645463325252n);
    run(c, m, 1234);
    const snap = snapshotMachine([c], m);
    run(c, m, 777);
    const after = snapshotMachine([c], m);
    const r = restoreMachine(snap);
    run(r.cpus[0]!, r.mem, 777);
    expect(snapshotMachine(r.cpus, r.mem)).toEqual(after);
  });

  it("indirect CALL and JMP through a register and through memory go where the SDM says (CALL m reads its target before it pushes)", () => {
    const le64 = (v: number) => Array.from({ length: 8 }, (_, k) => Math.floor(v / 2 ** (8 * k)) & 255);
    const code = new Array<number>(0x40).fill(0x90);
    const put = (at: number, bytes: number[]) => bytes.forEach((b, k) => { code[at + k] = b; });
    // 0x00 mov rax, CODE+0x20; 0x0a call rax; 0x0c hlt
    // 0x20 call [rsp]: its target is the return address the first CALL pushed (CODE+0x0c)
    put(0x00, [0x48, 0xb8, ...le64(CODE + 0x20)]); put(0x0a, [0xff, 0xd0]); put(0x0c, [0xf4]); put(0x20, [0xff, 0x14, 0x24]);
    for (const threshold of [0, 1]) {
      setJitThreshold(threshold);
      try {
        const { c, m } = machine(code);
        const sp = getReg64(c, 4);
        expect(run(c, m, 100)).toEqual({ kind: "hlt" });
        expect(c.rip).toBe(CODE + 0x0d);
        expect(c.icount).toBe(4);
        expect(getReg64(c, 4)).toBe(sp - 16n);
        expect(m.readU64(Number(sp - 16n))).toBe(BigInt(CODE + 0x23));
        expect(m.readU64(Number(sp - 8n))).toBe(BigInt(CODE + 0x0c));
      } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
    }
    // 0x00 mov rcx, CODE+0x10; 0x0a jmp rcx; 0x10 jmp [rip+0x0a] (reads CODE+0x20, which holds CODE+0x30); 0x30 hlt
    const code2 = new Array<number>(0x40).fill(0x90);
    const put2 = (at: number, bytes: number[]) => bytes.forEach((b, k) => { code2[at + k] = b; });
    put2(0x00, [0x48, 0xb9, ...le64(CODE + 0x10)]); put2(0x0a, [0xff, 0xe1]); put2(0x10, [0xff, 0x25, 0x0a, 0, 0, 0]);
    put2(0x20, le64(CODE + 0x30)); put2(0x30, [0xf4]);
    const { c, m } = machine(code2);
    expect(run(c, m, 100)).toEqual({ kind: "hlt" });
    expect(c.rip).toBe(CODE + 0x31);
    expect(c.icount).toBe(4);
  });

  it("LEA without a base and RIP-relative LEA compute index*scale + disp and next + disp modulo 2^64", () => {
    const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
    const M64 = (1n << 64n) - 1n;
    fc.assert(fc.property(fc.bigUint64Array({ minLength: 1, maxLength: 1 }), fc.nat(3), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0x1234, -0x1000),
      fc.constantFrom(0, 1), (rcx, ss, disp, threshold) => {
        // lea rax, [rcx*S + disp32]; lea rdx, [rip + disp32]; hlt
        const code = [0x48, 0x8d, 0x04, (ss << 6) | 0x0d, ...le32(disp), 0x48, 0x8d, 0x15, ...le32(disp), 0xf4];
        setJitThreshold(threshold);
        try {
          const { c, m } = machine(code);
          setReg64(c, 1, rcx[0]!);
          expect(run(c, m, 10)).toEqual({ kind: "hlt" });
          expect(getReg64(c, 0)).toBe((rcx[0]! * (1n << BigInt(ss)) + BigInt(disp)) & M64);
          expect(getReg64(c, 2)).toBe((BigInt(CODE + 15) + BigInt(disp)) & M64);
        } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
      }), { seed: 7, numRuns: 200 });
  });
});
