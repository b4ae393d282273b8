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
    case "u64": asm.movImm64("rax", value).storeQ(base, d, "rax"); break;
  }
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
  for (let o = 0; o < b.ring.sqeSize; o += 8) asm.movImm64("rax", 0n).storeQ(ring, at + o, "rax");
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
