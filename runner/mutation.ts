/**
 * Mutation score (issue 18): the fixed-seed default `run` configuration against each seeded
 * bug of the emulator (emulator/capos/mutants.ts). A mutant is caught when some property
 * fails; the run stops at the first failing property, so a caught mutant costs little and a
 * missed one costs one full run.
 */
import { ALL_PROPERTIES } from "../properties/index.js";
import { DEFAULT_BINDING } from "../spec/binding.js";
import { MUTANTS } from "../emulator/capos/index.js";
import { emulatorImplementation } from "./adapters/emulator.js";
import { runConformance, type RunConfig } from "./run.js";
import { resolveAgent } from "./setup.js";

export interface MutantOutcome {
  readonly mutant: string;
  readonly clauses: readonly string[];
  readonly description: string;
  /** The table's note when the bug is known to be out of today's reach. */
  readonly uncaught?: string;
  /** The first property that failed, or null when the run passed (missed). */
  readonly caughtBy: string | null;
  readonly message?: string;
  readonly repro?: string;
  /** fast-check path of the shrunk case (for replay). */
  readonly path?: string;
  /** fc.commands replayPath of the shrunk case (command-based properties). */
  readonly commandsPath?: string;
  /** The shrunk counterexample as JSON (reports, size checks). */
  readonly counterexample?: unknown;
  readonly durationMs: number;
}

export interface MutationOptions {
  readonly seed: number;
  /** Scale every property's default runs (1 = the `conform run` default). */
  readonly runsScale?: number;
  readonly maxInsns?: number;
}

export function mutantInfo(name: string) {
  const m = MUTANTS.find((x) => x.name === name);
  if (!m) throw new Error(`unknown mutant ${name}`);
  return m;
}

/** Run the conformance configuration against one mutant, stopping at its first failure. */
export async function runMutant(name: string, o: MutationOptions): Promise<MutantOutcome> {
  const info = mutantInfo(name);
  const started = Date.now();
  const cfg: RunConfig = {
    impl: await emulatorImplementation({ binding: DEFAULT_BINDING, mutant: name }),
    binding: DEFAULT_BINDING,
    bindingName: "default",
    agent: resolveAgent(),
    properties: ALL_PROPERTIES,
    seed: o.seed,
    mutant: name,
    stopOnFailure: true,
    ...(o.runsScale !== undefined ? { runsScale: o.runsScale } : {}),
    ...(o.maxInsns !== undefined ? { maxInsns: o.maxInsns } : {}),
  };
  const run = await runConformance(cfg);
  const bad = run.results.find((r) => r.status === "failed" || r.status === "xpass");
  const note = (info as { uncaught?: string }).uncaught;
  const base = { mutant: name, clauses: info.clauses, description: info.description, ...(note ? { uncaught: note } : {}), durationMs: Date.now() - started };
  if (!bad) return { ...base, caughtBy: null };
  return {
    ...base,
    caughtBy: bad.property,
    ...(bad.failure
      ? { message: bad.failure.message, repro: bad.failure.repro, path: bad.failure.path, ...(bad.failure.commandsPath ? { commandsPath: bad.failure.commandsPath } : {}), counterexample: bad.failure.counterexample }
      : {}),
  };
}

/** One line per mutant and the score line. */
export function formatScore(outcomes: readonly MutantOutcome[]): string[] {
  const lines = outcomes.map((o) =>
    o.caughtBy
      ? `caught  ${o.mutant.padEnd(30)} by ${o.caughtBy} [${o.clauses.join(" ")}] (${o.durationMs} ms)`
      : `MISSED  ${o.mutant.padEnd(30)} [${o.clauses.join(" ")}] ${o.description}${o.uncaught ? ` (known gap: ${o.uncaught})` : ""}`,
  );
  const caught = outcomes.filter((o) => o.caughtBy).length;
  lines.push(`caught ${caught}/${outcomes.length}`);
  return lines;
}

/**
 * Size of a shrunk counterexample: script threads and ops for agent scripts
 * (`{ script: { threads: [[op...]...] } }`); one thread and the length of its top-level list
 * (SQEs, defects...) or 0 for anything else (a probe index, a TLS layout).
 */
export function reproSize(counterexample: unknown): { threads: number; ops: number } {
  const c = counterexample as { script?: { threads?: unknown[][] } } | unknown[] | null;
  if (c && !Array.isArray(c) && typeof c === "object" && Array.isArray(c.script?.threads)) {
    const threads = c.script.threads;
    return { threads: threads.length, ops: threads.reduce((n, t) => n + (Array.isArray(t) ? t.length : 0), 0) };
  }
  if (Array.isArray(c)) return { threads: 1, ops: c.length };
  if (c && typeof c === "object") {
    const lists = Object.values(c).filter(Array.isArray) as unknown[][];
    return { threads: 1, ops: lists.reduce((n, l) => n + l.length, 0) };
  }
  return { threads: 1, ops: 0 };
}
