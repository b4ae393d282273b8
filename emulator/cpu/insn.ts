/**
 * Decoded instruction and the handler type (faults and stops are in fault.ts).
 */
import type { CpuState } from "./state.js";

/** An instruction handler. RIP already points at the next instruction when it runs. */
export type Handler = (c: CpuState, d: Insn) => void;

/** Base register codes beyond 0..15. */
export const BASE_NONE = -1, BASE_RIP = -2;
/** Segment override codes (only FS/GS have a base in 64-bit mode). */
export const SEG_NONE = 0, SEG_FS = 1, SEG_GS = 2;

/** A decoded instruction (immutable after decode; one object per cached address). */
export class Insn {
  // Field order is layout: V8 lays fields out in declaration order (8 bytes each, after a
  // 24-byte header), so what interpret() reads for every instruction it runs in place comes
  // first and shares the object's first two cache lines, then what it reads once per block;
  // the handlers', decode-only and tier-policy fields follow. Real programs run thousands of
  // distinct instructions (busybox sort -n: ~8,000 in 1,766 blocks) at ~400 bytes each, far more
  // than the host's 32 KiB L1 data cache holds, so each line an instruction's run touches can
  // be a miss (sort -n: ~3.7 D1 misses per guest instruction, tools/cachegrind-marginal.ts --cache).
  /**
   * 1 while the instruction is current; 0 once the code bytes behind it were written, unmapped
   * or lost X. A number, not a boolean: V8 compiles `!x.valid` on a Smi field to one test, on a
   * boolean field to a generic ToBoolean (root compares and a map check), and run() tests it
   * for every instruction it executes.
   */
  valid = 1;
  /**
   * The form the interpreter loop runs inline instead of calling `exec` (ops/inline-forms.ts;
   * 0: call `exec`), and its destination and source registers (or base register).
   */
  k = 0;
  /**
   * `k` again, for the cases of interpret()'s switch that tell several forms apart: a read of a
   * field of its own, so that the switch's read of `k` dies at its jump table (V8 kept that
   * value for the cases in three stack slots, stored on every instruction).
   */
  kc = 0;
  kd = 0;
  ks = 0;
  /**
   * The instruction after this one in the blocks that hold it (the one at `next`), set once by
   * run.ts's buildBlock and never changed (this instruction itself until then). interpret()
   * walks a block's body through it: a field that only ever holds an Insn, so V8 knows the map of
   * what it loads, where an array element costs a check of the array's map, its length, the
   * bounds and the element's map on every instruction. Never changed, so that while a block's
   * instructions are valid the walk from its head is the block: an instruction whose successor
   * was decoded again (the old one lost its bytes) ends every block built after that instead.
   */
  bn: Insn = this;
  /** Memory operand. */
  disp = 0;
  /** Immediate (sign-extended int32) and high half for 64-bit immediates. */
  imm = 0;
  immHi = 0;
  base = BASE_NONE;
  index = -1;
  scale = 1;
  seg = SEG_NONE;
  /** 1 for a 32-bit address size (0x67), else 0 (a number for the reason `valid` is one: ea() tests it). */
  asz32 = 0;
  exec: Handler = null as unknown as Handler;
  next = 0;
  /** Branch target (for relative branches). */
  target = 0;
  /**
   * Successor cache (last two distinct next instructions) used by run() to skip lookups, and for
   * a JCC, JMP or CALL rel (which interpret() runs in place) the instructions at its target and
   * fall-through: taken from the branch itself, they need no address compare.
   */
  succ: Insn | null = null;
  succ2: Insn | null = null;
  succT: Insn | null = null;
  succF: Insn | null = null;
  addr = 0;
  /** Straight-line run of instructions starting here (built lazily by run()). */
  block: Insn[] | null = null;
  /** The block's closed form when it is a counted loop (counted-loop.ts; built with the block). */
  loop: CountedLoop | null = null;
  /** Executions of the block starting here, and the compiled region it heads (second tier). */
  heat = 0;
  jit: ((c: never, D: Insn[], h: never) => number) | null = null;
  /** Tier policy: head entries at which the tier policy looks at this head again (0: at the threshold). */
  jitNext = 0;
  /** Indirect jumps: the targets the interpreter saw them take, with counts (run.ts fills it). */
  ind: Map<number, number> | null = null;
  /** ModRM fields (reg/rm include REX extensions); reg8/rm8 are byte-register codes. */
  reg = 0;
  rm = 0;
  reg8 = 0;
  rm8 = 0;
  mod = 3;
  /** Opcode map (0 one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A) and opcode byte. */
  map = 0;
  op = 0;
  /** Operand size in bytes (1, 2, 4, 8). */
  opsz = 4;
  /** Prefixes. */
  rep = 0; // 0, 0xF2 or 0xF3
  lock = false;
  p66 = false;
  rex = 0;
  rexW = false;
  len = 0;
  /** Second immediate (ENTER). */
  imm2 = 0;
  /** Why the decoder rejected it (for #UD reporting). */
  udReason = "";
  /** The region's instructions (indexed by the compiled code). */
  jitD: Insn[] | null = null;
  /** Tier policy: entries into the region headed here and the instructions they retired,
   * counted over its first entries (a region that keeps exiting is dropped; run.ts). */
  jitRuns = 0;
  jitRetired = 0;
  /** Most budget the region headed here is given per call (run.ts REGION_SLICE for JS regions). */
  jitSlice = 0;
  /** 1 once some block needed this flag writer's flags (ops/inline-forms.ts markDeadFlags: it keeps its live form for good). */
  flagsLive = 0;
}

/**
 * A block's closed form when it is a counted loop (built by counted-loop.ts, which runs it;
 * declared here, beside the instruction that holds it, so that neither file imports the other).
 */
export interface CountedLoop {
  /** Instructions per iteration (the block's length). */
  readonly n: number;
  /** Induction register and its signed step per iteration (±1, ±2, ±4 or ±8). */
  readonly ind: number;
  readonly step: number;
  /** The exit compares the updated register with this register (-1: with otherLo/otherHi). */
  readonly otherReg: number;
  readonly otherLo: number;
  readonly otherHi: number;
  /** A store of a constant at [ind + disp] each iteration, or null. */
  readonly store: LoopStore | null;
  /** Pages of the loop's code: no skipped store may land on them or the page after. */
  readonly codeFirstPn: number;
  readonly codeLastPn: number;
}

export interface LoopStore {
  /** Bytes per store: |step|, so the stores of successive iterations tile a range. */
  readonly w: number;
  readonly disp: number;
  /** The stored value as 32-bit halves (sign-extended immediate). */
  readonly lo: number;
  readonly hi: number;
  /** Whether the store comes after the update within the iteration (sees the updated value). */
  readonly afterUpdate: boolean;
}
