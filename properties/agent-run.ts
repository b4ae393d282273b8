/**
 * Shared step of every agent-based property: patch the script into the agent, run it on the
 * implementation (under the schedule when it can be scheduled), and ask the model whether
 * the observed records and end state are an allowed run.
 */
import { checkAgentRun, describeEnd, type EndState as ModelEnd } from "../model/checker.js";
import { AGENT_BAD_SCRIPT_EXIT, formatObservation, parseObservations, type Script } from "../spec/agent-protocol.js";
import { describeLimitEnd, isLimitEnd, type CaseEnd, type EndState, type Schedule } from "../spec/run-protocol.js";
import { patchScript, sha256 } from "../generators/agent-image.js";
import type { PropertyContext, Verdict } from "./property.js";
import { agentEnvOf } from "./agent-env.js";
import { explainAgentRun } from "./explain.js";
import { agentReach, steeringOf } from "./reach.js";

/** The one line the agent prints besides its records: its refusal of a malformed script, before exit(AGENT_BAD_SCRIPT_EXIT). */
const BAD_SCRIPT_LINE = /^agent: bad script: [a-z ]+$/;

/**
 * The implementation's end state in the model's terms (undefined: cannot be a conforming end:
 * a refused image, or an end the runner imposed such as its wall-clock limit).
 */
export function toModelEnd(end: CaseEnd): ModelEnd | undefined {
  if (isLimitEnd(end)) return undefined;
  switch (end.kind) {
    case "exit":
      return { kind: "exit", code: end.code };
    case "fault":
      // `thread` is the creation index (spec/run-protocol.ts); the checker maps it to the script's threads.
      return {
        kind: "fault",
        fault: end.fault,
        ...(end.addr !== undefined ? { addr: end.addr } : {}),
        ...(end.access ? { access: end.access } : {}),
        ...(end.thread !== undefined ? { thread: end.thread } : {}),
      };
    case "hang":
      return { kind: "hang" };
    case "budget":
      return { kind: "budget" };
    case "rejected":
      return undefined;
  }
}

export function describeEndState(end: CaseEnd): string {
  if (isLimitEnd(end)) return describeLimitEnd(end);
  const m = toModelEnd(end);
  return m ? describeEnd(m) : `rejected: ${end.kind === "rejected" ? end.reason : ""}`;
}

export async function runAgentCase(script: Script, schedule: Schedule | undefined, ctx: PropertyContext): Promise<Verdict> {
  const image = patchScript(ctx.agent, script);
  const useSchedule = schedule && ctx.impl.supports.schedule ? schedule : undefined;
  const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns, trace: ctx.trace === true, ...(useSchedule ? { schedule: useSchedule } : {}) });
  const text = new TextDecoder().decode(run.console);
  const { observations, otherLines } = parseObservations(text);
  const observed = [...observations.map((o) => formatObservation(o).trimEnd()), ...otherLines.map((l) => `console: ${l}`), `end: ${describeEndState(run.end)}`];
  const steering = steeringOf(script, useSchedule !== undefined);
  const passed = { observed, steering, ...(useSchedule ? { schedule: useSchedule } : {}), ...(run.events && run.events.length > 0 ? { trace: run.events.slice(-60) } : {}) };
  // The image hash goes into repro lines of failures only (hashing 80 KB per passing case is a
  // tenth of a light case's cost).
  const failed = () => ({ elfSha256: sha256(image), ...passed });
  const end = toModelEnd(run.end);
  if (!end)
    return {
      ok: false,
      message: run.end.kind === "rejected" ? `the implementation rejected the agent image: ${describeEndState(run.end)}` : describeEndState(run.end),
      ...failed(),
    };
  if (end.kind === "budget") return { ok: false, message: "the run exhausted its instruction budget (a conforming agent run ends well within it)", ...failed() };
  // Every Console line is a record, or the agent's refusal of a bad script as its last words.
  const stray = otherLines.filter((l, i) => !(BAD_SCRIPT_LINE.test(l) && i === otherLines.length - 1 && end.kind === "exit" && end.code === AGENT_BAD_SCRIPT_EXIT));
  if (stray.length > 0) return { ok: false, message: `the Console carried ${stray.length} line(s) that are not agent records, first: ${JSON.stringify(stray[0]!.slice(0, 80))}`, ...failed() };
  const verdict = checkAgentRun(
    script,
    { observations, end, ...(run.clockNs !== undefined ? { clockNs: run.clockNs } : {}), ...(run.clockStartNs !== undefined ? { clockStartNs: run.clockStartNs } : {}) },
    ctx.binding,
    agentEnvOf(image),
    { time: "lazy", witness: true, ...(ctx.impl.reports ? { reports: ctx.impl.reports } : {}), ...(ctx.checkerMaxStates ? { maxStates: ctx.checkerMaxStates } : {}) },
  );
  if (verdict.ok) return { ok: true, ...passed, reach: agentReach(script, observations, end, verdict.witness, ctx.binding) };
  // No silent passes: the checker could not decide, which is its own verdict.
  if (verdict.undecided) return { ok: false, inconclusive: true, ...failed(), message: `inconclusive: ${verdict.reason}` };
  return {
    ok: false,
    message: `${verdict.reason}${verdict.atObservation !== undefined ? ` (at record ${verdict.atObservation})` : ""}`,
    ...(verdict.allowed ? { allowed: verdict.allowed } : {}),
    explanation: explainAgentRun(
      script,
      observations,
      { text: describeEndState(run.end), fault: run.end.kind === "fault" },
      { ...(verdict.atObservation !== undefined ? { atRecord: verdict.atObservation } : {}), ...(verdict.allowed ? { allowed: verdict.allowed } : {}), why: verdict.reason },
      ctx.binding,
      run.events,
    ),
    ...failed(),
  };
}
