/**
 * The compiled tier (jit.ts) against the interpreter, whose semantics the host-CPU oracle
 * checks: generated loops built from the integer forms the region compiler emits inline
 * (64- and 32-bit ALU on registers and immediates, IMUL, LEA with carries across the halves,
 * INC/DEC, shifts, CMP fused with SETcc/CMOVcc/Jcc) run over boundary and random 64-bit
 * register values, once with every region compiled on first entry and once interpreted, split
 * into the same budgets. Registers, flags, RIP, retired count and stops must agree, and the
 * compiled run must actually have compiled its loop (else nothing was tested).
 */
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import fc from "fast-check";
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, setReg64, getReg64, getFlags } from "../index.js";
import { JIT_THRESHOLD, setJitThreshold, logRegions, regionLog, sideEntries } from "../run.js";
import { setPromoteScale, setWasmSelfLoops } from "../jit.js";
import { wasmLoopsCompiled } from "../jit-wasm.js";

const CODE = 0x400000;
/** Registers the loop bodies use: all but RSP and R15 (the trip counter). */
const REGS = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

const rex = (w: boolean, reg: number, rm: number, index = 0) => 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (rm >= 8 ? 1 : 0);
const modrm = (reg: number, rm: number) => 0xc0 | ((reg & 7) << 3) | (rm & 7);

type Op =
  | { k: "alu"; op: number; w: boolean; dst: number; src: number }
  | { k: "aluImm"; digit: number; w: boolean; dst: number; imm: number }
  | { k: "imul"; w: boolean; dst: number; src: number }
  | { k: "imulImm"; w: boolean; dst: number; src: number; imm: number }
  | { k: "lea"; w: boolean; dst: number; base: number; index: number; scale: number; disp: number }
  | { k: "incdec"; dec: boolean; w: boolean; r: number }
  | { k: "shift"; digit: number; w: boolean; r: number; cnt: number }
  | { k: "notneg"; neg: boolean; w: boolean; r: number }
  | { k: "setcc"; cc: number; a: number; b: number; r: number }
  | { k: "cmov"; cc: number; w: boolean; a: number; b: number; dst: number; src: number }
  | { k: "jcc"; cc: number; a: number; b: number; r: number };

function encode(o: Op): number[] {
  switch (o.k) {
    case "alu": return [rex(o.w, o.src, o.dst), o.op, modrm(o.src, o.dst)];
    case "aluImm": return [rex(o.w, 0, o.dst), 0x83, modrm(o.digit, o.dst), o.imm & 255];
    case "imul": return [rex(o.w, o.dst, o.src), 0x0f, 0xaf, modrm(o.dst, o.src)];
    case "imulImm": // imm8 form (6B) when it fits, else imm32 (69)
      return o.imm === ((o.imm << 24) >> 24) ? [rex(o.w, o.dst, o.src), 0x6b, modrm(o.dst, o.src), o.imm & 255]
        : [rex(o.w, o.dst, o.src), 0x69, modrm(o.dst, o.src), o.imm & 255, (o.imm >> 8) & 255, (o.imm >> 16) & 255, (o.imm >>> 24) & 255];
    case "lea": { // [base + index*scale + disp8]
      const sib = ([1, 2, 4, 8].indexOf(o.scale) << 6) | ((o.index & 7) << 3) | (o.base & 7);
      return [rex(o.w, o.dst, o.base, o.index), 0x8d, 0x44 | ((o.dst & 7) << 3), sib, o.disp & 255];
    }
    case "incdec": return [rex(o.w, 0, o.r), 0xff, modrm(o.dec ? 1 : 0, o.r)];
    case "shift": return [rex(o.w, 0, o.r), 0xc1, modrm(o.digit, o.r), o.cnt];
    case "notneg": return [rex(o.w, 0, o.r), 0xf7, modrm(o.neg ? 3 : 2, o.r)];
    case "setcc": return [rex(true, o.b, o.a), 0x39, modrm(o.b, o.a), 0x0f, 0x90 + o.cc, modrm(0, o.r)];
    case "cmov": return [rex(true, o.b, o.a), 0x39, modrm(o.b, o.a), rex(o.w, o.dst, o.src), 0x0f, 0x40 + o.cc, modrm(o.dst, o.src)];
    case "jcc": return [rex(true, o.b, o.a), 0x39, modrm(o.b, o.a), 0x70 + o.cc, 3, rex(true, 0, o.r), 0xf7, modrm(2, o.r)]; // Jcc over NOT r
  }
}

const reg = fc.constantFrom(...REGS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant("alu" as const), op: fc.constantFrom(0x01, 0x29, 0x31, 0x21, 0x09, 0x39, 0x85), w: fc.boolean(), dst: reg, src: reg }),
  fc.record({ k: fc.constant("aluImm" as const), digit: fc.constantFrom(0, 1, 4, 5, 6, 7), w: fc.boolean(), dst: reg, imm: fc.constantFrom(1, -1, 0x7f, -128, 3) }),
  fc.record({ k: fc.constant("imul" as const), w: fc.boolean(), dst: reg, src: reg }),
  fc.record({ k: fc.constant("imulImm" as const), w: fc.boolean(), dst: reg, src: reg, imm: fc.oneof(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0x41c64e6d, -1, 0x7fffffff, -0x80000000)) }),
  fc.record({ k: fc.constant("lea" as const), w: fc.boolean(), dst: reg, base: reg, index: reg, scale: fc.constantFrom(1, 2, 4, 8), disp: fc.integer({ min: -128, max: 127 }) }),
  fc.record({ k: fc.constant("incdec" as const), dec: fc.boolean(), w: fc.boolean(), r: reg }),
  fc.record({ k: fc.constant("shift" as const), digit: fc.constantFrom(0, 1, 4, 5, 7), w: fc.boolean(), r: reg, cnt: fc.integer({ min: 1, max: 63 }) }),
  fc.record({ k: fc.constant("notneg" as const), neg: fc.boolean(), w: fc.boolean(), r: reg }),
  fc.record({ k: fc.constant("setcc" as const), cc: fc.nat(15), a: reg, b: reg, r: fc.constantFrom(0, 1, 2, 3) }),
  fc.record({ k: fc.constant("cmov" as const), cc: fc.nat(15), w: fc.boolean(), a: reg, b: reg, dst: reg, src: reg }),
  fc.record({ k: fc.constant("jcc" as const), cc: fc.nat(15), a: reg, b: reg, r: reg }),
);
const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
  fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen),
);

