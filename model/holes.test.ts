/**
 * Regression tests for the checker's former holes (issue 18): each run here is NOT allowed,
 * and each was accepted before the hole was closed. The allowed twin of each run is checked
 * too, so a test cannot pass by rejecting everything.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { OP, type Observation, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import { checkAgentRun, type ObservedRun } from "./checker.js";

const W = BigInt(B.layout.vmWindowBase);
const R = B.park.results;
const FOREVER = B.park.timeoutForever;
const ok = (thread: number, op: number, value: bigint | number): Observation => ({ thread, op, status: "ok", value: BigInt(value) });
const one = (...ops: ScriptOp[]): Script => ({ threads: [ops] });
const exit0 = { kind: "exit", code: 0 } as const;
const MAP1: ScriptOp = { kind: OP.MAP, a: 0n, b: 4096n, c: 3n, dst: 1 };
/** The initial TP where the reference emulator puts it, and one elsewhere in the TLS area. */
const TP = BigInt(B.layout.ringVaddr - 0x100);
const accepts = (s: Script, run: ObservedRun, ...rest: Parameters<typeof checkAgentRun> extends [unknown, unknown, ...infer T] ? T : never) => checkAgentRun(s, run, ...rest).ok;

describe("closed holes: memory outside the VM window (ELFX-1, PROC-6, VMX-6)", () => {
  it("page 0 and the gap below the window fault; a read there returning a value is refused", () => {
    for (const a of [0n, 8n, W - 8n, BigInt(B.layout.vmWindowEnd) + 0x24a0n]) {
      const s = one({ kind: OP.LOAD, a, b: 8n });
      expect(accepts(s, { observations: [ok(0, 0, 0x1234)], end: exit0 })).toBe(false);
      expect(accepts(s, { observations: [], end: { kind: "fault", fault: "#PF", addr: a, access: "read" } })).toBe(true);
    }
  });

  it("a PARK on the stack blocks or mismatches; it is never woken without an UNPARK", () => {
    const s = one({ kind: OP.PARK, a: BigInt(B.layout.userStackBase), b: 0n, c: FOREVER });
    expect(accepts(s, { observations: [ok(0, 0, R.woken)], end: exit0 })).toBe(false);
    expect(accepts(s, { observations: [ok(0, 0, R.mismatch)], end: exit0 })).toBe(true);
    expect(accepts(s, { observations: [], end: { kind: "hang" } })).toBe(true);
  });

  it("a PARK on a read-only image word compares the file's bytes; a store there faults", () => {
    const env = { segments: [{ vaddr: 0x20_0000, memsz: 0x1000, writable: false, bytes: new Uint8Array([7, 0, 0, 0]) }] };
    const park = one({ kind: OP.PARK, a: 0x20_0000n, b: 7n, c: 0n });
    expect(accepts(park, { observations: [ok(0, 0, R.mismatch)], end: exit0 }, B, env)).toBe(false);
    expect(accepts(park, { observations: [ok(0, 0, R.timedOut)], end: exit0 }, B, env)).toBe(true);
    const store = one({ kind: OP.STORE, a: 0x20_0000n, b: 4n, c: 1n });
    expect(accepts(store, { observations: [ok(0, 0, 0)], end: exit0 }, B, env)).toBe(false);
    expect(accepts(store, { observations: [], end: { kind: "fault", fault: "#PF", addr: 0x20_0000n, access: "write" } }, B, env)).toBe(true);
  });
});

describe("closed holes: timeouts judged against the implementation's clock (PARKX-4, TIMERX-1)", () => {
  it("a timed-out PARK whose run ended before the deadline fired early, even with no NOW", () => {
    const s = one(MAP1, { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: 1_000_000n });
    const run = { observations: [ok(0, 0, W), ok(0, 1, R.timedOut)], end: exit0 };
    expect(accepts(s, { ...run, clockNs: 500n })).toBe(false);
    expect(accepts(s, { ...run, clockNs: 1_000_000n })).toBe(true);
    expect(accepts(s, { ...run, clockNs: 3_000_000n })).toBe(true);
  });

  it("with a reported clock origin, deadlines count from it and NOW never reads below it (any origin is allowed)", () => {
    const origin = (1n << 32n) - 1_000n;
    const s = one(MAP1, { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: 1_000_000n });
    const run = { observations: [ok(0, 0, W), ok(0, 1, R.timedOut)], end: exit0 };
    expect(accepts(s, { ...run, clockStartNs: origin, clockNs: origin + 500n })).toBe(false);
    expect(accepts(s, { ...run, clockStartNs: origin, clockNs: origin + 1_000_000n })).toBe(true);
    const now = one({ kind: OP.NOW }, { kind: OP.SLEEP, a: 2_000n }, { kind: OP.NOW });
    // A 32-bit clock wraps past 2^32 and reads backwards.
    expect(accepts(now, { observations: [ok(0, 0, origin), ok(0, 1, 0), ok(0, 2, 1_000n)], end: exit0, clockStartNs: origin })).toBe(false);
    expect(accepts(now, { observations: [ok(0, 0, origin), ok(0, 1, 0), ok(0, 2, origin + 2_000n)], end: exit0, clockStartNs: origin })).toBe(true);
    expect(accepts(now, { observations: [ok(0, 0, origin - 1n), ok(0, 1, 0), ok(0, 2, origin + 2_000n)], end: exit0, clockStartNs: origin })).toBe(false);
  });
});

