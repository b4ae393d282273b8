/**
 * Counted loops in closed form (counted-loop.ts) against the same loops run one instruction at a
 * time (skipping off), whose semantics the host-CPU oracle checks: for generated loops of every
 * shape the skipper accepts and some it must refuse, split into budgets of every size, the stops,
 * registers, flags, RIP, retired count and memory agree. The loops' stores run into unmapped and
 * read-only pages and into the page of their own code, so faults and code invalidation are
 * reached too; and the generated loops must actually be skipped (else nothing was tested).
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, setReg64, getReg64, getFlags } from "../index.js";
import type { Stop } from "../index.js";
import { setCountedLoops } from "../counted-loop.js";
import { cpuStats } from "../stats.js";
import { assembleLoop, loopStep, LOOP_REGS as REGS, type LoopCase } from "./loops.js";

const CODE = 0x400000, DATA = 0x600000;
/** Data: two read-write pages, then a read-only one; unmapped below DATA. Code: read-write-execute. */
function machine(code: number[]): { c: CpuState; m: Memory } {
  const m = new Memory(64);
  m.map(CODE, 8192, PROT_READ | PROT_WRITE | PROT_EXEC);
  m.map(DATA, 8192, PROT_READ | PROT_WRITE);
  m.map(DATA + 8192, 4096, PROT_READ);
  m.writeBytes(CODE, Uint8Array.from(code));
  const c = new CpuState();
  c.rip = CODE;
  return { c, m };
}

/** A loop's whole run, budget by budget, with its state after each stop. */
function runLoop(k: LoopCase, skipping: boolean): unknown[] {
  setCountedLoops(skipping);
  try {
    const { c, m } = machine([...assembleLoop(k), 0xf4]); // HLT after the loop
    const out: unknown[] = [];
    for (const b of k.budgets) {
      const s: Stop = run(c, m, b);
      out.push({ s, rip: c.rip, icount: c.icount, flags: getFlags(c), regs: REGS.map((r) => getReg64(c, r)) });
      if (s.kind !== "budget") break;
    }
    out.push({ data: Buffer.from(m.readBytes(DATA, 3 * 4096)).toString("hex"), code: Buffer.from(m.readBytes(CODE, 8192)).toString("hex") });
    return out;
  } finally {
    setCountedLoops(true);
  }
}

const loopArb: fc.Arbitrary<LoopCase> = fc.record({
  ind: fc.constantFrom(...REGS), other: fc.constantFrom(...REGS),
  update: fc.constantFrom("add8", "add32", "sub8", "inc", "dec") as fc.Arbitrary<LoopCase["update"]>,
  step: fc.constantFrom(1, 2, 4, 8, -1, -2, -4, -8),
  cmp: fc.constantFrom("39", "3b", "imm", "none") as fc.Arbitrary<LoopCase["cmp"]>,
  store: fc.constantFrom("none", "before", "after", "before", "after") as fc.Arbitrary<LoopCase["store"]>,
  storeVal: fc.integer(), disp: fc.integer({ min: -16, max: 16 }),
  // stores near the page boundaries: DATA (unmapped below), DATA+4096, DATA+8192 (read-only above), or the code page
  base: fc.constantFrom(DATA, DATA + 4096, DATA + 8192, CODE + 4096, CODE + 400), off: fc.integer({ min: -300, max: 300 }),
  count: fc.integer({ min: 1, max: 400 }), reachable: fc.integer({ min: 0, max: 4 }).map((x) => x !== 0),
  near: fc.boolean(), budgets: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
  extra: fc.integer({ min: 0, max: 9 }).map((x) => x === 0), midEntry: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
}).map((r) => {
  const step = loopStep(r.update, r.step);
  // the update-only form exits at zero: count down to it
  const start = r.cmp === "none" ? BigInt(-step * r.count) : BigInt(r.base + r.off);
  return { ...r, other: r.other === r.ind ? REGS[(REGS.indexOf(r.ind) + 1) % REGS.length]! : r.other, step, start, budgets: [...r.budgets, 4_000] };
});

describe("counted loops in closed form", () => {
  it("agree with one-at-a-time execution for every budget split (generated loops)", () => {
    const before = cpuStats.closedFormInsns;
    const ends = new Map<string, number>();
    fc.assert(fc.property(loopArb, (k) => {
      const on = runLoop(k, true);
      expect(on).toEqual(runLoop(k, false));
      for (const x of on.slice(0, -1)) ends.set((x as { s: Stop }).s.kind, (ends.get((x as { s: Stop }).s.kind) ?? 0) + 1);
    }), { seed: 20261126, numRuns: 800 });
    // no silent pass: the generated loops were skipped, and they stopped every way a loop can
    // (its exit, a store fault on an unmapped or read-only page, the end of a budget)
    expect(cpuStats.closedFormInsns - before).toBeGreaterThan(100_000);
    expect(Object.fromEntries([...ends].map(([k, n]) => [k, n >= 40]))).toEqual({ hlt: true, fault: true, budget: true });
  });

  it("skip the gcc spin, the clang spin and the byte-zeroing loop, and charge every instruction", () => {
    // gcc:   add $1,%rax; cmp %r9,%rax; jne        clang: add $-1,%rbx; jne
    // memset: movb $0,(%rax); add $1,%rax; cmp %rdx,%rax; jne
    const shapes: LoopCase[] = [
      { ind: 0, other: 9, update: "add8", step: 1, cmp: "39", store: "none", storeVal: 0, disp: 0, start: 0n, count: 6000, reachable: true, near: false, budgets: [1_000_000], extra: false },
      { ind: 3, other: 0, update: "add8", step: -1, cmp: "none", store: "none", storeVal: 0, disp: 0, start: 6000n, count: 6000, reachable: true, near: false, budgets: [1_000_000], extra: false },
      { ind: 0, other: 2, update: "add8", step: 1, cmp: "39", store: "before", storeVal: 0, disp: 0, start: BigInt(DATA + 100), count: 64, reachable: true, near: false, budgets: [1_000_000], extra: false },
    ];
    for (const k of shapes) {
      const before = cpuStats.closedFormInsns;
      const on = runLoop(k, true);
      const skipped = cpuStats.closedFormInsns - before;
      expect(on).toEqual(runLoop(k, false));
      const perIter = k.store === "none" ? (k.cmp === "none" ? 2 : 3) : 4;
      // all but three iterations: the first runs in the set-up's block, the second in the loop's
      // own block (a skip starts only when that block has just run whole), the last normally
      expect(skipped).toBe((k.count - 3) * perIter);
      expect((on[0] as { s: Stop }).s).toEqual({ kind: "hlt" });
    }
  });
});
