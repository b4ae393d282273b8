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
import { CpuState, Memory, PROT_READ, PROT_WRITE, PROT_EXEC, run, setReg64 } from "../index.js";
import { DEFAULT_JIT_THRESHOLD, interpreterLoopForV8Tests, setJitThreshold } from "../run.js";
import { setPromoteScale } from "../jit.js";

const CODE = 0x400000, TABLE = 0x600000, TARGETS = CODE + 0x100;
// TOP: mov rax, rcx; and eax, 15; mov rax, [rbx + rax*8]; inc rcx; jmp rax
const TOP = [0x48, 0x89, 0xc8, 0x25, 15, 0, 0, 0, 0x48, 0x8b, 0x04, 0xc3, 0x48, 0xff, 0xc1, 0xff, 0xe0];
/** Target k at TARGETS + 16k: dec r15; jnz TOP; hlt. */
function target(k: number): number[] {
  const rel = CODE - (TARGETS + 16 * k + 9);
  return [0x49, 0xff, 0xcf, 0x0f, 0x85, rel & 255, (rel >> 8) & 255, (rel >> 16) & 255, (rel >>> 24) & 255, 0xf4];
}
function dispatch(passes: number, threshold: number): void {
  setJitThreshold(threshold);
  const m = new Memory(16);
  m.map(CODE, 4096, PROT_READ | PROT_EXEC);
  m.map(TABLE, 4096, PROT_READ | PROT_WRITE);
  m.writeBytes(CODE, Uint8Array.from(TOP));
  for (let k = 0; k < 16; k++) {
    m.writeBytes(TARGETS + 16 * k, Uint8Array.from(target(k)));
    m.w64(TABLE + 8 * k, TARGETS + 16 * ((k * 5) % 16), 0);
  }
  const c = new CpuState();
  c.rip = CODE;
  setReg64(c, 3, BigInt(TABLE));
  setReg64(c, 15, BigInt(passes));
  const stop = run(c, m, passes * 8 + 10);
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
