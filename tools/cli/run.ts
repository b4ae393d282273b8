/**
 * `capos-conform run`: the selected properties against one implementation with a fixed seed
 * and bounded cases; prints the verdict and writes the reports and failure artefacts as one
 * set (none with --no-reports). Exit status: 0 conformant, 1 failures.
 */
import { ALL_PROPERTIES } from "../../properties/index.js";
import { writeRunOutputs } from "../../reports/write.js";
import { loadExpectations, NO_EXPECTATIONS } from "../../runner/expectations.js";
import { scoreForRun } from "../../runner/mutation-score.js";
import { runConformance, runFailed } from "../../runner/run.js";
import { baseConfig, progressReporter } from "./common.js";
import { EXIT } from "./exit-status.js";
import type { RunOptions } from "./program.js";
import { summarize } from "./summary.js";

export default async function run(o: RunOptions): Promise<number> {
  const base = await baseConfig(o);
  const expectations = o.expectations ? loadExpectations(o.expectations) : NO_EXPECTATIONS;
  const progress = progressReporter();
  const cfg = {
    ...base,
    properties: ALL_PROPERTIES,
    seed: o.seed,
    ...(o.runs !== undefined ? { runs: o.runs } : {}),
    ...(o.quick ? { runsScale: 0.25 } : {}),
    ...(o.filter ? { filter: o.filter } : {}),
    ...(o.clause ? { clause: o.clause } : {}),
    ...(o.shard ? { shard: o.shard } : {}),
    expectations,
    onProgress: progress.onProgress,
  };
  let result;
  try {
    result = await runConformance(cfg);
    result = { ...result, mutationScore: scoreForRun(cfg) };
  } finally {
    progress.stop();
  }
  if (o.reports) {
    const { paths, artefacts, run: written } = writeRunOutputs(result, o.out, { statements: true });
    for (const line of summarize(written)) console.log(line);
    console.log(`reports: ${Object.values(paths).join(" ")}${artefacts.length > 0 ? ` (failure artefacts in ${o.out}/failures)` : ""}`);
  } else for (const line of summarize(result)) console.log(line);
  return runFailed(result) ? EXIT.failures : EXIT.conformant;
}
