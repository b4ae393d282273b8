/**
 * Table-driven x86-64 decoder.
 *
 * A dense table indexed by (map << 8 | opcode) holds an OpDef per opcode (maps: 0 one-byte,
 * 1 = 0F, 2 = 0F38, 3 = 0F3A). An OpDef says whether a ModRM byte follows, which immediate
 * follows, and how to pick the handler (directly, by ModRM /reg, or by mandatory prefix).
 * Instruction families register their rows from `ops/*.ts`. Anything without a row, or whose
 * pick returns undefined, decodes to a #UD instruction carrying the bytes.
 */
import { Insn, BASE_NONE, BASE_RIP, SEG_FS, SEG_GS } from "./insn.js";
import { GuestFault } from "./fault.js";
import type { Handler } from "./insn.js";
import type { Memory } from "./memory.js";
import { cpuStats } from "./stats.js";

export const IMM_NONE = 0, IMM_B = 1, IMM_W = 2, IMM_Z = 3, IMM_V = 4, IMM_ENTER = 5, IMM_MOFFS = 6,
  IMM_REL8 = 7, IMM_RELZ = 8;

export interface OpDef {
  /** A ModRM byte follows the opcode. */
  readonly modrm: boolean;
  /** Immediate kind (IMM_*), or a function of the partially decoded instruction. */
  readonly imm: number | ((d: Insn) => number);
  /** Operand size is 1 (byte form). */
  readonly byteOp?: boolean;
  /** Operand size defaults to 64 bits (push/pop/branches). */
  readonly def64?: boolean;
  /** Handler, or a chooser returning undefined for an invalid encoding. */
  readonly h: Handler | ((d: Insn) => Handler | undefined);
  /** h is a chooser. */
  readonly pick?: boolean;
}

const table: (OpDef | undefined)[] = new Array(4 * 256);

/** Register a table row. */
export function def(map: number, op: number, od: OpDef): void {
  table[(map << 8) | op] = od;
}
export function hasDef(map: number, op: number): boolean { return table[(map << 8) | op] !== undefined; }

/** Chooser by ModRM /reg. */
export function byReg(hs: (Handler | undefined)[]): (d: Insn) => Handler | undefined {
  return (d) => hs[d.reg & 7];
}
/** Chooser by mandatory prefix: [none, 66, F3, F2]. */
export function byPfx(hs: (Handler | undefined)[]): (d: Insn) => Handler | undefined {
  return (d) => hs[d.rep === 0xf3 ? 2 : d.rep === 0xf2 ? 3 : d.p66 ? 1 : 0];
}

export function opUD(c: { mem: Memory }, d: Insn): void {
  const bytes: number[] = [];
  for (let i = 0; i < 15; i++) {
    try { bytes.push(c.mem.fetch8(d.addr + i)); } catch { break; }
  }
  throw new GuestFault({ type: "#UD", bytes: Uint8Array.from(bytes.slice(0, Math.max(d.len, 1))), reason: d.udReason || undefined });
}

function ud(d: Insn, p: number, reason: string): Insn {
  d.len = Math.max(1, Math.min(15, p - d.addr));
  d.next = d.addr + d.len;
  d.exec = opUD as unknown as Handler;
  d.udReason = reason;
  return d;
}

