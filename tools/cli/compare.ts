/**
 * `capos-conform compare before.ctrf.json after.ctrf.json`: new failures, fixed properties,
 * other changes. Exit status 1 when the later run has new failures, else 0.
 */
import { compareRuns, readCtrfRun } from "../../reports/ctrf-read.js";
import type { PropertyResult } from "../../reports/types.js";
import { statusWord } from "./common.js";
import { EXIT } from "./exit-status.js";

const line = (r: PropertyResult) => `  ${r.property} [${r.clauses.join(" ")}]${r.failure ? `: ${r.failure.message}` : r.reason ? `: ${r.reason}` : ""}`;

export default async function compare(beforeFile: string, afterFile: string): Promise<number> {
  const c = compareRuns(readCtrfRun(beforeFile), readCtrfRun(afterFile));
  const section = (title: string, rows: readonly string[]) => {
    console.log(`${title}: ${rows.length}`);
    for (const r of rows) console.log(r);
  };
  section("new failures", c.newFailures.map(line));
  section("fixed", c.fixed.map(line));
  section("changed", c.changed.map(({ before, after }) => `  ${after.property}: ${statusWord(before)} -> ${statusWord(after)}${after.failure ? `: ${after.failure.message}` : ""}`));
  if (c.added.length > 0) section("only in the later run", c.added.map(line));
  if (c.removed.length > 0) section("only in the earlier run", c.removed.map(line));
  return c.newFailures.length > 0 ? EXIT.failures : EXIT.conformant;
}
