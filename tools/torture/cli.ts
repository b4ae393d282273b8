/**
 * `conform torture [--cases N] [--from I] [--seed S] [--time T] [--workers W] [--batch B] [--families f,g]
 * [--only i,j]`: the hostile-input campaign (campaign.ts). Prints one line per failure with its
 * replay command, then the figures; exit status 1 when anything crashed, hung, ended untyped
 * or went over the memory limit.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { availableParallelism } from "node:os";
import { parseDuration, parseIndexList, parseNonNegativeInt, parsePositiveInt, parseUint32Seed } from "../cli/parse.js";
import { FAMILIES } from "./cases.js";
import type { Family } from "./cases.js";
import { runCampaign } from "./campaign.js";

interface TortureOptions {
  cases: number;
  from: number;
  seed?: number;
  /** ms; 0: no limit. */
  time: number;
  workers: number;
  batch: number;
  families: Family[];
  only?: number[];
  json?: boolean;
}

function parseFamilies(text: string): Family[] {
  const names = text.split(",").filter(Boolean);
  const unknown = names.filter((f) => !(FAMILIES as readonly string[]).includes(f));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`expected families from ${FAMILIES.join(",")}${unknown.length ? `; unknown: ${unknown.join(",")}` : ""}.`);
  return names as Family[];
}

// Every value is parsed here, so a bad one is one line and exit status 2: read with Number(),
// `--cases abc` ran no case and passed, `--batch 0` never ended, `--time 5m` and `--seed foo`
// were silently ignored.
export function registerTorture(program: Command, description: string): void {
  program
    .command("torture")
    .description(description)
    .option("--cases <n>", "number of cases", parsePositiveInt, 1000)
    .option("--from <i>", "first case index (resume a run cut short by --time)", parseNonNegativeInt, 0)
    .option("--seed <s>", "campaign seed, 0 to 4294967295 (default: fresh)", parseUint32Seed)
    .addOption(new Option("--time <duration>", "stop starting cases after this long (e.g. 90s, 5m; a bare number is seconds)").argParser(parseDuration).default(0, "no limit"))
    .option("--workers <n>", "worker processes", parsePositiveInt, Math.max(1, availableParallelism()))
    .option("--batch <n>", "cases per worker child", parsePositiveInt, 500)
    .addOption(new Option("--families <list>", `comma-separated subset of ${FAMILIES.join(",")}`).argParser(parseFamilies).default([...FAMILIES], FAMILIES.join(",")))
    .option("--only <list>", "run only these case indices (replay)", parseIndexList)
    .option("--json", "print the report as JSON")
    .action(async (opts: TortureOptions) => {
      const seed = opts.seed ?? (Math.random() * 2 ** 32) >>> 0;
      const { families, only } = opts;
      const r = await runCampaign({
        seed,
        cases: opts.cases,
        from: opts.from,
        ...(only ? { only } : {}),
        families,
        workers: opts.workers,
        batch: opts.batch,
        caseTimeoutMs: 20_000,
        heapMiB: 768,
        rssLimitMiB: 1024,
        timeMs: opts.time,
        log: (l) => console.log(l),
      });
      if (opts.json) console.log(JSON.stringify(r, null, 1));
      else {
        console.log(`torture seed=${r.seed}: ${r.run} cases in ${(r.wallMs / 1000).toFixed(1)} s; crashes ${r.crashes}, hangs ${r.hangs}, untyped ${r.untyped}, memory ${r.failures.filter((f) => f.kind === "memory").length}; peak worker RSS ${r.peakRssMiB} MiB; slowest case ${r.slowestMs} ms`);
        console.log(`families: ${Object.entries(r.families).map(([k, v]) => `${k}=${v}`).join(" ")}`);
        console.log(`verdicts: ${Object.entries(r.verdicts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(" ")}`);
      }
      if (r.failures.length > 0) process.exitCode = 1;
    });
}
