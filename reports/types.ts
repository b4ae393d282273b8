/**
 * The data of one conformance run, as every report format sees it.
 *
 * The runner fills a `ConformanceRun`; the writers in reports/ turn it into CTRF JSON, JUnit
 * XML, Markdown and HTML. Nothing here knows how a property is checked.
 */
import type { RunExplanation } from "../properties/explain.js";
export type { RunExplanation, TimelineOp } from "../properties/explain.js";

/**
 * passed / failed: the property held / did not hold.
 * xfail: failed, and the implementation's expectations file says it should (with a reason).
 * xpass: passed although expected to fail; counts as a failure of the run.
 * inconclusive: the oracle could not decide a case (search budget, an op it cannot judge);
 *   counts as a failure of the run unless the expectations file expects the property to fail.
 * skipped: not run, with a reason (filter, missing toolchain, expectations-file skip).
 * unsupported: needs a capability the implementation adapter does not offer (e.g. schedule control).
 */
import type { Ability } from "../spec/implementation.js";
import type { Steering } from "../spec/run-protocol.js";

export type PropertyStatus = "passed" | "failed" | "inconclusive" | "xfail" | "xpass" | "skipped" | "unsupported";

export interface PropertyFailure {
  /** One-line command that replays this failure bit-exactly. */
  readonly repro: string;
  readonly message: string;
  readonly seed: number;
  /** fast-check replay path of the shrunk counterexample. */
  readonly path?: string;
  /** fc.commands replayPath of the shrunk counterexample (command-based properties). */
  readonly commandsPath?: string;
  /** Compact schedule encoding (spec/run-protocol.ts) and its id. */
  readonly schedule?: string;
  readonly scheduleId?: string;
  readonly elfSha256?: string;
  /** The shrunk counterexample (op script etc.) as JSON-ready data. */
  readonly counterexample?: unknown;
  /** What the model allows next / instead, human readable. */
  readonly allowed?: readonly string[];
  /** What the implementation did: observation records, end state, event-log excerpt. */
  readonly observed?: readonly string[];
  readonly trace?: readonly string[];
  /** The failing run decoded for people (agent-script properties): see properties/explain.ts. */
  readonly explanation?: RunExplanation;
  /** Path of the JSON artefact with all of the above. */
  readonly artefact?: string;
}

/** What a property's cases reached (properties/reach.ts): counts over the cases measured. */
export interface PropertyReach {
  /** Cases measured (passing cases of the main run; shrinking is not counted). */
  readonly cases: number;
  /** The situation the property is named for, when it declares one. */
  readonly situation?: string;
  /** Cases that reached each situation. */
  readonly situations: Readonly<Record<string, number>>;
  /** Cases that judged each cited clause (0: cited but never judged). */
  readonly clauses: Readonly<Record<string, number>>;
  /** Cases per steering mode: "schedule", "guest", "none". */
  readonly steering: Readonly<Record<string, number>>;
}

export interface PropertyResult {
  /** Stable property id, e.g. "park.drain-on-unmap". */
  readonly property: string;
  /** Clause group the property belongs to, e.g. "park". */
  readonly group: string;
  readonly title: string;
  /** Clause ids the property checks, e.g. ["PARK-6", "PARKX-6"]. */
  readonly clauses: readonly string[];
  readonly status: PropertyStatus;
  /** Why skipped / unsupported / expected to fail. */
  readonly reason?: string;
  readonly durationMs: number;
  /** Number of generated cases run (shrinking steps not included). */
  readonly runs: number;
  /** Shrinking steps fast-check took to reach the reported counterexample. */
  readonly shrinkSteps?: number;
  readonly seed: number;
  readonly failure?: PropertyFailure;
  /** Implementation abilities the property needed or used (empty: none, it runs anywhere). */
  readonly abilities?: readonly Ability[];
  /** Cases by how their interleaving was steered (spec/run-protocol.ts Steering). */
  readonly steering?: Readonly<Partial<Record<Steering, number>>>;
  /** Situations reached and clauses judged (properties/reach.ts). */
  readonly reach?: PropertyReach;
}

export interface ConformanceRun {
  readonly tool: { readonly name: string; readonly version: string };
  readonly implementation: {
    readonly id: string;
    readonly version: string;
    /** The binding used ("default" or a file path). */
    readonly binding: string;
    readonly mutant?: string;
  };
  readonly seed: number;
  /** `i/n` when this run is one shard of a campaign (see `capos-conform merge`). */
  readonly shard?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Hashes of the ELF images used, keyed by name. */
  readonly elfs: Readonly<Record<string, string>>;
  readonly results: readonly PropertyResult[];
  readonly environment?: Readonly<Record<string, string>>;
  /** How many seeded kernel bugs this run's configuration catches (runner/mutation-score.ts). */
  readonly mutationScore?: RunMutationScore;
}

/**
 * The mutation score of a run's configuration: caught/total seeded bugs of the emulator, or
 * why no score applies (another seed, a selection, other budgets). Never silently absent in a
 * run the CLI writes.
 */
export type RunMutationScore =
  | { readonly caught: number; readonly total: number; readonly missed: readonly string[]; readonly notMeasured?: undefined }
  | { readonly notMeasured: string; readonly caught?: undefined; readonly total?: undefined; readonly missed?: undefined };
