/**
 * Second tier: compiles a hot *region* (the hot blocks reachable from a hot block head by
 * static edges: loops, fall-throughs, calls) into one JS function that loops over its blocks
 * with a dispatch switch, so control stays in compiled code across branches, calls and returns
 * that land inside the region (chaining) and V8 optimises the loop as a whole. Under the loop
 * policy (run.ts) a region is the loop through its head: the blocks on a cycle through it,
 * a call's callee left out; it can be entered at any of its block heads.
 *
 * Per instruction: register/memory integer ops (byte ones too), loads, stores, LEA (32/64),
 * IMUL (with and without an immediate), MOVSX/MOVSXD, INC/DEC, NOT/NEG, CMOVcc/SETcc, PUSH/POP, CALL/RET/JMP, scalar-double SSE2 and
 * SSE moves are emitted inline with constant register numbers; everything else calls the
 * instruction's own handler. A conditional jump (CMOVcc, SETcc) is fused with its flag producer
 * when that producer is inline in the same block (the condition is a plain comparison of the
 * recorded operands). Lazy-flag writes are dropped when a later inline instruction overwrites
 * all flags before anything could read them. Guest state the region touches lives in JS locals
 * while it runs (see localize, jit-locals.ts).
 *
 * Contract with run(): the function checks the budget before each block (it never starts a
 * block the budget cannot cover), keeps `c.left` exact at block boundaries and on every exit,
 * sets `c.jb` (index in D of the running block's first instruction) and `c.jk` (index of the
 * instruction that may fault next) so a fault can be made precise, and exits with RIP set when
 * control leaves the region, a handler stops the CPU, a handler or 16-byte store invalidated
 * code of the region, or a store missed its site's cache (RIP is then the store's own
 * instruction, not yet run: see cacheStores, jit-access.ts). A region of one block that jumps
 * back to itself runs as a plain loop (no dispatch; see selfLoop in compileRegion), under the same
 * contract; when its instructions are all integer forms jit-wasm.ts has, as WebAssembly. Returns 2
 * (and retires nothing) if the region's code was invalidated before entry, else 0.
 *
 * This file builds a region and assembles its code. The parts it uses live apart, each with one
 * job: jit-emit.ts the code of each instruction, jit-flags.ts what the code knows of the
 * lazy-flag record, jit-locals.ts guest state in locals (with jit-access.ts, stores through
 * per-site caches), jit-policy.ts when a loop is worth compiling, jit-wasm.ts (with
 * wasm-encode.ts) self loops on 64-bit registers.
 */
import type { CpuState } from "./state.js";
import type { Insn } from "./insn.js";
import { setArith, szp, materialize, cond, getCF } from "./flags.js";
import { cfOf, condExpr, cfExpr, CF_ANY, guarded, type Producer } from "./jit-flags.js";
import {
  FX, type Emitted, emit, RSP_GET, RSP_SET, halves, readsBudget, isJcc, isJmpRel, isCallRel, isRet, isJmpIndirect, endsBlock, indirectJump,
} from "./jit-emit.js";
import {
  MAX_REGION_BLOCKS, MAX_REGION_INSNS, MAX_LOOP_SEARCH_BLOCKS, MAX_LOOP_INSNS, MAX_REGION_CHARS, MIN_CHARS_PER_INSN, INNER_MIN_PER_ENTRY,
  promoteVolume, promoteVolumeWasm, declined, decline, perEntry, codeSizeSeen, laterBy, indirectTargets, loopOf, innerCycle, remainingVolume, hasCycle, type RBlock,
} from "./jit-policy.js";
import { onlyCachedStores } from "./jit-access.js";
import { localize } from "./jit-locals.js";
import { buildSelfLoopWasm, compileSelfLoopWasm, WASM_SLICE } from "./jit-wasm.js";

export { endsBlock, inlinable, isJmpIndirect } from "./jit-emit.js";
export {
  PROMOTE_VOLUME_PER_CHAR, PROMOTE_VOLUME_FLOOR, MAX_REGION_CHARS, PROMOTE_VOLUME_PER_INSN_SELF_LOOP, PROMOTE_VOLUME_SELF_LOOP, setPromoteScale,
} from "./jit-policy.js";

