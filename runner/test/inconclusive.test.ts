/**
 * No silent passes (issue 18): a case the checker cannot decide within its search budget is
 * reported `inconclusive` and fails the run, unless the expectations file expects the
 * property to fail. Console lines that are not agent records fail the case.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../../spec/binding.js";
import { OP, formatObservation, type Script, type ScriptOp } from "../../spec/agent-protocol.js";
import type { EndState } from "../../spec/run-protocol.js";
import type { Implementation } from "../../spec/implementation.js";
import { simulate } from "../../model/checker.js";
import { runAgentCase } from "../../properties/agent-run.js";
import { property } from "../../properties/property.js";
import { runConformance, runFailed, type RunConfig } from "../run.js";
import { resolveAgent } from "../setup.js";

/** Issue 18's hard case: 4 waiters x 3 timed parks on one word. */
function hardScript(): Script {
  const main: ScriptOp[] = [{ kind: OP.MAP, dst: 1, a: 0n, b: 4096n, c: 3n }];
  const waiters: ScriptOp[][] = [];
  for (let w = 1; w <= 4; w++) {
    main.push({ kind: OP.SPAWN, a: BigInt(w) });
    waiters.push([0, 1, 2].map((k): ScriptOp => ({ kind: OP.PARK, base: 1, a: 0n, b: 0n, c: BigInt(1000 * (k + w)) })));
  }
  main.push({ kind: OP.UNPARK, base: 1, a: 0n, b: 2n }, { kind: OP.YIELD });
  return { threads: [main, ...waiters] };
}

/** An implementation that prints a fixed Console text and ends with `end`, whatever it runs. */
function replaying(text: string, end: EndState): Implementation {
  return { id: "replay", version: "0", supports: { schedule: false, inspect: false }, run: async () => ({ console: new TextEncoder().encode(text), end }) };
}

const script = hardScript();
let seed = 7;
const allowed = simulate(script, (k) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % k), B);
const records = allowed.observations.map(formatObservation).join("");

const hardCase = property<Script>({
  id: "park.hard-case",
  group: "park",
  title: "issue 18's hard case",
  clauses: ["PARKX-2"],
  needs: [],
  runs: 1,
  arbitrary: () => fc.constant(script),
  describe: (s) => s,
  check: (s, ctx) => runAgentCase(s, undefined, ctx),
});

function config(impl: Implementation, extra: Partial<RunConfig> = {}): RunConfig {
  return { impl, binding: B, bindingName: "default", agent: resolveAgent(), properties: [hardCase], seed: 1, checkerMaxStates: 500, ...extra };
}

describe("inconclusive verdicts", () => {
  it("a checker budget overrun is reported as inconclusive and fails the run", async () => {
    // exit(1) is not an allowed end: only an exhaustive search could refute the run.
    const run = await runConformance(config(replaying(records, { kind: "exit", code: 1 })));
    const r = run.results[0]!;
    expect(r.status).toBe("inconclusive");
    expect(r.failure?.message).toMatch(/^inconclusive: search gave up after 500 states/);
    expect(r.failure?.repro).toContain("--seed 1");
    expect(runFailed(run)).toBe(true);
  });

  it("an expectations entry that expects the property to fail makes it an expected failure", async () => {
    const expectations = { implementation: "replay", entries: [{ property: "park.hard-case", expect: "fail" as const, reason: "the checker cannot decide it within 500 states" }] };
    const run = await runConformance(config(replaying(records, { kind: "exit", code: 1 }), { expectations }));
    expect(run.results[0]!.status).toBe("xfail");
    expect(runFailed(run)).toBe(false);
  });

  it("the same allowed run passes when the search decides it", async () => {
    const run = await runConformance(config(replaying(records, allowed.end as EndState), { checkerMaxStates: 200_000 }));
    expect(run.results[0]!.status).toBe("passed");
  });

  it("a Console line that is not an agent record fails the case", async () => {
    const run = await runConformance(config(replaying(records + "garbage\n", allowed.end as EndState), { checkerMaxStates: 200_000 }));
    expect(run.results[0]!.status).toBe("failed");
    expect(run.results[0]!.failure?.message).toContain("not agent records");
  });
});
