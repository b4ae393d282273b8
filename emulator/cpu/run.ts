/**
 * The interpreter loop: run(cpu, mem, maxInsns) -> Stop.
 */
import { CpuState, mutableFields } from "./state.js";
import { Insn } from "./insn.js";
import { GuestFault } from "./fault.js";
import type { Stop } from "./fault.js";
import { Memory, PAGE, PROT_READ, PROT_WRITE, PROT_EXEC, newCodeCache } from "./memory.js";
import { decode } from "./decode.js";
import { registerAll } from "./ops/index.js";
import type { TraceRing } from "./trace.js";
import { compileRegion, endsBlock, isJmpIndirect, JIT_HELPERS } from "./jit.js";
import type { JitRegion, JitHelpers, CompiledRegion } from "./jit.js";
import { countedLoopOf, countedLoopsOn, skipIterations } from "./counted-loop.js";
import { cpuStats } from "./stats.js";
import { cond, PARITY } from "./flags.js";
import { ea } from "./operands.js";
import * as forms from "./ops/inline-forms.js";

/**
 * Tier policy: a block head entered this many times by the interpreter is considered as the
 * head of a compiled region (0 disables the JIT). Successor blocks join the region when they
 * have run at least JIT_THRESHOLD / 8 times, so cold paths stay interpreted and exit the
 * region; an indirect jump's observed targets join it too. Above a threshold of 1 (the loop
 * policy) a region is the loop through its head (the blocks on a cycle through it), compiled
 * only when every instruction is inlined, its code is not too long, and its blocks have
 * retired in the interpreter about what V8 takes to compile that code (see jit.ts's
 * promoteVolume); a head not yet worth it is looked at again once its entries have grown by
 * the factor compileRegion returns. Every block head of a compiled loop becomes an entry into
 * it (enterAtEveryHead).
 * Measured demotion: a compiled region is only worth its entry and exit (state to and from
 * JS locals, and V8 running a fresh function in its slow tiers until it optimises it) when it
 * stays inside for long, so every DEMOTE_PROBE entries the instructions it retired are
 * counted, and a region averaging fewer than DEMOTE_MIN_PER_ENTRY per entry is dropped for
 * good (its head is interpreted from then on; the count is of retired instructions, so the
 * decision is deterministic and guest-visible behaviour is the same either way). 64 entries
 * come long before V8 optimises a fresh function, so a dropped region costs little; the
 * bench's regions that averaged 13-63 instructions per entry (bytecode interpreter, quicksort)
 * all ran slower than the interpreter, so the bar is 128. A threshold of 1
 * compiles every region on first entry, which is how the host-CPU oracle tests exercise the
 * compiler.
 */
export const DEFAULT_JIT_THRESHOLD = 1024;
export let JIT_THRESHOLD = DEFAULT_JIT_THRESHOLD;
export function setJitThreshold(n: number): void { JIT_THRESHOLD = n; }
const DEMOTE_PROBE = 64, DEMOTE_MIN_PER_ENTRY = 128;
/**
 * A compiled region is given at most this much budget per call, so a long-running loop returns
 * now and then. V8 first optimises a region that never returns by on-stack replacement, and
 * OSR code takes its loop variables from the unoptimised frame as untyped values: every guest
 * register then stays a tagged value (checked and converted at each use, floating-point
 * arithmetic where int32 was meant). Once the region has returned a few times V8 optimises it
 * whole, its locals typed int32 from their Int32Array loads, and calls use that code (the
 * budget local is then a small integer too, not the double a 1e11 budget makes it). Measured
 * on the loop program run for 170M instructions, A B A B on a loaded machine: 290-425 MIPS
 * with a slice of 2^16 against 270-380 without; 2^14 leaves V8 a single region compile more
 * often (`--trace-opt`) and costs one return per 16K instructions.
 */
const REGION_SLICE = 1 << 14;
/** Most distinct targets recorded per indirect jump (a region takes the most frequent). */
const MAX_IND = 64;

registerAll();
// interpret() writes the inline form codes as literals (see the switch there)
if (forms.K_MOV64 !== 1 || forms.K_MOV32 !== 2 || forms.K_LOAD64BD !== 3 || forms.K_LOAD32BD !== 4 || forms.K_STORE64BD !== 5
  || forms.K_STORE32BD !== 6 || forms.K_LEA64BD !== 7 || forms.K_PUSH64 !== 8 || forms.K_POP64 !== 9 || forms.K_ALU64RR !== 10
  || forms.K_ALU32RR !== 16 || forms.K_ALU64RI !== 22 || forms.K_ALU32RI !== 28 || forms.K_TEST64RR !== 34 || forms.K_TEST32RR !== 35
  || forms.K_JCC !== 40 || forms.K_JMP !== 41 || forms.K_CALLREL !== 42 || forms.K_RET !== 43
  || forms.K_SHL64I !== 44 || forms.K_SHR64I !== 45 || forms.K_SAR64I !== 46 || forms.K_IMUL64RR !== 47 || forms.K_MOVZX8R !== 48
  || forms.K_STORE8 !== 49 || forms.K_NOP64 !== 50 || forms.K_ALU64RR_NF !== 51 || forms.K_NOP32 !== 56 || forms.K_ALU32RR_NF !== 57
  || forms.K_ALU64RI_NF !== 62 || forms.K_ALU32RI_NF !== 67 || forms.K_SHL64I_NF !== 72 || forms.K_SHR64I_NF !== 73
  || forms.K_SAR64I_NF !== 74 || forms.K_IMUL64RR_NF !== 75 || forms.K_MOVSXD !== 76 || forms.K_LEA32 !== 77 || forms.K_LEA64BIS !== 78
  || forms.K_JMPR !== 39 || forms.K_INC64 !== 80 || forms.K_DEC64 !== 81 || forms.K_INC32 !== 82 || forms.K_DEC32 !== 83
  || forms.K_LOAD64M !== 84 || forms.K_LOAD32M !== 85 || forms.K_STORE64M !== 86 || forms.K_STORE32M !== 87 || forms.K_MOVSXDM !== 88
  || forms.K_MOVZX8M !== 89 || forms.K_MOVZX16M !== 90 || forms.K_MOVSX8M64 !== 91 || forms.K_MOVSX8M32 !== 92 || forms.K_CMPMI64 !== 93
  || forms.K_CMPMI32 !== 94 || forms.K_CMPMI8 !== 95 || forms.K_CMPRI8 !== 96 || forms.K_CMPRR8 !== 97 || forms.K_TESTRR8 !== 98
  || forms.K_MOVRI64 !== 99 || forms.K_MOVRI32 !== 100 || forms.K_TESTRI8 !== 101 || forms.K_LOAD8 !== 102 || forms.K_ALUGEM64 !== 103
  || forms.K_ALUGEM32 !== 104 || forms.K_ALUMR32 !== 105 || forms.K_ALUMR64 !== 106 || forms.K_LAST !== 106) {
  throw new Error("run.ts: interpret()'s inline form codes are out of step with ops/inline-forms.ts");
}
if (PAGE !== 4096) throw new Error("run.ts: fetchInsn's page-size literal is out of step with memory.ts's PAGE");

/**
 * `jitNext` for a head the tier never looks at again. A small integer, not Infinity: Insn's
 * fields keep the representation they start with (V8 Smi), since changing it would deoptimise
 * every optimised function that reads Insns, the interpreter loop first.
 */
const NEVER = 0x3fffffff;
// For the same reason the tier's object fields get their general types before anything is
// optimised: the first compiled region would otherwise turn `jit` from null into a function and
// `jitD` into an array in the middle of a run, and V8 would throw away the interpreter loop's
// optimised code and compile it again (measured on the bench's bytecode interpreter with
// `--trace-opt`: the loop compiled 5 times with the tier on against 2 with it off; 1-3 with this
// and the no-short-circuit tier checks in interpret()).
// Numbers likewise: an address at or above 2^30, or an immediate or displacement outside
// [-2^30, 2^30), is no V8 Smi, and the first one stored would turn its field into a double one
// in the middle of a run (a new Insn map: every function optimised for the old one is
// deoptimised, measured as a storm of ~40 "wrong map" deopts in each bench program with
// `--trace-deopt`), so these fields start as doubles; and `jitRetired`, which run() adds budget
// differences to (doubles: V8 stores such a sum as a heap number, never as a small integer).
{
  const shape = new Insn(); shape.jit = () => 0; shape.jitD = []; shape.ind = new Map(); shape.block = []; shape.succ = shape.succ2 = shape.succT = shape.succF = shape; shape.loop = { n: 0, ind: 0, step: 1, otherReg: -1, otherLo: 0, otherHi: 0, store: null, codeFirstPn: 0, codeLastPn: 0 };
  shape.addr = shape.next = shape.target = shape.jitRetired = 2 ** 40; shape.imm = shape.immHi = shape.disp = -(2 ** 31);
  mutableFields(shape);
}

