/**
 * Syscall probes: a generated guest makes syscalls with numbers that are neither exit nor
 * cap_enter, with every general register preloaded, and records RAX and the registers
 * afterwards; then it calls cap_enter with min_complete past the CQ and with nothing to do.
 * One Console.write reports everything.
 */
import fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { consoleWriteMessage } from "./tls-probe.js";
import { emitCapEnter, emitConsoleWrite, emitExit, guestDataVaddr, linkGuest, messageData, reg } from "./guest-code.js";

/** Registers the probe preloads and reads back (RBP holds the report buffer, R15 the ring). */
export const CHECKED_REGS: readonly Reg64[] = ["rbx", "rdx", "rsi", "rdi", "rsp", "r8", "r9", "r10", "r12", "r13", "r14"];

export interface SyscallCase {
  /** Syscall numbers to try (never exit or cap_enter). */
  readonly numbers: readonly bigint[];
  /** Values preloaded into CHECKED_REGS (except rsp) before each syscall. */
  readonly values: readonly bigint[];
}

export function syscallCase(b: Binding): fc.Arbitrary<SyscallCase> {
  const valid = new Set([BigInt(b.syscall.numbers.exit), BigInt(b.syscall.numbers.capEnter)]);
  const nr = fc.oneof(fc.integer({ min: 0, max: 512 }).map(BigInt), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).filter((n) => !valid.has(n));
  return fc.record({
    numbers: fc.array(nr, { minLength: 1, maxLength: 6 }),
    values: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: CHECKED_REGS.length, maxLength: CHECKED_REGS.length }),
  });
}

/** Words reported per unknown syscall: RAX, then each checked register. */
export const WORDS_PER_CALL = 1 + CHECKED_REGS.length;

export function buildSyscallProbe(c: SyscallCase, b: Binding): { elf: Uint8Array; reportWords: number } {
  const reportWords = c.numbers.length * WORDS_PER_CALL + 2;
  const msg = consoleWriteMessage(reportWords * 8);
  const dataVaddr = guestDataVaddr(b);
  const msgVaddr = dataVaddr;
  const resultVaddr = dataVaddr + msg.bytes.length;
  const asm = new Asm();
  const ring: Reg64 = "r15";
  const buf: Reg64 = "rbp";
  asm.movReg(ring, reg(b.entry.ring));
  asm.movImm64(buf, BigInt(msgVaddr + msg.dataOffset));
  let slot = 0;
  c.numbers.forEach((n) => {
    CHECKED_REGS.forEach((r, i) => {
      if (r !== "rsp") asm.movImm64(r, c.values[i]!);
    });
    asm.movImm64(reg(b.syscall.numberRegister), n).syscall();
    asm.storeQ(buf, 8 * slot++, reg(b.syscall.returnRegister));
    for (const r of CHECKED_REGS) asm.storeQ(buf, 8 * slot++, r);
  });
  emitCapEnter(asm, b, BigInt(b.ring.cqEntries + 1), 0n);
  asm.storeQ(buf, 8 * slot++, reg(b.syscall.returnRegister));
  emitCapEnter(asm, b, 0n, 0n);
  asm.storeQ(buf, 8 * slot++, reg(b.syscall.returnRegister));
  emitConsoleWrite(asm, ring, { index: 0, msgVaddr, msgLen: msg.bytes.length, resultVaddr }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  emitExit(asm, b, 0n);
  return { elf: linkGuest(asm, b, messageData(msg.bytes), "syscall probe"), reportWords };
}
