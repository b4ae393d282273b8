/**
 * CPU-bound guest programs: synthetic freestanding C (emulator/linux/test/programs) next to real
 * busybox applets, each run by the interpreter alone, by the default tier policy (interpreter +
 * block compiler), natively and under qemu-x86_64, in turn, with medians.
 *
 * Emulator figures separate start-up (ELF load and lay-out, initial stack) from steady state
 * (the run); MIPS = the emulator's exact retired-instruction count / run seconds. Native and
 * qemu figures are whole-process times (their start-up is measured on its own in `startup`).
 */
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildProgram, makeInputs } from "../../emulator/linux/test/harness.js";
import { LinuxProcess } from "../../emulator/linux/process.js";
import { JIT_THRESHOLD, logRegions, regionLog, setJitThreshold } from "../../emulator/cpu/run.js";
import { cpuStats } from "../../emulator/cpu/stats.js";
import { alternate, cpuTimed, median, timed, timeProcess } from "./timing.js";
import { LOOP_PROGRAM } from "./targets.js";
import type { TierRound } from "./targets.js";
import type { SteadyLoopRow } from "./steady-loop.js";

export const BUSYBOX = "/bin/busybox";
export const QEMU = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].find(existsSync) ?? null;

export interface Program { name: string; kind: "synthetic" | "real"; bin: string; args: string[] }

/** Inputs for the busybox applets: the tests' deterministic generator, larger. */
function writeInputs(dir: string): { text: string; bin: string; nums: string } {
  const inputs = makeInputs({ lines: 1200, nums: 2000, binBytes: 128 * 1024 });
  const p = { text: path.join(dir, "text.txt"), bin: path.join(dir, "rand.bin"), nums: path.join(dir, "nums.txt") };
  writeFileSync(p.text, inputs["text.txt"]!);
  writeFileSync(p.bin, inputs["rand.bin"]!);
  writeFileSync(p.nums, inputs["nums.txt"]!);
  return p;
}

const synthetic = (name: string, prog: string, args: string[]): Program => ({ name, kind: "synthetic", bin: buildProgram(prog), args });
/** The tight loop the MIPS targets are judged on (its argument: iterations, 17 instructions each). */
export const loopProgram = (): Program => synthetic(LOOP_PROGRAM, "loop", ["1000000"]);

export function benchPrograms(): Program[] {
  const syn = synthetic;
  const list: Program[] = [
    loopProgram(),
    syn("sha256 (C)", "sha256", ["4"]),
    syn("quicksort (C)", "sort", ["1"]),
    syn("bytecode interpreter (C)", "interp", ["100000"]),
    syn("nbody (SSE2 double)", "nbody", ["15000"]),
    syn("memcpy-heavy (C)", "memcpy", ["300"]),
  ];
  if (existsSync(BUSYBOX)) {
    const f = writeInputs(mkdtempSync(path.join(tmpdir(), "capos-bench-")));
    const bb = (name: string, args: string[]): Program => ({ name: `busybox ${name}`, kind: "real", bin: BUSYBOX, args });
    list.push(
      bb("sha256sum", ["sha256sum", f.bin]),
      bb("bzip2", ["bzip2", "-c", f.text]),
      bb("awk", ["awk", "{for(i=1;i<=NF;i++)c[$i]++} END{n=0; for(w in c) if(c[w]>n){n=c[w];b=w}; print b, n, NR}", f.text]),
      bb("sort", ["sort", f.text]),
      bb("sort -n", ["sort", "-n", f.nums]),
    );
  }
  return list;
}

export interface EmuRun {
  load: number; run: number; runCpu: number; insns: number; out: Buffer; regions: number;
  /** Of `insns`, those retired by counted loops run in closed form (emulator/cpu/counted-loop.ts). */
  closedForm: number;
}

/** One in-process emulator run with the given JIT threshold (0 = interpreter only). */
export function emulate(elf: Uint8Array, p: Program, threshold: number): EmuRun {
  const saved = JIT_THRESHOLD;
  setJitThreshold(threshold);
  try {
    const argv = p.kind === "real" ? ["busybox", ...p.args] : [p.bin, ...p.args];
    const l = timed(() => new LinuxProcess(elf, { argv, maxInsns: 1e11, allowHostFiles: true }));
    logRegions(true);
    const skipped0 = cpuStats.closedFormInsns;
    const r = timed(() => cpuTimed(() => l.v.run()));
    const closedForm = cpuStats.closedFormInsns - skipped0;
    const regions = regionLog?.length ?? 0;
    logRegions(false);
    const res = r.v.v;
    if (res.verdict.kind !== "exit") throw new Error(`${p.name}: emulator ended with ${JSON.stringify(res.verdict)}`);
    return { load: l.t, run: r.t, runCpu: r.v.cpu, insns: res.insns, out: Buffer.from(res.stdout), regions, closedForm };
  } finally {
    setJitThreshold(saved);
  }
}

