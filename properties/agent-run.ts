/**
 * Shared step of every agent-based property: patch the script into the agent, run it on the
 * implementation (under the schedule when it can be scheduled), and ask the model whether
 * the observed records and end state are an allowed run.
 */
import { checkAgentRun, describeEnd, type EndState as ModelEnd } from "../model/checker.js";
import { formatObservation, parseObservations, type Script } from "../spec/agent-protocol.js";
import type { EndState, Schedule } from "../spec/run-protocol.js";
import { patchScript, sha256 } from "../generators/agent-image.js";
import type { PropertyContext, Verdict } from "./property.js";
import { agentReach, steeringOf } from "./reach.js";

/** The implementation's end state in the model's terms (undefined: cannot be a conforming end). */
export function toModelEnd(end: EndState): ModelEnd | undefined {
  switch (end.kind) {
    case "exit":
      return { kind: "exit", code: end.code };
    case "fault":
      // The implementation's thread numbers are not the script's: leave the thread out.
      return {
        kind: "fault",
        fault: end.fault,
        ...(end.addr !== undefined ? { addr: end.addr } : {}),
        ...(end.access ? { access: end.access } : {}),
      };
    case "hang":
      return { kind: "hang" };
    case "budget":
      return { kind: "budget" };
    case "rejected":
      return undefined;
  }
}

export function describeEndState(end: EndState): string {
  const m = toModelEnd(end);
  return m ? describeEnd(m) : `rejected: ${end.kind === "rejected" ? end.reason : ""}`;
}

export async function runAgentCase(script: Script, schedule: Schedule | undefined, ctx: PropertyContext): Promise<Verdict> {
  const image = patchScript(ctx.agent, script);
  const elfSha256 = sha256(image);
  const useSchedule = schedule && ctx.impl.supports.schedule ? schedule : undefined;
  const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns, trace: ctx.trace === true, ...(useSchedule ? { schedule: useSchedule } : {}) });
  const text = new TextDecoder().decode(run.console);
  const { observations, otherLines } = parseObservations(text);
  const observed = [...observations.map((o) => formatObservation(o).trimEnd()), ...otherLines.map((l) => `console: ${l}`), `end: ${describeEndState(run.end)}`];
  const steering = steeringOf(script, useSchedule !== undefined);
  const base = { elfSha256, observed, steering, ...(useSchedule ? { schedule: useSchedule } : {}), ...(run.events && run.events.length > 0 ? { trace: run.events.slice(-60) } : {}) };
  const end = toModelEnd(run.end);
  if (!end) return { ok: false, message: `the implementation rejected the agent image: ${describeEndState(run.end)}`, ...base };
  if (end.kind === "budget") return { ok: false, message: "the run exhausted its instruction budget (a conforming agent run ends well within it)", ...base };
  const verdict = checkAgentRun(script, { observations, end }, ctx.binding, {}, { time: "lazy", witness: true });
  if (verdict.ok) return { ok: true, ...base, reach: agentReach(script, observations, run.end, verdict.witness, ctx.binding) };
  if (verdict.undecided) return { ok: true, ...base, message: "model search budget exhausted: undecided, counted as pass" };
  return {
    ok: false,
    message: `${verdict.reason}${verdict.atObservation !== undefined ? ` (at record ${verdict.atObservation})` : ""}`,
    ...(verdict.allowed ? { allowed: verdict.allowed } : {}),
    ...base,
  };
}
