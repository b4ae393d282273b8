/**
 * Runaway capOS guests (issue 17): programs that never end on their own, one per way a guest
 * can try to make the kernel spend unbounded wall time or memory. Each must end with a typed
 * verdict (budget/instructions, budget/memory, a fault) within a bounded wall time under the
 * default budgets; that bound is the oracle (emulator/capos README, "Budgets").
 *
 *   loop         jmp to itself
 *   recursion    call to itself: the stack grows down until a #PF below the stack
 *   enter-loop   cap_enter(0, 0) with nothing submitted, forever
 *   sleep-loop   Timer.sleep(1 ns) + cap_enter(1, forever), forever (virtual time jumps)
 *   park-loop    PARK(word, expected value, timeout 1 ns) + cap_enter(1, forever), forever
 *   map-loop     16 x VirtualMemory.map(1 MiB) per cap_enter, forever
 *   thread-bomb  every thread spawns threads running the same code, forever
 *   churn        spawn a thread that exits at once, forever (spawn-then-exit)
 *   console-flood  16 x Console.write(60 KiB) per cap_enter, forever
 *
 * Ring loops submit the same SQE from every SQ slot (written once at start), so the loop only
 * advances sq_tail, reaps the CQ (cq_head = cq_tail) and enters again.
 */
import * as capnp from "capnp-es";
import type { Binding, InterfaceName } from "../spec/binding.js";
import { initialCapId, sqeOffset } from "../spec/binding.js";
import * as gen from "../spec/schema/gen/capos.js";
import { codeOffset, writeElf } from "./elf-writer.js";
import { emitCapEnter, guestDataVaddr, reg, storeField } from "./guest-code.js";
import { Asm, type Reg64 } from "./x86-asm.js";

export const RUNAWAY_KINDS = ["loop", "recursion", "enter-loop", "sleep-loop", "park-loop", "map-loop", "thread-bomb", "churn", "console-flood"] as const;
export type RunawayKind = (typeof RUNAWAY_KINDS)[number];

/** Bytes of each Console.write in the console flood. */
export const FLOOD_WRITE_BYTES = 60 * 1024;
/** Bytes of each VirtualMemory.map in the map loop. */
export const MAP_LOOP_BYTES = 1 << 20;

const RING: Reg64 = "r12";
const DATA_PAD = 256;

/** A framed params message built with the capnp-es class of a method. */
function params<T extends capnp.Struct>(cls: capnp.StructCtor<T>, init: (x: T) => void = () => {}): Uint8Array {
  const m = new capnp.Message();
  init(m.initRoot(cls));
  return new Uint8Array(m.toArrayBuffer());
}

interface CallSpec {
  readonly iface: InterfaceName;
  readonly method: string;
  readonly paramsAt: number;
  readonly paramsLen: number;
  readonly resultAt: number;
}

/** The bytes of one CALL SQE. */
function callSqe(b: Binding, c: CallSpec): Uint8Array {
  const out = new Uint8Array(b.ring.sqeSize);
  const v = new DataView(out.buffer);
  const put = (f: { offset: number; type: string } | undefined, x: bigint) => {
    if (!f) throw new Error("binding lacks a CALL field");
    if (f.type === "u8") v.setUint8(f.offset, Number(x));
    else if (f.type === "u16") v.setUint16(f.offset, Number(x), true);
    else if (f.type === "u32" || f.type === "i32") v.setUint32(f.offset, Number(BigInt.asUintN(32, x)), true);
    else v.setBigUint64(f.offset, BigInt.asUintN(64, x), true);
  };
  const common = b.ring.sqeCommon;
  const call = b.ring.sqeViews.call;
  put(common["opcode"], BigInt(b.opcodes.call));
  put(common["capId"], BigInt(initialCapId(b, b.defaultGrants.indexOf(c.iface))));
  put(common["userData"], 0x5eedn);
  put(call["addr"], BigInt(c.paramsAt));
  put(call["len"], BigInt(c.paramsLen));
  put(call["methodId"], BigInt(b.methods[c.iface][c.method]!));
  put(call["resultAddr"], BigInt(c.resultAt));
  put(call["resultLen"], 64n);
  return out;
}

