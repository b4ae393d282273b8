import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { alignUp, initialBlock, initialTpProblem, placeInitialThread, tlsAddress, tlsHeaderProblem, tlsOffset, tpOffsetOf, type PtTls } from "./tls.js";
import { buildCase, fixtureSpecs, hasTool, type TlsFixture } from "./tools/gen-tls-fixtures.js";

const FIXTURE_DIR = fileURLToPath(new URL("./fixtures/tls/", import.meta.url));
const fixtures: TlsFixture[] = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), "utf8")) as TlsFixture);

function ptOf(fx: TlsFixture): PtTls {
  return { ...fx.ptTls, image: Uint8Array.from(Buffer.from(fx.image, "hex")) };
}

describe("TLS Variant II offsets (TLSV2-2, TLSV2-5)", () => {
  it("worked example: memsz 0x284, align 0x100, p_vaddr % 0x100 = 0x80 gives 0x380, not 0x300", () => {
    expect(tlsOffset({ vaddr: 0x2000_0080, memsz: 0x284, align: 0x100 })).toBe(0x380);
    // Aligned p_vaddr: roundup(memsz, align).
    expect(tlsOffset({ vaddr: 0x2000_0000, memsz: 0x284, align: 0x100 })).toBe(0x300);
    expect(tpOffsetOf({ vaddr: 0x2000_0080, memsz: 0x284, align: 0x100 }, 0x2000_0080)).toBe(-0x380);
  });

  it("align 0 and 1 mean unaligned; empty .tdata; .tbss only", () => {
    expect(tlsOffset({ vaddr: 0x1003, memsz: 5, align: 0 })).toBe(5);
    expect(tlsOffset({ vaddr: 0x1003, memsz: 5, align: 1 })).toBe(5);
    expect(tlsOffset({ vaddr: 0x1000, memsz: 0, align: 16 })).toBe(0);
    const tbss: PtTls = { vaddr: 0x1000, filesz: 0, memsz: 24, align: 8 };
    expect(Array.from(initialBlock(tbss))).toEqual(new Array(24).fill(0));
    expect(() => tpOffsetOf(tbss, 0x0fff)).toThrow(RangeError);
    expect(() => tpOffsetOf(tbss, 0x1019)).toThrow(RangeError);
  });

  it("the offset is the smallest >= memsz congruent to -p_vaddr (brute force, alignments 1..4096)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0x3fff }), fc.integer({ min: 0, max: 0x10_0000 }), (k, memsz, vaddr) => {
        const align = 2 ** k;
        const off = tlsOffset({ vaddr, memsz, align });
        let brute = memsz;
        while ((((-brute % align) + align) % align) !== vaddr % align) brute++;
        expect(off).toBe(brute);
      }),
      { seed: 1234, numRuns: 300 },
    );
  });

  it(`agrees with ${fixtures.length} linker-computed fixtures (GNU ld and lld, incl. misaligned p_vaddr)`, () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    expect(fixtures.some((f) => f.toolchain === "clang-lld" && f.ptTls.vaddr % f.ptTls.align !== 0)).toBe(true);
    expect(fixtures.some((f) => f.toolchain === "gcc-bfd")).toBe(true);
    for (const fx of fixtures) {
      const pt = ptOf(fx);
      expect(tlsHeaderProblem(pt)).toBeUndefined();
      const block = initialBlock(pt);
      for (const v of fx.vars) {
        // The linker's number, resolved into the code, is the ground truth.
        expect(tpOffsetOf(pt, fx.ptTls.vaddr + v.stValue), `${fx.name} ${v.name}`).toBe(v.tpoff);
        // TLSV2-6: with TP aligned to p_align the address is a multiple of the variable's alignment.
        expect(((v.tpoff % v.align) + v.align) % v.align, `${fx.name} ${v.name} alignment`).toBe(0);
        // TLSV2-4: initial values come from the image, .tbss is zero.
        const bytes = Buffer.from(block.subarray(v.stValue, v.stValue + v.size)).toString("hex");
        expect(bytes, `${fx.name} ${v.name} initial bytes`).toBe(v.tbss ? "00".repeat(v.size) : v.init);
      }
    }
  });

  it("regenerating fixtures with the installed toolchains reproduces the committed ones", (ctx) => {
    if (!hasTool("gcc") || !hasTool("clang") || !hasTool("ld.lld") || !hasTool("readelf")) return ctx.skip("gcc/clang/lld not installed");
    const dir = mkdtempSync(join(tmpdir(), "tls-regen-"));
    try {
      const specs = fixtureSpecs();
      const chosen = [specs[0]!, specs.find((s) => s.name === "clang-lld-misplaced-a")!, specs.find((s) => s.toolchain === "clang-lld")!];
      for (const spec of chosen) {
        const committed = fixtures.find((f) => f.name === spec.name);
        expect(committed, spec.name).toBeDefined();
        expect(buildCase(spec, dir)).toEqual(committed);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("initial thread placement (TLSV2-7, TLSV2-8, TLSV2-1)", () => {
  const L = B.layout;
  it("places TP below the ring page, aligned, with the self-pointer and the image", () => {
    const image = Uint8Array.from([1, 2, 3, 4, 5]);
    const pt: PtTls = { vaddr: 0x20_1080, filesz: 5, memsz: 0x284, align: 0x100, image };
    const r = placeInitialThread(pt);
    if (!r.ok) throw new Error(r.reason);
    const p = r.placement;
    // Computed by hand: ringVaddr - 64 = 0x7fff_ffef_ffc0, aligned down to 0x100.
    expect(p.tp).toBe(0x7fff_ffef_ff00);
    expect(p.tpAlign).toBe(0x100);
    expect(p.tlsOffset).toBe(0x380);
    expect(p.blockStart).toBe(0x7fff_ffef_ff00 - 0x380);
    expect(Array.from(p.bytes.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 0]);
    const dv = new DataView(p.bytes.buffer);
    expect(dv.getBigUint64(0x380, true)).toBe(0x7fff_ffef_ff00n);
    expect(p.selfPointer).toBe(0x7fff_ffef_ff00n);
    expect(p.bytes.length).toBe(0x380 + L.tcbSize);
    expect(tlsAddress(pt, p.tp, 0x20_1080 + 0x100)).toBe(0x7fff_ffef_ff00 - 0x280);
  });

  it("without PT_TLS there is still a TCB with the self-pointer (TLSV2-8)", () => {
    const r = placeInitialThread(null);
    if (!r.ok) throw new Error(r.reason);
    expect(r.placement.tp).toBe(0x7fff_ffef_ffc0);
    expect(r.placement.bytes.length).toBe(L.tcbSize);
    expect(new DataView(r.placement.bytes.buffer).getBigUint64(0, true)).toBe(0x7fff_ffef_ffc0n);
  });

  it("rejects blocks that do not fit, bad alignments and filesz > memsz", () => {
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 0, memsz: L.tlsAreaSize, align: 16 }).ok).toBe(false);
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 0, memsz: L.tlsAreaSize - 128, align: 16 }).ok).toBe(true);
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 0, memsz: 8, align: 24 }).ok).toBe(false);
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 0, memsz: 8, align: 8192 }).ok).toBe(false);
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 9, memsz: 8, align: 8 }).ok).toBe(false);
    expect(placeInitialThread({ vaddr: 0x1000, filesz: 4, memsz: 8, align: 8, image: new Uint8Array(2) }).ok).toBe(false);
  });

  it("fits exactly at the area boundary", () => {
    // tp = 0x7fff_ffef_ffc0 with align 16; the largest memsz that fits ends exactly at the area start.
    const tp = 0x7fff_ffef_ffc0;
    const max = tp - (L.ringVaddr - L.tlsAreaSize);
    expect(placeInitialThread({ vaddr: 0, filesz: 0, memsz: max, align: 16 }).ok).toBe(true);
    expect(placeInitialThread({ vaddr: 0, filesz: 0, memsz: max + 1, align: 16 }).ok).toBe(false);
  });

  it("TP is aligned and every block byte stays inside the area (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0x2_0000 }), fc.integer({ min: 0, max: 0xffff }), (k, memsz, vaddr) => {
        const align = 2 ** k;
        const r = placeInitialThread({ vaddr, filesz: 0, memsz, align });
        if (!r.ok) return;
        const p = r.placement;
        expect(p.tp % Math.max(align, L.tpMinAlign)).toBe(0);
        expect(p.blockStart).toBeGreaterThanOrEqual(L.ringVaddr - L.tlsAreaSize);
        expect(p.tp + L.tcbSize).toBeLessThanOrEqual(L.ringVaddr);
        // datum at p_vaddr lands on an address congruent to p_vaddr mod p_align
        expect(((p.blockStart - vaddr) % align + align) % align).toBe(0);
        expect(alignUp(p.blockStart, 1)).toBe(p.blockStart);
      }),
      { seed: 99, numRuns: 200 },
    );
  });
});

