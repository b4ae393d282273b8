/**
 * The closing table of `npm run bench`: each issue-14 target, the figure this run measured
 * for it, and met / missed. Sections left out with `--only` leave their targets unmeasured
 * (said so, never counted as met).
 */
import type { BenchReport } from "./baseline.js";
import { fmt, mixRate } from "./timing.js";
import { AGENT_START_ROW, LOOP_PROGRAM, slowerPrograms, TARGETS } from "./targets.js";

interface TargetRow { target: string; figure: string; verdict: "met" | "missed" | "not measured" }


export function targetRows(r: BenchReport): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (target: string, value: number | undefined, limit: number, atMost: boolean, unit: string, d = 1) =>
    rows.push(value === undefined || !Number.isFinite(value)
      ? { target, figure: "-", verdict: "not measured" }
      : { target, figure: `${fmt(value, d)} ${unit}`, verdict: (atMost ? value <= limit : value >= limit) ? "met" : "missed" });
  // Judged on the steady state after the warm-up passes (fuzzing power is a long campaign's
  // rate); the first pass and passes 2-4, V8 still warming up, are printed beside it. A report
  // without warm-up passes (benches before session 8) leaves the target unmeasured.
  const mixTarget = `default mix >= ${TARGETS.casesPerCpuSecond} cases per CPU s (steady state)`;
  add(mixTarget, r.casesWarm && mixRate(r.casesWarm), TARGETS.casesPerCpuSecond, false, "cases / CPU s");
  const earlier = [r.cases && `first pass: ${fmt(mixRate(r.cases), 1)}`, r.casesSteady && `passes 2-4: ${fmt(mixRate(r.casesSteady), 1)}`].filter(Boolean);
  if (earlier.length > 0 && rows.at(-1)!.verdict !== "not measured") rows.at(-1)!.figure += ` (V8 warming up, ${earlier.join("; ")})`;
  add(`capOS agent start-to-exit <= ${TARGETS.caposStartMs} ms`, r.caposStart?.find((s) => s.name === AGENT_START_ROW)?.ms, TARGETS.caposStartMs, true, "ms", 3);
  add(`capos-conform --help <= ${TARGETS.helpMs} ms`, r.cli?.find((c) => c.name.includes("--help"))?.ms, TARGETS.helpMs, true, "ms", 0);
  add(`capos-conform run-elf of a probe <= ${TARGETS.runElfMs} ms`, r.cli?.find((c) => c.name.includes("run-elf"))?.ms, TARGETS.runElfMs, true, "ms", 0);
  // Judged on the loop's steady state (its marginal rate over two lengths: load, warm-up and
  // compile cancel); the whole run of the bench length is printed beside it. A report without
  // the steady-state row (benches before session 9) leaves both targets unmeasured.
  const loop = r.programs?.find((p) => p.name === LOOP_PROGRAM), steady = r.loopSteady;
  const whole = (t: number | undefined) => (t === undefined ? "" : ` (whole run of ${fmt(loop!.insns / 1e6, 1)}M instructions: ${fmt(loop!.insns / t / 1e6, 1)} MIPS)`);
  add(`interpreter >= ${TARGETS.interpLoopMips} MIPS on the tight loop (steady state)`, steady?.interpMips, TARGETS.interpLoopMips, false, "MIPS");
  if (rows.at(-1)!.verdict !== "not measured") rows.at(-1)!.figure += whole(loop?.interp);
  add(`compiled >= ${TARGETS.compiledLoopMips} MIPS on the tight loop (steady state)`, steady?.compiledMips, TARGETS.compiledLoopMips, false, "MIPS");
  if (rows.at(-1)!.verdict !== "not measured") rows.at(-1)!.figure += whole(loop?.compiled);
  if (r.programs) {
    const over = r.programs.filter((p) => Number.isFinite(p.qemu)).map((p) => ({ name: p.name, x: (Math.min(p.interp, p.compiled) + p.load) / p.qemu }));
    const worst = over.reduce<{ name: string; x: number } | undefined>((w, o) => (w === undefined || o.x > w.x ? o : w), undefined);
    const within = over.filter((o) => o.x <= TARGETS.overQemu).length;
    rows.push(worst === undefined
      ? { target: `every program <= ${TARGETS.overQemu}x qemu-user's time`, figure: "-", verdict: "not measured" }
      : { target: `every program <= ${TARGETS.overQemu}x qemu-user's time`, figure: `${within}/${over.length} within; worst ${worst.name} ${worst.x.toFixed(1)}x`, verdict: within === over.length ? "met" : "missed" });
    const slower = slowerPrograms(r.programs);
    rows.push({ target: "no compiled column slower than the interpreter", figure: slower.length === 0 ? "none slower in every round" : `slower in every round: ${slower.join(", ")}`, verdict: slower.length === 0 ? "met" : "missed" });
  } else {
    rows.push({ target: `every program <= ${TARGETS.overQemu}x qemu-user's time`, figure: "-", verdict: "not measured" });
    rows.push({ target: "no compiled column slower than the interpreter", figure: "-", verdict: "not measured" });
  }
  return rows;
}

export function printTargets(r: BenchReport): void {
  const rows = targetRows(r);
  console.log("\nIssue 14 targets (this run's figures; a shared machine moves single figures by tens of per cent)");
  console.log("| target | measured | verdict |");
  console.log("|---|---|---|");
  for (const t of rows) console.log(`| ${t.target} | ${t.figure} | ${t.verdict} |`);
}
