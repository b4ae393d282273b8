/**
 * When a loop region is worth compiling (run.ts's loop policy through compileRegion): the region
 * limits (blocks, instructions, indirect jump targets), the promotion volumes measured against
 * V8's compile cost, the verdicts remembered per head (declined nests, code sizes seen,
 * induction values), and the shape of a region's block graph the policy reads (the cycle
 * through its head, its innermost loop, whether it loops at all). Apart from jit.ts because it
 * decides and measures while jit.ts generates code, and its measurements carry long comments.
 */
import type { CpuState } from "./state.js";
import type { Insn } from "./insn.js";
import { isJcc } from "./jit-emit.js";

/** Region limits: blocks, and instructions in all. */
export const MAX_REGION_BLOCKS = 8, MAX_REGION_INSNS = 96;
/** Under the loop policy: blocks the search may look at, and instructions in the loop it keeps. */
export const MAX_LOOP_SEARCH_BLOCKS = 48, MAX_LOOP_INSNS = 400;
/**
 * Under the loop policy a region is compiled only once its blocks have already run this many
 * instructions in the interpreter (sum over its blocks of entries x length), on the rule that
 * a region's future is about its past, and the bar is the cost of compiling it. V8's
 * optimising compile of a region costs about as much as interpreting a few million guest
 * instructions for a large one, and the region runs in V8's unoptimised tiers (several times
 * slower than the interpreter) until it is done. That cost grows faster than the region's
 * instruction count: it is driven by the generated code (each x86 block is a switch case that
 * every register local merges at, stores and faulting loads add branches). Measured with
 * `node --trace-opt` on this machine under load: the bench loop's 3.8K characters 20-60 ms,
 * quicksort's 17K-character loop nest 440 ms, then 555 ms more for an OSR compile; bzip2's
 * 5.4K-character loop 32 ms, then 91 ms for OSR, and at 400 per character it ran 0.8x the
 * interpreter (it retired 2.7M instructions compiled). So the bar
 * is PROMOTE_VOLUME_PER_CHAR per character of generated code (at least PROMOTE_VOLUME_FLOOR),
 * and a loop whose code is longer than MAX_REGION_CHARS is not compiled at all: within the
 * bench's programs (4-30M instructions) no such region paid back its compile (quicksort 0.4x,
 * bzip2 0.7x, the bytecode interpreter 1.0x with 14-22K-character regions compiled).
 */
export const PROMOTE_VOLUME_PER_CHAR = 800;
export const PROMOTE_VOLUME_FLOOR = 1 << 17;
export const MAX_REGION_CHARS = 6000;
/**
 * A region of one block that loops to itself is the cheap case: V8 compiles a single straight
 * block without a dispatch switch in a fraction of the time (measured: 20-60 ms of compiler
 * thread on a loaded machine for the bench loop's 17 instructions, about what the interpreter
 * spends on 1-2M guest instructions), and such a loop has no cold paths left to deoptimise on.
 * It is compiled once it has run this many instructions per instruction of its block, and at
 * least PROMOTE_VOLUME_SELF_LOOP in all (the floor keeps bzip2's 5-instruction prefix-sum loop,
 * which did not clearly pay compiled, interpreted): the bench loop (17 instructions) at 557K.
 */
export const PROMOTE_VOLUME_PER_INSN_SELF_LOOP = 1 << 15;
export const PROMOTE_VOLUME_SELF_LOOP = 1 << 19;
/**
 * A self loop jit-wasm.ts takes costs next to nothing to compile: its module (about 1.4 KB for
 * the bench loop) compiles and instantiates in 45-70 us (V8's baseline wasm compiler; its
 * optimising one follows on a background thread), against 20-60 ms of TurboFan for the same
 * loop as JS. So it is compiled once its block has run this many instructions interpreted
 * (about 160 us at 100 MIPS), a bar for loops that are run at all, not for their compile.
 */
export const PROMOTE_VOLUME_WASM_LOOP = 1 << 14;
/** A factor on every promotion volume (1 in use; tests scale the policy down to their small loops). */
let promoteScale = 1;
export function setPromoteScale(k: number): void { promoteScale = k; }
/** Interpreted instructions a self loop compiled to wasm must have shown (see PROMOTE_VOLUME_WASM_LOOP). */
export function promoteVolumeWasm(): number { return promoteScale * PROMOTE_VOLUME_WASM_LOOP; }
/** Interpreted instructions a loop region must have shown before it is compiled (see above). */
export function promoteVolume(nBlocks: number, nInsns: number, chars: number): number {
  return promoteScale * (nBlocks === 1 ? Math.max(PROMOTE_VOLUME_SELF_LOOP, nInsns * PROMOTE_VOLUME_PER_INSN_SELF_LOOP)
    : Math.max(PROMOTE_VOLUME_FLOOR, chars * PROMOTE_VOLUME_PER_CHAR));
}
/**
 * Fewer characters of generated code than a region of n instructions has (the check before
 * generating it). The bench's regions run 115 (sha256's straight 32-bit round loop) to 270 per
 * instruction; at 80 a loop nest of more than 75 instructions is found too big without
 * generating its 15-17K characters first (quicksort's, the bytecode interpreter's: their
 * compileRegion calls 84 -> 38 and 39 -> 17, the latter's time in it 64 -> 4 ms).
 */
