import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import * as vm from "./address-space.js";
import * as pk from "./park.js";
import * as timer from "./timer.js";
import * as th from "./threads.js";

const W = BigInt(B.layout.vmWindowBase);
const P = 4096n;
const FOREVER = B.park.timeoutForever;

function mapped(): vm.AddressSpace {
  const r = vm.map(vm.emptyAddressSpace(), 0n, 2n * P, 3n);
  if (!r.ok) throw new Error("map");
  return r.as;
}

describe("ParkSpace (PARK-*, PARKX-*)", () => {
  it("PARK: mismatch never blocks, timeout 0 polls, otherwise enqueues with a deadline", () => {
    const as = mapped();
    expect(pk.park(pk.EMPTY_PARK_SPACE, as, 1, W, 5n, FOREVER, 0n)).toEqual({ kind: "complete", result: "mismatch" });
    expect(pk.park(pk.EMPTY_PARK_SPACE, as, 1, W, 0n, 0n, 0n)).toEqual({ kind: "complete", result: "timedOut" });
    // only the low 32 bits of expected count (PARK-2)
    const r = pk.park(pk.EMPTY_PARK_SPACE, as, 1, W, 0x1_0000_0000n, 100n, 50n);
    expect(r.kind).toBe("blocked");
    if (r.kind !== "blocked") return;
    expect(r.waiter).toEqual({ id: 1, key: { asid: 1, gen: 0, addr: Number(W) }, deadline: 150n });
    expect(pk.expired(r.space, 149n)).toEqual([]);
    expect(pk.expired(r.space, 150n)).toEqual([1]);
    const f = pk.park(pk.EMPTY_PARK_SPACE, as, 2, W, 0n, FOREVER, 0n);
    expect(f.kind === "blocked" && f.waiter.deadline).toBe(null);
    expect(pk.parkResultCode("drained")).toBe(B.park.results.drained);
  });

  it("address errors (PARKX-5)", () => {
    const as = mapped();
    expect(pk.park(pk.EMPTY_PARK_SPACE, as, 1, W + 2n, 0n, FOREVER, 0n)).toEqual({ kind: "error", error: "invalidSqe" });
    expect(pk.park(pk.EMPTY_PARK_SPACE, as, 1, W + 4n * P, 0n, FOREVER, 0n)).toEqual({ kind: "error", error: "invalidBuffer" });
    expect(pk.park(pk.EMPTY_PARK_SPACE, as, 1, BigInt(B.layout.userAddressLimit), 0n, FOREVER, 0n)).toEqual({ kind: "error", error: "invalidBuffer" });
    const none = vm.protect(as, W, P, 0n);
    if (!none.ok) throw new Error();
    expect(pk.park(pk.EMPTY_PARK_SPACE, none.as, 1, W, 0n, FOREVER, 0n)).toEqual({ kind: "error", error: "invalidBuffer" });
    expect(pk.unpark(pk.EMPTY_PARK_SPACE, as, W + 1n, 1n)).toEqual({ kind: "error", error: "invalidSqe" });
  });

  it("UNPARK wakes exactly min(count, waiters), every subset allowed; count 0 wakes none (PARKX-1, PARKX-2, GO-8)", () => {
    const as = mapped();
    let ps = pk.EMPTY_PARK_SPACE;
    for (const id of [1, 2, 3]) {
      const r = pk.park(ps, as, id, W, 0n, FOREVER, 0n);
      if (r.kind !== "blocked") throw new Error();
      ps = r.space;
    }
    const other = pk.park(ps, as, 9, W + 4n, 0n, FOREVER, 0n);
    if (other.kind !== "blocked") throw new Error();
    ps = other.space;
    const two = pk.unpark(ps, as, W, 2n);
    if (two.kind !== "woke") throw new Error();
    expect(two.choices.map((c) => c.woken)).toEqual([[1, 2], [1, 3], [2, 3]]);
    for (const c of two.choices) expect(c.space.waiters.map((w) => w.id).sort()).toEqual([1, 2, 3, 9].filter((x) => !c.woken.includes(x)));
    const zero = pk.unpark(ps, as, W, 0n);
    expect(zero.kind === "woke" && zero.choices).toEqual([{ woken: [], space: ps }]);
    const all = pk.unpark(ps, as, W, BigInt(B.park.unparkAll));
    expect(all.kind === "woke" && all.choices.map((c) => c.woken)).toEqual([[1, 2, 3]]);
    const nobody = pk.unpark(pk.EMPTY_PARK_SPACE, as, W + 8n, 5n);
    expect(nobody.kind === "woke" && nobody.choices.map((c) => c.woken)).toEqual([[]]);
    expect(pk.combinations([1, 2], 3)).toEqual([]);
    expect(pk.removeWaiter(ps, 9).waiters.length).toBe(3);
  });

  it("unmap drains, and a word mapped again at the same address sees no old waiter (PARKX-6, PARKX-7)", () => {
    let as = mapped();
    const r = pk.park(pk.EMPTY_PARK_SPACE, as, 1, W + 8n, 0n, FOREVER, 0n);
    if (r.kind !== "blocked") throw new Error();
    const u = vm.unmap(as, W, P);
    if (!u.ok) throw new Error();
    const d = pk.drain(r.space, as.id, u.drained![0], u.drained![1]);
    expect(d.drained).toEqual([1]);
    expect(d.space.waiters).toEqual([]);
    // Even if a stale waiter survived (no drain), the new mapping has a new generation.
    const m = vm.map(u.as, W, P, 3n);
    if (!m.ok) throw new Error();
    as = m.as;
    const w = pk.unpark(r.space, as, W + 8n, 1n);
    expect(w.kind === "woke" && w.choices).toEqual([{ woken: [], space: r.space }]);
  });

  it("invariants under random op sequences: no waiter on an unmapped/decommitted word, mismatches never block", () => {
    type Op = { k: "park" | "unpark" | "unmap" | "decommit" | "map" | "store"; slot: number; v: number };
    const opArb: fc.Arbitrary<Op> = fc.record({ k: fc.constantFrom("park", "unpark", "unmap", "decommit", "map", "store"), slot: fc.integer({ min: 0, max: 5 }), v: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let as = vm.emptyAddressSpace();
        let ps = pk.EMPTY_PARK_SPACE;
        let id = 0;
        for (const o of ops) {
          const page = W + BigInt(o.slot >> 1) * P;
          const addr = page + BigInt((o.slot & 1) * 4);
          if (o.k === "map") {
            const r = vm.map(as, page, P, 3n);
            if (r.ok) as = r.as;
          } else if (o.k === "store") {
            const r = vm.store(as, Number(addr), 4, BigInt(o.v));
            if (r.ok) as = r.value;
          } else if (o.k === "park") {
            const before = vm.load(as, Number(addr), 4);
            const r = pk.park(ps, as, ++id, addr, BigInt(o.v), FOREVER, 0n);
            if (before.ok && before.value !== BigInt(o.v)) expect(r.kind).toBe("complete");
            if (r.kind === "blocked") ps = r.space;
          } else if (o.k === "unpark") {
            const r = pk.unpark(ps, as, addr, 1n);
            if (r.kind === "woke") ps = r.choices[0]!.space;
          } else {
            const r = o.k === "unmap" ? vm.unmap(as, page, P) : vm.decommit(as, page, P);
            if (r.ok) {
              as = r.as;
              ps = pk.drain(ps, as.id, r.drained![0], r.drained![1]).space;
            }
          }
          for (const w of ps.waiters) {
            expect(vm.pageAllows(as, w.key.addr, "read")).toBe(true);
            expect(w.key.gen).toBe(vm.generationAt(as, w.key.addr));
          }
        }
      }),
      { seed: 4242, numRuns: 200 },
    );
  });
});

