/** Reading and writing a binding field (ring header, SQE, CQE, CapSet) in a byte buffer. */
import type { Field } from "./binding.js";

/** The field at `base + field.offset`, little-endian, as a bigint (i32 sign-extended). */
export function readField(v: DataView, base: number, f: Field): bigint {
  const o = base + f.offset;
  switch (f.type) {
    case "u8": return BigInt(v.getUint8(o));
    case "u16": return BigInt(v.getUint16(o, true));
    case "u32": return BigInt(v.getUint32(o, true));
    case "i32": return BigInt(v.getInt32(o, true));
    case "u64": return v.getBigUint64(o, true);
  }
}

/** Store `value` (truncated to the field's width) at `base + field.offset`. */
export function writeField(v: DataView, base: number, f: Field, value: bigint): void {
  const o = base + f.offset;
  switch (f.type) {
    case "u8": v.setUint8(o, Number(BigInt.asUintN(8, value))); break;
    case "u16": v.setUint16(o, Number(BigInt.asUintN(16, value)), true); break;
    case "u32": case "i32": v.setUint32(o, Number(BigInt.asUintN(32, value)), true); break;
    case "u64": v.setBigUint64(o, BigInt.asUintN(64, value), true); break;
  }
}