interface Case { body: Op[]; regs: bigint[]; flags: number; trips: number; budgets: number[] }
const caseArb: fc.Arbitrary<Case> = fc.record({
  body: fc.array(opArb, { minLength: 1, maxLength: 12 }),
  regs: fc.array(u64, { minLength: 16, maxLength: 16 }),
  flags: fc.nat(0xfff).map((f) => (f & 0x8d5) | 0x202),
  trips: fc.integer({ min: 1, max: 40 }),
  budgets: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 4 }),
});

/** The loop: body; DEC R15; JNZ body; HLT. */
function assemble(body: Op[]): number[] {
  const b = body.flatMap(encode);
  const back = -(b.length + 3 + 6);
  return [...b, 0x49, 0xff, 0xcf, 0x0f, 0x85, back & 255, (back >> 8) & 255, (back >> 16) & 255, (back >> 24) & 255, 0xf4];
}

/**
 * Run `code` at CODE from the registers `regs` (RSP 0, then `set`'s registers) and `flags`
 * under the JIT threshold given (and the promotion volumes scaled by `scale`), split into
 * `budgets` then the rest: the state after each run, and the regions compiled.
 */
function execute(code: number[], regs: bigint[], set: [number, number][], flags: number, budgets: number[], threshold: number, scale = 1): { trace: unknown[]; regions: number } {
  const saved = JIT_THRESHOLD;
  setJitThreshold(threshold);
  setPromoteScale(scale);
  logRegions(true);
  try {
    const m = new Memory(16);
    m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    m.writeBytes(CODE, Uint8Array.from(code));
    const c = new CpuState();
    c.rip = CODE;
    regs.forEach((v, r) => setReg64(c, r, v));
    setReg64(c, 4, 0n);
    for (const [r, v] of set) setReg64(c, r, BigInt.asUintN(64, BigInt(v)));
    c.flags = flags;
    const trace: unknown[] = [];
    for (const b of [...budgets, 100_000]) {
      const s = run(c, m, b);
      trace.push({ s, rip: c.rip, icount: c.icount, flags: getFlags(c), regs: [...Array(16).keys()].map((r) => getReg64(c, r)) });
      if (s.kind !== "budget") break;
    }
    return { trace, regions: regionLog?.length ?? 0 };
  } finally {
    logRegions(false);
    setPromoteScale(1);
    setJitThreshold(saved);
  }
}
/**
 * Run `agrees` (which asserts the tier and the interpreter agree on one case and says whether
 * the tier compiled a region for it) over `arb` with the suite's fixed seed, then refuse a
 * silent pass: more than `minShare` of the cases must have run compiled.
 */
function expectAgreementCompiled<T>(arb: fc.Arbitrary<T>, numRuns: number, minShare: number, agrees: (k: T) => boolean): void {
  let compiled = 0, cases = 0;
  fc.assert(fc.property(arb, (k) => {
    if (agrees(k)) compiled++;
    cases++;
  }), { seed: 20261127, numRuns });
  expect(compiled).toBeGreaterThan(cases * minShare);
}
const runCase = (k: Case, threshold: number) => execute(assemble(k.body), k.regs, [[15, k.trips]], k.flags, k.budgets, threshold);

describe("compiled tier", () => {
  it("agrees with the interpreter on generated integer loops, for every budget split", () => {
    expectAgreementCompiled(caseArb, 600, 0.9, (k) => {
      const jit = runCase(k, 1);
      expect(jit.trace).toEqual(runCase(k, 0).trace);
      return jit.regions > 0;
    });
  });
});

describe("compiled tier, 16-byte SSE moves", () => {
  // MOVDQU/MOVUPS loads and stores walking across page ends into a read-only and an unmapped
  // page: the stop, the registers (XMM included), the retired count and memory must agree
  const DATA = 0x600000;
  const forms = [
    { load: [0xf3, 0x0f, 0x6f, 0x00], store: [0xf3, 0x0f, 0x7f, 0x03] }, // MOVDQU xmm0, [rax] / [rbx], xmm0
    { load: [0x0f, 0x10, 0x00], store: [0x0f, 0x11, 0x03] }, // MOVUPS
  ];
  const caseArb = fc.record({
    form: fc.nat(forms.length - 1), src: fc.integer({ min: 0, max: 3 * 4096 - 200 }), dst: fc.integer({ min: 4096 - 300, max: 3 * 4096 - 8 }),
    step: fc.constantFrom(1, 4, 8, 12, 16), trips: fc.integer({ min: 1, max: 60 }), budget: fc.integer({ min: 1, max: 400 }),
  });
  function runSse(k: { form: number; src: number; dst: number; step: number; trips: number; budget: number }, threshold: number): unknown[] {
    const saved = JIT_THRESHOLD;
    setJitThreshold(threshold);
    try {
      const f = forms[k.form]!;
      const body = [...f.load, ...f.store, 0x48, 0x83, 0xc0, k.step, 0x48, 0x83, 0xc3, k.step];
      const back = -(body.length + 3 + 6);
      const code = [...body, 0x49, 0xff, 0xcf, 0x0f, 0x85, back & 255, (back >> 8) & 255, (back >> 16) & 255, (back >> 24) & 255, 0xf4];
      const m = new Memory(16);
      m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
      m.map(DATA, 2 * 4096, PROT_READ | PROT_WRITE);
      m.map(DATA + 2 * 4096, 4096, PROT_READ);
      m.writeBytes(CODE, Uint8Array.from(code));
      m.writeBytes(DATA, Uint8Array.from({ length: 3 * 4096 }, (_, i) => (i * 7 + 3) & 255));
      const c = new CpuState();
      c.rip = CODE;
      setReg64(c, 0, BigInt(DATA + k.src)); setReg64(c, 3, BigInt(DATA + k.dst)); setReg64(c, 15, BigInt(k.trips));
      const out: unknown[] = [];
      for (const b of [k.budget, 100_000]) {
        const s = run(c, m, b);
        out.push({ s, rip: c.rip, icount: c.icount, regs: [0, 3, 15].map((r) => getReg64(c, r)), xmm0: [...c.x32.subarray(0, 4)] });
        if (s.kind !== "budget") break;
      }
      out.push(Buffer.from(m.readBytes(DATA, 2 * 4096)).toString("hex"));
      return out;
    } finally {
      setJitThreshold(saved);
    }
  }
  it("agree with the interpreter across page ends, faults included", () => {
    const stops = new Set<string>();
    fc.assert(fc.property(caseArb, (k) => {
      const jit = runSse(k, 1);
      expect(jit).toEqual(runSse(k, 0));
      for (const x of jit.slice(0, -1)) stops.add((x as { s: { kind: string } }).s.kind);
    }), { seed: 20261127, numRuns: 300 });
    // no silent pass: the loops ended every way (the HLT after them, a store fault, a budget stop)
    expect([...stops].sort()).toEqual(["budget", "fault", "hlt"]);
  });
});

