/**
 * Entry-state probes: a generated guest reports the registers it was started with (ring,
 * pid, CapSet address) and copies the CapSet page's header and entries into one
 * Console.write; the "store" variant then writes to the CapSet page, which must fault.
 */
import type { Binding } from "../spec/binding.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { consoleWriteMessage } from "./tls-probe.js";
import { emitCapEnter, emitConsoleWrite, emitExit, guestDataVaddr, linkGuest, messageData, reg } from "./guest-code.js";

/** Bytes of the CapSet page the probe copies (header plus room for the default grants). */
export function capSetReportBytes(b: Binding): number {
  return Math.ceil((b.capSet.headerSize + (b.defaultGrants.length + 1) * b.capSet.entrySize) / 8) * 8;
}

/** Report: ring register, pid register, CapSet register (8 bytes each), then the CapSet copy. */
export function buildCapSetProbe(b: Binding, storeToCapSet: boolean): Uint8Array {
  const n = 24 + capSetReportBytes(b);
  const msg = consoleWriteMessage(n);
  const dataVaddr = guestDataVaddr(b);
  const asm = new Asm();
  const ring: Reg64 = "r12";
  const caps: Reg64 = "r13";
  const buf: Reg64 = "rbx";
  asm.movReg(ring, reg(b.entry.ring)).movReg(caps, reg(b.entry.capSet)).movReg("r14", reg(b.entry.pid));
  asm.movImm64(buf, BigInt(dataVaddr + msg.dataOffset));
  asm.storeQ(buf, 0, ring).storeQ(buf, 8, "r14").storeQ(buf, 16, caps);
  for (let o = 0; o < capSetReportBytes(b); o += 8) asm.loadQ("rax", caps, o).storeQ(buf, 24 + o, "rax");
  emitConsoleWrite(asm, ring, { index: 0, msgVaddr: dataVaddr, msgLen: msg.bytes.length, resultVaddr: dataVaddr + msg.bytes.length }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  if (storeToCapSet) asm.movImm64("rax", 0x5a5an).storeQ(caps, 8, "rax"); // PROC-3: must fault
  emitExit(asm, b, 0n);
  return linkGuest(asm, b, messageData(msg.bytes), "capset probe");
}
