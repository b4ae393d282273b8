/**
 * The compiled tier's self loops in WebAssembly: a single block that jumps back to itself
 * (jit.ts's selfLoop), when every instruction of it is one of the integer forms below, becomes
 * a wasm function whose guest registers are i64 locals. JS has no 64-bit integers: jit.ts
 * computes on int32 halves (an IMUL64 is ~25 host instructions there, one here), which caps
 * the bench's tight loop at ~120 host instructions per 17-instruction pass; this path runs it
 * in a small fraction of that.
 *
 * Same contract with run() as jit.ts's regions (see its header): the budget is checked on entry
 * and after each pass, `c.left` is exact on exit, RIP is set on every exit, and the lazy-flag
 * record and RFLAGS are left as the interpreter leaves them (each producer writes the record
 * jit.ts's emitter for it writes; V8's wasm compiler drops the writes no exit can read).
 * Guest memory stays where it is (Memory's pages, JS buffers a wasm function cannot address):
 * each load or store site has a slot in the memory the modules share, filled on entry with a
 * copy of the page the site last used when Memory's TLB still holds it (for a store, a private,
 * writable page without code: Memory.cachedWritePage; for a load, Memory.cachedReadPage), and
 * copied back on exit when a store site uses it. Sites on one page share its slot, so a load
 * sees the stores of earlier passes. Nothing else can touch those pages while the function runs
 * (the emulator is single-threaded and the loop calls nothing). An access whose address is not
 * on its slot's page leaves the loop before its instruction, as jit.ts's cached stores do, and
 * the interpreter runs it; no instruction here can fault.
 */
import type { CpuState } from "./state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_IMUL64, FOP_INC, FOP_DEC } from "./state.js";
import type { Insn } from "./insn.js";
import { BASE_NONE, BASE_RIP, SEG_NONE } from "./insn.js";
import { getCF } from "./flags.js";
import { opUD } from "./decode.js";
import { W, I32, I64, VOID, uleb, sleb, wasmModule, WebAssemblyApi } from "./wasm-encode.js";
import { isJcc } from "./jit-emit.js";

/** A compiled region as jit.ts's JitRegion (entered at its only block). */
type SelfLoopRegion = (c: CpuState, D: Insn[]) => number;

// The module's memory, in bytes: the guest registers' halves, the lazy-flag record (fop, fw, fa,
// fah, fb, fbh, fr, frh, fc) and RFLAGS, the carry on entry, the budget left and the page a
// missed store wanted on exit, each site's page tag (its page number, an i64) and slot offset,
// then the slots (one 4 KiB page copy per site).
const LO = 0, HI = 64, REC = 128, FLAGS = 164, CF_IN = 168, LEFT = 172, MISS = 176, TAGS = 192, BASES = 256;
const MAX_SITES = 8, SLOT0 = 4096;
/**
 * The budget a wasm loop is given per call. jit.ts's regions return every 16K instructions so
 * that V8 optimises them whole (run.ts REGION_SLICE); a wasm function is first compiled by V8's
 * baseline compiler and its optimised code, made in the background, serves only later calls, so
 * a loop given all the budget ran a whole program in baseline code. 1M instructions (a few ms
 * at most) lets the optimised code take over within a run, and each return and entry (copying
 * the registers and the sites' pages, ~1 us) is paid once per million.
 */
export const WASM_SLICE = 1 << 20;

/** The wasm function's locals and body, built one instruction at a time. */
class FnBuilder {
  readonly code: number[] = [];
  readonly types: number[] = [];
  readonly regs = new Map<number, number>();
  readonly written = new Set<number>();
  constructor(private readonly params: number) {}
  local(t: number): number { this.types.push(t); return this.params + this.types.length - 1; }
  op(...x: number[]): this { this.code.push(...x); return this; }
  get(l: number): this { return this.op(W.localGet, ...uleb(l)); }
  set(l: number): this { return this.op(W.localSet, ...uleb(l)); }
  i32(v: number): this { return this.op(W.i32Const, ...sleb(BigInt(v | 0))); }
  i64(v: bigint): this { return this.op(W.i64Const, ...sleb(BigInt.asIntN(64, v))); }
  /** The i64 local holding guest register r (read on entry from the halves in memory). */
  reg(r: number): number {
    let l = this.regs.get(r);
    if (l === undefined) { l = this.local(I64); this.regs.set(r, l); }
    return l;
  }
  getReg(r: number): this { return this.get(this.reg(r)); }
  /** Pops an i64 into guest register r. */
  setReg(r: number): this { this.written.add(r); return this.set(this.reg(r)); }
  /** Pops an i32 into memory at byte `off`. */
  store32(off: number, value: () => void): this { this.i32(0); value(); return this.op(W.i32Store, 2, ...uleb(off)); }
  load32(off: number): this { return this.i32(0).op(W.i32Load, 2, ...uleb(off)); }
}

