/**
 * Markdown summary of a conformance run: header with totals, the clause-by-clause matrix, the
 * property table, and for each failure (failed / xpass; xfail separately) the repro line in a
 * code block.
 */
import type { ConformanceRun, PropertyResult } from "./types.js";
import { abilitiesLabel, clauseMatrix, computeTotals, formatMutationScore, isFailing, runDurationMs, statusLabel, steeringLabel, wellFormed } from "./summary.js";

export interface MarkdownOptions {
  /** Add a Statement column to the clause table. Default false. */
  readonly statements?: boolean;
}

/** Cell text for a GitHub-flavoured Markdown table: one line, pipes and markup neutralised. */
export function mdCell(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
    .replace(/\r\n|[\r\n\t\u2028\u2029]/g, " ")
    .replace(/[\\`*_[\]<>|&~]/g, (c) => (c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : `\\${c}`));
}

/** Cell text for trusted Markdown (clause statements): kept as Markdown, made one table cell. */
export function mdTrusted(s: string): string {
  return s.replace(/\r\n|[\r\n\t\u2028\u2029]/g, " ").replace(/(?<!\\)\|/g, "\\|");
}

/** Inline code span that survives any backticks in `s`. */
export function mdCode(s: string): string {
  const one = s.replace(/\r\n|[\r\n\u2028\u2029]/g, " ").replace(/\|/g, "\\|");
  const runs = one.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = one.startsWith("`") || one.endsWith("`") || one === "" ? " " : "";
  return `${fence}${pad}${one}${pad}${fence}`;
}

/** Fenced code block whose fence is longer than any backtick run in `body`. */
export function mdFence(body: string, lang = ""): string {
  const runs = body.match(/`{3,}/g) ?? [];
  const fence = "`".repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}${lang}\n${body.replace(/\u0000/g, "\\u{0}")}\n${fence}`;
}

function failureSection(r: PropertyResult, out: string[]): void {
  out.push(`### ${mdCell(r.property)} (${statusLabel(r.status)})`, "");
  const f = r.failure;
  if (r.status === "xpass") out.push(`Passed although expected to fail${r.reason ? `: ${mdCell(r.reason)}` : ""}.`, "");
  if (r.status === "xfail" && r.reason) out.push(`Expected failure: ${mdCell(r.reason)}`, "");
  if (!f) {
    if (r.status !== "xpass") out.push("No failure details were recorded.", "");
    return;
  }
  out.push(mdCell(f.message), "");
  const x = f.explanation;
  if (x) {
    out.push(`Not explained by the model: ${mdCode(x.firstUnexplained ?? "the run")}. The model allowed there:`, "");
    for (const a of x.allowed.slice(0, 8)) out.push(`- ${mdCode(a)}`);
    const ops = [...x.ops].sort((a, b) => (a.end ?? Infinity) - (b.end ?? Infinity));
    out.push("", "The run, in record order:", "", mdFence(ops.map((o) => `t${o.thread} ${o.call} → ${o.outcome ?? "(no record)"}${o.marks.includes("unexplained") ? "   <- not explained" : ""}`).join("\n"), "text"), "");
  }
  out.push("Repro:", "", mdFence(f.repro, "sh"), "");
  const facts = [`seed ${f.seed}`];
  if (f.path !== undefined) facts.push(`path ${mdCode(f.path)}`);
  if (f.schedule !== undefined) facts.push(`schedule ${mdCode(f.schedule)}${f.scheduleId !== undefined ? ` (${mdCell(f.scheduleId)})` : ""}`);
  if (f.artefact !== undefined) facts.push(`artefact ${mdCode(f.artefact)}`);
  out.push(facts.join(", "), "");
}

