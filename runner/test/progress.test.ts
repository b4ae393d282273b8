/**
 * Progress: shrinking steps are reported as shrinking, never as cases of the budget.
 */
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { emulatorImplementation } from "../adapters/emulator.js";
import { runProperty, type ProgressEvent } from "../run.js";
import { resolveAgent } from "../setup.js";

describe("progress", () => {
  it("a failing property reports its cases and then its shrinking steps apart", async () => {
    const mutant = "tls-ignores-misalign";
    const p = ALL_PROPERTIES.find((x) => x.id.startsWith("tls."))!;
    const events: ProgressEvent[] = [];
    const impl = await emulatorImplementation({ binding: DEFAULT_BINDING, mutant });
    const cfg = { impl, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: [p], seed: 20261125, mutant, onProgress: (e: ProgressEvent) => void events.push(e) };
    const r = await runProperty(p, cfg, cfg.seed);
    expect(r.status).toBe("failed");
    const cases = events.filter((e) => e.kind === "case").length;
    const shrinks = events.filter((e) => e.kind === "shrink").length;
    expect(cases).toBe(r.runs);
    expect(cases).toBeLessThanOrEqual(p.runs);
    expect(shrinks).toBeGreaterThan(0);
    // Every shrinking step comes after the last case.
    expect(events.findIndex((e) => e.kind === "shrink")).toBeGreaterThan(events.map((e) => e.kind).lastIndexOf("case"));
  });
});