/** Write `sqe` into every SQ slot of the ring in RING. */
function fillSq(asm: Asm, b: Binding, sqe: Uint8Array): void {
  const v = new DataView(sqe.buffer, sqe.byteOffset, sqe.byteLength);
  for (let slot = 0; slot < b.ring.sqEntries; slot++)
    for (let o = 0; o < sqe.length; o += 8) asm.movImm64("rax", v.getBigUint64(o, true)).storeQ(RING, sqeOffset(b, slot) + o, "rax");
}

/** cq_head = cq_tail: drop every completion. */
function reap(asm: Asm, b: Binding): void {
  const tail = b.ring.header["cqTail"]!.offset;
  asm.loadQ("rax", RING, tail - (tail % 8));
  if (tail % 8 !== 0) asm.shrImm("rax", 8 * (tail % 8));
  asm.storeD(RING, b.ring.header["cqHead"]!.offset, "rax");
}

/** Forever: submit `perEnter` SQEs (sq_tail += perEnter), reap, cap_enter(min, timeout). */
function ringLoop(asm: Asm, b: Binding, perEnter: number, min: bigint, timeout: bigint): void {
  const top = asm.label();
  asm.addMem32Imm8(RING, b.ring.header["sqTail"]!.offset, perEnter);
  reap(asm, b);
  emitCapEnter(asm, b, min, timeout);
  asm.jmp(top);
}

