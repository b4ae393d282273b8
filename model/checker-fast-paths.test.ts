/**
 * The checker's cheaper paths decide exactly as the plain forms they replaced (session 9):
 * 1. R3's dead-end test keeps one end-clock limit per record instead of a row per record and
 *    thread: compared with the row form (written out here as it was) on every state the model
 *    reaches from corpus scripts, at every record index of the corpus runs and their mutants.
 * 2. The observed record of a (thread, op), asked by MAP and RESERVE, is found under one number
 *    per pair instead of a `thread:op` string: compared with the string map on corpus runs,
 *    on duplicate records (the last one counts) and on pairs too large for the number.
 * 3. A record step's witness label is formatted when read: it must read as the record's line.
 * 4. The search reads a copy of the script whose ops all have one shape: every field's value kept.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { formatObservation, OP, type Observation, type Script } from "../spec/agent-protocol.js";
import type { AgentState, Pending } from "./agent.js";
import { checkAgentRun, deadEnds, oneShapeScript, reportedRecords } from "./checker.js";
import { decodeCorpus } from "./tools/checker-corpus-format.js";
import { explore } from "./tools/explore.js";

const corpus = decodeCorpus(JSON.parse(gunzipSync(readFileSync(new URL("./fixtures/checker-corpus.json.gz", import.meta.url))).toString("utf8")));
const U64 = (1n << 64n) - 1n;

/** Session 8's dead-end test, with its (records + 1) x threads tables, as the reference. */
function deadEndsReference(script: Script, obs: readonly Observation[], clockNs: bigint | undefined): (st: AgentState, i: number) => boolean {
  const inU64 = (v: bigint): bigint => (v >= 0n && v <= U64 ? v : v & U64);
  const sleepOperand = (t: number, pc: number): bigint => {
    const op = script.threads[t]?.[pc];
    return op?.kind === OP.SLEEP && !op.base ? (op.a ?? 0n) & U64 : 0n;
  };
  const mayMatch = (p: Pending, o: Observation, v: bigint): boolean => {
    switch (p.k) {
      case "exact":
        return o.status === p.status && v === inU64(p.value);
      case "learn":
        return o.status === "ok" && o.value % p.align === 0n;
      case "now":
        return o.status === "ok" && o.value >= p.min;
      case "any":
        return true;
      case "value":
        return o.status === "ok";
      case "reject":
        return false;
      case "oneOf":
        return o.status === "ok" && p.values.includes(v);
    }
  };
  const threads = script.threads.length;
  const n = obs.length;
  const next = new Int32Array((n + 1) * threads).fill(-1);
  const limits: bigint[] | undefined = clockNs === undefined ? undefined : new Array<bigint>((n + 1) * threads).fill(clockNs);
  const values: bigint[] = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    const row = i * threads;
    next.copyWithin(row, row + threads, row + 2 * threads);
    if (limits) for (let u = 0; u < threads; u++) limits[row + u] = limits[row + threads + u]!;
    const o = obs[i]!;
    values[i] = inU64(o.value);
    if (o.thread >= 0 && o.thread < threads) {
      next[row + o.thread] = i;
      const a = sleepOperand(o.thread, o.op);
      if (limits && a !== 0n) limits[row + o.thread]! -= a;
    }
  }
  return (st, i) => {
    if (clockNs !== undefined && st.now > clockNs) return true;
    const row = i * threads;
    for (let u = 0; u < threads; u++) {
      const j = next[row + u]!;
      if (j < 0) continue;
      const o = obs[j]!;
      const r = st.runs[u]!;
      let clock = st.now;
      switch (r.phase) {
        case "pending":
          if (o.op !== r.pc || (r.pending !== undefined && !mayMatch(r.pending, o, values[j]!))) return true;
          break;
        case "blocked":
          if (o.op !== r.pc) return true;
          if (r.block?.kind === "sleep") clock = r.block.deadline;
          break;
        case "idle":
          if (o.op < r.pc) return true;
          break;
        case "done":
          return true;
      }
      if (limits) {
        let limit = limits[row + u]!;
        if (limit !== clockNs && (r.phase === "pending" || r.phase === "blocked")) limit += sleepOperand(u, r.pc);
        if (clock > limit) return true;
      }
    }
    return false;
  };
}

