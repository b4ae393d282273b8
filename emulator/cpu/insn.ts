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
  addr = 0;
  len = 0;
  next = 0;
  exec: Handler = null as unknown as Handler;
  /** Opcode map (0 one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A) and opcode byte. */
  map = 0;
  op = 0;
  /** Operand size in bytes (1, 2, 4, 8). */
  opsz = 4;
  /** 32-bit address size (0x67). */
  asz32 = false;
  /** Prefixes. */
  rep = 0; // 0, 0xF2 or 0xF3
  lock = false;
  p66 = false;
  rex = 0;
  rexW = false;
  /** ModRM fields (reg/rm include REX extensions); reg8/rm8 are byte-register codes. */
  mod = 3;
  reg = 0;
  rm = 0;
  reg8 = 0;
  rm8 = 0;
  /** Memory operand. */
  base = BASE_NONE;
  index = -1;
  scale = 1;
  disp = 0;
  seg = SEG_NONE;
  /** Immediate (sign-extended int32) and high half for 64-bit immediates. */
  imm = 0;
  immHi = 0;
  /** Second immediate (ENTER). */
  imm2 = 0;
  /** Branch target (for relative branches). */
  target = 0;
  /** Why the decoder rejected it (for #UD reporting). */
  udReason = "";
  /** False once the code bytes behind this instruction were written, unmapped or lost X. */
  valid = true;
  /** Successor cache (last two distinct next instructions) used by run() to skip lookups. */
  succ: Insn | null = null;
  succ2: Insn | null = null;
  /** Straight-line run of instructions starting here (built lazily by run()). */
  block: Insn[] | null = null;
  /** Executions of the block starting here, and the compiled region it heads (second tier). */
  heat = 0;
  jit: ((c: never, D: Insn[], h: never) => number) | null = null;
  /** The region's instructions (indexed by the compiled code). */
  jitD: Insn[] | null = null;
  /** Tier policy: entries into the region headed here and the instructions they retired,
   * counted over its first entries (a region that keeps exiting is dropped; run.ts). */
  jitRuns = 0;
  jitRetired = 0;
  /** Head entries at which the tier policy looks at this head again (0: at the threshold). */
  jitNext = 0;
  /** Indirect jumps: the targets the interpreter saw them take, with counts (run.ts fills it). */
  ind: Map<number, number> | null = null;
}
