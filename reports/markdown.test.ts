import { describe, expect, it } from "vitest";
import { mdCell, renderMarkdown } from "./markdown.js";
import { HOSTILE, baseRun, mixedRun, property } from "./test-fixtures.js";

/** Split a GFM table row into cells, honouring `\|` escapes. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}
function section(md: string, heading: string): string[] {
  const lines = md.split("\n");
  const start = lines.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith("## "));
  return end < 0 ? rest : rest.slice(0, end);
}
const tableRows = (sec: string[]) => sec.filter((l) => l.startsWith("|")).slice(2);

describe("Markdown summary", () => {
  it("has one clause row per cited clause with the right status", () => {
    const rows = tableRows(section(renderMarkdown(mixedRun()), "## Clauses")).map(cells);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ["PARK-1", "pass"],
      ["PARK-2", "expected fail"],
      ["PARK-3", "fail"],
      ["PARK-4", "skipped"],
      ["PARK-5", "unsupported"],
      ["PARK-6", "fail"],
      ["PARKX-6", "fail"],
      ["ZZZ-99", "pass"],
    ]);
    expect(rows.find((r) => r[0] === "PARK-6")![2]).toBe("`park.wake-one` (pass), `park.drain-on-unmap` (fail)");
  });
  it("header shows implementation, binding, seed, time and totals", () => {
    const md = renderMarkdown({ ...mixedRun(), implementation: { id: "qemu", version: "9.1", binding: "bind.json", mutant: "m3" } });
    expect(md.split("\n")[0]).toBe("# capOS conformance: qemu 9.1 — FAIL");
    for (const l of ["| Binding | bind.json |", "| Mutant | m3 |", "| Seed | 42 |", "| Started | 2025-01-02T03:04:05.000Z |", "| Duration | 60.500 s |"]) expect(md).toContain(l);
    expect(md).toContain("**Totals:** 7 properties: 2 passed, 2 failed (1 unexpectedly passed), 1 expected failures, 1 skipped, 1 unsupported.");
    expect(renderMarkdown(baseRun([property({ property: "a.b", status: "passed" })])).split("\n")[0]).toMatch(/— PASS$/);
  });
  it("property table: one row per property with its status, hostile text kept in one cell", () => {
    const rows = tableRows(section(renderMarkdown(mixedRun()), "## Properties")).map(cells);
    expect(rows.length).toBe(7);
    for (const r of rows) expect(r.length).toBe(9);
    expect(rows.map((r) => r[3])).toEqual(["pass", "fail", "expected fail", "fail (unexpected pass)", "skipped", "unsupported", "pass"]);
    expect(rows[4]![8]).not.toContain("<script>");
  });
  it("property table: the abilities each property used and how its cases were steered", () => {
    const md = renderMarkdown(baseRun([
      property({ property: "a.s", status: "passed", abilities: ["schedule"], steering: { schedule: 3, none: 1 } }),
      property({ property: "a.g", status: "passed", abilities: [], steering: { "guest": 5 } }),
    ]));
    const rows = tableRows(section(md, "## Properties")).map(cells);
    expect(rows.map((r) => [r[5], r[6]])).toEqual([["schedule", "schedule control ×3, none ×1"], ["none", "guest-carried delays ×5"]]);
  });
  it("code spans in table cells keep pipes and backticks inside one cell", () => {
    const md = renderMarkdown(baseRun([property({ property: "odd|name`x`", status: "passed", clauses: ["PARK-1"] })]));
    const rows = tableRows(section(md, "## Properties")).map(cells);
    expect(rows[0]!.length).toBe(9);
    expect(rows[0]![0]).toBe("`` odd\\|name`x` ``");
    expect(tableRows(section(md, "## Clauses")).map(cells)[0]!.length).toBe(3);
  });
  it("each failure shows its repro line in a code block", () => {
    const run = mixedRun();
    const md = renderMarkdown(run);
    const failures = section(md, "## Failures").join("\n");
    expect(failures).toContain("### park.drain-on-unmap (fail)");
    expect(failures).toContain("```sh\n" + run.results[1]!.failure!.repro + "\n```");
    expect(failures).toContain("### park.timeout (fail (unexpected pass))");
    expect(section(md, "## Expected failures").join("\n")).toContain("```sh\n" + run.results[2]!.failure!.repro + "\n```");
  });
  it("a repro containing backticks gets a longer fence", () => {
    const md = renderMarkdown(baseRun([property({ property: "a.b", status: "failed", failure: { repro: "echo ```x```", message: "m", seed: 1 } })]));
    expect(md).toContain("````sh\necho ```x```\n````");
  });
  it("statements column on request", () => {
    const rows = tableRows(section(renderMarkdown(mixedRun(), { statements: true }), "## Clauses")).map(cells);
    expect(rows[0]!.length).toBe(4);
    expect(rows.find((r) => r[0] === "PARK-2")![3]).toBe("The park word is a 32-bit user word.");
    expect(rows.find((r) => r[0] === "ZZZ-99")![3]).toBe("(unknown clause)");
  });
  it("mdCell neutralises pipes, newlines and HTML", () => {
    expect(mdCell("a|b\nc<d>&")).toBe("a\\|b c&lt;d&gt;&amp;");
    expect(cells(`| ${mdCell(HOSTILE)} |`).length).toBe(1);
  });
});

describe("Markdown encoding", () => {
  it("output is well-formed UTF-16 (survives a UTF-8 round trip)", () => {
    const md = renderMarkdown(mixedRun(), { statements: true });
    expect(Buffer.from(md, "utf8").toString("utf8")).toBe(md);
  });
});