/** Helpers the generated code calls (passed in: generated code has no module scope). */
export interface JitHelpers {
  setArith: typeof setArith; szp: typeof szp; materialize: typeof materialize; cond: typeof cond; getCF: typeof getCF;
  /** The carry flag of a lazy-flag record given as the region's int32 locals (see cfOf, jit-flags.ts). */
  cfOf: typeof cfOf;
  /** The store cache's empty page (one shape for the locals from the start). */
  noBytes: Uint8Array; noView: DataView;
}
export const JIT_HELPERS: JitHelpers = { setArith, szp, materialize, cond, getCF, cfOf, noBytes: new Uint8Array(0), noView: new DataView(new ArrayBuffer(0)) };
/** A compiled region, entered at its block `e` (0, the head, when absent). */
export type JitRegion = (c: CpuState, D: Insn[], H: JitHelpers, e?: number) => number;
/** A compiled region: its code, the instructions it indexes, and its block heads (entry i = block i). */
export interface CompiledRegion {
  fn: JitRegion; D: Insn[]; heads: Insn[];
  /** Most budget per call, when not run.ts's default (a wasm loop has no use for returning early). */
  slice?: number;
}

/** Whether self loops of integer forms compile to WebAssembly (jit-wasm.ts; tests turn it off to test the JS form). */
let wasmSelfLoops = true;
export function setWasmSelfLoops(on: boolean): void { wasmSelfLoops = on; }

/** One instruction (its index in D) per page the region's code lives on: code invalidation drops whole pages. */
function codePageFirsts(D: Insn[]): number[] {
  const pages = new Map<number, number>();
  D.forEach((x, i) => { const pn = Math.floor(x.addr / 4096); if (!pages.has(pn)) pages.set(pn, i); });
  return [...pages.values()];
}

/** Why compileRegion declined a head (for profiling tools; null = off), with the generated code once generated. */
export let regionWhy: ((head: Insn, why: string, at?: Insn, code?: string) => void) | null = null;
export function explainRegions(f: typeof regionWhy): void { regionWhy = f; }

/**
 * Build and compile the region headed by `head`. `blockAt(addr)` gives the (valid) block
 * starting at addr when it is hot enough to join the region, else null; the head's block is
 * always given. Returns null when nothing can be compiled, or (loopsOnly) when no cycle
 * returns to the head, the loop calls a handler or its code is too long; (loopsOnly) a number
 * while its blocks have run fewer instructions in the interpreter than promoteVolume asks:
 * the factor by which the head's entries should grow before it is looked at again.
 */
