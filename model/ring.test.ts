import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B, initialCapId, sqeOffset } from "../spec/binding.js";
import * as ct from "./captable.js";
import * as ring from "./ring.js";

const E = B.transportErrors;
const park = initialCapId(B, B.defaultGrants.indexOf("ParkSpace"));
const console_ = initialCapId(B, B.defaultGrants.indexOf("Console"));

function sqe(p: Partial<ring.Sqe>): ring.Sqe {
  return { opcode: B.opcodes.nop, flags: 0, reserved0: 0, capId: 0, userData: 0n, fields: {}, ...p };
}

describe("capability table (CAP-1, CAP-2, CAP-4, RINGX-7)", () => {
  it("initial ids, lookup, release bumps the generation, lowest free slot reused", () => {
    let t = ct.initialTable();
    expect(ct.lookup(t, park)).toEqual({ ok: true, iface: "ParkSpace", index: 2 });
    expect(ct.capId(1, 2)).toBe(0x1_0002);
    expect(ct.decodeCapId(0x3_0005)).toEqual({ gen: 3, index: 5 });
    const r = ct.release(t, park);
    if (!r.ok) throw new Error();
    t = r.table;
    expect(ct.lookup(t, park)).toEqual({ ok: false, error: "invalidCap" });
    expect(ct.release(t, park)).toEqual({ ok: false, error: "invalidCap" });
    const ins = ct.insert(t, "Timer");
    expect(ins.id).toBe(0x2_0002);
    expect(ct.lookup(ins.table, park).ok).toBe(false);
    expect(ct.lookup(ins.table, 0).ok).toBe(false);
    const more = ct.insert(ins.table, "MemoryObject");
    expect(more.id).toBe(ct.capId(1, B.defaultGrants.length));
    // generation wrap skips 0
    const wrap: ct.CapTable = { slots: [{ gen: 0xffff, iface: "Console" }] };
    const w = ct.release(wrap, ct.capId(0xffff, 0));
    expect(w.ok && w.table.slots[0]!.gen).toBe(1);
  });
});