export const MIN_CHARS_PER_INSN = 80;
/**
 * Heads of loop nests found too big or calling handlers. Every head of a loop nest finds the
 * same loop (the nest's strongly connected blocks), so one verdict serves them all instead of
 * each searching, generating its code and declining it again (measured: that churn alone made
 * the bench's quicksort a third slower with nothing compiled). A head of a declined nest is
 * looked at once more for its innermost loop alone (innerCycle): sha256's 47-instruction round
 * loop, 72% of its run, is a single block that loops to itself inside a 285-instruction nest.
 */
export const declined = new WeakSet<Insn>();
/**
 * Decline a loop: a whole nest (inner false) marks its heads, and the head looks again, at its
 * innermost loop, when that is smaller (after a quarter more entries: run.ts's retry); an
 * innermost loop declined is final for its head alone (null).
 */
export function decline(blocks: RBlock[], byAddr: Map<number, RBlock>, inner: boolean): null | number {
  if (inner) return null;
  for (const rb of blocks) declined.add(rb.insns[0]!);
  return innerCycle(blocks, byAddr).length < blocks.length ? 1.25 : null;
}
/**
 * Instructions an innermost loop has retired per entry into it, estimated within its nest: the
 * head's passes times the loop's length over the entries of the nest's blocks outside the loop
 * that lead to its head (0 when none does: nothing known). A loop of a few trips per entry
 * (quicksort's partition scans, each of the bytecode interpreter's opcodes through its
 * dispatch: 4-30 instructions) only pays V8's compile back in entries and exits, and run.ts
 * demotes it after its first 64 entries anyway; measured compiled, quicksort ran 0.8x.
 */
export function perEntry(cycle: RBlock[], nest: RBlock[]): number {
  const head = cycle[0]!, len = cycle.reduce((n, rb) => n + rb.insns.length, 0);
  const entries = nest.reduce((n, rb) => (!cycle.includes(rb) && rb.succs.includes(head.addr) ? n + rb.insns[0]!.heat : n), 0);
  return entries === 0 ? 0 : head.insns[0]!.heat * len / entries;
}
/** The least perEntry for which the innermost loop of a declined nest is looked at. */
export const INNER_MIN_PER_ENTRY = 512;
/** The generated code's size, by head, as last generated for a region not yet worth compiling. */
export const codeSizeSeen = new WeakMap<Insn, { n: number; chars: number }>();
/**
 * How much more its head must run before a region short of its bar is looked at again: the
 * volume grows with the head's entries, so about bar/volume times as many (at least a quarter
 * more). Each look searches the loop and may generate its code, and every head of a loop looks.
 */
export const laterBy = (volume: number, bar: number): number => Math.max(1.25, bar / Math.max(1, volume));
/** Observed targets of an indirect jump that join its region: the most frequent ones. */
const MAX_INDIRECT_TARGETS = 16;

/** A block of a region: its address, instructions (cut before one that reads the budget), first index in D and static successors. */
export interface RBlock { addr: number; insns: Insn[]; start: number; cut: boolean; succs: number[] }

/** Targets an indirect jump was seen to take (by the interpreter), most frequent first. */
export function indirectTargets(d: Insn): number[] {
  if (d.ind === null) return [];
  return [...d.ind].sort((a, b) => b[1] - a[1]).slice(0, MAX_INDIRECT_TARGETS).map(([t]) => t);
}

/**
 * The blocks of a region that lie on a cycle through its head (the head's strongly connected
 * component in the static edge graph), in their search order (the head first); just the head
 * when no cycle returns to it.
 */
export function loopOf(blocks: RBlock[], byAddr: Map<number, RBlock>): RBlock[] {
  const preds = new Map<RBlock, RBlock[]>();
  for (const rb of blocks) for (const a of rb.succs) {
    const t = byAddr.get(a);
    if (t !== undefined) { let p = preds.get(t); if (p === undefined) preds.set(t, p = []); p.push(rb); }
  }
  const head = blocks[0]!;
  const reaches = new Set<RBlock>();
  const stack = [...(preds.get(head) ?? [])];
  while (stack.length > 0) {
    const rb = stack.pop()!;
    if (reaches.has(rb)) continue;
    reaches.add(rb);
    stack.push(...(preds.get(rb) ?? []));
  }
  // every block the search found was reached from the head, so reaching the head back = on a cycle through it
  return reaches.has(head) ? blocks.filter((rb) => reaches.has(rb)) : [head];
}

/**
 * The head's innermost loop within its nest: the blocks of a shortest cycle through the head
 * (breadth-first over the static edges), the head first; just the head when none returns to it.
 */