describe("the checker's fast paths", () => {
  it("dead ends: the per-record limits decide as the per-thread rows did, on every state, record index and end clock", () => {
    let compared = 0;
    let dead = 0;
    let sleepLimited = 0;
    const problems: string[] = [];
    for (const [k, c] of corpus.cases.entries()) {
      if (k % 4 !== 0) continue;
      const states = explore({ script: c.script, b: B, env: c.env, time: "lazy", reported: undefined }, 40);
      for (const r of c.runs.slice(0, 4)) {
        // The run's own end clock, a tight one (sleeps ahead decide) and none.
        for (const clockNs of [r.run.clockNs, r.run.clockNs === undefined ? undefined : r.run.clockNs / 2n, undefined]) {
          const fast = deadEnds(c.script, r.run.observations, clockNs);
          const ref = deadEndsReference(c.script, r.run.observations, clockNs);
          const loose = clockNs === undefined ? undefined : deadEndsReference(c.script, r.run.observations, undefined);
          for (const st of states)
            for (let i = 0; i <= r.run.observations.length; i++) {
              const want = ref(st, i);
              compared++;
              if (want) dead++;
              if (want && loose && !loose(st, i) && st.now <= clockNs!) sleepLimited++;
              if (fast(st, i) !== want && problems.length < 5) problems.push(`${c.property} ${r.what} record ${i}: ${!want}`);
            }
        }
      }
    }
    expect(problems).toEqual([]);
    // The comparison met both answers, and dead ends only the sleeps ahead make.
    expect(compared).toBeGreaterThan(50_000);
    expect(dead).toBeGreaterThan(1_000);
    expect(compared - dead).toBeGreaterThan(1_000);
    expect(sleepLimited).toBeGreaterThan(0);
  });

  it("reported records: the record of each (thread, op) is the last one naming it, as the thread:op map had it", () => {
    const runs: Observation[][] = corpus.cases.flatMap((c) => c.runs.map((r) => [...r.run.observations]));
    // Duplicates (the last counts), pairs that would collide under a smaller key, and pairs too large for the key.
    runs.push([
      { thread: 0, op: 1, status: "ok", value: 1n },
      { thread: 0, op: 1, status: "ok", value: 2n },
      { thread: 1, op: 0, status: "ok", value: 3n },
      { thread: 0, op: 0x40_0000, status: "ok", value: 4n },
      { thread: 0x100, op: 0, status: "ok", value: 5n },
      { thread: 0, op: 0x100, status: "ok", value: 6n },
      { thread: 0x100, op: 0, status: "ok", value: 7n },
    ]);
    let asked = 0;
    let found = 0;
    for (const obs of runs) {
      const ref = new Map(obs.map((o) => [`${o.thread}:${o.op}`, o]));
      const fast = reportedRecords(obs);
      const pairs = new Set([...obs.map((o) => `${o.thread}:${o.op}`), "0:0", "1:0", "0:1", "0:256", "256:0", "0:4194304", "1:4194304", "2:3"]);
      for (const p of pairs) {
        const [t, pc] = p.split(":").map(Number) as [number, number];
        const want = ref.get(p);
        asked++;
        if (want) found++;
        expect(fast.get(t, pc)).toBe(want);
      }
    }
    expect(asked).toBeGreaterThan(1_000);
    expect(found).toBeGreaterThan(500);
  });

  it("a record step's witness label reads as the record's line", () => {
    let records = 0;
    for (const c of corpus.cases.slice(0, 60))
      for (const r of c.runs) {
        const v = checkAgentRun(c.script, r.run, B, c.env, { time: "lazy", reports: corpus.reports, witness: true });
        if (!v.ok) continue;
        const matched = r.run.observations.slice();
        for (const step of v.witness ?? []) {
          if (step.kind !== "record") continue;
          records++;
          expect(step.label).toBe(formatObservation(matched.shift()!).trimEnd());
        }
        expect(matched).toEqual([]);
      }
    expect(records).toBeGreaterThan(100);
  });

  it("the one-shape script keeps every op's fields and values, in packed arrays of one key order", () => {
    let ops = 0;
    for (const c of corpus.cases) {
      const copy = oneShapeScript(c.script);
      expect(copy.threads.length).toBe(c.script.threads.length);
      c.script.threads.forEach((thread, t) => {
        expect(copy.threads[t]!.length).toBe(thread.length);
        thread.forEach((op, pc) => {
          const o = copy.threads[t]![pc]!;
          ops++;
          expect(Object.keys(o)).toEqual(["kind", "dst", "base", "a", "b", "c"]);
          for (const f of ["kind", "dst", "base", "a", "b", "c"] as const) expect(o[f]).toBe(op[f]);
        });
      });
    }
    expect(ops).toBeGreaterThan(1_000);
  });
});
