/**
 * PageRuns (page-runs.ts) against the per-page map it replaces, and the placement policies over
 * runs against the per-page placement they replace: random operations on a small page range,
 * every query compared page by page after each operation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PageRuns } from "../page-runs.js";
import { ALTERNATE_POLICY, DEFAULT_POLICY } from "../policy.js";

const N = 40;

type Op =
  | { kind: "set"; lo: number; hi: number; v: number }
  | { kind: "delete"; lo: number; hi: number }
  | { kind: "bump"; lo: number; hi: number };

const range = fc.tuple(fc.integer({ min: 0, max: N }), fc.integer({ min: 0, max: N })).map(([a, b]) => (a <= b ? { lo: a, hi: b } : { lo: b, hi: a }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(range, fc.integer({ min: 0, max: 2 })).map(([r, v]) => ({ kind: "set" as const, ...r, v: v === 2 ? -0.5 : v })),
  range.map((r) => ({ kind: "delete" as const, ...r })),
  range.map((r) => ({ kind: "bump" as const, ...r })),
);

/** The maximal runs of equal value of a per-page map, as flat start, end, value triples. */
function runsOf(m: ReadonlyMap<number, number>, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let pn = lo; pn < hi; pn++) {
    const v = m.get(pn);
    if (v === undefined) continue;
    const n = out.length;
    if (n > 0 && out[n - 2] === pn && out[n - 1] === v) out[n - 2] = pn + 1;
    else out.push(pn, pn + 1, v);
  }
  return out;
}

describe("PageRuns", () => {
  it("answers every query as a per-page map would, with equal neighbours merged", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const runs = new PageRuns(), ref = new Map<number, number>();
        const gens = new PageRuns(), refGens = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === "set") {
            runs.set(o.lo, o.hi, o.v);
            for (let pn = o.lo; pn < o.hi; pn++) ref.set(pn, o.v);
          } else if (o.kind === "delete") {
            runs.delete(o.lo, o.hi);
            for (let pn = o.lo; pn < o.hi; pn++) ref.delete(pn);
          } else {
            gens.bumpWhere(runs, o.lo, o.hi, 0);
            for (let pn = o.lo; pn < o.hi; pn++) if (ref.has(pn)) refGens.set(pn, (refGens.get(pn) ?? 0) + 1);
          }
          for (let pn = -1; pn <= N + 1; pn++) {
            expect(runs.get(pn)).toBe(ref.get(pn));
            expect(gens.get(pn)).toBe(refGens.get(pn));
          }
          // runs are the maximal runs (merged), so the stored form is the per-page map's
          expect(runs.runsIn(-Infinity, Infinity)).toEqual(runsOf(ref, -1, N + 2));
          expect(gens.runsIn(-Infinity, Infinity)).toEqual(runsOf(refGens, -1, N + 2));
          for (let lo = 0; lo <= N; lo += 5)
            for (let hi = lo; hi <= N; hi += 6) {
              let any = false, missing = hi;
              for (let pn = hi - 1; pn >= lo; pn--) {
                if (ref.has(pn)) any = true;
                else missing = pn;
              }
              expect(runs.anyIn(lo, hi)).toBe(any);
              expect(runs.firstMissing(lo, hi)).toBe(missing);
              expect(runs.allIn(lo, hi)).toBe(missing === hi);
              expect(runs.runsIn(lo, hi)).toEqual(runsOf(ref, lo, hi));
            }
        }
      }),
      { seed: 14, numRuns: 120 },
    );
  });
});

/** The placement policies as they were written over a per-page map (the reference). */
function defaultPerPage(hint: number | null, count: number, lo: number, hi: number, used: Set<number>): number | null {
  if (hint !== null) {
    let free = true;
    for (let i = 0; i < count; i++) if (used.has(hint + i)) free = false;
    if (free) return hint;
  }
  let cand = lo;
  for (const pn of [...used].sort((a, b) => a - b)) {
    if (pn < cand) continue;
    if (pn - cand >= count) break;
    cand = pn + 1;
  }
  return cand + count <= hi ? cand : null;
}
function alternatePerPage(count: number, lo: number, hi: number, used: Set<number>): number | null {
  let end = hi;
  for (const pn of [...used].sort((a, b) => b - a)) {
    if (pn >= end) continue;
    if (end - (pn + 1) >= count) break;
    end = pn;
  }
  return end - count >= lo ? end - count : null;
}

describe("placement over runs", () => {
  it("places where the per-page placement does, for both policies", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(range, fc.integer({ min: 0, max: 1 })), { maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: N })),
        fc.integer({ min: 1, max: 12 }),
        range,
        (sets, hint, count, win) => {
          const runs = new PageRuns(), used = new Set<number>();
          for (const [r, v] of sets) {
            runs.set(r.lo, r.hi, v); // touching runs of different values: placement must not care
            for (let pn = r.lo; pn < r.hi; pn++) used.add(pn);
          }
          expect(DEFAULT_POLICY.placeMapping(hint, count, win.lo, win.hi, runs)).toBe(defaultPerPage(hint, count, win.lo, win.hi, used));
          expect(ALTERNATE_POLICY.placeMapping(hint, count, win.lo, win.hi, runs)).toBe(alternatePerPage(count, win.lo, win.hi, used));
        },
      ),
      { seed: 14, numRuns: 2000 },
    );
  });
});