describe("ring (RINGX-1..4, RINGX-6, RINGX-8, RING-7)", () => {
  const exec: ring.Exec = (op) => (op === "park" ? { async: true } : { result: 7 });
  it("processes SQEs in order with transport errors and user_data echo", () => {
    const sqes = [
      sqe({ userData: 1n }),
      sqe({ opcode: 99, userData: 2n }),
      sqe({ flags: 1, userData: 3n }),
      sqe({ opcode: B.opcodes.call, capId: 0xdead, userData: 4n }),
      sqe({ opcode: B.opcodes.park, capId: console_, userData: 5n }),
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 6n, fields: { methodId: 77n } }),
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 7n, fields: { methodId: 0n } }),
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 8n, fields: { methodId: 0n, xferCapCount: 1n } }),
      sqe({ opcode: B.opcodes.recv, capId: console_, userData: 9n }),
      sqe({ opcode: B.opcodes.park, capId: park, userData: 10n }),
      sqe({ opcode: B.opcodes.release, capId: park, userData: 11n }),
      sqe({ opcode: B.opcodes.unpark, capId: park, userData: 12n }),
    ];
    const r = ring.consumeSubmissions({ ...ring.EMPTY_RING, sqTail: sqes.length }, (i) => sqes[i]!, ct.initialTable(), exec);
    expect(r.ring.posted.map((c) => [c.userData, c.result])).toEqual([
      [1n, 0],
      [2n, E.invalidOpcode],
      [3n, E.invalidSqe],
      [4n, E.invalidCap],
      [5n, E.wrongInterface],
      [6n, E.applicationException],
      [7n, 7],
      [8n, E.invalidSqe],
      [9n, E.wrongInterface],
      [11n, 0],
      [12n, E.invalidCap],
    ]);
    expect(r.ring.sqHead).toBe(sqes.length);
    const later = ring.complete(r.ring, { userData: 10n, result: 0 });
    expect(later.posted.at(-1)).toEqual({ userData: 10n, result: 0 });
  });

  it("corrupt indexes give one ringCorrupt CQE and sq_head = sq_tail (RINGX-1)", () => {
    const r = ring.consumeSubmissions({ ...ring.EMPTY_RING, sqHead: 5, sqTail: 5 + 17 }, () => sqe({}), ct.initialTable(), exec);
    expect(r.ring.posted).toEqual([{ userData: 0n, result: E.ringCorrupt }]);
    expect(r.ring.sqHead).toBe(22);
    const wrapped = ring.consumeSubmissions({ ...ring.EMPTY_RING, sqHead: 0xffff_fffe, sqTail: 1 }, () => sqe({ userData: 3n }), ct.initialTable(), exec);
    expect(wrapped.ring.posted.length).toBe(3);
  });

  it("a full CQ stops consumption; held completions post in order with cqOverflow (RINGX-2)", () => {
    const full = { ...ring.EMPTY_RING, cqHead: 0, cqTail: B.ring.cqEntries, sqTail: 2 };
    const r = ring.consumeSubmissions(full, () => sqe({}), ct.initialTable(), exec);
    expect(r.ring.sqHead).toBe(0);
    const h = ring.complete(ring.complete(r.ring, { userData: 1n, result: 0 }), { userData: 2n, result: 0 });
    expect(h.cqOverflow).toBe(2);
    expect(h.held.length).toBe(2);
    const reaped = ring.reap(h, 1);
    expect(reaped.posted.map((c) => c.userData)).toEqual([1n]);
    expect(reaped.held.map((c) => c.userData)).toEqual([2n]);
    expect(ring.reap(reaped, 5).held).toEqual([]);
  });

  it("decodes SQE bytes per the binding", () => {
    const bytes = new Uint8Array(B.ring.sqeSize * 2);
    const dv = new DataView(bytes.buffer);
    const at = sqeOffset(B, 17) - B.ring.sqOffset; // slot 1
    dv.setUint8(at, B.opcodes.park);
    dv.setUint32(at + 4, park, true);
    dv.setBigUint64(at + 8, 0xfeedn, true);
    dv.setBigUint64(at + 16, 0x1_0000_0000n, true);
    dv.setUint32(at + 24, 5, true);
    dv.setBigUint64(at + 32, 99n, true);
    const s = ring.decodeSqe(bytes, at);
    expect(s).toEqual({ opcode: B.opcodes.park, flags: 0, reserved0: 0, capId: park, userData: 0xfeedn, fields: { addr: 0x1_0000_0000n, expected: 5n, timeoutNs: 99n } });
    expect(ring.decodeSqe(bytes, 0)).toEqual({ opcode: 0, flags: 0, reserved0: 0, capId: 0, userData: 0n, fields: {} });
    dv.setUint8(0, 200);
    expect(ring.decodeSqe(bytes, 0).fields).toEqual({});
    expect(() => ring.decodeSqe(bytes, 100)).toThrow(RangeError);
  });
});

describe("operand checks come before the method ordinal (RINGX-9)", () => {
  it("an invalid buffer wins over an unknown ordinal; a transport error wins over operands", () => {
    const exec: ring.Exec = () => ({ result: 5 });
    const operands: ring.OperandCheck = (op, s) => (op === "call" && s.fields.addr === 0n ? "invalidBuffer" : op === "park" ? "invalidSqe" : undefined);
    const sqes = [
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 1n, fields: { methodId: 999n, addr: 0n } }),
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 2n, fields: { methodId: 999n, addr: 8n } }),
      sqe({ opcode: B.opcodes.call, capId: 0xbad, userData: 3n, fields: { methodId: 0n, addr: 0n } }),
      sqe({ opcode: B.opcodes.park, capId: park, userData: 4n, fields: { addr: 1n } }),
      sqe({ opcode: B.opcodes.call, capId: console_, userData: 5n, fields: { methodId: 0n, addr: 8n } }),
    ];
    const r = ring.consumeSubmissions({ ...ring.EMPTY_RING, sqTail: sqes.length }, (i) => sqes[i]!, ct.initialTable(), exec, B, operands);
    expect(r.ring.posted.map((c) => [c.userData, c.result])).toEqual([
      [1n, E.invalidBuffer],
      [2n, E.applicationException],
      [3n, E.invalidCap],
      [4n, E.invalidSqe],
      [5n, 5],
    ]);
  });
});
