import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { AGENT_BAD_SCRIPT_EXIT, AGENT_TLS_INITIAL, OP, type Observation, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import { allowedOutcomes, checkAgentRun, describeEnd, endMatches, simulate, type ObservedRun } from "./checker.js";
import { equal, exceptionCode, init, partition, stateKey, successors, type Ctx } from "./agent.js";

const W = BigInt(B.layout.vmWindowBase);
const FOREVER = B.park.timeoutForever;
const R = B.park.results;
const EX = { invalidArgument: exceptionCode(B, "invalidArgument") };
const ok = (thread: number, op: number, value: bigint | number): Observation => ({ thread, op, status: "ok", value: BigInt(value) });
const one = (...ops: ScriptOp[]): Script => ({ threads: [ops] });
const MAP1: ScriptOp = { kind: OP.MAP, a: 0n, b: 4096n, c: 3n, dst: 1 };

describe("allowedOutcomes: single-thread known answers", () => {
  it("map, store, load, park mismatch/poll/timeout, unpark, now, sleep", () => {
    const s = one(
      MAP1,
      { kind: OP.STORE, base: 1, a: 4n, b: 4n, c: 0x1_2345_6789n },
      { kind: OP.LOAD, base: 1, a: 4n, b: 8n },
      { kind: OP.PARK, base: 1, a: 4n, b: 7n, c: FOREVER },
      { kind: OP.PARK, base: 1, a: 4n, b: 0x2345_6789n, c: 0n },
      { kind: OP.PARK, base: 1, a: 4n, b: 0x2345_6789n, c: 500n },
      { kind: OP.NOW },
      { kind: OP.SLEEP, a: 250n },
      { kind: OP.NOW },
      { kind: OP.UNPARK, base: 1, a: 4n, b: 3n },
      { kind: OP.PARK, base: 1, a: 6n, b: 0n, c: 1n },
      { kind: OP.YIELD },
    );
    const r = allowedOutcomes(s);
    // Expected values computed by hand from the clauses.
    expect(r.observations.map((o) => o.exact)).toEqual([
      ok(0, 0, W),
      ok(0, 1, 0),
      ok(0, 2, 0x2345_6789n), // 4 bytes stored, upper bytes read zero (GO-3)
      ok(0, 3, R.mismatch), // PARK-3
      ok(0, 4, R.timedOut), // PARKX-3
      ok(0, 5, R.timedOut), // PARKX-4: nothing else can wake it
      ok(0, 6, 500), // eager time: the clock jumped to the deadline
      ok(0, 7, 0),
      ok(0, 8, 750),
      ok(0, 9, 0), // GO-8
      { thread: 0, op: 10, status: "err", value: BigInt(B.transportErrors.invalidSqe) },
      ok(0, 11, 0),
    ]);
    expect(r.end).toEqual({ kind: "exit", code: 0 });
    const run: ObservedRun = { observations: r.observations.map((o) => o.exact!), end: { kind: "exit", code: 0 } };
    expect(checkAgentRun(s, run, B, {}, { time: "eager" })).toEqual({ ok: true });
    expect(checkAgentRun(s, run)).toEqual({ ok: true });
  });

  it("VM errors are CapExceptions, faults end the process without a record", () => {
    const s = one(
      { kind: OP.MAP, a: 0n, b: 100n, c: 3n },
      { kind: OP.RESERVE, a: 0n, b: 8192n, dst: 2 },
      { kind: OP.PROTECT, base: 2, b: 4096n, c: 1n },
      { kind: OP.COMMIT, base: 2, b: 4096n, c: 3n },
      { kind: OP.DECOMMIT, base: 2, b: 4096n },
      { kind: OP.UNMAP, a: 0x1000n, b: 4096n },
      { kind: OP.LOAD, base: 2, a: 4092n, b: 8n },
      { kind: OP.LOAD, a: 0n, b: 1n },
    );
    const r = allowedOutcomes(s);
    expect(r.observations.map((o) => o.exact)).toEqual([
      { thread: 0, op: 0, status: "exc", value: BigInt(EX.invalidArgument!) },
      ok(0, 1, W),
      { thread: 0, op: 2, status: "exc", value: BigInt(EX.invalidArgument!) },
      ok(0, 3, 0),
      ok(0, 4, 0),
      { thread: 0, op: 5, status: "exc", value: BigInt(EX.invalidArgument!) },
    ]);
    expect(r.end).toEqual({ kind: "fault", fault: "#PF", addr: W + 4092n, access: "read", thread: 0 });
    const good: ObservedRun = { observations: r.observations.map((o) => o.exact!), end: r.end as ObservedRun["end"] };
    expect(checkAgentRun(s, good).ok).toBe(true);
    const wrongAddr = checkAgentRun(s, { ...good, end: { kind: "fault", fault: "#PF", addr: W + 4096n, access: "read", thread: 0 } });
    expect(wrongAddr.ok).toBe(false);
    if (!wrongAddr.ok) {
      expect(wrongAddr.atObservation).toBe(6);
      expect(wrongAddr.allowed).toContain(`end: #PF in thread 0 at 0x${(W + 4092n).toString(16)} (read)`);
    }
    // VMX-2: the reserve may land anywhere free and page aligned, not at an unaligned address.
    const wrongVal = checkAgentRun(s, { ...good, observations: good.observations.map((o, i) => (i === 1 ? { ...o, value: W + 4097n } : o)) });
    expect(wrongVal.ok).toBe(false);
    if (!wrongVal.ok) {
      expect(wrongVal.atObservation).toBe(1);
      expect(wrongVal.allowed?.join()).toContain("is not page aligned (VMX-2)");
    }
    expect(checkAgentRun(s, { ...good, observations: good.observations.slice(0, 5) }).ok).toBe(false);
    expect(checkAgentRun(s, { observations: good.observations.slice(0, 3), end: { kind: "budget" } }).ok).toBe(true);
  });

  it("kernel and non-canonical addresses fault (VM-5); the stack reads any value; bad scripts end the agent", () => {
    const k = allowedOutcomes(one({ kind: OP.STORE, a: 0xffff_8000_0000_1000n, b: 8n, c: 1n }));
    expect(k.end).toEqual({ kind: "fault", fault: "#PF", addr: 0xffff_8000_0000_1000n, access: "write", thread: 0 });
    expect(allowedOutcomes(one({ kind: OP.LOAD, a: 0x8000_0000_0000n, b: 8n })).end).toEqual({ kind: "fault", fault: "#GP", thread: 0 });
    const u = allowedOutcomes(one({ kind: OP.LOAD, a: BigInt(B.layout.userStackBase), b: 8n }));
    expect(u.observations[0]!.describe).toContain("any value");
    expect(u.end).toEqual({ kind: "exit", code: 0 });
    // Without the agent's segments the image range is not judged: the run is undecided, never a pass.
    const img = checkAgentRun(one({ kind: OP.LOAD, a: 0x20_0000n, b: 8n }), { observations: [ok(0, 0, 0x1234)], end: { kind: "exit", code: 0 } });
    expect(img.ok === false && img.undecided).toBe(true);
    expect(allowedOutcomes(one({ kind: OP.PARK, a: 0x20_0000n, b: 0n, c: 0n })).end.kind).toBe("any");
    expect(allowedOutcomes(one({ kind: OP.UNPARK, a: W + 1n, b: 1n })).observations[0]!.exact!.value).toBe(BigInt(B.transportErrors.invalidSqe));
    const bad = { kind: "exit", code: AGENT_BAD_SCRIPT_EXIT };
    expect(allowedOutcomes(one({ kind: OP.NOW }, { kind: OP.LOAD, a: W, b: 9n })).end).toEqual(bad);
    expect(allowedOutcomes(one({ kind: OP.NOW }, { kind: OP.LOAD, a: W, b: 9n })).observations).toEqual([]);
    expect(allowedOutcomes(one({ kind: OP.TLS_READ, a: 9n })).end).toEqual(bad);
    expect(allowedOutcomes(one({ kind: OP.SPAWN, a: 1n })).end).toEqual(bad);
    expect(allowedOutcomes(one({ kind: 99 as never })).end).toEqual(bad);
  });

  it("exit codes, thread exit of the only thread, forever park hangs", () => {
    expect(allowedOutcomes(one({ kind: OP.EXIT, a: 300n })).end).toEqual({ kind: "exit", code: 300 });
    expect(checkAgentRun(one({ kind: OP.EXIT, a: 300n }), { observations: [], end: { kind: "exit", code: 44 } }).ok).toBe(true);
    expect(checkAgentRun(one({ kind: OP.EXIT, a: 300n }), { observations: [], end: { kind: "exit", code: 45 } }).ok).toBe(false);
    expect(allowedOutcomes(one({ kind: OP.THREAD_EXIT, a: 5n })).end).toEqual({ kind: "exit", code: 0 }); // THRX-3
    const hang = one(MAP1, { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: FOREVER });
    expect(allowedOutcomes(hang).end).toEqual({ kind: "hang" });
    expect(checkAgentRun(hang, { observations: [ok(0, 0, W)], end: { kind: "hang" } }).ok).toBe(true);
    expect(checkAgentRun(hang, { observations: [ok(0, 0, W)], end: { kind: "exit", code: 0 } }).ok).toBe(false);
    expect(checkAgentRun(one(MAP1), { observations: [ok(0, 0, W)], end: { kind: "hang" } }).ok).toBe(false);
    expect(() => allowedOutcomes({ threads: [[], []] })).toThrow(RangeError);
    expect(describeEnd({ kind: "hang" })).toBe("hang");
    expect(endMatches({ kind: "fault", fault: "#GP", thread: 0 }, { kind: "fault", fault: "#GP", thread: 1 })).toBe(false);
  });

  it("FS base and TLS: env-given TP and offsets, SET_FS redirects TLS accesses into memory (FSB-*, TLSV2-1)", () => {
    const env = { initialFsBase: [0x7fff_ffef_ff00n], tlsOffsets: [-0x80n, -0x78n, -0x70n, -0x40n] };
    const s = one(
      { kind: OP.GET_FS },
      { kind: OP.TLS_READ, a: 1n },
      { kind: OP.TLS_WRITE, a: 1n, b: 77n },
      { kind: OP.TLS_READ, a: 1n },
      { kind: OP.TLS_ADDR, a: 3n },
      MAP1,
      { kind: OP.SET_FS, base: 1, a: 0x100n },
      { kind: OP.GET_FS },
      { kind: OP.TLS_WRITE, a: 0n, b: 0x55n },
      { kind: OP.LOAD, base: 1, a: 0x80n, b: 8n },
      { kind: OP.TLS_READ, a: 0n },
      { kind: OP.TLS_ADDR, a: 0n },
      { kind: OP.SET_FS, a: 0x8000_0000_0000n },
      { kind: OP.SET_FS, a: 0x7fff_ffef_ff00n },
      { kind: OP.TLS_READ, a: 1n },
    );
    const r = allowedOutcomes(s, B, env);
    expect(r.observations.map((o) => o.exact)).toEqual([
      ok(0, 0, 0x7fff_ffef_ff00n),
      ok(0, 1, AGENT_TLS_INITIAL[1]!),
      ok(0, 2, 0),
      ok(0, 3, 77),
      ok(0, 4, 0x7fff_ffef_fec0n),
      ok(0, 5, W),
      ok(0, 6, 0),
      ok(0, 7, W + 0x100n),
      ok(0, 8, 0),
      ok(0, 9, 0x55),
      ok(0, 10, 0x55),
      ok(0, 11, (1n << 64n) - 0x80n), // %fs:0 reads the (zero) word at W+0x100, plus tpoff -0x80
      { thread: 0, op: 12, status: "exc", value: BigInt(EX.invalidArgument!) },
      ok(0, 13, 0),
      ok(0, 14, 77),
    ]);
    expect(() => exceptionCode(B, "noSuchThing")).toThrow(RangeError);
    // Unknown TP: learned from GET_FS, then TLS_ADDR must agree with it and with alignment (TLSV2-6).
    const s2 = one({ kind: OP.GET_FS }, { kind: OP.TLS_ADDR, a: 3n }, { kind: OP.TLS_ADDR, a: 3n });
    const fs = 0x7fff_ffef_ff00n;
    expect(checkAgentRun(s2, { observations: [ok(0, 0, fs), ok(0, 1, fs - 0x40n), ok(0, 2, fs - 0x40n)], end: { kind: "exit", code: 0 } }).ok).toBe(true);
    expect(checkAgentRun(s2, { observations: [ok(0, 0, fs), ok(0, 1, fs - 0x40n), ok(0, 2, fs - 0x80n)], end: { kind: "exit", code: 0 } }).ok).toBe(false);
    expect(checkAgentRun(s2, { observations: [ok(0, 0, fs), ok(0, 1, fs - 0x48n), ok(0, 2, fs - 0x48n)], end: { kind: "exit", code: 0 } }).ok).toBe(false);
    const s3 = one({ kind: OP.TLS_ADDR, a: 0n }, { kind: OP.TLS_ADDR, a: 0n }, { kind: OP.GET_FS });
    expect(checkAgentRun(s3, { observations: [ok(0, 0, fs - 0x100n), ok(0, 1, fs - 0x100n), ok(0, 2, fs)], end: { kind: "exit", code: 0 } }).ok).toBe(true);
    expect(checkAgentRun(one({ kind: OP.TLS_ADDR, a: 0n }), { observations: [ok(0, 0, fs - 0x80n)], end: { kind: "exit", code: 0 } }, B, { tlsOffsets: [-0x80n] }).ok).toBe(true);
    // TLSV2-7: the TP this address implies (0x1080) is not in the TLS area.
    expect(checkAgentRun(one({ kind: OP.TLS_ADDR, a: 0n }), { observations: [ok(0, 0, 0x1000)], end: { kind: "exit", code: 0 } }, B, { tlsOffsets: [-0x80n] }).ok).toBe(false);
    expect(allowedOutcomes(s3).observations[0]!.describe).toContain("a multiple of 8");
    expect(allowedOutcomes(one({ kind: OP.SET_FS, a: W }, { kind: OP.TLS_READ, a: 0n })).end.kind).toBe("any");
  });
});

// Two waiters and a waker, shared word at W.
const WAKE: Script = {
  threads: [
    [MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.SPAWN, a: 2n }, { kind: OP.SLEEP, a: 100n }, { kind: OP.UNPARK, a: W, b: 1n }, { kind: OP.SLEEP, a: 100n }, { kind: OP.UNPARK, a: W, b: 5n }, { kind: OP.JOIN, a: 1n }, { kind: OP.JOIN, a: 2n }],
    [{ kind: OP.PARK, a: W, b: 0n, c: FOREVER }, { kind: OP.THREAD_EXIT, a: 11n }],
    [{ kind: OP.PARK, a: W, b: 0n, c: FOREVER }],
  ],
};

