/**
 * The model's ring and capability ops (RELEASE_HANDLE, RING_BATCH): known answers computed by
 * hand from the clauses, and the runs the seeded ring/cap bugs produce, which it must refuse.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { AGENT_BAD_SCRIPT_EXIT, BATCH_ANOMALY_SHIFT, OP, type Observation, type Script } from "../spec/agent-protocol.js";
import { checkAgentRun, type ObservedRun } from "./checker.js";

const ok = (thread: number, op: number, value: bigint | number): Observation => ({ thread, op, status: "ok", value: BigInt(value) });
const err = (thread: number, op: number, value: number): Observation => ({ thread, op, status: "err", value: BigInt(value) });
const INVALID_CAP = B.transportErrors.invalidCap;
const CQ = B.ring.cqEntries;
const EXIT0 = { kind: "exit", code: 0 } as const;
const check = (s: Script, observations: Observation[], end: ObservedRun["end"] = EXIT0) => checkAgentRun(s, { observations, end }, B, {}, { time: "lazy" });

describe("RELEASE_HANDLE: a released id is stale (CAP-2, CAP-4, RINGX-7)", () => {
  const s: Script = {
    threads: [[{ kind: OP.SPAWN, a: 1n }, { kind: OP.RELEASE_HANDLE, a: 1n }, { kind: OP.SPAWN, a: 2n }, { kind: OP.JOIN, a: 1n }, { kind: OP.RELEASE_HANDLE, a: 1n }, { kind: OP.JOIN, a: 2n }], [], [{ kind: OP.THREAD_EXIT, a: 7n }]],
  };
  const good = [ok(0, 0, 0), ok(0, 1, 0), ok(0, 2, 0), err(0, 3, INVALID_CAP), err(0, 4, INVALID_CAP), ok(0, 5, 7)];

  it("accepts invalidCap for the JOIN and the second RELEASE through the stale id, and the live handle's JOIN", () => {
    expect(check(s, good).ok).toBe(true);
  });
  it("refuses a JOIN through the released id that succeeds (release-keeps-cap, release-no-generation-bump)", () => {
    const joinedAnyway = [...good.slice(0, 3), ok(0, 3, 0), ...good.slice(4)];
    const namesTheNewCap = [...good.slice(0, 3), ok(0, 3, 7), ...good.slice(4)];
    expect(check(s, joinedAnyway).ok).toBe(false);
    expect(check(s, namesTheNewCap).ok).toBe(false);
  });
  it("refuses the script when the handle names no spawned thread, as the agent does", () => {
    expect(check({ threads: [[{ kind: OP.RELEASE_HANDLE, a: 1n }], []] }, [], { kind: "exit", code: AGENT_BAD_SCRIPT_EXIT }).ok).toBe(true);
  });
});

describe("RING_BATCH: cap_enter's count, held completions, per-SQE user_data", () => {
  it("reports the NOPs available, at most a whole CQ (ENTER-2, ENTERX-1, RINGX-2)", () => {
    const s: Script = { threads: [[{ kind: OP.RING_BATCH, b: 5n }, { kind: OP.RING_BATCH, b: 40n, c: 3n }]] };
    expect(check(s, [ok(0, 0, 5), ok(0, 1, CQ)]).ok).toBe(true);
    // enter-returns-zero-when-ready
    expect(check(s, [ok(0, 0, 0), ok(0, 1, 0)]).ok).toBe(false);
    // a completion carrying another SQE's user_data is an anomaly the agent counts (RING-7)
    expect(check(s, [ok(0, 0, 5n | (1n << BATCH_ANOMALY_SHIFT)), ok(0, 1, CQ)]).ok).toBe(false);
  });

  const joinBatch: Script = { threads: [[{ kind: OP.SPAWN, a: 1n }, { kind: OP.RING_BATCH, a: 1n, b: 2n, c: 1n }], [{ kind: OP.YIELD }]] };
  it("a JOIN outstanding at the cap_enter may or may not have completed by then", () => {
    expect(check(joinBatch, [ok(0, 0, 0), ok(1, 0, 0), ok(0, 1, 2)]).ok).toBe(true);
    expect(check(joinBatch, [ok(0, 0, 0), ok(1, 0, 0), ok(0, 1, 3)]).ok).toBe(true);
    expect(check(joinBatch, [ok(0, 0, 0), ok(1, 0, 0), ok(0, 1, 4)]).ok).toBe(false);
  });
  it("a completion held while the CQ is full is not lost: the agent waiting forever for it is no conforming end (RINGX-2)", () => {
    const s: Script = { threads: [[{ kind: OP.SPAWN, a: 1n }, { kind: OP.RING_BATCH, a: 1n, b: 40n, c: 4n }], [{ kind: OP.YIELD }, { kind: OP.YIELD }]] };
    expect(check(s, [ok(0, 0, 0), ok(1, 0, 0), ok(1, 1, 0), ok(0, 1, CQ)]).ok).toBe(true);
    expect(check(s, [ok(0, 0, 0), ok(1, 0, 0), ok(1, 1, 0)], { kind: "hang" }).ok).toBe(false);
  });
  it("a JOIN through a released handle fails the batch with invalidCap", () => {
    const s: Script = { threads: [[{ kind: OP.SPAWN, a: 1n }, { kind: OP.RELEASE_HANDLE, a: 1n }, { kind: OP.RING_BATCH, a: 1n, b: 3n }], []] };
    expect(check(s, [ok(0, 0, 0), ok(0, 1, 0), err(0, 2, INVALID_CAP)]).ok).toBe(true);
    expect(check(s, [ok(0, 0, 0), ok(0, 1, 0), ok(0, 2, 4)]).ok).toBe(false);
  });
  it("refuses a batch the SQ could never drain, as the agent does", () => {
    const s: Script = { threads: [[{ kind: OP.RING_BATCH, b: BigInt(B.ring.sqEntries + CQ) }]] };
    expect(check(s, [], { kind: "exit", code: AGENT_BAD_SCRIPT_EXIT }).ok).toBe(true);
    expect(check(s, [ok(0, 0, CQ)]).ok).toBe(false);
  });
});
