/**
 * The speed targets of issue 14, in one place, and the verdicts the bench prints against them.
 * A target is a promise to users (fuzzing power, a developer's loop), not a test: the bench
 * reports met / missed with the figure beside it and never fails on a miss.
 */
import type { ProgramRow } from "./programs.js";

export const TARGETS = {
  /** Conformance cases per CPU-second, all properties on their default runs together. */
  casesPerCpuSecond: 1000,
  /** capOS agent process, start to exit, in process (the per-case floor). */
  caposStartMs: 0.5,
  /** `capos-conform --help`, whole process. */
  helpMs: 150,
  /** `capos-conform run-elf` of a committed probe, end to end. */
  runElfMs: 200,
  /** The tight synthetic loop, interpreter alone and with the compiled tier. */
  interpLoopMips: 100,
  compiledLoopMips: 1000,
  /** Every bench program at most this many times qemu-user's whole-process time. */
  overQemu: 10,
} as const;

/** The tight synthetic loop: the program row the MIPS targets are judged on. */
export const LOOP_PROGRAM = "loop (xorshift/imul)";
/** The start-to-exit row the capOS per-case floor is judged on. */
export const AGENT_START_ROW = "agent.gcc, 1-op script";

export type TierVerdict = "faster" | "within noise" | "SLOWER";

/** One paired round of a program, in CPU seconds: the interpreter, the compiled tier, the interpreter again. */
export interface TierRound { interp: number; compiled: number; again: number }

/**
 * Compiled against the interpreter on one program, from its rounds. Each round runs the
 * interpreter twice with the compiled tier between them (in mirrored order the other way
 * round, so the compiled run always sits between two interpreter runs): the two interpreter
 * runs differ only by the machine's noise and V8's drift, so the compiled tier counts as slower
 * in a round only when it is slower than both of them, and as faster only when faster than
 * both. CPU time, not wall time: a busy neighbour inflates it less, and it includes V8's
 * compiles. SLOWER means slower in every round; rounds that disagree are "within noise":
 * calling noise a slowdown would be as wrong as calling it a gain.
 */
export function tierVerdict(rounds: readonly TierRound[]): TierVerdict {
  if (rounds.length === 0) return "within noise";
  if (rounds.every((r) => r.compiled < Math.min(r.interp, r.again))) return "faster";
  if (rounds.every((r) => r.compiled > Math.max(r.interp, r.again))) return "SLOWER";
  return "within noise";
}

/** The programs whose compiled column lost to the interpreter in every round. */
export function slowerPrograms(rows: readonly ProgramRow[]): string[] {
  return rows.filter((r) => tierVerdict(r.roundCpu) === "SLOWER").map((r) => r.name);
}
