/**
 * One self-contained HTML page for a conformance run (no external assets).
 *
 * Pattern (as in Porcupine's visualisation): `htmlData` builds plain data from the run, and
 * `renderHtml` injects it into one template. The template renders everything statically
 * (escaped), so the page is complete without JavaScript; the same data is also embedded as
 * JSON (with `<`, U+2028/9 escaped so no string can end the script element) for the small
 * inline script that filters the clause matrix.
 */
import type { ConformanceRun, PropertyStatus } from "./types.js";
import { abilitiesLabel, steeringLabel, clauseMatrix, computeTotals, formatMutationScore, isFailing, runDurationMs, statusLabel, toJsonText, uncoveredClauses, wellFormed, type ClauseVerdict, type Totals } from "./summary.js";
import type { RunExplanation } from "./types.js";
import { renderTimelineSvg } from "./timeline.js";

export interface HtmlOptions {
  /** Show clause statements in the matrix. Default true. */
  readonly statements?: boolean;
  /** Page title; default derived from the implementation. */
  readonly title?: string;
}

export interface HtmlFailure {
  readonly property: string;
  readonly title: string;
  readonly status: PropertyStatus;
  readonly clauses: readonly string[];
  readonly reason?: string;
  readonly message?: string;
  readonly repro?: string;
  readonly seed?: number;
  readonly path?: string;
  readonly schedule?: string;
  readonly artefact?: string;
  readonly counterexample?: string;
  readonly allowed: readonly string[];
  readonly observed: readonly string[];
  readonly trace: readonly string[];
  readonly explanation?: RunExplanation;
  /** The cited clauses' statements, for "why". */
  readonly statements: readonly { readonly id: string; readonly statement: string }[];
}

export interface HtmlData {
  readonly title: string;
  readonly header: readonly (readonly [string, string])[];
  readonly totals: Totals;
  readonly clauses: readonly {
    readonly id: string;
    readonly verdict: ClauseVerdict;
    readonly statement?: string;
    readonly properties: readonly { readonly property: string; readonly status: PropertyStatus }[];
  }[];
  readonly properties: readonly {
    readonly property: string;
    readonly group: string;
    readonly title: string;
    readonly clauses: readonly string[];
    readonly status: PropertyStatus;
    readonly runs: number;
    readonly durationMs: number;
    readonly reason?: string;
    /** abilitiesLabel / steeringLabel of the result. */
    readonly abilities: string;
    readonly steering: string;
  }[];
  /** failed and xpass first, then xfail. */
  readonly failures: readonly HtmlFailure[];
  /** Clauses no property of the run checks (shown in the matrix as not covered). */
  readonly uncovered: readonly { readonly id: string; readonly statement: string; readonly future: boolean }[];
}

export function htmlData(run: ConformanceRun, options: HtmlOptions = {}): HtmlData {
  const impl = run.implementation;
  const header: [string, string][] = [
    ["Implementation", `${impl.id} ${impl.version}`],
    ["Binding", impl.binding],
  ];
  if (impl.mutant !== undefined) header.push(["Mutant", impl.mutant]);
  header.push(
    ["Seed", String(run.seed)],
    ...(run.mutationScore !== undefined ? [["Mutation score", formatMutationScore(run.mutationScore)] as [string, string]] : []),
    ["Started", run.startedAt],
    ["Finished", run.finishedAt],
    ["Duration", `${(runDurationMs(run) / 1000).toFixed(3)} s`],
    ["Tool", `${run.tool.name} ${run.tool.version}`],
  );
  for (const [name, hash] of Object.entries(run.elfs)) header.push([`ELF ${name}`, hash]);
  const statements = options.statements ?? true;
  const failing = [...run.results.filter((r) => isFailing(r.status)), ...run.results.filter((r) => r.status === "xfail")];
  return {
    title: options.title ?? `capOS conformance: ${impl.id} ${impl.version}`,
    header,
    totals: computeTotals(run),
    clauses: clauseMatrix(run).map((c) => (statements ? c : { id: c.id, verdict: c.verdict, properties: c.properties })),
    properties: run.results.map((r) => ({
      property: r.property,
      group: r.group,
      title: r.title,
      clauses: r.clauses,
      status: r.status,
      runs: r.runs,
      durationMs: r.durationMs,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      abilities: abilitiesLabel(r),
      steering: steeringLabel(r),
    })),
    failures: failing.map((r) => {
      const f = r.failure;
      return {
        property: r.property,
        title: r.title,
        status: r.status,
        clauses: r.clauses,
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
        ...(f
          ? {
              message: f.message,
              repro: f.repro,
              seed: f.seed,
              ...(f.path !== undefined ? { path: f.path } : {}),
              ...(f.schedule !== undefined ? { schedule: f.schedule + (f.scheduleId !== undefined ? ` (${f.scheduleId})` : "") } : {}),
              ...(f.artefact !== undefined ? { artefact: f.artefact } : {}),
              ...(f.counterexample !== undefined ? { counterexample: toJsonText(f.counterexample) } : {}),
            }
          : {}),
        allowed: f?.allowed ?? [],
        observed: f?.observed ?? [],
        trace: f?.trace ?? [],
        ...(f?.explanation ? { explanation: f.explanation } : {}),
        statements: r.clauses.flatMap((id) => {
          const c = clauseMatrix(run).find((m) => m.id === id);
          return c?.statement !== undefined ? [{ id, statement: c.statement }] : [];
        }),
      };
    }),
    uncovered: uncoveredClauses(run),
  };
}

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return wellFormed(s)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** JSON for a <script type="application/json"> element: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const e = escapeHtml;
const VERDICT_CLASS: Record<ClauseVerdict, string> = {
  fail: "fail",
  "expected fail": "xfail",
  pass: "pass",
  unsupported: "unsupported",
  skipped: "skipped",
};
const statusClass = (s: PropertyStatus): string => (s === "passed" ? "pass" : s === "failed" || s === "inconclusive" || s === "xpass" ? "fail" : s);

