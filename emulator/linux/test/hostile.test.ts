/**
 * The Linux personality facing hostile programs (issue 17): an image too large for the page
 * budget is a typed ElfError (a MemoryBudgetExceeded stack trace escaped before), a huge brk
 * or mmap is refused without walking its pages, and host files are closed unless allowed.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ElfError } from "../elf.js";
import { LinuxProcess } from "../process.js";
import { Memory, MemoryBudgetExceeded, PROT_READ } from "../../cpu/memory.js";
import { BUSYBOX } from "./harness.js";

const PT_LOAD = 1;

/** A copy of `elf` whose first PT_LOAD claims `memsz` bytes of memory. */
function withHugeMemsz(elf: Uint8Array, memsz: bigint): Uint8Array {
  const out = elf.slice();
  const v = new DataView(out.buffer);
  const phoff = Number(v.getBigUint64(0x20, true));
  const phentsize = v.getUint16(0x36, true), phnum = v.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (v.getUint32(ph, true) === PT_LOAD) {
      v.setBigUint64(ph + 0x28, memsz, true);
      return out;
    }
  }
  throw new Error("no PT_LOAD");
}

describe("Linux personality, hostile programs", () => {
  it("an image whose segment exceeds the page budget is an ElfError, not an escaped budget exception", (ctx) => {
    if (!existsSync(BUSYBOX)) ctx.skip(`${BUSYBOX} missing (apt-get install busybox-static)`);
    const elf = withHugeMemsz(new Uint8Array(readFileSync(BUSYBOX)), 1n << 30n);
    let err: unknown;
    const t0 = Date.now();
    try { new LinuxProcess(elf, { argv: ["busybox"], maxPages: 4096 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ElfError);
    expect((err as Error).message).toMatch(/^[^\n]*budget of 4096 pages[^\n]*$/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("Memory.map refuses a range larger than the whole budget before walking it", () => {
    const m = new Memory(1024);
    expect(() => m.map(0x1000_0000, 2 ** 44, PROT_READ)).toThrow(MemoryBudgetExceeded);
    expect(m.mappedPages).toBe(0);
    m.map(0x1000_0000, 1024 * 4096, PROT_READ); // exactly the budget still fits
    expect(m.mappedPages).toBe(1024);
  });

  it("a guest cannot read host files unless the caller allows it", (ctx) => {
    if (!existsSync(BUSYBOX)) ctx.skip(`${BUSYBOX} missing (apt-get install busybox-static)`);
    const elf = new Uint8Array(readFileSync(BUSYBOX));
    const closed = new LinuxProcess(elf, { argv: ["busybox", "cat", "/etc/hostname"], maxInsns: 5e7 }).run();
    expect(closed.verdict).toEqual({ kind: "exit", status: 1 });
    expect(new TextDecoder().decode(closed.stdout)).toBe("");
    const open = new LinuxProcess(elf, { argv: ["busybox", "cat", "/etc/hostname"], maxInsns: 5e7, allowHostFiles: true }).run();
    expect(open.verdict).toEqual({ kind: "exit", status: 0 });
    expect(new TextDecoder().decode(open.stdout)).toBe(readFileSync("/etc/hostname", "utf8"));
  });
});