/** A lazy-flag producer the loop's conditional jump can be evaluated against (FOP_*, width). */
interface Producer { fop: number; w: number }

/** What the compiled loop needs besides its function: its sites and exits. */
interface Plan { sites: number[]; siteAddr: number[]; writes: boolean[]; needsCarry: boolean }

/**
 * The wasm module of a self loop (`blk`: its instructions, the last a Jcc back to the first),
 * or null when some instruction has no form here (jit.ts then compiles it as JS).
 */
export function buildSelfLoopWasm(blk: Insn[]): SelfLoopWasm | null {
  const n = blk.length, last = blk[n - 1]!, head = blk[0]!;
  if (WebAssemblyApi === undefined || !isJcc(last) || last.target !== head.addr) return null;
  // once to learn where the flag producers and the stores are, then again without the flag
  // work no exit can see: a producer's is dead when another producer follows it before the next
  // place the loop can leave (a store site, which may leave before its instruction, or the pass's end)
  const first = build(blk, null);
  if (first === null) return null;
  const live: boolean[] = [];
  for (let k = n - 2, dead = false; k >= 0; k--) {
    if (first.kinds[k] === "producer") { live[k] = !dead; dead = true; }
    if (first.kinds[k] === "exit") dead = false;
  }
  const built = build(blk, live)!;
  return { bytes: built.bytes, plan: built.plan };
}

/** A self loop's module, built but not compiled (buildSelfLoopWasm), and what its wrapper needs. */
export interface SelfLoopWasm { readonly bytes: Uint8Array; readonly plan: Plan }

/** The region function of a built loop: its module compiled and instantiated, and its wrapper. */
export function compileSelfLoopWasm(built: SelfLoopWasm, blk: Insn[], stale: number[]): SelfLoopRegion {
  wasmLoopsCompiled++;
  const key = Buffer.from(built.bytes).toString("latin1");
  let mod = modules.get(key);
  if (mod === undefined) {
    if (modules.size === MAX_MODULES) modules.clear();
    mod = new WebAssemblyApi!.Module(built.bytes);
    modules.set(key, mod);
  }
  return wrap(mod, blk, stale, built.plan);
}
/**
 * Compiled modules by their bytes: the same loop in a later process image (a bench round, the
 * next case of a property) gets the module V8 has already optimised. V8 compiles a new module
 * with its baseline compiler and optimises a function only for its later calls, so a fresh
 * module for each image ran each image's loop in baseline code (measured: the bench loop's
 * warm runs 25-40 ms of CPU against 14-32 ms as a JS region, whose source V8 caches).
 */
const modules = new Map<string, object>();
const MAX_MODULES = 256;

/** Self loops compiled to wasm so far (for tests: the path was taken). */
export let wasmLoopsCompiled = 0;

/** What an instruction is to the flag liveness: a flag producer, a load or store site (an exit) or neither. */
type Kind = "producer" | "exit" | "other";

/**
 * The module for the loop, with the flag work of the producers not `live` left out (null: all
 * live), its sites and the kind of each instruction; null when some instruction has no form here.
 */