export function innerCycle(blocks: RBlock[], byAddr: Map<number, RBlock>): RBlock[] {
  const head = blocks[0]!;
  const from = new Map<RBlock, RBlock>();
  const queue = [head];
  for (let i = 0; i < queue.length; i++) {
    const rb = queue[i]!;
    for (const a of rb.succs) {
      const t = byAddr.get(a);
      if (t === undefined) continue;
      if (t === head) {
        const path = [rb];
        while (path[0] !== head) path.unshift(from.get(path[0]!)!);
        return path;
      }
      if (!from.has(t)) { from.set(t, rb); queue.push(t); }
    }
  }
  return [head];
}

/** A constant added to a GPR by INC/DEC or ADD/SUB imm (32- or 64-bit), or null. */
function stepOf(d: Insn): { reg: number; step: number } | null {
  if (d.map !== 0 || d.mod !== 3 || (d.opsz !== 8 && d.opsz !== 4) || d.lock) return null;
  const digit = d.reg & 7;
  if (d.op === 0xff && digit <= 1) return { reg: d.rm, step: digit === 0 ? 1 : -1 };
  if ((d.op === 0x83 || d.op === 0x81) && (digit === 0 || digit === 5) && d.imm !== 0) return { reg: d.rm, step: digit === 0 ? d.imm : -d.imm };
  return null;
}

/**
 * What a loop still running its first entry has left to run, estimated from the registers at
 * its head: for a block of the loop that leaves it by a Jcc right after CMP r, r/imm (32- or
 * 64-bit) where the same block adds a constant to one of the two registers, the iterations
 * until they meet times the instructions the loop has run per pass through that block. Only
 * when the induction register has moved by exactly the step times the passes since the head's
 * previous look (one entry still running, as a loop run once over a large array does); a loop
 * entered again and again (an inner loop of a few trips) resets it, and null leaves its
 * decision to the volume alone, as does an exit of any other shape or a count that is not
 * positive. Only the tier policy reads it: a wrong estimate costs speed, never sameness.
 */
export function remainingVolume(head: Insn, blocks: RBlock[], byAddr: Map<number, RBlock>, c: CpuState, volume: number): number | null {
  const value = (r: number, w: number) => (w === 8 ? c.hi[r]! * 4294967296 + (c.lo[r]! >>> 0) : c.lo[r]! >>> 0);
  for (const rb of blocks) {
    const n = rb.insns.length, j = rb.insns[n - 1]!, cmp = rb.insns[n - 2];
    if (rb.cut || cmp === undefined || !isJcc(j) || byAddr.has(j.next) === byAddr.has(j.target)) continue;
    if (cmp.map !== 0 || cmp.mod !== 3 || (cmp.opsz !== 8 && cmp.opsz !== 4)) continue;
    const w = cmp.opsz;
    let a: number, b: number;
    if (cmp.op === 0x39) { a = cmp.rm; b = cmp.reg; }
    else if (cmp.op === 0x3b) { a = cmp.reg; b = cmp.rm; }
    else if ((cmp.op === 0x81 || cmp.op === 0x83) && (cmp.reg & 7) === 7) { a = cmp.rm; b = -1; }
    else continue;
    for (const u of rb.insns.slice(0, n - 2)) {
      const st = stepOf(u);
      if (st === null || (st.reg !== a && st.reg !== b)) continue;
      const passes = rb.insns[0]!.heat, ind = value(st.reg, w);
      const seen = inductionSeen.get(head);
      inductionSeen.set(head, { passes, ind });
      // (a head the policy looked at counts one pass twice: the tier's return and the rerun)
      if (seen === undefined || Math.abs((ind - seen.ind) / st.step - (passes - seen.passes)) > 8) return null;
      const bound = st.reg === a ? (b < 0 ? (w === 8 ? cmp.imm : cmp.imm >>> 0) : value(b, w)) : value(a, w);
      const left = (bound - ind) / st.step;
      if (!(left > 0) || !Number.isFinite(left)) return null;
      return left * (volume / Math.max(1, passes));
    }
  }
  return null;
}
/** Per head: the exit block's passes and the induction register's value at the previous look. */
const inductionSeen = new WeakMap<Insn, { passes: number; ind: number }>();

/** Does the region's static edge graph hold a cycle (a loop that stays in compiled code)? */
export function hasCycle(blocks: RBlock[], byAddr: Map<number, RBlock>): boolean {
  const state = new Map<RBlock, number>(); // 1 on the DFS stack, 2 done
  const visit = (rb: RBlock): boolean => {
    state.set(rb, 1);
    for (const a of rb.succs) {
      const t = byAddr.get(a);
      if (t === undefined) continue;
      const st = state.get(t);
      if (st === 1 || (st === undefined && visit(t))) return true;
    }
    state.set(rb, 2);
    return false;
  };
  return blocks.some((rb) => !state.has(rb) && visit(rb));
}
