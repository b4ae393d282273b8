import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as capnp from "capnp-es";
import fc from "fast-check";
import { disassemble } from "./disassemble.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { Console_Write$Params } from "../../spec/schema/gen/capos.js";
import { Asm } from "../x86-asm.js";
import { emitCopyQwords, emitZeroQwords, storeQword } from "../guest-code.js";
import { buildTlsProbe, consoleWriteMessage, lldTlsOffset } from "../tls-probe.js";
import { tlsLayout } from "../tls-layouts.js";

const hasReadelf = spawnSync("readelf", ["--version"]).status === 0;

describe("x86 encoder", () => {
  it("emits what iced-x86 decodes as the intended instructions", () => {
    const asm = new Asm()
      .movImm64("r12", 0x1122334455667788n)
      .movImm32("rdi", 7)
      .movReg("r12", "rdi")
      .movAlFs(-0x380)
      .movRaxFs(0)
      .storeAl("rbx", 9)
      .storeQ("r12", 16, "rax")
      .storeImm32("r12", 4, 0x12345678)
      .storeImm16("rbx", 28, 0xbeef)
      .storeImm8("r12", 0, 1)
      .storeD("r12", 8, "rax")
      .shrImm("rax", 32)
      .storeImmQ("r12", 0x40, -2)
      .storeImmQ("rbx", 8, 0x7fff_ffff)
      .leaQ("rsi", "r12", 0x440)
      .leaQ("rdi", "rbx", 64)
      .repMovsq()
      .repStosq()
      .syscall()
      .hang();
    const code = asm.code();
    const self = (code.length - 2).toString(16).toUpperCase().padStart(16, "0");
    expect(disassemble(code)).toEqual([
      "mov r12,1122334455667788h",
      "mov edi,7",
      "mov r12,rdi",
      "mov al,fs:[0FFFFFFFFFFFFFC80h]",
      "mov rax,fs:[0]",
      "mov [rbx+9],al",
      "mov [r12+10h],rax",
      "mov dword ptr [r12+4],12345678h",
      "mov word ptr [rbx+1Ch],0BEEFh",
      "mov byte ptr [r12],1",
      "mov [r12+8],eax",
      "shr rax,20h",
      "mov qword ptr [r12+40h],0FFFFFFFFFFFFFFFEh",
      "mov qword ptr [rbx+8],7FFFFFFFh",
      "lea rsi,[r12+440h]",
      "lea rdi,[rbx+40h]",
      "rep movsq [rdi],[rsi]",
      "rep stosq [rdi]",
      "syscall",
      `jmp short ${self}h`, // jumps to itself
    ]);
  });

  it("encodes every 64-bit immediate, small, 32-bit, full and negative, as iced-x86 reads it", () => {
    // (Values iced-x86's JS formatter prints faithfully: it prints an imm64 whose low half is below 10 as that low half alone, e.g. 0x100000001 as 1.)
    const values = [0n, 1n, 0x7e57n, 0xffff_ffffn, 0x1122_3344_0000_0011n, 0xffff_8000_0000_0010n, -1n, -0x8000_0000n, (1n << 64n) - 2n];
    const asm = new Asm();
    for (const v of values) asm.movImm64("rax", v).movImm64("r9", v);
    const imm = (v: bigint) => {
      const u = BigInt.asUintN(64, v);
      if (u < 10n) return String(u);
      const h = u.toString(16).toUpperCase();
      return /^[A-F]/.test(h) ? `0${h}h` : `${h}h`;
    };
    expect(disassemble(asm.code())).toEqual(values.flatMap((v) => [`mov rax,${imm(v)}`, `mov r9,${imm(v)}`]));
  });

  it("stores a qword as one sign-extended imm32 store exactly when the value fits, else through rax", () => {
    const asm = new Asm();
    for (const v of [0n, 1n, 0x7fff_ffffn, 0x8000_0000n, -1n, -0x8000_0000n, -0x8000_0001n, 0x1122_3344_5566_7788n]) storeQword(asm, "r12", 0x48, v);
    expect(disassemble(asm.code())).toEqual([
      "mov qword ptr [r12+48h],0",
      "mov qword ptr [r12+48h],1",
      "mov qword ptr [r12+48h],7FFFFFFFh",
      "mov rax,80000000h",
      "mov [r12+48h],rax",
      "mov qword ptr [r12+48h],0FFFFFFFFFFFFFFFFh",
      "mov qword ptr [r12+48h],0FFFFFFFF80000000h",
      "mov rax,0FFFFFFFF7FFFFFFFh",
      "mov [r12+48h],rax",
      "mov rax,1122334455667788h",
      "mov [r12+48h],rax",
    ]);
  });

  it("copies and zeroes qwords with one exact rep form, refusing to clobber their own base registers or split a qword", () => {
    expect(() => emitCopyQwords(new Asm(), "rbx", 0, "rsi", 0, 64)).toThrow(/rsi/);
    expect(() => emitZeroQwords(new Asm(), "rdi", 0, 64)).toThrow(/rdi/);
    expect(() => emitCopyQwords(new Asm(), "rbx", 0, "r12", 0, 12)).toThrow(/qwords/);
    // Exact forms: a count or offset off by one qword is invisible to the ring properties where
    // the bytes it misses are zero anyway (the last CQE's tail, an SQE's unused half).
    expect(disassemble((() => { const a = new Asm(); emitZeroQwords(a, "r12", 0x40, 128); return a.code(); })())).toEqual(["mov eax,0", "lea rdi,[r12+40h]", "mov ecx,10h", "rep stosq [rdi]"]);
    expect(disassemble((() => { const a = new Asm(); emitCopyQwords(a, "rbx", 0x40, "r12", 0x440, 1024); return a.code(); })())).toEqual(["lea rsi,[r12+440h]", "lea rdi,[rbx+40h]", "mov ecx,80h", "rep movsq [rdi],[rsi]"]);
    const none = new Asm();
    emitCopyQwords(none, "rbx", 0, "r12", 0, 0);
    expect(none.code().length).toBe(0);
  });
});