function list(title: string, items: readonly string[]): string {
  if (items.length === 0) return "";
  return `${title ? `<h4>${e(title)}</h4>` : ""}<pre>${items.map(e).join("\n")}</pre>`;
}

function details(title: string, body: string): string {
  return body ? `<details><summary>${e(title)}</summary>${body}</details>` : "";
}

function explanationHtml(x: RunExplanation): string {
  const allowed = x.allowed.filter((a) => !a.startsWith("("));
  return `<div class="explain">
<p class="unexplained"><b>Not explained by the model:</b> <code>${e(x.firstUnexplained ?? "the run")}</code></p>
<p><b>The model allowed there:</b> ${allowed.length > 0 ? `</p><ul class="allowed">${allowed.slice(0, 8).map((a) => `<li><code>${e(a)}</code></li>`).join("")}</ul>` : `nothing (${e(x.allowed[0] ?? "no outcome")})</p>`}
<p class="why">${e(x.why)}</p>
${renderTimelineSvg(x)}
</div>`;
}

function failureHtml(f: HtmlFailure, i: number): string {
  const facts: string[] = [];
  if (f.seed !== undefined) facts.push(`seed ${f.seed}`);
  if (f.path !== undefined) facts.push(`path <code>${e(f.path)}</code>`);
  if (f.schedule !== undefined) facts.push(`schedule <code>${e(f.schedule)}</code>`);
  if (f.artefact !== undefined) facts.push(`artefact <code>${e(f.artefact)}</code>`);
  return `<section class="failure ${statusClass(f.status)}" id="failure-${i}">
<h3><code>${e(f.property)}</code> <span class="badge ${statusClass(f.status)}">${e(statusLabel(f.status))}</span> <small>${e(f.title)}</small></h3>
${f.reason !== undefined ? `<p class="reason">${f.status === "xfail" ? "Expected failure" : f.status === "xpass" ? "Passed although expected to fail" : "Reason"}: ${e(f.reason)}</p>` : ""}
${f.explanation ? explanationHtml(f.explanation) : f.message !== undefined ? `<p class="message">${e(f.message)}</p>` : ""}
${f.repro !== undefined ? `<pre class="repro">${e(f.repro)}</pre>` : ""}
${details(`Clauses (${f.statements.length})`, f.statements.length > 0 ? `<dl>${f.statements.map((c) => `<dt><code>${e(c.id)}</code></dt><dd>${e(c.statement)}</dd>`).join("")}</dl>` : "")}
${details("Counterexample", f.counterexample !== undefined ? `<pre class="counterexample">${e(f.counterexample)}</pre>` : "")}
${details("Model allows (raw)", list("", f.allowed))}
${details("Observed records", list("", f.observed))}
${details("Implementation event log", list("", f.trace))}
${facts.length > 0 ? `<p class="facts">${facts.join(", ")}</p>` : ""}
</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f7f7f7;border:1px solid #e2e2e2;padding:.5em;overflow:auto;white-space:pre-wrap;word-break:break-all}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;font-size:12px;color:#fff;background:#888}
.badge.pass{background:#2a7d2a}.badge.fail{background:#b3261e}.badge.xfail{background:#b26a00}
.badge.skipped{background:#777}.badge.unsupported{background:#5a5a9a}
.verdict{font-weight:600}.ok{color:#2a7d2a}.bad{color:#b3261e}
section.failure{border-left:4px solid #b3261e;padding-left:1em;margin:.6em 0}section.failure.xfail{border-color:#b26a00}
section.failure h3{margin:.2em 0}.explain p{margin:.25em 0}ul.allowed{margin:.1em 0 .3em}.why{color:#555}
svg.timeline{display:block;max-width:100%;height:auto;margin:.4em 0;border:1px solid #e2e2e2;background:#fff}
.badge.uncovered{background:#fff;color:#b3261e;border:1px solid #b3261e}.badge.future{background:#fff;color:#777;border:1px solid #aaa}
details{margin:.2em 0}summary{cursor:pointer;color:#333}
.filters button{margin-right:.3em}
`;

const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById("run-data").textContent);
  var rows = document.querySelectorAll("#clauses tbody tr");
  document.querySelectorAll(".filters button").forEach(function(b){
    b.addEventListener("click", function(){
      var v = b.getAttribute("data-verdict");
      rows.forEach(function(r){ r.hidden = v !== "all" && r.getAttribute("data-verdict") !== v; });
    });
  });
  document.getElementById("clause-count").textContent = String(data.clauses.length + data.uncovered.length);
})();
`;

/** Inject the page data into the one template. */
export function renderHtmlData(d: HtmlData): string {
  const t = d.totals;
  const verdicts: ClauseVerdict[] = ["fail", "expected fail", "pass", "unsupported", "skipped"];
  const withStatements = d.clauses.some((c) => c.statement !== undefined);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(d.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${e(d.title)} — <span class="${t.ok ? "ok" : "bad"}">${t.ok ? "PASS" : "FAIL"}</span></h1>
<p id="totals">${t.total} properties: <b>${t.passed}</b> passed, <b>${t.failed}</b> failed${t.xpass > 0 ? ` (${t.xpass} unexpectedly passed)` : ""}, <b>${t.xfail}</b> expected failures, <b>${t.skipped}</b> skipped, <b>${t.unsupported}</b> unsupported; ${d.uncovered.filter((u) => !u.future).length} clauses no property of this run checks.</p>
${d.failures.length > 0 ? `<h2>Failures</h2>\n${d.failures.map(failureHtml).join("\n")}` : ""}
<h2>Clauses (<span id="clause-count">${d.clauses.length + d.uncovered.length}</span>)</h2>
<p class="filters"><button type="button" data-verdict="all">all</button>${[...verdicts, "not covered", "future"].map((v) => `<button type="button" data-verdict="${e(v)}">${e(v)}</button>`).join("")}</p>
<table id="clauses"><thead><tr><th>Clause</th><th>Status</th><th>Properties</th>${withStatements ? "<th>Statement</th>" : ""}</tr></thead><tbody>
${d.clauses
  .map(
    (c) =>
      `<tr data-verdict="${e(c.verdict)}"><td><code>${e(c.id)}</code></td><td class="verdict"><span class="badge ${VERDICT_CLASS[c.verdict]}">${e(c.verdict)}</span></td>` +
      `<td>${c.properties.map((p) => `<code>${e(p.property)}</code> (${e(statusLabel(p.status))})`).join("<br>")}</td>` +
      (withStatements ? `<td>${c.statement !== undefined ? e(c.statement) : "<i>unknown clause</i>"}</td>` : "") +
      `</tr>`,
  )
  .join("\n")}
${d.uncovered
  .map(
    (u) =>
      `<tr data-verdict="${u.future ? "future" : "not covered"}" class="uncovered"><td><code>${e(u.id)}</code></td><td class="verdict"><span class="badge ${u.future ? "future" : "uncovered"}">${u.future ? "future" : "not covered"}</span></td>` +
      `<td><i>${u.future ? "not yet testable (FUTURE)" : "no property checks it"}</i></td>${withStatements ? `<td>${e(u.statement)}</td>` : ""}</tr>`,
  )
  .join("\n")}
</tbody></table>
<h2>Properties</h2>
<table id="properties"><thead><tr><th>Property</th><th>Group</th><th>Clauses</th><th>Status</th><th>Runs</th><th>Abilities</th><th>Steering</th><th>Duration</th><th>Reason</th></tr></thead><tbody>
${d.properties
  .map(
    (p) =>
      `<tr><td><code>${e(p.property)}</code><br><small>${e(p.title)}</small></td><td>${e(p.group)}</td><td>${p.clauses.map((c) => `<code>${e(c)}</code>`).join(" ")}</td>` +
      `<td><span class="badge ${statusClass(p.status)}">${e(statusLabel(p.status))}</span></td><td>${p.runs}</td>` +
      `<td>${e(p.abilities)}</td><td>${e(p.steering)}</td>` +
      `<td>${(Math.max(0, p.durationMs || 0) / 1000).toFixed(3)} s</td><td>${p.reason !== undefined ? e(p.reason) : ""}</td></tr>`,
  )
  .join("\n")}
</tbody></table>
<h2>Run</h2>
<table class="header"><tbody>
${d.header.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join("\n")}
</tbody></table>
<script type="application/json" id="run-data">${scriptJson(d)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export function renderHtml(run: ConformanceRun, options: HtmlOptions = {}): string {
  return renderHtmlData(htmlData(run, options));
}
