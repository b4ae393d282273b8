/**
 * Shared XMM operand helpers for the SSE families.
 */
import type { CpuState } from "../state.js";
import { XTMP } from "../state.js";
import type { Insn, Handler } from "../insn.js";
import { GuestFault } from "../fault.js";
import { ea } from "../operands.js";

/** Source operand slot: the register, or XTMP loaded with `bytes` bytes (zero-extended). */
export function xsrc(c: CpuState, d: Insn, bytes: number, align: boolean): number {
  if (d.mod === 3) return d.rm;
  const a = ea(c, d);
  if (align && bytes === 16 && a % 16 !== 0) throw new GuestFault({ type: "#GP", reason: "unaligned SSE operand" });
  const x = c.x32, m = c.mem, b = XTMP * 4;
  if (bytes === 16) { m.r128(a, x, b); return XTMP; }
  x[b] = m.r32(a);
  x[b + 1] = bytes > 4 ? m.r32(a + 4) : 0;
  x[b + 2] = bytes > 8 ? m.r32(a + 8) : 0;
  x[b + 3] = bytes > 8 ? m.r32(a + 12) : 0;
  return XTMP;
}
/** Store `bytes` low bytes of slot s to the r/m operand (register: whole-slot copy of those bytes). */
export function xstore(c: CpuState, d: Insn, s: number, bytes: number, align: boolean): void {
  if (d.mod === 3) {
    const x = c.x32, t = d.rm * 4, f = s * 4;
    for (let i = 0; i < bytes >> 2; i++) x[t + i] = x[f + i]!;
    return;
  }
  const a = ea(c, d);
  if (align && bytes === 16 && a % 16 !== 0) throw new GuestFault({ type: "#GP", reason: "unaligned SSE operand" });
  const m = c.mem, x = c.x32, f = s * 4;
  if (bytes === 16) { m.w128(a, x, f); return; }
  m.checkW(a, bytes);
  for (let i = 0; i < bytes >> 2; i++) m.w32(a + i * 4, x[f + i]!);
}
export function copySlot(c: CpuState, to: number, from: number): void {
  const x = c.x32, t = to * 4, f = from * 4;
  x[t] = x[f]!; x[t + 1] = x[f + 1]!; x[t + 2] = x[f + 2]!; x[t + 3] = x[f + 3]!;
}
/** [none, 66, F3, F2] chooser helper that only accepts the 66 prefix. */
export function only66(h: Handler): (Handler | undefined)[] { return [undefined, h, undefined, undefined]; }
export function isNaN64(hi: number, lo: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}
export function isNaN32(v: number): boolean {
  return (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0;
}
