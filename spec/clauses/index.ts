/**
 * Numbered conformance clauses as data.
 *
 * `manual.json` is seeded from the capOS manual digest (one clause per documented fact);
 * `suite.json` holds the clauses this suite adds: TLS Variant II, FS base, the Go runtime
 * contract, and every PROVISIONAL decision the model makes where the manual is silent.
 * Properties and model rules cite these IDs; the tests check every clause has a source
 * or a PROVISIONAL reason.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type ClauseStatus = "IMPL" | "DERIVED" | "PROVISIONAL" | "FUTURE";

export interface Clause {
  readonly id: string;
  readonly group: string;
  readonly status: ClauseStatus;
  readonly statement: string;
  /** Where the fact comes from (manual pages, linker source, documented contracts). */
  readonly sources?: readonly string[];
  /** Why a PROVISIONAL choice was made. */
  readonly reason?: string;
}

function load(name: string): Clause[] {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./${name}`, import.meta.url)), "utf8")) as Clause[];
}

export const CLAUSES: readonly Clause[] = [...load("manual.json"), ...load("suite.json")];

const BY_ID = new Map(CLAUSES.map((c) => [c.id, c]));

export function clause(id: string): Clause {
  const c = BY_ID.get(id);
  if (!c) throw new Error(`unknown clause id ${id}`);
  return c;
}

/** A whole-string matcher for a glob with `*` and `?` (clause ids, property ids). */
export function globToRegExp(glob: string): RegExp {
  return new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
}

/** Clause ids matching a glob such as `PARK-*` or `TLSV2-?`. */
export function clausesMatching(glob: string): Clause[] {
  const re = globToRegExp(glob);
  return CLAUSES.filter((c) => re.test(c.id));
}
