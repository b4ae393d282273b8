/**
 * `conform mutants`: the mutation score of the fixed-seed default `run` configuration. Each
 * seeded bug runs in a worker process (`--jobs`, default 2); prints caught/missed per mutant
 * with the catching property, then `caught N/M`; exit 1 if any mutant is missed.
 */
import { fork } from "node:child_process";
import type { Command } from "commander";
import { MUTANT_NAMES } from "../../emulator/capos/index.js";
import { formatScore, runMutant, type MutantOutcome } from "../../runner/mutation.js";
import { scoreFile } from "../../runner/mutation-score.js";
import { UsageError } from "../../runner/errors.js";
import { writeFileAtomic } from "../../reports/write.js";
import { DEFAULT_SEED } from "./program.js";
import { parsePositiveInt, parsePositiveNumber, parseSeed } from "./parse.js";

interface Options {
  seed: number;
  jobs: number;
  only?: string;
  runsScale: number;
  worker?: string;
  json?: string;
}

/** Run one mutant in a child process of this same command (`--worker NAME`). */
function inWorker(name: string, o: Options): Promise<MutantOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, ["mutants", "--worker", name, "--seed", String(o.seed), "--runs-scale", String(o.runsScale)], {
      execArgv: process.execArgv,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    let outcome: MutantOutcome | undefined;
    child.on("message", (m) => (outcome = m as MutantOutcome));
    child.on("error", reject);
    child.on("exit", (code) => (outcome ? resolve(outcome) : reject(new Error(`worker for ${name} exited with ${code} and no result`))));
  });
}

export function registerMutants(program: Command, description: string): void {
  program
    .command("mutants")
    .description(description)
    .option("--seed <n>", "fast-check seed", parseSeed, DEFAULT_SEED)
    .option("--jobs <n>", "worker processes", parsePositiveInt, 2)
    .option("--only <names>", "comma-separated mutant names")
    .option("--runs-scale <x>", "scale of each property's default cases", parsePositiveNumber, 1)
    .option("--json <file>", "also write the configuration and the outcomes as JSON (the form of runner/mutation-score.json)")
    .option("--worker <name>", "(internal) run one mutant and send its outcome to the parent")
    .action(async (o: Options) => {
      const opts = { seed: o.seed, runsScale: o.runsScale };
      if (o.worker) {
        const r = await runMutant(o.worker, opts);
        await new Promise<void>((res) => process.send!(r, () => res()));
        return;
      }
      const names = o.only ? o.only.split(",") : [...MUTANT_NAMES];
      const unknown = names.filter((n) => !(MUTANT_NAMES as readonly string[]).includes(n));
      if (unknown.length) throw new UsageError(`unknown mutant ${unknown.join(", ")} (known: ${MUTANT_NAMES.join(", ")})`);
      const jobs = o.jobs;
      const out = new Array<MutantOutcome>(names.length);
      let next = 0;
      const lane = async () => {
        while (next < names.length) {
          const i = next++;
          out[i] = jobs === 1 ? await runMutant(names[i]!, opts) : await inWorker(names[i]!, o);
          const [line] = formatScore([out[i]!]);
          process.stderr.write(`${line}\n`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, names.length) }, lane));
      for (const line of formatScore(out)) console.log(line);
      if (o.json) {
        writeFileAtomic(o.json, JSON.stringify(scoreFile(opts.seed, opts.runsScale, out), null, 2) + "\n");
      }
      for (const m of out.filter((x) => x.caughtBy)) console.log(`  ${m.mutant}: ${m.repro ?? ""}`);
      process.exitCode = out.every((x) => x.caughtBy) ? 0 : 1;
    });
}