describe("checkAgentRun: multi-thread runs (PARKX-2, PARKX-4, PARKX-8, THRX-2)", () => {
  const base = (first: number): Observation[] => [
    ok(0, 0, W), ok(0, 1, 0), ok(0, 2, 0), ok(0, 3, 0), ok(0, 4, 1), ok(first, 0, R.woken), ok(0, 5, 0), ok(0, 6, 1), ok(3 - first, 0, R.woken), ok(0, 7, first === 1 ? 11 : 11), ok(0, 8, 0),
  ];
  it("accepts either waiter woken first (eager and lazy time)", () => {
    for (const first of [1, 2]) {
      const run = { observations: base(first), end: { kind: "exit", code: 0 } as const };
      expect(checkAgentRun(WAKE, run)).toEqual({ ok: true });
      expect(checkAgentRun(WAKE, run, B, {}, { time: "eager" })).toEqual({ ok: true });
    }
  });
  it("rejects a wrong woken count, a spurious/lost wake and a wrong join value", () => {
    const obs = base(1);
    const bad1 = checkAgentRun(WAKE, { observations: obs.map((o, i) => (i === 4 ? ok(0, 4, 2) : o)), end: { kind: "exit", code: 0 } });
    expect(bad1.ok).toBe(false);
    if (!bad1.ok) expect(bad1.atObservation).toBe(4);
    // UNPARK woke one, but both waiters report woken before the second UNPARK.
    const bad2 = [...obs.slice(0, 6), ok(2, 0, R.woken)];
    expect(checkAgentRun(WAKE, { observations: bad2, end: { kind: "budget" } }).ok).toBe(false);
    // The second UNPARK claims nobody was left: a lost wake.
    expect(checkAgentRun(WAKE, { observations: obs.map((o, i) => (i === 7 ? ok(0, 6, 0) : o)), end: { kind: "exit", code: 0 } }).ok).toBe(false);
    expect(checkAgentRun(WAKE, { observations: obs.map((o, i) => (i === 9 ? ok(0, 7, 0) : o)), end: { kind: "exit", code: 0 } }).ok).toBe(false);
    // Records for ops that do not exist or out of order.
    expect(checkAgentRun(WAKE, { observations: [ok(0, 1, 0)], end: { kind: "budget" } }).ok).toBe(false);
    expect(checkAgentRun(WAKE, { observations: [ok(7, 0, 0)], end: { kind: "budget" } }).ok).toBe(false);
    expect(checkAgentRun(WAKE, { observations: [ok(1, 0, 0)], end: { kind: "budget" } }).ok).toBe(false);
  });

  it("rejects an early timeout and accepts a late one; eager time forbids late timeouts while others run", () => {
    const s: Script = {
      threads: [
        [MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.JOIN, a: 1n }, { kind: OP.NOW }],
        [{ kind: OP.PARK, a: W, b: 0n, c: 1000n }, { kind: OP.NOW }],
      ],
    };
    const run = (now1: number, now0: number): ObservedRun => ({
      observations: [ok(0, 0, W), ok(0, 1, 0), ok(1, 0, R.timedOut), ok(1, 1, now1), ok(0, 2, 0), ok(0, 3, now0)],
      end: { kind: "exit", code: 0 },
    });
    expect(checkAgentRun(s, run(1000, 1000)).ok).toBe(true);
    expect(checkAgentRun(s, run(1500, 2000)).ok).toBe(true);
    const early = checkAgentRun(s, run(999, 1000));
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.allowed).toEqual(["@1 1 1 ok <any value >= 0x3e8>"]);
    expect(checkAgentRun(s, run(1500, 1400)).ok).toBe(false); // NOW is monotonic
    expect(checkAgentRun(s, run(1000, 1000), B, {}, { time: "eager" }).ok).toBe(true);
    expect(checkAgentRun(s, run(1500, 1500), B, {}, { time: "eager" }).ok).toBe(false);
  });

  it("unmap drains a parked thread with result drained (PARKX-6)", () => {
    const s: Script = {
      threads: [
        [MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.SLEEP, a: 10n }, { kind: OP.UNMAP, a: W, b: 4096n }, { kind: OP.JOIN, a: 1n }],
        [{ kind: OP.PARK, a: W, b: 0n, c: FOREVER }],
      ],
    };
    const obs = [ok(0, 0, W), ok(0, 1, 0), ok(0, 2, 0), ok(0, 3, 0), ok(1, 0, R.drained), ok(0, 4, 0)];
    expect(checkAgentRun(s, { observations: obs, end: { kind: "exit", code: 0 } }).ok).toBe(true);
    // The PARK might also have come after the unmap: then it is invalidBuffer.
    const late = [...obs.slice(0, 4), { thread: 1, op: 0, status: "err" as const, value: BigInt(B.transportErrors.invalidBuffer) }, ok(0, 4, 0)];
    expect(checkAgentRun(s, { observations: late, end: { kind: "exit", code: 0 } }).ok).toBe(true);
    expect(checkAgentRun(s, { observations: obs.map((o, i) => (i === 4 ? ok(1, 0, R.woken) : o)), end: { kind: "exit", code: 0 } }).ok).toBe(false);
  });

  it("a deadlock is a hang; the search budget gives undecided", () => {
    const s: Script = { threads: [[MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.JOIN, a: 1n }], [{ kind: OP.PARK, a: W, b: 0n, c: FOREVER }, { kind: OP.NOW }]] };
    expect(checkAgentRun(s, { observations: [ok(0, 0, W), ok(0, 1, 0)], end: { kind: "hang" } }).ok).toBe(true);
    const u = checkAgentRun(WAKE, { observations: base(1), end: { kind: "exit", code: 0 } }, B, {}, { maxStates: 3 });
    expect(u.ok === false && u.undecided).toBe(true);
    const ctx: Ctx = { script: WAKE, b: B, env: {}, time: "lazy" };
    const st = init(ctx);
    expect(equal(st, init(ctx))).toBe(true);
    expect(stateKey(successors(ctx, st)[0]!.st)).not.toBe(stateKey(st));
    expect(partition(WAKE)).toEqual([[0, 1, 2]]);
  });
});

