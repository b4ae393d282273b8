/**
 * Derived views of a `ConformanceRun` shared by every report format: totals, the
 * clause-by-clause matrix and clause statements. Pure functions, no I/O.
 */
import { CLAUSES } from "../spec/clauses/index.js";
import type { ConformanceRun, PropertyResult, PropertyStatus, RunMutationScore } from "./types.js";

export interface Totals {
  /** Number of properties in the run. */
  readonly total: number;
  readonly passed: number;
  /** failed + inconclusive + xpass: everything that makes the run fail. */
  readonly failed: number;
  /** The subset of `failed` that passed although expected to fail. */
  readonly xpass: number;
  /** The subset of `failed` whose oracle could not decide a case. */
  readonly inconclusive: number;
  readonly xfail: number;
  readonly skipped: number;
  readonly unsupported: number;
  /** True when no property failed or unexpectedly passed. */
  readonly ok: boolean;
  /** Sum of the property durations, in milliseconds. */
  readonly durationMs: number;
}

/** True for the statuses that make the run fail. */
export function isFailing(status: PropertyStatus): boolean {
  return status === "failed" || status === "inconclusive" || status === "xpass";
}

export function computeTotals(run: ConformanceRun): Totals {
  const count = (s: PropertyStatus) => run.results.filter((r) => r.status === s).length;
  const xpass = count("xpass");
  const inconclusive = count("inconclusive");
  const failed = count("failed") + xpass + inconclusive;
  return {
    total: run.results.length,
    passed: count("passed"),
    failed,
    xpass,
    inconclusive,
    xfail: count("xfail"),
    skipped: count("skipped"),
    unsupported: count("unsupported"),
    ok: failed === 0,
    durationMs: run.results.reduce((a, r) => a + (Number.isFinite(r.durationMs) ? Math.max(0, r.durationMs) : 0), 0),
  };
}

/** Status of one clause, aggregated over the properties that cite it. */
export type ClauseVerdict = "fail" | "expected fail" | "pass" | "unsupported" | "skipped";

/**
 * Precedence when several properties cite one clause: any failure (or unexpected pass) fails
 * the clause; otherwise an expected failure marks it; otherwise one passing property passes it;
 * a clause that was not checked at all is unsupported if any citing property was, else skipped.
 */
const VERDICT_ORDER: readonly ClauseVerdict[] = ["fail", "expected fail", "pass", "unsupported", "skipped"];

export function verdictOf(status: PropertyStatus): ClauseVerdict {
  switch (status) {
    case "passed":
      return "pass";
    case "failed":
    case "inconclusive":
    case "xpass":
      return "fail";
    case "xfail":
      return "expected fail";
    case "skipped":
      return "skipped";
    case "unsupported":
      return "unsupported";
  }
}

/** Short human label of a property status. */
export function statusLabel(status: PropertyStatus): string {
  switch (status) {
    case "passed":
      return "pass";
    case "failed":
      return "fail";
    case "xpass":
      return "fail (unexpected pass)";
    case "inconclusive":
      return "fail (inconclusive)";
    case "xfail":
      return "expected fail";
    case "skipped":
      return "skipped";
    case "unsupported":
      return "unsupported";
  }
}

export interface ClauseRow {
  readonly id: string;
  readonly verdict: ClauseVerdict;
  /** Statement from spec/clauses, undefined for ids the clause table does not know. */
  readonly statement?: string;
  readonly properties: readonly { readonly property: string; readonly status: PropertyStatus }[];
}

const CLAUSE_INDEX = new Map(CLAUSES.map((c, i) => [c.id, i]));
const CLAUSE_STATEMENT = new Map(CLAUSES.map((c) => [c.id, c.statement]));

export function clauseStatement(id: string): string | undefined {
  return CLAUSE_STATEMENT.get(id);
}

/**
 * One row per clause id cited by any property, in spec order (ids unknown to spec/clauses
 * come last, sorted).
 */
