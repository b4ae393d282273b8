/**
 * CQ backpressure probes: a guest submits `fullBatches` batches of 16 NOPs without reaping
 * (cap_enter(0, 0) after each), so the CQ fills; it snapshots the ring header, reaps
 * everything (cq_head = cq_tail as it last saw it), enters again, submits a last batch of
 * `last` NOPs, enters, and reports both header snapshots and the whole CQ.
 */
import fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import { cqeOffset, sqeOffset } from "../spec/binding.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { consoleWriteMessage } from "./tls-probe.js";
import { emitCapEnter, emitConsoleWrite, emitCopyQwords, emitExit, emitZeroQwords, guestDataVaddr, linkGuest, messageData, reg, storeField } from "./guest-code.js";

export interface BackpressureCase {
  /** Batches of sqEntries NOPs submitted before the first reap (at most 3: never overwrite unconsumed SQEs). */
  readonly fullBatches: number;
  /** NOPs in the batch after the reap. */
  readonly last: number;
}

export function backpressureCase(b: Binding): fc.Arbitrary<BackpressureCase> {
  return fc.record({ fullBatches: fc.integer({ min: 1, max: 3 }), last: fc.integer({ min: 1, max: b.ring.sqEntries }) });
}

/** user_data of NOP number k (counting all NOPs submitted). */
export const nopUserData = (k: number): bigint => 0x1000n + BigInt(k);

export function backpressureReportLength(b: Binding): number {
  return 2 * b.ring.headerSize + b.ring.cqEntries * b.ring.cqeSize;
}

export function buildBackpressureProbe(c: BackpressureCase, b: Binding): Uint8Array {
  const asm = new Asm();
  const ring: Reg64 = "r12";
  const buf: Reg64 = "rbx";
  const msg = consoleWriteMessage(backpressureReportLength(b));
  const dataVaddr = guestDataVaddr(b);
  asm.movReg(ring, reg(b.entry.ring));
  asm.movImm64(buf, BigInt(dataVaddr + msg.dataOffset));
  let index = 0;
  const submit = (n: number) => {
    // Zero the batch's slots first, one rep stosq per run of adjacent slots (the SQ wraps).
    for (let i = 0; i < n; ) {
      const slot = (index + i) % b.ring.sqEntries;
      const run = Math.min(n - i, b.ring.sqEntries - slot);
      emitZeroQwords(asm, ring, sqeOffset(b, slot), run * b.ring.sqeSize);
      i += run;
    }
    for (let i = 0; i < n; i++, index++) {
      const at = sqeOffset(b, index);
      storeField(asm, ring, at, b.ring.sqeCommon["opcode"], BigInt(b.opcodes.nop));
      storeField(asm, ring, at, b.ring.sqeCommon["userData"], nopUserData(index));
    }
    storeField(asm, ring, 0, b.ring.header["sqTail"], BigInt(index));
    emitCapEnter(asm, b, 0n, 0n);
  };
  const snapshotHeader = (to: number) => {
    emitCopyQwords(asm, buf, to, ring, 0, b.ring.headerSize);
  };
  for (let k = 0; k < c.fullBatches; k++) submit(b.ring.sqEntries);
  snapshotHeader(0);
  // Reap: cq_head = cq_tail (read back from the ring), then let the kernel continue.
  const reap = () => {
    const tail = b.ring.header["cqTail"]!.offset;
    asm.loadQ("rax", ring, tail - (tail % 8));
    if (tail % 8 !== 0) asm.shrImm("rax", 8 * (tail % 8));
    asm.storeD(ring, b.ring.header["cqHead"]!.offset, "rax");
  };
  reap();
  emitCapEnter(asm, b, 0n, 0n);
  submit(c.last);
  snapshotHeader(b.ring.headerSize);
  const cqBytes = b.ring.cqEntries * b.ring.cqeSize;
  emitCopyQwords(asm, buf, 2 * b.ring.headerSize, ring, cqeOffset(b, 0), cqBytes);
  // The report needs a CQ slot: reap again first.
  reap();
  emitConsoleWrite(asm, ring, { index, msgVaddr: dataVaddr, msgLen: msg.bytes.length, resultVaddr: dataVaddr + msg.bytes.length }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  emitExit(asm, b, 0n);
  return linkGuest(asm, b, messageData(msg.bytes), "backpressure probe");
}
