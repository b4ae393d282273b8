import { describe, expect, it } from "vitest";
import { clauseMatrix, computeTotals, jsonReady, toJsonText } from "./summary.js";
import { baseRun, mixedRun, property } from "./test-fixtures.js";

describe("computeTotals", () => {
  it("counts every status and folds xpass into failed", () => {
    expect(computeTotals(mixedRun())).toEqual({
      total: 7,
      passed: 2,
      failed: 2,
      xpass: 1,
      inconclusive: 0,
      xfail: 1,
      skipped: 1,
      unsupported: 1,
      ok: false,
      durationMs: 7 * 12.5,
    });
  });
  it("an inconclusive property fails the run", () => {
    const t = computeTotals(baseRun([property({ property: "a.b", status: "passed" }), property({ property: "a.c", status: "inconclusive" })]));
    expect(t.ok).toBe(false);
    expect(t.failed).toBe(1);
    expect(t.inconclusive).toBe(1);
  });
  it("a run whose only bad result is an xpass is not ok", () => {
    const t = computeTotals(baseRun([property({ property: "a.b", status: "passed" }), property({ property: "a.c", status: "xpass" })]));
    expect(t.ok).toBe(false);
    expect(t.failed).toBe(1);
  });
  it("xfail, skipped and unsupported do not fail the run", () => {
    const t = computeTotals(
      baseRun([
        property({ property: "a.b", status: "xfail" }),
        property({ property: "a.c", status: "skipped" }),
        property({ property: "a.d", status: "unsupported" }),
      ]),
    );
    expect(t).toMatchObject({ ok: true, failed: 0, xfail: 1, skipped: 1, unsupported: 1, passed: 0 });
  });
});

describe("clauseMatrix", () => {
  it("one row per cited clause, in spec order, unknown ids last, worst verdict wins", () => {
    const rows = clauseMatrix(mixedRun());
    expect(rows.map((r) => [r.id, r.verdict])).toEqual([
      ["PARK-1", "pass"],
      ["PARK-2", "expected fail"],
      ["PARK-3", "fail"],
      ["PARK-4", "skipped"],
      ["PARK-5", "unsupported"],
      ["PARK-6", "fail"],
      ["PARKX-6", "fail"],
      ["ZZZ-99", "pass"],
    ]);
    expect(rows.find((r) => r.id === "PARK-6")!.properties.map((p) => p.property)).toEqual(["park.wake-one", "park.drain-on-unmap"]);
    expect(rows.find((r) => r.id === "PARK-1")!.statement).toMatch(/PARK/);
    expect(rows.find((r) => r.id === "ZZZ-99")!.statement).toBeUndefined();
  });
  it("precedence: expected fail over pass, pass over unsupported, unsupported over skipped", () => {
    const run = baseRun([
      property({ property: "a.1", status: "passed", clauses: ["PARK-1", "PARK-2"] }),
      property({ property: "a.2", status: "xfail", clauses: ["PARK-1"] }),
      property({ property: "a.3", status: "unsupported", clauses: ["PARK-2", "PARK-3"] }),
      property({ property: "a.4", status: "skipped", clauses: ["PARK-3", "PARK-4", "PARK-4"] }),
    ]);
    expect(clauseMatrix(run).map((r) => [r.id, r.verdict, r.properties.length])).toEqual([
      ["PARK-1", "expected fail", 2],
      ["PARK-2", "pass", 2],
      ["PARK-3", "unsupported", 2],
      ["PARK-4", "skipped", 1],
    ]);
  });
});

describe("jsonReady", () => {
  it("handles bigint and cycles, keeps shared non-cyclic references", () => {
    const shared = { k: 1 };
    const cyc: Record<string, unknown> = { shared, again: shared };
    cyc.self = cyc;
    expect(jsonReady({ n: 5n, cyc })).toEqual({ n: "5n", cyc: { shared: { k: 1 }, again: { k: 1 }, self: "[Circular]" } });
    expect(JSON.parse(toJsonText([1n, undefined]))).toEqual(["1n", null]);
  });
});
