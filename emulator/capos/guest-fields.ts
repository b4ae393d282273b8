/**
 * Binding fields (ring header, SQE, CQE, CapSet) in guest memory and in byte copies.
 * Little-endian; i32 reads sign-extend.
 */
import type { Field } from "../../spec/binding.js";
import { readField } from "../../spec/fields.js";
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

/** Read a field from a byte copy (SQEs are copied out of the ring before use); absent = 0. */
export function fieldGet(dv: DataView, f: Field | undefined): bigint {
  return f ? readField(dv, 0, f) : 0n;
}
