/**
 * Reading a command implementation's end from its exit status and stderr
 * (spec/run-protocol.ts COMMAND_STATUS; the fault line format of BATCH-PROTOCOL.md), and the
 * schedule text of repro lines (encodeSchedule's documented "seed:quantum:p.q,p.q,...").
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_STATUS, decodeSchedule, encodeSchedule, type Schedule } from "../run-protocol.js";
import { endStateFromCommandStatus } from "../run-protocol.js";

describe("endStateFromCommandStatus", () => {
  it("reads address, access and thread from the runner protocol's #PF line", () => {
    expect(endStateFromCommandStatus(COMMAND_STATUS.faultPF, "#PF at 0x1000 write thread 1\n")).toEqual({ kind: "fault", fault: "#PF", addr: 0x1000n, access: "write", thread: 1 });
    expect(endStateFromCommandStatus(COMMAND_STATUS.faultPF, "noise\n#PF at 0x7ffffff01008 exec")).toEqual({ kind: "fault", fault: "#PF", addr: 0x7ffffff01008n, access: "exec" });
  });

  it("reads the emulator CLI's fault line", () => {
    expect(endStateFromCommandStatus(COMMAND_STATUS.faultPF, "run-elf: fault #PF addr=0xabc read thread 0\n")).toEqual({ kind: "fault", fault: "#PF", addr: 0xabcn, access: "read", thread: 0 });
  });

  it("139 without a #PF line: #GP when the line says so, else a #PF without details", () => {
    expect(endStateFromCommandStatus(COMMAND_STATUS.faultPF, "#GP at rip 0x401000 thread 0")).toEqual({ kind: "fault", fault: "#GP" });
    expect(endStateFromCommandStatus(COMMAND_STATUS.faultPF, "")).toEqual({ kind: "fault", fault: "#PF" });
  });

  it("other statuses", () => {
    expect(endStateFromCommandStatus(7)).toEqual({ kind: "exit", code: 7 });
    expect(endStateFromCommandStatus(COMMAND_STATUS.hang)).toEqual({ kind: "hang" });
    expect(endStateFromCommandStatus(COMMAND_STATUS.rejected, "x\nrejected: bad magic\n")).toEqual({ kind: "rejected", reason: "rejected: bad magic" });
  });
});

describe("schedule text", () => {
  const schedule: fc.Arbitrary<Schedule> = fc.record(
    {
      decisions: fc.array(fc.record({ pick: fc.nat(), quantum: fc.nat() }), { maxLength: 8 }),
      seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      defaultQuantum: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { requiredKeys: ["decisions"] },
  );

  it("decodes what encodeSchedule writes to the same schedule", () => {
    fc.assert(fc.property(schedule, (s) => { expect(decodeSchedule(encodeSchedule(s))).toEqual(s); }), { seed: 20261127, numRuns: 300 });
  });

  it("refuses text that is not one: before, a NaN seed ran as seed 0, another interleaving than the repro line's", () => {
    for (const bad of ["garbage", "/nonexistent.json", "1:2", "1:2:3:4", "x::", "0x10::", "-1::", "4294967296::", "1:0:", "1:x:", "::1", "::1.", "::1.2.3", "::1.2,", "::a.1", "99999999999999999999::"])
      expect(() => decodeSchedule(bad), bad).toThrow(/bad schedule/);
    expect(decodeSchedule("::")).toEqual({ decisions: [] });
    expect(decodeSchedule("7::0.5,1.0")).toEqual({ seed: 7, decisions: [{ pick: 0, quantum: 5 }, { pick: 1, quantum: 0 }] });
  });
});
