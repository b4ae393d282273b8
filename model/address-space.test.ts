import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import * as vm from "./address-space.js";

const W = BigInt(B.layout.vmWindowBase);
const P = 4096n;
const RW = 3n;

function ok(r: vm.VmResult): { as: vm.AddressSpace; value: bigint; drained?: readonly [number, number] } {
  if (!r.ok) throw new Error(`${r.exc}: ${r.why}`);
  return r;
}

type RangeOp = "map" | "reserve" | "commit" | "decommit" | "protect" | "unmap";

/** One VirtualMemory call by name (the random edit sequences below). */
function rangeOp(as: vm.AddressSpace, k: RangeOp, addr: bigint, size: bigint, prot: bigint, b: typeof B): vm.VmResult {
  switch (k) {
    case "map": return vm.map(as, addr, size, prot, b);
    case "reserve": return vm.reserve(as, addr, size, b);
    case "commit": return vm.commit(as, addr, size, prot, b);
    case "decommit": return vm.decommit(as, addr, size, b);
    case "protect": return vm.protect(as, addr, size, prot, b);
    case "unmap": return vm.unmap(as, addr, size, b);
  }
}

describe("VirtualMemory (VMX-*, GO-*)", () => {
  it("map places first fit at the window base, hints are honoured when free (VMX-2)", () => {
    let as = vm.emptyAddressSpace();
    const a = ok(vm.map(as, 0n, 2n * P, RW));
    expect(a.value).toBe(W);
    as = a.as;
    const b = ok(vm.map(as, W + 16n * P, P, RW));
    expect(b.value).toBe(W + 16n * P);
    as = b.as;
    // hint overlapping a mapping, unaligned hint, hint outside the window: first fit (page 2)
    expect(ok(vm.map(as, W + P, P, RW)).value).toBe(W + 2n * P);
    expect(ok(vm.map(as, W + 16n * P + 1n, P, RW)).value).toBe(W + 2n * P);
    expect(ok(vm.reserve(as, 0x1000n, 3n * P)).value).toBe(W + 2n * P);
    // a gap too small is skipped: pages 2..15 are free (14 pages), 20 pages go after page 16
    expect(ok(vm.map(as, 0n, 20n * P, RW)).value).toBe(W + 17n * P);
    expect(vm.regions(as)).toEqual([
      { start: Number(W), end: Number(W + 2n * P), state: "committed", prot: 3 },
      { start: Number(W + 16n * P), end: Number(W + 17n * P), state: "committed", prot: 3 },
    ]);
  });

  it("rejects bad sizes, addresses, prot bits and out-of-window ranges (VMX-1, VMX-7)", () => {
    const as = ok(vm.map(vm.emptyAddressSpace(), 0n, P, RW)).as;
    const exc = (r: vm.VmResult): string => (r.ok ? "ok" : r.exc);
    expect(exc(vm.map(as, 0n, 0n, RW))).toBe("invalidArgument");
    expect(exc(vm.map(as, 0n, 100n, RW))).toBe("invalidArgument");
    expect(exc(vm.map(as, 0n, P, 8n))).toBe("invalidArgument");
    expect(exc(vm.reserve(as, 0n, P + 1n))).toBe("invalidArgument");
    expect(exc(vm.unmap(as, W + 1n, P))).toBe("invalidArgument");
    expect(exc(vm.unmap(as, 0x1000n, P))).toBe("invalidArgument");
    expect(exc(vm.protect(as, W, P, 0x10n))).toBe("invalidArgument");
    expect(exc(vm.commit(as, W, P, 0x10n))).toBe("invalidArgument");
    expect(exc(vm.commit(as, W, 3n, RW))).toBe("invalidArgument");
    expect(exc(vm.decommit(as, W, 0n))).toBe("invalidArgument");
    expect(exc(vm.map(as, 0n, BigInt(B.layout.vmWindowEnd - B.layout.vmWindowBase) + P, 0n))).toBe("overloaded");
  });

  it("commit needs reserved pages, protect committed ones (VMX-4)", () => {
    let as = ok(vm.reserve(vm.emptyAddressSpace(), 0n, 2n * P)).as;
    expect(vm.protect(as, W, P, 1n).ok).toBe(false);
    expect(vm.commit(as, W, 3n * P, RW).ok).toBe(false);
    as = ok(vm.commit(as, W, P, RW)).as;
    expect(as.committedPages).toBe(1);
    expect(vm.protect(as, W, 2n * P, 1n).ok).toBe(false);
    as = ok(vm.protect(as, W, P, 1n)).as;
    expect(vm.regions(as).map((r) => [r.state, r.prot])).toEqual([["committed", 1], ["reserved", 0]]);
    expect(vm.decommit(as, W, 3n * P).ok).toBe(false);
  });

  it("reserved pages fault, committed read zero, stores are visible, decommit forfeits (GO-2..5)", () => {
    let as = ok(vm.reserve(vm.emptyAddressSpace(), 0n, 2n * P)).as;
    expect(vm.load(as, Number(W), 4)).toEqual({ ok: false, fault: "#PF", addr: Number(W), access: "read" });
    as = ok(vm.commit(as, W, 2n * P, RW)).as;
    expect(vm.load(as, Number(W) + 5, 8)).toEqual({ ok: true, value: 0n });
    const s = vm.store(as, Number(W) + 4094, 4, 0x44332211n);
    if (!s.ok) throw new Error("store faulted");
    as = s.value;
    // little-endian, crossing the page boundary
    expect(vm.load(as, Number(W) + 4094, 4)).toEqual({ ok: true, value: 0x44332211n });
    expect(vm.load(as, Number(W) + 4096, 1)).toEqual({ ok: true, value: 0x33n });
    // commit over committed pages keeps contents (VMX-4)
    as = ok(vm.commit(as, W, P, RW)).as;
    expect(vm.load(as, Number(W) + 4095, 1)).toEqual({ ok: true, value: 0x22n });
    // protect(read): loads work, stores fault; protect(none) faults everything but stays charged (GO-5)
    const ro = ok(vm.protect(as, W + P, P, 1n)).as;
    expect(vm.store(ro, Number(W) + 4094, 4, 0n)).toEqual({ ok: false, fault: "#PF", addr: Number(W) + 4096, access: "write" });
    const none = ok(vm.protect(as, W, P, 0n)).as;
    expect(vm.load(none, Number(W) + 4094, 4)).toEqual({ ok: false, fault: "#PF", addr: Number(W) + 4094, access: "read" });
    expect(none.committedPages).toBe(2);
    // decommit: faults, then recommit reads zero (GO-4), generation bumped (PARKX-7)
    const d = ok(vm.decommit(as, W, P));
    expect(d.drained).toEqual([Number(W), Number(W + P)]);
    expect(vm.load(d.as, Number(W) + 4095, 1).ok).toBe(false);
    expect(vm.generationAt(d.as, Number(W))).toBe(1);
    expect(vm.generationAt(d.as, Number(W + P))).toBe(0);
    const re = ok(vm.commit(d.as, W, P, RW)).as;
    expect(vm.load(re, Number(W) + 4094, 4)).toEqual({ ok: true, value: 0x4433_0000n });
    expect(d.as.committedPages).toBe(1);
    // write-only pages are readable (VMX-6); exec needs the exec bit
    const wo = ok(vm.protect(as, W, P, 2n)).as;
    expect(vm.pageAllows(wo, Number(W), "read")).toBe(true);
    expect(vm.pageAllows(wo, Number(W), "exec")).toBe(false);
    expect(vm.pageAllows(ok(vm.protect(as, W, P, 5n)).as, Number(W), "exec")).toBe(true);
    expect(() => vm.load(as, Number(W), 9)).toThrow(RangeError);
    expect(() => vm.store(as, Number(W), 0, 0n)).toThrow(RangeError);
  });

  it("unmap frees over holes, releases charges and bumps generations (VMX-3, GO-6)", () => {
    let as = ok(vm.map(vm.emptyAddressSpace(), 0n, 3n * P, RW)).as;
    const u = ok(vm.unmap(as, W + P, 8n * P));
    as = u.as;
    expect(as.reservedPages).toBe(1);
    expect(as.committedPages).toBe(1);
    expect(vm.generationAt(as, Number(W + P))).toBe(1);
    expect(vm.generationAt(as, Number(W + 5n * P))).toBe(0);
    expect(ok(vm.map(as, 0n, P, RW)).value).toBe(W + P);
    expect(vm.addressSpaceKey(as)).toContain("g");
  });

  it("quotas: committed and reserved pages never exceed them, failures change nothing (VMX-5)", () => {
    const small = { ...B, vm: { ...B.vm, committedPageQuota: 8, reservedPageQuota: 16 } };
    const opArb = fc.oneof(
      fc.record({ k: fc.constant("map" as const), pages: fc.integer({ min: 1, max: 6 }), slot: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ k: fc.constant("reserve" as const), pages: fc.integer({ min: 1, max: 6 }), slot: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ k: fc.constant("commit" as const), pages: fc.integer({ min: 1, max: 6 }), slot: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ k: fc.constant("decommit" as const), pages: fc.integer({ min: 1, max: 6 }), slot: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ k: fc.constant("unmap" as const), pages: fc.integer({ min: 1, max: 6 }), slot: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        let as = vm.emptyAddressSpace();
        for (const o of ops) {
          const r = rangeOp(as, o.k, W + BigInt(o.slot) * P, BigInt(o.pages) * P, RW, small);
          if (!r.ok) continue;
          as = r.as;
          expect(as.committedPages).toBeLessThanOrEqual(8);
          expect(as.reservedPages).toBeLessThanOrEqual(16);
          expect(as.committedPages).toBeLessThanOrEqual(as.reservedPages);
          // regions tile exactly the pages
          expect(vm.regions(as, small).reduce((n, x) => n + (x.end - x.start) / 4096, 0)).toBe(as.reservedPages);
        }
      }),
      { seed: 7, numRuns: 150 },
    );
  });
});

