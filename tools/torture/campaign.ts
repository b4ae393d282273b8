/**
 * The hostile-input campaign (issue 17): cases run in forked worker children, each under a
 * wall-clock watchdog (per case) and a memory watchdog (--max-old-space-size; an RSS cap
 * checked on every report). A crash is a child that dies without a verdict for its current
 * case; a hang is a case the watchdog kills. Either way the worker is replaced and the run
 * goes on with the next case. Every failure prints one line that replays it.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Family } from "./cases.js";
import type { WorkerJob, WorkerResult } from "./worker.js";

export interface CampaignOptions {
  readonly seed: number;
  readonly cases: number;
  /** First case index (resume a campaign cut short by --time). */
  readonly from?: number;
  /** Run only these case indices (replay). */
  readonly only?: readonly number[];
  readonly families: readonly Family[];
  readonly workers: number;
  /** Cases per worker child before it is replaced (bounds leaks). */
  readonly batch: number;
  /** Wall-clock watchdog per case, ms. */
  readonly caseTimeoutMs: number;
  /** Heap limit of each worker (MiB) and the RSS at which the parent kills it (MiB). */
  readonly heapMiB: number;
  readonly rssLimitMiB: number;
  /** Stop starting cases after this many ms (0: no limit). */
  readonly timeMs: number;
  readonly log?: (line: string) => void;
}

export interface Failure {
  readonly index: number;
  readonly kind: "crash" | "hang" | "untyped" | "memory";
  readonly detail: string;
  readonly replay: string;
}

export interface CampaignReport {
  readonly seed: number;
  readonly run: number;
  readonly verdicts: Record<string, number>;
  readonly families: Record<string, number>;
  readonly failures: Failure[];
  readonly crashes: number;
  readonly hangs: number;
  readonly untyped: number;
  readonly peakRssMiB: number;
  readonly slowestMs: number;
  readonly wallMs: number;
}

/** The worker beside this module: worker.ts under tsx from the sources, worker.js in the built dist/. */
const FROM_SOURCES = import.meta.url.endsWith(".ts");
const WORKER = join(import.meta.dirname, FROM_SOURCES ? "worker.ts" : "worker.js");

export function replayLine(seed: number, index: number, families: readonly Family[]): string {
  return `npx capos-conform torture --seed ${seed} --only ${index} --families ${families.join(",")}`;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  // A worker that may run no case would be replaced forever: the campaign would never end.
  if (!(Number.isSafeInteger(o.batch) && o.batch >= 1 && Number.isSafeInteger(o.workers) && o.workers >= 1)) throw new RangeError(`torture: batch and workers must be whole numbers of at least 1 (batch ${o.batch}, workers ${o.workers})`);
  const t0 = Date.now();
  const from = o.from ?? 0;
  const queue = o.only ? [...o.only] : Array.from({ length: Math.max(0, o.cases - from) }, (_, i) => from + i);
  const verdicts: Record<string, number> = {};
  const families: Record<string, number> = {};
  const failures: Failure[] = [];
  let peakRssKiB = 0, slowest = 0, run = 0;
  const fail = (index: number, kind: Failure["kind"], detail: string) => {
    const f = { index, kind, detail, replay: replayLine(o.seed, index, o.families) };
    failures.push(f);
    o.log?.(`torture: ${kind} case ${index}: ${detail}\n  replay: ${f.replay}`);
  };
  const timeUp = () => o.timeMs > 0 && Date.now() - t0 > o.timeMs;

  /** One worker lane: takes batches off the queue until it is empty. */
  const lane = async (): Promise<void> => {
    while (queue.length > 0 && !timeUp()) {
      const indices = queue.splice(0, o.batch);
      await runBatch(indices);
    }
  };

  const runBatch = (indices: number[]): Promise<void> =>
    new Promise((done) => {
      const pending = [...indices];
      const child: ChildProcess = fork(WORKER, [], {
        execArgv: [...(FROM_SOURCES ? ["--import", "tsx"] : []), `--max-old-space-size=${o.heapMiB}`],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      let timer: NodeJS.Timeout | null = null;
      let killedFor: "hang" | "memory" | null = null;
      let memDetail = "";
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          killedFor = "hang";
          child.kill("SIGKILL");
        }, o.caseTimeoutMs + (pending.length === indices.length ? 10_000 : 0)); // start-up grace for the first case
      };
      child.on("message", (r: WorkerResult) => {
        arm();
        pending.shift();
        run++;
        families[r.family] = (families[r.family] ?? 0) + 1;
        peakRssKiB = Math.max(peakRssKiB, r.maxRssKiB);
        slowest = Math.max(slowest, r.ms);
        if (r.verdict === null) fail(r.index, "untyped", `${r.family} ${r.what}: ${r.error}`);
        else for (const v of r.verdict.split(" ").filter((x) => !x.startsWith("out="))) verdicts[v] = (verdicts[v] ?? 0) + 1;
        if (r.maxRssKiB > o.rssLimitMiB * 1024) {
          killedFor = "memory";
          memDetail = `worker RSS ${Math.round(r.maxRssKiB / 1024)} MiB after case ${r.index} (${r.family} ${r.what})`;
          child.kill("SIGKILL");
        }
      });
      child.on("exit", (code, signal) => {
        if (timer) clearTimeout(timer);
        const current = pending.shift();
        if (killedFor === "memory") fail(current ?? indices[indices.length - 1]!, "memory", memDetail);
        else if (current !== undefined) {
          run++;
          if (killedFor === "hang") fail(current, "hang", `no verdict within ${o.caseTimeoutMs} ms`);
          else fail(current, "crash", `worker died (code ${code}, signal ${signal}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
        }
        // Cases after the failed one go back to the queue.
        queue.unshift(...pending);
        done();
      });
      arm();
      child.send({ seed: o.seed, indices, families: o.families } satisfies WorkerJob);
    });

  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, lane));
  return {
    seed: o.seed,
    run,
    verdicts,
    families,
    failures,
    crashes: failures.filter((f) => f.kind === "crash").length,
    hangs: failures.filter((f) => f.kind === "hang").length,
    untyped: failures.filter((f) => f.kind === "untyped").length,
    peakRssMiB: Math.round(peakRssKiB / 1024),
    slowestMs: slowest,
    wallMs: Date.now() - t0,
  };
}