describe("compiled tier, loop policy", () => {
  // The policy real programs run under (a threshold above 1: only loops, only fully inlined,
  // every block head of a region an entry), its promotion volumes scaled down to these small
  // loops. A loop of two paths entered in its middle, again and again from an outer loop:
  //   OUTER: mov r15, trips; jmp MID
  //   TOP:   body1; cmp a, b; jcc MID; not r
  //   MID:   body2; dec r15; jnz TOP
  //          dec r14; jnz OUTER; hlt
  // MID heads a block of the loop that the interpreter also reaches from outside it, so
  // whichever of TOP and MID heads the compiled region, the other is entered as a side entry.
  const rel32 = (from: number, to: number) => { const r = to - from; return [r & 255, (r >> 8) & 255, (r >> 16) & 255, (r >>> 24) & 255]; };
  interface LoopCase { body1: Op[]; body2: Op[]; cc: number; a: number; b: number; r: number; regs: bigint[]; flags: number; trips: number; outer: number; budgets: number[] }
  function assembleNest(k: LoopCase): number[] {
    const b1 = k.body1.flatMap(encode), b2 = k.body2.flatMap(encode);
    const out: number[] = [0x49, 0xc7, 0xc7, k.trips & 255, (k.trips >> 8) & 255, 0, 0]; // OUTER: mov r15, trips
    const jmpAt = out.length; out.push(0xe9, 0, 0, 0, 0);
    const top = out.length;
    out.push(...b1, rex(true, k.b, k.a), 0x39, modrm(k.b, k.a));
    const jccAt = out.length; out.push(0x0f, 0x80 + k.cc, 0, 0, 0, 0);
    out.push(rex(true, 0, k.r), 0xf7, modrm(2, k.r));
    const mid = out.length;
    out.push(...b2, 0x49, 0xff, 0xcf, 0x0f, 0x85, ...rel32(out.length + b2.length + 9, top));
    out.push(0x49, 0xff, 0xce, 0x0f, 0x85, ...rel32(out.length + 3 + 6, 0), 0xf4);
    out.splice(jmpAt + 1, 4, ...rel32(jmpAt + 5, mid));
    out.splice(jccAt + 2, 4, ...rel32(jccAt + 6, mid));
    return out;
  }
  const body = fc.array(opArb.filter((o) => o.k !== "jcc"), { minLength: 1, maxLength: 3 });
  const loopArb: fc.Arbitrary<LoopCase> = fc.record({
    body1: body, body2: body, cc: fc.nat(15), a: reg, b: reg, r: reg,
    regs: fc.array(u64, { minLength: 16, maxLength: 16 }),
    flags: fc.nat(0xfff).map((f) => (f & 0x8d5) | 0x202),
    trips: fc.integer({ min: 1, max: 30 }), outer: fc.integer({ min: 1, max: 12 }),
    budgets: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }),
  });
  function runNest(k: LoopCase, threshold: number): { trace: unknown[]; regions: number; side: number } {
    const side0 = sideEntries;
    const r = execute(assembleNest(k), k.regs, [[14, k.outer]], k.flags, k.budgets, threshold, 1e-9);
    return { ...r, side: sideEntries - side0 };
  }
  it("agrees with the interpreter on loops entered at any block head, for every budget split", () => {
    let compiled = 0, side = 0, cases = 0;
    fc.assert(fc.property(loopArb, (k) => {
      const jit = runNest(k, 8);
      expect(jit.trace).toEqual(runNest(k, 0).trace);
      cases++;
      if (jit.regions > 0) compiled++;
      if (jit.side > 0) side++;
    }), { seed: 20261127, numRuns: 300 });
    // no silent pass: the loops were compiled, and entered at their other head
    expect(compiled).toBeGreaterThan(cases * 0.6);
    expect(side).toBeGreaterThan(cases * 0.3);
  });
});