function build(blk: Insn[], live: boolean[] | null): { bytes: Uint8Array; plan: Plan; kinds: Kind[] } | null {
  const n = blk.length, last = blk[n - 1]!;
  const f = new FnBuilder(1);
  const kinds: Kind[] = [];
  let cur = 0;
  const isLive = () => live === null || live[cur] !== false;
  const LEFT_L = 0;
  // the record and RFLAGS, the producer operands the Jcc reads, a scratch address, the carry
  const rec = Array.from({ length: 9 }, () => f.local(I32));
  const [FOP, FW, FA, FAH, FB, FBH, FR, FRH, FC] = rec as [number, number, number, number, number, number, number, number, number];
  const FL = f.local(I32), TA = f.local(I64), TB = f.local(I64), TR = f.local(I64), ADDR = f.local(I64), LD = f.local(I64), CODE = f.local(I32), CF = f.local(I32);
  const needsCarry = blk.some((d) => d.map === 0 && d.op === 0xff);
  const plan: Plan = { sites: [], siteAddr: [], writes: [], needsCarry };
  const tags: number[] = [], bases: number[] = [];
  let producer: Producer | null = null;

  const lo32 = (l: number) => f.get(l).op(W.i32WrapI64);
  const hi32 = (l: number) => f.get(l).i64(32n).op(W.i64ShrU, W.i32WrapI64);
  /** The record a lazy producer leaves (jit.ts's flagCode for it), from TA, TB and TR. */
  const record = (fop: number, w: number, fc: boolean) => {
    kinds[cur] = "producer";
    producer = { fop, w };
    if (!isLive()) return;
    if (fc) f.get(CF).set(FC);
    lo32(TA).set(FA); lo32(TB).set(FB); lo32(TR).set(FR);
    if (w === 8) { hi32(TA).set(FAH); hi32(TB).set(FBH); hi32(TR).set(FRH); }
    f.i32(w).set(FW).i32(fop).set(FOP);
  };
  /** The carry INC/DEC keep, after a producer: its CF (an i32 expression pushed by `cf`). */
  const carry = (cf: () => void) => { if (needsCarry) { cf(); f.set(CF); } };
  /** TR = TR masked to 32 bits (a 32-bit result, zero-extended as the register write does). */
  const mask32 = (l: number) => f.get(l).i64(0xffffffffn).op(W.i64And).set(l);
  /** An ALU op (ADD OR AND SUB XOR CMP as 0 1 4 5 6 7) on TA and TB (TB pushed by `b`) into `dst`. */
  const alu = (aop: number, w: number, dst: number, b: () => void): boolean => {
    if (aop === 2 || aop === 3) return false;
    f.getReg(dst).set(TA); b(); f.set(TB);
    if (w === 4) { mask32(TA); mask32(TB); }
    f.get(TA).get(TB).op(aop === 0 ? W.i64Add : aop === 1 ? W.i64Or : aop === 4 ? W.i64And : aop === 6 ? W.i64Xor : W.i64Sub).set(TR);
    if (w === 4) mask32(TR);
    if (aop !== 7) f.get(TR).setReg(dst);
    const kind = aop === 0 ? FOP_ADD : aop === 5 || aop === 7 ? FOP_SUB : FOP_LOGIC;
    record(kind, w, false);
    carry(() => (kind === FOP_ADD ? f.get(TR).get(TA).op(W.i64LtU) : kind === FOP_SUB ? f.get(TA).get(TB).op(W.i64LtU) : f.i32(0)));
    return true;
  };
  /** The effective address of a memory operand (base + index * scale + disp, wrapping) onto the stack. */
  const address = (d: Insn): boolean => {
    if (d.asz32 || d.seg !== SEG_NONE) return false;
    if (d.base >= 0) f.getReg(d.base);
    else if (d.base === BASE_RIP) f.i64(BigInt(d.next));
    else if (d.base === BASE_NONE) f.i64(0n);
    else return false;
    if (d.index >= 0) f.getReg(d.index).i64(BigInt(Math.log2(d.scale))).op(W.i64Shl, W.i64Add);
    f.i64(BigInt(d.disp | 0)).op(W.i64Add);
    return true;
  };
  /**
   * A load or store of `w` bytes through the next site's slot (k: its instruction's index): the
   * slot address of the access on the stack for `access`, which does the load or store.
   */
  const site = (d: Insn, k: number, w: number, write: boolean, access: () => void): boolean => {
    const s = plan.sites.length;
    if (s === MAX_SITES || d.base === BASE_RIP || !address(d)) return false;
    plan.sites.push(w); plan.siteAddr.push(d.addr); plan.writes.push(write);
    kinds[cur] = "exit";
    const tag = f.local(I64), base = f.local(I32);
    tags.push(tag); bases.push(base);
    f.set(ADDR);
    // on the slot's page, all w bytes, and the same address as the interpreter's: it adds the
    // registers as signed 64-bit values in doubles; with the base below 2^62 and the index below
    // 2^60 both are exact and the wrapped sum is the exact one wherever either lands on a page
    f.get(ADDR).i64(12n).op(W.i64ShrU).get(tag).op(W.i64Eq);
    f.get(ADDR).i64(4095n).op(W.i64And).i64(BigInt(4096 - w)).op(W.i64LeU, W.i32And);
    if (d.base >= 0) f.getReg(d.base).i64(62n).op(W.i64ShrU, W.i64Eqz, W.i32And);
    if (d.index >= 0) f.getReg(d.index).i64(60n).op(W.i64ShrU, W.i64Eqz, W.i32And);
    f.op(W.i32Eqz, W.if, VOID);
    // a miss: leave before this instruction (k of this pass retired), saying the page it wanted
    f.i32(0).get(ADDR).i64(12n).op(W.i64ShrU, W.i64Store, 3, ...uleb(MISS));
    f.i32(2 + s).set(CODE).get(LEFT_L).i32(k).op(W.i32Sub).set(LEFT_L).op(W.br, 2, W.end);
    f.get(base).get(ADDR).i64(4095n).op(W.i64And, W.i32WrapI64, W.i32Add);
    access();
    return true;
  };
  /** A store of `w` bytes (the value pushed by `value`). */
  const store = (d: Insn, k: number, w: number, value: () => void): boolean =>
    site(d, k, w, true, () => { value(); f.op(w === 1 ? W.i64Store8 : w === 4 ? W.i64Store32 : W.i64Store, 0, 0); });
  /** A load of `w` bytes into LD, zero-extended (or sign-extended: `signed`, 4 bytes only). */
  const load = (d: Insn, k: number, w: number, signed = false): boolean =>
    site(d, k, w, false, () => {
      f.op(w === 1 ? W.i64Load8U : w === 2 ? W.i64Load16U : w === 4 ? (signed ? W.i64Load32S : W.i64Load32U) : W.i64Load, 0, 0).set(LD);
    });

  const emitOne = (d: Insn, k: number): boolean => {
    if (d.lock || d.exec === (opUD as unknown as Insn["exec"])) return false;
    const w = d.opsz, op = d.op;
    if (d.map === 1) {
      if (op === 0xaf && d.mod === 3 && w === 8) { // IMUL r64, r64
        f.getReg(d.reg).set(TA).getReg(d.rm).set(TB).get(TA).get(TB).op(W.i64Mul).set(TR).get(TR).setReg(d.reg);
        record(FOP_IMUL64, 8, false);
        // CF: the signed product does not fit 64 bits, i.e. (a != 0) the wrapped product over a is
        // not b (a wrong product differs from a * b by 2^64 or more); a = -1 only for b = -2^63
        // (whose quotient the division cannot take)
        carry(() => {
          f.get(TA).op(W.i64Eqz, W.if, I32).i32(0).op(W.else);
          f.get(TA).i64(-1n).op(W.i64Eq, W.if, I32).get(TB).i64(-(2n ** 63n)).op(W.i64Eq, W.else);
          f.get(TR).get(TA).op(W.i64DivS).get(TB).op(W.i64Ne, W.end, W.end);
        });
        return true;
      }
      if ((op === 0xb6 || op === 0xb7) && d.mod !== 3 && w === 4) { // MOVZX r32, m8/m16
        if (!load(d, k, op === 0xb6 ? 1 : 2)) return false;
        f.get(LD).setReg(d.reg);
        return true;
      }
      if (op === 0xb6 && d.mod === 3 && w === 4) { // MOVZX r32, r8
        const r = d.rm8;
        f.getReg(r < 16 ? r : r - 16);
        if (r >= 16) f.i64(8n).op(W.i64ShrU);
        f.i64(255n).op(W.i64And).setReg(d.reg);
        return true;
      }
      return false;
    }
    if (d.map !== 0 || (w !== 8 && w !== 4 && op !== 0x88)) return false;
    if ((op === 0x89 || op === 0x8b) && d.mod === 3) {
      const [to, from] = op === 0x89 ? [d.rm, d.reg] : [d.reg, d.rm];
      f.getReg(from);
      if (w === 4) f.i64(0xffffffffn).op(W.i64And);
      f.setReg(to);
      return true;
    }
    if (op >= 0xb8 && op <= 0xbf) {
      f.i64(w === 8 ? (BigInt(d.immHi | 0) << 32n) | BigInt(d.imm >>> 0) : BigInt(d.imm >>> 0)).setReg(d.rm);
      return true;
    }
    if (op < 0x40 && (op & 7) === 1 && d.mod === 3) return alu((op >> 3) & 7, w, d.rm, () => f.getReg(d.reg));
    if (op < 0x40 && (op & 7) === 3 && d.mod === 3) return alu((op >> 3) & 7, w, d.reg, () => f.getReg(d.rm));
    if ((op === 0x81 || op === 0x83) && d.mod === 3) return alu(d.reg & 7, w, d.rm, () => f.i64((BigInt(d.immHi | 0) << 32n) | BigInt(d.imm >>> 0)));
    if (op === 0x85 && d.mod === 3) { // TEST: the record holds the result three times, as jit.ts's
      f.getReg(d.rm).getReg(d.reg).op(W.i64And).set(TR);
      if (w === 4) mask32(TR);
      f.get(TR).set(TA).get(TR).set(TB);
      record(FOP_LOGIC, w, false);
      carry(() => f.i32(0));
      return true;
    }
    if (op === 0x63 && d.mod === 3 && w === 8) { // MOVSXD
      f.getReg(d.rm).op(W.i32WrapI64, W.i64ExtendI32S).setReg(d.reg);
      return true;
    }
    if (op === 0x8d && d.mod !== 3) { // LEA (a 32-bit one keeps the sum's low half)
      if (!address(d)) return false;
      if (w === 4) f.i64(0xffffffffn).op(W.i64And);
      f.setReg(d.reg);
      return true;
    }
    if ((op === 0xc1 || op === 0xd1) && d.mod === 3 && w === 8 && (d.reg & 7) >= 4) return shift64(d);
    if ((op === 0xc1 || op === 0xd1) && d.mod === 3 && w === 4 && (d.reg & 7) !== 2 && (d.reg & 7) !== 3) return shift32(d);
    if (op === 0xf7 && d.mod === 3 && ((d.reg & 7) === 2 || (d.reg & 7) === 3)) { // NOT (no flags), NEG (SUB from 0)
      if ((d.reg & 7) === 2) {
        f.getReg(d.rm).i64(-1n).op(W.i64Xor);
        if (w === 4) f.i64(0xffffffffn).op(W.i64And);
        f.setReg(d.rm);
        return true;
      }
      f.i64(0n).set(TA).getReg(d.rm).set(TB);
      if (w === 4) mask32(TB);
      f.get(TA).get(TB).op(W.i64Sub).set(TR);
      if (w === 4) mask32(TR);
      f.get(TR).setReg(d.rm);
      record(FOP_SUB, w, false);
      carry(() => f.get(TA).get(TB).op(W.i64LtU));
      return true;
    }
    if (op === 0xff && d.mod === 3 && ((d.reg & 7) === 0 || (d.reg & 7) === 1)) { // INC/DEC
      const dec = (d.reg & 7) === 1;
      f.getReg(d.rm).set(TA).i64(1n).set(TB).get(TA).get(TB).op(dec ? W.i64Sub : W.i64Add).set(TR);
      if (w === 4) { mask32(TA); mask32(TR); }
      f.get(TR).setReg(d.rm);
      record(dec ? FOP_DEC : FOP_INC, w, true);
      return true;
    }
    if (op === 0x8b && d.mod !== 3) { // MOV r, m (a 32-bit load zero-extends)
      if (!load(d, k, w)) return false;
      f.get(LD).setReg(d.reg);
      return true;
    }
    if (op === 0x63 && d.mod !== 3 && w === 8) { // MOVSXD r64, m32
      if (!load(d, k, 4, true)) return false;
      f.get(LD).setReg(d.reg);
      return true;
    }
    if (op < 0x40 && (op & 7) === 3 && d.mod !== 3 && ((op >> 3) & 7) !== 2 && ((op >> 3) & 7) !== 3) { // ALU r, m
      if (!load(d, k, w)) return false;
      return alu((op >> 3) & 7, w, d.reg, () => f.get(LD));
    }
    if ((op === 0x89 || op === 0x88) && d.mod !== 3) {
      const r = op === 0x88 ? d.reg8 : d.reg;
      return store(d, k, op === 0x88 ? 1 : w, () => {
        f.getReg(op === 0x88 && r >= 16 ? r - 16 : r);
        if (op === 0x88 && r >= 16) f.i64(8n).op(W.i64ShrU);
      });
    }
    if (op === 0x90 && (d.rex & 1) === 0 && d.rep === 0) return true;
    return false;
  };
  /**
   * ROL/ROR/SHL/SHR/SAR r32 by an immediate, only where no exit sees their flags (a later
   * producer overwrites them first: the second build knows); their carry is kept for INC/DEC.
   * (A rotate writes CF and OF alone: counted as a producer by the liveness, which is sound
   * only because a live one is refused here.)
   */
  function shift32(d: Insn): boolean {
    const cnt = (d.op === 0xd1 ? 1 : d.imm) & 31, kind = d.reg & 7;
    if (cnt === 0) { f.getReg(d.rm).i64(0xffffffffn).op(W.i64And).setReg(d.rm); return true; } // flags untouched
    kinds[cur] = "producer";
    producer = null;
    if (live !== null && isLive()) return false;
    const V = f.local(I32);
    f.getReg(d.rm).op(W.i32WrapI64).set(V);
    const opc = kind === 0 ? W.i32Rotl : kind === 1 ? W.i32Rotr : kind === 5 ? W.i32ShrU : kind === 7 ? W.i32ShrS : W.i32Shl;
    f.get(V).i32(cnt).op(opc, W.i64ExtendI32U).setReg(d.rm);
    carry(() => {
      if (kind === 0) f.getReg(d.rm).op(W.i32WrapI64).i32(1).op(W.i32And);
      else if (kind === 1) f.getReg(d.rm).op(W.i32WrapI64).i32(31).op(W.i32ShrU);
      else f.get(V).i32(kind === 4 || kind === 6 ? 32 - cnt : cnt - 1).op(kind === 7 ? W.i32ShrS : W.i32ShrU).i32(1).op(W.i32And);
    });
    return true;
  }
  /** SHL/SHR/SAR r64 by an immediate: RFLAGS set eagerly as jit.ts's emitter sets them. */
  function shift64(d: Insn): boolean {
    const cnt = (d.op === 0xd1 ? 1 : d.imm) & 63, kind = d.reg & 7;
    if (cnt === 0) return true;
    f.getReg(d.rm).set(TA).get(TA).i64(BigInt(cnt)).op(kind === 5 ? W.i64ShrU : kind === 7 ? W.i64ShrS : W.i64Shl).set(TR);
    f.get(TR).setReg(d.rm);
    kinds[cur] = "producer";
    producer = null;
    const bit = (l: number, pos: number) => f.get(l).i64(BigInt(pos)).op(W.i64ShrU, W.i32WrapI64).i32(1).op(W.i32And);
    const cfPos = kind === 5 || kind === 7 ? cnt - 1 : 64 - cnt;
    carry(() => bit(TA, cfPos));
    if (!isLive()) return true;
    // flags = (flags & ~0x8d5) | cf | ZF | SF | PF | OF (OF: SHL msb ^ cf, SHR the operand's msb, SAR 0)
    f.get(FL).i32(~0x8d5).op(W.i32And);
    bit(TA, cfPos).op(W.i32Or);
    f.get(TR).op(W.i64Eqz).i32(6).op(W.i32Shl, W.i32Or);
    bit(TR, 63).i32(7).op(W.i32Shl, W.i32Or);
    lo32(TR).i32(255).op(W.i32And, W.i32Popcnt).i32(1).op(W.i32And).i32(1).op(W.i32Xor).i32(2).op(W.i32Shl, W.i32Or);
    if (kind === 5) bit(TA, 63).i32(11).op(W.i32Shl, W.i32Or);
    else if (kind !== 7) { bit(TR, 63); bit(TA, cfPos); f.op(W.i32Xor).i32(11).op(W.i32Shl, W.i32Or); }
    f.set(FL).i32(0).set(FOP);
    return true;
  }

  // the loop: block $out { budget check; loop { body; left -= n; Jcc or leave; budget or leave; br loop } }
  f.op(W.block, VOID);
  f.get(LEFT_L).i32(n).op(W.i32LtS, W.if, VOID).i32(0).set(CODE).op(W.br, 1, W.end);
  f.op(W.loop, VOID);
  for (let k = 0; k < n - 1; k++) { cur = k; kinds[k] = "other"; if (!emitOne(blk[k]!, k)) return null; }
  const cc = last.map === 0 ? last.op - 0x70 : last.op - 0x80;
  f.get(LEFT_L).i32(n).op(W.i32Sub).set(LEFT_L);
  if (!condition(f, producer, cc, TA, TB, TR)) return null;
  f.op(W.i32Eqz, W.if, VOID).i32(1).set(CODE).op(W.br, 2, W.end);
  f.get(LEFT_L).i32(n).op(W.i32LtS, W.if, VOID).i32(0).set(CODE).op(W.br, 2, W.end);
  f.op(W.br, 0, W.end, W.end);
  // write-back: the registers written, the record, RFLAGS and the budget; the exit's code
  for (const r of f.written) {
    f.store32(LO + 4 * r, () => lo32(f.reg(r)));
    f.store32(HI + 4 * r, () => hi32(f.reg(r)));
  }
  rec.forEach((l, i) => f.store32(REC + 4 * i, () => f.get(l)));
  f.store32(FLAGS, () => f.get(FL)).store32(LEFT, () => f.get(LEFT_L)).get(CODE);
  const body = f.code.splice(0);
  // the prologue: registers (both halves) and the record from memory, the sites' tags and slots
  for (const [r, l] of f.regs) {
    f.load32(LO + 4 * r).op(W.i64ExtendI32U).load32(HI + 4 * r).op(W.i64ExtendI32U).i64(32n).op(W.i64Shl, W.i64Or).set(l);
  }
  rec.forEach((l, i) => f.load32(REC + 4 * i).set(l));
  f.load32(FLAGS).set(FL);
  if (needsCarry) f.load32(CF_IN).set(CF);
  tags.forEach((l, s) => f.i32(0).op(W.i64Load, 3, ...uleb(TAGS + 8 * s)).set(l));
  bases.forEach((l, s) => f.load32(BASES + 4 * s).set(l));
  return { bytes: wasmModule([I32], [I32], f.types, [...f.code, ...body], 1), plan, kinds };
}

