/**
 * The memory's cheap paths that must behave as their plain versions did (memory.ts): the TLB
 * entries a page-range change forgets (was: the whole TLB), an empty memory reused after
 * release, and executable pages shared by content between memories laid out without a
 * template. Expected values come from the x86 instructions' documented effects and from what
 * each operation means for the pages.
 */
import { describe, expect, it } from "vitest";
import { GuestFault } from "../fault.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../memory.js";
import { run } from "../run.js";
import { CpuState, RAX, getRegNum } from "../state.js";
import { cpuStats } from "../stats.js";

const RW = PROT_READ | PROT_WRITE, RX = PROT_READ | PROT_EXEC;
const faults = (f: () => unknown): boolean => {
  try { f(); return false; } catch (e) { if (e instanceof GuestFault) return true; throw e; }
};

describe("TLB after a change to a few pages", () => {
  it("map, unmap and protect take effect at once on pages the TLB holds, and leave the others' entries working", () => {
    const m = new Memory(64);
    m.map(0x10000, 0x4000, RW);
    for (let p = 0; p < 4; p++) m.w32(0x10000 + p * 0x1000, p + 1); // all four in the read and write TLBs
    for (let p = 0; p < 4; p++) expect(m.r32(0x10000 + p * 0x1000)).toBe(p + 1);
    m.map(0x11000, 0x1000, RW); // replaced by a fresh zero page
    expect(m.r32(0x11000)).toBe(0);
    m.protect(0x12000, 0x1000, PROT_READ);
    expect(faults(() => m.w32(0x12000, 5))).toBe(true);
    expect(m.r32(0x12000)).toBe(3);
    m.unmap(0x13000, 0x1000);
    expect(faults(() => m.r32(0x13000))).toBe(true);
    expect(faults(() => m.w8(0x13000, 1))).toBe(true);
    // the page outside every change kept its entry and its bytes
    expect(m.r32(0x10000)).toBe(1);
    m.w32(0x10000, 9);
    expect(m.r32(0x10000)).toBe(9);
  });

  it("a copy-on-write copy made by a kernel write is what the read TLB sees next", () => {
    const src = new Memory(64);
    src.map(0x10000, 0x1000, RW);
    src.writeU32(0x10000, 7);
    const t = src.freeze();
    const m = Memory.startFrom(t);
    expect(m.r32(0x10000)).toBe(7); // read TLB: the shared page
    m.writeU32(0x10000, 8); // own(): a private copy
    expect(m.r32(0x10000)).toBe(8);
    m.w32(0x10000, 10); // the write TLB is filled with the copy, not the shared page
    expect(Memory.startFrom(t).readU32(0x10000)).toBe(7);
  });
});

describe("an empty memory after release", () => {
  it("comes back with no pages, no TLB entries and the budget asked for", () => {
    const a = Memory.empty(64);
    a.map(0x10000, 0x1000, RW);
    a.w32(0x10000, 5);
    expect(a.r32(0x10000)).toBe(5);
    a.release();
    const b = Memory.empty(3);
    expect(b.mappedPages).toBe(0);
    expect(faults(() => b.r32(0x10000))).toBe(true);
    expect(faults(() => b.w32(0x10000, 1))).toBe(true);
    b.map(0x10000, 0x3000, RW);
    expect(b.r32(0x10000)).toBe(0);
    expect(() => b.map(0x20000, 0x1000, RW)).toThrow(/budget of 3 pages/);
    b.release();
  });
});

describe("decode caches reused after release", () => {
  it("a page's recycled cache holds none of the released memory's instructions", () => {
    const CODE = 0x1000;
    const prog = (imm: number) => Uint8Array.of(0xb8, imm & 255, (imm >>> 8) & 255, 0, 0, 0x83, 0xc0, 0x01, 0x0f, 0x05); // mov eax, imm; add eax, 1; syscall
    const exec = (m: Memory) => { const c = new CpuState(); c.rip = CODE; expect(run(c, m, 100).kind).toBe("syscall"); return getRegNum(c, RAX); };
    for (let round = 0; round < 3; round++) {
      const a = Memory.empty(64);
      a.map(CODE, 0x1000, RX);
      a.writeBytes(CODE, prog(0x100 + round));
      expect(exec(a)).toBe(0x101 + round); // decoded into a cache of a's code page
      a.release(); // the page and its cache go back for reuse
      const b = Memory.empty(64);
      b.map(CODE, 0x1000, RX);
      b.writeBytes(CODE, Uint8Array.of(0x90, 0x90, 0x90, 0x90, 0x90, 0x83, 0xc0, 0x02, 0x0f, 0x05)); // nops; add eax, 2; syscall
      expect(exec(b)).toBe(2); // not a's mov at the same offsets
      b.release();
    }
  });
});

