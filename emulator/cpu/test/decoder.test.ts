/**
 * Decoder vs iced-x86: instruction lengths and validity over random byte streams (fixed seed)
 * and over the whole .text of /bin/busybox. Every instruction our decoder accepts must be
 * valid for iced with the same length; every instruction iced rejects must decode to #UD.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { Memory, PROT_READ, PROT_EXEC } from "../memory.js";
import { decode, opUD } from "../decode.js";
import "../run.js"; // registers the instruction families
import { iced } from "./oracle.js";
import { parseElf } from "../../linux/elf.js";

interface IcedDec { ip: bigint; position: number; canDecode: boolean; decode(): { length: number; isInvalid: boolean; free(): void }; free(): void }
const I = () => iced() as unknown as { Decoder: new (b: number, d: Uint8Array, o: number) => IcedDec; DecoderOptions: { None: number } };

function ours(mem: Memory, addr: number): { ok: boolean; len: number } {
  const d = decode(mem, addr);
  return { ok: d.exec !== (opUD as unknown), len: d.len };
}

describe("decoder vs iced-x86", () => {
  it("random byte streams (20,000 samples, seed 77)", () => {
    const mem = new Memory(16);
    const base = 0x400000;
    mem.map(base, 4096, PROT_READ | PROT_EXEC);
    let accepted = 0, mismatches: string[] = [];
    // bias towards prefixes/REX/escape bytes so interesting encodings appear often
    const byte = fc.oneof(fc.nat(255), fc.constantFrom(0x0f, 0x66, 0xf2, 0xf3, 0x48, 0x4c, 0x41, 0xf0, 0x38, 0x3a, 0x64, 0x67));
    const streams = fc.sample(fc.array(byte, { minLength: 16, maxLength: 16 }), { seed: 77, numRuns: 20000 });
    for (const s of streams) {
      const bytes = Uint8Array.from(s);
      mem.writeBytes(base, bytes);
      const o = ours(mem, base);
      const dec = new (I().Decoder)(64, bytes, I().DecoderOptions.None);
      const ins = dec.decode();
      const hex = Buffer.from(bytes).toString("hex");
      if (o.ok) {
        accepted++;
        if (ins.isInvalid || ins.length !== o.len) mismatches.push(`${hex}: ours len ${o.len}, iced ${ins.isInvalid ? "invalid" : "len " + ins.length}`);
      } else if (ins.isInvalid && o.ok) mismatches.push(`${hex}: iced invalid but accepted`);
      ins.free(); dec.free();
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(accepted).toBeGreaterThan(5000);
  });

  it("whole .text of /bin/busybox", (ctx) => {
    if (!existsSync("/bin/busybox")) ctx.skip("/bin/busybox not present (apt install busybox-static)");
    const elf = new Uint8Array(readFileSync("/bin/busybox"));
    const img = parseElf(elf);
    const text = img.sections.find((s) => s.name === ".text");
    if (!text) ctx.skip("busybox has no .text section header");
    const mem = new Memory(1 << 12);
    const start = Math.floor(text!.addr / 4096) * 4096, end = Math.ceil((text!.addr + text!.size) / 4096) * 4096;
    mem.map(start, end - start, PROT_READ | PROT_EXEC);
    mem.writeBytes(text!.addr, elf.subarray(text!.offset, text!.offset + text!.size));
    const bytes = elf.subarray(text!.offset, text!.offset + text!.size);
    const dec = new (I().Decoder)(64, bytes, I().DecoderOptions.None);
    dec.ip = BigInt(text!.addr);
    let total = 0, supported = 0, pos = 0;
    const mismatches: string[] = [];
    const unsupported = new Map<string, number>();
    while (dec.canDecode) {
      const ins = dec.decode();
      const addr = text!.addr + pos;
      if (!ins.isInvalid) {
        total++;
        const o = ours(mem, addr);
        if (o.ok) { supported++; if (o.len !== ins.length) mismatches.push(`${addr.toString(16)}: ours ${o.len} iced ${ins.length}`); }
        else { const k = Buffer.from(bytes.subarray(pos, pos + Math.min(4, ins.length))).toString("hex"); unsupported.set(k, (unsupported.get(k) ?? 0) + 1); }
      }
      pos += ins.length;
      ins.free();
    }
    dec.free();
    console.log(`[decoder] busybox .text: ${total} instructions, ${supported} supported (${((100 * supported) / total).toFixed(2)}%); top unsupported: ${[...unsupported].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${k}x${n}`).join(" ")}`);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(supported / total).toBeGreaterThan(0.97);
  });
});