/**
 * Pushes the i32 truth of condition `cc` over the last producer of the pass (its operands in
 * TA, TB, its result in TR; 32-bit ones zero-extended), or false when it has no form here.
 */
function condition(f: FnBuilder, p: Producer | null, cc: number, TA: number, TB: number, TR: number): boolean {
  if (p === null) return false;
  const w8 = p.w === 8, base = cc & ~1;
  const val = (l: number) => { f.get(l); if (!w8) f.op(W.i32WrapI64); };
  const cmp = (a: number, b: number, op64: number, op32: number) => { val(a); val(b); f.op(w8 ? op64 : op32); };
  const zf = () => { val(TR); f.op(w8 ? W.i64Eqz : W.i32Eqz); };
  const sf = () => { val(TR); if (w8) f.i64(0n).op(W.i64LtS); else f.i32(0).op(W.i32LtS); };
  const pf = () => { f.get(TR).op(W.i32WrapI64).i32(255).op(W.i32And, W.i32Popcnt).i32(1).op(W.i32And, W.i32Eqz); };
  if (base === 10 && p.fop !== FOP_IMUL64) pf();
  else if (p.fop === FOP_SUB) {
    switch (base) {
      case 0: val(TA); val(TB); f.op(w8 ? W.i64Xor : W.i32Xor); val(TA); val(TR); f.op(w8 ? W.i64Xor : W.i32Xor, w8 ? W.i64And : W.i32And); if (w8) f.i64(0n).op(W.i64LtS); else f.i32(0).op(W.i32LtS); break;
      case 2: cmp(TA, TB, W.i64LtU, W.i32LtU); break;
      case 4: cmp(TA, TB, W.i64Eq, W.i32Eq); break;
      case 6: cmp(TA, TB, W.i64LeU, W.i32LeU); break;
      case 8: sf(); break;
      case 12: cmp(TA, TB, W.i64LtS, W.i32LtS); break;
      default: cmp(TA, TB, W.i64LeS, W.i32LeS);
    }
  } else if (p.fop === FOP_LOGIC) {
    switch (base) {
      case 0: case 2: f.i32(0); break;
      case 4: case 6: zf(); break;
      case 8: case 12: sf(); break;
      default: zf(); sf(); f.op(W.i32Or);
    }
  } else if (p.fop === FOP_ADD || p.fop === FOP_INC || p.fop === FOP_DEC) {
    if (base === 4) zf(); else if (base === 8) sf(); else return false;
  } else return false;
  if (cc & 1) f.op(W.i32Eqz);
  return true;
}