/** The image of runaway guest `kind`. */
export function buildRunaway(kind: RunawayKind, b: Binding): Uint8Array {
  const asm = new Asm();
  const textVaddr = b.layout.imageBase;
  const dataVaddr = guestDataVaddr(b);
  const codeVaddr = textVaddr + codeOffset(false);
  const forever = b.syscall.capEnterWaitForever;
  let data = new Uint8Array(DATA_PAD);
  let entryOffset = 0;
  /** A CALL whose params sit at the start of the data segment, result after them. */
  const withParams = (iface: InterfaceName, method: string, p: Uint8Array): Uint8Array => {
    const len = Math.ceil(p.length / 8) * 8;
    data = new Uint8Array(len + DATA_PAD);
    data.set(p, 0);
    return callSqe(b, { iface, method, paramsAt: dataVaddr, paramsLen: p.length, resultAt: dataVaddr + len });
  };
  switch (kind) {
    case "loop":
      asm.hang();
      break;
    case "recursion":
      asm.call(asm.label());
      break;
    case "enter-loop": {
      const top = asm.label();
      emitCapEnter(asm, b, 0n, 0n);
      asm.jmp(top);
      break;
    }
    case "sleep-loop":
      asm.movReg(RING, reg(b.entry.ring));
      fillSq(asm, b, withParams("Timer", "sleep", params(gen.Timer_Sleep$Params, (x) => (x.ns = 1n))));
      ringLoop(asm, b, 1, 1n, forever);
      break;
    case "park-loop": {
      // The word is the first (zero) byte of the data segment.
      asm.movReg(RING, reg(b.entry.ring));
      const sqe = new Uint8Array(b.ring.sqeSize);
      const v = new DataView(sqe.buffer);
      const pv = b.ring.sqeViews.park;
      v.setUint8(b.ring.sqeCommon["opcode"]!.offset, b.opcodes.park);
      v.setUint32(b.ring.sqeCommon["capId"]!.offset, initialCapId(b, b.defaultGrants.indexOf("ParkSpace")), true);
      v.setBigUint64(pv["addr"]!.offset, BigInt(dataVaddr), true);
      v.setUint32(pv["expected"]!.offset, 0, true);
      v.setBigUint64(pv["timeoutNs"]!.offset, 1n, true);
      fillSq(asm, b, sqe);
      ringLoop(asm, b, 1, 1n, forever);
      break;
    }
    case "map-loop": {
      const p = params(gen.VirtualMemory_Map$Params, (x) => {
        x.hint = 0n;
        x.size = BigInt(MAP_LOOP_BYTES);
        x.prot = b.vm.prot.read | b.vm.prot.write;
      });
      asm.movReg(RING, reg(b.entry.ring));
      fillSq(asm, b, withParams("VirtualMemory", "map", p));
      ringLoop(asm, b, b.ring.sqEntries, 0n, 0n);
      break;
    }
    case "thread-bomb": {
      // Every thread (the initial one and each spawned one) runs this code on its own ring.
      const p = params(gen.ThreadSpawner_Spawn$Params, (x) => {
        x.entry = BigInt(codeVaddr);
        x.stackTop = BigInt(b.layout.userStackBase + b.layout.userStackSize);
        x.arg = 0n;
        x.fsBase = 0n;
      });
      asm.movReg(RING, reg(b.entry.ring));
      fillSq(asm, b, withParams("ThreadSpawner", "spawn", p));
      ringLoop(asm, b, 1, 1n, forever);
      break;
    }
    case "churn": {
      // Child code first (offset 0): ThreadControl.exit on its own ring, then spin.
      const exitParams = params(gen.ThreadControl_Exit$Params, (x) => (x.value = 7n));
      const exitLen = Math.ceil(exitParams.length / 8) * 8;
      const exitSqe = callSqe(b, { iface: "ThreadControl", method: "exit", paramsAt: dataVaddr, paramsLen: exitParams.length, resultAt: dataVaddr + exitLen });
      asm.movReg(RING, reg(b.entry.ring));
      const v = new DataView(exitSqe.buffer);
      for (let o = 0; o < exitSqe.length; o += 8) asm.movImm64("rax", v.getBigUint64(o, true)).storeQ(RING, sqeOffset(b, 0) + o, "rax");
      storeField(asm, RING, 0, b.ring.header["sqTail"], 1n);
      emitCapEnter(asm, b, 0n, 0n);
      asm.hang();
      // Main: spawn the child forever.
      entryOffset = asm.label();
      const spawnParams = params(gen.ThreadSpawner_Spawn$Params, (x) => {
        x.entry = BigInt(codeVaddr);
        x.stackTop = BigInt(b.layout.userStackBase + b.layout.userStackSize);
        x.arg = 0n;
        x.fsBase = 0n;
      });
      const spawnAt = exitLen + DATA_PAD;
      const spawnLen = Math.ceil(spawnParams.length / 8) * 8;
      data = new Uint8Array(spawnAt + spawnLen + DATA_PAD);
      data.set(exitParams, 0);
      data.set(spawnParams, spawnAt);
      asm.movReg(RING, reg(b.entry.ring));
      fillSq(asm, b, callSqe(b, { iface: "ThreadSpawner", method: "spawn", paramsAt: dataVaddr + spawnAt, paramsLen: spawnParams.length, resultAt: dataVaddr + spawnAt + spawnLen }));
      ringLoop(asm, b, 1, 1n, forever);
      break;
    }
    case "console-flood": {
      const p = params(gen.Console_Write$Params, (x) => {
        x._initData(FLOOD_WRITE_BYTES).toUint8Array().fill(0x41);
      });
      asm.movReg(RING, reg(b.entry.ring));
      fillSq(asm, b, withParams("Console", "write", p));
      ringLoop(asm, b, b.ring.sqEntries, 0n, 0n);
      break;
    }
  }
  const code = asm.code();
  if (codeVaddr + code.length > dataVaddr) throw new Error(`runaway ${kind}: code overruns its data segment`);
  return writeElf({ textVaddr, code, entryOffset, dataVaddr, data, dataMemsz: data.length });
}
