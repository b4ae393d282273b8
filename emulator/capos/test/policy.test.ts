/**
 * The alternate policy makes different choices from the default for every point the ABI
 * leaves open, and each choice still follows the rule (emulator/capos/policy.ts).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import { PageRuns } from "../page-runs.js";
import { ALTERNATE_POLICY as A, DEFAULT_POLICY as D } from "../policy.js";

/** The VM map holding exactly `pages`. */
function held(pages: number[]): PageRuns {
  const r = new PageRuns();
  for (const pn of pages) r.set(pn, pn + 1, 1);
  return r;
}

const L = B.layout;
const P = B.pageSize;

describe("alternate policy: different choices, same rules", () => {
  it("places top-down in free space, ignoring the hint (VMX-2)", () => {
    const lo = L.vmWindowBase / P;
    const hi = L.vmWindowEnd / P;
    const used = held([hi - 1, hi - 3]);
    expect(A.placeMapping(null, 1, lo, hi, used)).toBe(hi - 2);
    expect(A.placeMapping(lo, 2, lo, hi, used)).toBe(hi - 5);
    expect(D.placeMapping(null, 2, lo, hi, used)).toBe(lo);
    expect(A.placeMapping(null, 3, lo, lo + 2, held([]))).toBeNull();
  });
  it("puts the TP lower in the TLS area, aligned, falling back when the block would not fit (TLSV2-7)", () => {
    const tp = A.threadPointer(L, 256, 0x380);
    expect(tp).not.toBe(D.threadPointer(L, 256, 0x380));
    expect(tp % 256).toBe(0);
    expect(tp - 0x380).toBeGreaterThanOrEqual(L.ringVaddr - L.tlsAreaSize);
    const big = L.tlsAreaSize - 2 * P;
    expect(A.threadPointer(L, 16, big)).toBe(D.threadPointer(L, 16, big));
  });
  it("wakes the newest waiters first (PARKX-2), fires timers late but never early (PARKX-4)", () => {
    expect(A.unparkWakes(["a", "b", "c"], 2)).toEqual(["c", "b"]);
    expect(D.unparkWakes(["a", "b", "c"], 2)).toEqual(["a", "b"]);
    expect(A.timerFiresAt(1000n, 0n)).toBeGreaterThan(1000n);
    expect(A.timerFiresAt(1000n, 5000n)).toBe(5000n);
  });
  it("puts spawned threads' rings on other pages of the ring range (THRX-1)", () => {
    const rings = [0, 1, 2].map((s) => A.threadRingAddress(B, s));
    expect(new Set(rings).size).toBe(3);
    for (const r of rings) {
      expect(r).toBeGreaterThanOrEqual(L.threadRingBase);
      expect(r + P).toBeLessThanOrEqual(L.ringVaddr - L.tlsAreaSize);
      expect(r).not.toBe(D.threadRingAddress(B, 0));
    }
  });
  it("starts the clock at 0; the default starts it just below 2^32 ns, so a short run crosses it (TIMERX-1)", () => {
    expect(A.clockOriginNs).toBe(0n);
    expect(D.clockOriginNs).toBeLessThan(1n << 32n);
    expect(D.clockOriginNs + 10_000_000n).toBeGreaterThan(1n << 32n);
  });
});
