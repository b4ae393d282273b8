/**
 * `npm run bench`: how fast the suite and its emulator are, as ratios measured in one run.
 *
 *   1. CPU-bound guest programs (synthetic C and real busybox applets): guest MIPS with the
 *      interpreter alone and with the default tier policy, against native and qemu-x86_64.
 *   2. Process start-to-exit of tiny programs (start-up, separate from steady state), and the
 *      CLI's own start-up (`capos-conform --help`, `run-elf` of a probe, from dist/) against bare node.
 *   3. capOS: start-to-exit in process, conformance cases per CPU-second per property, and the
 *      model checker's search states per second.
 *
 * Contenders alternate (A B C A B C ...) and each figure is the median of its rounds; the
 * machine may be shared, so only ratios taken within one run are meaningful.
 * Options (tools/bench/options.ts; `npm run bench -- --help`): --rounds N (default 3),
 * --only cpu|startup|capos (repeatable), --json FILE, --baseline DIR (before/after: DIR's bench
 * and this one alternate in child processes; see tools/bench/baseline.ts).
 */
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeSkipReason } from "../emulator/linux/test/harness.js";
import { measureLoopSteadyState, measurePrograms, QEMU } from "./bench/programs.js";
import { marginalMips, COMPILED_LENGTH_FACTOR, type LengthPair } from "./bench/steady-loop.js";
import { measureStartup } from "./bench/startup.js";
import { measureCasesPerCpuSecond, measureChecker, measureStartToExit, measureSteadyCasesPerCpuSecond, measurePropertyRates, MIN_PROPERTY_CPU_S, MIX_SEEDS, CHECKER_REPS, CHECKER_WARMUP_PASSES } from "./bench/capos.js";
import type { CaseRow } from "./bench/capos.js";
import { fmt, mixRate, ratio, threadCpuSeconds } from "./bench/timing.js";
import { LOOP_PROGRAM, tierVerdict } from "./bench/targets.js";
import { cliSkipReason, CMD_EXTRA_CASES, cmdRowName, measureCli } from "./bench/cli.js";
import { runBaseline, type BenchReport } from "./bench/baseline.js";
import { printTargets } from "./bench/summary.js";
import { parseBenchOptions } from "./bench/options.js";

const commandLine = parseBenchOptions(process.argv.slice(2));
if ("exitStatus" in commandLine) process.exit(commandLine.exitStatus);
const { options } = commandLine;
const rounds = options.rounds;
const only = new Set<string>(options.only);
const want = (s: string) => only.size === 0 || only.has(s);
const report: BenchReport & { rounds: number } = { rounds };
const log = (s: string) => process.stderr.write(s + "\n");
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const baseline = options.baseline;
if (baseline !== undefined) process.exit(runBaseline(baseline, ROOT, rounds, [...only], log));

const why = nativeSkipReason();
if (why && (want("cpu") || want("startup"))) console.log(`guest-program sections skipped: ${why}`);
if (!QEMU) console.log("qemu-x86_64 not found: qemu columns are empty");

