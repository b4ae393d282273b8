/**
 * Reach is derived from the records and the model's accepted interleaving: hand-written runs
 * whose situations are known from the ABI (not from the code under test).
 */
import { describe, expect, it } from "vitest";
import { checkAgentRun } from "../model/checker.js";
import { OP, type Observation, type Script } from "../spec/agent-protocol.js";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { agentReach, SITUATION, steeringOf } from "./reach.js";

const P = BigInt(B.pageSize);
const RW = BigInt(B.vm.prot.read | B.vm.prot.write);
const base = BigInt(B.layout.vmWindowBase);
const R = B.park.results;
const ok = (thread: number, op: number, value: bigint | number): Observation => ({ thread, op, status: "ok", value: BigInt(value) });

function reach(script: Script, observations: Observation[], end = { kind: "exit" as const, code: 0 }) {
  const v = checkAgentRun(script, { observations, end }, B, {}, { witness: true });
  expect(v.ok).toBe(true);
  return agentReach(script, observations, end, v.ok ? v.witness : undefined, B);
}

describe("agent reach", () => {
  // Two waiters park forever on word 0; main settles, wakes one of two (a real choice), then the rest.
  const twoWaiters: Script = {
    threads: [
      [
        { kind: OP.MAP, dst: 1, a: 0n, b: P, c: RW },
        { kind: OP.SPAWN, a: 1n },
        { kind: OP.SPAWN, a: 2n },
        { kind: OP.SLEEP, a: 1_000_000n },
        { kind: OP.UNPARK, base: 1, a: 0n, b: 1n },
        { kind: OP.UNPARK, base: 1, a: 0n, b: 1n },
      ],
      [{ kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever }],
      [{ kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever }],
    ],
  };

  it("sees a blocked park and an UNPARK with a real choice", () => {
    const r = reach(twoWaiters, [ok(0, 0, base), ok(0, 1, 0), ok(0, 2, 0), ok(0, 3, 0), ok(0, 4, 1), ok(1, 0, R.woken), ok(0, 5, 1), ok(2, 0, R.woken)]);
    expect(r.situations).toContain(SITUATION.parkBlocked);
    expect(r.situations).toContain(SITUATION.unparkRealChoice);
    expect(r.judged).toEqual(expect.arrayContaining(["PARK-3", "PARK-4", "PARKX-2", "THR-1"]));
    expect(r.judged).not.toContain("PARK-6");
    expect(steeringOf(twoWaiters, false)).toBe("guest");
    expect(steeringOf(twoWaiters, true)).toBe("schedule");
  });

  it("sees a waiter drained by an unmap, and no real choice when the waiter count equals the wake count", () => {
    const script: Script = {
      threads: [
        [{ kind: OP.MAP, dst: 1, a: 0n, b: P, c: RW }, { kind: OP.SPAWN, a: 1n }, { kind: OP.SLEEP, a: 1_000_000n }, { kind: OP.UNMAP, base: 1, a: 0n, b: P }, { kind: OP.JOIN, a: 1n }],
        [{ kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever }],
      ],
    };
    const r = reach(script, [ok(0, 0, base), ok(0, 1, 0), ok(0, 2, 0), ok(0, 3, 0), ok(1, 0, R.drained), ok(0, 4, 0)]);
    expect(r.situations).toEqual(expect.arrayContaining([SITUATION.waiterDrained, SITUATION.parkBlocked]));
    expect(r.situations).not.toContain(SITUATION.unparkRealChoice);
    expect(r.judged).toEqual(expect.arrayContaining(["PARK-6", "PARKX-6", "THRX-2"]));
  });

  it("counts a faulting store after protect as protect-then-access", () => {
    const script: Script = {
      threads: [[{ kind: OP.MAP, dst: 1, a: 0n, b: P, c: RW }, { kind: OP.PROTECT, base: 1, a: 0n, b: P, c: BigInt(B.vm.prot.read) }, { kind: OP.STORE, base: 1, a: 8n, b: 8n, c: 1n }]],
    };
    const end = { kind: "fault" as const, fault: "#PF" as const, addr: base + 8n, access: "write" as const };
    const v = checkAgentRun(script, { observations: [ok(0, 0, base), ok(0, 1, 0)], end }, B, {}, { witness: true });
    expect(v.ok).toBe(true);
    const r = agentReach(script, [ok(0, 0, base), ok(0, 1, 0)], end, v.ok ? v.witness : undefined, B);
    expect(r.situations).toContain(SITUATION.protectThenAccess);
    expect(r.judged).toEqual(expect.arrayContaining(["VMX-6", "PROCX-2"]));
  });

  it("a single-thread script has no steering", () => {
    expect(steeringOf({ threads: [[{ kind: OP.SPIN, a: 10n }]] }, false)).toBe("none");
  });
});
