import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ctrfStatus, renderCtrf, toCtrf, type CtrfTest } from "./ctrf.js";
import type { PropertyStatus } from "./types.js";
import { HOSTILE, baseRun, mixedRun, property } from "./test-fixtures.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = JSON.parse(readFileSync(fileURLToPath(new URL("./schema/ctrf.schema.json", import.meta.url)), "utf8")) as Record<string, unknown>;

function validator(s: Record<string, unknown>) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(s);
}
const validate = validator(schema);

/** The ctrf-io/ctrf repository copy lacks runId, testId and executionId; check we fit it too. */
function repoSchema(): Record<string, unknown> {
  const s = structuredClone(schema) as any;
  delete s.properties.runId;
  delete s.properties.results.properties.tests.items.properties.testId;
  delete s.properties.results.properties.tests.items.properties.executionId;
  return s;
}
const validateRepo = validator(repoSchema());

function expectValid(doc: unknown) {
  const ok = validate(doc);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
  expect(validateRepo(doc)).toBe(true);
}

describe("CTRF report", () => {
  it("carries the abilities a property used and how its cases were steered", () => {
    const run = baseRun([property({ property: "p.s", status: "passed", abilities: ["schedule"], steering: { schedule: 4 } })]);
    const test = toCtrf(run).results.tests[0]!;
    expect(test.extra).toMatchObject({ abilities: ["schedule"], steering: { schedule: 4 } });
    expectValid(JSON.parse(renderCtrf(run)));
  });
  it("validates against the CTRF schema (mixed run, via the JSON text)", () => {
    expectValid(JSON.parse(renderCtrf(mixedRun())));
  });
  it("validates for an empty run and for a run with unparsable timestamps", () => {
    expectValid(toCtrf(baseRun([])));
    expectValid(toCtrf({ ...baseRun([property({ property: "a.b", status: "passed", durationMs: NaN })]), startedAt: "?", finishedAt: "?" }));
  });
  it("the validator is live: a wrong status is rejected", () => {
    const doc = toCtrf(mixedRun()) as any;
    doc.results.tests[0].status = "xfail";
    expect(validate(doc)).toBe(false);
    const doc2 = toCtrf(mixedRun()) as any;
    doc2.results.tests[0].duration = 1.5;
    expect(validate(doc2)).toBe(false);
  });
  it("maps statuses with rawStatus", () => {
    const table: [PropertyStatus, string][] = [
      ["passed", "passed"],
      ["failed", "failed"],
      ["xpass", "failed"],
      ["skipped", "skipped"],
      ["unsupported", "skipped"],
      ["xfail", "other"],
    ];
    for (const [s, c] of table) expect(ctrfStatus(s)).toBe(c);
    const tests = toCtrf(mixedRun()).results.tests;
    const by = (p: string) => tests.find((t) => t.extra!.property === p)!;
    expect(by("tls.variant2-layout")).toMatchObject({ status: "other", rawStatus: "xfail" });
    expect(by("sched.preempt")).toMatchObject({ status: "skipped", rawStatus: "unsupported", message: "needs schedule control" });
    expect(by("park.timeout")).toMatchObject({ status: "failed", rawStatus: "xpass" });
    expect(by("park.timeout").message).toMatch(/^unexpectedly passed/);
  });
  it("summary counts follow the mapping (xpass counted as failed)", () => {
    const r = toCtrf(mixedRun()).results;
    expect(r.summary).toMatchObject({ tests: 7, passed: 2, failed: 2, skipped: 2, pending: 0, other: 1, suites: 4 });
    expect(r.summary.start).toBe(Date.parse("2025-01-02T03:04:05.000Z"));
    expect(r.summary.stop).toBe(Date.parse("2025-01-02T03:05:05.500Z"));
    expect(r.summary.extra).toMatchObject({ xfail: 1, xpass: 1, unsupported: 1, failingProperties: ["park.drain-on-unmap", "park.timeout"] });
    expect(r.tests.length).toBe(r.summary.tests);
  });
  it("a failing test carries clause ids, seed, path, schedule, implementation, ELF hashes and repro", () => {
    const run = mixedRun();
    const t: CtrfTest = toCtrf(run).results.tests.find((x) => x.extra!.property === "park.drain-on-unmap")!;
    expect(t.name).toBe("park.drain-on-unmap [PARK-6 PARKX-6]");
    expect(t.suite).toEqual(["park"]);
    expect(t.message).toBe(`waiter not drained ${HOSTILE}`);
    expect(t.trace!.split("\n")[0]).toBe(`repro: ${run.results[1]!.failure!.repro}`);
    expect(t.trace).toContain(`1 unmap ${HOSTILE}`);
    expect(t.extra).toMatchObject({
      clauses: ["PARK-6", "PARKX-6"],
      seed: 7,
      path: "3:1:0",
      schedule: "t0.t1.t0",
      scheduleId: "s-17",
      implementation: { id: "emulator", version: "1.2.3" },
      elfs: run.elfs,
      elfSha256: "ab".repeat(32),
      repro: run.results[1]!.failure!.repro,
      allowed: run.results[1]!.failure!.allowed,
      observed: run.results[1]!.failure!.observed,
    });
    expect((t.extra!.counterexample as any).big).toBe("12345678901234567890n");
    expect((t.extra!.clauseStatements as Record<string, string>)["PARK-6"]).toMatch(/park word/);
  });
  it("round-trips hostile strings exactly", () => {
    const back = JSON.parse(renderCtrf(mixedRun()));
    const t = back.results.tests.find((x: any) => x.extra.property === "park.requeue");
    expect(t.message).toBe(`filtered out ${HOSTILE}`);
  });
  it("statements can be left out", () => {
    for (const t of toCtrf(mixedRun(), { statements: false }).results.tests) expect(t.extra!.clauseStatements).toBeUndefined();
  });
});
