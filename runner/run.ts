/**
 * The conformance runner: every selected property against one implementation, each as a
 * fast-check run with a fixed seed (or a fresh one when fuzzing), shrinking failures and
 * turning each into a one-line reproduction and a JSON artefact.
 */
import fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import { encodeSchedule, formatDuration, scheduleId, type Steering } from "../spec/run-protocol.js";
import type { ConformanceRun, PropertyFailure, PropertyReach, PropertyResult } from "../reports/types.js";
import type { AgentImage } from "../generators/agent-image.js";
import { globToRegExp } from "../spec/clauses/index.js";
import { NO_EXPECTATIONS, expectationFor, type Expectations } from "./expectations.js";
import type { Ability, Implementation } from "../spec/implementation.js";
import { toJsonData, type ConformanceProperty, type PropertyContext, type Verdict } from "../properties/property.js";
import { formatRepro, type Repro } from "./repro.js";
import { NothingSelectedError } from "./errors.js";
import { packageInfo } from "./package-info.js";

/** Guest instructions per process of a case unless the run says otherwise. */
export const DEFAULT_CASE_MAX_INSNS = 5_000_000;

export interface RunConfig {
  readonly impl: Implementation;
  readonly binding: Binding;
  readonly bindingName: string;
  readonly agent: AgentImage;
  readonly properties: readonly ConformanceProperty[];
  readonly seed: number;
  /** Cases per property; defaults to each property's own `runs`. */
  readonly runs?: number;
  /** Scale every property's default runs (e.g. 0.25 in npm test). */
  readonly runsScale?: number;
  readonly filter?: RegExp;
  /** Clause glob such as `PARK-*`: keep properties citing a matching clause. */
  readonly clause?: string;
  readonly expectations?: Expectations;
  readonly maxInsns?: number;
  /** The checker's search budget per case (states); past it a case is inconclusive. */
  readonly checkerMaxStates?: number;
  readonly mutant?: string;
  /** The --case-timeout the implementation was built with, for repro lines. */
  readonly caseTimeoutMs?: number;
  /** Run only this shard of the selected properties (see shardOf). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Wall-clock limit of this property's run in ms (fuzzing); stops at the first failure too. */
  readonly timeLimitMs?: number;
  readonly stopOnFailure?: boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly kind: "start"; readonly property: string; readonly index: number; readonly total: number }
  /** A generated case ran. */
  | { readonly kind: "case"; readonly property: string }
  /** A shrinking step ran (a smaller variant of the failing case); not a case of the budget. */
  | { readonly kind: "shrink"; readonly property: string; readonly steps: number }
  | { readonly kind: "done"; readonly result: PropertyResult };

export function selectProperties(all: readonly ConformanceProperty[], filter?: RegExp, clause?: string): ConformanceProperty[] {
  const clauseRe = clause ? globToRegExp(clause) : undefined;
  return all.filter((p) => (!filter || filter.test(p.id)) && (!clauseRe || p.clauses.some((c) => clauseRe.test(c))));
}

/**
 * Shard `index` of `count` (1-based): the selected properties dealt round-robin in their
 * fixed order. Every shard runs its properties exactly as the unsharded run would (same seed,
 * same cases), so the shards' merged results equal the unsharded run's.
 */
export function shardOf<T>(selected: readonly T[], shard?: { readonly index: number; readonly count: number }): T[] {
  return shard ? selected.filter((_, i) => i % shard.count === shard.index - 1) : [...selected];
}

/** The properties a run or campaign covers: filter, clause, shard; none is an error. */
export function selectForRun(cfg: Pick<RunConfig, "properties" | "filter" | "clause" | "shard">): ConformanceProperty[] {
  const selected = selectProperties(cfg.properties, cfg.filter, cfg.clause);
  if (selected.length === 0) throw new NothingSelectedError(`no property matches${cfg.filter ? ` --filter ${cfg.filter.source}` : ""}${cfg.clause ? ` --clause ${cfg.clause}` : ""}`);
  const mine = shardOf(selected, cfg.shard);
  if (mine.length === 0) throw new NothingSelectedError(`shard ${cfg.shard!.index}/${cfg.shard!.count} holds none of the ${selected.length} selected properties`);
  return mine;
}

