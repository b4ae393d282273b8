/**
 * Shared step of every agent-based property: patch the script into the agent, run it on the
 * implementation (under the schedule when it can be scheduled), and ask the model whether
 * the observed records and end state are an allowed run.
 */
import { checkAgentRun, describeEnd, type CheckOptions, type EndState as ModelEnd, type ObservedRun } from "../model/checker.js";
import { AGENT_BAD_SCRIPT_EXIT, formatObservation, parseObservations, type Observation, type Script } from "../spec/agent-protocol.js";
import { describeLimitEnd, isLimitEnd, type CaseEnd, type EndState, type Schedule } from "../spec/run-protocol.js";
import { leasePatchedImage, sha256 } from "../generators/agent-image.js";
import type { CaseReach, PropertyContext, Steering, Verdict } from "./property.js";
import type { RunOptions } from "../spec/implementation.js";
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
      // Every fault end has all five fields (an unknown one undefined, which the model reads as
      // absent): conditional spreads took V8's slow copy path and made an end of a new shape
      // for each combination.
      return { kind: "fault", fault: end.fault, addr: end.addr, access: end.access ? end.access : undefined, thread: end.thread };
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

/** One decoder for every case (constructing one per case showed in profiles). */
const consoleDecoder = new TextDecoder();

export async function runAgentCase(script: Script, schedule: Schedule | undefined, ctx: PropertyContext): Promise<Verdict> {
  // The patched image is a reused scratch buffer: every use of it (the run, the model's view
  // of its segments, the failure's hash) happens before the lease goes back.
  const lease = leasePatchedImage(ctx.agent, script);
  try {
    return await judgeAgentCase(script, lease.bytes, schedule, ctx);
  } finally {
    lease.release();
  }
}

async function judgeAgentCase(script: Script, image: Uint8Array, schedule: Schedule | undefined, ctx: PropertyContext): Promise<Verdict> {
  const useSchedule = schedule && ctx.impl.supports.schedule ? schedule : undefined;
  // Object literals without conditional spreads here and below: those take V8's slow
  // copy path, and these objects are made for every case.
  const runOptions: RunOptions = { maxInsns: ctx.maxInsns, trace: ctx.trace === true };
  if (useSchedule) (runOptions as { schedule?: Schedule }).schedule = useSchedule;
  const run = await ctx.impl.run(image, runOptions);
  const text = consoleDecoder.decode(run.console);
  const { observations, otherLines } = parseObservations(text);
  const steering = steeringOf(script, useSchedule !== undefined);
  const trace = run.events && run.events.length > 0 ? run.events.slice(-60) : undefined;
  const end = toModelEnd(run.end);
  if (!end)
    return {
      ok: false,
      message: run.end.kind === "rejected" ? `the implementation rejected the agent image: ${describeEndState(run.end)}` : describeEndState(run.end),
      ...failureFields(image, observations, otherLines, run.end, steering, useSchedule, trace),
    };
  if (end.kind === "budget") return { ok: false, message: "the run exhausted its instruction budget (a conforming agent run ends well within it)", ...failureFields(image, observations, otherLines, run.end, steering, useSchedule, trace) };
  // Every Console line is a record, or the agent's refusal of a bad script as its last words.
  const stray = otherLines.length === 0 ? otherLines : strayLines(otherLines, end);
  if (stray.length > 0) return { ok: false, message: `the Console carried ${stray.length} line(s) that are not agent records, first: ${JSON.stringify(stray[0]!.slice(0, 80))}`, ...failureFields(image, observations, otherLines, run.end, steering, useSchedule, trace) };
  const observedRun: { -readonly [K in keyof ObservedRun]: ObservedRun[K] } = { observations, end };
  if (run.clockNs !== undefined) observedRun.clockNs = run.clockNs;
  if (run.clockStartNs !== undefined) observedRun.clockStartNs = run.clockStartNs;
  const checkOptions: { -readonly [K in keyof CheckOptions]: CheckOptions[K] } = { time: "lazy", witness: true };
  if (ctx.impl.reports) checkOptions.reports = ctx.impl.reports;
  if (ctx.checkerMaxStates) checkOptions.maxStates = ctx.checkerMaxStates;
  const verdict = checkAgentRun(script, observedRun, ctx.binding, agentEnvOf(image), checkOptions);
  if (verdict.ok) return new AgentCasePass(observations, otherLines, run.end, steering, useSchedule, trace, agentReach(script, observations, end, verdict.witness, ctx.binding));
  // No silent passes: the checker could not decide, which is its own verdict.
  if (verdict.undecided) return { ok: false, inconclusive: true, ...failureFields(image, observations, otherLines, run.end, steering, useSchedule, trace), message: `inconclusive: ${verdict.reason}` };
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
    ...failureFields(image, observations, otherLines, run.end, steering, useSchedule, trace),
  };
}

/** Console lines that are neither records nor the agent's refusal of a bad script as its last words. */
function strayLines(otherLines: readonly string[], end: ModelEnd): string[] {
  return otherLines.filter((l, i) => !(BAD_SCRIPT_LINE.test(l) && i === otherLines.length - 1 && end.kind === "exit" && end.code === AGENT_BAD_SCRIPT_EXIT));
}

/** What the implementation did, as reports show it: built when a verdict is read for it (failures, inconclusive cases). */
function observedLinesOf(observations: readonly Observation[], otherLines: readonly string[], end: CaseEnd): string[] {
  return [...observations.map((o) => formatObservation(o).trimEnd()), ...otherLines.map((l) => `console: ${l}`), `end: ${describeEndState(end)}`];
}

/**
 * A failing case's fields besides its message. The image hash goes into repro lines of
 * failures only (hashing 80 KB per passing case is a tenth of a light case's cost). Plain
 * functions, not closures made for every case (under tsx each one also costs a __name call).
 */
function failureFields(image: Uint8Array, observations: readonly Observation[], otherLines: readonly string[], end: CaseEnd, steering: Steering, schedule: Schedule | undefined, trace: readonly string[] | undefined) {
  return { elfSha256: sha256(image), observed: observedLinesOf(observations, otherLines, end), steering, ...(schedule ? { schedule } : {}), ...(trace ? { trace } : {}) };
}

/**
 * A passing agent case's verdict. Its `observed` lines are built only if someone reads them
 * (the runner does not, for passing cases): formatting every record of every passing case
 * was a visible share of the per-case cost.
 */
class AgentCasePass implements Verdict {
  readonly ok = true;
  readonly steering: Steering;
  declare readonly schedule?: Schedule;
  declare readonly trace?: readonly string[];
  readonly reach: CaseReach;
  #observed: readonly string[] | undefined;
  readonly #observations: readonly Observation[];
  readonly #otherLines: readonly string[];
  readonly #end: CaseEnd;
  constructor(observations: readonly Observation[], otherLines: readonly string[], end: CaseEnd, steering: Steering, schedule: Schedule | undefined, trace: readonly string[] | undefined, reach: CaseReach) {
    this.#observations = observations;
    this.#otherLines = otherLines;
    this.#end = end;
    this.steering = steering;
    if (schedule) this.schedule = schedule;
    if (trace) this.trace = trace;
    this.reach = reach;
  }
  get observed(): readonly string[] {
    return (this.#observed ??= observedLinesOf(this.#observations, this.#otherLines, this.#end));
  }
}
