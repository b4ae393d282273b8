/**
 * `capos-conform merge a.ctrf.json b.ctrf.json ...`: the shards of one run (same
 * implementation and seed, each property once) as one set of reports. Exit status is the
 * merged verdict: 0 conformant, 1 failures.
 */
import { ALL_PROPERTIES } from "../../properties/index.js";
import { mergeRuns, readCtrfRun } from "../../reports/ctrf-read.js";
import { writeReports } from "../../reports/write.js";
import { runFailed } from "../../runner/run.js";
import { EXIT } from "./exit-status.js";
import { summarize } from "./summary.js";

export default async function merge(files: string[], o: { out: string }): Promise<number> {
  const run = mergeRuns(
    files.map((file) => ({ file, run: readCtrfRun(file) })),
    ALL_PROPERTIES.map((p) => p.id),
  );
  for (const line of summarize(run)) console.log(line);
  const paths = writeReports(run, o.out, { statements: true });
  console.log(`merged ${files.length} reports: ${Object.values(paths).join(" ")}`);
  return runFailed(run) ? EXIT.failures : EXIT.conformant;
}
