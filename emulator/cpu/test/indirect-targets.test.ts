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
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, setReg64, fetchInsn } from "../index.js";
import { DEFAULT_JIT_THRESHOLD, JIT_THRESHOLD, setJitThreshold } from "../run.js";
import { setPromoteScale } from "../jit.js";

const CODE = 0x400000, TABLE = 0x600000, TARGETS = CODE + 0x100;
// TOP: mov rax, rcx; and eax, 15; mov rax, [rbx + rax*8]; inc rcx; jmp rax
const TOP = [0x48, 0x89, 0xc8, 0x25, 15, 0, 0, 0, 0x48, 0x8b, 0x04, 0xc3, 0x48, 0xff, 0xc1, 0xff, 0xe0];
const JMP_AT = CODE + TOP.length - 2;
/** Target k at TARGETS + 16k: dec r15; jnz TOP; hlt. */
function target(k: number): number[] {
  const at = TARGETS + 16 * k, rel = CODE - (at + 3 + 6);
  return [0x49, 0xff, 0xcf, 0x0f, 0x85, rel & 255, (rel >> 8) & 255, (rel >> 16) & 255, (rel >>> 24) & 255, 0xf4];
}

/** Run the dispatch `passes` times over `table` (16 target numbers) under the default tier with nothing compiled: the jump's recorded counts by target number. */
function recorded(table: number[], passes: number): Map<number, number> {
  setJitThreshold(DEFAULT_JIT_THRESHOLD);
  // no region may take the loop over (the counts would stop where it started)
  setPromoteScale(1e6);
  const m = new Memory(16);
  m.map(CODE, 4096, PROT_READ | PROT_EXEC);
  m.map(TABLE, 4096, PROT_READ | PROT_WRITE);
  m.writeBytes(CODE, Uint8Array.from(TOP));
  for (let k = 0; k < 16; k++) m.writeBytes(TARGETS + 16 * k, Uint8Array.from(target(k)));
  table.forEach((t, i) => m.w64(TABLE + 8 * i, TARGETS + 16 * t, 0));
  const c = new CpuState();
  c.rip = CODE;
  setReg64(c, 3, BigInt(TABLE));
  setReg64(c, 15, BigInt(passes));
  const stop = run(c, m, passes * 8 + 10);
  expect(stop.kind).toBe("hlt");
  const ind = fetchInsn(m, JMP_AT).ind;
  expect(ind).not.toBeNull();
  return new Map([...ind!].map(([addr, n]) => [(addr - TARGETS) / 16, n]));
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