describe("runs of pages", () => {
  it("stay sorted, disjoint and maximal, and say what the per-page view says, through any edits", () => {
    const small = { ...B, vm: { ...B.vm, committedPageQuota: 12, reservedPageQuota: 20 } };
    const opArb = fc.record({
      k: fc.constantFrom<RangeOp | "store">("map", "reserve", "commit", "decommit", "unmap", "protect", "store"),
      pages: fc.integer({ min: 1, max: 6 }),
      slot: fc.integer({ min: 0, max: 12 }),
      prot: fc.constantFrom(0n, 1n, 3n, 5n),
    });
    const maximal = (runs: readonly { first: number; end: number }[], same: (i: number) => boolean): boolean =>
      runs.every((r, i) => r.first < r.end && (i === 0 || runs[i - 1]!.end < r.first || (runs[i - 1]!.end === r.first && !same(i))));
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        let as = vm.emptyAddressSpace();
        for (const o of ops) {
          const addr = W + BigInt(o.slot) * P;
          if (o.k === "store") {
            const s = vm.store(as, Number(addr) + 8, 8, 0x1234n, small);
            if (s.ok) as = s.value;
          } else {
            const r = rangeOp(as, o.k, addr, BigInt(o.pages) * P, o.prot, small);
            if (r.ok) as = r.as;
          }
          // Maximal runs make equal page maps equal run lists (the checker's memo keys read the runs).
          expect(maximal(as.runs, (i) => as.runs[i - 1]!.state === as.runs[i]!.state && as.runs[i - 1]!.prot === as.runs[i]!.prot)).toBe(true);
          expect(maximal(as.gens, (i) => as.gens[i - 1]!.gen === as.gens[i]!.gen)).toBe(true);
          const { pages, gens } = vm.pagesOf(as);
          const again = vm.fromPages(as.id, pages, gens);
          expect(again.runs).toEqual(as.runs);
          expect(again.gens).toEqual(as.gens);
          expect([again.reservedPages, again.committedPages]).toEqual([as.reservedPages, as.committedPages]);
          // Contents only on committed pages (decommit and unmap forfeit them, GO-4, GO-6).
          for (const p of as.data.keys()) expect(pages.get(p)?.state).toBe("committed");
        }
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe("pageDataText", () => {
  it("lists exactly the non-zero bytes, whatever the view's offset and length (its word-skipping fast path)", () => {
    const plain = (d: Uint8Array): string => Array.from(d).flatMap((x, i) => (x !== 0 ? [`${i.toString(16)}:${x.toString(16)},`] : [])).join("");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 70 }), fc.array(fc.tuple(fc.nat(69), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }), (offset, length, writes) => {
        const d = new Uint8Array(new ArrayBuffer(80), offset, length);
        for (const [i, x] of writes) if (i < length) d[i] = x;
        expect(vm.pageDataText(d)).toBe(plain(d));
      }),
      { seed: 11, numRuns: 400 },
    );
  });
});

describe("load and store bytes", () => {
  it("store then load of any size gives the value's low bytes, little-endian, across a page boundary too (VMX-6)", () => {
    const two = ok(vm.map(vm.emptyAddressSpace(), W, 2n * P, RW, B)).as;
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 4088, max: 4100 }), (value, size, offset) => {
        const addr = Number(W) + offset;
        const s = vm.store(two, addr, size, value, B);
        if (!s.ok) throw new Error("store faulted");
        const mask = (1n << BigInt(8 * size)) - 1n;
        const l = vm.load(s.value, addr, size, B);
        expect(l.ok && l.value).toBe(value & mask);
        // Each byte on its own, as a DataView lays the value out.
        const bytes = new DataView(new ArrayBuffer(8));
        bytes.setBigUint64(0, BigInt.asUintN(64, value), true);
        for (let i = 0; i < size; i++) {
          const one = vm.load(s.value, addr + i, 1, B);
          expect(one.ok && one.value).toBe(BigInt(bytes.getUint8(i)));
        }
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});