/** Heads of every region compiled since the last call (for profiling tools; null = off). */
export let regionLog: Insn[] | null = null;
export function logRegions(on: boolean): void { regionLog = on ? [] : null; }

/** Decoded instruction at addr (through the per-page decode cache). */
export function fetchInsn(mem: Memory, addr: number): Insn {
  const pg = mem.fetchPage(addr);
  // 4096 as a literal: V8 reads an imported const at run time, and a division by a value it
  // does not know is a floating-point division on every fetch (checked against PAGE at load, above)
  const off = addr - Math.floor(addr / 4096) * 4096;
  // The page's cache holds only Insns (this function is its one writer).
  let ic = pg.icache as (Insn | undefined)[] | null;
  if (ic === null) ic = pg.icache = newCodeCache() as (Insn | undefined)[];
  let d = ic[off];
  if (d === undefined) {
    d = decode(mem, addr);
    // decoding may have touched the next page; re-check the cache survived
    if (pg.icache === null) pg.icache = ic;
    ic[off] = d;
  }
  return d;
}

const MAX_BLOCK = 48;
/** RDTSC reads the budget (the virtual TSC counts retired instructions): it ends its block, where interpret() keeps the budget exact. */
const isRdtsc = (d: Insn): boolean => d.map === 1 && d.op === 0x31;
/** Decode the straight-line run starting at d (stops early where decoding would fault). */
function buildBlock(mem: Memory, d: Insn): Insn[] {
  const blk = [d];
  let x = d;
  while (!endsBlock(x) && !isRdtsc(x) && blk.length < MAX_BLOCK) {
    let y: Insn;
    try { y = fetchInsn(mem, x.next); } catch (e) { if (e instanceof GuestFault) break; throw e; }
    // the body's link (Insn.bn): set once; linked to an older decode of the next address, x ends the block
    if (x.bn !== y) { if (x.bn !== x) break; x.bn = y; }
    blk.push(y);
    x = y;
  }
  if (x.ind === null && isJmpIndirect(x)) x.ind = new Map();
  d.loop = countedLoopOf(blk);
  forms.markDeadFlags(blk);
  return blk;
}

/**
 * buildBlock as interpret() calls it: through a variable that primeInterpreter points at a
 * second function for one run, so that the call site has seen two targets and V8 never inlines
 * buildBlock (with markDeadFlags and endsBlock) into the loop. Inlined, that path, run once per
 * block built, took the inlining budget that the conditions of every JCC (flags.ts condB, condL,
 * ...) then went without, and made each optimising compile of interpret() larger
 * (`--trace-turbo-inlining` on the bench's sha256).
 */
let blockBuilder = buildBlock;

/** A block a region may take in: valid, and entered at least minHeat times (else null). */
function regionBlockAt(mem: Memory, addr: number, minHeat: number): Insn[] | null {
  let x: Insn;
  try { x = fetchInsn(mem, addr); } catch (e) { if (e instanceof GuestFault) return null; throw e; }
  if (x.heat < minHeat) return null;
  let blk = x.block;
  if (blk === null || !blk.every((y) => y.valid)) blk = x.block = buildBlock(mem, x);
  return blk;
}

/**
 * Under the loop policy every block head of a new region becomes an entry into it (unless it
 * has a region of its own): a loop's other heads (the inner loop of a nest, the block after a
 * call) then enter the compiled loop instead of compiling overlapping regions of their own.
 * Each head keeps its own entry statistics (a head whose entries stay short is dropped alone).
 */
function enterAtEveryHead(r: CompiledRegion): void {
  const fn = r.fn;
  r.heads.forEach((h, k) => {
    if (k === 0 || h.jit !== null) return;
    h.jit = ((c: CpuState, D: Insn[], H: JitHelpers) => { sideEntries++; return fn(c, D, H, k); }) as unknown as Insn["jit"];
    h.jitD = r.D; h.jitSlice = r.slice ?? REGION_SLICE; h.jitRuns = 0; h.jitRetired = 0;
  });
}
/** Entries into a region at a block other than its first (for tests: the path was taken). */
export let sideEntries = 0;

/** The instruction interpret() was running when it threw (null: a fetch faulted, between instructions). */
let faulting: Insn | null = null;
/**
 * When it threw inside a block's body run without per-instruction budget counting: 1 (c.left
 * then still holds the budget before the block) and the block (0 and null otherwise, when
 * `c.left` is exact).
 */
let faultingInBlock = 0;
let faultingBlock: Insn[] | null = null;

/**
 * The interpreter proper: runs blocks until the budget is spent or the CPU stops (returns
 * null), or, when `tier` is on, until it reaches a block head the second tier wants to look
 * at: one that heads a compiled region, or whose entries just reached its next compile check
 * (returns it, unexecuted). `forced` is a head the tier has just declined: it runs
 * interpreted without being looked at again. Kept apart from run() so that with the tier off,
 * or while nothing is hot, V8 runs a loop that holds no tier code at all: the tier's feedback
 * (region calls, compile decisions) never deoptimises this loop, and a recompile of the small
 * driver costs little.
 */
