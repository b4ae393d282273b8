/**
 * Unmasked x87 exceptions against the host CPU: which instructions deliver a pending exception
 * (#MF, SIGFPE under Linux) and which do not wait, and how FLDCW, FLDENV, FRSTOR, FNSTENV, FNSAVE,
 * FNCLEX and FNINIT change the pending state (FSW.ES and B). Each case makes PE pending (1/3 rounded,
 * then FLDCW unmasks PM) or loads an environment image, runs one probe, then FNSTSW; the native run
 * and the emulator (interpreter and block compiler) must agree on the signal and the whole state.
 */
import { describe, it, expect } from "vitest";
import { checkCases, oracleSkipReason, runNativeBatch, DATA } from "./oracle.js";
import type { Case } from "./oracle.js";

// data layout: +0 FCW all masked, +2 FCW with PM clear, +8 3.0 (m64), +32 environment / save image, +160 FNSTSW
const CW_MASKED = 0, CW_PE = 2, THREE = 8, ENV = 32, SW = 160;
const abs = (op: number[], digit: number, off: number): number[] => {
  const a = DATA + off;
  return [...op, (digit << 3) | 4, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255];
};
const movW = (off: number, v: number): number[] => { const a = DATA + off; return [0x66, 0xc7, 0x04, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255, v & 255, v >> 8]; };
const movD0 = (off: number): number[] => { const a = DATA + off; return [0xc7, 0x04, 0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255, 0, 0, 0, 0]; };
const FLDCW = (off: number) => abs([0xd9], 5, off), FNSTENV = abs([0xd9], 6, ENV), FLDENV = abs([0xd9], 4, ENV);
const FNSAVE = abs([0xdd], 6, ENV), FRSTOR = abs([0xdd], 4, ENV), FNSTSW = abs([0xdd], 7, SW);
/** The instruction and data pointers of a stored image differ by nature: zero them. */
const ZERO_POINTERS = [12, 16, 20, 24].flatMap((o) => movD0(ENV + o));
const CLEAN_IMAGE = [...FNSTENV, ...ZERO_POINTERS];
/** PE set (1/3, masked), then FLDCW clears PM: an exception is pending. */
const PENDING = [...FLDCW(CW_MASKED), 0xd9, 0xe8, ...abs([0xdd], 0, THREE), 0xde, 0xf9, ...FLDCW(CW_PE)];
const FNOP = [0xd9, 0xd0];

const PROBES: [string, number[]][] = [
  ["FNSTSW alone (no wait)", [...PENDING, ...FNSTSW]],
  ["FNOP waits", [...PENDING, ...FNOP, ...FNSTSW]],
  ["FWAIT waits", [...PENDING, 0x9b, ...FNSTSW]],
  ["FLDCW waits", [...PENDING, ...FLDCW(CW_PE), ...FNSTSW]],
  ["FLDZ waits", [...PENDING, 0xd9, 0xee, ...FNSTSW]],
  ["FXCH waits", [...PENDING, 0xd9, 0xc9, ...FNSTSW]],
  ["FFREE waits", [...PENDING, 0xdd, 0xc3, ...FNSTSW]],
  ["FSTP ST0 waits", [...PENDING, 0xdd, 0xd8, ...FNSTSW]],
  ["FNSTCW does not wait", [...PENDING, ...abs([0xd9], 7, ENV), ...FNSTSW]],
  ["FNSTSW AX does not wait", [...PENDING, 0xdf, 0xe0, ...FNSTSW]],
  ["FNSTENV masks all and clears ES", [...PENDING, ...FNSTENV, ...ZERO_POINTERS, ...FNSTSW, ...FNOP]],
  ["FNSAVE reinitialises", [...PENDING, ...FNSAVE, ...ZERO_POINTERS, ...FNSTSW, ...FNOP]],
  ["FNCLEX clears the flags", [...PENDING, 0xdb, 0xe2, ...FNSTSW, ...FNOP]],
  ["FNINIT clears everything", [...PENDING, 0xdb, 0xe3, ...FNSTSW, ...FNOP]],
  ["FLDENV waits", [...CLEAN_IMAGE, ...PENDING, ...FLDENV, ...FNSTSW]],
  ["FRSTOR waits", [...FNSAVE, ...ZERO_POINTERS, ...PENDING, ...FRSTOR, ...FNSTSW]],
  // an image whose flag is unmasked but whose ES is clear: FLDENV makes it pending
  ["FLDENV recomputes ES (unmasked PE, ES 0 in the image)", [...CLEAN_IMAGE, ...movW(ENV, 0x035f), ...movW(ENV + 4, 0x0020), ...FLDENV, ...FNSTSW, ...FNOP]],
  // an image with ES and B set but no flag: nothing is pending
  ["FLDENV recomputes ES (ES and B set, no flag)", [...CLEAN_IMAGE, ...movW(ENV + 4, 0x8080), ...FLDENV, ...FNSTSW, ...FNOP]],
  ["16-bit FLDENV recomputes ES", [0x66, ...FNSTENV, ...movD0(ENV + 6), ...movD0(ENV + 10), ...movW(ENV, 0x035f), ...movW(ENV + 2, 0x0020), 0x66, ...FLDENV, ...FNSTSW, ...FNOP]],
  // an operation with PM already clear sets ES itself and completes; the next one traps
  ["an unmasked PE is delivered by the next instruction", [...FLDCW(CW_PE), 0xd9, 0xe8, ...abs([0xdd], 0, THREE), 0xde, 0xf9, ...FNSTSW, 0xdd, 0xd8]],
  ["FLDCW masking again clears ES", [...PENDING, ...FNSTSW, 0xdb, 0xe2, ...FLDCW(CW_MASKED), ...FNOP]],
];

function caseOf(bytes: number[]): Case {
  const data = new Uint8Array(256), dv = new DataView(data.buffer);
  dv.setUint16(CW_MASKED, 0x037f, true); dv.setUint16(CW_PE, 0x035f, true); dv.setFloat64(THREE, 3, true);
  return { insns: [Uint8Array.from(bytes)], regs: new Array<bigint>(16).fill(0n), flags: 0x202, mxcsr: 0x1f80, xmm: new Uint8Array(256), data };
}

describe("x87 pending exceptions (#MF) against the host", () => {
  it("every probe matches the host: the signal, FSW (ES, B) and the stored images", (ctx) => {
    const why = oracleSkipReason();
    if (why) ctx.skip(why);
    const cases = PROBES.map(([, b]) => caseOf(b));
    const diffs = checkCases(cases).map((d) => `${PROBES[d.i]![0]}: ${d.why}`);
    expect(diffs).toEqual([]);
  });
  it("the probes reach both outcomes on the host (some signal, some do not)", (ctx) => {
    const why = oracleSkipReason();
    if (why) ctx.skip(why);
    const st = runNativeBatch(PROBES.map(([, b]) => caseOf(b))).map((o) => o.status);
    expect(st.filter((s) => s === 8).length).toBeGreaterThanOrEqual(8);
    expect(st.filter((s) => s === 0).length).toBeGreaterThanOrEqual(8);
    expect(st.every((s) => s === 0 || s === 8)).toBe(true);
  });
});
