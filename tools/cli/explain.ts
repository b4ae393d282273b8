/**
 * A failure as a person reads it: what went wrong, the first record the model could not
 * explain and what it allowed there (decoded: op names and operands), the clauses in their
 * own words, the run op by op, and the repro line last.
 */
import { CLAUSES } from "../../spec/clauses/index.js";
import type { PropertyResult } from "../../reports/types.js";

const STATEMENT = new Map(CLAUSES.map((c) => [c.id, c.statement]));

/**
 * Longest line of a run's own text (message, observed, allowed) shown on the terminal. An
 * implementation that floods its console fills an observed line with up to the per-case cap
 * (1 MiB, 2 MiB of hex): printed whole it buried the summary. The reports keep every byte.
 */
export const MAX_TERMINAL_LINE = 400;
function clip(line: string): string {
  if (line.length <= MAX_TERMINAL_LINE) return line;
  return `${line.slice(0, MAX_TERMINAL_LINE)} ... (${line.length - MAX_TERMINAL_LINE} more characters; the whole line is in the reports)`;
}

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
    lines.push(clip(f.message));
    for (const l of (f.observed ?? []).slice(0, max.ops)) lines.push(`observed: ${clip(l)}`);
    for (const l of (f.allowed ?? []).slice(0, max.allowed)) lines.push(`allowed:  ${clip(l)}`);
  }
  lines.push(`clauses:`);
  for (const c of r.clauses) lines.push(`  ${c}: ${STATEMENT.get(c) ?? "(unknown clause)"}`);
  if (f.artefact) lines.push(`artefact: ${f.artefact}`);
  lines.push(`repro: ${f.repro}`);
  return lines;
}
