/**
 * run() while warming (run.ts WARM_SLICE): interpret() gets a slice of the budget at a time and
 * the rest is held back. The guest must not see it: RDTSC counts the instructions retired, a
 * fault and a budget stop land on the same instruction with the same count, as with no slices.
 */
import { describe, it, expect, afterAll } from "vitest";
import { run, getReg64, setReg64 } from "../index.js";
import { setJitThreshold, JIT_THRESHOLD, setWarmInsns } from "../run.js";
import { CODE, testMachine } from "./machine.js";

/** mov ecx, K; L: add rsi, rcx; sub ecx, 1; jnz L; then `tail` (1 + 3K instructions before it). */
const K = 2500;
const loopThen = (tail: number[]) => [0xb9, K & 255, K >> 8, 0, 0, 0x48, 0x01, 0xce, 0x83, 0xe9, 0x01, 0x75, 0xf8, ...tail];
const BEFORE_TAIL = 1 + 3 * K, TAIL_AT = CODE + 13;
const UNMAPPED = 0x1234_5000n;

describe("interpret() in warm-up slices", () => {
  const saved = JIT_THRESHOLD;
  afterAll(() => { setJitThreshold(saved); setWarmInsns(0); });

  /** The same run with slices (warm) and without; both outcomes are returned for the caller's checks. */
  function both(code: number[], budgets: number[]) {
    return [1e6, 0].map((warm) => {
      setWarmInsns(warm);
      const { c, m } = testMachine(code);
      c.tsc = 1000;
      setReg64(c, 3, UNMAPPED);
      const stops = budgets.map((b) => run(c, m, b));
      return { stops, icount: c.icount, rip: c.rip, rax: getReg64(c, 0), rsi: getReg64(c, 6) };
    });
  }

  for (const threshold of [0, 1024]) {
    it(`RDTSC after thousands of instructions counts each one (threshold ${threshold})`, () => {
      setJitThreshold(threshold);
      const [warm, cold] = both(loopThen([0x0f, 0x31, 0xf4]), [1e7]);
      expect(warm!.stops).toEqual([{ kind: "hlt" }]);
      expect(warm!.rax).toBe(BigInt(1000 + BEFORE_TAIL));
      expect(warm).toEqual(cold);
    });
    it(`a fault after thousands of instructions stops at the faulting one, with their count (threshold ${threshold})`, () => {
      setJitThreshold(threshold);
      const [warm, cold] = both(loopThen([0x48, 0x8b, 0x03, 0xf4]), [1e7]); // mov rax, [rbx]
      expect(warm!.stops).toEqual([{ kind: "fault", fault: { type: "#PF", addr: UNMAPPED, access: "read" } }]);
      expect(warm!.icount).toBe(BEFORE_TAIL);
      expect(warm!.rip).toBe(TAIL_AT);
      expect(warm).toEqual(cold);
    });
    it(`a budget stop lands on the same instruction, and the run resumes from it (threshold ${threshold})`, () => {
      setJitThreshold(threshold);
      const [warm, cold] = both(loopThen([0xf4]), [5000, 1e7]);
      expect(warm!.stops).toEqual([{ kind: "budget" }, { kind: "hlt" }]);
      expect(warm!.icount).toBe(BEFORE_TAIL + 1);
      expect(warm!.rsi).toBe(BigInt((K * (K + 1)) / 2));
      expect(warm).toEqual(cold);
    });
  }
});
