/**
 * Reading a command implementation's end from its exit status and stderr
 * (spec/run-protocol.ts COMMAND_STATUS; the fault line format of BATCH-PROTOCOL.md).
 */
import { describe, expect, it } from "vitest";
import { COMMAND_STATUS, endStateFromCommandStatus } from "../run-protocol.js";

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
