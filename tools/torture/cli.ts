/**
 * `conform torture [--cases N] [--from I] [--seed S] [--time T] [--workers W] [--batch B] [--families f,g]
 * [--only i,j]`: the hostile-input campaign (campaign.ts). Prints one line per failure with its
 * replay command, then the figures; exit status 1 when anything crashed, hung, ended untyped
 * or went over the memory limit.
 */
import type { Command } from "commander";
import { availableParallelism } from "node:os";
import { FAMILIES } from "./cases.js";
import type { Family } from "./cases.js";
import { runCampaign } from "./campaign.js";

export function registerTorture(program: Command, description: string): void {
  program
    .command("torture")
    .description(description)
    .option("--cases <n>", "number of cases", "1000")
    .option("--from <i>", "first case index (resume a run cut short by --time)", "0")
    .option("--seed <s>", "campaign seed (default: fresh)")
    .option("--time <seconds>", "stop starting cases after this long", "0")
    .option("--workers <n>", "worker processes", String(Math.max(1, availableParallelism())))
    .option("--batch <n>", "cases per worker child", "500")
    .option("--families <list>", `comma-separated subset of ${FAMILIES.join(",")}`, FAMILIES.join(","))
    .option("--only <list>", "run only these case indices (replay)")
    .option("--json", "print the report as JSON")
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const families = String(opts["families"]).split(",").filter(Boolean) as Family[];
      for (const f of families) if (!(FAMILIES as readonly string[]).includes(f)) throw Object.assign(new Error(`unknown family ${f}`), { name: "UsageError" });
      const seed = opts["seed"] !== undefined ? Number(opts["seed"]) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
      const only = opts["only"] ? String(opts["only"]).split(",").map(Number) : undefined;
      const r = await runCampaign({
        seed,
        cases: Number(opts["cases"]),
        from: Number(opts["from"]),
        ...(only ? { only } : {}),
        families,
        workers: Number(opts["workers"]),
        batch: Number(opts["batch"]),
        caseTimeoutMs: 20_000,
        heapMiB: 768,
        rssLimitMiB: 1024,
        timeMs: Number(opts["time"]) * 1000,
        log: (l) => console.log(l),
      });
      if (opts["json"]) console.log(JSON.stringify(r, null, 1));
      else {
        console.log(`torture seed=${r.seed}: ${r.run} cases in ${(r.wallMs / 1000).toFixed(1)} s; crashes ${r.crashes}, hangs ${r.hangs}, untyped ${r.untyped}, memory ${r.failures.filter((f) => f.kind === "memory").length}; peak worker RSS ${r.peakRssMiB} MiB; slowest case ${r.slowestMs} ms`);
        console.log(`families: ${Object.entries(r.families).map(([k, v]) => `${k}=${v}`).join(" ")}`);
        console.log(`verdicts: ${Object.entries(r.verdicts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(" ")}`);
      }
      if (r.failures.length > 0) process.exitCode = 1;
    });
}