describe("the initial TP rule every implementation follows (TLSV2-3, TLSV2-7)", () => {
  const t = { vaddr: 0x40_1000, memsz: 0x284, align: 0x100 };
  const L = B.layout;
  it("accepts the default placement and any other aligned TP whose block fits the TLS area", () => {
    const p = placeInitialThread({ ...t, filesz: 0 });
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(initialTpProblem(t, BigInt(p.placement.tp))).toBeUndefined();
    expect(initialTpProblem(t, BigInt(p.placement.tp - 0x1_0000))).toBeUndefined();
    expect(initialTpProblem(t, BigInt(L.ringVaddr - L.tlsAreaSize + 0x400))).toBeUndefined();
  });
  it("refuses a misaligned TP, and a block or TCB outside the area", () => {
    expect(initialTpProblem(null, 3n)).toMatch(/not aligned/);
    expect(initialTpProblem(t, BigInt(L.ringVaddr - 0x1000 + 0x80))).toMatch(/not aligned to max\(p_align, tpMinAlign\) = 256/);
    expect(initialTpProblem(t, BigInt(L.ringVaddr))).toMatch(/not inside the TLS area/);
    expect(initialTpProblem(t, BigInt(L.ringVaddr - L.tlsAreaSize + 0x100))).toMatch(/not inside the TLS area/);
    expect(initialTpProblem(null, BigInt(L.ringVaddr - 0x10))).toMatch(/not inside the TLS area/);
  });
});