/** Run one property; the result carries the shrunk failure with its repro line. */
export async function runProperty(p: ConformanceProperty, cfg: RunConfig, seed: number, replayPath?: string, commandsPath?: string): Promise<PropertyResult> {
  const started = Date.now();
  const base = { property: p.id, group: p.group, title: p.title, clauses: p.clauses, seed, abilities: [...p.needs] };
  const expectation = expectationFor(cfg.expectations ?? NO_EXPECTATIONS, p.id);
  if (expectation?.expect === "skip") return { ...base, status: "skipped", reason: expectation.reason, durationMs: 0, runs: 0 };
  const missing = p.needs.filter((a) => !cfg.impl.supports[a]);
  if (missing.length > 0)
    return { ...base, status: "unsupported", reason: `needs ${missing.join(", ")}, which ${cfg.impl.id} does not offer`, durationMs: 0, runs: 0 };

  const ctx: PropertyContext = { binding: cfg.binding, impl: cfg.impl, agent: cfg.agent, maxInsns: cfg.maxInsns ?? DEFAULT_CASE_MAX_INSNS, ...(cfg.checkerMaxStates ? { checkerMaxStates: cfg.checkerMaxStates } : {}) };
  let cases = 0;
  const steering: Partial<Record<Steering, number>> = {};
  const tally = reachTally(p);
  // An undecided case does not stop the run (fast-check would shrink it, at a full search
  // budget per step); the first one is kept and reported as the property's verdict.
  let undecided: { index: number; c: unknown; verdict: Verdict } | undefined;
  // fast-check calls the predicate for generated cases until one fails, then only for
  // shrinking steps: count those apart so progress says "shrinking" instead of overrunning
  // the case budget.
  let shrinking = false;
  let shrinkSteps = 0;
  const prop = fc.asyncProperty(p.arbitrary(cfg.binding, cfg.impl, replayPath !== undefined ? commandsPath : undefined), async (c) => {
    if (shrinking) cfg.onProgress?.({ kind: "shrink", property: p.id, steps: ++shrinkSteps });
    else {
      cases++;
      cfg.onProgress?.({ kind: "case", property: p.id });
    }
    let ok = false;
    try {
      const v = await p.check(c, ctx);
      if (!shrinking) {
        const how = v.steering ?? "none";
        steering[how] = (steering[how] ?? 0) + 1;
        tally.add(v);
      }
      if (v.inconclusive) {
        if (!shrinking) undecided ??= { index: cases - 1, c, verdict: v };
        ok = true;
      } else ok = v.ok;
    } finally {
      if (!ok) shrinking = true;
    }
    return ok;
  });
  const defaultRuns = Math.max(1, Math.round(p.runs * (cfg.runsScale ?? 1)));
  const params: fc.Parameters<[unknown]> = {
    seed,
    numRuns: replayPath ? 1 : cfg.timeLimitMs ? 1_000_000 : (cfg.runs ?? defaultRuns),
    // A replay runs exactly the recorded case; a normal run shrinks to the end.
    endOnFailure: replayPath !== undefined,
    ...(replayPath ? { path: replayPath } : {}),
    ...(cfg.timeLimitMs ? { interruptAfterTimeLimit: cfg.timeLimitMs, markInterruptAsFailure: false } : {}),
  };
  const details = await fc.check(prop, params);
  const durationMs = Date.now() - started;
  // Abilities it needs, plus schedule control when a case was steered by it.
  const abilities: Ability[] = [...new Set<Ability>([...p.needs, ...(steering.schedule ? (["schedule"] as const) : [])])];
  const measured = { ...base, abilities, steering };
  const reach = tally.result();
  let result: PropertyResult;
  if (!details.failed && undecided) {
    // fast-check replays the i-th generated case of a seed with path "i".
    const repro: Repro = { impl: cfg.impl.id, seed, path: String(undecided.index), property: p.id, ...(cfg.mutant ? { mutant: cfg.mutant } : {}) };
    const v = undecided.verdict;
    const failure: PropertyFailure = {
      repro: formatRepro(repro),
      message: v.message ?? "the oracle could not decide",
      seed,
      path: repro.path,
      counterexample: toJsonData(p.describe(undecided.c)),
      ...(v.observed ? { observed: v.observed } : {}),
      ...(v.elfSha256 ? { elfSha256: v.elfSha256 } : {}),
    };
    result = { ...measured, status: "inconclusive", durationMs, runs: details.numRuns, failure, reach };
  } else if (!details.failed) {
    result = { ...measured, status: "passed", durationMs, runs: details.numRuns, reach };
  } else {
    const counterexample = details.counterexample?.[0];
    // Re-run the shrunk case to collect its verdict (the run is deterministic).
    let verdict: Verdict;
    try {
      verdict = await p.check(counterexample, { ...ctx, trace: true });
    } catch (e) {
      verdict = { ok: false, message: `the check threw: ${String(e)}` };
    }
    const commandsPathOf = p.commandsPathOf?.(counterexample);
    const repro: Repro = {
      impl: cfg.impl.id,
      seed,
      path: details.counterexamplePath ?? "",
      ...(commandsPathOf ? { commandsPath: commandsPathOf } : {}),
      property: p.id,
      ...(verdict.elfSha256 ? { elf: verdict.elfSha256 } : {}),
      ...(verdict.schedule ? { schedule: encodeSchedule(verdict.schedule) } : {}),
      ...(cfg.mutant ? { mutant: cfg.mutant } : {}),
      ...(cfg.caseTimeoutMs !== undefined ? { caseTimeout: formatDuration(cfg.caseTimeoutMs) } : {}),
      ...(cfg.bindingName !== "default" ? { binding: cfg.bindingName } : {}),
      ...(cfg.agent.name !== "default" ? { agent: cfg.agent.name } : {}),
    };
    const failure: PropertyFailure = {
      repro: formatRepro(repro),
      message: verdict.message ?? "the implementation's run is not allowed by the model",
      seed,
      path: repro.path,
      ...(repro.commandsPath ? { commandsPath: repro.commandsPath } : {}),
      ...(verdict.schedule ? { schedule: encodeSchedule(verdict.schedule), scheduleId: scheduleId(verdict.schedule) } : {}),
      ...(verdict.elfSha256 ? { elfSha256: verdict.elfSha256 } : {}),
      counterexample: toJsonData(p.describe(counterexample)),
      ...(verdict.allowed ? { allowed: verdict.allowed } : {}),
      ...(verdict.observed ? { observed: verdict.observed } : {}),
      ...(verdict.trace ? { trace: verdict.trace } : {}),
      ...(verdict.explanation ? { explanation: verdict.explanation } : {}),
    };
    result = { ...measured, status: "failed", durationMs, runs: details.numRuns, shrinkSteps: details.numShrinks, failure, reach };
  }
  if (expectation?.expect === "fail") {
    return result.status === "failed" || result.status === "inconclusive"
      ? { ...result, status: "xfail", reason: expectation.reason }
      : { ...result, status: "xpass", reason: `expected to fail (${expectation.reason}) but passed` };
  }
  return result;
}

