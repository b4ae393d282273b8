/**
 * Hostile ring batches: a generated guest fills its SQ with chosen SQE bytes (invalid
 * opcodes, reserved bits, bad and stale cap ids, buffers at unmapped, kernel and
 * page-crossing addresses, unaligned and unmapped park words, releases), optionally sets a
 * corrupt `sq_tail`, calls cap_enter(0, 0), then reports the ring header and the whole CQ
 * in one Console.write.
 *
 * Operands are always invalid or harmless, so that every completion is decided by
 * transport and operand checks (RINGX-9), never by method behaviour.
 */
import fc from "fast-check";
import type { Binding, Field } from "../spec/binding.js";
import { cqeOffset, initialCapId, sqeOffset } from "../spec/binding.js";
import { writeField } from "../spec/fields.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { recordMap } from "./record-map.js";
import { consoleWriteMessage } from "./tls-probe.js";
import { emitCapEnter, emitConsoleWrite, emitCopyQwords, emitExit, guestDataVaddr, linkGuest, messageData, reg, storeField, storeQword } from "./guest-code.js";

export interface HostileBatch {
  /** Raw SQE images, written to SQ slots 0..n-1. */
  readonly sqes: readonly Uint8Array[];
  /** The sq_tail the guest publishes (n, or a corrupt value). */
  readonly sqTail: number;
}

const U64 = (1n << 64n) - 1n;

function put(bytes: Uint8Array, f: Field | undefined, value: bigint): void {
  if (f) writeField(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, f, value);
}

/** Addresses a hostile operand may name: none of them is a valid buffer or park word. */
function badAddress(b: Binding): fc.Arbitrary<{ addr: bigint; len: bigint }> {
  const win = BigInt(b.layout.vmWindowBase);
  return fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((k) => ({ addr: win + BigInt(k * b.pageSize), len: 64n })), // unmapped
    fc.constant({ addr: 0xffff_8000_0000_0000n, len: 64n }), // kernel half
    fc.constant({ addr: 0n, len: 16n }), // null page
    fc.constant({ addr: BigInt(b.layout.imageBase), len: 0xffff_ffffn }), // runs off the image
    fc.constant({ addr: U64 - 7n, len: 64n }), // wraps
  );
}

export function hostileSqe(b: Binding): fc.Arbitrary<Uint8Array> {
  const grants = b.defaultGrants.map((_, i) => initialCapId(b, i));
  const consoleId = initialCapId(b, b.defaultGrants.indexOf("Console"));
  const capId = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...grants) },
    { weight: 1, arbitrary: fc.constantFrom(0, ((b.capId.firstGeneration + 1) << b.capId.generationShift) | 2, (b.capId.firstGeneration << b.capId.generationShift) | 200) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  );
  const opcode = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...Object.values(b.opcodes)) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) });
  const maybeNonZero = (max: number) => fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max }) });
  return recordMap({
      opcode,
      flags: maybeNonZero(255),
      reserved0: maybeNonZero(0xffff),
      capId,
      userData: fc.bigInt({ min: 0n, max: U64 }),
      params: badAddress(b),
      result: badAddress(b),
      methodId: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant(0xffff)),
      xfer: maybeNonZero(3),
      // Never a valid word: unmapped, kernel, null, wrapping, or unaligned (the image base
      // itself is a readable word, so only unaligned offsets from it are used).
      parkAddr: fc.oneof(
        badAddress(b).map((x) => x.addr).filter((a) => a !== BigInt(b.layout.imageBase)),
        fc.integer({ min: 1, max: 3 }).map((k) => BigInt(b.layout.imageBase + k)),
      ),
      expected: fc.integer({ min: 0, max: 0xffff_ffff }),
      timeout: fc.constantFrom(0n, 1000n, b.park.timeoutForever),
      count: fc.constantFrom(0, 1, b.park.unparkAll),
    },
    (x) => {
      const bytes = new Uint8Array(b.ring.sqeSize);
      const c = b.ring.sqeCommon;
      // RELEASE of the Console would silence the report: release something else instead.
      const cap = x.opcode === b.opcodes.release && x.capId === consoleId ? grants[grants.length - 1]! : x.capId;
      put(bytes, c["opcode"], BigInt(x.opcode));
      put(bytes, c["flags"], BigInt(x.flags));
      put(bytes, c["reserved0"], BigInt(x.reserved0));
      put(bytes, c["capId"], BigInt(cap));
      put(bytes, c["userData"], x.userData);
      const call = b.ring.sqeViews.call;
      const park = b.ring.sqeViews.park;
      const unpark = b.ring.sqeViews.unpark;
      if (x.opcode === b.opcodes.call) {
        put(bytes, call["addr"], x.params.addr);
        put(bytes, call["len"], x.params.len);
        put(bytes, call["methodId"], BigInt(x.methodId));
        put(bytes, call["xferCapCount"], BigInt(x.xfer));
        put(bytes, call["resultAddr"], x.result.addr);
        put(bytes, call["resultLen"], x.result.len);
      } else if (x.opcode === b.opcodes.park) {
        put(bytes, park["addr"], x.parkAddr);
        put(bytes, park["expected"], BigInt(x.expected));
        put(bytes, park["timeoutNs"], x.timeout);
      } else if (x.opcode === b.opcodes.unpark) {
        put(bytes, unpark["addr"], x.parkAddr);
        put(bytes, unpark["count"], BigInt(x.count));
      }
      return bytes;
    });
}

