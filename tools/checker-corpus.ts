/**
 * `npx tsx tools/checker-corpus.ts [--out FILE[.gz]] [--seed N] [--cases N]`: record a verdict
 * corpus for the model checker: every agent-script property's generated cases (fixed seed,
 * with their schedules) run on the emulator, on its other conforming policies and under the
 * seeded bugs that break the property's clauses, each run also mutated (model/tools/run-mutations.ts);
 * every run's verdict from the checker as it is now. model/checker-corpus.test.ts replays the
 * corpus, so a change to the checker's search (a reduction, cheaper keys) that changes a single
 * verdict fails there.
 *
 * Record with the checker whose verdicts are the reference (the committed corpus was recorded
 * by the unreduced checker of commit 32f5681, before the search reductions).
 *
 * `--compare [FILE]`: instead of writing, check the corpus FILE (default: the committed one) against the checker as it is
 * now, both its default search and the unreduced one (`reduce: false`; `--reduced-only` skips
 * it), and print every difference (exit 1 if any).
 */
import { writeFileSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { MUTANTS, POLICY_NAMES, runCapos, type MutantName, type PolicyName } from "../emulator/capos/index.js";
import { parseObservations, type Script } from "../spec/agent-protocol.js";
import type { Schedule } from "../spec/run-protocol.js";
import { patchScript } from "../generators/agent-image.js";
import { checkAgentRun, type CheckOptions, type ObservedRun } from "../model/checker.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import { agentEnvOf } from "../properties/agent-env.js";
import { toModelEnd } from "../properties/agent-run.js";
import { resolveAgent } from "../runner/setup.js";
import { emulatorImplementation } from "../runner/adapters/emulator.js";
import { DEFAULT_CASE_MAX_INSNS } from "../runner/run.js";
import { mutateRun } from "../model/tools/run-mutations.js";
import { parsePositiveInt, parseSeed } from "./cli/parse.js";
import { corpusEnv, encodeCase, decodeCorpus, verdictOf, type CorpusCase, type CorpusFile } from "../model/tools/checker-corpus-format.js";

const REPORTS = { faultAddress: true, faultThread: true } as const;
const OPTS: CheckOptions = { time: "lazy", reports: REPORTS };

async function record(seed: number, perProperty: number): Promise<CorpusFile> {
  const agent = resolveAgent();
  const impl = await emulatorImplementation({ binding: B });
  const cases: CorpusCase[] = [];
  let strippedMismatch = 0;
  for (const p of ALL_PROPERTIES) {
    const sample = fc.sample(p.arbitrary(B, impl), { seed, numRuns: Math.min(p.runs, perProperty) });
    const scripted = sample.flatMap((c) => {
      const d = p.describe(c) as { script?: Script };
      return d.script ? [{ script: d.script, schedule: (c as { schedule?: Schedule }).schedule }] : [];
    });
    if (scripted.length === 0) continue;
    // The seeded bugs that break this property's clauses: their runs are mostly rejections.
    const bugs = MUTANTS.filter((m) => m.clauses.some((c) => p.clauses.includes(c))).map((m) => m.name as MutantName);
    const policies = POLICY_NAMES.filter((x) => x !== "default");
    let n = 0;
    for (const [k, { script, schedule }] of scripted.entries()) {
      const image = patchScript(agent, script);
      const env = agentEnvOf(image);
      const sources: { source: string; mutant?: MutantName; policy?: PolicyName }[] = [{ source: "emulator" }];
      if (policies.length > 0) sources.push({ source: `policy:${policies[k % policies.length]}`, policy: policies[k % policies.length]! });
      if (bugs.length > 0) sources.push({ source: `mutant:${bugs[k % bugs.length]}`, mutant: bugs[k % bugs.length]! });
      for (const s of sources) {
        const r = runCapos(image, { binding: B, maxInsns: DEFAULT_CASE_MAX_INSNS, ...(schedule ? { schedule } : {}), ...(s.mutant ? { mutant: s.mutant } : {}), ...(s.policy ? { policy: s.policy } : {}) });
        const end = toModelEnd(r.end);
        if (!end || end.kind === "budget") continue;
        const observed: ObservedRun = { observations: parseObservations(new TextDecoder().decode(r.console)).observations, end, clockNs: r.clockNs, clockStartNs: r.clockStartNs };
        const stripped = corpusEnv(env);
        const runs = [{ what: "as observed", run: observed }, ...mutateRun(observed, `${p.id}/${k}/${s.source}`)];
        const verdicts = runs.map(({ run }) => verdictOf(checkAgentRun(script, run, B, stripped, OPTS)));
        // The corpus keeps the image's layout, not its bytes: keep only runs judged the same either way.
        const full = runs.map(({ run }) => verdictOf(checkAgentRun(script, run, B, env, OPTS)));
        if (JSON.stringify(full) !== JSON.stringify(verdicts)) {
          strippedMismatch++;
          continue;
        }
        cases.push(encodeCase({ property: p.id, source: s.source, script, env: stripped, runs: runs.map((x, i) => ({ what: x.what, run: x.run, verdict: verdicts[i]! })) }));
        n++;
      }
    }
    console.error(`${p.id}: ${n} runs`);
  }
  if (strippedMismatch) console.error(`${strippedMismatch} runs left out: their verdict needs the image's bytes`);
  return { seed, perProperty, reports: REPORTS, cases };
}

function compare(file: string, reducedOnly: boolean): number {
  const bytes = readFileSync(file);
  const corpus = decodeCorpus(JSON.parse((file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")));
  let diffs = 0;
  let runs = 0;
  const t0 = process.hrtime.bigint();
  let reducedS = 0;
  let fullS = 0;
  for (const c of corpus.cases) {
    for (const r of c.runs) {
      runs++;
      const a = process.hrtime.bigint();
      const reduced = verdictOf(checkAgentRun(c.script, r.run, B, c.env, { ...OPTS, reports: corpus.reports }));
      const b = process.hrtime.bigint();
      const full = reducedOnly ? reduced : verdictOf(checkAgentRun(c.script, r.run, B, c.env, { ...OPTS, reports: corpus.reports, reduce: false }));
      const e = process.hrtime.bigint();
      reducedS += Number(b - a) / 1e9;
      fullS += Number(e - b) / 1e9;
      const want = JSON.stringify(r.verdict);
      for (const [name, got] of [["reduced", reduced], ["unreduced", full]] as const)
        if (JSON.stringify(got) !== want) {
          diffs++;
          console.log(`${c.property} ${c.source} ${r.what} (${name}): recorded ${want}, now ${JSON.stringify(got)}`);
        }
    }
  }
  console.log(`${runs} runs, ${diffs} differences; reduced ${reducedS.toFixed(2)} s, unreduced ${fullS.toFixed(2)} s, total ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)} s`);
  return diffs === 0 ? 0 : 1;
}

/** The committed corpus: where a recording goes and what `--compare` reads unless told otherwise. */
const COMMITTED = "model/fixtures/checker-corpus.json.gz";

// commander, like every capos-conform command: with hand-read arguments `--compare` without a
// FILE fell through to recording and overwrote the committed corpus.
const options = new Command("tsx tools/checker-corpus.ts")
  .description("Record the model checker's verdict corpus, or compare the checker with a recorded one.")
  .option("--out <file>", "where a recording goes (.gz: gzipped)", COMMITTED)
  .option("--seed <n>", "fast-check seed of the recorded cases", parseSeed, 20261126)
  .option("--cases <n>", "cases per property", parsePositiveInt, 12)
  .option("--compare [file]", "compare the checker with this corpus instead of recording (default: the committed one)")
  .option("--reduced-only", "with --compare: skip the unreduced search")
  .allowExcessArguments(false)
  .parse()
  .opts<{ out: string; seed: number; cases: number; compare?: string | true; reducedOnly?: true }>();
if (options.compare !== undefined) process.exit(compare(options.compare === true ? COMMITTED : options.compare, options.reducedOnly === true));
const out = options.out;
const corpus = await record(options.seed, options.cases);
const text = JSON.stringify(corpus) + "\n";
writeFileSync(out, out.endsWith(".gz") ? gzipSync(text, { level: 9 }) : text);
console.error(`${corpus.cases.length} cases, ${corpus.cases.reduce((s, c) => s + c.runs.length, 0)} runs -> ${out}`);