/**
 * Counts what the main run's cases reached. Stops at the first failing case, so shrinking
 * (which re-runs smaller cases) does not skew the rates.
 */
function reachTally(p: ConformanceProperty): { add(v: Verdict): void; result(): PropertyReach } {
  let cases = 0;
  let stopped = false;
  const situations: Record<string, number> = {};
  const clauses: Record<string, number> = Object.fromEntries(p.clauses.map((c) => [c, 0]));
  const steering: Record<string, number> = {};
  if (p.situation) situations[p.situation] = 0;
  return {
    add(v) {
      if (stopped) return;
      if (!v.ok) {
        stopped = true;
        return;
      }
      cases++;
      for (const s of v.reach?.situations ?? []) situations[s] = (situations[s] ?? 0) + 1;
      // A linear search of the case's few judged IDs: cheaper than building a Set per case.
      const judged = v.reach?.judged;
      for (const c of p.clauses) if (!judged || judged.includes(c)) clauses[c]! += 1;
      if (v.steering) steering[v.steering] = (steering[v.steering] ?? 0) + 1;
    },
    result: () => ({ cases, ...(p.situation ? { situation: p.situation } : {}), situations, clauses, steering }),
  };
}

/** Properties whose named situation was reached in fewer than half of their measured cases, and cited clauses never judged. */
export function reachShortfalls(run: ConformanceRun): string[] {
  const out: string[] = [];
  for (const r of run.results) {
    const x = r.reach;
    if (!x || x.cases === 0) continue;
    if (x.situation && (x.situations[x.situation] ?? 0) * 2 < x.cases) out.push(`${r.property}: reached "${x.situation}" in ${x.situations[x.situation] ?? 0} of ${x.cases} cases (needs at least half)`);
    const never = Object.entries(x.clauses).filter(([, n]) => n === 0).map(([c]) => c);
    if (never.length > 0) out.push(`${r.property}: cites ${never.join(" ")} but no case judged them`);
  }
  return out;
}

