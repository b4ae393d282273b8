/**
 * Code-generation steps shared by generated guest programs: storing a binding field into the
 * ring page, submitting a Console.write, and the two syscalls. Every offset, opcode, register
 * and number comes from the binding.
 */
import type { Binding, Field, GpRegister } from "../spec/binding.js";
import { initialCapId, sqeOffset } from "../spec/binding.js";
import type { Asm, Reg64 } from "./x86-asm.js";
import { codeOffset, writeElf } from "./elf-writer.js";

export const reg = (r: GpRegister): Reg64 => r;

/** Store `value` into the field `f` of the record at `base + at`. */
export function storeField(asm: Asm, base: Reg64, at: number, f: Field | undefined, value: bigint): void {
  if (!f) throw new Error("binding lacks a field the generated guest needs");
  const d = at + f.offset;
  switch (f.type) {
    case "u8": asm.storeImm8(base, d, Number(value)); break;
    case "u16": asm.storeImm16(base, d, Number(value)); break;
    case "u32": case "i32": asm.storeImm32(base, d, Number(BigInt.asUintN(32, value))); break;
    case "u64": storeQword(asm, base, d, value); break;
  }
}

/**
 * Store the 64-bit `value` at `base + d`: one `mov qword [base+d], imm32` when it is a
 * sign-extended 32-bit value (zeroes, small numbers, addresses below 2 GiB), else
 * `movabs rax` + store (clobbers rax). Generated code is decoded afresh for every case, so
 * each instruction saved here is decode and block-building work saved per case.
 */
export function storeQword(asm: Asm, base: Reg64, d: number, value: bigint): void {
  if (value >= -0x8000_0000n && value <= 0x7fff_ffffn) asm.storeImmQ(base, d, Number(value));
  else asm.movImm64("rax", value).storeQ(base, d, "rax");
}

/** The registers the string-instruction helpers below use for themselves. */
const STRING_REGS: readonly Reg64[] = ["rax", "rcx", "rsi", "rdi"];
function checkNotClobbered(...regs: Reg64[]): void {
  for (const r of regs) if (STRING_REGS.includes(r)) throw new Error(`${r} is clobbered by the generated copy/zero code`);
}

/**
 * Copy `bytes` (a multiple of 8) from `src + srcOff` to `dst + dstOff` with one `rep movsq`
 * (clobbers rsi, rdi, rcx): four instructions to decode where a load/store pair per qword took
 * 256 for a CQ. Reads and writes the same qwords, in the same order, as those pairs.
 */
export function emitCopyQwords(asm: Asm, dst: Reg64, dstOff: number, src: Reg64, srcOff: number, bytes: number): void {
  checkNotClobbered(dst, src);
  if (bytes % 8 !== 0) throw new Error(`copy of ${bytes} bytes is not whole qwords`);
  if (bytes === 0) return;
  asm.leaQ("rsi", src, srcOff).leaQ("rdi", dst, dstOff).movImm32("rcx", bytes / 8).repMovsq();
}

/** Zero `bytes` (a multiple of 8) at `base + off` with one `rep stosq` (clobbers rax, rcx, rdi). */
export function emitZeroQwords(asm: Asm, base: Reg64, off: number, bytes: number): void {
  checkNotClobbered(base);
  if (bytes % 8 !== 0) throw new Error(`zeroing of ${bytes} bytes is not whole qwords`);
  if (bytes === 0) return;
  asm.movImm32("rax", 0).leaQ("rdi", base, off).movImm32("rcx", bytes / 8).repStosq();
}

export interface ConsoleCall {
  /** SQ index to use (the slot is index mod sqEntries); sq_tail becomes index + 1. */
  readonly index: number;
  readonly msgVaddr: number;
  readonly msgLen: number;
  readonly resultVaddr: number;
}

/** Write a Console.write CALL SQE (all other fields zero) and publish it. */
export function emitConsoleWrite(asm: Asm, ring: Reg64, c: ConsoleCall, b: Binding): void {
  const at = sqeOffset(b, c.index);
  const common = b.ring.sqeCommon;
  const call = b.ring.sqeViews.call;
  emitZeroQwords(asm, ring, at, b.ring.sqeSize);
  storeField(asm, ring, at, common["opcode"], BigInt(b.opcodes.call));
  storeField(asm, ring, at, common["capId"], BigInt(initialCapId(b, b.defaultGrants.indexOf("Console"))));
  storeField(asm, ring, at, common["userData"], 0x7e57n);
  storeField(asm, ring, at, call["addr"], BigInt(c.msgVaddr));
  storeField(asm, ring, at, call["len"], BigInt(c.msgLen));
  storeField(asm, ring, at, call["methodId"], BigInt(b.methods.Console["write"]!));
  storeField(asm, ring, at, call["resultAddr"], BigInt(c.resultVaddr));
  storeField(asm, ring, at, call["resultLen"], 64n);
  storeField(asm, ring, 0, b.ring.header["sqTail"], BigInt((c.index + 1) >>> 0));
}

/** cap_enter(minComplete, timeoutNs). */
export function emitCapEnter(asm: Asm, b: Binding, minComplete: bigint, timeoutNs: bigint): void {
  const [arg0, arg1] = b.syscall.argRegisters;
  asm.movImm64(reg(b.syscall.numberRegister), BigInt(b.syscall.numbers.capEnter)).movImm64(reg(arg0!), minComplete).movImm64(reg(arg1!), timeoutNs).syscall();
}

/** exit(code), then spin should the kernel ever return. */
export function emitExit(asm: Asm, b: Binding, code: bigint): void {
  const [arg0] = b.syscall.argRegisters;
  asm.movImm64(reg(b.syscall.numberRegister), BigInt(b.syscall.numbers.exit)).movImm64(reg(arg0!), code).syscall();
  asm.hang();
}

/** Where generated guests without PT_TLS put their data segment, above the code. */
export function guestDataVaddr(b: Binding): number {
  return b.layout.imageBase + 0x10000;
}

/**
 * Link a generated guest without TLS: its code at the image base, `data` at
 * guestDataVaddr. `data` starts with the report message when the caller uses one.
 */
export function linkGuest(asm: Asm, b: Binding, data: Uint8Array, what: string): Uint8Array {
  const code = asm.code();
  const textVaddr = b.layout.imageBase;
  const dataVaddr = guestDataVaddr(b);
  if (textVaddr + codeOffset(false) + code.length > dataVaddr) throw new Error(`${what} code overruns its data segment`);
  return writeElf({ textVaddr, code, entryOffset: 0, dataVaddr, data, dataMemsz: data.length });
}

/** A data segment holding `message` followed by `extra` zero bytes (room for a result). */
export function messageData(message: Uint8Array, extra = 64): Uint8Array {
  const data = new Uint8Array(message.length + extra);
  data.set(message, 0);
  return data;
}
