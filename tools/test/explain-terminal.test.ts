/**
 * The terminal's account of a failure stays readable when an implementation floods: an
 * observed line of a whole console (up to the runner's 1 MiB per-case cap, as hex) is clipped
 * on the terminal, and the report data behind it is left whole.
 */
import { describe, expect, it } from "vitest";
import { explainFailure, MAX_TERMINAL_LINE } from "../cli/explain.js";
import type { PropertyResult } from "../../reports/types.js";

const flood = "2f746d70".repeat(262_144); // 1 MiB of console as hex: 2 MiB of text
const result: PropertyResult = {
  property: "tls.generated-layouts", group: "tls", title: "t", clauses: ["TLS-1"], status: "failed", durationMs: 1, runs: 1, seed: 1,
  failure: { message: "the probe did not exit(0)", seed: 1, repro: "npx capos-conform replay --seed 1", observed: [`console (1048576 bytes): ${flood}`, "end: exit(0)"], allowed: ["exit(0)"] },
};

describe("explainFailure on the terminal", () => {
  it("clips a flooded observed line, says how much it left out and where the rest is", () => {
    const lines = explainFailure(result);
    const observed = lines.filter((l) => l.startsWith("observed: "));
    expect(observed).toHaveLength(2);
    const full = `console (1048576 bytes): ${flood}`;
    expect(observed[0]).toBe(`observed: ${full.slice(0, MAX_TERMINAL_LINE)} ... (${full.length - MAX_TERMINAL_LINE} more characters; the whole line is in the reports)`);
    expect(observed[1]).toBe("observed: end: exit(0)");
    for (const l of lines) expect(l.length).toBeLessThan(MAX_TERMINAL_LINE + 200);
  });
  it("leaves short lines and the failure's own data untouched", () => {
    const lines = explainFailure(result);
    expect(lines).toContain("the probe did not exit(0)");
    expect(lines).toContain("allowed:  exit(0)");
    expect(lines.at(-1)).toBe("repro: npx capos-conform replay --seed 1");
    expect(result.failure!.observed![0]!.length).toBe(25 + flood.length);
  });
});
