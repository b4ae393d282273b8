/**
 * The tight loop's steady-state speed: what the interpreter and the compiled tier retire per
 * second once a run's fixed costs are paid. A whole run of the bench's loop (17M instructions)
 * includes the ELF load, V8 warming up the interpreter, the interpreted iterations before the
 * loop is promoted, and V8's compile of the region; at 1 GIPS those fixed costs would be most of
 * the run. So the loop runs at two lengths and the steady rate is the marginal one: the extra
 * instructions of the long run over its extra time. Fixed costs cancel; only the per-iteration
 * rate is left (issue 14: "start-up separated from steady state").
 */
import { readFileSync } from "node:fs";
import { emulate, type Program } from "./programs.js";
import { median } from "./timing.js";

/** How many times the short run's iterations the long run does. */
export const LONG_FACTOR = 4;

/**
 * One contender's short and long runs of one round: exact guest instructions and run seconds,
 * CPU seconds of this process (V8's compiler threads included: steadier than wall time on a
 * shared machine, and what the target is judged on) or wall seconds.
 */
export interface LengthPair { insnsShort: number; insnsLong: number; tShort: number; tLong: number }

/**
 * Marginal MIPS of one round: the long run's extra instructions over its extra time. NaN when
 * the long run was not slower (noise swamped the difference: the round cannot decide).
 */
export function marginalMips(p: LengthPair): number {
  const dt = p.tLong - p.tShort, di = p.insnsLong - p.insnsShort;
  return dt > 0 && di > 0 ? di / dt / 1e6 : NaN;
}

/** The median of the rounds that could decide (NaN when none could). */
export function steadyMips(rounds: readonly LengthPair[]): number {
  const xs = rounds.map(marginalMips).filter(Number.isFinite);
  return xs.length === 0 ? NaN : median(xs);
}

export interface SteadyLoopRow {
  name: string; iterationsShort: number; iterationsLong: number;
  /** Per round, over CPU time. */
  interp: LengthPair[]; compiled: LengthPair[];
  /** Median marginal MIPS over CPU time (see steadyMips): what the targets are judged on. */
  interpMips: number; compiledMips: number;
  /** The same over wall time (a busy neighbour inflates it). */
  interpWallMips: number; compiledWallMips: number;
}

/**
 * The loop program at its bench length and LONG_FACTOR times it, interpreter alone and with the
 * compiled tier (the given promotion threshold), alternated (interp short, interp long, compiled
 * short, compiled long; reversed every other round), each run a fresh process image as in the
 * program rows. Every run's output must match the run of the same length before it.
 */
export function measureSteadyLoop(p: Program, tier: number, rounds: number): SteadyLoopRow {
  const short = Number(p.args[0]);
  if (!(Number.isInteger(short) && short > 0)) throw new Error(`${p.name}: the steady-state loop needs an iteration count as its argument, got ${JSON.stringify(p.args)}`);
  const long = short * LONG_FACTOR;
  const elf = new Uint8Array(readFileSync(p.bin));
  const outputs = new Map<number, Buffer>();
  const run = (threshold: number, n: number) => {
    const r = emulate(elf, { ...p, args: [String(n)] }, threshold);
    const ref = outputs.get(n);
    if (ref === undefined) outputs.set(n, r.out);
    else if (!ref.equals(r.out)) throw new Error(`${p.name} ${n}: output differs between runs (threshold ${threshold})`);
    return r;
  };
  const contenders = [{ threshold: 0, into: [] as LengthPair[], wall: [] as LengthPair[] }, { threshold: tier, into: [] as LengthPair[], wall: [] as LengthPair[] }];
  // V8 compiles the emulator during the first runs of a process: a short run of each
  // contender first, not measured, so the first measured run does not carry it as a fixed cost
  for (const c of contenders) run(c.threshold, short);
  for (let i = 0; i < rounds; i++) {
    for (const c of i % 2 === 0 ? contenders : [...contenders].reverse()) {
      const lengths = i % 2 === 0 ? [short, long] : [long, short];
      const rs = new Map(lengths.map((n) => [n, run(c.threshold, n)] as const));
      const s = rs.get(short)!, l = rs.get(long)!;
      c.into.push({ insnsShort: s.insns, insnsLong: l.insns, tShort: s.runCpu, tLong: l.runCpu });
      c.wall.push({ insnsShort: s.insns, insnsLong: l.insns, tShort: s.run, tLong: l.run });
    }
  }
  const [interp, compiled] = contenders as [typeof contenders[0], typeof contenders[0]];
  return { name: p.name, iterationsShort: short, iterationsLong: long, interp: interp.into, compiled: compiled.into,
    interpMips: steadyMips(interp.into), compiledMips: steadyMips(compiled.into), interpWallMips: steadyMips(interp.wall), compiledWallMips: steadyMips(compiled.wall) };
}
