/**
 * CALL probes: a generated guest submits CALL SQEs whose params buffers hold chosen bytes
 * (a valid message, a hostile segment table, a truncated message) and whose result buffers
 * are large or tiny, then dumps the CQ and every result buffer in one Console.write.
 */
import fc from "fast-check";
import * as capnp from "capnp-es";
import type { Binding, InterfaceName } from "../spec/binding.js";
import { cqeOffset, initialCapId, sqeOffset } from "../spec/binding.js";
import * as gen from "../spec/schema/gen/capos.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { consoleWriteMessage } from "./tls-probe.js";
import { emitCapEnter, emitConsoleWrite, emitCopyQwords, emitExit, guestDataVaddr, linkGuest, reg, storeField } from "./guest-code.js";

export type CallKind = "unknown-ordinal" | "unknown-ordinal-tiny-result" | "hostile-segment-table" | "truncated-message" | "timer-now";

export interface CallCase {
  readonly kind: CallKind;
  readonly iface: InterfaceName;
  readonly userData: bigint;
}

export const RESULT_SLOT = 128;
export const TINY_RESULT = 8;

let timerNow: Uint8Array | undefined;
/** A fresh copy of the encoded Timer.now params (encoded once: probes are built per case). */
function timerNowParams(): Uint8Array {
  if (timerNow === undefined) {
    const m = new capnp.Message();
    m.initRoot(gen.Timer_Now$Params);
    timerNow = new Uint8Array(m.toArrayBuffer());
  }
  return timerNow.slice();
}

export function paramsFor(c: CallCase): Uint8Array {
  switch (c.kind) {
    case "hostile-segment-table":
      return Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    case "truncated-message": {
      const full = timerNowParams();
      const v = new DataView(full.buffer);
      v.setUint32(4, 64, true); // claims 64 words, carries 1
      return full;
    }
    default:
      return timerNowParams();
  }
}

export function callCase(b: Binding): fc.Arbitrary<CallCase> {
  const ifaces = b.defaultGrants.filter((g) => g !== "ParkSpace");
  return fc.record({
    kind: fc.constantFrom<CallKind>("unknown-ordinal", "unknown-ordinal-tiny-result", "hostile-segment-table", "truncated-message", "timer-now"),
    iface: fc.constantFrom(...ifaces),
    userData: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }).map((c) => (c.kind === "hostile-segment-table" || c.kind === "truncated-message" || c.kind === "timer-now" ? { ...c, iface: "Timer" as const } : c));
}

export function unknownOrdinal(b: Binding, iface: InterfaceName): number {
  const used = new Set(Object.values(b.methods[iface]));
  let m = 0;
  while (used.has(m)) m++;
  return m + 7;
}

/** Bytes reported: the CQ array, then RESULT_SLOT bytes of result buffer per call. */
export function callReportLength(b: Binding, calls: number): number {
  return b.ring.cqEntries * b.ring.cqeSize + calls * RESULT_SLOT;
}

export function buildCallProbe(calls: readonly CallCase[], b: Binding): Uint8Array {
  const asm = new Asm();
  const ring: Reg64 = "r12";
  const buf: Reg64 = "rbx";
  const dataVaddr = guestDataVaddr(b);
  const report = consoleWriteMessage(callReportLength(b, calls.length));
  // Data segment: [report message][console result 64][params 0..n][results 0..n]
  const params = calls.map(paramsFor);
  const paramsAt: number[] = [];
  let at = report.bytes.length + 64;
  for (const p of params) {
    paramsAt.push(at);
    at += Math.ceil(p.length / 8) * 8;
  }
  const resultsAt = at;
  const dataLen = resultsAt + calls.length * RESULT_SLOT;
  const data = new Uint8Array(dataLen);
  data.set(report.bytes, 0);
  params.forEach((p, i) => data.set(p, paramsAt[i]!));

  asm.movReg(ring, reg(b.entry.ring));
  const common = b.ring.sqeCommon;
  const call = b.ring.sqeViews.call;
  calls.forEach((c, i) => {
    const s = sqeOffset(b, i);
    const method = c.kind.startsWith("unknown-ordinal") ? unknownOrdinal(b, c.iface) : b.methods.Timer["now"]!;
    storeField(asm, ring, s, common["opcode"], BigInt(b.opcodes.call));
    storeField(asm, ring, s, common["capId"], BigInt(initialCapId(b, b.defaultGrants.indexOf(c.iface))));
    storeField(asm, ring, s, common["userData"], c.userData);
    storeField(asm, ring, s, call["addr"], BigInt(dataVaddr + paramsAt[i]!));
    storeField(asm, ring, s, call["len"], BigInt(params[i]!.length));
    storeField(asm, ring, s, call["methodId"], BigInt(method));
    storeField(asm, ring, s, call["resultAddr"], BigInt(dataVaddr + resultsAt + i * RESULT_SLOT));
    storeField(asm, ring, s, call["resultLen"], BigInt(c.kind === "unknown-ordinal-tiny-result" ? TINY_RESULT : RESULT_SLOT));
  });
  storeField(asm, ring, 0, b.ring.header["sqTail"], BigInt(calls.length));
  emitCapEnter(asm, b, 0n, 0n);
  // Copy the CQ, then the result buffers, into the report.
  asm.movImm64(buf, BigInt(dataVaddr + report.dataOffset));
  const cqBytes = b.ring.cqEntries * b.ring.cqeSize;
  emitCopyQwords(asm, buf, 0, ring, cqeOffset(b, 0), cqBytes);
  asm.movImm64("r13", BigInt(dataVaddr + resultsAt));
  emitCopyQwords(asm, buf, cqBytes, "r13", 0, calls.length * RESULT_SLOT);
  emitConsoleWrite(asm, ring, { index: calls.length, msgVaddr: dataVaddr, msgLen: report.bytes.length, resultVaddr: dataVaddr + report.bytes.length }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  emitExit(asm, b, 0n);
  return linkGuest(asm, b, data, "call probe");
}