describe("compiled tier, loop policy, innermost loop of a declined nest", () => {
  // A nest the policy declines (its outer loop calls BSWAP's handler) around an inner loop
  // that is one inlined block looping to itself:
  //   OUTER: mov r15, trips
  //   INNER: body; dec r15; jnz INNER
  //          bswap r13; dec r14; jnz OUTER; hlt
  // The inner loop's head finds the whole nest, declines it, and is looked at again for its
  // innermost loop alone, which is compiled. The promotion volumes are scaled so that the
  // inner loop reaches its bar only after several outer trips, when the nest is hot.
  const rel32 = (from: number, to: number) => { const r = to - from; return [r & 255, (r >> 8) & 255, (r >> 16) & 255, (r >>> 24) & 255]; };
  function assembleInner(body: Op[], trips: number): number[] {
    const out: number[] = [0x49, 0xc7, 0xc7, trips & 255, (trips >> 8) & 255, 0, 0];
    const inner = out.length;
    out.push(...body.flatMap(encode), 0x49, 0xff, 0xcf);
    out.push(0x0f, 0x85, ...rel32(out.length + 6, inner));
    out.push(0x49, 0x0f, 0xcd, 0x49, 0xff, 0xce);
    out.push(0x0f, 0x85, ...rel32(out.length + 6, 0), 0xf4);
    return out;
  }
  const regs13 = REGS.filter((r) => r !== 13 && r !== 14);
  const innerOp = opArb.filter((o) => o.k !== "jcc" && !Object.entries(o).some(([k, v]) => ["dst", "r", "src", "a", "b", "base", "index"].includes(k) && !regs13.includes(v as number)));
  it("compiles the inner loop and agrees with the interpreter, for every budget split", () => {
    const arb = fc.tuple(fc.array(innerOp, { minLength: 1, maxLength: 4 }), fc.array(u64, { minLength: 16, maxLength: 16 }), fc.integer({ min: 200, max: 400 }), fc.integer({ min: 20, max: 40 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 }));
    expectAgreementCompiled(arb, 150, 0.75, ([body, regs, trips, outer, budgets]) => {
      const code = assembleInner(body, trips);
      const jit = execute(code, regs, [[14, outer]], 0x202, budgets, 4, 0.02);
      expect(jit.trace).toEqual(execute(code, regs, [[14, outer]], 0x202, budgets, 0).trace);
      return jit.regions > 0;
    });
  });
  it("leaves an inner loop of a few trips per entry interpreted", () => {
    fc.assert(fc.property(fc.array(innerOp, { minLength: 1, maxLength: 4 }), fc.array(u64, { minLength: 16, maxLength: 16 }), fc.integer({ min: 2, max: 12 }),
      (body, regs, trips) => {
        const code = assembleInner(body, trips);
        const jit = execute(code, regs, [[14, 3000]], 0x202, [], 4, 0.02);
        expect(jit.trace).toEqual(execute(code, regs, [[14, 3000]], 0x202, [], 0).trace);
        expect(jit.regions).toBe(0);
      }), { seed: 20261127, numRuns: 40 });
  });
});

describe("compiled tier, cached stores", () => {
  // A loop storing through [rbx + rsi*scale + disp32] (or [rbx + disp32]) whose base and index
  // alternate between two values each iteration (XOR toggles), so consecutive stores land on
  // pages that share their low 32 address bits but not their high ones (0x1000 and
  // 0x1_0000_1000), on pages reached only through a carry or borrow across bit 32, through an
  // index whose high half is set, and across the end of a page (before a writable, a read-only
  // and an unmapped one). The
  // compiled store cache keeps an integer page key for the common case; every other address
  // must take the double path and land (or fault) where the interpreter's does.
  const PAGES = [0x1000, 0x2000, 0x1_0000_1000, 0xffff_f000, 0x1_0000_0000, 0x1_ffff_f000];
  const RO = 0x1_0000_2000;
  const M64 = (1n << 64n) - 1n;
  const target = fc.record({ page: fc.constantFrom(...PAGES), off: fc.oneof(fc.constantFrom(0, 8, 0x10, 0xff8, 0xff9, 0xffc, 0xffd, 0xfff), fc.nat(4095)) });
  const index = fc.oneof(fc.constantFrom(0n, 0x10n, 0x1_0000_0000n, 0x8000_0000n, 0xffff_ffffn, M64, 0x2000_0000n, 0x4000_0000n), fc.bigInt({ min: 0n, max: 0xffffn }));
  const caseArb = fc.record({
    t1: target, t2: target, i1: index, i2: index, useIndex: fc.boolean(), scale: fc.constantFrom(1, 2, 4, 8),
    disp: fc.oneof(fc.constantFrom(0, 0x20, -0x20, 0x1800, -0x1000, 0x7fff_0000, -0x8000_0000), fc.integer({ min: -5000, max: 5000 })),
    // free: any two targets; hiIndex: the second target 2^32 above the first through the index
    // alone (the base the same); borrow: the first target 2^32 above the second, the second
    // reached by a negative displacement borrowing from the base's high half; same: one target
    shape: fc.constantFrom("free", "free", "hiIndex", "borrow", "same"),
    // a RIP-relative store first (its page key a constant) to a third target on the low page
    rip: fc.option(fc.constantFrom(0, 8, 0xff8, 0xff9, 0xfff, 0x123), { nil: null }),
    width: fc.constantFrom(1, 4, 8), trips: fc.integer({ min: 1, max: 40 }), budget: fc.integer({ min: 1, max: 300 }),
    // the update before the store: ADD r8, r9, or ADD/SUB r8(d), imm8 (a loop's induction
    // update), from values whose halves borrow and carry: its record must be exact when the
    // store faults
    update: fc.constantFrom("reg", "add64", "sub64", "add32", "sub32"), imm: fc.constantFrom(1, -1, 0x7f, -128, 0x40),
    r8: fc.constantFrom(0x1122334455667788n, 0n, 0xffff_ffffn, 0x1_0000_0000n, M64, 0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn),
  });
  type StoreCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;
  function runStores(k: StoreCase, threshold: number): unknown[] {
    const saved = JIT_THRESHOLD;
    setJitThreshold(threshold);
    logRegions(true);
    try {
      const scale = k.useIndex ? k.scale : 1;
      let i1 = k.useIndex ? k.i1 : 0n, i2 = k.useIndex ? k.i2 : 0n;
      let t1 = k.t1, t2 = k.t2, disp = k.disp;
      if (k.shape === "hiIndex") { t1 = { page: 0x1000, off: t1.off }; t2 = { page: 0x1_0000_1000, off: t1.off }; i2 = (i1 + (1n << 32n) / BigInt(scale)) & M64; }
      if (k.shape === "same") { t2 = t1; i2 = i1; }
      if (k.shape === "borrow") { t1 = { page: 0x1_ffff_f000, off: t1.off }; t2 = { page: 0xffff_f000, off: t1.off }; disp = -0x8000_0000; i1 = i2 = 0n; }
      const base = (t: { page: number; off: number }, i: bigint) => (BigInt(t.page + t.off) - i * BigInt(scale) - BigInt(disp)) & M64;
      const b1 = base(t1, i1), b2 = base(t2, i2);
      const d = disp & 0xffffffff, disp32 = [d & 255, (d >>> 8) & 255, (d >>> 16) & 255, d >>> 24];
      const rexW = k.width === 8 ? 0x4c : 0x44, op = k.width === 1 ? 0x88 : 0x89;
      const store = k.useIndex ? [rexW, op, 0x84, ([1, 2, 4, 8].indexOf(scale) << 6) | 0x33, ...disp32] : [rexW, op, 0x83, ...disp32];
      // add r8, r9 (or add/sub r8, imm); store; xor rbx, rdx; xor rsi, rdi: the update's flags are
      // overwritten by the XOR unless the store faults (the compiled code defers their record to
      // the store's slow path)
      const ib = k.imm & 255;
      const upd = { reg: [0x4d, 0x01, 0xc8], add64: [0x49, 0x83, 0xc0, ib], sub64: [0x49, 0x83, 0xe8, ib], add32: [0x41, 0x83, 0xc0, ib], sub32: [0x41, 0x83, 0xe8, ib] }[k.update]!;
      const ripStore = (): number[] => {
        const rel = (0x1000 + k.rip!) - (CODE + upd.length + 7), r = rel & 0xffffffff;
        return [rexW, op, 0x05, r & 255, (r >>> 8) & 255, (r >>> 16) & 255, r >>> 24];
      };
      const body = [...upd, ...(k.rip === null ? [] : ripStore()), ...store, 0x48, 0x31, 0xd3, 0x48, 0x31, 0xfe];
      const back = -(body.length + 3 + 6);
      const code = [...body, 0x49, 0xff, 0xcf, 0x0f, 0x85, back & 255, (back >> 8) & 255, (back >> 16) & 255, (back >> 24) & 255, 0xf4];
      const m = new Memory(16);
      m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
      for (const p of PAGES) m.map(p, 4096, PROT_READ | PROT_WRITE);
      m.writeBytes(CODE, Uint8Array.from(code));
      m.map(RO, 4096, PROT_READ);
      const c = new CpuState();
      c.rip = CODE;
      setReg64(c, 3, b1); setReg64(c, 2, b1 ^ b2); setReg64(c, 6, i1); setReg64(c, 7, i1 ^ i2);
      setReg64(c, 8, k.r8); setReg64(c, 9, 0x0101010101010101n); setReg64(c, 15, BigInt(k.trips));
      const out: unknown[] = [];
      for (const b of [k.budget, 100_000]) {
        const s = run(c, m, b);
        out.push({ s, rip: c.rip, icount: c.icount, flags: getFlags(c), regs: [2, 3, 6, 7, 8, 15].map((r) => getReg64(c, r)) });
        if (s.kind !== "budget") break;
      }
      for (const p of PAGES) out.push(Buffer.from(m.readBytes(p, 4096)).toString("hex"));
      out.push(regionLog!.length > 0);
      return out;
    } finally {
      logRegions(false);
      setJitThreshold(saved);
    }
  }
  it("land where the interpreter's do, whatever the high halves, carries and page ends", () => {
    const stops = new Set<string>();
    let compiled = 0, cases = 0;
    fc.assert(fc.property(caseArb, (k) => {
      const jit = runStores(k, 1), interp = runStores(k, 0);
      expect(jit.slice(0, -1)).toEqual(interp.slice(0, -1));
      for (const x of jit.slice(0, -PAGES.length - 1)) stops.add((x as { s: { kind: string } }).s.kind);
      cases++;
      if (jit[jit.length - 1] === true) compiled++;
    }), { seed: 20261127, numRuns: 400 });
    // no silent pass: the loops were compiled and ended every way
    expect(compiled).toBeGreaterThan(cases * 0.9);
    expect([...stops].sort()).toEqual(["budget", "fault", "hlt"]);
  });
});