export function renderMarkdown(run: ConformanceRun, options: MarkdownOptions = {}): string {
  const t = computeTotals(run);
  const impl = run.implementation;
  const out: string[] = [];
  out.push(`# capOS conformance: ${mdCell(impl.id)} ${mdCell(impl.version)} — ${t.ok ? "PASS" : "FAIL"}`, "");
  out.push("| | |", "| --- | --- |");
  out.push(`| Implementation | ${mdCell(impl.id)} ${mdCell(impl.version)} |`);
  out.push(`| Binding | ${mdCell(impl.binding)} |`);
  if (impl.mutant !== undefined) out.push(`| Mutant | ${mdCell(impl.mutant)} |`);
  out.push(`| Seed | ${run.seed} |`);
  if (run.mutationScore !== undefined) out.push(`| Mutation score | ${mdCell(formatMutationScore(run.mutationScore))} |`);
  out.push(`| Started | ${mdCell(run.startedAt)} |`);
  out.push(`| Finished | ${mdCell(run.finishedAt)} |`);
  out.push(`| Duration | ${(runDurationMs(run) / 1000).toFixed(3)} s |`);
  out.push(`| Tool | ${mdCell(run.tool.name)} ${mdCell(run.tool.version)} |`);
  out.push("");
  out.push(
    `**Totals:** ${t.total} properties: ${t.passed} passed, ${t.failed} failed` +
      `${t.xpass > 0 ? ` (${t.xpass} unexpectedly passed)` : ""}, ${t.xfail} expected failures, ` +
      `${t.skipped} skipped, ${t.unsupported} unsupported.`,
    "",
  );

  out.push("## Clauses", "");
  const rows = clauseMatrix(run);
  if (rows.length === 0) out.push("No property cites a clause.", "");
  else {
    out.push(options.statements ? "| Clause | Status | Properties | Statement |" : "| Clause | Status | Properties |");
    out.push(options.statements ? "| --- | --- | --- | --- |" : "| --- | --- | --- |");
    for (const row of rows) {
      const props = row.properties.map((p) => `${mdCode(p.property)} (${statusLabel(p.status)})`).join(", ");
      const cells = [mdCell(row.id), row.verdict, props];
      if (options.statements) cells.push(row.statement !== undefined ? mdTrusted(row.statement) : "(unknown clause)");
      out.push(`| ${cells.join(" | ")} |`);
    }
    out.push("");
  }

  out.push("## Properties", "");
  out.push("| Property | Group | Clauses | Status | Runs | Abilities | Steering | Duration | Reason |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of run.results) {
    out.push(
      `| ${mdCode(r.property)} | ${mdCell(r.group)} | ${r.clauses.map(mdCell).join(" ")} | ${statusLabel(r.status)} | ${r.runs} | ` +
        `${mdCell(abilitiesLabel(r))} | ${mdCell(steeringLabel(r))} | ` +
        `${(Math.max(0, r.durationMs || 0) / 1000).toFixed(3)} s | ${r.reason !== undefined ? mdCell(r.reason) : ""} |`,
    );
  }
  out.push("");

  // Reach: which situations the cases reached (rates) and how many cases judged each cited clause.
  const reached = run.results.filter((r) => r.reach && r.reach.cases > 0);
  if (reached.length > 0) {
    out.push("## Reach", "");
    out.push("| Property | Cases | Steering | Situations reached (* named) | Clauses judged (cases) |", "| --- | --- | --- | --- | --- |");
    for (const r of reached) {
      const x = r.reach!;
      const pct = (n: number) => `${Math.round((100 * n) / x.cases)}%`;
      const sits = Object.entries(x.situations).map(([k, n]) => `${k === x.situation ? "*" : ""}${mdCell(k)} ${pct(n)}`);
      const steer = Object.entries(x.steering).map(([k, n]) => `${mdCell(k)} ${n}`);
      const clauses = Object.entries(x.clauses).map(([c, n]) => `${mdCell(c)} ${n}`);
      out.push(`| ${mdCode(r.property)} | ${x.cases} | ${steer.join(", ")} | ${sits.join(", ")} | ${clauses.join(" ")} |`);
    }
    out.push("");
  }

  const failing = run.results.filter((r) => isFailing(r.status));
  if (failing.length > 0) {
    out.push("## Failures", "");
    for (const r of failing) failureSection(r, out);
  }
  const xfail = run.results.filter((r) => r.status === "xfail");
  if (xfail.length > 0) {
    out.push("## Expected failures", "");
    for (const r of xfail) failureSection(r, out);
  }
  // Lone surrogates cannot be written as UTF-8; make the loss explicit (U+FFFD) here.
  return wellFormed(out.join("\n").replace(/\n+$/, "")) + "\n";
}
