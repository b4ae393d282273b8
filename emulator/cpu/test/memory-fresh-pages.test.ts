/**
 * Two per-case savings in memory.ts must not be observable: fresh non-executable pages share
 * one zero buffer until written (a write copies, every other page still reads zero), and a
 * store drops the previous page's decoded code only when an instruction there may reach into
 * the written page (one starting in its last 15 bytes), which must then run with its new bytes.
 * Expected values come from the x86 instructions' documented effects.
 */
import { describe, expect, it } from "vitest";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../memory.js";
import { run } from "../run.js";
import { CpuState, RAX, getRegNum } from "../state.js";

const RW = PROT_READ | PROT_WRITE, RWX = RW | PROT_EXEC;

function exec(mem: Memory, rip: number): { kind: string; rax: number } {
  const c = new CpuState();
  c.rip = rip;
  const s = run(c, mem, 100);
  return { kind: s.kind, rax: getRegNum(c, RAX) };
}

describe("fresh pages", () => {
  it("read zero, keep their own writes, and never leak them into other fresh pages or memories", () => {
    const m = new Memory(64);
    m.map(0x10000, 0x3000, RW);
    m.writeU32(0x10ffc, 0xdeadbeef); // page one, through the personality path
    m.w8(0x11000, 0x5a); // page two, through the CPU path
    expect(m.readU32(0x10ffc)).toBe(0xdeadbeef);
    expect(m.readU8(0x11000)).toBe(0x5a);
    expect([...m.readBytes(0x10000, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(m.readBytes(0x12000, 0x1000).every((b) => b === 0)).toBe(true);
    const other = new Memory(64);
    other.map(0x10000, 0x3000, RW);
    expect(other.readBytes(0x10000, 0x3000).every((b) => b === 0)).toBe(true);
    // re-protecting and then writing a fresh page also copies first
    m.protect(0x12000, 0x1000, PROT_READ);
    m.protect(0x12000, 0x1000, RW);
    m.w8(0x12000, 1);
    expect(other.readU8(0x12000)).toBe(0);
  });
});

describe("a store into a page after code", () => {
  // mov eax, imm32 starting 3 bytes before the page end (its last two immediate bytes lie in
  // the next page), then syscall.
  const PAGE_A = 0x20000, PAGE_B = 0x21000, AT = PAGE_B - 3;

  it("re-decodes an instruction straddling into the written page", () => {
    const m = new Memory(64);
    m.map(PAGE_A, 0x2000, RWX);
    m.writeBytes(AT, Uint8Array.of(0xb8, 0x11, 0x22, 0x33, 0x44, 0x0f, 0x05));
    expect(exec(m, AT)).toEqual({ kind: "syscall", rax: 0x44332211 });
    m.writeBytes(PAGE_B, Uint8Array.of(0x66, 0x77)); // the immediate's top half
    expect(exec(m, AT)).toEqual({ kind: "syscall", rax: 0x77662211 });
  });

  it("keeps running code of the previous page that does not reach into it", () => {
    const m = new Memory(64);
    m.map(PAGE_A, 0x2000, RWX);
    // mov eax, 5; syscall
    m.writeBytes(PAGE_A, Uint8Array.of(0xb8, 0x05, 0x00, 0x00, 0x00, 0x0f, 0x05));
    expect(exec(m, PAGE_A)).toEqual({ kind: "syscall", rax: 5 });
    m.writeU32(PAGE_B + 0x10, 0xffffffff);
    expect(exec(m, PAGE_A)).toEqual({ kind: "syscall", rax: 5 });
    m.writeBytes(PAGE_A + 1, Uint8Array.of(0x09)); // its own page still invalidates
    expect(exec(m, PAGE_A)).toEqual({ kind: "syscall", rax: 9 });
  });
});
