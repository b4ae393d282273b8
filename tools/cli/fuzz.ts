/**
 * `capos-conform fuzz`: the selected properties with fresh seeds until one fails or the
 * campaign's time budget is spent. The budget (--time) covers the whole campaign: each
 * property gets an equal share of what is left when its turn comes (a property that ends
 * early leaves its rest to the next). Exit status: 0 nothing found, 1 a failure (its repro
 * printed).
 */
import { randomInt } from "node:crypto";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { globToRegExp } from "../../spec/clauses/index.js";
import { NothingSelectedError } from "../../runner/errors.js";
import { runProperty, selectProperties, shardOf } from "../../runner/run.js";
import { baseConfig, progressReporter, statusWord } from "./common.js";
import { EXIT } from "./exit-status.js";
import { explainFailure } from "./explain.js";
import type { FuzzOptions } from "./program.js";

export default async function fuzz(o: FuzzOptions): Promise<number> {
  const base = await baseConfig(o);
  const selected = selectProperties(ALL_PROPERTIES, globToRegExp(o.property));
  if (selected.length === 0) throw new NothingSelectedError(`no property matches ${o.property}`);
  const props = shardOf(selected, o.shard);
  if (props.length === 0) throw new NothingSelectedError(`shard ${o.shard!.index}/${o.shard!.count} holds none of the ${selected.length} selected properties`);
  const deadline = Date.now() + o.time;
  const progress = progressReporter();
  let cases = 0;
  console.log(`fuzzing ${props.length} properties for ${o.time / 1000} s in all`);
  try {
    for (const [i, p] of props.entries()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        console.log(`time is up: ${props.length - i} properties not fuzzed (${props.slice(i).map((x) => x.id).join(" ")})`);
        break;
      }
      const share = Math.max(1, Math.floor(left / (props.length - i)));
      const seed = randomInt(0, 2 ** 31 - 1);
      progress.onProgress({ kind: "start", property: p.id, index: i, total: props.length });
      const r = await runProperty(p, { ...base, properties: props, seed, timeLimitMs: share, onProgress: progress.onProgress }, seed);
      progress.onProgress({ kind: "done", result: r });
      cases += r.runs;
      if (r.failure) {
        progress.stop();
        console.log(`${statusWord(r)} ${p.id} with seed ${seed} after ${r.runs} cases`);
        for (const l of explainFailure(r)) console.log(`  ${l}`);
        return EXIT.failures;
      }
    }
  } finally {
    progress.stop();
  }
  console.log(`no failure in ${cases} cases over ${props.length} properties`);
  return EXIT.conformant;
}
