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

/**
 * Compiled against the interpreter on one program, from its paired rounds (each round ran
 * both, back to back; the ratios are of CPU time, which a busy neighbour does not inflate the
 * way it inflates wall time, and which includes V8's compiles). Slower means slower in every
 * round: on a shared machine a single round can go either way for a program the tier leaves
 * alone, and calling that a slowdown would be as wrong as calling it a gain.
 */
export function tierVerdict(roundRatios: readonly number[]): TierVerdict {
  if (roundRatios.length === 0) return "within noise";
  if (roundRatios.every((r) => r > 1)) return "faster";
  if (roundRatios.every((r) => r < 1)) return "SLOWER";
  return "within noise";
}

/** The programs whose compiled column lost to the interpreter in every round. */
export function slowerPrograms(rows: readonly ProgramRow[]): string[] {
  return rows.filter((r) => tierVerdict(r.roundCpuRatios) === "SLOWER").map((r) => r.name);
}
