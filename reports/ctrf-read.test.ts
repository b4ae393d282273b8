import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderCtrf } from "./ctrf.js";
import { compareRuns, mergeRuns, readCtrfRun } from "./ctrf-read.js";
import { baseRun, mixedRun, property } from "./test-fixtures.js";
import type { ConformanceRun } from "./types.js";

function file(run: ConformanceRun): string {
  const path = join(mkdtempSync(join(tmpdir(), "ctrf-read-")), "r.ctrf.json");
  writeFileSync(path, renderCtrf(run));
  return path;
}

describe("reading CTRF back", () => {
  it("gives back each property's result and failure", () => {
    const run = mixedRun();
    const back = readCtrfRun(file(run));
    expect(back.implementation).toEqual(run.implementation);
    expect(back.seed).toBe(run.seed);
    expect(back.results.map((r) => [r.property, r.status, r.runs, r.clauses, r.reason, r.failure?.repro, r.failure?.message])).toEqual(
      run.results.map((r) => [r.property, r.status, r.runs, r.clauses, r.reason, r.failure?.repro, r.failure?.message]),
    );
  });
  it("rejects what is not a capos-conform CTRF report with a ReportError", () => {
    const dir = mkdtempSync(join(tmpdir(), "ctrf-read-"));
    writeFileSync(join(dir, "x.json"), `{"reportFormat":"CTRF","results":{"tests":[]}}`);
    expect(() => readCtrfRun(join(dir, "x.json"))).toThrow(/not written by capos-conform/);
    expect(() => readCtrfRun(join(dir, "missing.json"))).toThrow(expect.objectContaining({ name: "ReportError" }));
  });
});

describe("merging and comparing", () => {
  const a = baseRun([property({ property: "p.one", status: "passed" }), property({ property: "p.three", status: "passed" })]);
  const b = baseRun([property({ property: "p.two", status: "failed", failure: { repro: "r", message: "m", seed: 42 } })]);
  it("merges shards in the suite's order and refuses overlaps or other seeds", () => {
    const m = mergeRuns([{ file: "a", run: a }, { file: "b", run: b }], ["p.one", "p.two", "p.three"]);
    expect(m.results.map((r) => r.property)).toEqual(["p.one", "p.two", "p.three"]);
    expect(() => mergeRuns([{ file: "a", run: a }, { file: "a2", run: a }])).toThrow(/also in a/);
    expect(() => mergeRuns([{ file: "a", run: a }, { file: "c", run: { ...b, seed: 7 } }])).toThrow(/cannot merge/);
  });
  it("compares: new failures, fixed, changed", () => {
    const before = baseRun([property({ property: "x", status: "failed" }), property({ property: "y", status: "passed" }), property({ property: "z", status: "passed" })]);
    const after = baseRun([property({ property: "x", status: "passed" }), property({ property: "y", status: "failed" }), property({ property: "z", status: "skipped" })]);
    const c = compareRuns(before, after);
    expect([c.newFailures.map((r) => r.property), c.fixed.map((r) => r.property), c.changed.map((r) => r.after.property)]).toEqual([["y"], ["x"], ["z"]]);
  });
});