/** Decode the instruction at addr. Faults (#PF exec) while fetching propagate as GuestFault. */
export function decode(mem: Memory, addr: number): Insn {
  cpuStats.decoded++;
  const d = new Insn();
  d.addr = addr;
  let p = addr;
  let b = mem.fetch8(p++);
  let rex = 0;
  // ---- legacy prefixes and REX
  for (;;) {
    if (p - addr > 15) return ud(d, p, "too long");
    switch (b) {
      case 0x66: d.p66 = true; rex = 0; b = mem.fetch8(p++); continue;
      case 0x67: d.asz32 = 1; rex = 0; b = mem.fetch8(p++); continue;
      case 0xf0: d.lock = true; rex = 0; b = mem.fetch8(p++); continue;
      case 0xf2: case 0xf3: d.rep = b; rex = 0; b = mem.fetch8(p++); continue;
      case 0x2e: case 0x36: case 0x3e: case 0x26: rex = 0; b = mem.fetch8(p++); continue;
      case 0x64: d.seg = SEG_FS; rex = 0; b = mem.fetch8(p++); continue;
      case 0x65: d.seg = SEG_GS; rex = 0; b = mem.fetch8(p++); continue;
    }
    if ((b & 0xf0) === 0x40) { rex = b; b = mem.fetch8(p++); continue; }
    break;
  }
  d.rex = rex;
  d.rexW = (rex & 8) !== 0;
  let map = 0;
  if (b === 0x0f) {
    b = mem.fetch8(p++);
    map = 1;
    if (b === 0x38) { map = 2; b = mem.fetch8(p++); } else if (b === 0x3a) { map = 3; b = mem.fetch8(p++); }
  }
  d.map = map;
  d.op = b;
  const od = table[(map << 8) | b];
  if (od === undefined) {
    return ud(d, p, "unsupported opcode");
  }
  // ---- operand size
  if (od.byteOp) d.opsz = 1;
  else if (d.rexW) d.opsz = 8;
  else if (d.p66) d.opsz = 2;
  else d.opsz = od.def64 ? 8 : 4;
  // ---- ModRM / SIB / displacement
  const rexR = (rex >> 2) & 1, rexX = (rex >> 1) & 1, rexB = rex & 1;
  if (od.modrm) {
    if (p - addr >= 15) return ud(d, p, "too long");
    const m = mem.fetch8(p++);
    const mod = m >> 6, rm = m & 7;
    d.mod = mod;
    d.reg = ((m >> 3) & 7) | (rexR << 3);
    d.reg8 = (rex === 0 && d.reg >= 4 && d.reg < 8) ? d.reg + 12 : d.reg;
    if (mod === 3) {
      d.rm = rm | (rexB << 3);
      d.rm8 = (rex === 0 && d.rm >= 4 && d.rm < 8) ? d.rm + 12 : d.rm;
    } else {
      let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      if (rm === 4) {
        const sib = mem.fetch8(p++);
        const idx = ((sib >> 3) & 7) | (rexX << 3);
        if (idx !== 4) { d.index = idx; d.scale = 1 << (sib >> 6); }
        if ((sib & 7) === 5 && mod === 0) { d.base = BASE_NONE; dispBytes = 4; }
        else d.base = (sib & 7) | (rexB << 3);
      } else if (rm === 5 && mod === 0) {
        d.base = BASE_RIP; dispBytes = 4;
      } else d.base = rm | (rexB << 3);
      if (dispBytes === 1) { d.disp = (mem.fetch8(p++) << 24) >> 24; }
      else if (dispBytes === 4) {
        d.disp = mem.fetch8(p) | (mem.fetch8(p + 1) << 8) | (mem.fetch8(p + 2) << 16) | (mem.fetch8(p + 3) << 24);
        p += 4;
      }
    }
  } else {
    d.rm = (b & 7) | (rexB << 3);
    d.rm8 = (rex === 0 && d.rm >= 4 && d.rm < 8) ? d.rm + 12 : d.rm;
  }
  // ---- handler
  let h: Handler | undefined;
  if (od.pick) h = (od.h as (d: Insn) => Handler | undefined)(d);
  else h = od.h as Handler;
  // ---- immediate
  const ik = typeof od.imm === "number" ? od.imm : od.imm(d);
  switch (ik) {
    case IMM_NONE: break;
    case IMM_B: case IMM_REL8: d.imm = (mem.fetch8(p++) << 24) >> 24; break;
    case IMM_W: d.imm = mem.fetch8(p) | (mem.fetch8(p + 1) << 8); p += 2; break;
    case IMM_ENTER: d.imm = mem.fetch8(p) | (mem.fetch8(p + 1) << 8); d.imm2 = mem.fetch8(p + 2); p += 3; break;
    case IMM_Z: case IMM_V: case IMM_RELZ:
      if (d.opsz === 2 && ik !== IMM_RELZ) { d.imm = (mem.fetch8(p) | (mem.fetch8(p + 1) << 8)) << 16 >> 16; p += 2; }
      else {
        d.imm = mem.fetch8(p) | (mem.fetch8(p + 1) << 8) | (mem.fetch8(p + 2) << 16) | (mem.fetch8(p + 3) << 24);
        p += 4;
        if (ik === IMM_V && d.opsz === 8) {
          d.immHi = mem.fetch8(p) | (mem.fetch8(p + 1) << 8) | (mem.fetch8(p + 2) << 16) | (mem.fetch8(p + 3) << 24);
          p += 4;
        } else d.immHi = d.imm >> 31;
      }
      break;
    case IMM_MOFFS: {
      const n = d.asz32 ? 4 : 8;
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + mem.fetch8(p + i);
      p += n;
      d.disp = v; d.base = BASE_NONE;
      if (v >= 2 ** 53) d.disp = 2 ** 53; // outside user space; faults
      break;
    }
  }
  if (ik !== IMM_V || d.opsz !== 8) { if (ik !== IMM_MOFFS) d.immHi = d.imm >> 31; }
  d.len = p - addr;
  if (d.len > 15) return ud(d, p, "too long");
  d.next = addr + d.len;
  if (ik === IMM_REL8 || ik === IMM_RELZ) d.target = d.next + d.imm;
  if (h === undefined) return ud(d, p, "invalid encoding");
  // LOCK is only valid on read-modify-write memory forms; handlers that allow it set lockOk
  if (d.lock && !(lockable.has((map << 8) | b) && d.mod !== 3 && lockRegOk(d))) return ud(d, p, "invalid LOCK");
  d.exec = specializeHook(d, h);
  formHook(d);
  return d;
}

let specializeHook: (d: Insn, h: Handler) => Handler = (_d, h) => h;
let formHook: (d: Insn) => void = () => {};
/**
 * Install the fast-path specializer (ops/fast.ts) and what gives a decoded instruction its
 * inline form (ops/inline-forms.ts; it reads the handler the specializer chose).
 */
export function setSpecializer(f: (d: Insn, h: Handler) => Handler, form: (d: Insn) => void = () => {}): void { specializeHook = f; formHook = form; }

const lockable = new Set<number>();
const lockRegFilter = new Map<number, (reg: number) => boolean>();
/** Declare that an opcode accepts LOCK with a memory destination (optionally only for some /reg). */
export function allowLock(map: number, op: number, regOk?: (reg: number) => boolean): void {
  lockable.add((map << 8) | op);
  if (regOk) lockRegFilter.set((map << 8) | op, regOk);
}
function lockRegOk(d: Insn): boolean {
  const f = lockRegFilter.get((d.map << 8) | d.op);
  return f ? f(d.reg & 7) : true;
}
