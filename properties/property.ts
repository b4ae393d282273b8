/**
 * What a conformance property is: generated cases, a check against an implementation with
 * the model (or another documented oracle) as the judge, and the clause IDs it covers.
 * Properties live in properties/, one file per clause group.
 */
import type fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import type { Schedule, Steering } from "../spec/run-protocol.js";
import type { AgentImage } from "../generators/agent-image.js";
import type { Ability, Implementation } from "../spec/implementation.js";
import type { RunExplanation } from "./explain.js";

export interface PropertyContext {
  readonly binding: Binding;
  readonly impl: Implementation;
  readonly agent: AgentImage;
  /** Instruction budget per guest process. */
  readonly maxInsns: number;
  /** Collect implementation event logs (set when the runner re-runs a shrunk failure). */
  readonly trace?: boolean;
  /** The model checker's search budget per case (states); the checker's default when absent. */
  readonly checkerMaxStates?: number;
}

export type { Steering };

/** What one case reached, derived from its observations and the model's accepted interleaving. */
export interface CaseReach {
  /** Named situations the case reached. */
  readonly situations: readonly string[];
  /** Clause IDs the verdict actually judged (absent: every clause the property cites). */
  readonly judged?: readonly string[];
}

export interface Verdict {
  readonly ok: boolean;
  /** Not ok because the oracle could not decide (search budget, an op it cannot judge): reported as `inconclusive`, not as a pass. */
  readonly inconclusive?: boolean;
  readonly message?: string;
  /** What the oracle allows, human readable. */
  readonly allowed?: readonly string[];
  /** What the implementation did. */
  readonly observed?: readonly string[];
  readonly trace?: readonly string[];
  /** The failing run decoded for people (agent-script properties). */
  readonly explanation?: RunExplanation;
  /** Hash of the image that was run. */
  readonly elfSha256?: string;
  readonly schedule?: Schedule;
  /** How this case's interleaving was steered (absent: not at all). The runner tallies it. */
  readonly steering?: Steering;
  /** Situations reached and clauses judged (passing cases; absent: not measured). */
  readonly reach?: CaseReach;
}

export interface ConformanceProperty<C = unknown> {
  /** Stable id, "<group>.<name>". */
  readonly id: string;
  readonly group: string;
  readonly title: string;
  readonly clauses: readonly string[];
  /** Abilities the implementation must have; otherwise the property is unsupported. */
  readonly needs: readonly Ability[];
  /**
   * The situation the property is named for (see properties/reach.ts): at least half of its
   * cases must reach it. Absent for properties whose every case is that situation by construction.
   */
  readonly situation?: string;
  /** Cases per run at the default budget. */
  readonly runs: number;
  /**
   * `commandsPath`: fast-check's replayPath of an `fc.commands` arbitrary, when replaying a
   * shrunk case of a property that has one (see `commandsPathOf`).
   */
  arbitrary(b: Binding, impl: Implementation, commandsPath?: string): fc.Arbitrary<C>;
  /**
   * The `fc.commands` replayPath of a (shrunk) case, for properties built on fc.commands: its
   * shrinking depends on which commands ran, so seed and path alone do not replay it.
   */
  commandsPathOf?(c: C): string | undefined;
  check(c: C, ctx: PropertyContext): Promise<Verdict>;
  /** JSON-ready form of a case for artefacts and reports. */
  describe(c: C): unknown;
}

/** Helper for defining a property with its case type inferred. */
export function property<C>(p: ConformanceProperty<C>): ConformanceProperty<unknown> {
  return p as unknown as ConformanceProperty<unknown>;
}

/** JSON.stringify with bigints as hex strings and byte arrays as hex. */
export function toJsonData(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => {
      if (typeof v === "bigint") return "0x" + v.toString(16);
      if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
      return v;
    }),
  );
}