if (!why && want("cpu")) {
  log("guest programs...");
  const rows = measurePrograms(rounds, log);
  report.programs = rows;
  console.log(`\nCPU-bound guest programs (median of ${rounds} alternating rounds, odd rounds in reverse order; MIPS = exact guest instructions / run seconds, ELF load excluded;`);
  console.log("per CPU s: the same over this process's CPU time, V8's compiler threads included: steadier than wall time on a shared machine;");
  console.log("closed form: the share of the instructions that counted loops retired in closed form (emulator/cpu/counted-loop.ts), counted in MIPS since they retired)");
  console.log("compiled vs interp: each round ran the interpreter, the compiled tier and the interpreter again; per round the CPU time of the two interpreter runs / the compiled run (wall-time ratios after them, against the pair's mean); SLOWER = slower than both interpreter runs in every round, faster = faster than both in every round, else within noise");
  console.log("| program | kind | guest insns | interp MIPS | compiled MIPS | compiled/interp speed | compiled vs interp (rounds) | regions compiled | closed form | interp MIPS per CPU s | compiled MIPS per CPU s | emu load ms | native ms | qemu ms | emu(best)/qemu time | output |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const best = Math.min(r.interp, r.compiled) + r.load;
    const rounds = `cpu ${r.roundCpu.map((x) => `${(x.interp / x.compiled).toFixed(2)}/${(x.again / x.compiled).toFixed(2)}`).join(" ")}; wall ${r.roundRatios.map((x) => x.toFixed(2)).join(" ")}`;
    console.log(`| ${r.name} | ${r.kind} | ${(r.insns / 1e6).toFixed(1)}M | ${fmt(r.insns / r.interp / 1e6, 1)} | ${fmt(r.insns / r.compiled / 1e6, 1)} | ${ratio(r.interp, r.compiled, 2)} | ${tierVerdict(r.roundCpu)} (${rounds}) | ${r.regions} | ${(100 * (r.closedFormShare ?? 0)).toFixed(1)}% | ${fmt(r.insns / r.interpCpu / 1e6, 1)} | ${fmt(r.insns / r.compiledCpu / 1e6, 1)} | ${fmt(r.load * 1e3, 1)} | ${fmt(r.native * 1e3, 1)} | ${fmt(r.qemu * 1e3, 1)} | ${ratio(best, r.qemu)} | ${r.sameOutput ? "same" : "DIFFERENT"} |`);
  }
  log("tight loop, steady state...");
  const steady = measureLoopSteadyState(rounds);
  report.loopSteady = steady;
  const whole = rows.find((r) => r.name === LOOP_PROGRAM);
  console.log(`\nTight loop, steady state (${steady.name}: ${steady.iterationsShort} and ${steady.iterationsLong} iterations, the compiled tier ${COMPILED_LENGTH_FACTOR} times as many, alternated, ${rounds} rounds, each run a fresh process image;`);
  console.log(`after ${steady.warmupRounds ?? 1} unmeasured warm-up round(s) (until V8's other threads were idle: ${steady.settled === undefined ? "-" : steady.settled ? "settled" : "NOT settled"}; their CPU in the measured runs: interp ${fmt((steady.interpOtherCpu ?? NaN) * 1e3, 0)} ms, compiled ${fmt((steady.compiledOtherCpu ?? NaN) * 1e3, 0)} ms);`);
  console.log("steady MIPS = the long run's extra instructions / the extra CPU time (V8's threads included) between each length's fastest run (per round: that round's own pair): the load, V8's warm-up,");
  console.log("the interpreted iterations before promotion and the region's compile cancel; the MIPS targets are judged on it; the whole run of the bench length, fixed costs included, is the program row above)");
  console.log("| contender | steady MIPS per CPU s (median) | per round | steady MIPS over wall time | whole-run MIPS (program row) |");
  console.log("|---|---|---|---|---|");
  const perRound = (xs: LengthPair[]) => xs.map((x) => fmt(marginalMips(x), 0)).join(" ");
  console.log(`| interpreter | ${fmt(steady.interpMips, 1)} | ${perRound(steady.interp)} | ${fmt(steady.interpWallMips, 1)} | ${whole ? fmt(whole.insns / whole.interp / 1e6, 1) : "-"} |`);
  console.log(`| compiled tier | ${fmt(steady.compiledMips, 1)} | ${perRound(steady.compiled)} | ${fmt(steady.compiledWallMips, 1)} | ${whole ? fmt(whole.insns / whole.compiled / 1e6, 1) : "-"} |`);
}

