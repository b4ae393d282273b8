/**
 * What the run, fuzz and replay commands share: the run configuration from the common
 * options, the progress display and the status words.
 */
import cliProgress from "cli-progress";
import type { PropertyResult } from "../../reports/types.js";
import type { ProgressEvent, RunConfig } from "../../runner/run.js";
import { resolveAgent, resolveBinding, resolveImplementation } from "../../runner/setup.js";
import type { CommonOptions } from "./program.js";

export async function baseConfig(o: CommonOptions): Promise<Omit<RunConfig, "properties" | "seed">> {
  const { binding, name } = resolveBinding(o.binding);
  const caseTimeoutMs = o.caseTimeout;
  const impl = await resolveImplementation(o.impl, binding, { ...(o.mutant ? { mutant: o.mutant } : {}), ...(caseTimeoutMs !== undefined ? { caseTimeoutMs } : {}) });
  return {
    impl,
    binding,
    bindingName: name,
    agent: resolveAgent(o.agent),
    maxInsns: o.maxInsns,
    ...(caseTimeoutMs !== undefined ? { caseTimeoutMs } : {}),
    ...(o.mutant ? { mutant: o.mutant } : {}),
  };
}

export function statusWord(r: PropertyResult): string {
  return { passed: "pass", failed: "FAIL", inconclusive: "INCONCLUSIVE", xfail: "xfail", xpass: "XPASS", skipped: "skip", unsupported: "unsupported" }[r.status];
}

function doneLine(r: PropertyResult): string {
  const shrink = r.shrinkSteps ? `, shrunk in ${r.shrinkSteps} steps` : "";
  return `${statusWord(r)} ${r.property} (${r.runs} case${r.runs === 1 ? "" : "s"}${shrink}, ${r.durationMs} ms)`;
}

/**
 * Progress on stderr: a bar on a terminal, plain lines otherwise (CI logs). Shrinking steps
 * are shown as shrinking, never counted as cases.
 */
export function progressReporter(): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  if (process.stderr.isTTY && !process.env["CI"]) {
    const bar = new cliProgress.SingleBar(
      { format: "{bar} {value}/{total} properties | {property}: {phase}", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let cases = 0;
    let started = false;
    return {
      onProgress(e) {
        if (e.kind === "start") {
          if (!started) bar.start(e.total, 0, { property: e.property, phase: "" });
          started = true;
          cases = 0;
          bar.update(e.index, { property: e.property, phase: "0 cases" });
        } else if (e.kind === "case") bar.update({ phase: `${++cases} cases` });
        else if (e.kind === "shrink") bar.update({ phase: `failed after ${cases} cases; shrinking (step ${e.steps})` });
        else bar.increment(1, { property: e.result.property, phase: doneLine(e.result) });
      },
      stop: () => bar.stop(),
    };
  }
  let cases = 0;
  return {
    onProgress(e) {
      if (e.kind === "start") cases = 0;
      else if (e.kind === "case") cases++;
      else if (e.kind === "shrink" && e.steps === 1) process.stderr.write(`${e.property}: failed after ${cases} cases; shrinking\n`);
      else if (e.kind === "done") process.stderr.write(doneLine(e.result) + "\n");
    },
    stop() {},
  };
}
