/**
 * `npx tsx tools/case-log.ts OUT [FILTER] [RUNS_SCALE]`: every case of the selected properties
 * (default: all) at seed 1 on the emulator, written one line per step to OUT: the case as
 * generated, each run's image hash, options and result (console, end state, instruction count,
 * clock, event log), the same run again with a full trace, the verdict, and the property's reach.
 *
 * A speed change to the emulator, the generators or the properties must leave this file
 * byte-identical: run it on the checkout before the change and after, then `cmp` the two
 * files (verdicts of passing cases carry no image hash: it is computed for failures only).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { runCapos } from "../emulator/capos/index.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import { toJsonData, type ConformanceProperty } from "../properties/property.js";
import { emulatorImplementation } from "../runner/adapters/emulator.js";
import { runProperty } from "../runner/run.js";
import { resolveAgent } from "../runner/setup.js";
import { DEFAULT_BINDING } from "../spec/binding.js";
import type { Implementation, RunOptions } from "../spec/implementation.js";

const [out, filter, scale] = process.argv.slice(2);
if (!out) {
  console.error("usage: tsx tools/case-log.ts OUT [FILTER] [RUNS_SCALE]");
  process.exit(2);
}
const json = (v: unknown) => JSON.stringify(toJsonData(v));
const lines: string[] = [];
const base = await emulatorImplementation({ binding: DEFAULT_BINDING });
const impl: Implementation = {
  ...base,
  async run(image: Uint8Array, opts: RunOptions = {}) {
    const r = await base.run(image, opts);
    const traced = runCapos(image, { binding: DEFAULT_BINDING, trace: true, ...(opts.schedule ? { schedule: opts.schedule } : {}), ...(opts.maxInsns ? { maxInsns: opts.maxInsns } : {}) });
    lines.push(`RUN ${createHash("sha256").update(image).digest("hex")} ${json(opts)} ${json(r)}`);
    lines.push(`TRACE ${json({ console: traced.console, end: traced.end, insns: traced.insns, events: traced.events, clockNs: traced.clockNs })}`);
    return r;
  },
};
const selected: ConformanceProperty[] = ALL_PROPERTIES.filter((p) => !filter || new RegExp(filter).test(p.id)).map((p) => ({
  ...p,
  async check(c: unknown, ctx) {
    lines.push(`CASE ${p.id} ${json(p.describe(c))}`);
    const v = await p.check(c, ctx);
    lines.push(`VERDICT ${json(v.ok ? { ...v, elfSha256: undefined } : v)}`);
    return v;
  },
}));
const cfg = { impl, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: selected, seed: 1, runsScale: scale ? Number(scale) : 1 };
for (const p of selected) {
  const r = await runProperty(p, cfg, 1);
  lines.push(`RESULT ${p.id} ${r.status} ${r.runs} ${json(r.reach)}`);
  console.log(`${p.id}: ${r.status}, ${r.runs} cases`);
}
writeFileSync(out, lines.join("\n") + "\n");