describe("closed holes: thread pointers (TLSV2-3, TLSV2-7, FSB-2, TLS-3)", () => {
  it("a TP of 0x3 (unaligned, outside the TLS area) is refused", () => {
    const s = one({ kind: OP.GET_FS });
    expect(accepts(s, { observations: [ok(0, 0, 3)], end: exit0 })).toBe(false);
    expect(accepts(s, { observations: [ok(0, 0, TP + 8n)], end: exit0 })).toBe(false);
    expect(accepts(s, { observations: [ok(0, 0, TP)], end: exit0 })).toBe(true);
    // TLSV2-3: with the agent's PT_TLS p_align 64, a TP aligned only to 16 is refused.
    const env = { ptTls: { vaddr: 0x40_0000, memsz: 0x48, align: 64 } };
    expect(accepts(s, { observations: [ok(0, 0, TP - 0x10n)], end: exit0 }, B, env)).toBe(false);
    expect(accepts(s, { observations: [ok(0, 0, TP - 0x40n)], end: exit0 }, B, env)).toBe(true);
  });

  it("a spawned thread reporting its parent's FS base is refused", () => {
    const s: Script = { threads: [[{ kind: OP.GET_FS }, { kind: OP.SPAWN, a: 1n }, { kind: OP.JOIN, a: 1n }], [{ kind: OP.GET_FS }]] };
    const run = (child: bigint): ObservedRun => ({ observations: [ok(0, 0, TP), ok(0, 1, 0), ok(1, 0, child), ok(0, 2, 0)], end: exit0 });
    expect(accepts(s, run(TP))).toBe(false);
    expect(accepts(s, run(0x40_0f00n))).toBe(true);
  });
});

describe("closed holes: the fault's thread and address (PROCX-2, VMX-6)", () => {
  // Script thread 2 is the first thread the process creates: the implementation calls it 1.
  const s: Script = { threads: [[MAP1, { kind: OP.SPAWN, a: 2n }, { kind: OP.JOIN, a: 2n }], [], [{ kind: OP.LOAD, a: W + 0x2000n, b: 8n }]] };
  const records = [ok(0, 0, W), ok(0, 1, 0)];
  const fault = (thread: number | undefined, addr: bigint | undefined): ObservedRun => ({
    observations: records,
    end: { kind: "fault", fault: "#PF", access: "read", ...(thread !== undefined ? { thread } : {}), ...(addr !== undefined ? { addr } : {}) },
  });
  const reports = { reports: { faultAddress: true, faultThread: true } };

  it("the faulting thread is compared when the implementation reports it", () => {
    expect(accepts(s, fault(0, W + 0x2000n), B, {}, reports)).toBe(false);
    expect(accepts(s, fault(2, W + 0x2000n), B, {}, reports)).toBe(false);
    expect(accepts(s, fault(1, W + 0x2000n), B, {}, reports)).toBe(true);
  });

  it("a #PF without an address is accepted only from an implementation that does not report addresses", () => {
    expect(accepts(s, fault(undefined, undefined), B, {}, { reports: { faultAddress: true } })).toBe(false);
    expect(accepts(s, fault(undefined, undefined))).toBe(true);
    expect(accepts(s, fault(1, W + 0x2008n), B, {}, reports)).toBe(false);
  });
});

describe("no silent passes", () => {
  it("a run explained only through an op the model cannot judge is undecided, not ok", () => {
    const s = one({ kind: OP.STORE, a: BigInt(B.layout.userStackBase), b: 8n, c: 1n });
    const v = checkAgentRun(s, { observations: [ok(0, 0, 0)], end: { kind: "exit", code: 9 } });
    expect(v.ok === false && v.undecided).toBe(true);
  });

  it("MAP placed anywhere free is judged consistently: later accesses see the range where it was put", () => {
    const s = one(MAP1, { kind: OP.STORE, base: 1, a: 0n, b: 8n, c: 5n }, { kind: OP.LOAD, a: W, b: 8n });
    const top = BigInt(B.layout.vmWindowEnd) - 4096n;
    expect(accepts(s, { observations: [ok(0, 0, top), ok(0, 1, 0)], end: { kind: "fault", fault: "#PF", addr: W, access: "read" } })).toBe(true);
    expect(accepts(s, { observations: [ok(0, 0, top), ok(0, 1, 0), ok(0, 2, 0)], end: exit0 })).toBe(false);
    expect(accepts(s, { observations: [ok(0, 0, top + 4096n)], end: exit0 })).toBe(false);
  });
});
