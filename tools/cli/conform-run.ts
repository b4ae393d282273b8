/**
 * `conform run`, `conform fuzz`, `conform replay`: the conformance runner's commands.
 *
 *   run     all (or the selected) properties against one implementation, fixed seed,
 *           bounded budget; writes JSON/JUnit/Markdown/HTML reports; exit status = verdict.
 *   fuzz    the selected properties with fresh seeds until a failure or the time runs out.
 *   replay  one shrunk failure from its repro line, bit-exactly.
 */
import { randomInt } from "node:crypto";
import { join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { CLAUSES, globToRegExp } from "../../spec/clauses/index.js";
import { writeReports } from "../../reports/write.js";
import type { ConformanceRun, PropertyResult } from "../../reports/types.js";
import { loadExpectations, NO_EXPECTATIONS } from "../../runner/expectations.js";

import { runConformance, runFailed, runProperty, selectProperties, type ProgressEvent, type RunConfig } from "../../runner/run.js";
import { REPO_ROOT, resolveAgent, resolveBinding, resolveImplementation } from "../../runner/setup.js";
import { UsageError } from "../../runner/errors.js";

interface CommonOptions {
  impl: string;
  binding?: string;
  mutant?: string;
  agent?: string;
  maxInsns: string;
  out: string;
}

/** The fixed seed of `conform run` and of `npm test`'s conformance run. */
export const DEFAULT_SEED = 20261125;

function addCommon(cmd: Command): Command {
  return cmd
    .option("--impl <impl>", "implementation: emulator | cmd:'<command> {elf}'", "emulator")
    .option("--binding <file>", "binding JSON of the implementation (default: spec/binding.ts)")
    .option("--mutant <name>", "run the emulator with a seeded bug (emulator/capos/mutants.ts; `conform mutants` lists the score)")
    .option("--agent <name>", "agent ELF in targets/elf (default agent.gcc)")
    .option("--max-insns <n>", "instruction budget per guest process", "5000000")
    .option("--out <dir>", "report and artefact directory", join(REPO_ROOT, "reports", "out"));
}

async function baseConfig(o: CommonOptions): Promise<Omit<RunConfig, "properties" | "seed">> {
  const { binding, name } = resolveBinding(o.binding);
  const impl = await resolveImplementation(o.impl, binding, o.mutant);
  return {
    impl,
    binding,
    bindingName: name,
    agent: resolveAgent(o.agent),
    maxInsns: Number(o.maxInsns),
    artefactDir: join(o.out, "failures"),
    ...(o.mutant ? { mutant: o.mutant } : {}),
  };
}

/** Progress: a bar on a terminal, plain lines otherwise (CI logs). */
function progressReporter(): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  if (process.stderr.isTTY && !process.env["CI"]) {
    const bar = new cliProgress.SingleBar(
      { format: "{bar} {value}/{total} properties | {property} ({cases} cases)", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let cases = 0;
    return {
      onProgress(e) {
        if (e.kind === "start") {
          if (e.index === 0) bar.start(e.total, 0, { property: e.property, cases: 0 });
          cases = 0;
          bar.update(e.index, { property: e.property, cases });
        } else if (e.kind === "case") bar.update({ cases: ++cases });
        else bar.increment(1, { property: e.result.property });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    onProgress(e) {
      if (e.kind === "done") process.stderr.write(`${statusWord(e.result)} ${e.result.property} (${e.result.runs} cases, ${e.result.durationMs} ms)\n`);
    },
    stop() {},
  };
}

function statusWord(r: PropertyResult): string {
  return { passed: "pass", failed: "FAIL", xfail: "xfail", xpass: "XPASS", skipped: "skip", unsupported: "unsupported" }[r.status];
}

export function summarize(run: ConformanceRun): string[] {
  const lines: string[] = [];
  for (const r of run.results) {
    lines.push(`${statusWord(r).padEnd(11)} ${r.property} [${r.clauses.join(" ")}]${r.reason ? ` (${r.reason})` : ""}`);
    if (r.failure) {
      lines.push(`  ${r.failure.message}`);
      lines.push(`  repro: ${r.failure.repro}`);
    }
  }
  const cited = new Set(run.results.flatMap((r) => r.clauses));
  const testable = CLAUSES.filter((c) => c.status !== "FUTURE");
  const untested = testable.filter((c) => !cited.has(c.id)).map((c) => c.id);
  lines.push(`clauses exercised: ${testable.length - untested.length} of ${testable.length} non-FUTURE clauses; not exercised: ${untested.join(" ") || "none"}`);
  const count = (s: PropertyResult["status"]) => run.results.filter((r) => r.status === s).length;
  lines.push(
    `${count("passed")} passed, ${count("failed") + count("xpass")} failed, ${count("xfail")} expected failures, ${count("skipped")} skipped, ${count("unsupported")} unsupported`,
  );
  return lines;
}

export function registerConformCommands(program: Command): void {
  addCommon(
    program
      .command("run", { isDefault: true })
      .description("run the conformance properties against an implementation (fixed seed)")
      .option("--seed <n>", "fast-check seed", String(DEFAULT_SEED))
      .option("--runs <n>", "cases per property (default: each property's own)")
      .option("--quick", "a quarter of each property's default cases", false)
      .option("--filter <regex>", "only properties whose id matches")
      .option("--clause <glob>", "only properties citing a matching clause, e.g. PARK-*")
      .option("--expectations <file>", "expected failures and skips of this implementation (JSON)")
      .option("--no-reports", "do not write report files"),
  ).action(async (o: CommonOptions & { seed: string; runs?: string; quick: boolean; filter?: string; clause?: string; expectations?: string; reports: boolean }) => {
    const progress = progressReporter();
    const run = await runConformance({
      ...(await baseConfig(o)),
      properties: ALL_PROPERTIES,
      seed: Number(o.seed),
      ...(o.runs ? { runs: Number(o.runs) } : {}),
      ...(o.quick ? { runsScale: 0.25 } : {}),
      ...(o.filter ? { filter: new RegExp(o.filter) } : {}),
      ...(o.clause ? { clause: o.clause } : {}),
      expectations: o.expectations ? loadExpectations(o.expectations) : NO_EXPECTATIONS,
      onProgress: progress.onProgress,
    });
    progress.stop();
    for (const line of summarize(run)) console.log(line);
    if (o.reports) {
      const paths = writeReports(run, o.out, { statements: true });
      console.log(`reports: ${Object.values(paths).join(" ")}`);
    }
    process.exitCode = runFailed(run) ? 1 : 0;
  });

  addCommon(
    program
      .command("fuzz")
      .description("fuzz properties with fresh seeds; stops at the first failure and prints its repro")
      .requiredOption("--property <glob>", "property ids to fuzz, e.g. 'park.*'")
      .option("--time <duration>", "time per property, e.g. 60s or 2m", "60s"),
  ).action(async (o: CommonOptions & { property: string; time: string }) => {
    const m = /^(\d+)(ms|s|m)?$/.exec(o.time);
    if (!m) throw new UsageError(`bad --time ${o.time}`);
    const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? "s"] ?? 1000);
    const base = await baseConfig(o);
    const props = selectProperties(ALL_PROPERTIES, globToRegExp(o.property));
    if (props.length === 0) throw new UsageError(`no property matches ${o.property}`);
    for (const p of props) {
      const seed = randomInt(0, 2 ** 31 - 1);
      console.log(`fuzzing ${p.id} for ${o.time} with seed ${seed}`);
      const r = await runProperty(p, { ...base, properties: props, seed, timeLimitMs: ms }, seed);
      console.log(`${statusWord(r)} ${p.id}: ${r.runs} cases in ${r.durationMs} ms`);
      if (r.failure) {
        console.log(`  ${r.failure.message}`);
        console.log(`repro: ${r.failure.repro}`);
        process.exitCode = 1;
        return;
      }
    }
  });

  addCommon(
    program
      .command("replay")
      .description("replay one failure from its repro line")
      .requiredOption("--seed <n>", "seed of the failing run")
      .requiredOption("--path <path>", "fast-check path of the shrunk case")
      .requiredOption("--property <id>", "property id")
      .option("--elf <sha256>", "hash of the image the failure ran; replay checks it")
      .option("--schedule <encoded>", "schedule of the failure; replay checks it"),
  ).action(async (o: CommonOptions & { seed: string; path: string; property: string; elf?: string; schedule?: string }) => {
    const base = await baseConfig(o);
    const p = ALL_PROPERTIES.find((x) => x.id === o.property);
    if (!p) throw new UsageError(`unknown property ${o.property}`);
    const seed = Number(o.seed);
    const r = await runProperty(p, { ...base, properties: [p], seed }, seed, o.path);
    const f = r.failure;
    if (!f) {
      console.log(`did not reproduce: ${p.id} passed for seed ${seed} path ${o.path}`);
      process.exitCode = 0;
      return;
    }
    const mismatches: string[] = [];
    if (o.elf && f.elfSha256 && o.elf !== f.elfSha256) mismatches.push(`image hash ${f.elfSha256} differs from ${o.elf}`);
    if (o.schedule && f.schedule && o.schedule !== f.schedule) mismatches.push(`schedule ${f.schedule} differs from ${o.schedule}`);
    console.log(`reproduced: ${p.id} [${p.clauses.join(" ")}]`);
    console.log(`  ${f.message}`);
    if (f.observed) for (const l of f.observed.slice(0, 40)) console.log(`  observed: ${l}`);
    if (f.allowed) for (const l of f.allowed.slice(0, 10)) console.log(`  allowed:  ${l}`);
    for (const m of mismatches) console.log(`  WARNING: ${m}`);
    console.log(`repro: ${f.repro}`);
    process.exitCode = 1;
  });

  program
    .command("binding")
    .description("print the default binding as JSON (a template for an implementation's own), or check a binding file")
    .option("--check <file>", "validate a binding file and report the first bad field")
    .action(async (o: { check?: string }) => {
      const { bindingToJson, loadBindingFile } = await import("../../spec/binding-file.js");
      if (o.check) {
        try {
          loadBindingFile(o.check);
          console.log(`${o.check}: valid binding`);
        } catch (e) {
          console.error(String(e));
          process.exitCode = 1;
        }
        return;
      }
      console.log(JSON.stringify(bindingToJson(), null, 2));
    });
}


