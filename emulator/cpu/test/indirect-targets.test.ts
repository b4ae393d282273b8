/**
 * What the interpreter records of an indirect jump's targets for the compiled tier (run.ts, at
 * a block's end; jit-policy.ts indirectTargets reads it): past the jump block's first
 * JIT_THRESHOLD entries the targets are sampled, one pass in 16 counted 16 times, and the
 * counts must still estimate how often each target was taken, whatever the period with which a
 * dispatch repeats its targets. The oracle is the guest program itself: a dispatch loop whose
 * pass j jumps through entry j mod 16 of a table the test writes, so each target's true count
 * is known in closed form.
 */
import { describe, it, expect, afterEach } from "vitest";
import { fetchInsn } from "../index.js";
import { DEFAULT_JIT_THRESHOLD, JIT_THRESHOLD, setJitThreshold } from "../run.js";
import { setPromoteScale } from "../jit.js";
import { JMP_AT, TARGETS, runDispatch } from "./dispatch-loop.js";

/** Run the dispatch `passes` times over `table` (16 target numbers) under the default tier with nothing compiled: the jump's recorded counts by target number. */
function recorded(table: number[], passes: number): Map<number, number> {
  setJitThreshold(DEFAULT_JIT_THRESHOLD);
  // no region may take the loop over (the counts would stop where it started)
  setPromoteScale(1e6);
  const { m, stop } = runDispatch(table, passes);
  expect(stop.kind).toBe("hlt");
  const ind = fetchInsn(m, JMP_AT).ind;
  expect(ind).not.toBeNull();
  const counts = new Map([...ind!].map(([addr, n]) => [(addr - TARGETS) / 16, n]));
  m.release();
  return counts;
}

/** Each target's true count: pass j takes table[j mod 16]. */
function truth(table: number[], passes: number): Map<number, number> {
  const n = new Map<number, number>();
  for (let j = 0; j < passes; j++) n.set(table[j % 16]!, (n.get(table[j % 16]!) ?? 0) + 1);
  return n;
}

describe("an indirect jump's recorded targets", () => {
  const saved = JIT_THRESHOLD;
  afterEach(() => { setPromoteScale(1); setJitThreshold(saved); });
  const PASSES = 100_000;
  const tables: [string, number[]][] = [
    ["a period of 16 (every entry its own target)", [...Array(16).keys()]],
    ["a period of 4", Array.from({ length: 16 }, (_, i) => i % 4)],
    ["a period of 2", Array.from({ length: 16 }, (_, i) => 5 + (i % 2))],
    ["a skewed mix (half of them to one target)", [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 1, 2, 3, 4, 5]],
  ];
  for (const [name, table] of tables) {
    it(`estimate how often each target was taken, with ${name}`, () => {
      const got = recorded(table, PASSES), want = truth(table, PASSES);
      expect([...got.keys()].sort((a, b) => a - b)).toEqual([...want.keys()].sort((a, b) => a - b));
      // ~6,250 samples: a target taken a sixteenth of the time has ~390 of them (5% standard error)
      for (const [t, n] of want) expect(Math.abs(got.get(t)! - n) / n, `target ${t}: recorded ${got.get(t)}, taken ${n}`).toBeLessThan(0.2);
    });
  }
});
