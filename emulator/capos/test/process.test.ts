/**
 * Process start, syscalls, faults and end states through the CPU, with hand-encoded guests,
 * plus every probe ELF from targets/elf (skipped when absent).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import { getReg64, REG_NAMES } from "../../cpu/state.js";
import { PROT_EXEC, PROT_WRITE } from "../../cpu/memory.js";
import { runCapos } from "../index.js";
import { CaposMachine } from "../machine.js";
import { buildElf, code, asm, CODE_VADDR, DATA_VADDR, manifest, readElf } from "./helpers.js";

const L = B.layout;
const reg = (m: CaposMachine, name: string) => getReg64(m.cpuOf(0), REG_NAMES.indexOf(name as (typeof REG_NAMES)[number]));

describe("process start (PROCX-1, PROCX-3, TLSV2-*)", () => {
  // memsz 0x284, align 0x100, p_vaddr % align = 0x80: TLSV2-5 says the offset is 0x380.
  const tlsImage = new Uint8Array(0x300);
  for (let i = 0; i < 0x40; i++) tlsImage[0x80 + i] = i + 1;
  const elf = buildElf({ code: code(asm.spin()), data: tlsImage, bss: 0x1000, tls: { at: 0x80, filesz: 0x40, memsz: 0x284, align: 0x100 } });

  it("sets the entry registers, stack, FS base and the Variant II TLS block", () => {
    const m = new CaposMachine();
    expect(m.load(elf)).toBeNull();
    const c = m.cpuOf(0);
    expect(c.rip).toBe(CODE_VADDR);
    expect(reg(m, "rsp")).toBe(BigInt(L.userStackBase + L.userStackSize));
    expect(reg(m, B.entry.ring)).toBe(BigInt(L.ringVaddr));
    expect(reg(m, B.entry.capSet)).toBe(BigInt(L.capSetVaddr));
    for (const r of REG_NAMES) if (!["rsp", B.entry.ring, B.entry.pid, B.entry.capSet].includes(r)) expect(reg(m, r)).toBe(0n);
    const tp = Math.floor((L.ringVaddr - L.tcbSize) / 0x100) * 0x100; // TLSV2-7
    expect(c.fsBase).toBe(tp);
    expect(m.as.mem.readU64(tp)).toBe(BigInt(tp)); // TLSV2-1
    const block = tp - 0x380; // TLSV2-2, TLSV2-5
    for (let i = 0; i < 0x40; i++) expect(m.as.mem.readU8(block + i)).toBe(i + 1); // TLSV2-4
    for (let i = 0x40; i < 0x284; i += 0x20) expect(m.as.mem.readU8(block + i)).toBe(0);
  });
  it("mutant tls-ignores-misalign places the block at roundup(memsz, align) instead", () => {
    const m = new CaposMachine({ mutant: "tls-ignores-misalign" });
    m.load(elf);
    const tp = m.cpuOf(0).fsBase;
    expect(m.as.mem.readU8(tp - 0x380)).not.toBe(1);
    expect(m.as.mem.readU8(tp - 0x300)).toBe(1);
  });
  it("maps PT_LOADs with exactly their permissions (PROC-5) and a TCB without PT_TLS (TLSV2-8)", () => {
    const m = new CaposMachine();
    m.load(buildElf({ code: code(asm.spin()), data: new Uint8Array(16) }));
    expect(m.as.mem.protAt(CODE_VADDR)! & PROT_WRITE).toBe(0);
    expect(m.as.mem.protAt(CODE_VADDR)! & PROT_EXEC).toBe(PROT_EXEC);
    expect(m.as.mem.protAt(DATA_VADDR)! & PROT_EXEC).toBe(0);
    expect(m.as.mem.protAt(DATA_VADDR)! & PROT_WRITE).toBe(PROT_WRITE);
    const tp = m.cpuOf(0).fsBase;
    expect(m.as.mem.readU64(tp)).toBe(BigInt(tp));
  });
});

describe("syscalls and end states (SYSX-1, SYS-3, PROCX-2)", () => {
  const exitNr = B.syscall.numbers.exit;
  it("an unknown syscall number returns noSys", () => {
    const img = buildElf({ code: code(asm.movEax(99), asm.syscall(), asm.movEdiEax(), asm.movEax(exitNr), asm.syscall()) });
    expect(runCapos(img).end).toEqual({ kind: "exit", code: B.syscall.errors.noSys });
  });
  it("exit ends the process with its code", () => {
    const img = buildElf({ code: code(asm.movEdi(42), asm.movEax(exitNr), asm.syscall(), asm.spin()) });
    const r = runCapos(img, { trace: true });
    expect(r.end).toEqual({ kind: "exit", code: 42 });
    expect(r.insns).toBe(3);
    expect(r.events.at(-1)).toMatch(/^3 end exit 42$/);
  });
  it("%fs:0 reads the thread pointer (TLSV2-1)", () => {
    const img = buildElf({ code: code(asm.movRdiFs(0), asm.movEax(exitNr), asm.syscall()) });
    const tp = Math.floor((L.ringVaddr - L.tcbSize) / L.tpMinAlign) * L.tpMinAlign;
    expect(runCapos(img).end).toEqual({ kind: "exit", code: Number(BigInt.asIntN(32, BigInt(tp))) });
  });
  it("a page fault, #UD, hang and budget end the process", () => {
    expect(runCapos(buildElf({ code: code(asm.storeAbs(8)) })).end).toEqual({ kind: "fault", fault: "#PF", addr: 8n, access: "write", thread: 0 });
    // writing the read-only code page
    expect(runCapos(buildElf({ code: code(asm.storeAbs(CODE_VADDR)) })).end).toMatchObject({ kind: "fault", fault: "#PF", access: "write" });
    expect(runCapos(buildElf({ code: code(asm.ud2()) })).end).toMatchObject({ kind: "fault", fault: "#UD" });
    const hang = code(asm.movEdi(1), asm.movRsi(-1), asm.movEax(B.syscall.numbers.capEnter), asm.syscall(), asm.ud2());
    expect(runCapos(buildElf({ code: hang })).end).toEqual({ kind: "hang" });
    expect(runCapos(buildElf({ code: code(asm.spin()) }), { maxInsns: 5000 })).toMatchObject({ end: { kind: "budget", what: "instructions" }, insns: 5000 });
    expect(runCapos(buildElf({ code: code(asm.spin()) }), { maxPages: 10 }).end).toEqual({ kind: "budget", what: "memory" });
  });
  it("rejects a malformed image with a typed reason (ELFX-1)", () => {
    const img = buildElf({ code: code(asm.spin()) });
    img[18] = 3; // EM_386
    expect(runCapos(img).end).toMatchObject({ kind: "rejected", reason: expect.stringContaining("bad-machine") });
  });
});


describe("probe ELFs from targets/elf", () => {
  const entries = manifest();
  it("manifest present", (ctx) => {
    if (!entries) ctx.skip("targets/elf/manifest.json not built (targets/build.sh)");
    expect(entries!.length).toBeGreaterThan(0);
  });
  for (const e of entries ?? []) {
    if (e.program === "agent") continue;
    for (const seed of [undefined, 3]) {
      it(`${e.name} (${e.toolchain}) exits 0${seed === undefined ? "" : ` under PRNG seed ${seed}`}`, (ctx) => {
        const img = readElf(e.name);
        if (!img) ctx.skip(`targets/elf/${e.name} not present (rebuild with targets/build.sh)`);
        const r = runCapos(img!, { maxInsns: 20_000_000, ...(seed === undefined ? {} : { schedule: { decisions: [], seed, defaultQuantum: 500 } }) });
        const text = new TextDecoder().decode(r.console);
        expect(r.end, text).toEqual({ kind: "exit", code: 0 });
      });
    }
  }
});