describe("code shared by content", () => {
  const CODE = 0x1000;
  /** mov eax, imm32; add eax, 1; syscall */
  const prog = (imm: number) => Uint8Array.of(0xb8, imm & 255, (imm >>> 8) & 255, 0, 0, 0x83, 0xc0, 0x01, 0x0f, 0x05);
  function laidOut(code: Uint8Array, prot = RX): Memory {
    const m = Memory.empty(64);
    m.map(CODE, 0x1000, prot);
    m.writeBytes(CODE, code);
    m.map(0x10000, 0x1000, RW);
    m.shareCodeByContent();
    return m;
  }
  function exec(m: Memory): number {
    const c = new CpuState();
    c.rip = CODE;
    expect(run(c, m, 100).kind).toBe("syscall");
    return getRegNum(c, RAX);
  }

  it("code seen a second time is kept, and a later memory with the same bytes takes its pages and decoded code", () => {
    const imm = 0x5150; // bytes no other test of this file shares
    const first = laidOut(prog(imm)); // seen once: keeps its own pages
    const a = laidOut(prog(imm)); // seen twice: offered for sharing
    expect(a.pages.get(CODE / 0x1000)).not.toBe(first.pages.get(CODE / 0x1000));
    expect(exec(a)).toBe(imm + 1);
    const decoded = cpuStats.decoded;
    const b = laidOut(prog(imm));
    expect(b.pages.get(CODE / 0x1000)).toBe(a.pages.get(CODE / 0x1000));
    expect(exec(b)).toBe(imm + 1);
    expect(cpuStats.decoded).toBe(decoded); // nothing decoded again
    a.release();
    expect(exec(b)).toBe(imm + 1); // the shared page outlives the memory that offered it
    b.release();
    expect(exec(first)).toBe(imm + 1);
  });

  it("different code bytes at the same page numbers run their own code", () => {
    const imm = 0x6150;
    laidOut(prog(imm));
    const a = laidOut(prog(imm)); // kept
    expect(exec(a)).toBe(imm + 1);
    const b = laidOut(prog(imm + 2)); // other bytes: its own pages
    expect(b.pages.get(CODE / 0x1000)).not.toBe(a.pages.get(CODE / 0x1000));
    expect(exec(b)).toBe(imm + 3);
    const b2 = laidOut(prog(imm + 2)); // kept as a second set
    expect(exec(b2)).toBe(imm + 3);
    const c = laidOut(prog(imm)); // the first set is still there
    expect(c.pages.get(CODE / 0x1000)).toBe(a.pages.get(CODE / 0x1000));
    expect(exec(c)).toBe(imm + 1);
    expect(laidOut(prog(imm + 2)).pages.get(CODE / 0x1000)).toBe(b2.pages.get(CODE / 0x1000));
  });

  it("a shared page rewritten in one memory changes only that memory's code", () => {
    const imm = 0x7150;
    laidOut(prog(imm));
    const a = laidOut(prog(imm)), b = laidOut(prog(imm));
    expect(b.pages.get(CODE / 0x1000)).toBe(a.pages.get(CODE / 0x1000));
    expect(exec(a)).toBe(imm + 1);
    b.writeBytes(CODE, prog(imm + 10)); // a kernel write to shared code: b copies its code
    expect(exec(b)).toBe(imm + 11);
    expect(exec(a)).toBe(imm + 1);
    expect(exec(laidOut(prog(imm)))).toBe(imm + 1);
  });

  it("a writable and executable page is never shared", () => {
    const imm = 0x8150;
    const m = [0, 1, 2].map(() => laidOut(prog(imm), RX | PROT_WRITE));
    expect(m[2]!.pages.get(CODE / 0x1000)).not.toBe(m[1]!.pages.get(CODE / 0x1000));
    m[1]!.w8(CODE + 1, (imm + 4) & 255); // the guest patches its own immediate
    expect(exec(m[1]!)).toBe(imm + 5);
    expect(exec(m[2]!)).toBe(imm + 1);
  });
});