export function clauseMatrix(run: ConformanceRun): ClauseRow[] {
  const byClause = new Map<string, PropertyResult[]>();
  for (const r of run.results) {
    for (const id of new Set(r.clauses)) {
      let list = byClause.get(id);
      if (!list) byClause.set(id, (list = []));
      list.push(r);
    }
  }
  const ids = [...byClause.keys()].sort((a, b) => {
    const ia = CLAUSE_INDEX.get(a) ?? Number.MAX_SAFE_INTEGER;
    const ib = CLAUSE_INDEX.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ia !== ib ? ia - ib : a < b ? -1 : a > b ? 1 : 0;
  });
  return ids.map((id) => {
    const props = byClause.get(id)!;
    const verdicts = new Set(props.map((p) => verdictOf(p.status)));
    const verdict = VERDICT_ORDER.find((v) => verdicts.has(v))!;
    const statement = clauseStatement(id);
    return {
      id,
      verdict,
      ...(statement !== undefined ? { statement } : {}),
      properties: props.map((p) => ({ property: p.property, status: p.status })),
    };
  });
}

/** Display name of a property: its id followed by the clause ids it checks. */
export function displayName(r: PropertyResult): string {
  return r.clauses.length > 0 ? `${r.property} [${r.clauses.join(" ")}]` : r.property;
}

/** Milliseconds since the epoch of an ISO timestamp, or undefined when it does not parse. */
export function epochMs(iso: string): number | undefined {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/** Wall-clock duration of the run in ms (finishedAt - startedAt), falling back to the property sum. */
export function runDurationMs(run: ConformanceRun): number {
  const a = epochMs(run.startedAt);
  const b = epochMs(run.finishedAt);
  if (a !== undefined && b !== undefined && b >= a) return b - a;
  return computeTotals(run).durationMs;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with lone surrogates (not encodable as UTF-8) replaced by U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, "\uFFFD");
}

/** JSON-ready copy of arbitrary data: bigint as "123n", cycles as "[Circular]", functions dropped. */
export function jsonReady(value: unknown, ancestors: object[] = []): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.includes(value)) return "[Circular]";
  const next = [...ancestors, value];
  const maybe = value as { toJSON?: () => unknown };
  if (typeof maybe.toJSON === "function") return jsonReady(maybe.toJSON(), next);
  if (Array.isArray(value)) return value.map((v) => jsonReady(v, next) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = jsonReady(v, next);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** Pretty JSON text of arbitrary data (see `jsonReady`). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(jsonReady(value), null, 2) ?? "undefined";
}

/** "schedule 40", "guest delays 12, none 3", "none 60"; empty for a property that ran no case. */
export function steeringLabel(r: PropertyResult): string {
  const names = { schedule: "schedule control", "guest": "guest-carried delays", none: "none" } as const;
  return (Object.keys(names) as (keyof typeof names)[])
    .filter((k) => (r.steering?.[k] ?? 0) > 0)
    .map((k) => `${names[k]} ×${r.steering![k]}`)
    .join(", ");
}

/** The implementation abilities a property used: "schedule", "inspect" or "none". */
export function abilitiesLabel(r: PropertyResult): string {
  return r.abilities === undefined ? "" : r.abilities.length > 0 ? r.abilities.join(", ") : "none";
}

/** Clauses no property of the run cites, in spec order, with their status (FUTURE ones too). */
export function uncoveredClauses(run: ConformanceRun): { readonly id: string; readonly statement: string; readonly future: boolean }[] {
  const cited = new Set(run.results.flatMap((r) => r.clauses));
  return CLAUSES.filter((c) => !cited.has(c.id)).map((c) => ({ id: c.id, statement: c.statement, future: c.status === "FUTURE" }));
}

/** The mutation score as one line (terminal, report headers). */
export function formatMutationScore(s: RunMutationScore): string {
  if (s.notMeasured !== undefined) return `not measured for this configuration: ${s.notMeasured}`;
  return `caught ${s.caught}/${s.total} seeded kernel bugs${s.missed.length > 0 ? ` (missed: ${s.missed.join(", ")})` : ""}`;
}
