/**
 * The checker's verdicts do not depend on how it searches.
 *
 * 1. A recorded corpus (fixtures/checker-corpus.json.gz, tools/checker-corpus.ts): agent
 *    runs of every agent-script property's cases on the emulator, its other policies and its
 *    seeded bugs, and mutants of each run (records dropped, altered, swapped, moved; the end
 *    and the end clock changed), with the verdict the checker gave each before its search was
 *    reduced (the unreduced search of commit 32f5681). Every verdict must come out the same.
 * 2. Differential: the reduced search (the default) and the unreduced one (`reduce: false`)
 *    agree on runs the model itself generates under random schedules (`simulate`) and on
 *    their mutants, for the corpus scripts.
 * 3. Dead ends (R3): the search without them accepts every run the search with them accepts,
 *    with the same witness, in at most as many states.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { checkAgentRun, checkWithoutDeadEnds, simulate, type CheckResult, type ObservedRun } from "./checker.js";
import { stateKey } from "./state-key.js";
import type { AgentEnv } from "./agent.js";
import { decodeCorpus, verdictOf } from "./tools/checker-corpus-format.js";
import { mutateRun } from "./tools/run-mutations.js";

const corpus = decodeCorpus(JSON.parse(gunzipSync(readFileSync(new URL("./fixtures/checker-corpus.json.gz", import.meta.url))).toString("utf8")));

describe("checker verdict corpus", () => {
  it("holds runs of every agent property, accepted and rejected", () => {
    const props = new Set(corpus.cases.map((c) => c.property));
    expect(props.size).toBeGreaterThanOrEqual(9);
    const runs = corpus.cases.flatMap((c) => c.runs);
    expect(runs.filter((r) => r.verdict.ok).length).toBeGreaterThan(500);
    expect(runs.filter((r) => !r.verdict.ok).length).toBeGreaterThan(1500);
  });

  // A third of the cases keeps this test to seconds; `npx tsx tools/checker-corpus.ts --compare
  // model/fixtures/checker-corpus.json.gz` replays all of them, reduced and unreduced.
  it("every recorded verdict comes out the same with the reduced search (a third of the cases)", () => {
    const diffs: string[] = [];
    for (const [k, c] of corpus.cases.entries())
      for (const r of k % 3 === 0 ? c.runs : []) {
        const got = verdictOf(checkAgentRun(c.script, r.run, B, c.env, { time: "lazy", reports: corpus.reports }));
        if (JSON.stringify(got) !== JSON.stringify(r.verdict)) diffs.push(`${c.property} ${c.source} ${r.what}: recorded ${JSON.stringify(r.verdict)}, now ${JSON.stringify(got)}`);
      }
    expect(diffs).toEqual([]);
  });
});

/** A deterministic chooser for `simulate` (a linear congruential generator). */
function chooser(seed: number): (k: number) => number {
  let s = seed >>> 0;
  return (k) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
}

describe("reduced and unreduced search agree", () => {
  it("on runs the model generates under random schedules, and their mutants", () => {
    let compared = 0;
    let accepted = 0;
    const diffs: string[] = [];
    // The unreduced search is exponential in the number of interleavings: keep its runs small.
    const budget = { maxStates: 4000 };
    corpus.cases.forEach((c, k) => {
      if (k % 9 !== 0) return;
      // The thread pointers and TLS offsets the emulator's run revealed, so that the simulated
      // runs report values the model accepts (it learns them again when checking).
      const seen = checkAgentRun(c.script, c.runs[0]!.run, B, c.env, { time: "lazy", reports: corpus.reports, witness: true });
      const learned = seen.ok ? (seen.witness?.at(-1)?.after.learned ?? {}) : {};
      const known: AgentEnv = {
        ...c.env,
        initialFsBase: c.script.threads.map((_, t) => learned[`fs0:${t}`]),
        ...(learned["tpoff:0"] !== undefined ? { tlsOffsets: [0, 1, 2, 3].map((i) => learned[`tpoff:${i}`] ?? 0n) } : {}),
      };
      for (const time of ["lazy", "eager"] as const) {
        const sim: ObservedRun = simulate(c.script, chooser(k * 7 + (time === "lazy" ? 1 : 2)), B, known, { time });
        for (const { what, run } of [{ what: "simulated", run: sim }, ...mutateRun(sim, `${k}`)]) {
          const opts = { time, reports: corpus.reports } as const;
          const full = verdictOf(checkAgentRun(c.script, run, B, c.env, { ...opts, ...budget, reduce: false }));
          if (full.undecided) continue;
          const reduced = verdictOf(checkAgentRun(c.script, run, B, c.env, opts));
          compared++;
          if (reduced.ok) accepted++;
          if (JSON.stringify(full) !== JSON.stringify(reduced)) diffs.push(`${c.property} case ${k} ${time} ${what}: unreduced ${JSON.stringify(full)}, reduced ${JSON.stringify(reduced)}`);
        }
      }
    });
    expect(diffs).toEqual([]);
    // The comparison is not vacuous: most runs were decided, and both verdicts occur.
    expect(compared).toBeGreaterThan(300);
    expect(accepted).toBeGreaterThan(50);
    expect(compared - accepted).toBeGreaterThan(100);
  });
});

/** A verdict with its witness spelled out (labels, kinds, the states after each step). */
function withWitness(r: CheckResult): unknown {
  return r.ok ? { ok: true, witness: r.witness?.map((w) => `${w.kind} ${w.label} ${stateKey(w.after, B)}`) } : { ok: false };
}

describe("dead-end pruning (R3)", () => {
  // checkAgentRun searches again with the dead ends when the search without them refuses, so a
  // wrong dead end would only cost time there: the search without them is held to it here.
  it("accepts every run the search with dead ends accepts, with the same witness, in no more states (a third of the corpus)", () => {
    const diffs: string[] = [];
    let accepted = 0;
    let fewer = 0;
    for (const [k, c] of corpus.cases.entries())
      for (const r of k % 3 === 1 ? c.runs : []) {
        const opts = { time: "lazy", reports: corpus.reports, witness: true } as const;
        const all = { states: 0 };
        const pruned = { states: 0 };
        const want = withWitness(checkAgentRun(c.script, r.run, B, c.env, { ...opts, pruneDeadEnds: false, stats: all }));
        const got = withWitness(checkWithoutDeadEnds(c.script, r.run, B, c.env, { ...opts, stats: pruned }));
        if ((want as { ok: boolean }).ok) {
          accepted++;
          if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`${c.property} ${c.source} ${r.what}: ${JSON.stringify(got).slice(0, 300)}`);
        } else if ((got as { ok: boolean }).ok) diffs.push(`${c.property} ${c.source} ${r.what}: accepted without dead ends only`);
        if (pruned.states > all.states) diffs.push(`${c.property} ${c.source} ${r.what}: ${pruned.states} states without dead ends, ${all.states} with`);
        if (pruned.states < all.states) fewer++;
      }
    expect(diffs).toEqual([]);
    // Not vacuous: many accepted runs, and dead ends were left out of some searches.
    expect(accepted).toBeGreaterThan(150);
    expect(fewer).toBeGreaterThan(20);
  });
});
