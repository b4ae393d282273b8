/**
 * Deterministic mutations of an observed agent run (a record dropped, altered, swapped or
 * moved; the end or the end clock changed), so that a verdict corpus covers rejections as
 * well as acceptances. Pure: the same run and index always give the same mutants.
 * Used by tools/checker-corpus.ts (which records the verdicts) and model/checker-corpus.test.ts
 * (which replays them).
 */
import type { Observation } from "../../spec/agent-protocol.js";
import type { ObservedRun } from "../checker.js";

export interface RunMutant {
  readonly what: string;
  readonly run: ObservedRun;
}

const U64 = (1n << 64n) - 1n;

/** A small deterministic hash of a string (FNV-1a), to pick positions without randomness. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Mutants of `run` (at most eight); `salt` varies the positions between runs. */
export function mutateRun(run: ObservedRun, salt: string): RunMutant[] {
  const obs = run.observations;
  const n = obs.length;
  const out: RunMutant[] = [];
  const h = hash(salt);
  const at = (k: number): number => (n === 0 ? 0 : (h >>> (k * 3)) % n);
  const withObs = (what: string, o: readonly Observation[]): void => void out.push({ what, run: { ...run, observations: o } });
  if (n > 0) {
    const k = at(0);
    withObs(`drop record ${k}`, obs.filter((_, i) => i !== k));
    const j = at(1);
    const o = obs[j]!;
    withObs(`record ${j} value ^ 1`, obs.map((x, i) => (i === j ? { ...o, value: o.value ^ 1n } : x)));
    const s = at(2);
    const so = obs[s]!;
    // An ok record carries a u64 (as the agent prints it), an err record a negative number.
    const flipped: Observation = so.status === "ok" ? { ...so, status: "err", value: -(so.value & 0xffffn) - 1n } : { ...so, status: "ok", value: so.value & U64 };
    withObs(`record ${s} status`, obs.map((x, i) => (i === s ? flipped : x)));
  }
  // Two neighbouring records of different threads swapped: often still an allowed run.
  for (let d = 0; d + 1 < n; d++) {
    const i = (at(3) + d) % (n - 1);
    if (obs[i]!.thread !== obs[i + 1]!.thread) {
      const o = obs.slice();
      [o[i], o[i + 1]] = [o[i + 1]!, o[i]!];
      withObs(`swap records ${i} and ${i + 1}`, o);
      break;
    }
  }
  // A record moved to the end of the console.
  if (n > 1) {
    const k = at(4) % (n - 1);
    withObs(`record ${k} moved last`, [...obs.slice(0, k), ...obs.slice(k + 1), obs[k]!]);
  }
  const e = run.end;
  const end: ObservedRun["end"] =
    e.kind === "exit" ? (e.code === 0 ? { kind: "hang" } : { kind: "exit", code: e.code ^ 1 }) : e.kind === "fault" ? { kind: "exit", code: 0 } : { kind: "exit", code: 0 };
  out.push({ what: `end ${e.kind} changed`, run: { ...run, end } });
  // The end clock at the start clock: every timeout the model fired would have been early.
  if (run.clockNs !== undefined) out.push({ what: "end clock at its start", run: { ...run, clockNs: run.clockStartNs ?? 0n } });
  // A truncated console with a budget end: every prefix of a conforming run is allowed.
  if (n > 2) out.push({ what: "budget after half", run: { ...run, observations: obs.slice(0, n >> 1), end: { kind: "budget" } } });
  return out;
}