export interface ProgramRow {
  name: string; kind: Program["kind"]; insns: number;
  interp: number; compiled: number; interpCpu: number; compiledCpu: number; load: number; native: number; qemu: number; sameOutput: boolean;
  /** interp time / compiled time of each round (both ran back to back in it): > 1 = compiled faster. */
  roundRatios: number[];
  /** The same over CPU time (V8's compiler threads included), against the mean of the round's two interpreter runs. */
  roundCpuRatios: number[];
  /** Each round's CPU seconds: interpreter, compiled, interpreter again (what the verdict uses; see tierVerdict). */
  roundCpu: TierRound[];
  /** Regions the default tier compiled in its last run. */
  regions: number;
  /** Share of the interpreter-only run's instructions retired by counted loops in closed form (MIPS count them: they retired). */
  closedFormShare: number;
}

/**
 * Every program in its own child process (program-child.ts), one after another: programs
 * run in one V8 shape each other's handler feedback and heap, so the last programs measured
 * in a shared process inherit the first ones' state. Inside the child the contenders still
 * alternate (interp and compiled share its V8; the rounds are mirrored for that).
 */
export function measurePrograms(rounds: number, log: (s: string) => void): ProgramRow[] {
  return benchPrograms().map((p) => {
    const row = inChild<ProgramRow>(p, rounds);
    log(`  ${p.name}: ${(row.insns / 1e6).toFixed(1)}M insns`);
    return row;
  });
}

/** The tight loop's steady-state MIPS (steady-loop.ts), in a process of its own like every program. */
export function measureLoopSteadyState(rounds: number): SteadyLoopRow {
  return inChild<SteadyLoopRow>(loopProgram(), rounds, "steady-loop");
}

function inChild<T>(p: Program, rounds: number, mode?: "steady-loop"): T {
  const child = fileURLToPath(new URL("./program-child.ts", import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, child, JSON.stringify(p), String(rounds), ...(mode ? [mode] : [])], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${p.name}: the bench's child process ended with status ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`);
  // JSON has no NaN (an absent qemu's median, a steady rate no round could decide): null comes back as NaN.
  return JSON.parse(r.stdout, (_k, v: unknown) => (v === null ? NaN : v)) as T;
}

/**
 * One program: interpreter alone, default tier, interpreter again, native and qemu, in turn
 * and mirrored every other round, so the compiled run always sits between two interpreter
 * runs whose difference shows the noise (run by program-child.ts).
 */
export function measureProgram(p: Program, rounds: number): ProgramRow {
  const tier = JIT_THRESHOLD;
  const elf = new Uint8Array(readFileSync(p.bin));
  let insns = 0, same = true, ref: Buffer | null = null, regions = 0, closedFormShare = 0;
  const loads: number[] = [];
  const cpu = { interp: [] as number[], compiled: [] as number[], again: [] as number[] };
  const check = (out: Buffer) => { if (ref === null) ref = out; else if (!ref.equals(out)) same = false; };
  const emu = (th: number, into: number[]) => () => { const r = emulate(elf, p, th); insns = r.insns; if (th === 0) closedFormShare = r.closedForm / r.insns; loads.push(r.load); into.push(r.runCpu); check(r.out); if (th !== 0) regions = r.regions; return r.run; };
  const proc = (cmd: string, args: string[]) => () => { const r = timeProcess(cmd, args); check(r.out); return r.t; };
  const s = alternate(rounds, {
    interp: emu(0, cpu.interp),
    compiled: emu(tier, cpu.compiled),
    again: emu(0, cpu.again),
    native: proc(p.bin, p.args),
    qemu: QEMU ? proc(QEMU, [p.bin, ...p.args]) : () => null,
  }, true);
  const roundCpu = cpu.compiled.map((compiled, i) => ({ interp: cpu.interp[i]!, compiled, again: cpu.again[i]! }));
  return { name: p.name, kind: p.kind, insns, interp: median([...s.interp, ...s.again]), compiled: median(s.compiled), interpCpu: median([...cpu.interp, ...cpu.again]), compiledCpu: median(cpu.compiled), load: median(loads), native: median(s.native), qemu: median(s.qemu), sameOutput: same,
    roundRatios: s.compiled.map((t, i) => (s.interp[i]! + s.again[i]!) / 2 / t), roundCpuRatios: roundCpu.map((r) => (r.interp + r.again) / 2 / r.compiled), roundCpu, regions, closedFormShare };
}