if (!why && want("startup")) {
  log("start-up...");
  const rows = measureStartup(Math.max(rounds, 5));
  report.startup = rows;
  console.log(`\nProcess start-to-exit (median of ${Math.max(rounds, 5)} alternating rounds; emulator in process: load + run; native and qemu: whole process)`);
  console.log("| program | guest insns | emu load ms | emu run ms | emu total ms | native ms | qemu ms | emu/qemu |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.name} | ${r.insns} | ${fmt(r.load * 1e3)} | ${fmt(r.run * 1e3)} | ${fmt((r.load + r.run) * 1e3)} | ${fmt(r.native * 1e3)} | ${fmt(r.qemu * 1e3)} | ${ratio(r.load + r.run, r.qemu)} |`);
}

if (want("startup")) {
  const skip = cliSkipReason(ROOT);
  if (skip) console.log(`\nCLI start-up skipped: ${skip}`);
  else {
    log("CLI start-up...");
    const rows = measureCli(ROOT, Math.max(rounds, 5));
    report.cli = rows;
    const bare = rows[0]!.ms;
    console.log(`\nCLI start-up (the compiled dist/, whole process, median of ${Math.max(rounds, 5)} alternating rounds; bare node is the floor every row pays)`);
    console.log("| command | ms | over bare node ms | target ms | within target | status |");
    console.log("|---|---|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ms, 0)} | ${r === rows[0] ? "-" : fmt(r.ms - bare, 0)} | ${r.targetMs ?? "-"} | ${r.targetMs === null ? "-" : r.ms <= r.targetMs ? "yes" : "no"} | ${r.status} |`);
    const one = rows.find((r) => r.name === cmdRowName(1)), more = rows.find((r) => r.name === cmdRowName(1 + CMD_EXTRA_CASES));
    if (one && more) console.log(`command-adapter case (a process per case): ${fmt((more.ms - one.ms) / CMD_EXTRA_CASES, 0)} ms each, from the two cmd: rows`);
  }
}

if (want("capos")) {
  log("capOS start-to-exit...");
  const starts = measureStartToExit(Math.max(rounds, 5));
  report.caposStart = starts;
  console.log(`\ncapOS process start-to-exit in process (median of ${Math.max(rounds, 5)} alternating rounds of 20 runs; per run: instructions decoded and pages copied,`);
  console.log("which a start from the image's template leaves to do, and instructions counted loops retired in closed form)");
  console.log("| image | guest insns | end | ms | decoded | pages copied | closed form |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of starts) console.log(`| ${r.name} | ${r.insns} | ${r.end} | ${fmt(r.ms, 3)} | ${fmt(r.decoded ?? NaN, 0)} | ${fmt(r.pagesCopied ?? NaN, 1)} | ${fmt(r.closedForm ?? NaN, 0)} |`);

  log("conformance properties...");
  const cases = await measureCasesPerCpuSecond();
  report.cases = cases;
  log(`conformance properties, passes 2-4 (seeds ${MIX_SEEDS.early.join(", ")})...`);
  const early = await measureSteadyCasesPerCpuSecond(MIX_SEEDS.early);
  report.casesSteady = early;
  log(`conformance properties, ${MIX_SEEDS.warmup.length} warm-up passes (seeds ${MIX_SEEDS.warmup[0]}-${MIX_SEEDS.warmup.at(-1)})...`);
  const warmup: number[] = [];
  for (const seed of MIX_SEEDS.warmup) warmup.push(mixRate(await measureSteadyCasesPerCpuSecond([seed])));
  report.warmupRates = warmup;
  log(`conformance properties, steady state (seeds ${MIX_SEEDS.steady.join(", ")})...`);
  const threads0 = threadCpuSeconds();
  const steady = await measureSteadyCasesPerCpuSecond(MIX_SEEDS.steady);
  const threads1 = threadCpuSeconds();
  report.casesWarm = steady;
  log(`conformance properties, each for at least ${MIN_PROPERTY_CPU_S} CPU s...`);
  const perProperty = await measurePropertyRates();
  report.casesProperty = perProperty;
  const sum = (rows: CaseRow[]) => rows.reduce((a, r) => ({ cases: a.cases + r.cases, cpuS: a.cpuS + r.cpuS }), { cases: 0, cpuS: 0 });
  const first = sum(cases), early2 = sum(early), warm = sum(steady);
  console.log(`\nConformance cases per CPU-second, emulator: each property on its default runs. First pass: seed 1 in a fresh process (V8 compiling the emulator,`);
  console.log(`kernel and checker as it goes). Passes 2-4: the mix again right after it on seeds ${MIX_SEEDS.early.join(", ")} (the figure sessions 5-7 called the steady state: V8 is still warming up).`);
  const background = threads0 && threads1 ? `; of its CPU time, V8's background threads (compiler, GC) took ${fmt(threads1.others - threads0.others)} s against the main thread's ${fmt(threads1.main - threads0.main)} s` : "";
  console.log(`Then ${MIX_SEEDS.warmup.length} warm-up passes (seeds ${MIX_SEEDS.warmup[0]}-${MIX_SEEDS.warmup.at(-1)}; cases / CPU s: ${warmup.map((x) => fmt(x, 0)).join(", ")}), then the steady state: seeds ${MIX_SEEDS.steady.join(", ")}, summed (what a fuzz campaign runs at; the target is judged on it${background}).`);
  console.log(`Alone: each property by itself on further fresh seeds until it has run ${MIN_PROPERTY_CPU_S} CPU s (a short property's mix figure is one ~0.1 s sample; compare one property before and after on this one)`);
  console.log("| property | status | cases | CPU s | cases / CPU s, first pass | passes 2-4: cases / CPU s | steady cases | steady CPU s | cases / CPU s, steady state | alone: cases | CPU s | cases / CPU s |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of cases) {
    const e = early.find((x) => x.property === r.property), w = steady.find((x) => x.property === r.property), q = perProperty.find((x) => x.property === r.property);
    const statuses = [...new Set([r.status, e?.status, w?.status, q?.status].filter((s) => s !== undefined))].join(" / ");
    console.log(`| ${r.property} | ${statuses} | ${r.cases} | ${fmt(r.cpuS)} | ${fmt(r.cases / r.cpuS, 1)} | ${e ? fmt(e.cases / e.cpuS, 1) : "-"} | ${w?.cases ?? "-"} | ${w ? fmt(w.cpuS) : "-"} | ${w ? fmt(w.cases / w.cpuS, 1) : "-"} | ${q?.cases ?? "-"} | ${q ? fmt(q.cpuS) : "-"} | ${q ? fmt(q.cases / q.cpuS, 1) : "-"} |`);
  }
  console.log(`| **default mix** | | ${first.cases} | ${fmt(first.cpuS)} | ${fmt(first.cases / first.cpuS, 1)} | ${fmt(early2.cases / early2.cpuS, 1)} | ${warm.cases} | ${fmt(warm.cpuS)} | ${fmt(warm.cases / warm.cpuS, 1)} | | | |`);

  log("checker...");
  const ck = measureChecker();
  report.checker = ck;
  console.log(`\nModel checker on agent runs of the emulator (park, fs, vm scripts; seed 7; check s: wall seconds in the checker, each check's fastest of ${CHECKER_REPS} passes after ${CHECKER_WARMUP_PASSES} unmeasured ones, summed)`);
  console.log("| runs | verdicts | states | check s | states / s | checks / s |");
  console.log("|---|---|---|---|---|---|");
  console.log(`| ${ck.runs} | ${ck.verdicts} | ${ck.states ?? "-"} | ${fmt(ck.checkS, 3)} | ${ck.states === null ? "-" : fmt(ck.states / ck.checkS, 0)} | ${fmt(ck.runs / ck.checkS, 0)} |`);
}

printTargets(report);

const json = options.json;
if (json) writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
