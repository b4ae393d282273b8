/**
 * Threads (THRX-*, FSB-*, PARKX-9) through the ring, without running guest code: spawned
 * threads' entry state is checked in their CpuState; the kernel is driven per thread.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import * as gen from "../../../spec/schema/gen/capos.js";
import { readFramedMessage } from "../../../spec/capnp-frame.js";
import { getReg64, REG_NAMES } from "../../cpu/state.js";
import type { CaposMachine } from "../machine.js";
import { machine, submit, reap, grant, params, PARAMS_AT, RESULT_AT, resultWord } from "./helpers.js";

const M = B.methods;
const E = B.transportErrors;
const idx = (r: string) => REG_NAMES.indexOf(r as (typeof REG_NAMES)[number]);

function call(m: CaposMachine, thread: number, cap: number, methodId: number, body: Uint8Array, ud = 1n): void {
  m.as.mem.writeBytes(PARAMS_AT, body);
  submit(m, thread, "call", { capId: cap, userData: ud, addr: PARAMS_AT, len: body.length, methodId, resultAddr: RESULT_AT, resultLen: 0x400 });
}
function spawn(m: CaposMachine, fsBase = 0x7000n, arg = 0x99n) {
  call(m, 0, grant("ThreadSpawner"), M.ThreadSpawner["spawn"]!, params(gen.ThreadSpawner_Spawn$Params, (p) => {
    p.entry = 0x201000n; p.stackTop = 0x1020000n; p.arg = arg; p.fsBase = fsBase;
  }));
  m.processRing(0);
  const c = reap(m, 0);
  expect(c).toHaveLength(1);
  return c[0]!;
}

describe("ThreadSpawner / ThreadHandle / ThreadControl", () => {
  it("spawn returns a ThreadHandle result cap and starts the thread per FSB-2 with its own ring (THRX-1, THRX-2)", () => {
    const m = machine();
    const c = spawn(m);
    expect(c.result).toBeGreaterThan(0);
    expect(c.interfaceId).toBe(B.interfaces.ThreadHandle);
    expect(c.capId & B.capId.indexMask).toBe(Number(resultWord(m) & 0xffffn));
    const t = m.threadInfo()[1]!;
    expect(t.state).toBe("runnable");
    expect(t.ring).toBe(B.layout.threadRingBase);
    const cpu = m.cpuOf(1);
    expect(cpu.rip).toBe(0x201000);
    expect(cpu.fsBase).toBe(0x7000);
    expect(getReg64(cpu, idx("rsp"))).toBe(0x1020000n);
    expect(getReg64(cpu, idx(B.entry.ring))).toBe(BigInt(B.layout.threadRingBase));
    expect(getReg64(cpu, idx(B.entry.threadArg))).toBe(0x99n);
    for (const r of REG_NAMES) if (![ "rsp", B.entry.ring, B.entry.threadArg].includes(r)) expect(getReg64(cpu, idx(r))).toBe(0n);
    expect(m.ringHeader(1)["sqEntries"]).toBe(B.ring.sqEntries);
    const c2 = spawn(m);
    expect(c2.capId).not.toBe(c.capId);
    expect(m.threadInfo()[2]!.ring).toBe(B.layout.threadRingBase + B.pageSize);
  });

  it("join completes with the exit value once the thread exits; the last exit ends the process with 0 (THRX-2, THRX-3)", () => {
    const m = machine();
    const h = spawn(m).capId;
    call(m, 0, h, M.ThreadHandle["join"]!, params(gen.ThreadHandle_Join$Params), 5n);
    m.processRing(0);
    expect(reap(m, 0)).toEqual([]);
    call(m, 1, grant("ThreadControl"), M.ThreadControl["exit"]!, params(gen.ThreadControl_Exit$Params, (p) => (p.value = 0xabcn)));
    m.processRing(1);
    expect(m.threadInfo()[1]!.state).toBe("exited");
    const c = reap(m, 0);
    expect(c).toEqual([expect.objectContaining({ userData: 5n })]);
    expect(resultWord(m)).toBe(0xabcn);
    // joining an exited thread completes at once
    call(m, 0, h, M.ThreadHandle["join"]!, params(gen.ThreadHandle_Join$Params), 6n);
    m.processRing(0);
    expect(reap(m, 0)).toEqual([expect.objectContaining({ userData: 6n })]);
    expect(m.end).toBeNull();
    call(m, 0, grant("ThreadControl"), M.ThreadControl["exit"]!, params(gen.ThreadControl_Exit$Params, (p) => (p.value = 3n)));
    m.processRing(0);
    expect(m.end).toEqual({ kind: "exit", code: 0 });
  });

  it("a thread that exits leaves no park waiter (PARKX-9)", () => {
    const m = machine();
    spawn(m);
    const word = B.layout.userStackBase + 0x300;
    submit(m, 1, "park", { capId: grant("ParkSpace"), addr: word, expected: 0, timeoutNs: B.park.timeoutForever });
    m.processRing(1);
    expect(m.parkedOn(1)).toEqual([{ addr: word, gen: 0 }]);
    call(m, 1, grant("ThreadControl"), M.ThreadControl["exit"]!, params(gen.ThreadControl_Exit$Params));
    m.processRing(1);
    expect(m.waiterCount(word)).toBe(0);
  });

  it("setFsBase / getFsBase act on the calling thread only; non-canonical bases are rejected (FSB-1, FSB-3, FSB-4)", () => {
    const m = machine();
    spawn(m, 0x5000n);
    const before0 = m.cpuOf(0).fsBase;
    call(m, 1, grant("ThreadControl"), M.ThreadControl["setFsBase"]!, params(gen.ThreadControl_SetFsBase$Params, (p) => (p.base = 0x1234_5000n)));
    m.processRing(1);
    expect(reap(m, 1)[0]!.result).toBeGreaterThanOrEqual(0);
    expect(m.cpuOf(1).fsBase).toBe(0x1234_5000);
    expect(m.cpuOf(0).fsBase).toBe(before0);
    call(m, 1, grant("ThreadControl"), M.ThreadControl["setFsBase"]!, params(gen.ThreadControl_SetFsBase$Params, (p) => (p.base = 0x8000_0000_0000n)));
    m.processRing(1);
    expect(reap(m, 1)[0]!.result).toBe(E.applicationException);
    expect(readFramedMessage(m.as.mem.readBytes(RESULT_AT, 0x100)).getRoot(gen.CapException).type).toBe(B.exceptionTypes["invalidArgument"]);
    expect(m.cpuOf(1).fsBase).toBe(0x1234_5000);
    call(m, 1, grant("ThreadControl"), M.ThreadControl["getFsBase"]!, params(gen.ThreadControl_GetFsBase$Params));
    m.processRing(1);
    reap(m, 1);
    expect(resultWord(m)).toBe(0x1234_5000n);
  });
});

describe("CPUs reused after a machine is disposed", () => {
  it("a thread of a later process starts with a new CpuState's registers, flags, vector and x87 state", async () => {
    const { ThreadTable } = await import("../threads.js");
    const { CpuState } = await import("../../cpu/state.js");
    const a = new ThreadTable();
    const c = a.add(0x1000, -1).cpu;
    c.lo.fill(-1); c.hi.fill(7); c.rip = 0x401000; c.flags = 0xfff; c.fop = 3; c.fsBase = 0x1234; c.gsBase = 9;
    c.x8.fill(0xaa); c.st.fill(0x55); c.ftop = 5; c.fcw = 0; c.ftag = 0; c.mxcsr = 0; c.tsc = 77; c.icount = 99; c.left = 5;
    c.mem = { released: true } as unknown as typeof c.mem; // a disposed process's memory: not to be kept
    a.release();
    a.release(); // a second release hands out nothing twice
    const b = new ThreadTable();
    const d = b.add(0x1000, -1).cpu, e = b.add(0x2000, 0).cpu;
    expect(d).toBe(c); // reused
    expect(e).not.toBe(d);
    const fresh = new CpuState();
    for (const x of [d, e]) {
      expect({ ...x }).toEqual({ ...fresh });
      expect(x.mem).toBe(fresh.mem);
      expect([...x.x8]).toEqual([...fresh.x8]);
      expect([...x.st]).toEqual([...fresh.st]);
      expect([...x.lo, ...x.hi]).toEqual([...fresh.lo, ...fresh.hi]);
    }
  });
});
