/**
 * The tight loop's steady-state speed: what the interpreter and the compiled tier retire per
 * second once a run's fixed costs are paid. A whole run of the bench's loop (17M instructions)
 * includes the ELF load, V8 warming up the interpreter, the interpreted iterations before the
 * loop is promoted, and V8's compile of the region; at 1 GIPS those fixed costs would be most of
 * the run. So the loop runs at two lengths and the steady rate is the marginal one: the extra
 * instructions of the long run over its extra time. Fixed costs cancel; only the per-iteration
 * rate is left (issue 14: "start-up separated from steady state").
 *
 * Why the figure used to swing 2-3x between rounds of the same tree (345/107/612): the first
 * measured runs of a child process still paid for V8's background work. `--trace-opt` and
 * per-thread CPU (/proc/self/task) showed 60-210 ms of compiler-thread CPU inside round 0's
 * runs (interpret() is recompiled at 400-780 ms of compiler thread each, the region at 35-240
 * ms), against 40-60 ms for a whole settled short compiled run: whichever length caught the
 * compile decided the round's marginal rate. So the runs are now measured only once V8 has
 * settled (warm-up rounds until one spends next to nothing on other threads), and the steady
 * rate is taken from each length's fastest run: interference (a compile, a GC thread, a
 * neighbour on the shared cores) only ever adds time, so the fastest run of a length is its
 * least disturbed one, and one disturbed run no longer moves the figure.
 */
import { readFileSync } from "node:fs";
import { emulate, type Program } from "./programs.js";
import { median, threadCpuSeconds } from "./timing.js";

/** How many times the short run's iterations the long run does. */
export const LONG_FACTOR = 4;
/**
 * How many times the interpreter's iterations the compiled tier's runs do: at several GIPS (a
 * wasm self loop, jit-wasm.ts) the bench length's extra 51M instructions take ~10 ms, within the
 * noise of the fixed costs they are to stand out from.
 */
export const COMPILED_LENGTH_FACTOR = 4;

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

/**
 * The steady rate over all rounds: the marginal rate between each length's fastest run (see the
 * header; NaN when no round ran, or the fastest long run was not slower than the fastest short
 * one). Every round runs the same two lengths, so the instruction counts are the first round's.
 */
export function steadyMips(rounds: readonly LengthPair[]): number {
  if (rounds.length === 0) return NaN;
  const r0 = rounds[0]!;
  return marginalMips({ insnsShort: r0.insnsShort, insnsLong: r0.insnsLong, tShort: Math.min(...rounds.map((r) => r.tShort)), tLong: Math.min(...rounds.map((r) => r.tLong)) });
}

/** The median of the per-round marginal rates that could decide (NaN when none could): the old estimator, shown beside steadyMips. */
export function medianRoundMips(rounds: readonly LengthPair[]): number {
  const xs = rounds.map(marginalMips).filter(Number.isFinite);
  return xs.length === 0 ? NaN : median(xs);
}

/** Warm-up rounds at most, and the other threads' CPU (s) below which a warm-up round counts as settled. */
export const MAX_WARMUP_ROUNDS = 6, SETTLED_OTHER_CPU_S = 0.02;

export interface SteadyLoopRow {
  name: string; iterationsShort: number; iterationsLong: number;
  /** Per round, over CPU time. */
  interp: LengthPair[]; compiled: LengthPair[];
  /** Marginal MIPS over CPU time between each length's fastest run (see steadyMips): what the targets are judged on. */
  interpMips: number; compiledMips: number;
  /** Warm-up rounds run before measuring, and whether the last one had settled (see measureSteadyLoop). */
  warmupRounds?: number; settled?: boolean;
  /** CPU seconds V8's other threads (compiler, GC) spent during the measured runs, per contender (undefined without /proc). */
  interpOtherCpu?: number; compiledOtherCpu?: number;
  /** The same over wall time (a busy neighbour inflates it). */
  interpWallMips: number; compiledWallMips: number;
}

/**
 * The loop program at its bench length and LONG_FACTOR times it, interpreter alone and with the
 * compiled tier (the given promotion threshold), alternated (interp short, interp long, compiled
 * short, compiled long; reversed every other round) after warm-up rounds of the same runs until
 * V8 settles, each run a fresh process image as in the program rows. Every run's output must
 * match the run of the same length before it.
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
  const contenders = [{ threshold: 0, scale: 1, into: [] as LengthPair[], wall: [] as LengthPair[] }, { threshold: tier, scale: COMPILED_LENGTH_FACTOR, into: [] as LengthPair[], wall: [] as LengthPair[] }];
  const others = () => threadCpuSeconds()?.others ?? NaN;
  // V8 compiles the emulator (interpret() several times, each region) during the first runs of
  // a process, on its own threads but in this process's CPU time: warm-up rounds, each contender
  // at both lengths as measured, until one round leaves V8's other threads next to idle (where
  // /proc cannot tell, two rounds)
  let warmupRounds = 0, settled = false;
  while (warmupRounds < MAX_WARMUP_ROUNDS && !settled) {
    const o0 = others();
    for (const c of contenders) for (const n of [short, long]) run(c.threshold, n * c.scale);
    warmupRounds++;
    const spent = others() - o0;
    settled = Number.isNaN(spent) ? warmupRounds >= 2 : spent < SETTLED_OTHER_CPU_S;
  }
  const otherCpu = [0, 0];
  for (let i = 0; i < rounds; i++) {
    for (const [k, c] of (i % 2 === 0 ? contenders : [...contenders].reverse()).entries()) {
      const lengths = (i % 2 === 0 ? [short, long] : [long, short]).map((n) => n * c.scale);
      const o0 = others();
      const rs = new Map(lengths.map((n) => [n, run(c.threshold, n)] as const));
      otherCpu[i % 2 === 0 ? k : 1 - k]! += others() - o0;
      const s = rs.get(short * c.scale)!, l = rs.get(long * c.scale)!;
      c.into.push({ insnsShort: s.insns, insnsLong: l.insns, tShort: s.runCpu, tLong: l.runCpu });
      c.wall.push({ insnsShort: s.insns, insnsLong: l.insns, tShort: s.run, tLong: l.run });
    }
  }
  const [interp, compiled] = contenders as [typeof contenders[0], typeof contenders[0]];
  const known = (x: number) => (Number.isNaN(x) ? undefined : x);
  return { name: p.name, iterationsShort: short, iterationsLong: long, interp: interp.into, compiled: compiled.into,
    interpMips: steadyMips(interp.into), compiledMips: steadyMips(compiled.into), interpWallMips: steadyMips(interp.wall), compiledWallMips: steadyMips(compiled.wall),
    warmupRounds, settled, interpOtherCpu: known(otherCpu[0]!), compiledOtherCpu: known(otherCpu[1]!) };
}
