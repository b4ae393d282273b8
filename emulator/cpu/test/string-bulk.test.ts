/**
 * REP MOVS/STOS against the architectural definition (SDM "REP MOVS", "REP STOS"): each
 * iteration reads one whole element at RSI, writes it at RDI, steps both by the width and
 * retires as one instruction. The emulator copies forward REPs in bulk, page by page; this
 * property checks it against an element-by-element model written here, over overlapping
 * copies (a destination just above the source replicates a pattern), page-straddling
 * elements, budgets that stop mid-copy and an unmapped page that faults mid-copy.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, getReg64, setReg64 } from "../index.js";

const CODE = 0x400000, DATA = 0x600000, PAGES = 4, SIZE = PAGES * 4096;

interface Case { movs: boolean; w: number; src: number; dst: number; count: number; budget: number; guard: boolean; seed: number }

function code(c: Case): number[] {
  const pfx = c.w === 2 ? [0x66] : [];
  const rex = c.w === 8 ? [0x48] : [];
  const op = (c.movs ? 0xa4 : 0xaa) + (c.w === 1 ? 0 : 1);
  return [...pfx, 0xf3, ...rex, op, 0xf4];
}

/** The model: memory bytes, then iterate element by element. */
function model(c: Case, init: Uint8Array): { mem: Uint8Array; done: number; fault: number | null; kind: string; icount: number } {
  const mem = init.slice();
  const limit = c.guard ? SIZE - 4096 : SIZE; // the guard page (last one) is unmapped
  const steps = Math.min(c.count, c.budget);
  let done = 0, fault: number | null = null;
  for (; done < steps; done++) {
    const s = c.src + done * c.w, d = c.dst + done * c.w;
    if (c.movs && s + c.w > limit) { fault = Math.max(s, limit); break; }
    if (d + c.w > limit) { fault = Math.max(d, limit); break; }
    const el = c.movs ? mem.slice(s, s + c.w) : Uint8Array.from({ length: c.w }, (_, i) => (c.seed >>> (8 * (i % 4))) & 255);
    mem.set(el, d);
  }
  if (fault !== null) return { mem, done, fault, kind: "fault", icount: done };
  // with a zero count the REP instruction still retires, once
  if (c.count === 0) return { mem, done, fault, kind: c.budget > 1 ? "hlt" : "budget", icount: Math.min(c.budget, 2) };
  if (done === c.count && c.budget > c.count) return { mem, done, fault, kind: "hlt", icount: c.count + 1 };
  return { mem, done, fault, kind: "budget", icount: done };
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  movs: fc.boolean(), w: fc.constantFrom(1, 2, 4, 8),
  src: fc.nat(SIZE - 1), dst: fc.nat(SIZE - 1),
  // near the source, so overlapping copies are common
  near: fc.option(fc.integer({ min: -40, max: 40 }), { nil: undefined }),
  count: fc.nat(6000), budget: fc.integer({ min: 1, max: 7000 }), guard: fc.boolean(), seed: fc.nat(),
}).map((r) => {
  const dst = r.near === undefined ? r.dst : Math.min(SIZE - 1, Math.max(0, r.src + r.near));
  const count = Math.floor(Math.min(r.count, (SIZE - Math.max(r.src, dst)) * 1.2) / r.w);
  return { movs: r.movs, w: r.w, src: r.src, dst, count, budget: r.budget, guard: r.guard, seed: r.seed };
});