describe("timer (TIMERX-1)", () => {
  it("never early, monotonic", () => {
    expect(timer.isDue(10n, 9n)).toBe(false);
    expect(timer.isDue(10n, 10n)).toBe(true);
    expect(timer.isDue(null, 10n ** 30n)).toBe(false);
    expect(timer.advance(5n, 3n)).toBe(5n);
    expect(timer.advance(5n, 8n)).toBe(8n);
    expect(timer.nowAllowed(5n, 4n)).toBe(false);
    expect(timer.nowAllowed(5n, 5n)).toBe(true);
    expect(timer.earliest([null, 7n, 3n, null])).toBe(3n);
    expect(timer.earliest([null])).toBe(null);
    expect(timer.deadlineAfter(5n, 7n)).toBe(12n);
  });
});

describe("threads (THR-*, FSB-*, THRX-*)", () => {
  it("spawn, per-thread FS base, canonical check, join, last exit ends the process", () => {
    let tt = th.spawnThread(new Map(), 0, 0x1000n);
    tt = th.spawnThread(tt, 1, null);
    expect(() => th.spawnThread(tt, 1, null)).toThrow(RangeError);
    const s = th.setFsBase(tt, 1, 0x7000_0000n);
    if (!s.ok) throw new Error();
    tt = s.tt;
    expect(th.getFsBase(tt, 0)).toBe(0x1000n);
    expect(th.getFsBase(tt, 1)).toBe(0x7000_0000n);
    expect(th.setFsBase(tt, 1, 0x8000_0000_0000n)).toEqual({ ok: false, exc: "invalidArgument" });
    expect(th.setFsBase(tt, 1, 0xffff_8000_0000_0000n).ok).toBe(true);
    expect(th.isCanonical(0x7fff_ffff_ffffn)).toBe(true);
    expect(th.isCanonical(0xffff_7fff_ffff_ffffn)).toBe(false);
    expect(th.getFsBase(th.learnFsBase(tt, 0, 5n), 0)).toBe(5n);
    expect(th.joinThread(tt, 1)).toEqual({ done: false });
    const e1 = th.exitThread(tt, 1, 42n);
    expect(e1.processEnds).toBe(false);
    expect(th.joinThread(e1.tt, 1)).toEqual({ done: true, value: 42n });
    expect(() => th.getFsBase(e1.tt, 1)).toThrow(RangeError);
    expect(th.exitThread(e1.tt, 0, 0n).processEnds).toBe(true);
  });
});