/**
 * The one memory every loop's module imports, with its views. One loop runs at a time (the
 * emulator is single-threaded and a loop calls nothing), and all it keeps there lives only from
 * its entry to its exit, so all share one layout. (A memory per instance cost more: each
 * reserves gigabytes of address space that only a full GC gives back, and V8 collected so often
 * that a run of the bench loop spent twice its time in CPU.)
 */
let sharedMemory: ReturnType<typeof newSharedMemory> | null = null;
function newSharedMemory() {
  const mem = new WebAssemblyApi!.Memory({ initial: 1, maximum: 1 });
  const M = new Int32Array(mem.buffer), B = new Uint8Array(mem.buffer);
  return { M, B, mLo: M.subarray(LO / 4, LO / 4 + 16), mHi: M.subarray(HI / 4, HI / 4 + 16), imports: { m: { mem } } };
}

/**
 * The region function run() calls: the guest state into the module's memory, the pages into
 * the slots, the loop, and everything back.
 */
function wrap(mod: object, blk: Insn[], stale: number[], plan: Plan): SelfLoopRegion {
  const { M, B, mLo, mHi, imports } = sharedMemory ??= newSharedMemory();
  const loop = new WebAssemblyApi!.Instance(mod, imports).exports.run as (left: number) => number;
  const headAddr = blk[0]!.addr, exitAddr = blk[blk.length - 1]!.next, nSites = plan.sites.length;
  // each site's remembered page (NaN: none yet), and the page copied into its slot this entry
  const pageOf = new Float64Array(nSites).fill(NaN);
  const held: (Uint8Array | null)[] = new Array(nSites).fill(null);
  // the site whose slot each site uses this entry, and whether a store site uses each slot
  const owners = new Int32Array(nSites), dirty: boolean[] = new Array(nSites).fill(false);
  // each site's own slot (where it copies its page when it owns one), as a view to copy back from
  const slotView = Array.from({ length: nSites }, (_, s) => B.subarray(SLOT0 * (s + 1), SLOT0 * (s + 2)));
  return (c: CpuState, D: Insn[]) => {
    for (const i of stale) if (!D[i]!.valid) return 2;
    M.set(c.lo, LO / 4); M.set(c.hi, HI / 4);
    M[32] = c.fop; M[33] = c.fw; M[34] = c.fa; M[35] = c.fah; M[36] = c.fb; M[37] = c.fbh; M[38] = c.fr; M[39] = c.frh; M[40] = c.fc;
    M[FLAGS / 4] = c.flags;
    if (plan.needsCarry) M[CF_IN / 4] = getCF(c);
    for (let s = 0; s < nSites; s++) {
      const p = pageOf[s]!, g = plan.writes[s] ? c.mem.cachedWritePage(p) : c.mem.cachedReadPage(p);
      let slot = SLOT0 * (s + 1), owner = s;
      held[s] = null; dirty[s] = false;
      // a page another site holds already: the same slot (one copy, so no access misses another's
      // write). One page number is one page in both TLBs: Memory flushes both when it copies a page
      for (let t = 0; t < s && g !== null; t++) {
        if (pageOf[t] !== p || M[TAGS / 4 + 2 * t] === -1) continue;
        owner = owners[t]!; slot = M[BASES / 4 + t]!; break;
      }
      if (g !== null) {
        if (owner === s) { B.set(g.data, slot); held[s] = g.data; }
        if (plan.writes[s]) dirty[owner] = true;
        owners[s] = owner;
        M[TAGS / 4 + 2 * s] = p % 4294967296; M[TAGS / 4 + 2 * s + 1] = Math.floor(p / 4294967296);
      } else { M[TAGS / 4 + 2 * s] = -1; M[TAGS / 4 + 2 * s + 1] = -1; }
      M[BASES / 4 + s] = slot;
    }
    const given = c.left > WASM_SLICE ? WASM_SLICE : c.left;
    const code = loop(given);
    c.left -= given - M[LEFT / 4]!;
    c.lo.set(mLo); c.hi.set(mHi);
    c.fop = M[32]!; c.fw = M[33]!; c.fa = M[34]! >>> 0; c.fah = M[35]! >>> 0; c.fb = M[36]! >>> 0; c.fbh = M[37]! >>> 0;
    c.fr = M[38]! >>> 0; c.frh = M[39]! >>> 0; c.fc = M[40]!; c.flags = M[FLAGS / 4]!;
    for (let s = 0; s < nSites; s++) {
      const g = held[s];
      if (g !== null && dirty[s]) g.set(slotView[s]!);
      held[s] = null;
    }
    c.jb = 0;
    if (code === 0) c.rip = headAddr;
    else if (code === 1) c.rip = exitAddr;
    else {
      const s = code - 2;
      pageOf[s] = M[MISS / 4 + 1]! * 4294967296 + (M[MISS / 4]! >>> 0);
      c.rip = plan.siteAddr[s]!;
    }
    return 0;
  };
}
