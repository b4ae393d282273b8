/**
 * Expectations files: what an implementation is known not to do, as data.
 *
 * JSON: { "implementation": "...", "entries": [ { "property": "park.*", "expect": "fail" | "skip", "reason": "..." } ] }
 * An expected failure that passes fails the run ("unexpected pass"); a skip is for cases that
 * hang or cannot run. Every entry needs a reason, printed in the reports.
 */
import { readFileSync } from "node:fs";
import { globToRegExp } from "../spec/clauses/index.js";

export interface Expectation {
  readonly property: string;
  readonly expect: "fail" | "skip";
  readonly reason: string;
}

export interface Expectations {
  readonly implementation: string;
  readonly entries: readonly Expectation[];
}

export class ExpectationsError extends Error {
  override readonly name = "ExpectationsError";
}

export const NO_EXPECTATIONS: Expectations = { implementation: "*", entries: [] };


export function parseExpectations(json: unknown, source = "<expectations>"): Expectations {
  const o = json as { implementation?: unknown; entries?: unknown };
  if (!o || typeof o !== "object" || typeof o.implementation !== "string" || !Array.isArray(o.entries))
    throw new ExpectationsError(`${source}: needs "implementation" (string) and "entries" (array)`);
  const entries = o.entries.map((e: unknown, i: number) => {
    const x = e as Partial<Expectation>;
    if (typeof x.property !== "string" || (x.expect !== "fail" && x.expect !== "skip") || typeof x.reason !== "string" || x.reason.trim() === "")
      throw new ExpectationsError(`${source}: entry ${i} needs property, expect ("fail" or "skip") and a non-empty reason`);
    return { property: x.property, expect: x.expect, reason: x.reason };
  });
  return { implementation: o.implementation, entries };
}

export function loadExpectations(path: string): Expectations {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ExpectationsError(`${path}: cannot be read: ${(e as Error).message}`);
  }
  try {
    return parseExpectations(JSON.parse(text), path);
  } catch (e) {
    if (e instanceof ExpectationsError) throw e;
    throw new ExpectationsError(`${path}: not JSON: ${(e as Error).message}`);
  }
}

export function expectationFor(ex: Expectations, propertyId: string): Expectation | undefined {
  return ex.entries.find((e) => globToRegExp(e.property).test(propertyId));
}