export function compileRegion(head: Insn, blockAt: (addr: number, isHead: boolean) => Insn[] | null, loopsOnly: boolean, regs?: CpuState): CompiledRegion | null | number {
  const inner = loopsOnly && declined.has(head);
  let blocks: RBlock[] = [];
  let byAddr = new Map<number, RBlock>();
  const queue = [head.addr];
  // Under the loop policy the search looks further (a loop body of several large blocks) and
  // keeps only the blocks on a cycle through the head (see loopOf, jit-policy.ts): the cold exits and the
  // code after the loop, which the breadth-first search also reaches, stay interpreted.
  const maxBlocks = loopsOnly ? MAX_LOOP_SEARCH_BLOCKS : MAX_REGION_BLOCKS, maxInsns = loopsOnly ? MAX_LOOP_INSNS : MAX_REGION_INSNS;
  let size = 0;
  while (queue.length > 0 && blocks.length < maxBlocks) {
    const addr = queue.shift()!;
    if (byAddr.has(addr)) continue;
    const blk = blockAt(addr, blocks.length === 0);
    if (blk === null) continue;
    let n = blk.findIndex(readsBudget);
    const cut = n >= 0;
    if (!cut) n = blk.length;
    if (n === 0 || size + n > maxInsns) continue;
    const last = blk[n - 1]!;
    const succs = cut ? [] : isJcc(last) ? [last.next, last.target] : isJmpRel(last) ? [last.target]
      : isCallRel(last) ? (loopsOnly ? [last.next] : [last.target, last.next]) : isJmpIndirect(last) ? indirectTargets(last)
      : !isRet(last) && !endsBlock(last) ? [last.next] : [];
    const rb: RBlock = { addr, insns: blk.slice(0, n), start: 0, cut, succs };
    blocks.push(rb); byAddr.set(addr, rb); size += n;
    queue.push(...succs);
  }
  if (loopsOnly && blocks.length > 0) {
    blocks = loopOf(blocks, byAddr);
    if (inner) {
      const cycle = innerCycle(blocks, byAddr);
      if (cycle.length === blocks.length || perEntry(cycle, blocks) < INNER_MIN_PER_ENTRY) { regionWhy?.(head, "inner loop too short"); return null; }
      blocks = cycle;
    }
    byAddr = new Map(blocks.map((rb) => [rb.addr, rb]));
  }
  const D: Insn[] = [];
  for (const rb of blocks) { rb.start = D.length; D.push(...rb.insns); }
  // the volume check again, after code generation, when the bar depends on the code's size;
  // first against the least a region of this many instructions can cost, without generating it
  const volume = blocks.reduce((v, rb) => v + rb.insns[0]!.heat * rb.insns.length, 0);
  // a loop whose remaining trip count can be read off its exit compare must also have that
  // much left to run (a loop run once, caught near its end, would only pay V8's compile)
  const future = loopsOnly && regs !== undefined ? remainingVolume(head, blocks, byAddr, regs, volume) : null;
  const short = (bar: number): boolean => volume < bar || (future !== null && future < bar);
  // A single block that jumps back to itself (the commonest hot loop) runs as a plain loop:
  // no dispatch switch, the budget checked once on entry and then after each pass (so no exit
  // at the top of a pass reads the record the previous pass left, and V8 need not carry the
  // lazy-flag locals around the loop), the block's index set once; when its instructions are
  // all integer forms jit-wasm.ts has, as WebAssembly on i64 registers, compiled at its own bar
  const selfLoop = loopsOnly && blocks.length === 1 && !blocks[0]!.cut && isJcc(blocks[0]!.insns.at(-1)!) && blocks[0]!.insns.at(-1)!.target === head.addr;
  const wasm = selfLoop && wasmSelfLoops ? buildSelfLoopWasm(D) : null;
  if (wasm !== null) {
    const bar = promoteVolumeWasm();
    if (short(bar)) {
      regionWhy?.(head, `later ${volume}/${bar} left ${future} (wasm self loop, ${D.length} insns)`);
      return volume < bar ? laterBy(volume, bar) : 1.25;
    }
    return { fn: compileSelfLoopWasm(wasm, D, codePageFirsts(D)), D, heads: [head], slice: WASM_SLICE };
  }
  if (loopsOnly) {
    // the code's size as last generated for this head's loop when it still has as many
    // instructions, else the least it can be: generating it again costs more than the look
    const known = codeSizeSeen.get(head), chars = known !== undefined && known.n === D.length ? known.chars : D.length * MIN_CHARS_PER_INSN;
    if (chars > MAX_REGION_CHARS) { regionWhy?.(head, `too big ${chars} chars`); return decline(blocks, byAddr, inner); }
    const bar = promoteVolume(blocks.length, D.length, chars);
    if (short(bar)) {
      regionWhy?.(head, `later ${volume}/${bar} left ${future} (${blocks.length} blocks, ${D.length} insns${known ? `, ${chars} chars` : ""})`);
      return volume < bar ? laterBy(volume, bar) : 1.25;
    }
  }
  if (blocks.length === 0) return null;
  // Only loops pay for V8's optimising compile: a region must hold a cycle.
  if (loopsOnly && !hasCycle(blocks, byAddr)) { regionWhy?.(head, "no cycle"); return null; }
  const stale = codePageFirsts(D).map((i) => `!D[${i}].valid`).join(" || ");
  let inlined = 0, called = 0;
  let body = selfLoop ? `c.jb = 0;\nL: { if (c.left < ${D.length}) { c.rip = ${head.addr}; return 0; }\nfor (;;) {\n` : `L: for (;;) switch (b) {
`;
  const goTo = (addr: number): string => {
    const t = byAddr.get(addr);
    return t ? `{ b = ${blocks.indexOf(t)}; continue L; }` : `{ c.rip = ${addr}; return 0; }`;
  };
  // dynamic targets (RET, handlers) go through one shared lookup (case -1), keeping code linear
  const dispatch = (v: string): string => `t = ${v}; b = -1; continue L;`;
  // per block: its terminator, the instructions before it emitted inline, which of them keep
  // their flags, and the lazy producer known at its end
  const plans = blocks.map((rb) => {
    const blk = rb.insns, n = blk.length, last = blk[n - 1]!;
    // the terminator, when handled by the region itself
    const ijmp = isJmpIndirect(last) ? indirectJump(last) : null;
    const term = rb.cut ? "cut" : isJcc(last) ? "jcc" : isJmpRel(last) ? "jmp" : isCallRel(last) ? "call" : isRet(last) ? "ret" : ijmp !== null ? "ijmp" : endsBlock(last) ? "handler" : "fall";
    const bodyN = term === "jcc" || term === "jmp" || term === "call" || term === "ret" || term === "ijmp" ? n - 1 : n;
    const em: (Emitted | null)[] = blk.slice(0, bodyN).map(emit);
    if (term === "handler") em[n - 1] = null;
    // dead-flag elimination: walk backwards tracking whether flags are overwritten before read
    let dead = false;
    const keepFlags: boolean[] = new Array(n).fill(true);
    for (let k = bodyN - 1; k >= 0; k--) {
      const e = em[k];
      if (e === null || e === undefined || e.faults) { dead = false; if (e === null || e === undefined) continue; }
      if (e.fx === FX.WriteAll) { keepFlags[k] = !dead; dead = true; }
      else if (e.fx === FX.Partial) keepFlags[k] = !dead;
      else if (e.fx === FX.Other) dead = false;
      if (e.readsFlags && (e.fx !== FX.WriteAll || keepFlags[k])) dead = false;
    }
    // what the block leaves in the record: its last producer's kind, the record it was entered
    // with ("pass": no instruction of it touches the flags) or nothing known (null)
    let exit: Producer | "pass" | null = "pass";
    for (let k = 0; k < bodyN; k++) {
      const e = em[k];
      exit = e === null || e === undefined ? null : e.lazy && keepFlags[k] ? e.lazy : e.fx === FX.None ? exit : null;
    }
    const staticSuccs = term === "jcc" ? [last.next, last.target] : term === "jmp" || term === "call" ? [last.target] : term === "fall" ? [last.next] : [];
    return { ijmp, term, bodyN, em, keepFlags, exit, staticSuccs };
  });
  // A self loop whose only faulting accesses are stores the store cache serves cannot fault: a
  // store that misses leaves the region before its instruction (see cacheStores, jit-access.ts), so the loop
  // needs no try/catch keeping every local alive at every store, and no stale-code check
  const cannotFault = selfLoop && plans[0]!.em.every((e) => !e?.faults || onlyCachedStores(e.code));
  // Hints: the producer every region edge into a block leaves (through blocks that do not touch
  // the flags too), found by iterating to a fixed point from "no edge seen" (undefined). A block
  // can also be entered from outside or through the dispatch, so code that reads a hint checks
  // the record's kind and width first (guarded).
  const hints: (Producer | null | undefined)[] = blocks.map(() => undefined);
  const same = (a: Producer | null | undefined, b: Producer | null | undefined) => a === b || (a != null && b != null && a.fop === b.fop && a.w === b.w);
  for (let changed = true, rounds = 0; changed && rounds < 4 * blocks.length + 4; rounds++) {
    changed = false;
    blocks.forEach((rb, id) => {
      let h: Producer | null | undefined = undefined;
      for (const [i, pl] of plans.entries()) {
        if (!pl.staticSuccs.includes(rb.addr)) continue;
        const x = pl.exit === "pass" ? hints[i] : pl.exit;
        if (x === undefined) continue;
        h = h === undefined || same(h, x) ? x : null;
      }
      if (!same(h, hints[id])) { hints[id] = h; changed = true; }
    });
  }
  for (const [id, rb] of blocks.entries()) {
    const blk = rb.insns, n = blk.length, last = blk[n - 1]!;
    const { ijmp, term, bodyN, em, keepFlags } = plans[id]!;
    if (!selfLoop) body += `case ${id}: {\nif (c.left < ${n}) { c.rip = ${rb.addr}; return 0; }\nc.jb = ${rb.start};\n`;
    let known: Producer | null = null;
    const hint = hints[id] ?? null;
    /** A condition with no producer of this block before it: the hint's when the record is of its kind. */
    const cond = (cc: number): string => (known && condExpr(known, cc)) ?? guarded(hint, hint && condExpr(hint, cc), `condF(c, ${cc})`);
    for (let k = 0; k < bodyN; k++) {
      const e = em[k], d = blk[k]!, j = rb.start + k;
      if (e !== null && e !== undefined) {
        inlined++;
        if (e.faults) body += `c.jk = ${j};\n`;
        body += e.code.replace("@FLAGS@", keepFlags[k] ? e.flagCode ?? "" : "").replaceAll("@K@", String(j))
          .replaceAll("@COND@", e.cc === undefined ? "" : cond(e.cc)).replaceAll("@CF@", known ? cfExpr(known) : guarded(hint, hint && cfExpr(hint), CF_ANY)) + "\n";
        // (a cached store never sets sw: only an instruction still calling Memory needs the check)
        if (e.stores && !onlyCachedStores(e.code)) body += `if (sw && ((sw = false), ${stale})) { c.rip = ${d.next}; c.left -= ${k + 1}; return 0; }\n`;
        known = e.lazy && keepFlags[k] ? e.lazy : e.fx === FX.None ? known : null;
      } else {
        if (loopsOnly) { regionWhy?.(head, "handler", d); return decline(blocks, byAddr, inner); } // see below: a region calling handlers does not pay
        body += `c.jk = ${j}; c.rip = ${d.next}; D[${j}].exec(c, D[${j}]);\n`;
        called++;
        known = null;
        if (term === "handler" && k === n - 1) break; // its exit code follows
        body += `if (${stale}) { c.left -= ${k + 1}; return 0; }\n`;
      }
    }
    const j = rb.start + n - 1;
    switch (term) {
      case "cut": body += `c.left -= ${n}; c.rip = ${last.next}; return 0;\n`; break;
      case "fall": body += `c.left -= ${n};\n${goTo(last.next)}\n`; break;
      case "jmp": inlined++; body += `c.left -= ${n};\n${goTo(last.target)}\n`; break;
      case "jcc": {
        inlined++;
        const cc = last.map === 0 ? last.op - 0x70 : last.op - 0x80;
        if (selfLoop) body += `c.left -= ${n};\nif (!(${cond(cc)})) { c.rip = ${last.next}; return 0; }\nif (c.left < ${n}) { c.rip = ${rb.addr}; return 0; }\n`;
        else body += `c.left -= ${n};\nif (${cond(cc)}) ${goTo(last.target)}\n${goTo(last.next)}\n`;
        break;
      }
      case "call": {
        inlined++;
        const [rl, rh] = halves(last.next);
        body += `c.jk = ${j};\n{ const s_ = ${RSP_GET} - 8; m.w64(s_, ${rl}, ${rh}); ${RSP_SET("s_")} }\nc.left -= ${n};\n`;
        body += `if (sw && ((sw = false), ${stale})) { c.rip = ${last.target}; return 0; }\n${goTo(last.target)}\n`;
        break;
      }
      case "ret": {
        inlined++;
        body += `c.jk = ${j};\n{ const s_ = ${RSP_GET}; const l_ = m.r32(s_), h_ = m.r32(s_ + 4); ${RSP_SET("(s_ + 8)")} c.left -= ${n};\nconst t_ = h_ * 4294967296 + (l_ >>> 0); ${dispatch("t_")} }\n`;
        break;
      }
      case "ijmp":
        inlined++;
        body += `c.jk = ${j};\n{ ${ijmp} c.left -= ${n};\n${dispatch("t_")} }\n`;
        break;
      case "handler":
        if (loopsOnly) { regionWhy?.(head, "handler-term", last); return decline(blocks, byAddr, inner); }
        body += `c.left -= ${n};\nif (c.stop !== null || ${stale}) return 0;\n{ const t_ = c.rip; ${dispatch("t_")} }\n`;
        break;
    }
    body += "}\n";
  }
  if (selfLoop) body += "}\n"; else body += `case -1: switch (t) { ${blocks.map((rb, i) => `case ${rb.addr}: b = ${i}; continue L; `).join("")}}\nc.rip = t; return 0;\ndefault: return 0;\n}`;
  if (inlined === 0) return null;
  // A region that still calls handlers costs V8 more to compile than it saves (measured on
  // the bench's real programs): under the loop policy only fully inlined loops are compiled.
  if (loopsOnly && called > 0) return null;
  const { code, sites } = localize(body, cannotFault);
  if (loopsOnly) {
    codeSizeSeen.set(head, { n: D.length, chars: code.length });
    if (code.length > MAX_REGION_CHARS) { regionWhy?.(head, `too big ${code.length} chars`, undefined, code); return decline(blocks, byAddr, inner); }
    const bar = promoteVolume(blocks.length, D.length, code.length);
    if (short(bar)) {
      regionWhy?.(head, `later ${volume}/${bar} left ${future} (${blocks.length} blocks, ${D.length} insns, ${code.length} chars)`, undefined, code);
      return volume < bar ? laterBy(volume, bar) : 1.25;
    }
  }
  const prologue = `const lo = c.lo, hi = c.hi, m = c.mem, f64 = c.xf64, x32 = c.x32;
const setArithF = H.setArith, szpF = H.szp, materializeF = H.materialize, condF = H.cond, cfL = H.cfOf;
if (${stale}) return 2;
${selfLoop ? "" : "let b = e | 0, t = 0;\n"}`;
  // each store site's remembered page (see cacheStores, jit-access.ts), in the region function's closure
  const S = new Float64Array(sites).fill(NaN);
  const fn = new Function("S", `return function region(c, D, H, e) {\n${prologue}${code}};`)(S) as JitRegion;
  return { fn, D, heads: blocks.map((rb) => rb.insns[0]!) };
}