describe("REP MOVS/STOS (bulk copy) against the element-by-element definition", () => {
  it("gives the same memory, RSI/RDI/RCX, stop and retired count", () => {
    fc.assert(fc.property(caseArb, (k) => {
      const m = new Memory(64);
      m.map(CODE, 4096, PROT_READ | PROT_EXEC);
      m.writeBytes(CODE, Uint8Array.from(code(k)));
      m.map(DATA, k.guard ? SIZE - 4096 : SIZE, PROT_READ | PROT_WRITE);
      const init = new Uint8Array(SIZE);
      for (let i = 0; i < SIZE; i++) init[i] = (i * 131 + k.seed) & 255;
      m.writeBytes(DATA, init.subarray(0, k.guard ? SIZE - 4096 : SIZE));
      const c = new CpuState();
      c.rip = CODE;
      setReg64(c, 0, BigInt(k.seed >>> 0) | (BigInt(k.seed >>> 0) << 32n));
      setReg64(c, 1, BigInt(k.count));
      setReg64(c, 6, BigInt(DATA + k.src));
      setReg64(c, 7, BigInt(DATA + k.dst));
      const stop = run(c, m, k.budget);
      const want = model(k, init);
      expect(stop.kind).toBe(want.kind);
      if (stop.kind === "fault") {
        expect(stop.fault).toMatchObject({ type: "#PF", addr: BigInt(DATA + want.fault!) });
      }
      expect(c.icount).toBe(want.icount);
      expect(getReg64(c, 1)).toBe(BigInt(k.count - want.done));
      if (k.movs) expect(getReg64(c, 6)).toBe(BigInt(DATA + k.src + want.done * k.w));
      expect(getReg64(c, 7)).toBe(BigInt(DATA + k.dst + want.done * k.w));
      const got = m.readBytes(DATA, k.guard ? SIZE - 4096 : SIZE);
      expect(Buffer.from(got).equals(Buffer.from(want.mem.subarray(0, got.length)))).toBe(true);
    }), { seed: 77, numRuns: 400 });
  });
});

/**
 * An FS-relative string operand's linear address is FS.base + RSI mod 2^64 (SDM vol. 1
 * 3.4.2.1, "REP MOVS"/"LODS"): a negative RSI reaches below the base. The emulator read a
 * 64-bit RSI unsigned, so RSI = -8 became 2^64 - 8, which a double rounds to 2^64, and the
 * access faulted at FS.base + 2^64 instead of reading FS.base - 8.
 */
describe("string operands relative to FS with a negative RSI", () => {
  function machine(bytes: number[], rsi: bigint, fsBase: number | null) {
    const m = new Memory(64);
    m.map(CODE, 4096, PROT_READ | PROT_EXEC);
    m.writeBytes(CODE, Uint8Array.from([...bytes, 0xf4]));
    m.map(DATA, 4096, PROT_READ | PROT_WRITE);
    m.writeBytes(DATA, Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 255));
    const c = new CpuState();
    c.rip = CODE;
    if (fsBase !== null) c.fsBase = fsBase;
    setReg64(c, 6, rsi);
    return { c, m };
  }
  const qwordAt = (m: Memory, a: number) => Buffer.from(m.readBytes(a, 8)).readBigUInt64LE();

  it("fs lodsq with RSI = -8 reads the qword just below FS.base and leaves RSI = 0", () => {
    const { c, m } = machine([0x64, 0x48, 0xad], -8n, DATA + 24);
    expect(run(c, m, 10).kind).toBe("hlt");
    expect(getReg64(c, 0)).toBe(qwordAt(m, DATA + 16));
    expect(getReg64(c, 6)).toBe(0n);
  });

  it("fs rep movsq with RSI = -16 copies the two qwords below FS.base (the bulk path)", () => {
    const { c, m } = machine([0xf3, 0x64, 0x48, 0xa5], -16n, DATA + 32);
    setReg64(c, 1, 2n);
    setReg64(c, 7, BigInt(DATA + 0x100));
    const want = [qwordAt(m, DATA + 16), qwordAt(m, DATA + 24)];
    expect(run(c, m, 10).kind).toBe("hlt");
    expect([qwordAt(m, DATA + 0x100), qwordAt(m, DATA + 0x108)]).toEqual(want);
    expect(getReg64(c, 6)).toBe(0n);
    expect(getReg64(c, 7)).toBe(BigInt(DATA + 0x110));
  });

  it("without a segment, lodsq at RSI = -8 faults at exactly 2^64 - 8", () => {
    const { c, m } = machine([0x48, 0xad], -8n, null);
    const stop = run(c, m, 10);
    expect(stop.kind).toBe("fault");
    if (stop.kind === "fault") expect(stop.fault).toMatchObject({ type: "#PF", addr: 2n ** 64n - 8n });
  });
});
