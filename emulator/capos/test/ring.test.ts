/**
 * Ring, capability and park semantics, driving the kernel directly (no CPU): each test
 * writes SQEs into a thread's ring page and runs the ring processor or cap_enter.
 * Expected values come from spec/ABI.md and the clauses named in each test.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import * as gen from "../../../spec/schema/gen/capos.js";
import { readFramedMessage } from "../../../spec/capnp-frame.js";
import { PROT_READ, PROT_WRITE } from "../../cpu/memory.js";
import { machine, submit, reap, grant, params, PARAMS_AT, RESULT_AT, resultWord } from "./helpers.js";
import type { CaposMachine } from "../machine.js";

const E = B.transportErrors;
const R = B.park.results;
const M = B.methods;
const P = B.pageSize;
const WIN = B.layout.vmWindowBase;

function call(m: CaposMachine, cap: number, methodId: number, body: Uint8Array, ud = 7n, resultLen = 0x400, thread = 0): void {
  m.as.mem.writeBytes(PARAMS_AT, body);
  submit(m, thread, "call", { capId: cap, userData: ud, addr: PARAMS_AT, len: body.length, methodId, resultAddr: RESULT_AT, resultLen });
}
function one(m: CaposMachine, thread = 0) {
  m.processRing(thread);
  const c = reap(m, thread);
  expect(c.length).toBe(1);
  return c[0]!;
}
function vmCall(m: CaposMachine, method: string, set: (p: any) => void): number {
  const cls: Record<string, any> = {
    map: gen.VirtualMemory_Map$Params, unmap: gen.VirtualMemory_Unmap$Params, protect: gen.VirtualMemory_Protect$Params,
    reserve: gen.VirtualMemory_Reserve$Params, commit: gen.VirtualMemory_Commit$Params, decommit: gen.VirtualMemory_Decommit$Params,
  };
  call(m, grant("VirtualMemory"), M.VirtualMemory[method]!, params(cls[method], set));
  return one(m).result;
}
function excType(m: CaposMachine): number {
  return readFramedMessage(m.as.mem.readBytes(RESULT_AT, 0x100)).getRoot(gen.CapException).type;
}

describe("ring basics (RINGX-1..8, RING-7)", () => {
  it("NOP completes with 0 and echoes user_data", () => {
    const m = machine();
    submit(m, 0, "nop", { userData: 0xdead_beef_0123n });
    expect(one(m)).toMatchObject({ userData: 0xdead_beef_0123n, result: 0 });
  });
  it("unknown opcode gives invalidOpcode; reserved fields give invalidSqe", () => {
    const m = machine();
    const ring = m.ringOf(0);
    submit(m, 0, "nop", { userData: 1n });
    m.as.mem.writeU8(ring + B.ring.sqOffset, 0xee);
    expect(one(m).result).toBe(E.invalidOpcode);
    submit(m, 0, "nop", { flags: 1 });
    expect(one(m).result).toBe(E.invalidSqe);
    submit(m, 0, "nop", { reserved0: 2 });
    expect(one(m).result).toBe(E.invalidSqe);
    submit(m, 0, "call", { capId: grant("Console"), xferCapCount: 1 });
    expect(one(m).result).toBe(E.invalidSqe);
    submit(m, 0, "call", { capId: grant("Console"), pipelineDep: 3 });
    expect(one(m).result).toBe(E.invalidSqe);
  });
  it("consumes SQEs in order, one CQE each (RINGX-3)", () => {
    const m = machine();
    for (let i = 0; i < 5; i++) submit(m, 0, "nop", { userData: BigInt(i + 100) });
    m.processRing(0);
    expect(reap(m, 0).map((c) => c.userData)).toEqual([100n, 101n, 102n, 103n, 104n]);
  });
  it("sq_tail - sq_head > sqEntries gives one ringCorrupt with user_data 0 and sq_head = sq_tail (RINGX-1)", () => {
    const m = machine();
    const ring = m.ringOf(0);
    const tailOff = B.ring.header["sqTail"]!.offset;
    m.as.mem.writeU32(ring + tailOff, B.ring.sqEntries + 5);
    m.processRing(0);
    const c = reap(m, 0);
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ userData: 0n, result: E.ringCorrupt });
    expect(m.ringHeader(0)["sqHead"]).toBe(B.ring.sqEntries + 5);
  });
  it("a full CQ stops consumption; the SQE is taken once there is room (RINGX-2)", () => {
    const m = machine();
    for (let round = 0; round < B.ring.cqEntries / B.ring.sqEntries; round++) {
      for (let i = 0; i < B.ring.sqEntries; i++) submit(m, 0, "nop", {});
      m.processRing(0);
    }
    expect(m.ringHeader(0)["cqTail"]).toBe(B.ring.cqEntries);
    submit(m, 0, "nop", { userData: 99n });
    m.processRing(0);
    const h = m.ringHeader(0);
    expect(h["sqTail"]! - h["sqHead"]!).toBe(1);
    reap(m, 0);
    m.processRing(0);
    expect(reap(m, 0)).toEqual([expect.objectContaining({ userData: 99n, result: 0 })]);
  });
  it("asynchronous completions arriving at a full CQ are held, counted and posted in order (RINGX-2)", () => {
    const m = machine();
    const word = B.layout.userStackBase + 0x100;
    submit(m, 0, "park", { capId: grant("ParkSpace"), addr: word, expected: 0, timeoutNs: B.park.timeoutForever, userData: 555n });
    m.processRing(0);
    for (let round = 0; round < B.ring.cqEntries / B.ring.sqEntries; round++) {
      for (let i = 0; i < B.ring.sqEntries; i++) submit(m, 0, "nop", {});
      m.processRing(0);
    }
    // Leave exactly one free CQ slot, then UNPARK: the woken PARK's completion takes the
    // slot, so the UNPARK's own completion finds the CQ full and is held.
    reap(m, 0);
    for (let i = 0; i < B.ring.cqEntries - 1; i++) submit(m, 0, "nop", {}), m.processRing(0);
    expect(m.ringHeader(0)["cqTail"]! - m.ringHeader(0)["cqHead"]!).toBe(B.ring.cqEntries - 1);
    submit(m, 0, "unpark", { capId: grant("ParkSpace"), addr: word, count: 1, userData: 777n });
    m.processRing(0);
    expect(m.ringHeader(0)["cqOverflow"]).toBe(1);
    const first = reap(m, 0);
    expect(first.at(-1)).toMatchObject({ userData: 555n, result: R.woken });
    expect(first.some((c) => c.userData === 777n)).toBe(false);
    m.enterFromTest(0, 0, 0n); // kernel entry posts held completions once there is room
    expect(reap(m, 0)).toEqual([expect.objectContaining({ userData: 777n, result: 1 })]);
  });
});

describe("capabilities (RINGX-5..8, CAP-*)", () => {
  it("stale and unknown cap ids give invalidCap; RELEASE makes the old id stale (RINGX-7)", () => {
    const m = machine();
    submit(m, 0, "nop", {});
    one(m);
    submit(m, 0, "release", { capId: 0x1234_0005 });
    expect(one(m).result).toBe(E.invalidCap);
    submit(m, 0, "release", { capId: grant("Timer") });
    expect(one(m).result).toBe(0);
    call(m, grant("Timer"), M.Timer["now"]!, params(gen.Timer_Now$Params));
    expect(one(m).result).toBe(E.invalidCap);
  });
  it("RECV and RETURN on a non-endpoint give wrongInterface (RINGX-8)", () => {
    const m = machine();
    submit(m, 0, "recv", { capId: grant("Console") });
    expect(one(m).result).toBe(E.wrongInterface);
    submit(m, 0, "return", { capId: grant("Console") });
    expect(one(m).result).toBe(E.wrongInterface);
  });
  it("Console.write appends bytes and completes with the result size (CON-1, RINGX-5)", () => {
    const m = machine();
    call(m, grant("Console"), M.Console["write"]!, params(gen.Console_Write$Params, (p) => {
      const d = p._initData(3);
      d.set(0, 0x41); d.set(1, 0x42); d.set(2, 0x0a);
    }));
    const c = one(m);
    expect(c.result).toBeGreaterThan(0);
    expect(new TextDecoder().decode(m.console)).toBe("AB\n");
    call(m, grant("Console"), M.Console["writeLine"]!, params(gen.Console_WriteLine$Params, (p) => (p.text = "hi")));
    one(m);
    expect(new TextDecoder().decode(m.console)).toBe("AB\nhi\n");
  });
  it("a console copied out keeps its bytes when later machines write and copy theirs", () => {
    const write = (m: ReturnType<typeof machine>, text: string) => {
      call(m, grant("Console"), M.Console["write"]!, params(gen.Console_Write$Params, (p) => p._initData(text.length).copyBuffer(new TextEncoder().encode(text))));
      one(m);
    };
    const a = machine();
    write(a, "first\n");
    const kept = a.console;
    a.dispose();
    for (const text of ["second\n", "third!\n"]) {
      const m = machine();
      write(m, text);
      expect(new TextDecoder().decode(m.console)).toBe(text);
      m.dispose();
    }
    expect(new TextDecoder().decode(kept)).toBe("first\n");
  });
  it("Console keeps each write's own bytes when CALLs of equal params length follow one another (CON-1)", () => {
    // The kernel reads a CALL's params into a buffer it reuses for the next CALL of that length:
    // the console must hold copies, not views of that buffer.
    const m = machine();
    const body = (text: string) => params(gen.Console_Write$Params, (p) => p._initData(text.length).copyBuffer(new TextEncoder().encode(text)));
    const at = [PARAMS_AT, PARAMS_AT + 0x100, PARAMS_AT + 0x200];
    ["one\n", "two\n", "six\n"].forEach((text, i) => {
      m.as.mem.writeBytes(at[i]!, body(text));
      submit(m, 0, "call", { capId: grant("Console"), userData: BigInt(i), addr: at[i]!, len: body(text).length, methodId: M.Console["write"]!, resultAddr: RESULT_AT, resultLen: 0x100 });
    });
    m.processRing(0);
    expect(reap(m, 0).map((c) => c.result > 0)).toEqual([true, true, true]);
    expect(new TextDecoder().decode(m.console)).toBe("one\ntwo\nsix\n");
  });
  it("an unknown method ordinal writes CapException unimplemented (RINGX-6)", () => {
    const m = machine();
    call(m, grant("Console"), 57, params(gen.Console_Write$Params));
    expect(one(m).result).toBe(E.applicationException);
    expect(excType(m)).toBe(B.exceptionTypes["unimplemented"]);
    call(m, grant("Console"), 57, params(gen.Console_Write$Params), 7n, 8);
    expect(one(m).result).toBe(E.applicationExceptionTruncated);
  });
  it("bad buffers give invalidBuffer, bad messages badMessage, small results resultTooSmall", () => {
    const m = machine();
    const con = grant("Console");
    submit(m, 0, "call", { capId: con, addr: 0x5000_0000, len: 16, methodId: 0, resultAddr: RESULT_AT, resultLen: 64 });
    expect(one(m).result).toBe(E.invalidBuffer);
    submit(m, 0, "call", { capId: con, addr: 0xffff_8000_0000_0000n, len: 16, methodId: 0, resultAddr: RESULT_AT, resultLen: 64 });
    expect(one(m).result).toBe(E.invalidBuffer);
    submit(m, 0, "call", { capId: con, addr: PARAMS_AT, len: 0xffff_ffff, methodId: 0, resultAddr: RESULT_AT, resultLen: 64 });
    expect(one(m).result).toBe(E.invalidBuffer);
    // the CapSet page is read-only: not a valid result buffer
    submit(m, 0, "call", { capId: con, addr: PARAMS_AT, len: 16, methodId: 0, resultAddr: B.layout.capSetVaddr, resultLen: 64 });
    expect(one(m).result).toBe(E.invalidBuffer);
    m.as.mem.writeBytes(PARAMS_AT, Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0));
    submit(m, 0, "call", { capId: con, addr: PARAMS_AT, len: 8, methodId: 0, resultAddr: RESULT_AT, resultLen: 64 });
    expect(one(m).result).toBe(E.badMessage);
    call(m, grant("Timer"), M.Timer["now"]!, params(gen.Timer_Now$Params), 1n, 8);
    expect(one(m).result).toBe(E.resultTooSmall);
  });
  it("the CapSet page lists the default grants and is read-only (PROCX-3)", () => {
    const m = machine();
    const cs = B.layout.capSetVaddr;
    const mem = m.as.mem;
    expect(mem.readU32(cs)).toBe(B.capSet.magic);
    expect(mem.readU16(cs + B.capSet.header["count"]!.offset)).toBe(B.defaultGrants.length);
    B.defaultGrants.forEach((name, i) => {
      const at = cs + B.capSet.headerSize + i * B.capSet.entrySize;
      expect(mem.readU64(at + B.capSet.entry["interfaceId"]!.offset)).toBe(B.interfaces[name]);
      expect(mem.readU32(at + B.capSet.entry["capId"]!.offset)).toBe(grant(name));
    });
    expect(mem.protAt(cs)! & PROT_WRITE).toBe(0);
  });
});

describe("VirtualMemory (VMX-*, GO-2..6)", () => {
  it("map places first fit at the window start, honours a free aligned hint, zero-fills", () => {
    const m = machine();
    expect(vmCall(m, "map", (p) => { p.hint = 0n; p.size = BigInt(2 * P); p.prot = 3; })).toBeGreaterThan(0);
    expect(resultWord(m)).toBe(BigInt(WIN));
    vmCall(m, "map", (p) => { p.hint = 0n; p.size = BigInt(P); p.prot = 1; });
    expect(resultWord(m)).toBe(BigInt(WIN + 2 * P));
    vmCall(m, "map", (p) => { p.hint = BigInt(WIN + 100 * P); p.size = BigInt(P); p.prot = 1; });
    expect(resultWord(m)).toBe(BigInt(WIN + 100 * P));
    expect(m.as.mem.readU32(WIN + 8)).toBe(0);
    expect(m.as.accessible(WIN, 2 * P, PROT_WRITE)).toBe(true);
    expect(m.as.accessible(WIN + 2 * P, P, PROT_WRITE)).toBe(false);
  });
  it("bad sizes, addresses and prots give invalidArgument and change nothing (VMX-1, VMX-4, VMX-7)", () => {
    const m = machine();
    expect(vmCall(m, "map", (p) => { p.size = 100n; p.prot = 3; })).toBe(E.applicationException);
    expect(excType(m)).toBe(B.exceptionTypes["invalidArgument"]);
    expect(vmCall(m, "map", (p) => { p.size = BigInt(P); p.prot = 8; })).toBe(E.applicationException);
    expect(excType(m)).toBe(B.exceptionTypes["invalidArgument"]);
    expect(vmCall(m, "commit", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 3; })).toBe(E.applicationException);
    expect(vmCall(m, "reserve", (p) => { p.size = BigInt(4 * P); })).toBeGreaterThan(0);
    expect(vmCall(m, "protect", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 1; })).toBe(E.applicationException);
    expect(vmCall(m, "unmap", (p) => { p.addr = BigInt(WIN + 1); p.size = BigInt(P); })).toBe(E.applicationException);
    expect(m.mappings()).toEqual([{ addr: WIN, pages: 4, state: "reserved", prot: 0 }]);
  });
  it("reserve faults, commit zero-fills, protect(none) keeps contents, decommit zeroes, unmap frees (GO-2..6, VMX-6)", () => {
    const m = machine();
    vmCall(m, "reserve", (p) => { p.size = BigInt(2 * P); });
    expect(m.as.accessible(WIN, 1, PROT_READ)).toBe(false);
    vmCall(m, "commit", (p) => { p.addr = BigInt(WIN); p.size = BigInt(2 * P); p.prot = 3; });
    m.as.mem.w32(WIN, 0x1234);
    expect(vmCall(m, "protect", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 0; })).toBeGreaterThanOrEqual(0);
    expect(m.as.accessible(WIN, 1, PROT_READ)).toBe(false);
    vmCall(m, "protect", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 1; });
    expect(m.as.mem.r32(WIN)).toBe(0x1234);
    expect(m.as.accessible(WIN, 1, PROT_WRITE)).toBe(false);
    vmCall(m, "decommit", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); });
    expect(m.as.accessible(WIN, 1, PROT_READ)).toBe(false);
    vmCall(m, "commit", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 3; });
    expect(m.as.mem.r32(WIN)).toBe(0);
    expect(vmCall(m, "unmap", (p) => { p.addr = BigInt(WIN); p.size = BigInt(8 * P); })).toBeGreaterThanOrEqual(0);
    expect(m.mappings()).toEqual([]);
    expect(m.as.committedPages).toBe(0);
    expect(m.as.reservedPages).toBe(0);
  });
  it("quota overflow gives overloaded (VMX-5)", () => {
    const m = machine();
    expect(vmCall(m, "map", (p) => { p.size = BigInt((B.vm.committedPageQuota + 1) * P); p.prot = 3; })).toBe(E.applicationException);
    expect(excType(m)).toBe(B.exceptionTypes["overloaded"]);
    expect(vmCall(m, "reserve", (p) => { p.size = BigInt((B.vm.reservedPageQuota + 1) * P); })).toBe(E.applicationException);
    expect(excType(m)).toBe(B.exceptionTypes["overloaded"]);
    expect(m.mappings()).toEqual([]);
  });
  it("mutant protect-keeps-write leaves the page writable", () => {
    const m = machine({ mutant: "protect-keeps-write" });
    vmCall(m, "map", (p) => { p.size = BigInt(P); p.prot = 3; });
    vmCall(m, "protect", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); p.prot = 1; });
    expect(m.as.accessible(WIN, 1, PROT_WRITE)).toBe(true);
  });
});

describe("park (PARK-*, PARKX-*, GO-7, GO-8)", () => {
  const word = B.layout.userStackBase + 0x200;
  const park = (m: CaposMachine, expected: number, timeoutNs: bigint, ud = 1n, addr: number | bigint = word, cap = grant("ParkSpace")) =>
    submit(m, 0, "park", { capId: cap, addr, expected, timeoutNs, userData: ud });
  const unpark = (m: CaposMachine, count: number, ud = 2n, addr: number = word) =>
    submit(m, 0, "unpark", { capId: grant("ParkSpace"), addr, count, userData: ud });

  it("mismatch, poll, bad address, wrong cap (PARK-3, PARKX-3, PARKX-5)", () => {
    const m = machine();
    m.as.mem.writeU32(word, 5);
    park(m, 4, B.park.timeoutForever);
    expect(one(m).result).toBe(R.mismatch);
    park(m, 5, 0n);
    expect(one(m).result).toBe(R.timedOut);
    park(m, 5, 0n, 1n, word + 2);
    expect(one(m).result).toBe(E.invalidSqe);
    park(m, 0, 0n, 1n, 0x5000_0000);
    expect(one(m).result).toBe(E.invalidBuffer);
    park(m, 5, 0n, 1n, word, grant("Console"));
    expect(one(m).result).toBe(E.wrongInterface);
    expect(m.waiterCount(word)).toBe(0);
  });
  it("a matching PARK waits; UNPARK 0 wakes nobody; UNPARK 1 wakes it (PARKX-1, PARKX-2, PARKX-8)", () => {
    const m = machine();
    park(m, 0, B.park.timeoutForever, 11n);
    m.processRing(0);
    expect(reap(m, 0)).toEqual([]);
    expect(m.waiterCount(word)).toBe(1);
    expect(m.parkedOn(0)).toEqual([{ addr: word, gen: 0 }]);
    unpark(m, 0, 12n);
    expect(one(m)).toMatchObject({ userData: 12n, result: 0 });
    expect(m.waiterCount(word)).toBe(1);
    unpark(m, 1, 13n);
    m.processRing(0);
    const c = reap(m, 0);
    expect(c).toContainEqual(expect.objectContaining({ userData: 11n, result: R.woken }));
    expect(c).toContainEqual(expect.objectContaining({ userData: 13n, result: 1 }));
    expect(m.waiterCount(word)).toBe(0);
    unpark(m, B.park.unparkAll, 14n);
    expect(one(m).result).toBe(0); // GO-8
  });
  it("UNPARK wakes at most count of n waiters (PARKX-2)", () => {
    const m = machine();
    for (let i = 0; i < 3; i++) park(m, 0, B.park.timeoutForever, BigInt(20 + i));
    m.processRing(0);
    unpark(m, 2, 30n);
    m.processRing(0);
    const c = reap(m, 0);
    expect(c.filter((x) => x.result === R.woken && x.userData >= 20n && x.userData < 23n)).toHaveLength(2);
    expect(c.find((x) => x.userData === 30n)!.result).toBe(2);
    expect(m.waiterCount(word)).toBe(1);
  });
  function parkInWindow(m: CaposMachine): number {
    vmCall(m, "map", (p) => { p.size = BigInt(P); p.prot = 3; });
    park(m, 0, B.park.timeoutForever, 40n, WIN + 64);
    m.processRing(0);
    expect(m.waiterCount(WIN + 64)).toBe(1);
    return WIN + 64;
  }
  it("unmap and decommit drain waiters in the range before completing (PARKX-6)", () => {
    for (const op of ["unmap", "decommit"]) {
      const m = machine();
      const w = parkInWindow(m);
      call(m, grant("VirtualMemory"), M.VirtualMemory[op]!, params(gen.VirtualMemory_Unmap$Params, (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); }), 41n);
      m.processRing(0);
      const c = reap(m, 0);
      expect(c.map((x) => x.userData)).toEqual([40n, 41n]);
      expect(c[0]!.result).toBe(R.drained);
      expect(m.parkWaiters()).toEqual([]);
      expect(m.waiterCount(w)).toBe(0);
    }
  });
  it("mutant no-drain leaves the waiter under the old generation; UNPARK cannot reach it (PARKX-7)", () => {
    const m = machine({ mutant: "no-drain" });
    parkInWindow(m);
    vmCall(m, "unmap", (p) => { p.addr = BigInt(WIN); p.size = BigInt(P); });
    expect(m.parkWaiters()).toHaveLength(1);
    vmCall(m, "map", (p) => { p.size = BigInt(P); p.prot = 3; });
    unpark(m, 1, 50n, WIN + 64);
    expect(one(m).result).toBe(0);
    expect(m.parkWaiters()).toHaveLength(1);
  });
  it("a finite timeout fires only when virtual time reaches it (PARKX-4, TIMERX-1)", () => {
    const m = machine();
    park(m, 0, 1000n, 60n);
    m.enterFromTest(0, 1, B.syscall.capEnterWaitForever);
    expect(m.threadInfo()[0]!.state).toBe("blocked");
    m.step(); // nothing runnable: time jumps to the deadline, then the thread runs
    expect(m.now).toBe(m.startedAt + 1000n);
    const c = reap(m, 0);
    expect(c).toEqual([expect.objectContaining({ userData: 60n, result: R.timedOut })]);
    call(m, grant("Timer"), M.Timer["now"]!, params(gen.Timer_Now$Params));
    one(m);
    expect(resultWord(m)).toBe(m.startedAt + 1000n);
  });
  it("Timer.sleep completes at start + ns; cap_enter with nothing pending hangs", () => {
    const m = machine();
    call(m, grant("Timer"), M.Timer["sleep"]!, params(gen.Timer_Sleep$Params, (p) => (p.ns = 5000n)), 70n);
    m.enterFromTest(0, 1, B.syscall.capEnterWaitForever);
    expect(m.threadInfo()[0]!.state).toBe("blocked");
    m.step();
    expect(m.now).toBe(m.startedAt + 5000n);
    expect(reap(m, 0)).toEqual([expect.objectContaining({ userData: 70n })]);
    const m2 = machine();
    m2.enterFromTest(0, 1, B.syscall.capEnterWaitForever);
    m2.step();
    expect(m2.end).toEqual({ kind: "hang" });
  });
  it("cap_enter: min_complete > cqEntries is invalid; timeout 0 never blocks (ENTERX-1)", () => {
    const m = machine();
    expect(m.enterFromTest(0, B.ring.cqEntries + 1, 0n)).toBe(BigInt.asUintN(64, BigInt(B.syscall.errors.invalid)));
    submit(m, 0, "nop", {});
    expect(m.enterFromTest(0, 5, 0n)).toBe(1n);
    expect(m.threadInfo()[0]!.state).toBe("runnable");
  });
});
