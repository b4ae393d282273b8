/**
 * SYSCALL, CPUID, RDTSC, HLT, INT3/INT n, UD2, fences, LDMXCSR/STMXCSR, FXSAVE/FXRSTOR,
 * PAUSE/ENDBR64 hints.
 *
 * CPUID advertises (and the CPU implements): x86-64 baseline (FPU, TSC, CX8, CMOV, CLFSH, MMX*,
 * FXSR, SSE, SSE2, SYSCALL, NX, LM, LAHF), SSE3, SSSE3, SSE4.1, SSE4.2, CX16, POPCNT, LZCNT(ABM).
 * Nothing in leaf 7 (no AVX/AVX-512/BMI/ERMS).
 * (*) MMX is advertised because glibc's x86-64 baseline ISA check requires it; MMX register
 * instructions themselves raise #UD (see README).
 */
import type { CpuState } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { GuestFault } from "../fault.js";
import { getFlags } from "../flags.js";
import { def, byReg, opUD, IMM_NONE, IMM_B } from "../decode.js";
import { ea } from "../operands.js";
import { stRaw, setStRaw } from "./x87.js";
import { nop } from "./mov.js";

export const CPUID_VENDOR = "AuthenticAMD";
const BRAND = "capOS-conform virtual x86-64 CPU".padEnd(48, " ");

function str4(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
}

/** The CPUID function (leaf, subleaf) -> [eax, ebx, ecx, edx]. */
export function cpuid(leaf: number, _sub: number): [number, number, number, number] {
  switch (leaf) {
    case 0: return [7, str4(CPUID_VENDOR, 0), str4(CPUID_VENDOR, 8), str4(CPUID_VENDOR, 4)];
    case 1: {
      const edx = (1 << 0) | (1 << 4) | (1 << 8) | (1 << 15) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
      // SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT
      const ecx = (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23);
      return [0x00800f12, 0x00010800, ecx >>> 0, edx >>> 0];
    }
    case 0x80000000: return [0x80000008, str4(CPUID_VENDOR, 0), str4(CPUID_VENDOR, 8), str4(CPUID_VENDOR, 4)];
    case 0x80000001: return [0x00800f12, 0, (1 << 0) | (1 << 5), ((1 << 11) | (1 << 20) | (1 << 29)) >>> 0];
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const o = (leaf - 0x80000002) * 16;
      return [str4(BRAND, o), str4(BRAND, o + 4), str4(BRAND, o + 8), str4(BRAND, o + 12)];
    }
    case 0x80000005: return [0, 0, (32 << 24) | (8 << 16) | (1 << 8) | 64, (32 << 24) | (8 << 16) | (1 << 8) | 64];
    case 0x80000006: return [0, 0, ((512 << 16) | (8 << 12) | 64) >>> 0, ((8 << 18) | (8 << 12) | 64) >>> 0];
    case 0x80000008: return [0x3030, 0, 0, 0];
  }
  return [0, 0, 0, 0];
}

const syscall: Handler = (c) => {
  const r = c.rip;
  c.lo[1] = r | 0; c.hi[1] = Math.floor(r / 4294967296) | 0;
  c.lo[11] = getFlags(c) & 0x3c7fd7 | 2; c.hi[11] = 0;
  c.stop = "syscall";
};
const cpuidH: Handler = (c) => {
  const [a, b, cx, dx] = cpuid(c.lo[0]! >>> 0, c.lo[1]! >>> 0);
  c.lo[0] = a; c.hi[0] = 0; c.lo[3] = b; c.hi[3] = 0; c.lo[1] = cx; c.hi[1] = 0; c.lo[2] = dx; c.hi[2] = 0;
};
/** Current virtual TSC: personality-controlled base plus instructions retired so far. */
export function virtualTsc(c: CpuState): number { return c.tsc + c.icount + (c.runStart - c.left); }
const rdtsc: Handler = (c) => {
  const t = virtualTsc(c);
  c.lo[0] = t | 0; c.hi[0] = 0; c.lo[2] = Math.floor(t / 4294967296) | 0; c.hi[2] = 0;
};
const hlt: Handler = (c) => { c.stop = "hlt"; };
const int3: Handler = () => { throw new GuestFault({ type: "#BP" }); };
const intN: Handler = (_c, d) => { throw new GuestFault({ type: "INT", vector: d.imm & 255 }); };

const ldmxcsr: Handler = (c, d) => {
  const v = c.mem.r32(ea(c, d)) >>> 0;
  if (v & ~0xffff) throw new GuestFault({ type: "#GP", reason: "reserved MXCSR bits" });
  c.mxcsr = v;
};
const stmxcsr: Handler = (c, d) => { c.mem.w32(ea(c, d), c.mxcsr); };
const fxsave: Handler = (c, d) => {
  const a = ea(c, d);
  if (a % 16) throw new GuestFault({ type: "#GP", reason: "fxsave unaligned" });
  const m = c.mem;
  m.checkW(a, 512);
  for (let i = 0; i < 512; i += 4) m.w32(a + i, 0);
  m.w16(a, c.fcw); m.w16(a + 2, (c.fsw & ~0x3800) | ((c.ftop & 7) << 11));
  m.w32(a + 24, c.mxcsr); m.w32(a + 28, 0xffff);
  for (let i = 0; i < 16 * 16; i += 4) m.w32(a + 160 + i, c.x32[i >> 2]!);
  for (let i = 0; i < 8; i++) { const r = stRaw(c, i); for (let k = 0; k < 10; k++) m.w8(a + 32 + 16 * i + k, r[k]!); }
};
const fxrstor: Handler = (c, d) => {
  const a = ea(c, d);
  if (a % 16) throw new GuestFault({ type: "#GP", reason: "fxrstor unaligned" });
  const m = c.mem;
  c.fcw = m.r16(a); const sw = m.r16(a + 2); c.fsw = sw & ~0x3800; c.ftop = (sw >> 11) & 7;
  c.mxcsr = m.r32(a + 24) >>> 0;
  for (let i = 0; i < 16 * 16; i += 4) c.x32[i >> 2] = m.r32(a + 160 + i);
  for (let i = 0; i < 8; i++) setStRaw(c, i, m.readBytes(a + 32 + 16 * i, 10));
};

export function registerSystem(): void {
  def(1, 0x05, { modrm: false, imm: IMM_NONE, h: syscall });
  def(1, 0xa2, { modrm: false, imm: IMM_NONE, h: cpuidH });
  def(1, 0x31, { modrm: false, imm: IMM_NONE, h: rdtsc });
  def(0, 0xf4, { modrm: false, imm: IMM_NONE, h: hlt });
  def(0, 0xcc, { modrm: false, imm: IMM_NONE, h: int3 });
  def(0, 0xcd, { modrm: false, imm: IMM_B, h: intN });
  def(1, 0x0b, { modrm: false, imm: IMM_NONE, h: opUD as unknown as Handler });
  def(1, 0x1e, { modrm: true, imm: IMM_NONE, h: nop }); // ENDBR64 / hint NOPs
  def(1, 0xae, {
    modrm: true, imm: IMM_NONE, pick: true,
    h: (d: Insn) => {
      const r = d.reg & 7;
      if (d.mod === 3) return d.rep === 0 && !d.p66 && r >= 5 ? nop : undefined;
      if (d.rep !== 0 || d.p66) return undefined;
      return [fxsave, fxrstor, ldmxcsr, stmxcsr, undefined, undefined, undefined, nop][r];
    },
  });
  void byReg;
}
