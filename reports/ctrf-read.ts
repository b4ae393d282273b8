/**
 * Reading a CTRF report written by reports/ctrf.ts back into a `ConformanceRun` (for `merge`
 * and `compare`), and merging runs. Everything the suite needs is in the tests' `extra`.
 */
import { readFileSync } from "node:fs";
import type { CtrfReport, CtrfTest } from "./ctrf.js";
import type { ConformanceRun, PropertyFailure, PropertyResult, PropertyStatus, RunMutationScore } from "./types.js";

/** A report file that is not a capos-conform CTRF report. */
export class ReportError extends Error {
  override readonly name = "ReportError";
}

const STATUSES: readonly PropertyStatus[] = ["passed", "failed", "xfail", "xpass", "skipped", "unsupported"];

function resultOf(t: CtrfTest, file: string): PropertyResult {
  const x = (t.extra ?? {}) as Record<string, unknown>;
  const status = x["status"] as PropertyStatus;
  if (typeof x["property"] !== "string" || !STATUSES.includes(status)) throw new ReportError(`${file}: test "${t.name}" has no capos-conform property and status in its extra`);
  const str = (k: string) => (typeof x[k] === "string" ? { [k]: x[k] as string } : {});
  const failure: PropertyFailure | undefined =
    typeof x["repro"] === "string"
      ? {
          repro: x["repro"],
          message: typeof x["failureMessage"] === "string" ? x["failureMessage"] : (t.message ?? ""),
          seed: Number(x["seed"]),
          ...str("path"),
          ...str("schedule"),
          ...str("scheduleId"),
          ...(typeof x["elfSha256"] === "string" ? { elfSha256: x["elfSha256"] } : {}),
          ...str("artefact"),
          ...(x["counterexample"] !== undefined ? { counterexample: x["counterexample"] } : {}),
          ...(Array.isArray(x["allowed"]) ? { allowed: x["allowed"] as string[] } : {}),
          ...(Array.isArray(x["observed"]) ? { observed: x["observed"] as string[] } : {}),
          ...(x["explanation"] !== undefined ? { explanation: x["explanation"] as PropertyFailure["explanation"] } : {}),
          ...(t.trace ? { trace: t.trace.split("\n").slice(1) } : {}),
        }
      : undefined;
  return {
    property: x["property"],
    group: typeof x["group"] === "string" ? x["group"] : "",
    title: typeof x["title"] === "string" ? x["title"] : t.name,
    clauses: Array.isArray(x["clauses"]) ? (x["clauses"] as string[]) : [],
    status,
    ...(typeof x["reason"] === "string" ? { reason: x["reason"] } : {}),
    durationMs: t.duration,
    runs: Number(x["runs"] ?? 0),
    seed: Number(x["seed"]),
    ...(failure ? { failure } : {}),
  };
}

export function readCtrfRun(file: string): ConformanceRun {
  let report: CtrfReport;
  try {
    report = JSON.parse(readFileSync(file, "utf8")) as CtrfReport;
  } catch (e) {
    throw new ReportError(`${file}: ${(e as Error).message}`);
  }
  if (report?.reportFormat !== "CTRF" || !Array.isArray(report.results?.tests)) throw new ReportError(`${file}: not a CTRF report`);
  const x = (report.extra ?? {}) as Record<string, unknown>;
  const impl = x["implementation"] as ConformanceRun["implementation"] | undefined;
  if (!impl || typeof impl.id !== "string") throw new ReportError(`${file}: not written by capos-conform (no implementation in extra)`);
  const s = report.results.summary;
  return {
    tool: { name: report.results.tool.name, version: report.results.tool.version ?? "" },
    implementation: impl,
    seed: Number(x["seed"]),
    ...(typeof x["shard"] === "string" ? { shard: x["shard"] } : {}),
    startedAt: new Date(s.start).toISOString(),
    finishedAt: new Date(s.stop).toISOString(),
    elfs: (x["elfs"] as Record<string, string>) ?? {},
    results: report.results.tests.map((t) => resultOf(t, file)),
    ...(x["mutationScore"] !== undefined ? { mutationScore: x["mutationScore"] as RunMutationScore } : {}),
    ...(report.results.environment?.extra ? { environment: Object.fromEntries(Object.entries(report.results.environment.extra).filter(([k]) => k !== "binding" && k !== "mutant").map(([k, v]) => [k, String(v)])) } : {}),
  };
}

/**
 * One run from several (the shards of a campaign): they must be of the same implementation,
 * binding, mutant and seed; each property may appear once. Results keep the order of
 * `order` (the suite's property order) when given, else the order of the inputs.
 */
export function mergeRuns(runs: readonly { file: string; run: ConformanceRun }[], order?: readonly string[]): ConformanceRun {
  if (runs.length === 0) throw new ReportError("nothing to merge");
  const first = runs[0]!;
  const key = (r: ConformanceRun) => JSON.stringify([r.implementation.id, r.implementation.version, r.implementation.binding, r.implementation.mutant ?? null, r.seed]);
  const seen = new Map<string, string>();
  const results: PropertyResult[] = [];
  for (const { file, run } of runs) {
    if (key(run) !== key(first.run)) throw new ReportError(`${file}: a run of ${run.implementation.id} (seed ${run.seed}) cannot merge with ${first.file}, a run of ${first.run.implementation.id} (seed ${first.run.seed})`);
    for (const r of run.results) {
      const other = seen.get(r.property);
      if (other) throw new ReportError(`${file}: property ${r.property} is also in ${other}`);
      seen.set(r.property, file);
      results.push(r);
    }
  }
  const rank = new Map((order ?? []).map((id, i) => [id, i]));
  if (order) results.sort((a, b) => (rank.get(a.property) ?? Infinity) - (rank.get(b.property) ?? Infinity));
  const { shard: _shard, ...rest } = first.run;
  return {
    ...rest,
    startedAt: runs.map((r) => r.run.startedAt).sort()[0]!,
    finishedAt: runs.map((r) => r.run.finishedAt).sort().at(-1)!,
    elfs: Object.assign({}, ...runs.map((r) => r.run.elfs)),
    results,
  };
}

/** What changed between two runs of the suite, by property. */
export interface RunComparison {
  /** Failing now, not failing before (or new). */
  readonly newFailures: readonly PropertyResult[];
  /** Failing before, passing now. */
  readonly fixed: readonly PropertyResult[];
  /** Any other change of status, or a failure with another message. */
  readonly changed: readonly { readonly before: PropertyResult; readonly after: PropertyResult }[];
  /** In one run only (and not a new failure). */
  readonly added: readonly PropertyResult[];
  readonly removed: readonly PropertyResult[];
}

const failing = (r: PropertyResult) => r.status === "failed" || r.status === "xpass";

export function compareRuns(before: ConformanceRun, after: ConformanceRun): RunComparison {
  const old = new Map(before.results.map((r) => [r.property, r]));
  const now = new Set(after.results.map((r) => r.property));
  const newFailures: PropertyResult[] = [];
  const fixed: PropertyResult[] = [];
  const changed: { before: PropertyResult; after: PropertyResult }[] = [];
  const added: PropertyResult[] = [];
  for (const a of after.results) {
    const b = old.get(a.property);
    if (failing(a) && (!b || !failing(b))) newFailures.push(a);
    else if (!b) added.push(a);
    else if (failing(b) && a.status === "passed") fixed.push(a);
    else if (a.status !== b.status || (failing(a) && a.failure?.message !== b.failure?.message)) changed.push({ before: b, after: a });
  }
  return { newFailures, fixed, changed, added, removed: before.results.filter((r) => !now.has(r.property)) };
}
