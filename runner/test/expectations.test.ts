/**
 * Expectations: an expected failure that fails is `xfail`, one that passes is `xpass` and
 * fails the run; a skip is reported with its reason; unsupported needs are never failures.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import type { AgentImage } from "../../generators/agent-image.js";
import { ExpectationsError, parseExpectations } from "../expectations.js";
import type { Implementation } from "../../spec/implementation.js";
import { property } from "../../properties/property.js";
import { runConformance, runFailed } from "../run.js";

const impl: Implementation = {
  id: "fake",
  version: "1",
  supports: { schedule: false, inspect: false },
  run: async () => ({ console: new Uint8Array(), end: { kind: "exit", code: 0 } }),
};
const agent: AgentImage = { name: "default", bytes: new Uint8Array(), sha256: "0", scriptOffset: 0, scriptSize: 0 };

function prop(id: string, holds: (n: number) => boolean, needs: ("schedule" | "inspect")[] = []) {
  return property<number>({
    id, group: id.split(".")[0]!, title: id, clauses: ["SYS-1"], needs, runs: 20,
    arbitrary: () => fc.integer({ min: 0, max: 100 }),
    describe: (n) => ({ n }),
    check: async (n) => ({ ok: holds(n), message: `n = ${n}` }),
  });
}

const properties = [
  prop("a.passes", () => true),
  prop("b.fails", (n) => n < 50),
  prop("c.expected-fail-that-fails", (n) => n < 50),
  prop("d.expected-fail-that-passes", () => true),
  prop("e.skipped", () => false),
  prop("f.needs-schedule", () => false, ["schedule"]),
];

const expectations = parseExpectations({
  implementation: "fake",
  entries: [
    { property: "c.*", expect: "fail", reason: "known bug 1" },
    { property: "d.*", expect: "fail", reason: "known bug 2" },
    { property: "e.skipped", expect: "skip", reason: "hangs" },
  ],
});

describe("expectations", () => {
  it("turn results into xfail, xpass, skipped and unsupported with reasons", async () => {
    const run = await runConformance({ impl, binding: DEFAULT_BINDING, bindingName: "default", agent, properties, seed: 1, expectations });
    const by = Object.fromEntries(run.results.map((r) => [r.property, r]));
    expect(by["a.passes"]!.status).toBe("passed");
    expect(by["b.fails"]!.status).toBe("failed");
    expect(by["b.fails"]!.failure!.message).toBe("n = 50"); // shrunk to the smallest failing case
    expect(by["c.expected-fail-that-fails"]!.status).toBe("xfail");
    expect(by["c.expected-fail-that-fails"]!.reason).toBe("known bug 1");
    expect(by["d.expected-fail-that-passes"]!.status).toBe("xpass");
    expect(by["e.skipped"]!).toMatchObject({ status: "skipped", reason: "hangs" });
    expect(by["f.needs-schedule"]!.status).toBe("unsupported");
    expect(runFailed(run)).toBe(true);
  });

  it("an unexpected pass alone fails the run", async () => {
    const run = await runConformance({ impl, binding: DEFAULT_BINDING, bindingName: "default", agent, properties: [properties[3]!], seed: 1, expectations });
    expect(run.results[0]!.status).toBe("xpass");
    expect(runFailed(run)).toBe(true);
  });

  it("reject entries without a reason", () => {
    expect(() => parseExpectations({ implementation: "x", entries: [{ property: "a", expect: "fail", reason: " " }] })).toThrow(ExpectationsError);
    expect(() => parseExpectations({ implementation: "x", entries: [{ property: "a", expect: "maybe", reason: "r" }] })).toThrow(/expect/);
    expect(() => parseExpectations({ entries: [] })).toThrow(/implementation/);
  });
});
