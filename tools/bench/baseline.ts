/**
 * `npm run bench -- --baseline DIR`: before and after, measured in one run. The bench of the
 * checkout at DIR ("before") and this checkout's bench ("after") run the chosen sections in
 * child processes, in turn (A B A B ...), one round each (`--rounds 1 --json FILE`, which every
 * bench since commit 19fce41 accepts); each figure is the median of its rounds on each side,
 * and the table gives their ratio. The CLI start-up rows time each checkout's dist/ from here
 * (the same commands for both; an older bench has no such rows).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ProgramRow } from "./programs.js";
import type { SteadyLoopRow } from "./steady-loop.js";
import type { StartupRow } from "./startup.js";
import type { CaseRow, CheckerRow, StartRow } from "./capos.js";
import { cliSkipReason, measureCli, type CliRow } from "./cli.js";
import { fmt, median, mixRate } from "./timing.js";

/** What `tools/bench.ts --json` writes (older benches write a subset). */
export interface BenchReport {
  programs?: ProgramRow[]; startup?: StartupRow[]; cli?: CliRow[];
  caposStart?: StartRow[]; cases?: CaseRow[]; checker?: CheckerRow;
  /**
   * The mix on seeds 2-4 right after the first pass (benches since session 5, which called it
   * the steady state; V8 is still warming up there).
   */
  casesSteady?: CaseRow[];
  /** Warm-up passes' mix rates, then the mix on fresh seeds after them (benches since session 8). */
  warmupRates?: number[];
  casesWarm?: CaseRow[];
  /** Each property alone for at least MIN_PROPERTY_CPU_S (benches since session 8). */
  casesProperty?: CaseRow[];
  /** The tight loop's steady-state (marginal) MIPS, interpreter and compiled (benches since session 9). */
  loopSteady?: SteadyLoopRow;
}

export interface Figure { key: string; value: number; higherIsBetter: boolean }

/** Every figure of a report, under a stable key (section, row, quantity with its unit). */
export function figuresOf(r: BenchReport): Figure[] {
  const out: Figure[] = [];
  const add = (key: string, value: number, higherIsBetter: boolean) => { if (Number.isFinite(value)) out.push({ key, value, higherIsBetter }); };
  for (const p of r.programs ?? []) {
    add(`cpu | ${p.name} | interp MIPS`, p.insns / p.interp / 1e6, true);
    add(`cpu | ${p.name} | compiled MIPS`, p.insns / p.compiled / 1e6, true);
    add(`cpu | ${p.name} | interp MIPS per CPU s`, p.insns / p.interpCpu / 1e6, true);
    add(`cpu | ${p.name} | compiled MIPS per CPU s`, p.insns / p.compiledCpu / 1e6, true);
    add(`cpu | ${p.name} | compiled/interp speed`, p.interp / p.compiled, true);
    add(`cpu | ${p.name} | emu(best)/qemu time`, (Math.min(p.interp, p.compiled) + p.load) / p.qemu, false);
  }
  if (r.loopSteady) {
    // since session 11 the steady loop warms up until V8 settles and takes each length's fastest
    // run (a report with warmupRounds): its own keys, never compared with the older median of
    // per-round rates, which V8's compiles in the first round moved 2-3x
    const row = r.loopSteady.warmupRounds !== undefined ? "steady state (settled, fastest runs)" : "steady state";
    add(`cpu | ${r.loopSteady.name}, ${row} | interp MIPS`, r.loopSteady.interpMips, true);
    add(`cpu | ${r.loopSteady.name}, ${row} | compiled MIPS`, r.loopSteady.compiledMips, true);
  }
  for (const s of r.startup ?? []) add(`startup | ${s.name} | emu total ms`, (s.load + s.run) * 1e3, false);
  for (const c of r.cli ?? []) add(`cli | ${c.name} | ms`, c.ms, false);
  for (const s of r.caposStart ?? []) add(`capos | ${s.name} start-to-exit | ms`, s.ms, false);
  if (r.cases) {
    for (const c of r.cases) add(`capos | ${c.property} | cases / CPU s`, c.cases / c.cpuS, true);
    const cases = r.cases.reduce((a, c) => a + c.cases, 0), cpu = r.cases.reduce((a, c) => a + c.cpuS, 0);
    add("capos | default mix | cases / CPU s", cases / cpu, true);
  }
  // Keys keep their meaning across benches: "passes 2-4" is what benches of sessions 5-7
  // printed as "steady state", so their reports compare with this one's under the same key.
  if (r.casesSteady) {
    for (const c of r.casesSteady) add(`capos | ${c.property}, passes 2-4 | cases / CPU s`, c.cases / c.cpuS, true);
    add("capos | default mix, passes 2-4 | cases / CPU s", mixRate(r.casesSteady), true);
  }
  if (r.casesWarm) {
    for (const c of r.casesWarm) add(`capos | ${c.property}, steady state after warm-up | cases / CPU s`, c.cases / c.cpuS, true);
    add("capos | default mix, steady state after warm-up | cases / CPU s", mixRate(r.casesWarm), true);
  }
  for (const c of r.casesProperty ?? []) add(`capos | ${c.property}, alone (MIN_PROPERTY_CPU_S each) | cases / CPU s`, c.cases / c.cpuS, true);
  if (r.checker) {
    // A steady row (per-check minima after warm-up) under its own keys: an older bench's row (the
    // fastest of 3 cold passes) measured mostly V8's warm-up, and the two must never be compared.
    const row = r.checker.steady ? "checker, steady (per-check minima)" : "checker";
    if (r.checker.states !== null) add(`capos | ${row} | states / s`, r.checker.states / r.checker.checkS, true);
    add(`capos | ${row} | checks / s`, r.checker.runs / r.checker.checkS, true);
  }
  return out;
}