/** One line per property: the named situation's rate, other situations, steering, unjudged clauses. */
export function formatReach(r: PropertyResult): string | undefined {
  const x = r.reach;
  if (!x || x.cases === 0) return undefined;
  const pct = (n: number) => `${Math.round((100 * n) / x.cases)}%`;
  const sits = Object.entries(x.situations)
    .sort(([a], [b]) => (a === x.situation ? -1 : b === x.situation ? 1 : a.localeCompare(b)))
    .map(([s, n]) => `${s === x.situation ? "*" : ""}${s} ${pct(n)}`);
  const steer = Object.entries(x.steering).map(([s, n]) => `${s} ${n}`);
  const never = Object.entries(x.clauses).filter(([, n]) => n === 0).map(([c]) => c);
  if (sits.length === 0 && steer.length === 0 && never.length === 0) return undefined;
  return `reach ${r.property} (${x.cases} cases): ${sits.join(", ") || "no situations"}${steer.length ? `; steering ${steer.join(", ")}` : ""}${never.length ? `; never judged: ${never.join(" ")}` : ""}`;
}

export async function runConformance(cfg: RunConfig): Promise<ConformanceRun> {
  const startedAt = new Date().toISOString();
  const selected = selectForRun(cfg);
  const results: PropertyResult[] = [];
  for (const [index, p] of selected.entries()) {
    cfg.onProgress?.({ kind: "start", property: p.id, index, total: selected.length });
    const r = await runProperty(p, cfg, cfg.seed);
    results.push(r);
    cfg.onProgress?.({ kind: "done", result: r });
    if (cfg.stopOnFailure && (r.status === "failed" || r.status === "inconclusive" || r.status === "xpass")) break;
  }
  return runRecord(cfg, results, startedAt);
}

/** A run's record for the reports: its results with the implementation and environment. */
export function runRecord(cfg: Pick<RunConfig, "impl" | "bindingName" | "mutant" | "shard" | "seed" | "agent">, results: readonly PropertyResult[], startedAt: string): ConformanceRun {
  return {
    tool: { name: "capos-conform", version: packageInfo().version },
    implementation: { id: cfg.impl.id, version: cfg.impl.version, binding: cfg.bindingName, ...(cfg.mutant ? { mutant: cfg.mutant } : {}) },
    ...(cfg.shard ? { shard: `${cfg.shard.index}/${cfg.shard.count}` } : {}),
    seed: cfg.seed,
    startedAt,
    finishedAt: new Date().toISOString(),
    elfs: { [cfg.agent.name]: cfg.agent.sha256 },
    results,
    environment: { node: process.version, platform: `${process.platform}-${process.arch}` },
  };
}

/** The run's verdict: failures, undecided properties and unexpected passes fail it. */
export function runFailed(run: ConformanceRun): boolean {
  return run.results.some((r) => r.status === "failed" || r.status === "inconclusive" || r.status === "xpass");
}
