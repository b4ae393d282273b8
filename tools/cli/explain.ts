/**
 * A failure as a person reads it: what went wrong, the first record the model could not
 * explain and what it allowed there (decoded: op names and operands), the clauses in their
 * own words, the run op by op, and the repro line last.
 */
import { CLAUSES } from "../../spec/clauses/index.js";
import type { PropertyResult } from "../../reports/types.js";

const STATEMENT = new Map(CLAUSES.map((c) => [c.id, c.statement]));

export function explainFailure(r: PropertyResult, max = { ops: 40, allowed: 10 }): string[] {
  const f = r.failure;
  if (!f) return [];
  const x = f.explanation;
  const lines: string[] = [];
  if (x) {
    lines.push(`the model could not explain: ${x.firstUnexplained ?? "the run"}`);
    lines.push(`  why: ${x.why}`);
    const allowed = x.allowed.filter((a) => !a.startsWith("("));
    if (allowed.length > 0) {
      lines.push(`the model allowed there:`);
      for (const a of allowed.slice(0, max.allowed)) lines.push(`  ${a}`);
    } else lines.push(`the model allowed there: nothing (${x.allowed[0] ?? "no outcome"})`);
    lines.push(`the run (${x.threads} threads, ${x.records} records, end ${x.end}):`);
    const byRecord = [...x.ops].sort((a, b) => (a.end ?? Infinity) - (b.end ?? Infinity));
    for (const op of byRecord.slice(0, max.ops)) {
      const flag = op.marks.includes("unexplained") ? "  <- not explained" : "";
      lines.push(`  t${op.thread} ${op.call} → ${op.outcome ?? "(no record)"}${flag}`);
    }
    if (byRecord.length > max.ops) lines.push(`  ... ${byRecord.length - max.ops} more ops in the report`);
  } else {
    lines.push(f.message);
    for (const l of (f.observed ?? []).slice(0, max.ops)) lines.push(`observed: ${l}`);
    for (const l of (f.allowed ?? []).slice(0, max.allowed)) lines.push(`allowed:  ${l}`);
  }
  lines.push(`clauses:`);
  for (const c of r.clauses) lines.push(`  ${c}: ${STATEMENT.get(c) ?? "(unknown clause)"}`);
  if (f.artefact) lines.push(`artefact: ${f.artefact}`);
  lines.push(`repro: ${f.repro}`);
  return lines;
}
