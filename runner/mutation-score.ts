/**
 * The mutation score a report carries (issue 18): how many of the emulator's seeded kernel
 * bugs (emulator/capos/mutants.ts) the run's configuration catches. The score belongs to the
 * configuration (seed, properties, cases per property, agent, budgets), not to the
 * implementation under test: it says how much a PASS of this run is worth.
 *
 * `runner/mutation-score.json` holds the score of the fixed-seed default configuration, as
 * `capos-conform mutants --json` measures it; runner/test/mutation.test.ts measures it again
 * in `npm test` and fails when the committed file no longer says what the suite catches. A
 * run whose configuration differs says why the score does not apply instead of printing one.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RunMutationScore } from "../reports/types.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import type { MutantOutcome } from "./mutation.js";
import { resolveAgent } from "./setup.js";
import { DEFAULT_CASE_MAX_INSNS, type RunConfig } from "./run.js";

/** What `conform mutants --json` writes: the configuration measured and each mutant's outcome. */
export interface MutationScoreFile {
  readonly seed: number;
  readonly runsScale: number;
  /** Property ids of the configuration, in suite order. */
  readonly properties: readonly string[];
  /** The agent image the cases ran (its name and the sha256 of its bytes). */
  readonly agent: { readonly name: string; readonly sha256: string };
  readonly outcomes: readonly MutantOutcome[];
}

/** The score file of the default properties and agent at `seed`, `runsScale` with these outcomes. */
export function scoreFile(seed: number, runsScale: number, outcomes: readonly MutantOutcome[]): MutationScoreFile {
  const agent = resolveAgent();
  return { seed, runsScale, properties: ALL_PROPERTIES.map((p) => p.id), agent: { name: agent.name, sha256: agent.sha256 }, outcomes };
}

export const COMMITTED_SCORE_PATH = fileURLToPath(new URL("./mutation-score.json", import.meta.url));

/** The committed score of the default configuration, or why there is none. */
export function committedScore(): MutationScoreFile | string {
  try {
    return JSON.parse(readFileSync(COMMITTED_SCORE_PATH, "utf8")) as MutationScoreFile;
  } catch (e) {
    return `no committed score (${(e as Error).message.split("\n")[0]})`;
  }
}

/** The committed file's form: outcomes reduced to what stays the same from run to run. */
export function committedForm(f: MutationScoreFile): MutationScoreFile {
  return { ...f, outcomes: f.outcomes.map(({ mutant, clauses, caughtBy }) => ({ mutant, clauses, caughtBy, description: "", durationMs: 0 })) };
}

type ScoredConfig = Pick<RunConfig, "seed" | "properties" | "runs" | "runsScale" | "filter" | "clause" | "maxInsns" | "checkerMaxStates" | "agent">;

/** Why `score` does not describe a run of `cfg`, or null when it does. */
export function scoreMismatch(score: MutationScoreFile, cfg: ScoredConfig): string | null {
  if (cfg.seed !== score.seed) return `measured with seed ${score.seed}, this run uses ${cfg.seed}`;
  if (cfg.runs !== undefined) return "--runs changes the cases per property";
  if ((cfg.runsScale ?? 1) !== score.runsScale) return `measured at ${score.runsScale}× the default cases, this run uses ${cfg.runsScale ?? 1}×`;
  if (cfg.filter || cfg.clause) return "a --filter/--clause selection is not the measured configuration";
  if ((cfg.maxInsns ?? DEFAULT_CASE_MAX_INSNS) !== DEFAULT_CASE_MAX_INSNS || cfg.checkerMaxStates !== undefined) return "budgets differ from the measured configuration";
  if (cfg.agent.sha256 !== score.agent.sha256) return `measured with agent ${score.agent.name} ${score.agent.sha256.slice(0, 12)}, this run uses ${cfg.agent.name} ${cfg.agent.sha256.slice(0, 12)}`;
  const ids = cfg.properties.map((p) => p.id);
  if (ids.join(" ") !== score.properties.join(" ")) return "the suite's properties changed since the score was measured";
  return null;
}

/** The score a run of `cfg` carries in its reports. */
export function scoreForRun(cfg: ScoredConfig, score: MutationScoreFile | string = committedScore()): RunMutationScore {
  if (typeof score === "string") return { notMeasured: score };
  const why = scoreMismatch(score, cfg);
  if (why) return { notMeasured: `${why}; measure it with \`capos-conform mutants --seed ${cfg.seed}\`` };
  const missed = score.outcomes.filter((o) => !o.caughtBy).map((o) => o.mutant);
  return { caught: score.outcomes.length - missed.length, total: score.outcomes.length, missed };
}