export function hostileBatch(b: Binding): fc.Arbitrary<HostileBatch> {
  return recordMap({
      sqes: fc.array(hostileSqe(b), { minLength: 0, maxLength: b.ring.sqEntries }),
      corrupt: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) }),
    },
    ({ sqes, corrupt }) => ({ sqes, sqTail: corrupt === 0 ? sqes.length : sqes.length + b.ring.sqEntries + corrupt }));
}

/** Bytes the probe reports: the ring header, then the whole CQ array. */
export function hostileReportLength(b: Binding): number {
  return b.ring.headerSize + b.ring.cqEntries * b.ring.cqeSize;
}

/** The guest image for one hostile batch. */
export function buildHostileRingProbe(batch: HostileBatch, b: Binding): Uint8Array {
  const asm = new Asm();
  const ring: Reg64 = "r12";
  const buf: Reg64 = "rbx";
  const n = hostileReportLength(b);
  const msg = consoleWriteMessage(n);
  const dataVaddr = guestDataVaddr(b);
  const msgVaddr = dataVaddr;
  const resultVaddr = dataVaddr + msg.bytes.length;
  asm.movReg(ring, reg(b.entry.ring));
  // 1. The hostile SQEs, 8 bytes at a time.
  batch.sqes.forEach((sqe, slot) => {
    const v = new DataView(sqe.buffer, sqe.byteOffset, sqe.byteLength);
    for (let o = 0; o < sqe.length; o += 8) storeQword(asm, ring, sqeOffset(b, slot) + o, v.getBigInt64(o, true));
  });
  storeField(asm, ring, 0, b.ring.header["sqTail"], BigInt(batch.sqTail));
  // 2. cap_enter(0, 0): consume without waiting.
  emitCapEnter(asm, b, 0n, 0n);
  // 3. Copy the header and the CQ into the Console message.
  asm.movImm64(buf, BigInt(msgVaddr + msg.dataOffset));
  emitCopyQwords(asm, buf, 0, ring, 0, b.ring.headerSize);
  emitCopyQwords(asm, buf, b.ring.headerSize, ring, cqeOffset(b, 0), b.ring.cqEntries * b.ring.cqeSize);
  // 4. Console.write at the slot after everything the kernel consumed (sq_head == sq_tail).
  emitConsoleWrite(asm, ring, { index: batch.sqTail, msgVaddr, msgLen: msg.bytes.length, resultVaddr }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  emitExit(asm, b, 0n);

  return linkGuest(asm, b, messageData(msg.bytes), "hostile ring probe");
}