describe("checker vs the model's own forward runs (random interleavings)", () => {
  const slot = fc.integer({ min: 0, max: 2 }).map((k) => W + BigInt(4 * k));
  const opArb: fc.Arbitrary<ScriptOp> = fc.oneof(
    fc.record({ a: slot, c: fc.integer({ min: 0, max: 2 }) }).map(({ a, c }) => ({ kind: OP.STORE, a, b: 4n, c: BigInt(c) })),
    slot.map((a) => ({ kind: OP.LOAD, a, b: 4n })),
    fc.record({ a: slot, b: fc.integer({ min: 0, max: 1 }), c: fc.constantFrom(0n, 50n, 300n, FOREVER) }).map(({ a, b, c }) => ({ kind: OP.PARK, a, b: BigInt(b), c })),
    fc.record({ a: slot, b: fc.constantFrom(0n, 1n, 2n, 0xffff_ffffn) }).map(({ a, b }) => ({ kind: OP.UNPARK, a, b })),
    fc.constantFrom<ScriptOp>({ kind: OP.NOW }, { kind: OP.YIELD }, { kind: OP.SLEEP, a: 100n }, { kind: OP.GET_FS }, { kind: OP.TLS_READ, a: 2n }, { kind: OP.TLS_WRITE, a: 2n, b: 9n }),
  );
  const scriptArb: fc.Arbitrary<Script> = fc
    .tuple(fc.array(opArb, { maxLength: 4 }), fc.array(opArb, { maxLength: 4 }), fc.array(opArb, { maxLength: 3 }))
    .map(([t0, t1, t2]) => ({ threads: [[MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.SPAWN, a: 2n }, ...t0], t1, t2] }));
  const env = { initialFsBase: [0x7000n, 0x8000n, 0x9000n], tlsOffsets: [-0x80n, -0x78n, -0x70n, -0x40n] };

  it("accepts every forward run; rejects a mutated woken count or park result", () => {
    fc.assert(
      fc.property(scriptArb, fc.array(fc.nat(), { minLength: 64, maxLength: 64 }), fc.constantFrom("lazy" as const, "eager" as const), (script, picks, time) => {
        let k = 0;
        const run = simulate(script, (n) => picks[k++ % picks.length]! % n, B, env, { time });
        const res = checkAgentRun(script, run, B, env, { time });
        expect(res, JSON.stringify(res)).toEqual({ ok: true });
        // Mutation: an UNPARK that reports more waiters than threads exist, or an undefined PARK result.
        const i = run.observations.findIndex((o) => script.threads[o.thread]![o.op]!.kind === OP.UNPARK || script.threads[o.thread]![o.op]!.kind === OP.PARK);
        if (i >= 0) {
          const o = run.observations[i]!;
          const bad = { ...o, value: script.threads[o.thread]![o.op]!.kind === OP.UNPARK ? 3n : 7n };
          const m = checkAgentRun(script, { ...run, observations: run.observations.map((x, j) => (j === i ? bad : x)) }, B, env, { time });
          expect(m.ok).toBe(false);
        }
        // Mutation: a record for an op the thread does not have.
        const extra = checkAgentRun(script, { ...run, observations: [...run.observations, ok(1, 99, 0)] }, B, env, { time });
        expect(extra.ok).toBe(false);
      }),
      { seed: 20251125, numRuns: 40 },
    );
  });
});

