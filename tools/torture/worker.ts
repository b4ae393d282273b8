/**
 * A campaign worker (a child process, forked by campaign.ts): runs cases [from, to) of one
 * seed and reports each verdict to the parent as it ends, with its peak RSS so far. An
 * exception escaping a case is reported as an untyped end (a harness bug), never swallowed.
 */
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { makeCase } from "./cases.js";
import type { Family } from "./cases.js";
import { runCase } from "./run-case.js";

export interface WorkerJob {
  readonly seed: number;
  readonly indices: readonly number[];
  readonly families: readonly Family[];
}

export interface WorkerResult {
  readonly index: number;
  readonly family: string;
  readonly what: string;
  /** The typed verdict, or null when the case threw. */
  readonly verdict: string | null;
  readonly error?: string;
  readonly ms: number;
  readonly maxRssKiB: number;
}

process.once("message", async (job: WorkerJob) => {
  for (const index of job.indices) {
    const t0 = performance.now();
    let family = "?", what = "?", verdict: string | null = null, error: string | undefined;
    try {
      const c = makeCase(DEFAULT_BINDING, job.seed, index, job.families);
      family = c.family;
      what = c.what;
      verdict = await runCase(c);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e);
    }
    const r: WorkerResult = { index, family, what, verdict, ...(error ? { error } : {}), ms: Math.round(performance.now() - t0), maxRssKiB: process.resourceUsage().maxRSS };
    await new Promise<void>((ok) => process.send!(r, () => ok()));
  }
  process.disconnect();
});