/** One round of one checkout's bench in a child process; its JSON report (or why not). */
function benchOnce(root: string, only: readonly string[]): BenchReport | string {
  const dir = mkdtempSync(join(tmpdir(), "capos-bench-baseline-"));
  const json = join(dir, "report.json");
  try {
    const tsx = [join(root, "node_modules/.bin/tsx"), resolve("node_modules/.bin/tsx")].find(existsSync);
    if (!tsx) return `no tsx in ${root}/node_modules or here`;
    const r = spawnSync(tsx, [join(root, "tools/bench.ts"), "--rounds", "1", "--json", json, ...only.flatMap((s) => ["--only", s])], { cwd: root, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
    if (r.status !== 0 || !existsSync(json)) return `bench in ${root} ended with status ${r.status}: ${String(r.stderr).trim().split("\n").slice(-3).join(" / ")}`;
    return JSON.parse(readFileSync(json, "utf8")) as BenchReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run both checkouts' benches alternately and print each figure's before, after and gain
 * (> 1 = this checkout is better: faster, or more per second). Returns the exit status.
 */
export function runBaseline(baselineDir: string, here: string, rounds: number, only: readonly string[], log: (s: string) => void): number {
  const base = resolve(baselineDir);
  if (!existsSync(join(base, "tools/bench.ts"))) { console.log(`--baseline ${baselineDir}: no tools/bench.ts there`); return 2; }
  const sides = { before: base, after: here } as const;
  const samples = { before: new Map<string, number[]>(), after: new Map<string, number[]>() };
  const better = new Map<string, boolean>();
  const order: string[] = [];
  const wantCli = only.length === 0 || only.includes("startup");
  for (let round = 1; round <= rounds; round++) {
    for (const side of ["before", "after"] as const) {
      const root = sides[side];
      log(`round ${round}/${rounds}: ${side} (${root})...`);
      const rep = benchOnce(root, only);
      if (typeof rep === "string") { console.log(`${side}: ${rep}`); return 1; }
      const cliSkip = wantCli ? cliSkipReason(root) : null;
      if (wantCli && cliSkip === null) rep.cli = measureCli(root, 1);
      else if (cliSkip !== null && round === 1) console.log(`CLI start-up of ${side} skipped: ${cliSkip}`);
      for (const f of figuresOf(rep)) {
        if (!better.has(f.key)) { better.set(f.key, f.higherIsBetter); order.push(f.key); }
        const xs = samples[side].get(f.key) ?? [];
        xs.push(f.value);
        samples[side].set(f.key, xs);
      }
    }
  }
  console.log(`\nBefore/after in one run: before = ${base}, after = ${here}; ${rounds} alternating rounds (before, after, before, after ...), median per figure`);
  console.log("gain: after over before for figures where more is better (MIPS, cases / s), before over after for times; > 1 means after is better");
  console.log("| section | row | figure | before | after | gain |");
  console.log("|---|---|---|---|---|---|");
  for (const key of order) {
    const b = median(samples.before.get(key) ?? []), a = median(samples.after.get(key) ?? []);
    const gain = better.get(key) ? a / b : b / a;
    console.log(`| ${key} | ${fmt(b)} | ${fmt(a)} | ${Number.isFinite(gain) ? `${gain.toFixed(2)}x` : "-"} |`);
  }
  return 0;
}