describe("TLS probe images", () => {
  it("resolve TLS offsets like lld, including the misaligned worked example", () => {
    expect(lldTlsOffset(0x2000_0080, 0x284, 0x100)).toBe(0x380); // picolibc#411 (glibc static would say 0x300)
    expect(lldTlsOffset(0x2000_0000, 0x284, 0x100)).toBe(0x300);
    expect(lldTlsOffset(0x201000, 0x50, 0x40)).toBe(0x80); // the spike's gcc binary: &tls_aligned = TP-0x80
  });

  it("carry a Console.write message capnp-es decodes with the right length", () => {
    const { bytes, dataOffset } = consoleWriteMessage(13);
    bytes.set([1, 2, 3], dataOffset);
    const data = new capnp.Message(bytes.buffer as ArrayBuffer, false).getRoot(Console_Write$Params).data.toUint8Array();
    expect(data.length).toBe(13);
    expect([...data.slice(0, 4)]).toEqual([1, 2, 3, 0]);
  });

  it("have the PT_TLS and PT_LOADs readelf reports for random layouts", (ctx) => {
    if (!hasReadelf) ctx.skip("readelf (binutils) not installed");
    const dir = mkdtempSync(join(tmpdir(), "tlsprobe-"));
    fc.assert(
      fc.property(tlsLayout().filter((l) => l.memsz > 0), (layout) => {
        const probe = buildTlsProbe(layout, DEFAULT_BINDING);
        const file = join(dir, "probe");
        writeFileSync(file, probe.elf);
        const text = execFileSync("readelf", ["-lW", file], { encoding: "utf8" });
        const tls = text.split("\n").find((l) => l.trim().startsWith("TLS"))!.trim().split(/\s+/);
        expect(BigInt(tls[2]!)).toBe(BigInt(probe.pVaddr));
        expect(Number(tls[4])).toBe(layout.image.length);
        expect(Number(tls[5])).toBe(layout.memsz);
        expect(Number(tls[tls.length - 1])).toBe(layout.align);
        expect(probe.pVaddr % layout.align).toBe(layout.misalign);
        expect(text.match(/^\s+LOAD/gm)?.length).toBe(2);
        expect(text).toContain("Entry point 0x" + DEFAULT_BINDING.layout.imageBase.toString(16).replace(/^0+/, "").slice(0, 1));
      }),
      { seed: 4, numRuns: 40 },
    );
  });
});