function interpret(c: CpuState, mem: Memory, trace: TraceRing | undefined, tier: boolean, jitAt: number, forced: Insn | null): Insn | null {
  let cur: Insn | null = null;
  let prev: Insn | null = null;
  let lastHead: Insn | null = null;
  // 1 while the fast path runs a block's body (c.left then still holds the budget before the
  // block). A flag, not that budget: a budget is a double (1e11 in the bench), and V8 converted a
  // double local that the catch block reads to a tagged value before every call in the loop
  let inFastBody = 0;
  let fastBlock: Insn[] | null = null;
  const R = c.regs; // the halves: lo at r, hi at 16 + r
  // the memory's TLB, for the loads and stores run in place below: a hit reads or writes the
  // page's view at once (one lookup for both halves of a 64-bit access, where two r32 calls made
  // two), a miss or a page-straddling access calls Memory (r32, w32, w64, w8), which fills it.
  // Each case spells the lookup out rather than calling a helper (or Memory.r64): a call here is
  // one more V8 must inline, and this loop's inlining budget is what the JCC conditions need
  // (see blockBuilder); handlers outside the loop use Memory's methods (operands.ts load64).
  // The address stays in int32 halves (lo, hi: the sum modulo 2^64, carries by unsigned compare)
  // and finds its entry by integer key: slot (lo >>> 12) & 255, key (lo >>> 20) | (hi << 12),
  // address bits 20-46, valid only while hi < 2^15 (below 2^47, where every mapped page lies).
  // A double sum, Math.floor and the conversions back to int32 made a long chain of
  // floating-point latency before every load (busybox sort -n: 3.8% fewer host instructions per
  // guest instruction this way, tools/cachegrind-marginal.ts). Anything else (a miss, a page end, an address at or past 2^47)
  // takes Memory's path with the address as the handlers compute it (ea(): the exact sum, which
  // agrees with the one modulo 2^64 wherever this path hits; see the memory forms' index guard)
  const rKey = mem.rKey, rDv = mem.rDv, wKey = mem.wKey, wDv = mem.wDv;
  // the next block's head as the last block's direct jump found it (its succT or succF: the
  // instruction at its target or fall-through), or null: the loop head then looks RIP up. Saves
  // the compare of a cached successor's address with RIP (two double loads through their boxes)
  // on the commonest block end (busybox sort -n: 74% of its blocks end in a JCC)
  let nx: Insn | null = null;
  try {
    while (c.left > 0) {
      let d: Insn;
      if (nx !== null && nx.valid === 1) d = nx;
      else {
        const rip = c.rip;
        if (prev !== null) {
          let s = prev.succ;
          if (s === null || s.addr !== rip || !s.valid) {
            s = prev.succ2;
            if (s === null || s.addr !== rip || !s.valid) s = fetchInsn(mem, rip);
            prev.succ2 = prev.succ;
            prev.succ = s;
          }
          d = s;
          // a direct jump's successors, for `nx` next time (what its case in the block-end switch
          // reads; the same links as succ, so shared code links only to shared code: memory.ts)
          const pk = prev.k;
          if (pk >= 40 && pk <= 42) { if (rip === prev.target) prev.succT = s; else if (pk === 40 && rip === prev.next) prev.succF = s; }
        } else d = fetchInsn(mem, rip);
      }
      nx = null;
      if (tier) {
        // every read and compare runs on every block (no short-circuit): a path V8 has never
        // seen taken has no type feedback, and taking it later deoptimises this loop
        const heat = ++d.heat, hot = heat >= jitAt, due = heat >= d.jitNext;
        if (d === forced) forced = null;
        else if (d.jit !== null || (hot && due)) return d;
      }
      let blk: Insn[] | null = d.block;
      if (blk === null) blk = d.block = blockBuilder(mem, d);
      const n = blk.length;
      // a counted loop come round its own back edge: skip the iterations that can be skipped exactly
      // (its own: the block that just ran is this one, whole, so its store, if any, succeeded;
      // another block ending in the same jump may have entered the loop past its store)
      const loop = d.loop;
      if (loop !== null && lastHead === d && prev === blk[n - 1] && trace === undefined && countedLoopsOn) skipIterations(c, loop);
      let left = c.left;
      if (left > n && trace === undefined) {
        // The whole block fits the budget: its first n-1 instructions run without budget or RIP
        // bookkeeping, as none of them reads either (RDTSC, which reads the budget, and the REP
        // string instructions, which spend it, end their blocks; so does SYSCALL, which reads
        // RIP). A fault among them is charged by run() from c.left (`inFastBody`) and the faulting
        // instruction's place in `fastBlock`.
        inFastBody = 1; fastBlock = blk;
        // the body walks the instructions' links (Insn.bn: the same instructions as blk while
        // they are valid, and never changed), counting down the n - 1 before the last: no array,
        // length or bounds checks per step
        let x: Insn = d, j = n - 1;
        for (; j > 0; j--, x = x.bn) {
          if (!x.valid) break;
          cur = x;
          // the commonest handler forms in place (ops/inline-forms.ts: each case repeats its
          // handler's body; the codes are literals so that V8 makes the switch a jump table)
          switch (x.k) {
            case 1 /* K_MOV64 */: R[x.kd] = R[x.ks]!; R[16 + x.kd] = R[16 + x.ks]!; break;
            case 2 /* K_MOV32 */: R[x.kd] = R[x.ks]!; R[16 + x.kd] = 0; break;
            case 3 /* K_LOAD64BD */: {
              const b = x.ks, bl = R[b]!, disp = x.disp, lo = (bl + disp) | 0;
              const hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0, t = (lo >>> 12) & 255, off = lo & 4095;
              let vl: number, vh: number;
              if (rKey[t] === ((lo >>> 20) | (hi << 12)) && (hi >>> 15) === 0 && off <= 4088) { const dv = rDv[t]!; vl = dv.getInt32(off, true); vh = dv.getInt32(off + 4, true); }
              else { const a = R[16 + b]! * 4294967296 + (bl >>> 0) + disp; vl = mem.r32(a); vh = mem.r32(a + 4); }
              R[x.kd] = vl; R[16 + x.kd] = vh;
              break;
            }
            case 4 /* K_LOAD32BD */: {
              const b = x.ks, bl = R[b]!, disp = x.disp, lo = (bl + disp) | 0;
              const hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0, t = (lo >>> 12) & 255, off = lo & 4095;
              const v = rKey[t] === ((lo >>> 20) | (hi << 12)) && (hi >>> 15) === 0 && off <= 4092 ? rDv[t]!.getInt32(off, true) : mem.r32(R[16 + b]! * 4294967296 + (bl >>> 0) + disp);
              R[x.kd] = v; R[16 + x.kd] = 0;
              break;
            }
            case 5 /* K_STORE64BD */: {
              const b = x.kd, r = x.ks, bl = R[b]!, disp = x.disp, lo = (bl + disp) | 0;
              const hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0, t = (lo >>> 12) & 255, off = lo & 4095;
              if (wKey[t] === ((lo >>> 20) | (hi << 12)) && (hi >>> 15) === 0 && off <= 4088) { const dv = wDv[t]!; dv.setInt32(off, R[r]!, true); dv.setInt32(off + 4, R[16 + r]!, true); }
              else mem.w64(R[16 + b]! * 4294967296 + (bl >>> 0) + disp, R[r]!, R[16 + r]!);
              break;
            }
            case 6 /* K_STORE32BD */: {
              const b = x.kd, bl = R[b]!, disp = x.disp, lo = (bl + disp) | 0;
              const hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0, t = (lo >>> 12) & 255, off = lo & 4095;
              if (wKey[t] === ((lo >>> 20) | (hi << 12)) && (hi >>> 15) === 0 && off <= 4092) wDv[t]!.setInt32(off, R[x.ks]!, true);
              else mem.w32(R[16 + b]! * 4294967296 + (bl >>> 0) + disp, R[x.ks]!);
              break;
            }
            case 7 /* K_LEA64BD */: {
              const b = x.ks, r = x.kd, disp = x.disp, sum = (R[b]! >>> 0) + (disp >>> 0);
              R[16 + r] = (R[16 + b]! + (disp >> 31) + (sum > 0xffffffff ? 1 : 0)) | 0;
              R[r] = sum | 0;
              break;
            }
            case 8 /* K_PUSH64 */: {
              const r = x.ks, vl = R[r]!, vh = R[16 + r]!, l = R[4]!, h = R[20]!;
              const nl = (l - 8) | 0, nh = (l >>> 0) < 8 ? (h - 1) | 0 : h, t = (nl >>> 12) & 255, off = nl & 4095;
              if (wKey[t] === ((nl >>> 20) | (nh << 12)) && (nh >>> 15) === 0 && off <= 4088) { const dv = wDv[t]!; dv.setInt32(off, vl, true); dv.setInt32(off + 4, vh, true); }
              else mem.w64(nh * 4294967296 + (nl >>> 0), vl, vh);
              R[4] = nl; R[20] = nh;
              break;
            }
            case 9 /* K_POP64 */: {
              const l = R[4]!, h = R[20]!, t = (l >>> 12) & 255, off = l & 4095;
              let vl: number, vh: number;
              if (rKey[t] === ((l >>> 20) | (h << 12)) && (h >>> 15) === 0 && off <= 4088) { const dv = rDv[t]!; vl = dv.getInt32(off, true); vh = dv.getInt32(off + 4, true); }
              else { const a = h * 4294967296 + (l >>> 0); vl = mem.r32(a); vh = mem.r32(a + 4); }
              R[4] = (l + 8) | 0; R[20] = (l >>> 0) >= 0xfffffff8 ? (h + 1) | 0 : h;
              R[x.kd] = vl; R[16 + x.kd] = vh;
              break;
            }
            // ALU ops ADD, OR, AND, SUB, XOR, CMP (in that order) on a 64-bit register, with a
            // register (10-15) or an immediate (22-27): the lazy flags as alu64 in ops/fast.ts records them
            case 10: case 11: case 12: case 13: case 14: case 15:
            case 22: case 23: case 24: case 25: case 26: case 27: {
              const k = x.kc, r = x.kd, a = R[r]! >>> 0, ah = R[16 + r]! >>> 0;
              let b: number, bh: number, op: number;
              if (k < 16) { b = R[x.ks]! >>> 0; bh = R[16 + x.ks]! >>> 0; op = k - 10; }
              else { b = x.imm >>> 0; bh = x.immHi >>> 0; op = k - 22; }
              let rl: number, rh: number;
              if (op === 0) { const s = a + b; rl = s >>> 0; rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; c.fop = 1 /* FOP_ADD */; }
              else if (op >= 3 && op !== 4) { const s = a - b; rl = s >>> 0; rh = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; c.fop = 2 /* FOP_SUB */; }
              else { rl = (op === 4 ? a ^ b : op === 2 ? a & b : a | b) >>> 0; rh = (op === 4 ? ah ^ bh : op === 2 ? ah & bh : ah | bh) >>> 0; c.fop = 5 /* FOP_LOGIC */; }
              c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = rl; c.frh = rh; c.fw = 8;
              if (op !== 5) { R[r] = rl; R[16 + r] = rh; }
              break;
            }
            // the same on a 32-bit register (16-21 with a register, 28-33 with an immediate), as alu32 records them
            case 16: case 17: case 18: case 19: case 20: case 21:
            case 28: case 29: case 30: case 31: case 32: case 33: {
              const k = x.kc, r = x.kd, a = R[r]! >>> 0;
              let b: number, op: number;
              if (k < 22) { b = R[x.ks]! >>> 0; op = k - 16; }
              else { b = x.imm >>> 0; op = k - 28; }
              let v: number;
              if (op === 0) { v = (a + b) >>> 0; c.fop = 1 /* FOP_ADD */; }
              else if (op >= 3 && op !== 4) { v = (a - b) >>> 0; c.fop = 2 /* FOP_SUB */; }
              else { v = (op === 4 ? a ^ b : op === 2 ? a & b : a | b) >>> 0; c.fop = 5 /* FOP_LOGIC */; }
              c.fa = a; c.fb = b; c.fr = v; c.fw = 4;
              if (op !== 5) { R[r] = v; R[16 + r] = 0; }
              break;
            }
            case 34 /* K_TEST64RR */: {
              const vl = (R[x.kd]! & R[x.ks]!) >>> 0, vh = (R[16 + x.kd]! & R[16 + x.ks]!) >>> 0;
              c.fa = vl; c.fah = vh; c.fb = vl; c.fbh = vh; c.fr = vl; c.frh = vh; c.fw = 8; c.fop = 5 /* FOP_LOGIC */;
              break;
            }
            case 35 /* K_TEST32RR */: {
              const v = (R[x.kd]! & R[x.ks]!) >>> 0;
              c.fa = v; c.fb = v; c.fr = v; c.fw = 4; c.fop = 5 /* FOP_LOGIC */;
              break;
            }
            // SHL/SHR/SAR r64, imm (the same three cases as shiftRI64). Signed halves throughout: a
            // `>>> 0` V8 only ever saw give a small integer deoptimises the loop at the first large one
            case 44 /* K_SHL64I */: {
              const n = x.imm & 63;
              if (n === 0) break;
              const r = x.kd, a = R[r]!, ah = R[16 + r]!;
              let vl: number, vh: number;
              if (n < 32) { vh = (ah << n) | (a >>> (32 - n)); vl = a << n; }
              else { vh = a << (n - 32); vl = 0; }
              const pos = 64 - n;
              const cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
              R[r] = vl; R[16 + r] = vh;
              c.flags = (c.flags & ~0x8d5) | cf | (vl === 0 && vh === 0 ? 0x40 : 0) | ((vh >>> 31) << 7) | (PARITY[vl & 255]! << 2) | ((((vh >>> 31) ^ cf)) << 11);
              c.fop = 0 /* FOP_EAGER */;
              break;
            }
            case 45 /* K_SHR64I */: {
              const n = x.imm & 63;
              if (n === 0) break;
              const r = x.kd, a = R[r]!, ah = R[16 + r]!;
              let vl: number, vh: number;
              if (n < 32) { vl = (a >>> n) | (ah << (32 - n)); vh = ah >>> n; }
              else { vl = (ah >>> (n - 32)) | 0; vh = 0; }
              const pos = n - 1;
              const cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
              R[r] = vl; R[16 + r] = vh;
              c.flags = (c.flags & ~0x8d5) | cf | (vl === 0 && vh === 0 ? 0x40 : 0) | ((vh >>> 31) << 7) | (PARITY[vl & 255]! << 2) | ((ah >>> 31) << 11);
              c.fop = 0 /* FOP_EAGER */;
              break;
            }
            case 46 /* K_SAR64I */: {
              const n = x.imm & 63;
              if (n === 0) break;
              const r = x.kd, a = R[r]!, ah = R[16 + r]!;
              let vl: number, vh: number;
              if (n < 32) { vl = (a >>> n) | (ah << (32 - n)); vh = ah >> n; }
              else { vl = ah >> (n - 32); vh = ah >> 31; }
              const pos = n - 1;
              const cf = pos >= 32 ? (ah >> (pos - 32)) & 1 : (a >>> pos) & 1;
              R[r] = vl; R[16 + r] = vh;
              c.flags = (c.flags & ~0x8d5) | cf | (vl === 0 && vh === 0 ? 0x40 : 0) | ((vh >>> 31) << 7) | (PARITY[vl & 255]! << 2);
              c.fop = 0 /* FOP_EAGER */;
              break;
            }
            case 47 /* K_IMUL64RR */: {
              const a = R[x.kd]! >>> 0, ah = R[16 + x.kd]! >>> 0, b = R[x.ks]! >>> 0, bh = R[16 + x.ks]! >>> 0;
              const al16 = a & 0xffff, ah16 = a >>> 16, bl16 = b & 0xffff, bh16 = b >>> 16;
              const ll = al16 * bl16, mid = al16 * bh16 + ah16 * bl16 + (ll >>> 16);
              const vl = (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
              const vh = (ah16 * bh16 + Math.floor(mid / 65536) + Math.imul(a, bh) + Math.imul(ah, b)) >>> 0;
              c.fop = 8 /* FOP_IMUL64 */; c.fw = 8; c.fa = a; c.fah = ah; c.fb = b; c.fbh = bh; c.fr = vl; c.frh = vh;
              R[x.kd] = vl; R[16 + x.kd] = vh;
              break;
            }
            case 48 /* K_MOVZX8R */: R[x.kd] = R[x.ks]! & 255; R[16 + x.kd] = 0; break;
            // flag writers whose flags are dead (ops/inline-forms.ts markDeadFlags): the result only
            case 50 /* K_NOP64: CMP, TEST */: case 56 /* K_NOP32 */: break;
            case 51 /* ADD r64, r64 */: {
              const r = x.kd, s = x.ks, a = R[r]! >>> 0, b = R[s]! >>> 0, sum = a + b;
              R[16 + r] = (R[16 + r]! + R[16 + s]! + (sum > 0xffffffff ? 1 : 0)) | 0; R[r] = sum | 0;
              break;
            }
            case 52 /* OR */: { const r = x.kd, s = x.ks; R[r] = R[r]! | R[s]!; R[16 + r] = R[16 + r]! | R[16 + s]!; break; }
            case 53 /* AND */: { const r = x.kd, s = x.ks; R[r] = R[r]! & R[s]!; R[16 + r] = R[16 + r]! & R[16 + s]!; break; }
            case 54 /* SUB */: {
              const r = x.kd, s = x.ks, a = R[r]! >>> 0, b = R[s]! >>> 0;
              R[16 + r] = (R[16 + r]! - R[16 + s]! - (a < b ? 1 : 0)) | 0; R[r] = (a - b) | 0;
              break;
            }
            case 55 /* XOR */: { const r = x.kd, s = x.ks; R[r] = R[r]! ^ R[s]!; R[16 + r] = R[16 + r]! ^ R[16 + s]!; break; }
            case 57 /* ADD r32, r32 */: { const r = x.kd; R[r] = (R[r]! + R[x.ks]!) | 0; R[16 + r] = 0; break; }
            case 58 /* OR */: { const r = x.kd; R[r] = R[r]! | R[x.ks]!; R[16 + r] = 0; break; }
            case 59 /* AND */: { const r = x.kd; R[r] = R[r]! & R[x.ks]!; R[16 + r] = 0; break; }
            case 60 /* SUB */: { const r = x.kd; R[r] = (R[r]! - R[x.ks]!) | 0; R[16 + r] = 0; break; }
            case 61 /* XOR */: { const r = x.kd; R[r] = R[r]! ^ R[x.ks]!; R[16 + r] = 0; break; }
            case 62 /* ADD r64, imm */: {
              const r = x.kd, a = R[r]! >>> 0, b = x.imm >>> 0, sum = a + b;
              R[16 + r] = (R[16 + r]! + x.immHi + (sum > 0xffffffff ? 1 : 0)) | 0; R[r] = sum | 0;
              break;
            }
            case 63 /* OR */: { const r = x.kd; R[r] = R[r]! | x.imm; R[16 + r] = R[16 + r]! | x.immHi; break; }
            case 64 /* AND */: { const r = x.kd; R[r] = R[r]! & x.imm; R[16 + r] = R[16 + r]! & x.immHi; break; }
            case 65 /* SUB */: {
              const r = x.kd, a = R[r]! >>> 0, b = x.imm >>> 0;
              R[16 + r] = (R[16 + r]! - x.immHi - (a < b ? 1 : 0)) | 0; R[r] = (a - b) | 0;
              break;
            }
            case 66 /* XOR */: { const r = x.kd; R[r] = R[r]! ^ x.imm; R[16 + r] = R[16 + r]! ^ x.immHi; break; }
            case 67 /* ADD r32, imm */: { const r = x.kd; R[r] = (R[r]! + x.imm) | 0; R[16 + r] = 0; break; }
            case 68 /* OR */: { const r = x.kd; R[r] = R[r]! | x.imm; R[16 + r] = 0; break; }
            case 69 /* AND */: { const r = x.kd; R[r] = R[r]! & x.imm; R[16 + r] = 0; break; }
            case 70 /* SUB */: { const r = x.kd; R[r] = (R[r]! - x.imm) | 0; R[16 + r] = 0; break; }
            case 71 /* XOR */: { const r = x.kd; R[r] = R[r]! ^ x.imm; R[16 + r] = 0; break; }
            // shifts by a nonzero count (a shift by 0 writes no flags and never gets these forms)
            case 72 /* SHL r64, imm */: {
              const n = x.imm & 63, r = x.kd, a = R[r]!, ah = R[16 + r]!;
              if (n < 32) { R[16 + r] = (ah << n) | (a >>> (32 - n)); R[r] = a << n; } else { R[16 + r] = a << (n - 32); R[r] = 0; }
              break;
            }
            case 73 /* SHR */: {
              const n = x.imm & 63, r = x.kd, a = R[r]!, ah = R[16 + r]!;
              if (n < 32) { R[r] = (a >>> n) | (ah << (32 - n)); R[16 + r] = ah >>> n; } else { R[r] = ah >>> (n - 32); R[16 + r] = 0; }
              break;
            }
            case 74 /* SAR */: {
              const n = x.imm & 63, r = x.kd, a = R[r]!, ah = R[16 + r]!;
              if (n < 32) { R[r] = (a >>> n) | (ah << (32 - n)); R[16 + r] = ah >> n; } else { R[r] = ah >> (n - 32); R[16 + r] = ah >> 31; }
              break;
            }
            case 75 /* IMUL r64, r64 */: {
              const a = R[x.kd]! >>> 0, ah = R[16 + x.kd]!, b = R[x.ks]! >>> 0, bh = R[16 + x.ks]!;
              const al16 = a & 0xffff, ah16 = a >>> 16, bl16 = b & 0xffff, bh16 = b >>> 16;
              const ll = al16 * bl16, mid = al16 * bh16 + ah16 * bl16 + (ll >>> 16);
              R[x.kd] = ((mid & 0xffff) << 16) | (ll & 0xffff);
              R[16 + x.kd] = (ah16 * bh16 + Math.floor(mid / 65536) + Math.imul(a, bh) + Math.imul(ah, b)) | 0;
              break;
            }
            case 49 /* K_STORE8 */: {
              // a plain base(+index) operand in register halves, as the memory forms below; a miss
              // or anything else stores through Memory at ea()'s address. A case of its own, not
              // one of those forms, though its address code is theirs again: it is the one memory
              // form of the tight loop the interpreter's MIPS target is judged on, and as one of
              // them that loop ran 125.16 host instructions per guest instruction against 116.72
              // (tools/cachegrind-marginal.ts; V8 laid out the whole loop differently)
              const r = x.ks, v = r < 16 ? R[r]! : R[r - 16]! >>> 8, b = x.base, ix = x.index;
              if (b >= 0 && x.seg === 0 && x.asz32 === 0) {
                const bl = R[b]!, disp = x.disp;
                let lo = (bl + disp) | 0, hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
                if (ix >= 0) {
                  const sh = 31 - Math.clz32(x.scale);
                  let il = R[ix]!, ih = R[16 + ix]!;
                  if (((ih + 32768) >>> 16) !== 0) hi = -1;
                  else {
                    if (sh !== 0) { ih = (ih << sh) | (il >>> (32 - sh)); il <<= sh; }
                    const l2 = (lo + il) | 0;
                    hi = (hi + ih + ((l2 >>> 0) < (lo >>> 0) ? 1 : 0)) | 0; lo = l2;
                  }
                }
                const t = (lo >>> 12) & 255;
                if (wKey[t] === ((lo >>> 20) | (hi << 12)) && (hi >>> 15) === 0) { wDv[t]!.setUint8(lo & 4095, v); break; }
              }
              mem.w8(ea(c, x), v);
              break;
            }
            case 76 /* K_MOVSXD (and CDQE) */: { const v = R[x.ks]!; R[x.kd] = v; R[16 + x.kd] = v >> 31; break; }
            case 77 /* K_LEA32: only the sum's low half matters, so int32 math is exact */: {
              let v = x.disp;
              const b = x.base, ix = x.index;
              if (b >= 0) v = (v + R[b]!) | 0;
              else if (b === -2 /* BASE_RIP */) v = (v + (x.next | 0)) | 0;
              if (ix >= 0) v = (v + Math.imul(R[ix]!, x.scale)) | 0;
              R[x.kd] = v; R[16 + x.kd] = 0;
              break;
            }
            case 78 /* K_LEA64BIS: base + index * scale + disp in halves */: {
              const b = x.base, ix = x.index, sc = x.scale, sh = sc === 1 ? 0 : sc === 2 ? 1 : sc === 4 ? 2 : 3;
              let il = R[ix]! >>> 0, ih = R[16 + ix]!;
              if (sh !== 0) { ih = (ih << sh) | (il >>> (32 - sh)); il = (il << sh) >>> 0; }
              const s1 = (x.disp >>> 0) + (R[b]! >>> 0), s2 = (s1 >>> 0) + il;
              R[16 + x.kd] = ((x.disp >> 31) + R[16 + b]! + (s1 > 0xffffffff ? 1 : 0) + ih + (s2 > 0xffffffff ? 1 : 0)) | 0;
              R[x.kd] = s2 | 0;
              break;
            }
            // INC/DEC keep CF (recorded in c.fc): read here from the record for the kinds that
            // are a compare away (flags.ts getCF's cases for them); after ADC, SBB or IMUL the handler
            // runs. (Not a getCF call: V8 inlined its 330 bytes of bytecode, and the loop then had
            // no inlining budget left for the Jcc conditions, which became calls: sort -n and awk
            // ran no faster for all their handler calls made inline.)
            case 80 /* K_INC64 */: case 81 /* K_DEC64 */: case 82 /* K_INC32 */: case 83 /* K_DEC32 */: {
              const fop = c.fop, w = c.fw;
              let cf: number;
              if (fop === 2 /* FOP_SUB */) cf = (w === 8 ? c.fah < c.fbh || (c.fah === c.fbh && c.fa < c.fb) : c.fa < c.fb) ? 1 : 0;
              else if (fop === 1 /* FOP_ADD */) cf = (w === 8 ? c.frh < c.fah || (c.frh === c.fah && c.fr < c.fa) : c.fr < c.fa) ? 1 : 0;
              else if (fop === 5 /* FOP_LOGIC */) cf = 0;
              else if (fop === 6 /* FOP_INC */ || fop === 7 /* FOP_DEC */) cf = c.fc;
              else if (fop === 0 /* FOP_EAGER */) cf = c.flags & 1;
              else { x.exec(c, x); break; }
              const r = x.kd, k = x.kc;
              if (k >= 82) {
                const a = R[r]! >>> 0, v = (k === 82 ? a + 1 : a - 1) >>> 0;
                R[r] = v; R[16 + r] = 0;
                c.fa = a; c.fb = 1; c.fr = v; c.fw = 4; c.fc = cf; c.fop = k === 82 ? 6 /* FOP_INC */ : 7 /* FOP_DEC */;
                break;
              }
              const a = R[r]! >>> 0, ah = R[16 + r]! >>> 0;
              let vl: number, vh: number;
              if (x.kc === 80) { const s = a + 1; vl = s >>> 0; vh = (ah + (s > 0xffffffff ? 1 : 0)) >>> 0; c.fop = 6 /* FOP_INC */; }
              else { const s = a - 1; vl = s >>> 0; vh = (ah - (s < 0 ? 1 : 0)) >>> 0; c.fop = 7 /* FOP_DEC */; }
              R[r] = vl; R[16 + r] = vh;
              c.fa = a; c.fah = ah; c.fb = 1; c.fbh = 0; c.fr = vl; c.frh = vh; c.fw = 8; c.fc = cf;
              break;
            }
            // memory forms with any address
            case 84: case 85: case 86: case 87: case 88: case 89: case 90: case 91: case 92: case 93: case 94: case 95:
            case 102: case 103: case 104: case 105: case 106: {
              // In place: a plain base(+index) address (in register halves, as the forms above)
              // whose access stays on a page the TLB holds. Anything else (RIP-relative, a segment,
              // 32-bit addressing, a TLB miss, a page-straddling access, an address at or past
              // 2^47) runs the form's handler, which computes the address again (ea())
              const b = x.base, ix = x.index, k = x.kc;
              if (b < 0 || x.seg !== 0 || x.asz32 !== 0) { x.exec(c, x); break; }
              const bl = R[b]!, disp = x.disp;
              let lo = (bl + disp) | 0, hi = (R[16 + b]! + (disp >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
              if (ix >= 0) {
                // + index << log2(scale), in halves; an index outside +-2^47 takes the handler (hi = -1: no
                // key), where ea()'s exact sum and this one modulo 2^64 could differ
                const sh = 31 - Math.clz32(x.scale);
                let il = R[ix]!, ih = R[16 + ix]!;
                if (((ih + 32768) >>> 16) !== 0) hi = -1;
                else {
                  if (sh !== 0) { ih = (ih << sh) | (il >>> (32 - sh)); il <<= sh; }
                  const l2 = (lo + il) | 0;
                  hi = (hi + ih + ((l2 >>> 0) < (lo >>> 0) ? 1 : 0)) | 0; lo = l2;
                }
              }
              const t = (lo >>> 12) & 255, off = lo & 4095, key = (hi >>> 15) === 0 ? (lo >>> 20) | (hi << 12) : -2;
              if (k === 86 /* K_STORE64M */) {
                if (wKey[t] === key && off <= 4088) { const r = x.ks, dv = wDv[t]!; dv.setInt32(off, R[r]!, true); dv.setInt32(off + 4, R[16 + r]!, true); }
                else x.exec(c, x);
              } else if (k === 87 /* K_STORE32M */) {
                if (wKey[t] === key && off <= 4092) wDv[t]!.setInt32(off, R[x.ks]!, true);
                else x.exec(c, x);
              } else if (k === 84 /* K_LOAD64M */ || k === 93 /* K_CMPMI64 */ || k === 103 /* K_ALUGEM64 */ || k === 106 /* K_ALUMR64 */) {
                // CMP m64, imm (a = the memory), op r64, m64 (a = the register), op m64, r64 (a = the memory; stored back unless CMP)
                const stores = k === 106 && ((x.op >> 3) & 7) !== 7;
                if (rKey[t] !== key || off > 4088 || (stores && wKey[t] !== key)) { x.exec(c, x); break; }
                const dv = rDv[t]!, vl = dv.getInt32(off, true), vh = dv.getInt32(off + 4, true);
                if (k === 84) { R[x.kd] = vl; R[16 + x.kd] = vh; break; }
                const op = k === 93 ? 7 : (x.op >> 3) & 7, r = k === 103 ? x.kd : x.ks;
                let al: number, ah: number, bl: number, bh: number;
                if (k === 93) { al = vl >>> 0; ah = vh >>> 0; bl = x.imm >>> 0; bh = x.immHi >>> 0; }
                else if (k === 103) { al = R[r]! >>> 0; ah = R[16 + r]! >>> 0; bl = vl >>> 0; bh = vh >>> 0; }
                else { al = vl >>> 0; ah = vh >>> 0; bl = R[r]! >>> 0; bh = R[16 + r]! >>> 0; }
                let rl: number, rh: number, fop: number;
                if (op === 0) { const s = al + bl; rl = s >>> 0; rh = (ah + bh + (s > 0xffffffff ? 1 : 0)) >>> 0; fop = 1 /* FOP_ADD */; }
                else if (op === 5 || op === 7) { const s = al - bl; rl = s >>> 0; rh = (ah - bh - (s < 0 ? 1 : 0)) >>> 0; fop = 2 /* FOP_SUB */; }
                else { rl = (op === 6 ? al ^ bl : op === 4 ? al & bl : al | bl) >>> 0; rh = (op === 6 ? ah ^ bh : op === 4 ? ah & bh : ah | bh) >>> 0; fop = 5 /* FOP_LOGIC */; }
                if (k === 103 && op !== 7) { R[r] = rl; R[16 + r] = rh; }
                else if (stores) { const wv = wDv[t]!; wv.setInt32(off, rl, true); wv.setInt32(off + 4, rh, true); }
                c.fa = al; c.fah = ah; c.fb = bl; c.fbh = bh; c.fr = rl; c.frh = rh; c.fw = 8; c.fop = fop;
              } else if (k <= 88 /* K_LOAD32M, K_MOVSXDM */ || k === 94 /* K_CMPMI32 */ || k === 104 /* K_ALUGEM32 */ || k === 105 /* K_ALUMR32 */) {
                const stores = k === 105 && ((x.op >> 3) & 7) !== 7;
                if (rKey[t] !== key || off > 4092 || (stores && wKey[t] !== key)) { x.exec(c, x); break; }
                const v = rDv[t]!.getInt32(off, true);
                if (k === 85) { R[x.kd] = v; R[16 + x.kd] = 0; break; }
                if (k === 88) { R[x.kd] = v; R[16 + x.kd] = v >> 31; break; }
                const op = k === 94 ? 7 : (x.op >> 3) & 7, r = k === 104 ? x.kd : x.ks;
                const av = k === 104 ? R[r]! >>> 0 : v >>> 0, bv = k === 94 ? x.imm >>> 0 : k === 104 ? v >>> 0 : R[r]! >>> 0;
                let rv: number, fop: number;
                if (op === 0) { rv = (av + bv) >>> 0; fop = 1 /* FOP_ADD */; }
                else if (op === 5 || op === 7) { rv = (av - bv) >>> 0; fop = 2 /* FOP_SUB */; }
                else { rv = (op === 6 ? av ^ bv : op === 4 ? av & bv : av | bv) >>> 0; fop = 5 /* FOP_LOGIC */; }
                if (k === 104 && op !== 7) { R[r] = rv; R[16 + r] = 0; }
                else if (stores) wDv[t]!.setInt32(off, rv, true);
                c.fa = av; c.fb = bv; c.fr = rv; c.fw = 4; c.fop = fop;
              } else if (k === 90 /* K_MOVZX16M */) {
                if (rKey[t] === key && off <= 4094) { R[x.kd] = rDv[t]!.getUint16(off, true); R[16 + x.kd] = 0; }
                else x.exec(c, x);
              } else if (rKey[t] !== key) x.exec(c, x);
              else {
                // the byte loads: MOVZX, MOVSX to 64 and 32 bits, MOV r8, CMP m8, imm8
                const v = rDv[t]!.getUint8(off);
                if (k === 89) { R[x.kd] = v; R[16 + x.kd] = 0; }
                else if (k === 91) { const sv = (v << 24) >> 24; R[x.kd] = sv; R[16 + x.kd] = sv >> 31; }
                else if (k === 92) { R[x.kd] = (v << 24) >> 24; R[16 + x.kd] = 0; }
                else if (k === 102) { const r = x.kd; if (r < 16) R[r] = (R[r]! & ~255) | v; else R[r - 16] = (R[r - 16]! & ~0xff00) | (v << 8); }
                else { const bv = x.imm & 255; c.fa = v; c.fb = bv; c.fr = (v - bv) & 255; c.fw = 1; c.fop = 2 /* FOP_SUB */; }
              }
              break;
            }
            // byte compares and tests on registers (codes >= 16 name AH..BH)
            case 96 /* K_CMPRI8 */: case 97 /* K_CMPRR8 */: case 98 /* K_TESTRR8 */: case 101 /* K_TESTRI8 */: {
              const ra = x.kd, av = ra < 16 ? R[ra]! & 255 : (R[ra - 16]! >>> 8) & 255, k = x.kc;
              let bv: number;
              if (k === 96 || k === 101) bv = x.imm & 255;
              else { const rb = x.ks; bv = rb < 16 ? R[rb]! & 255 : (R[rb - 16]! >>> 8) & 255; }
              c.fa = av; c.fb = bv; c.fw = 1;
              if (k >= 98) { c.fr = av & bv; c.fop = 5 /* FOP_LOGIC */; } else { c.fr = (av - bv) & 255; c.fop = 2 /* FOP_SUB */; }
              break;
            }
            case 99 /* K_MOVRI64 */: R[x.kd] = x.imm; R[16 + x.kd] = x.immHi; break;
            case 100 /* K_MOVRI32 */: R[x.kd] = x.imm; R[16 + x.kd] = 0; break;
            default: x.exec(c, x);
          }
        }
        const i = n - 1 - j; // the instructions run (x is blk[i])
        // the block's last instruction
        if (j === 0 && x.valid) {
          cur = x;
          // the block-ending forms in place (ops/inline-forms.ts), each setting RIP once, with c.left
          // still the budget before the block (a fault among them is charged as in the body) and
          // set once after them; the rest, a REP string instruction among them, which spends its
          // iterations from c.left itself, through exec, with c.left and RIP exact
          switch (x.k) {
            case 40 /* K_JCC */: if (cond(c, x.op & 15)) { c.rip = x.target; nx = x.succT; } else { c.rip = x.next; nx = x.succF; } break;
            case 41 /* K_JMP */: c.rip = x.target; nx = x.succT; break;
            case 39 /* K_JMPR */: { const r = x.kd; c.rip = R[16 + r]! * 4294967296 + (R[r]! >>> 0); break; }
            case 42 /* K_CALLREL */: {
              const n = x.next, l = R[4]!, h = R[20]!;
              const nl = (l - 8) | 0, nh = (l >>> 0) < 8 ? (h - 1) | 0 : h, t = (nl >>> 12) & 255, off = nl & 4095;
              if (wKey[t] === ((nl >>> 20) | (nh << 12)) && (nh >>> 15) === 0 && off <= 4088) { const dv = wDv[t]!; dv.setInt32(off, n | 0, true); dv.setInt32(off + 4, (n / 4294967296) | 0, true); }
              else mem.w64(nh * 4294967296 + (nl >>> 0), n | 0, (n / 4294967296) | 0);
              R[4] = nl; R[20] = nh;
              c.rip = x.target; nx = x.succT;
              break;
            }
            case 43 /* K_RET */: {
              const l = R[4]!, h = R[20]!, t = (l >>> 12) & 255, off = l & 4095;
              let vl: number, vh: number;
              if (rKey[t] === ((l >>> 20) | (h << 12)) && (h >>> 15) === 0 && off <= 4088) { const dv = rDv[t]!; vl = dv.getInt32(off, true); vh = dv.getInt32(off + 4, true); }
              else { const a = h * 4294967296 + (l >>> 0); vl = mem.r32(a); vh = mem.r32(a + 4); }
              R[4] = (l + 8) | 0; R[20] = (l >>> 0) >= 0xfffffff8 ? (h + 1) | 0 : h;
              c.rip = vh * 4294967296 + (vl >>> 0);
              break;
            }
            default: c.left = left - i; inFastBody = 0; c.rip = x.next; x.exec(c, x); left = c.left + i;
          }
          prev = x;
          c.left = left - n;
          inFastBody = 0;
        } else {
          // code rewritten under us: decode afresh from the first instruction not run
          c.left = left - i;
          inFastBody = 0;
          d.block = null;
          c.rip = x.addr;
          if (i > 0) prev = blk[i - 1]!;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const x: Insn = blk[i]!;
          if (!x.valid) { d.block = null; break; } // code rewritten under us: decode afresh
          cur = x;
          if (trace !== undefined) trace.push(x.addr);
          c.rip = x.next;
          x.exec(c, x);
          prev = x;
          if (--c.left <= 0) break;
        }
      }
      lastHead = d;
      // past the block nothing has faulted: a fault from here on is the next fetch's, and RIP
      // stays at its address (the instruction before it retired)
      cur = null;
      // an indirect jump ends its block: note where it went (the region builder's edges; only
      // the tier reads them). On every pass until its block is first looked at for a region,
      // then on one pass in 16, counted 16 times: a map update per dispatch cost the bytecode
      // interpreter 11% more host instructions per guest instruction with the tier on than off
      // while the tier compiled nothing (tools/cachegrind-marginal.ts; 5% with the samples). The
      // passes sampled are those whose entry count's Fibonacci hash has its top 4 bits clear,
      // not every 16th: a dispatch whose targets repeat with a period dividing 16 (a bytecode
      // loop of 8 instructions) would have fed every sample to the same target
      const ind = prev === null || !tier ? null : prev.ind;
      if (ind !== null) {
        const heat = d.heat, exact = heat < jitAt;
        // The hash is computed on every recorded pass, read or not: the priming code never gets
        // a block to its first look, and a Math.imul V8 had no feedback for deoptimised this
        // loop at the first sampled pass of every program with an indirect jump (`--trace-deopt`:
        // awk, sort, sort -n, the bytecode interpreter), then spent ~0.4 s of CPU compiling it
        // again while it ran unoptimised
        const sampled = Math.imul(heat, 0x9e3779b1) >>> 28 === 0;
        if (exact || sampled) {
          const w = exact ? 1 : 16, k = ind.get(c.rip);
          if (k !== undefined) ind.set(c.rip, k + w);
          else if (ind.size < MAX_IND) ind.set(c.rip, w);
        }
      }
      if (c.stop !== null) return null;
    }
    return null;
  } catch (e) {
    // run() puts RIP back at the faulting instruction. Nothing here that V8 types by
    // feedback (an `instanceof`, a property read): this block runs only on a guest fault, and
    // optimised code deoptimised this loop at every fault (116 times in one pass of the
    // default mix) when it did more than store a variable.
    faulting = cur;
    faultingInBlock = inFastBody;
    faultingBlock = fastBlock;
    throw e;
  }
}

/** The interpreter loop itself, for the test that watches how V8 optimises it (test/tier-deopt-workload.ts). */
export const interpreterLoopForV8Tests = interpret;

/**
 * Execute until a stop condition. Exactly `maxInsns` instructions retire before a
 * `budget` stop; a SYSCALL/HLT counts as retired; a faulting instruction does not retire
 * and RIP points at it. Throws only for emulator bugs.
 */
export function run(c: CpuState, mem: Memory, maxInsns: number, trace?: TraceRing): Stop {
  if (!(maxInsns >= 0)) throw new RangeError("maxInsns must be >= 0");
  c.mem = mem;
  c.stop = null;
  c.left = maxInsns;
  c.runStart = maxInsns;
  let jitD: Insn[] | null = null;
  /** Budget held back from the running region (its slice; see REGION_SLICE). */
  let held = 0;
  const jitAt = JIT_THRESHOLD;
  const tier = trace === undefined && jitAt > 0;
  let forced: Insn | null = null;
  try {
    for (;;) {
      const d = interpret(c, mem, trace, tier, jitAt, forced);
      forced = null;
      if (d === null) break; // budget spent or the CPU stopped
      if (d.jit === null) {
        const joinHeat = Math.max(1, jitAt >> 3);
        const r = compileRegion(d, (addr, isHead) => regionBlockAt(mem, addr, isHead ? 0 : joinHeat), jitAt > 1, c);
        if (typeof r === "number") d.jitNext = Math.min(NEVER, Math.ceil(d.heat * r)) | 0; // not yet: look again at r times the entries
        else if (r === null) d.jitNext = NEVER;
        else { d.jit = r.fn as unknown as Insn["jit"]; d.jitD = r.D; d.jitSlice = r.slice ?? REGION_SLICE; d.jitRuns = 0; d.jitRetired = 0; regionLog?.push(d); if (jitAt > 1) enterAtEveryHead(r); }
        if (d.jit === null) { forced = d; continue; }
      }
      const L = c.left;
      held = L > d.jitSlice ? L - d.jitSlice : 0;
      c.left = L - held;
      jitD = d.jitD;
      const r = (d.jit as unknown as JitRegion)(c, jitD!, JIT_HELPERS);
      jitD = null;
      c.left += held;
      held = 0;
      if (jitAt > 1) {
        d.jitRetired += L - c.left;
        if (++d.jitRuns === DEMOTE_PROBE) {
          if (d.jitRetired < DEMOTE_PROBE * DEMOTE_MIN_PER_ENTRY) { d.jit = null; d.jitD = null; d.jitNext = NEVER; }
          else { d.jitRuns = 0; d.jitRetired = 0; }
        }
      }
      if (r === 2) { d.jit = null; d.jitD = null; d.heat = 0; d.jitNext = 0; forced = d; } // its code was rewritten: interpret, maybe recompile later
      else if (c.left === L && c.stop === null) forced = d; // the budget cannot cover the head block: interpret it
      if (c.stop !== null) break;
    }
    if (c.stop !== null) {
      const s = c.stop;
      c.stop = null;
      return s === "syscall" ? { kind: "syscall" } : { kind: "hlt" };
    }
    return { kind: "budget" };
  } catch (e) {
    c.left += held;
    if (e instanceof GuestFault) {
      // a faulting instruction does not retire: RIP back at it
      if (jitD !== null) c.rip = jitD[c.jk]!.addr, c.left -= c.jk - c.jb;
      else if (faulting !== null) {
        c.rip = faulting.addr;
        // the instructions before it in its block retired
        if (faultingInBlock === 1) c.left -= faultingBlock!.indexOf(faulting);
      }
      faulting = null;
      faultingInBlock = 0;
      faultingBlock = null;
      return { kind: "fault", fault: e.fault };
    }
    throw e;
  } finally {
    c.icount += maxInsns - c.left;
    c.left = 0;
    c.runStart = 0;
  }
}

/**
 * Run every inline form's case in interpret() at load (ops/inline-forms.ts PRIMING_CODE), so
 * that V8 optimises the loop with type feedback on every path: a path without any compiles to a
 * deoptimisation, and every path a program met first after that cost a recompile of the loop.
 */
function primeInterpreter(): void {
  // V8 gives a function its feedback vector only after some runs (lazy feedback allocation), and
  // a memory access misses its TLB only on a fresh memory: several runs, each on a fresh one; and
  // values and addresses on both sides of 2^31 (a field or value V8 saw only as a small integer
  // is a deoptimisation when it first holds a larger one)
  for (let k = 0; k < 16; k++) {
    // (the last run: V8 records call targets only once the function has its feedback vector)
    if (k === 15) blockBuilder = (m, d) => buildBlock(m, d);
    const { m, stop } = runPrimingCode(k);
    if (stop.kind !== "hlt") throw new Error(`run.ts: the interpreter's priming code ended with ${stop.kind}`);
    m.release();
  }
  blockBuilder = buildBlock;
  primeConditions();
}

/**
 * Run k (0-15) of primeInterpreter: PRIMING_CODE on a fresh memory (the caller releases it), its
 * code at `code`. The bits of k choose addresses below or above 2^31 (2), register values of
 * either sign (1, 4), a preloaded TLB (8) and a small budget (15).
 */
export function runPrimingCode(k: number): { m: Memory; code: number; stop: Stop } {
  const base = k & 2 ? 0x80000000 : 0, big = k & 4 ? 0x80000000 : 0;
  const m = new Memory(32);
  const code = base + 0x10000, data = base + 0x20000;
  m.map(code, 4096, PROT_READ | PROT_EXEC);
  // pages 0-25: PRIMING_CODE gives each memory form a page of its own to miss on (5 is the stack)
  m.map(data, 26 * 4096, PROT_READ | PROT_WRITE);
  m.writeBytes(code, Uint8Array.from(forms.PRIMING_CODE));
  // the value the flag writers start from, a different one in each run
  m.w64(data + 0x108, k & 1 ? 0x9abcdef1 | 0 : 0x1234567, k & 4 ? 0xfedcba98 | 0 : 1);
  // the memory forms' data (pages 7-25, where [rbx+rdx*2+disp] reads): values with the high bit
  // set in half the runs, so that each form's `>>> 0` has seen a large value before the loop is
  // optimised (else a "lost precision" deoptimisation at a program's first); then an empty TLB
  for (let p = 7; p < 26; p++) for (const off of [0x116, 0x11e]) m.w64(data + p * 4096 + off, k & 1 ? 0x87654321 | 0 : 0x12345678, k & 1 ? 0xfedcba98 | 0 : 0x01234567);
  m.flushTlb();
  // rax and rcx ordered both ways (the JB taken and not); rbx a data base, rsp a stack
  const c = new CpuState();
  c.rip = code;
  c.lo[0] = (big + 5 + (k & 1) * 2) | 0; c.lo[1] = (big + 7 - (k & 1) * 2) | 0; c.hi[0] = c.hi[1] = big ? -1 : 0;
  c.lo[3] = (data + 0x100) | 0; c.lo[4] = (data + 5 * 4096 + 0xf00) | 0;
  c.fsBase = data + 4 * 4096;
  // half the runs with every data page in the TLB already, so that each load and store form
  // hits it on its first access there: interpret() runs TLB hits in place and calls Memory on a
  // miss, and both paths need type feedback (running the code twice instead made the loop hot
  // enough to be optimised at import)
  // (a page's first write copies the zero page, which forgets the TLB entries of the page and its
  // neighbours: so every page is written once before any is put in the TLB)
  if (k & 8) {
    for (let p = 0; p < 26; p++) m.wpage(data + p * 4096);
    for (let p = 0; p < 26; p++) { m.wpage(data + p * 4096); m.rpage(data + p * 4096); }
  }
  // the last run starts on a budget smaller than its first block, so that a block also runs one
  // instruction at a time (the path for a block the budget cannot cover) and run() stops on the
  // budget (once only: each instruction run so calls its handler, and compiling those at load
  // cost ~30 ms a run)
  let stop = run(c, m, k === 15 ? 5 : 4000);
  if (stop.kind === "budget") stop = run(c, m, 4000);
  return { m, code, stop };
}

/**
 * Every condition code after every kind and width of lazy flag producer, results zero and not,
 * of both signs, high halves equal and not: the JCC case calls cond() (flags.ts), which V8 inlines into interpret() with
 * the feedback of cond's own paths, and a path no program had taken before the loop was
 * optimised deoptimised it (`c.frh` in condZ after a 64-bit result, on every bench program).
 */
function primeConditions(): void {
  const c = new CpuState();
  const values = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  let seed = 1;
  const pick = (mask: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return (values[(seed >>> 16) % values.length]! & mask) >>> 0; };
  // twice: V8 gives a function its feedback vector only after some calls, so the first pass's
  // first kinds (fop 0: condP's RFLAGS read) left no feedback (a deoptimisation in busybox awk)
  for (let pass = 0; pass < 2; pass++) for (let fop = 0; fop <= 8; fop++) {
    for (const w of [1, 2, 4, 8]) {
      const mask = w === 8 ? 0xffffffff : 2 ** (w * 8) - 1;
      for (let i = 0; i < 4; i++) {
        c.fop = fop; c.fw = w; c.fc = i & 1; c.flags = 0x202 | (i % 4 === 1 ? 0x8d5 : 0);
        c.fa = pick(mask); c.fb = pick(mask); c.fr = i % 3 === 0 ? 0 : pick(mask);
        c.fah = w === 8 ? pick(0xffffffff) : 0; c.fbh = w === 8 && i & 1 ? pick(0xffffffff) : c.fah;
        c.frh = w === 8 && i !== 0 ? pick(0xffffffff) : 0;
        for (let j = 0; j < 8; j++) cond(c, 2 * j + ((i + j) & 1)); // each condition and its negation
      }
    }
  }
}
primeInterpreter();