describe("compiled tier, flag hints", () => {
  // A block whose every region predecessor leaves a known producer (CMP r64 at TOP, through the
  // NOT block) reads the flags before producing its own (SETB at MID, then INC's carry) with that
  // producer's inline expressions, guarded by the record's kind and width: the block is also
  // entered through the outer loop's indirect jump (the dispatch, or the interpreter), after
  // another producer of either width over stale high halves from an earlier 64-bit CMP.
  //   OUTER: mov r15, trips; cmp a1, b1 (64-bit); <producer>; mov rax, MID; jmp rax
  //   TOP:   cmp rcx, rdx; jb MID; not r8
  //   MID:   setb r10b; inc r9; setb r11b; dec r15; jnz TOP
  //          dec r14; jnz OUTER; hlt
  const free = fc.constantFrom(...REGS.filter((r) => r !== 0 && r !== 14));
  const producer = fc.record({ k: fc.constant("alu" as const), op: fc.constantFrom(0x39, 0x01, 0x29, 0x31), w: fc.boolean(), dst: free, src: free });
  const arb = fc.record({
    a1: free, b1: free, p: producer, regs: fc.array(u64, { minLength: 16, maxLength: 16 }),
    trips: fc.integer({ min: 8, max: 30 }), outer: fc.integer({ min: 2, max: 8 }), budgets: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 3 }),
  });
  const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
  function assembleHinted(k: { a1: number; b1: number; p: Op; trips: number }): number[] {
    const code = [0x49, 0xc7, 0xc7, ...le32(k.trips), ...encode({ k: "alu", op: 0x39, w: true, dst: k.a1, src: k.b1 }), ...encode(k.p)];
    const movAt = code.length;
    code.push(0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0xff, 0xe0);
    const top = code.length, mid = top + 8;
    code.push(0x48, 0x39, 0xd1, 0x72, mid - (top + 5), 0x49, 0xf7, 0xd0);
    code.push(0x41, 0x0f, 0x92, 0xc2, 0x49, 0xff, 0xc1, 0x41, 0x0f, 0x92, 0xc3, 0x49, 0xff, 0xcf);
    code.push(0x0f, 0x85, ...le32(top - (code.length + 6)));
    code.push(0x49, 0xff, 0xce, 0x0f, 0x85, ...le32(0 - (code.length + 3 + 6)), 0xf4);
    code.splice(movAt + 3, 4, ...le32(CODE + mid));
    return code;
  }
  it("agree with the interpreter whatever producer the record holds when the block is entered", () => {
    expectAgreementCompiled(arb, 800, 0.9, (k) => {
      const go = (threshold: number) => execute(assembleHinted(k), k.regs, [[14, k.outer]], 0x202, k.budgets, threshold, 1e-9);
      const jit = go(8);
      expect(jit.trace).toEqual(go(0).trace);
      return jit.regions > 0;
    });
  });
});

