/**
 * interpret()'s tier paths have V8 feedback before V8 optimises the loop: run.ts primes the
 * loop at load (primeInterpreter), but the priming never gets a block to the tier's first look,
 * so a call or an operation there that the priming never ran compiles to a deoptimisation, and
 * V8 then compiles the loop again (~0.4 s of CPU, the loop unoptimised meanwhile) in every
 * process at the first program that reaches it. Session 18 added such a call (the indirect-jump
 * sampling's Math.imul, run only past the first look) and the bench's awk, sort, sort -n and
 * bytecode interpreter each paid that recompile with the tier on. The oracle is V8's own trace
 * (`--trace-deopt`) of tier-deopt-workload.ts, which optimises the loop after a warm-up that
 * never reaches the tier's thresholds and then runs past them.
 */
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKLOAD = fileURLToPath(new URL("./tier-deopt-workload.ts", import.meta.url));
/** V8's optimisation status bit for optimised code (src/runtime/runtime-test.cc, OptimizationStatus::kOptimized). */
const OPTIMIZED = 1 << 4;

describe("interpret() under the tier", () => {
  it("is not deoptimised for want of feedback when the tier's paths first run", () => {
    const r = spawnSync(process.execPath, ["--allow-natives-syntax", "--no-concurrent-recompilation", "--trace-deopt", "--import", "tsx", WORKLOAD],
      { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000, maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const m = /optimised before: (\d+), after: (\d+)/.exec(r.stdout);
    expect(m, r.stdout.slice(-2000)).not.toBeNull();
    // no silent pass: the loop ran the tier's paths as optimised code
    expect(Number(m![1]) & OPTIMIZED, `status ${m![1]}`).toBe(OPTIMIZED);
    const starved = r.stdout.split("\n").filter((l) => /^\[bailout .*reason: Insufficient type feedback.*<JSFunction interpret /.test(l));
    expect(starved).toEqual([]);
  }, 120_000);
});
