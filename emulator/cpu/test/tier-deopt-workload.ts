/**
 * Run by tier-deopt.test.ts under `node --allow-natives-syntax --trace-deopt`: does interpret(),
 * optimised with the feedback the priming code and a tier-on warm-up leave, stay optimised when
 * the tier's own paths start to run? A path V8 has no feedback for compiles to a
 * deoptimisation, and V8 then compiles the loop again (~0.4 s of CPU) while it runs unoptimised.
 *
 * The guest: a dispatch loop (an indirect jump through a 16-entry table), the shape whose
 * jumps the tier records (run.ts, at a block's end). Phase 1 runs it with the tier on and a
 * threshold it never reaches, so only the paths every program takes get feedback; then V8 is
 * made to optimise the loop; phase 2 runs it with the default threshold, where blocks are
 * looked at for regions (none is compiled: the promotion volumes are scaled out of reach) and
 * the indirect jump's targets are sampled. Prints `optimised before: B, after: A` (V8's
 * optimisation status bits of the loop) for the test to read next to V8's trace.
 */
import { DEFAULT_JIT_THRESHOLD, interpreterLoopForV8Tests, setJitThreshold } from "../run.js";
import { setPromoteScale } from "../jit.js";
import { runDispatch } from "./dispatch-loop.js";

/** Each entry of the table to its own target, in a scrambled order. */
const TABLE = Array.from({ length: 16 }, (_, k) => (k * 5) % 16);
function dispatch(passes: number, threshold: number): void {
  setJitThreshold(threshold);
  const { m, stop } = runDispatch(TABLE, passes);
  if (stop.kind !== "hlt") throw new Error(`the dispatch loop ended with ${stop.kind}`);
  m.release();
}

// V8's intrinsics, reachable only through code it parses itself with --allow-natives-syntax
const status = new Function("f", "return %GetOptimizationStatus(f)") as (f: unknown) => number;
const prepare = new Function("f", "%PrepareFunctionForOptimization(f)") as (f: unknown) => void;
const optimiseOnNextCall = new Function("f", "%OptimizeFunctionOnNextCall(f)") as (f: unknown) => void;

setPromoteScale(1e9);
for (let i = 0; i < 4; i++) dispatch(4096, 1 << 30);
prepare(interpreterLoopForV8Tests);
dispatch(64, 1 << 30);
optimiseOnNextCall(interpreterLoopForV8Tests);
dispatch(64, 1 << 30);
const before = status(interpreterLoopForV8Tests);
dispatch(50_000, DEFAULT_JIT_THRESHOLD);
console.log(`optimised before: ${before}, after: ${status(interpreterLoopForV8Tests)}`);