/**
 * A walk over data pages: `body` at CODE as a loop (JNZ back, then HLT); the page `data`
 * (default WALK_DATA) mapped read-write, and the one before it too unless `below` is false (their
 * bytes from `fill`, else zero); the page after it as `next` says ("code": left alone); the
 * registers `regs`. Run under `threshold` (the promotion volumes scaled down) split into
 * `budgets` then the rest, `between` called after each budget stop, a fault skipped (RIP past a
 * `skip`-byte instruction, as a guest's handler might) up to `maxSkips` times: the state after
 * each stop (registers `shown`), the bytes of `pages` (default the three around `data`), and the
 * regions compiled.
 */
const WALK_DATA = 0x10000;
interface WalkSpec {
  body: number[]; next: string; regs: [number, bigint][]; shown: number[]; budgets: number[];
  data?: number; below?: boolean; fill?: (i: number) => number; pages?: number[];
  between?: (i: number, m: Memory) => void; skip?: number; maxSkips?: number;
}
function runDataWalk(o: WalkSpec, threshold: number): { out: unknown[]; regions: number } {
  const back = -(o.body.length + 6);
  const code = [...o.body, 0x0f, 0x85, back & 255, (back >> 8) & 255, (back >> 16) & 255, (back >> 24) & 255, 0xf4];
  const data = o.data ?? WALK_DATA, first = o.below === false ? data : data - 4096;
  const saved = JIT_THRESHOLD;
  setJitThreshold(threshold);
  setPromoteScale(1e-9);
  logRegions(true);
  try {
    const m = new Memory(16);
    m.map(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    m.writeBytes(CODE, Uint8Array.from(code));
    m.map(first, data + 4096 - first, PROT_READ | PROT_WRITE);
    if (o.fill) m.writeBytes(first, Uint8Array.from({ length: data + 4096 - first }, (_, i) => o.fill!(i)));
    if (o.next === "rw" || o.next === "ro") m.map(data + 4096, 4096, o.next === "rw" ? PROT_READ | PROT_WRITE : PROT_READ);
    const c = new CpuState();
    c.rip = CODE;
    for (const [r, v] of o.regs) setReg64(c, r, BigInt.asUintN(64, v));
    c.flags = 0x202;
    const out: unknown[] = [];
    const maxSkips = o.maxSkips ?? 0;
    let skips = 0;
    for (const [i, b] of [...o.budgets, ...Array<number>(maxSkips + 1).fill(1_000_000)].entries()) {
      const s = run(c, m, b);
      out.push({ s, rip: c.rip, icount: c.icount, flags: getFlags(c), regs: o.shown.map((r) => getReg64(c, r)) });
      if (s.kind === "fault" && skips++ < maxSkips) { c.rip += o.skip!; continue; }
      if (s.kind !== "budget") break;
      o.between?.(i, m);
    }
    for (const p of o.pages ?? [data - 4096, data, data + 4096]) out.push(!m.isMapped(p) ? null : Buffer.from(m.readBytes(p, 4096)).toString("hex"));
    return { out, regions: regionLog!.length };
  } finally {
    logRegions(false);
    setPromoteScale(1);
    setJitThreshold(saved);
  }
}

/**
 * 300 walks of `arb`, each run compiled (threshold 8) and interpreted, must end alike; at least
 * half must compile a region, and more than 150 of them a wasm loop (no silent pass).
 */
function expectWalksAgreeInWasm<T>(arb: fc.Arbitrary<T>, runWalkCase: (k: T, threshold: number) => { out: unknown[]; regions: number }): void {
  const before = wasmLoopsCompiled;
  expectAgreementCompiled(arb, 300, 0.5, (k) => {
    const jit = runWalkCase(k, 8);
    expect(jit.out).toEqual(runWalkCase(k, 0).out);
    return jit.regions > 0;
  });
  expect(wasmLoopsCompiled - before).toBeGreaterThan(150);
}

// A loop of one block jumping back to itself runs under the loop policy as a plain loop
// (jit.ts, selfLoop): the budget checked on entry and after each pass, and, when its only
// faulting accesses are cached stores, no catch: a store that misses the cache leaves the
// region before its instruction, which the interpreter runs. When all its instructions have
// integer forms there it runs as WebAssembly (jit-wasm.ts), else as JS: both are tested, and
// each must actually have run the loops it is tested on.
for (const wasm of [true, false]) describe(`compiled tier, self loops (${wasm ? "wasm" : "JS"})`, () => {
  let wasmBefore = 0;
  beforeEach(() => { setWasmSelfLoops(wasm); wasmBefore = wasmLoopsCompiled; });
  afterEach(() => {
    setWasmSelfLoops(true);
    // no silent pass: the wasm runs compiled wasm loops, the JS runs none
    if (wasm) expect(wasmLoopsCompiled - wasmBefore).toBeGreaterThan(0);
    else expect(wasmLoopsCompiled).toBe(wasmBefore);
  });
  it("agree with the interpreter on generated integer loops, for every budget split", () => {
    expectAgreementCompiled(caseArb.filter((k) => k.body.every((o) => o.k !== "jcc")), 400, 0.5, (k) => {
      const go = (threshold: number) => execute(assemble(k.body), k.regs, [[15, k.trips]], k.flags, k.budgets, threshold, 1e-9);
      const jit = go(8);
      expect(jit.trace).toEqual(go(0).trace);
      return jit.regions > 0;
    });
  });
  // the forms jit-wasm.ts takes (64-bit IMUL; ALU, INC/DEC, NOT/NEG, LEA and shifts at both
  // widths, 32-bit rotates; the 32-bit shifts' flags always dead before the loop's end),
  // so that most loops run in it
  // so that most loops run in it, ended by DEC R15; JNZ or by a count in R15 (down to 0 or up
  // to the trips) compared with CMP to an immediate, 64- or 32-bit, and a Jcc of each kind the
  // comparison can end a loop with
  it("agree with the interpreter on generated loops of the wasm forms, for every budget split", () => {
    const wasmOp = opArb.filter((o) => o.k === "alu" || o.k === "aluImm" || o.k === "incdec" || o.k === "lea" || o.k === "notneg" || (o.k === "imul" && o.w) || (o.k === "shift" && (!o.w || (o.digit !== 0 && o.digit !== 1))));
    const arb = caseArb.chain((k) => fc.record({
      body: fc.array(wasmOp, { minLength: 1, maxLength: 12 }),
      // (DEC's carry is the last producer's: half the loops end in it)
      end: fc.oneof(fc.constant("jnz"), fc.constantFrom("down:5:0", "down:15:0", "down:7:0", "down:13:1", "down:3:1", "up:2:0", "up:12:0", "up:5:0", "up:6:-1", "up:14:-1", "neg:12:0", "neg:14:-1")),
      w: fc.boolean(),
    }).map((x) => ({ ...k, ...x })));
    /** body; then DEC R15; JNZ, or SUB/ADD R15, 1; CMP R15, bound; Jcc (a count down to 0, up to the trips or up from -trips to 0, plus `off`) */
    const assembleEnd = (body: Op[], end: string, w: boolean, trips: number): { code: number[]; r15: number } => {
      if (end === "jnz") return { code: assemble(body), r15: trips };
      const [dir, cc, off] = [end.split(":")[0], Number(end.split(":")[1]), Number(end.split(":")[2])];
      const bound = (dir === "up" ? trips : 0) + off, rx = w ? 0x49 : 0x41;
      const b = [...body.flatMap(encode), rx, 0x83, dir === "down" ? 0xef : 0xc7, 1, rx, 0x81, 0xff, bound & 255, (bound >> 8) & 255, (bound >> 16) & 255, (bound >> 24) & 255];
      const back = -(b.length + 6);
      return { code: [...b, 0x0f, 0x80 + cc, back & 255, (back >> 8) & 255, (back >> 16) & 255, (back >> 24) & 255, 0xf4], r15: dir === "up" ? 0 : dir === "neg" ? -trips : trips };
    };
    let inWasm = 0, compiled = 0;
    expectAgreementCompiled(arb, 400, 0.5, (k) => {
      const { code, r15 } = assembleEnd(k.body, k.end, k.w, k.trips);
      const go = (threshold: number) => execute(code, k.regs, [[15, r15]], k.flags, k.budgets, threshold, 1e-9);
      const before = wasmLoopsCompiled, jit = go(8);
      if (wasmLoopsCompiled > before) inWasm++;
      expect(jit.trace).toEqual(go(0).trace);
      if (jit.regions > 0) compiled++;
      return jit.regions > 0;
    });
    // every loop compiled was compiled to wasm (or, with wasm off, none)
    expect(inWasm).toBe(wasm ? compiled : 0);
  });

  // A store walk, long enough to run compiled for hundreds of passes before its stores reach
  // the next page (writable, read-only or unmapped; for SUB, the unmapped one below) or (code)
  // walking down from the page above the code into it (the first store there makes the compiled
  // loop stale) and through the loop's own bytes. Between the first two runs the data page may
  // become read-only or be mapped afresh: a store site's page remembered from the first run must
  // not be written through on the next entry.
  //   TOP: add/sub rsi, imm8 (64- or 32-bit: the record a fault must leave); mov [rbx + rsi], r9 (1, 4 or 8 bytes); dec r15; jnz TOP; hlt
  const DATA = WALK_DATA;
  const walkArb = fc.record({
    next: fc.constantFrom("rw", "ro", "none", "code"), update: fc.constantFrom("add64", "sub64", "add32", "sub32"),
    step: fc.constantFrom(1, 3, 8, 0x40, 0x7f), start: fc.nat(4095), width: fc.constantFrom(1, 4, 8),
    r9: fc.constantFrom(0x0101010101010101n, 0xc3c3c3c3c3c3c3c3n, 0x9090909090909090n, 0n),
    trips: fc.integer({ min: 1, max: 3000 }), budgets: fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 3 }),
    between: fc.constantFrom("keep", "keep", "ro", "remap"),
  });
  type Walk = typeof walkArb extends fc.Arbitrary<infer T> ? T : never;
  function runWalk(k: Walk, threshold: number): { out: unknown[]; regions: number } {
    // the walk goes up from DATA + start towards the next page, or (code) down through CODE's page
    const down = k.next === "code", sub = down || k.update.startsWith("sub"), data = down ? CODE + 4096 : DATA;
    const upd = [down || k.update.endsWith("64") ? 0x48 : 0x40, 0x83, sub ? 0xee : 0xc6, k.step];
    const rexW = k.width === 8 ? 0x4c : 0x44, op = k.width === 1 ? 0x88 : 0x89;
    return runDataWalk({
      body: [...upd, rexW, op, 0x0c, 0x33, 0x49, 0xff, 0xcf], data, below: false, next: k.next, pages: [CODE, data, data + 4096],
      regs: [[3, BigInt(data)], [6, BigInt(k.start)], [9, k.r9], [15, BigInt(k.trips)]], shown: [3, 6, 9, 15], budgets: k.budgets,
      between: (i, m) => {
        if (i === 0 && k.between === "ro") m.protect(data, 4096, PROT_READ);
        if (i === 0 && k.between === "remap") { m.unmap(data, 4096); m.map(data, 4096, PROT_READ | PROT_WRITE); }
      },
    }, threshold);
  }
  it("fault, stop and rewrite their own code where the interpreter does", () => {
    const stops = new Set<string>();
    expectAgreementCompiled(walkArb, 300, 0.4, (k) => {
      const jit = runWalk(k, 8);
      expect(jit.out).toEqual(runWalk(k, 0).out);
      for (const x of jit.out.slice(0, -3)) stops.add((x as { s: { kind: string } }).s.kind);
      return jit.regions > 0;
    });
    // no silent pass: the loops also ended every way
    expect([...stops].sort()).toEqual(["budget", "fault", "hlt"]);
  });
});

