/**
 * Rule 3 (issue 12): the oracle accepts every conforming choice. The emulator's alternate
 * policy (emulator/capos/policy.ts: top-down placement, a lower TP, LIFO wakes, late timers,
 * other ring pages) must pass the whole suite, as the default does.
 */
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { runConformance } from "../run.js";
import { resolveAgent, resolveImplementation } from "../setup.js";

describe("the emulator with its alternate conforming policy", () => {
  it("passes every property (conform run --impl emulator:alternate)", async () => {
    const impl = await resolveImplementation("emulator:alternate", DEFAULT_BINDING);
    expect(impl.id).toBe("emulator:alternate");
    const run = await runConformance({ impl, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: ALL_PROPERTIES, seed: 20261125, runsScale: 0.5 });
    const bad = run.results.filter((r) => r.status !== "passed").map((r) => `${r.property}: ${r.status} ${r.failure?.message ?? r.reason ?? ""}\n  ${r.failure?.repro ?? ""}`);
    expect(bad).toEqual([]);
    expect(run.results.length).toBe(ALL_PROPERTIES.length);
  });

  it("an unknown policy is a usage error", async () => {
    await expect(resolveImplementation("emulator:nope", DEFAULT_BINDING)).rejects.toThrow(/unknown emulator policy "nope"/);
  });
});
