/**
 * The mutation score a run's reports carry: it applies only to the configuration it was
 * measured with, and every report format shows it (or why none applies).
 */
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { renderMarkdown } from "../../reports/markdown.js";
import { htmlData } from "../../reports/html.js";
import { renderJUnit } from "../../reports/junit.js";
import { toCtrf } from "../../reports/ctrf.js";
import { readCtrfRun } from "../../reports/ctrf-read.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseRun, property } from "../../reports/test-fixtures.js";
import { scoreForRun, type MutationScoreFile } from "../mutation-score.js";
import { resolveAgent } from "../setup.js";

const agent = resolveAgent();
const score: MutationScoreFile = {
  seed: 7,
  runsScale: 1,
  properties: ALL_PROPERTIES.map((p) => p.id),
  agent: { name: agent.name, sha256: agent.sha256 },
  outcomes: [
    { mutant: "a", clauses: ["X-1"], description: "", caughtBy: "p.q", durationMs: 1 },
    { mutant: "b", clauses: ["X-2"], description: "", caughtBy: null, durationMs: 1 },
  ],
};
const cfg = { seed: 7, properties: ALL_PROPERTIES, agent };

describe("mutation score of a run's configuration", () => {
  it("applies to the measured configuration and names what it missed", () => {
    expect(scoreForRun(cfg, score)).toEqual({ caught: 1, total: 2, missed: ["b"] });
  });

  it.each([
    ["another seed", { ...cfg, seed: 8 }, /seed 7, this run uses 8/],
    ["--runs", { ...cfg, runs: 3 }, /--runs/],
    ["--quick", { ...cfg, runsScale: 0.25 }, /0.25×/],
    ["a filter", { ...cfg, filter: /park/ }, /selection/],
    ["other budgets", { ...cfg, maxInsns: 10 }, /budgets/],
    ["another agent", { ...cfg, agent: { ...agent, sha256: "0".repeat(64) } }, /agent/],
    ["fewer properties", { ...cfg, properties: ALL_PROPERTIES.slice(1) }, /properties changed/],
  ])("does not apply to %s, and says why", (_name, other, why) => {
    const s = scoreForRun(other, score);
    expect(s.notMeasured).toMatch(why);
    expect(s.caught).toBeUndefined();
  });

  it("is absent with a reason when no score file exists", () => {
    expect(scoreForRun(cfg, "no committed score (ENOENT)")).toEqual({ notMeasured: "no committed score (ENOENT)" });
  });

  it("every report format carries it, and CTRF keeps it through merge", () => {
    const run = { ...baseRun([property({ property: "p.q", status: "passed" })]), mutationScore: scoreForRun(cfg, score) };
    const line = "caught 1/2 seeded kernel bugs (missed: b)";
    expect(renderMarkdown(run)).toContain(`| Mutation score | ${line} |`);
    expect(htmlData(run).header).toContainEqual(["Mutation score", line]);
    expect(renderJUnit(run)).toContain(`name="mutationScore" value="${line}"`);
    const ctrf = toCtrf(run);
    expect(ctrf.extra).toMatchObject({ mutationScore: { caught: 1, total: 2, missed: ["b"] } });
    const file = join(mkdtempSync(join(tmpdir(), "score-")), "run.ctrf.json");
    writeFileSync(file, JSON.stringify(ctrf));
    expect(readCtrfRun(file).mutationScore).toEqual(run.mutationScore);
  });
});