describe("compiled tier, wasm self loops' stores", () => {
  // Two stores a pass, through [rbx + rsi] and [rbx + rdi], after a 64-bit shift of the same
  // value each pass (whose eager flags a store leaving the loop must show) and walking up towards the next page (writable,
  // read-only or unmapped). The two may share a page (one slot for both: jit-wasm.ts) or not.
  // The base or the index may hold a value near 2^64 (negative as the interpreter reads it, so
  // its sum is the data page, where the wasm loop, which takes only bases below 2^62 and
  // indexes below 2^60, must leave the store to the interpreter), or (scaled) the index times 8
  // may pass 2^64: the interpreter faults (the sum is not canonical) where the wrapped sum lies
  // on the data page, which the other store keeps in the write TLB; or (huge) the base is 2^60
  // below the data (negative), the index 2^59 times 2: the interpreter's sum, in doubles, rounds
  // the base to a multiple of 256, and the wasm loop must leave it that store (hardware would
  // store at the exact sum: see the closing note of session 14). A fault is skipped (RIP past
  // the 4-byte store, as a guest's handler might) up to twelve times, so the loop gets hot enough
  // to compile (threshold 8) and is entered again with that page remembered.
  //   TOP: mov r10, r11; shl/shr/sar r10, cnt; mov [rbx + rsi], r9; mov [rbx + rdi], r9; add rsi, 8; add rdi, 8; dec r15; jnz TOP; hlt
  const DATA = WALK_DATA, M64 = 1n << 64n;
  const arb = fc.record({
    next: fc.constantFrom("rw", "ro", "none"), shift: fc.constantFrom(4, 5, 7), cnt: fc.integer({ min: 1, max: 63 }),
    r10: fc.bigInt({ min: 0n, max: M64 - 1n }), width: fc.constantFrom(1, 4, 8), start: fc.nat(4095),
    delta: fc.constantFrom(0, 3, 8, 0x100, 4096, -4096), wrap: fc.constantFrom("none", "none", "base", "index", "scaled", "huge"),
    trips: fc.integer({ min: 1, max: 1000 }), budgets: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 }),
  });
  type Case = typeof arb extends fc.Arbitrary<infer T> ? T : never;
  function runCase2(k: Case, threshold: number): { out: unknown[]; regions: number } {
    const rexW = k.width === 8 ? 0x4c : 0x44, op = k.width === 1 ? 0x88 : 0x89;
    const body = [0x4d, 0x89, 0xda, 0x49, 0xc1, 0xc0 | (k.shift << 3) | 2, k.cnt, rexW, op, 0x0c, k.wrap === "scaled" ? 0xf3 : k.wrap === "huge" ? 0x73 : 0x33, rexW, op, 0x0c, 0x3b,
      0x48, 0x83, 0xc6, 0x08, 0x48, 0x83, 0xc7, 0x08, 0x49, 0xff, 0xcf];
    // rbx + rsi = DATA + start, either as is or with one of them 2^64 - 0x10000 above its share
    const [rbx, rsi] = k.wrap === "base" ? [M64 - 0x10000n, BigInt(DATA + k.start) + 0x10000n]
      : k.wrap === "index" ? [BigInt(DATA) + 0x10000n, M64 - 0x10000n + BigInt(k.start)]
      : k.wrap === "scaled" ? [BigInt(DATA), (1n << 61n) + BigInt(k.start >> 3)]
      : k.wrap === "huge" ? [M64 - (1n << 60n) + BigInt(DATA + k.start), 1n << 59n] : [BigInt(DATA), BigInt(k.start)];
    const rdi = k.wrap === "scaled" ? BigInt(k.start) : rsi + BigInt(k.delta);
    return runDataWalk({ body, next: k.next, regs: [[3, rbx], [6, rsi], [7, rdi], [9, 0x0123456789abcdefn], [11, k.r10], [15, BigInt(k.trips)]],
      shown: [3, 6, 7, 10, 11, 15], budgets: k.budgets, skip: 4, maxSkips: 12 }, threshold);
  }
  it("land, leave and fault where the interpreter's do", () => expectWalksAgreeInWasm(arb, runCase2));
});

