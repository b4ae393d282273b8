/**
 * `capos-conform replay`: one failure from its repro line, bit-exactly. Exit status 1 when it
 * reproduces (the failure is still there), 0 when the property now passes.
 */
import { ALL_PROPERTIES } from "../../properties/index.js";
import { UsageError } from "../../runner/errors.js";
import { runProperty } from "../../runner/run.js";
import { baseConfig } from "./common.js";
import { EXIT } from "./exit-status.js";
import { explainFailure } from "./explain.js";
import type { ReplayOptions } from "./program.js";

export default async function replay(o: ReplayOptions): Promise<number> {
  const p = ALL_PROPERTIES.find((x) => x.id === o.property);
  if (!p) throw new UsageError(`unknown property ${o.property} (see capos-conform list)`);
  const base = await baseConfig(o);
  const r = await runProperty(p, { ...base, properties: [p], seed: o.seed }, o.seed, o.path, o.commandsPath);
  const f = r.failure;
  if (!f) {
    console.log(`did not reproduce: ${p.id} passed for seed ${o.seed} path ${o.path}`);
    return EXIT.conformant;
  }
  console.log(`reproduced: ${p.id} [${p.clauses.join(" ")}]`);
  if (o.elf && f.elfSha256 && o.elf !== f.elfSha256) console.log(`  WARNING: image hash ${f.elfSha256} differs from ${o.elf}`);
  if (o.schedule && f.schedule && o.schedule !== f.schedule) console.log(`  WARNING: schedule ${f.schedule} differs from ${o.schedule}`);
  for (const l of explainFailure(r)) console.log(l.startsWith("repro: ") ? l : `  ${l}`);
  return EXIT.failures;
}
