/**
 * Binding fields (ring header, SQE, CQE, CapSet) in guest memory and in byte copies.
 * Little-endian; i32 reads sign-extend.
 */
import type { Field } from "../../spec/binding.js";
import { readField } from "../../spec/fields.js";
import { PAGE } from "../cpu/memory.js";
import type { Memory } from "../cpu/memory.js";

export function fieldRead(mem: Memory, base: number, f: Field): number | bigint {
  switch (f.type) {
    case "u8": return mem.readU8(base + f.offset);
    case "u16": return mem.readU16(base + f.offset);
    case "u32": return mem.readU32(base + f.offset);
    case "i32": return mem.readU32(base + f.offset) | 0;
    case "u64": return mem.readU64(base + f.offset);
  }
}

/** Write a field; an integer value is taken modulo 2^width (no BigInt on the common paths). */
export function fieldWrite(mem: Memory, base: number, f: Field, v: number | bigint): void {
  switch (f.type) {
    case "u8": mem.writeU8(base + f.offset, Number(v)); return;
    case "u16": mem.writeU16(base + f.offset, Number(v)); return;
    case "u32":
    case "i32": mem.writeU32(base + f.offset, typeof v === "number" && Number.isSafeInteger(v) ? v >>> 0 : Number(BigInt.asUintN(32, BigInt(v)))); return;
    case "u64":
      if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
        mem.writeU32(base + f.offset, v >>> 0);
        mem.writeU32(base + f.offset + 4, Math.floor(v / 4294967296) >>> 0);
      } else mem.writeU64(base + f.offset, BigInt(v));
      return;
  }
}

/** `fieldWrite` into a byte view (a record assembled before one copy to the guest): the same bytes. */
export function fieldPut(dv: DataView, at: number, f: Field, v: number | bigint): void {
  const o = at + f.offset;
  switch (f.type) {
    case "u8": dv.setUint8(o, Number(v) & 255); return;
    case "u16": dv.setUint16(o, Number(v) & 0xffff, true); return;
    case "u32":
    case "i32": dv.setUint32(o, typeof v === "number" && Number.isSafeInteger(v) ? v >>> 0 : Number(BigInt.asUintN(32, BigInt(v))), true); return;
    case "u64":
      if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
        dv.setUint32(o, v >>> 0, true);
        dv.setUint32(o + 4, Math.floor(v / 4294967296) >>> 0, true);
      } else dv.setBigUint64(o, typeof v === "bigint" && v >= 0n && v <= U64_MAX ? v : BigInt.asUintN(64, BigInt(v)), true);
      return;
  }
}
const U64_MAX = (1n << 64n) - 1n;

/** Read a field of the record at byte `at` of a view (an SQE copy); absent = 0. */
export function fieldGet(dv: DataView, at: number, f: Field | undefined): bigint {
  return f ? readField(dv, at, f) : 0n;
}

/**
 * `Number(fieldGet(dv, at, f))` without a BigInt: exact below 2^53, and a u64 above that
 * rounds as Number(bigint) does (hi * 2^32 is exact, so the one addition rounds once).
 * The SQE path reads its numeric fields this way.
 */
export function fieldNum(dv: DataView, at: number, f: Field | undefined): number {
  if (!f) return 0;
  const o = at + f.offset;
  switch (f.type) {
    case "u8": return dv.getUint8(o);
    case "u16": return dv.getUint16(o, true);
    case "u32": return dv.getUint32(o, true);
    case "i32": return dv.getInt32(o, true);
    case "u64": return dv.getUint32(o + 4, true) * 4294967296 + dv.getUint32(o, true);
  }
}

/**
 * Copy `dst.length` guest bytes at `addr` into `dst` (a reused buffer: no array per copy, as
 * readBytes makes). Reads ignore permissions, as readBytes does; an unmapped byte faults there.
 */
export function copyFromGuest(mem: Memory, addr: number, dst: Uint8Array): void {
  const n = dst.length;
  const off = addr % PAGE;
  const pg = off + n <= PAGE ? mem.pages.get((addr - off) / PAGE) : undefined;
  if (pg) {
    const d = pg.data;
    for (let i = 0; i < n; i++) dst[i] = d[off + i]!;
  } else dst.set(mem.readBytes(addr, n)); // straddles a page, or unmapped (readBytes faults)
}

/** The little-endian 32-bit word at byte `at` of `b` (byte reads: no DataView to make). */
export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
