/**
 * JUnit XML report of a conformance run, in the shape Jenkins/Surefire consumers accept
 * (validated in the tests against reports/schema/junit-10.xsd).
 *
 * - one <testsuite> per clause group, one <testcase> per property; the testcase name is the
 *   property id followed by its clause ids (`park.drain-on-unmap [PARK-6 PARKX-6]`) and the
 *   classname is the group;
 * - failed and xpass -> <failure message="..." type="failed|xpass"> whose message has the
 *   failure message and the repro line, and whose body has repro, seed, path, schedule,
 *   counterexample, allowed/observed and the trace;
 * - skipped / unsupported -> <skipped message="reason"/>; xfail -> <skipped
 *   message="expected failure: reason"/> (JUnit has no expected-failure state);
 * - suite <properties> carry seed, implementation, binding, mutant, tool and ELF hashes; the
 *   per-property seed and replay data go to the testcase's <system-out>.
 * Text is built with xmlbuilder2 (which escapes markup); characters XML 1.0 cannot carry at all
 * (NUL, most C0 controls, lone surrogates, U+FFFE/FFFF) are replaced by a visible `\u{..}`.
 */
import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import type { ConformanceRun, PropertyResult } from "./types.js";
import { computeTotals, displayName, formatMutationScore, isFailing, runDurationMs, toJsonText } from "./summary.js";

// XML 1.0 Char production, complemented. With the `u` flag lone surrogates are matched too.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe for an XML 1.0 text node (markup escaping is left to the builder). */
export function xmlText(s: string): string {
  return s.replace(NOT_XML_CHAR, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * Text safe for an XML attribute. Line breaks and tabs would be normalised to spaces by any
 * reader, so they are folded to spaces here and what is read back equals what was written.
 */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\r\n|[\r\n\t]/g, " ");
}

const seconds = (ms: number): string => ((Number.isFinite(ms) ? Math.max(0, ms) : 0) / 1000).toFixed(3);

function failureBody(r: PropertyResult): string {
  const f = r.failure;
  if (!f) return r.status === "xpass" ? `passed although expected to fail${r.reason ? `: ${r.reason}` : ""}` : "(no failure details recorded)";
  const lines: string[] = [`repro: ${f.repro}`, `message: ${f.message}`, `seed: ${f.seed}`];
  if (f.path !== undefined) lines.push(`path: ${f.path}`);
  if (f.schedule !== undefined) lines.push(`schedule: ${f.schedule}${f.scheduleId !== undefined ? ` (${f.scheduleId})` : ""}`);
  if (f.elfSha256 !== undefined) lines.push(`elf sha256: ${f.elfSha256}`);
  if (f.artefact !== undefined) lines.push(`artefact: ${f.artefact}`);
  if (f.counterexample !== undefined) lines.push("counterexample:", toJsonText(f.counterexample));
  if (f.allowed && f.allowed.length > 0) lines.push("model allows:", ...f.allowed.map((a) => `  ${a}`));
  if (f.observed && f.observed.length > 0) lines.push("observed:", ...f.observed.map((o) => `  ${o}`));
  if (f.trace && f.trace.length > 0) lines.push("trace:", ...f.trace.map((t) => `  ${t}`));
  return lines.join("\n");
}

function failureMessage(r: PropertyResult): string {
  const f = r.failure;
  const head =
    r.status === "xpass"
      ? `unexpectedly passed (expected failure${r.reason ? `: ${r.reason}` : ""})`
      : (f?.message ?? "property failed");
  return f ? `${head} | repro: ${f.repro}` : head;
}

function skippedMessage(r: PropertyResult): string {
  if (r.status === "xfail") return `expected failure: ${r.reason ?? "(no reason given)"}`;
  if (r.status === "unsupported") return r.reason ? `unsupported: ${r.reason}` : "unsupported";
  return r.reason ?? "skipped";
}

function addTestcase(suite: XMLBuilder, r: PropertyResult): void {
  const tc = suite.ele("testcase", {
    name: xmlAttr(displayName(r)),
    classname: xmlAttr(r.group),
    time: seconds(r.durationMs),
  });
  if (isFailing(r.status)) {
    tc.ele("failure", { message: xmlAttr(failureMessage(r)), type: r.status }).txt(xmlText(failureBody(r)));
  } else if (r.status === "skipped" || r.status === "unsupported" || r.status === "xfail") {
    const sk = tc.ele("skipped", { message: xmlAttr(skippedMessage(r)) });
    if (r.status === "xfail" && r.failure) sk.txt(xmlText(failureBody(r)));
  }
  const out = [`property: ${r.property}`, `title: ${r.title}`, `status: ${r.status}`, `seed: ${r.seed}`, `runs: ${r.runs}`];
  if (r.clauses.length > 0) out.push(`clauses: ${r.clauses.join(" ")}`);
  tc.ele("system-out").txt(xmlText(out.join("\n")));
}

export function renderJUnit(run: ConformanceRun): string {
  const totals = computeTotals(run);
  const impl = run.implementation;
  const doc = create({ version: "1.0", encoding: "UTF-8" });
  const root = doc.ele("testsuites", {
    name: xmlAttr(`${run.tool.name} ${impl.id} ${impl.version}`),
    tests: String(totals.total),
    failures: String(totals.failed),
    errors: "0",
    time: seconds(runDurationMs(run)),
  });
  const groups = new Map<string, PropertyResult[]>();
  for (const r of run.results) {
    let g = groups.get(r.group);
    if (!g) groups.set(r.group, (g = []));
    g.push(r);
  }
  for (const [group, results] of groups) {
    const suite = root.ele("testsuite", {
      name: xmlAttr(group),
      tests: String(results.length),
      failures: String(results.filter((r) => isFailing(r.status)).length),
      errors: "0",
      skipped: String(results.filter((r) => r.status === "skipped" || r.status === "unsupported" || r.status === "xfail").length),
      time: seconds(results.reduce((a, r) => a + (Number.isFinite(r.durationMs) ? Math.max(0, r.durationMs) : 0), 0)),
      timestamp: xmlAttr(run.startedAt),
    });
    const props = suite.ele("properties");
    const prop = (name: string, value: string | number) => props.ele("property", { name: xmlAttr(name), value: xmlAttr(String(value)) });
    prop("seed", run.seed);
    prop("implementation", impl.id);
    prop("implementation.version", impl.version);
    prop("binding", impl.binding);
    if (impl.mutant !== undefined) prop("mutant", impl.mutant);
    if (run.mutationScore !== undefined) prop("mutationScore", formatMutationScore(run.mutationScore));
    prop("tool", `${run.tool.name} ${run.tool.version}`);
    prop("startedAt", run.startedAt);
    prop("finishedAt", run.finishedAt);
    for (const [name, hash] of Object.entries(run.elfs)) prop(`elf.${name}`, hash);
    for (const [k, v] of Object.entries(run.environment ?? {})) prop(`env.${k}`, v);
    for (const r of results) addTestcase(suite, r);
  }
  return doc.end({ prettyPrint: true }) + "\n";
}
