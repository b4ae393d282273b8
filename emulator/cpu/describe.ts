/**
 * Pretty-printers for faults, registers and instructions (debugging and CLI output).
 */
import { createRequire } from "node:module";
import type { Fault } from "./fault.js";
import { CpuState, REG_NAMES, getReg64 } from "./state.js";
import { getFlags } from "./flags.js";
import type { Memory } from "./memory.js";

export function describeFault(f: Fault): string {
  switch (f.type) {
    case "#PF": return `#PF ${f.access} at 0x${f.addr.toString(16)}`;
    case "#GP": return `#GP${f.reason ? ` (${f.reason})` : ""}`;
    case "#UD": return `#UD bytes=${Array.from(f.bytes, (b) => b.toString(16).padStart(2, "0")).join(" ")}${f.reason ? ` (${f.reason})` : ""}`;
    case "INT": return `INT 0x${f.vector.toString(16)}`;
    default: return f.type;
  }
}
export function describeRegs(c: CpuState): string {
  const parts = REG_NAMES.map((n, i) => `${n.padStart(3)}=${getReg64(c, i).toString(16).padStart(16, "0")}`);
  const lines: string[] = [];
  for (let i = 0; i < 16; i += 4) lines.push(parts.slice(i, i + 4).join(" "));
  lines.push(`rip=${c.rip.toString(16).padStart(16, "0")} rflags=${getFlags(c).toString(16)} fs=${c.fsBase.toString(16)}`);
  return lines.join("\n");
}

interface IcedInsn { free(): void; }
interface Iced {
  Decoder: new (bitness: number, data: Uint8Array, options: number) => { ip: bigint; decode(): IcedInsn & { length: number }; free(): void };
  Formatter: new (syntax: number) => { format(i: IcedInsn): string; free(): void };
  DecoderOptions: { None: number };
  FormatterSyntax: { Gas: number; Intel: number };
}
let iced: Iced | null = null;
export function loadIced(): Iced {
  if (!iced) iced = createRequire(import.meta.url)("iced-x86") as Iced;
  return iced;
}
/** "addr: bytes  mnemonic" for the instruction at addr (reads guest memory ignoring permissions). */
export function disassembleAt(mem: Memory, addr: number): string {
  let bytes: Uint8Array;
  try { bytes = mem.readBytes(addr, 15); } catch {
    try { bytes = mem.readBytes(addr, 1); } catch { return `${addr.toString(16)}: <unmapped>`; }
  }
  const I = loadIced();
  const dcd = new I.Decoder(64, bytes, I.DecoderOptions.None);
  dcd.ip = BigInt(addr);
  const ins = dcd.decode();
  const fmt = new I.Formatter(I.FormatterSyntax.Intel);
  const text = fmt.format(ins);
  const hex = Array.from(bytes.subarray(0, ins.length), (b) => b.toString(16).padStart(2, "0")).join(" ");
  ins.free(); dcd.free(); fmt.free();
  return `${addr.toString(16)}: ${hex.padEnd(30)} ${text}`;
}
