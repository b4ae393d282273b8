/**
 * CTRF (Common Test Report Format) JSON report of a conformance run.
 *
 * Validated in the tests against reports/schema/ctrf.schema.json (see reports/schema/README.md).
 * Status mapping:
 *   passed -> passed; failed, xpass -> failed; skipped -> skipped;
 *   unsupported -> skipped (rawStatus "unsupported": the property was not run);
 *   xfail -> other (rawStatus "xfail").
 * `rawStatus` always carries the suite's own status. Everything CTRF has no field for (clause
 * ids, seed, replay path, schedule, implementation, ELF hashes, repro line, counterexample) is
 * in each test's `extra`.
 */
import type { ConformanceRun, PropertyResult, PropertyStatus } from "./types.js";
import { clauseStatement, computeTotals, displayName, epochMs, isFailing, jsonReady, runDurationMs } from "./summary.js";

/** The CTRF specification version these reports follow. */
export const CTRF_SPEC_VERSION = "0.0.0";

export type CtrfStatus = "passed" | "failed" | "skipped" | "pending" | "other";

export interface CtrfTest {
  name: string;
  status: CtrfStatus;
  duration: number;
  start?: number;
  stop?: number;
  suite?: string[];
  message?: string;
  trace?: string;
  rawStatus?: string;
  tags?: string[];
  labels?: Record<string, string | number | boolean | (string | number | boolean)[]>;
  type?: string;
  filePath?: string;
  parameters?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export interface CtrfReport {
  reportFormat: "CTRF";
  specVersion: string;
  timestamp?: string;
  generatedBy?: string;
  extra?: Record<string, unknown>;
  results: {
    tool: { name: string; version?: string; extra?: Record<string, unknown> };
    summary: {
      tests: number;
      passed: number;
      failed: number;
      skipped: number;
      pending: number;
      other: number;
      suites?: number;
      start: number;
      stop: number;
      duration?: number;
      extra?: Record<string, unknown>;
    };
    tests: CtrfTest[];
    environment?: {
      appName?: string;
      appVersion?: string;
      osPlatform?: string;
      extra?: Record<string, unknown>;
    };
    extra?: Record<string, unknown>;
  };
}

export interface CtrfOptions {
  /** Put each cited clause's statement into the test's `extra.clauseStatements`. Default true. */
  readonly statements?: boolean;
}

export function ctrfStatus(status: PropertyStatus): CtrfStatus {
  switch (status) {
    case "passed":
      return "passed";
    case "failed":
    case "inconclusive":
    case "xpass":
      return "failed";
    case "skipped":
    case "unsupported":
      return "skipped";
    case "xfail":
      return "other";
  }
}

const int = (n: number): number => (Number.isFinite(n) ? Math.max(0, Math.round(n)) : 0);

function message(r: PropertyResult): string | undefined {
  switch (r.status) {
    case "failed":
      return r.failure ? r.failure.message : "property failed (no failure details recorded)";
    case "inconclusive":
      return r.failure ? r.failure.message : "the oracle could not decide a case";
    case "xpass":
      return `unexpectedly passed: expected failure${r.reason ? `: ${r.reason}` : ""}`;
    case "xfail":
      return `expected failure${r.reason ? `: ${r.reason}` : ""}${r.failure ? ` (${r.failure.message})` : ""}`;
    case "skipped":
    case "unsupported":
      return r.reason ?? r.status;
    case "passed":
      return undefined;
  }
}

function trace(r: PropertyResult): string | undefined {
  const f = r.failure;
  if (!f) return undefined;
  const lines = [`repro: ${f.repro}`];
  if (f.trace && f.trace.length > 0) lines.push(...f.trace);
  return lines.join("\n");
}

function testOf(run: ConformanceRun, r: PropertyResult, statements: boolean): CtrfTest {
  const f = r.failure;
  const extra: Record<string, unknown> = {
    property: r.property,
    title: r.title,
    group: r.group,
    clauses: [...r.clauses],
    status: r.status,
    seed: f?.seed ?? r.seed,
    runs: r.runs,
    implementation: { id: run.implementation.id, version: run.implementation.version },
    elfs: { ...run.elfs },
    ...(r.abilities !== undefined ? { abilities: [...r.abilities] } : {}),
    ...(r.steering !== undefined ? { steering: { ...r.steering } } : {}),
  };
  if (statements) {
    const st: Record<string, string> = {};
    for (const c of r.clauses) {
      const s = clauseStatement(c);
      if (s !== undefined) st[c] = s;
    }
    extra.clauseStatements = st;
  }
  if (r.reason !== undefined) extra.reason = r.reason;
  if (f) {
    extra.repro = f.repro;
    extra.failureMessage = f.message;
    if (f.path !== undefined) extra.path = f.path;
    if (f.schedule !== undefined) extra.schedule = f.schedule;
    if (f.scheduleId !== undefined) extra.scheduleId = f.scheduleId;
    if (f.elfSha256 !== undefined) extra.elfSha256 = f.elfSha256;
    if (f.artefact !== undefined) extra.artefact = f.artefact;
    if (f.counterexample !== undefined) extra.counterexample = jsonReady(f.counterexample);
    if (f.allowed !== undefined) extra.allowed = [...f.allowed];
    if (f.observed !== undefined) extra.observed = [...f.observed];
    if (f.explanation !== undefined) extra.explanation = jsonReady(f.explanation);
  }
  const t: CtrfTest = {
    name: displayName(r),
    status: ctrfStatus(r.status),
    duration: int(r.durationMs),
    suite: [r.group || "(ungrouped)"],
    rawStatus: r.status,
    tags: [...r.clauses],
    labels: { property: r.property, seed: f?.seed ?? r.seed, implementation: run.implementation.id },
    type: "property",
    extra,
  };
  const m = message(r);
  if (m !== undefined) t.message = m;
  const tr = trace(r);
  if (tr !== undefined) t.trace = tr;
  return t;
}

export function toCtrf(run: ConformanceRun, options: CtrfOptions = {}): CtrfReport {
  const statements = options.statements ?? true;
  const tests = run.results.map((r) => testOf(run, r, statements));
  const totals = computeTotals(run);
  const start = int(epochMs(run.startedAt) ?? 0);
  const stop = Math.max(start, int(epochMs(run.finishedAt) ?? start));
  const n = (s: CtrfStatus) => tests.filter((t) => t.status === s).length;
  const impl = run.implementation;
  const implExtra: Record<string, unknown> = { binding: impl.binding };
  if (impl.mutant !== undefined) implExtra.mutant = impl.mutant;
  const report: CtrfReport = {
    reportFormat: "CTRF",
    specVersion: CTRF_SPEC_VERSION,
    generatedBy: `${run.tool.name} ${run.tool.version}`,
    extra: {
      seed: run.seed,
      ...(run.shard !== undefined ? { shard: run.shard } : {}),
      implementation: { ...impl },
      elfs: { ...run.elfs },
      conforming: totals.ok,
      ...(run.mutationScore !== undefined ? { mutationScore: run.mutationScore } : {}),
    },
    results: {
      tool: { name: run.tool.name || "capos-conform", version: run.tool.version },
      summary: {
        tests: tests.length,
        passed: n("passed"),
        failed: n("failed"),
        skipped: n("skipped"),
        pending: n("pending"),
        other: n("other"),
        suites: new Set(run.results.map((r) => r.group)).size,
        start,
        stop,
        duration: int(runDurationMs(run)),
        extra: {
          xfail: totals.xfail,
          xpass: totals.xpass,
          unsupported: totals.unsupported,
          failingProperties: run.results.filter((r) => isFailing(r.status)).map((r) => r.property),
        },
      },
      tests,
      environment: {
        appName: impl.id,
        appVersion: impl.version,
        extra: { ...implExtra, ...(run.environment ?? {}) },
      },
    },
  };
  const ts = epochMs(run.finishedAt);
  if (ts !== undefined) report.timestamp = new Date(ts).toISOString();
  return report;
}

/** The CTRF report as JSON text (2-space indented, trailing newline). */
export function renderCtrf(run: ConformanceRun, options: CtrfOptions = {}): string {
  return JSON.stringify(toCtrf(run, options), null, 2) + "\n";
}