describe("compiled tier, wasm self loops' loads", () => {
  // A load a pass from a patterned page (MOV 8/4 bytes, MOVZX 1/2, MOVSXD, or ADD r, m), folded
  // into a sum, and a store of the sum a pass to the same page or the one before (behind or
  // ahead of the load, or onto its very bytes: the load must see the stores of earlier passes,
  // the one slot both sites share), walking up towards a writable, read-only or unmapped page.
  //   TOP: <load r10 from [rbx + rsi]>; add r11, r10; mov [rbx + rdi], r11; add rsi, 8; add rdi, 8; dec r15; jnz TOP; hlt
  const DATA = WALK_DATA;
  const arb = fc.record({
    next: fc.constantFrom("rw", "ro", "none"), form: fc.constantFrom("mov64", "mov32", "movzx8", "movzx16", "movsxd", "add64", "add32"),
    start: fc.nat(4095), delta: fc.constantFrom(0, -8, 8, 16, -4096, 4096), trips: fc.integer({ min: 1, max: 1000 }),
    budgets: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 }), seed: fc.nat(255),
  });
  type Case = typeof arb extends fc.Arbitrary<infer T> ? T : never;
  const loadOf: Record<Case["form"], number[]> = {
    mov64: [0x4c, 0x8b, 0x14, 0x33], mov32: [0x44, 0x8b, 0x14, 0x33], movzx8: [0x44, 0x0f, 0xb6, 0x14, 0x33],
    movzx16: [0x44, 0x0f, 0xb7, 0x14, 0x33], movsxd: [0x4c, 0x63, 0x14, 0x33], add64: [0x4c, 0x03, 0x14, 0x33], add32: [0x44, 0x03, 0x14, 0x33],
  };
  function runLoads(k: Case, threshold: number): { out: unknown[]; regions: number } {
    const body = [...loadOf[k.form], 0x4d, 0x01, 0xd3, 0x4c, 0x89, 0x1c, 0x3b, 0x48, 0x83, 0xc6, 0x08, 0x48, 0x83, 0xc7, 0x08, 0x49, 0xff, 0xcf];
    return runDataWalk({ body, next: k.next, fill: (i) => (i * 37 + k.seed) & 255,
      regs: [[3, BigInt(DATA)], [6, BigInt(k.start)], [7, BigInt(k.start + k.delta)], [11, 0x0123456789abcdefn], [15, BigInt(k.trips)]],
      shown: [6, 7, 10, 11, 15], budgets: k.budgets }, threshold);
  }
  it("read what the interpreter reads, stores of earlier passes included", () => expectWalksAgreeInWasm(arb, runLoads));
});
