/**
 * `capos-conform fuzz`: the selected properties with fresh seeds until one fails or the
 * campaign's time budget is spent. The budget (--time) covers the whole campaign: each
 * property gets an equal share of what is left when its turn comes (a property that ends
 * early leaves its rest to the next). Each property's seed derives from the campaign seed
 * (--seed, fresh by default), so the shards of one campaign can be merged like a run's.
 * Writes the campaign's reports and failure artefact as `run` does (none with --no-reports).
 * Exit status: 0 nothing found, 1 a failure (its repro printed).
 */
import { randomInt } from "node:crypto";
import { ALL_PROPERTIES } from "../../properties/index.js";
import type { ConformanceRun, PropertyResult } from "../../reports/types.js";
import { writeRunOutputs } from "../../reports/write.js";
import { globToRegExp } from "../../spec/clauses/index.js";
import { NothingSelectedError } from "../../runner/errors.js";
import { runProperty, runRecord, selectProperties, shardOf } from "../../runner/run.js";
import { baseConfig, progressReporter, statusWord } from "./common.js";
import { EXIT } from "./exit-status.js";
import { explainFailure } from "./explain.js";
import type { FuzzOptions } from "./program.js";

/** The seed of one property in a campaign: the campaign seed mixed with the id (FNV-1a). */
export function propertySeed(campaign: number, id: string): number {
  let h = 0x811c9dc5;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (campaign ^ h) & 0x7fff_ffff;
}

export default async function fuzz(o: FuzzOptions): Promise<number> {
  const base = await baseConfig(o);
  const selected = selectProperties(ALL_PROPERTIES, globToRegExp(o.property));
  if (selected.length === 0) throw new NothingSelectedError(`no property matches ${o.property}`);
  const props = shardOf(selected, o.shard);
  if (props.length === 0) throw new NothingSelectedError(`shard ${o.shard!.index}/${o.shard!.count} holds none of the ${selected.length} selected properties`);
  const campaign = o.seed ?? randomInt(0, 2 ** 31 - 1);
  const startedAt = new Date().toISOString();
  const deadline = Date.now() + o.time;
  const progress = progressReporter();
  const results: PropertyResult[] = [];
  console.log(`fuzzing ${props.length} properties for ${o.time / 1000} s in all, campaign seed ${campaign}`);
  try {
    for (const [i, p] of props.entries()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        console.log(`time is up: ${props.length - i} properties not fuzzed (${props.slice(i).map((x) => x.id).join(" ")})`);
        break;
      }
      const share = Math.max(1, Math.floor(left / (props.length - i)));
      const seed = propertySeed(campaign, p.id);
      progress.onProgress({ kind: "start", property: p.id, index: i, total: props.length });
      const r = await runProperty(p, { ...base, properties: props, seed, timeLimitMs: share, onProgress: progress.onProgress }, seed);
      progress.onProgress({ kind: "done", result: r });
      results.push(r);
      if (r.failure) break;
    }
  } finally {
    progress.stop();
  }
  let run: ConformanceRun = {
    ...runRecord({ ...base, seed: campaign, ...(o.shard ? { shard: o.shard } : {}) }, results, startedAt),
    mutationScore: { notMeasured: "a fuzz campaign (fresh seeds, a time budget) is not a fixed configuration" },
  };
  if (o.reports) run = writeRunOutputs(run, o.out, { statements: true }).run;
  const failed = run.results.find((r) => r.failure);
  if (failed) {
    console.log(`${statusWord(failed)} ${failed.property} with seed ${failed.seed} after ${failed.runs} cases`);
    for (const l of explainFailure(failed)) console.log(`  ${l}`);
    return EXIT.failures;
  }
  console.log(`no failure in ${results.reduce((n, r) => n + r.runs, 0)} cases over ${results.length} properties`);
  return EXIT.conformant;
}