// A thread leaves with a park in flight (PARK_ASYNC, then it runs out of ops); the main
// thread joins it and wakes the word.
const LEAVER: Script = {
  threads: [
    [MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.JOIN, a: 1n }, { kind: OP.UNPARK, a: W, b: 1n }],
    [{ kind: OP.PARK_ASYNC, a: W, b: 0n, c: FOREVER }],
  ],
};

describe("checkAgentRun: a thread that exits with a park in flight (PARKX-9)", () => {
  const run = (woke: number, joined = true) => ({
    observations: [ok(0, 0, W), ok(0, 1, 0), ok(1, 0, 0), ...(joined ? [ok(0, 2, 0)] : []), ok(0, 3, woke)],
    end: { kind: "exit", code: 0 } as const,
  });
  it("after the join its waiter is gone: the UNPARK wakes nobody", () => {
    expect(checkAgentRun(LEAVER, run(0))).toEqual({ ok: true });
    expect(checkAgentRun(LEAVER, run(0), B, {}, { time: "eager" })).toEqual({ ok: true });
    const bad = checkAgentRun(LEAVER, run(1));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.atObservation).toBe(4);
  });
  it("before the thread exits an UNPARK may still wake its waiter", () => {
    const racing: Script = { threads: [[MAP1, { kind: OP.SPAWN, a: 1n }, { kind: OP.UNPARK, a: W, b: 1n }, { kind: OP.JOIN, a: 1n }], LEAVER.threads[1]!] };
    for (const woke of [0, 1]) {
      const obs = [ok(0, 0, W), ok(0, 1, 0), ok(1, 0, 0), ok(0, 2, woke), ok(0, 3, 0)];
      expect(checkAgentRun(racing, { observations: obs, end: { kind: "exit", code: 0 } })).toEqual({ ok: true });
    }
  });
  it("a word that does not match leaves no waiter; a timed one times out without a record", () => {
    const s = (expected: bigint, timeout: bigint): Script => ({ threads: [[MAP1, { kind: OP.PARK_ASYNC, a: W, b: expected, c: timeout }, { kind: OP.SLEEP, a: 1000n }, { kind: OP.UNPARK, a: W, b: 1n }]] });
    const obs = (woke: number) => [ok(0, 0, W), ok(0, 1, 0), ok(0, 2, 0), ok(0, 3, woke)];
    const exit = { kind: "exit", code: 0 } as const;
    expect(checkAgentRun(s(0x100n, FOREVER), { observations: obs(0), end: exit })).toEqual({ ok: true });
    expect(checkAgentRun(s(0x100n, FOREVER), { observations: obs(1), end: exit }).ok).toBe(false);
    expect(checkAgentRun(s(0n, FOREVER), { observations: obs(1), end: exit })).toEqual({ ok: true });
    expect(checkAgentRun(s(0n, FOREVER), { observations: obs(0), end: exit }).ok).toBe(false);
    // Timed out during the sleep (eager time: the clock passes 500 while the thread sleeps).
    expect(checkAgentRun(s(0n, 500n), { observations: obs(0), end: exit }, B, {}, { time: "eager" })).toEqual({ ok: true });
    expect(checkAgentRun(s(0n, 500n), { observations: obs(1), end: exit }, B, {}, { time: "eager" }).ok).toBe(false);
  });
});
