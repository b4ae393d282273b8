/**
 * The verdict of a run as the terminal shows it: one line per property, each failure
 * explained (see explain.ts) with its repro line, then the clause coverage and the totals.
 */
import { CLAUSES } from "../../spec/clauses/index.js";
import type { ConformanceRun, PropertyResult } from "../../reports/types.js";
import { statusWord } from "./common.js";
import { explainFailure } from "./explain.js";
import { formatReach, reachShortfalls } from "../../runner/run.js";
import { formatMutationScore } from "../../reports/summary.js";

export function summarize(run: ConformanceRun): string[] {
  const lines: string[] = [];
  for (const r of run.results) {
    lines.push(`${statusWord(r).padEnd(11)} ${r.property} [${r.clauses.join(" ")}]${r.reason ? ` (${r.reason})` : ""}`);
    const reach = formatReach(r);
    if (reach) lines.push(`  ${reach}`);
    if (r.failure) lines.push(...explainFailure(r).map((l) => `  ${l}`));
  }
  for (const s of reachShortfalls(run)) lines.push(`reach shortfall: ${s}`);
  const cited = new Set(run.results.flatMap((r) => r.clauses));
  const testable = CLAUSES.filter((c) => c.status !== "FUTURE");
  const untested = testable.filter((c) => !cited.has(c.id)).map((c) => c.id);
  // A selection leaves most clauses out: name them only when the list is short.
  const notExercised = untested.length <= 40 ? untested.join(" ") || "none" : `${untested.length} (see capos-conform list)`;
  lines.push(`clauses exercised: ${testable.length - untested.length} of ${testable.length} non-FUTURE clauses; not exercised: ${notExercised}`);
  if (run.mutationScore !== undefined) lines.push(`mutation score: ${formatMutationScore(run.mutationScore)}`);
  const count = (s: PropertyResult["status"]) => run.results.filter((r) => r.status === s).length;
  lines.push(
    `${count("passed")} passed, ${count("failed") + count("xpass") + count("inconclusive")} failed${count("inconclusive") > 0 ? ` (${count("inconclusive")} inconclusive)` : ""}, ${count("xfail")} expected failures, ${count("skipped")} skipped, ${count("unsupported")} unsupported`,
  );
  return lines;
}
