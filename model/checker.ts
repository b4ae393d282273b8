/**
 * The conformance checker: is an implementation's observed agent run allowed by the model?
 *
 * Porcupine-style search (Wing & Gong with memoisation over model states) for an
 * interleaving of the script threads' linearization points, wake-ups and timeouts that
 * produces the observed records in console order and ends in the observed end state.
 *
 * @clause PARKX-2 PARKX-4 TIMERX-1 PROCX-2 THRX-3
 */
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";
import { OP, type Observation, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import { packedMap } from "./packed-array.js";
import { consume, describePending, init, isHung, successors, type AgentEnv, type AgentState, type CheckOptions, type Ctx, type EndState, type Move, type Pending, type ReportedRecords, withClock } from "./agent.js";
import { localMove, timeoutCanWait } from "./reduction.js";
import { Visited } from "./state-key.js";

export type { EndState, AgentEnv, CheckOptions } from "./agent.js";

export interface ObservedRun {
  /** Records in console order. */
  readonly observations: readonly Observation[];
  readonly end: EndState;
  /**
   * The implementation's virtual clock (ns) when the run ended, when it reports one. Every
   * timeout the model fired happened by then: a run whose timeouts need a later clock ended
   * them early (PARKX-4, TIMERX-1), even when no Timer.now brackets them.
   */
  readonly clockNs?: bigint;
  /**
   * The same clock when the process started, when the implementation reports it. TIMERX-1
   * fixes no origin: without it the model's clock starts at 0 (a lower bound for any origin);
   * with it, at the reported origin, so deadlines count from where the implementation's did.
   */
  readonly clockStartNs?: bigint;
}

/** One step of an accepted interleaving: a model move (linearization, wake, timeout, end) or a record matched. */
export interface WitnessStep {
  readonly label: string;
  readonly kind: "move" | "record" | "end";
  readonly before: AgentState;
  readonly after: AgentState;
}

export type CheckResult =
  /** `witness`: the accepted interleaving, for measuring which situations a run reached. */
  | { readonly ok: true; readonly witness?: readonly WitnessStep[] }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Index of the first observation no interleaving could explain (observations.length: the end state). */
      readonly atObservation?: number;
      /** Human-readable allowed next outcomes at that point. */
      readonly allowed?: string[];
      /** The search ran out of its state budget: neither accepted nor refuted. */
      readonly undecided?: boolean;
    };

export function describeEnd(e: EndState): string {
  switch (e.kind) {
    case "exit":
      return `exit(${e.code})`;
    case "fault":
      return `${e.fault}${e.thread !== undefined ? ` in thread ${e.thread}` : ""}${e.addr !== undefined ? ` at 0x${e.addr.toString(16)}` : ""}${e.access ? ` (${e.access})` : ""}`;
    default:
      return e.kind;
  }
}

/**
 * Whether an end the model reached matches the observed one.
 * @clause PROCX-2 SYS-3
 * Decision: an exit status matches if equal to the model's value or to its low 8 bits.
 * An observed fault without a thread matches a fault in any thread (the implementation
 * cannot know the script's thread numbering).
 */
export function endMatches(model: EndState, observed: EndState, reports: CheckOptions["reports"] = {}): boolean {
  if (model.kind !== observed.kind) return false;
  if (model.kind === "exit" && observed.kind === "exit") return observed.code === model.code || observed.code === (model.code & 0xff);
  if (model.kind === "fault" && observed.kind === "fault")
    return (
      model.fault === observed.fault &&
      (observed.thread === undefined ? !reports.faultThread : model.thread === observed.thread) &&
      // VMX-6, PROCX-2: an implementation that reports fault addresses must report this one.
      (model.addr === undefined || (observed.addr === undefined ? !(reports.faultAddress && model.fault === "#PF") : model.addr === observed.addr)) &&
      (model.access === undefined || observed.access === undefined || model.access === observed.access)
    );
  return true;
}

function ctxOf(script: Script, b: Binding, env: AgentEnv, opts: CheckOptions, observations?: readonly Observation[]): Ctx {
  // Every context has the same fields (a conditional spread made two hidden classes, and the
  // search's callees deoptimised when they met the second).
  return { script: oneShapeScript(script), b, env, time: opts.time ?? "lazy", reported: observations ? reportedRecords(observations) : undefined };
}

/**
 * `script` with every op an object of one shape (all six fields, in one order, absent ones
 * undefined) in packed arrays. Generators make ops of a dozen shapes (`{ kind }`, `{ kind, a }`,
 * `{ kind, base, a, b, c }`, spreads in several orders), so every read of an op's field in the
 * search was a megamorphic lookup; the copy costs one small object per op per check. The model
 * reads op fields only by value (`op.b ?? 0n`, `if (op.base)`), so an undefined field is an
 * absent one.
 */
export function oneShapeScript(script: Script): Script {
  return { threads: packedMap(script.threads, (ops) => packedMap(ops, (op): ScriptOp => ({ kind: op.kind, dst: op.dst, base: op.base, a: op.a, b: op.b, c: op.c }))) };
}

/**
 * The records by thread and op, indexed on first use (only MAP and RESERVE ask, and most
 * scripts have neither) under one small-integer key per (thread, op): a `thread:op` string
 * built per record and per question showed in vm searches.
 */
export function reportedRecords(observations: readonly Observation[]): ReportedRecords {
  let byOp: Map<number, Observation> | undefined;
  return {
    get: (t, pc) => {
      const key = opKey(t, pc);
      if (key < 0) return observations.findLast((o) => o.thread === t && o.op === pc);
      if (!byOp) {
        byOp = new Map();
        for (const o of observations) {
          const k = opKey(o.thread, o.op);
          if (k >= 0) byOp.set(k, o);
        }
      }
      return byOp.get(key);
    },
  };
}

/** One number for a (thread, op) pair of small non-negative integers (a small integer to V8), else -1. */
function opKey(t: number, pc: number): number {
  return Number.isInteger(t) && Number.isInteger(pc) && t >= 0 && t < 0x100 && pc >= 0 && pc < 0x40_0000 ? t * 0x40_0000 + pc : -1;
}

/** The model's end in the implementation's thread numbering (creation order, 0 = initial). */
function numbered(st: AgentState, e: EndState): EndState {
  return e.kind === "fault" && e.thread !== undefined ? { ...e, thread: st.created.indexOf(e.thread) } : e;
}

/**
 * Decide whether `observed` is an allowed run of `script`.
 *
 * @param env what the model may assume about the agent binary (TPs, TLS offsets); unknowns are learned.
 * @param opts time model (lazy: any timing that never fires early; eager: the emulator's scheduler) and search budget.
 */
export function checkAgentRun(script: Script, observed: ObservedRun, binding: Binding = DEFAULT_BINDING, env: AgentEnv = {}, opts: CheckOptions = {}): CheckResult {
  const ctx = ctxOf(script, binding, env, opts, observed.observations);
  // R3 (agent.ts, "Search reductions"): first without the states no record order can finish
  // from. That search accepts exactly the runs the full one accepts, with the same witness; a
  // refusal's details (deepest record, hints) come from the full search, so they stay as they were.
  if (opts.reduce !== false && opts.pruneDeadEnds !== false) {
    const r = search(ctx, observed, opts, true);
    if (r.ok) return r;
  }
  return search(ctx, observed, opts, false);
}

/**
 * The first pass of checkAgentRun alone: the reduced search without dead ends (R3), whatever
 * its verdict. For tests: it must accept every run the search with dead ends accepts, with the
 * same witness (checkAgentRun would hide a wrong dead end by searching again).
 */
export function checkWithoutDeadEnds(script: Script, observed: ObservedRun, binding: Binding = DEFAULT_BINDING, env: AgentEnv = {}, opts: CheckOptions = {}): CheckResult {
  return search(ctxOf(script, binding, env, opts, observed.observations), observed, opts, true);
}

/** The search of checkAgentRun; `prune`: leave out every state `deadEnd` finds (R3). */
function search(ctx: Ctx, observed: ObservedRun, opts: CheckOptions, prune: boolean): CheckResult {
  const obs = observed.observations;
  const n = obs.length;
  // The observed end's kind and clock, read once: ends of several kinds (fault ends of several
  // shapes) and runs with and without clocks reach the search, and a read in the loop
  // deoptimised it at each new shape.
  const endKind = observed.end.kind;
  const clockNs = observed.clockNs;
  const maxStates = opts.maxStates ?? 200_000;
  const reduce = opts.reduce !== false;
  const dead = prune ? deadEnds(ctx.script, obs, clockNs) : undefined;
  const visited = new Visited();
  const frontier = new Frontier();
  let states = 0;
  // TIMERX-1, PARKX-4: the implementation's clock at the end has reached every deadline the
  // model's timeouts needed (the model's clock only advances as far as the run requires).
  const clockAllows = (st: AgentState): boolean => clockNs === undefined || st.now <= clockNs;
  const endAllowed = (st: AgentState, e: EndState | "stuck"): boolean => {
    if (!clockAllows(st)) return false;
    if (endKind === "budget" || st.anyEnd) return true;
    if (e === "stuck") return endKind === "hang" && isHung(st);
    return endMatches(numbered(st, e), observed.end, opts.reports);
  };
  // A run explained only through an op whose outcome the model cannot know is not a pass:
  // keep searching for an explanation without one, and say "undecided" if there is none.
  let unknownOnly: string | undefined;
  const accept = (st: AgentState): boolean => {
    if (!st.anyEnd) return true;
    unknownOnly ??= st.anyEnd;
    return false;
  };

  // Iterative DFS; each frame is (state, index of the next observation, how it was reached).
  const start = init(ctx);
  const stack: Frame[] = [{ st: observed.clockStartNs !== undefined ? withClock(start, observed.clockStartNs, start.park) : start, i: 0, kind: "move", label: "", record: undefined, prev: null }];
  // The verdict for an explained run; the accepted interleaving only when asked (reach measurement).
  const succeed = (frame: Frame): CheckResult => (opts.witness ? { ok: true, witness: unwind(frame) } : { ok: true });
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { st, i } = frame;
    if (!visited.visit(frame)) continue;
    if (opts.stats) opts.stats.states++;
    if (++states > maxStates) return { ok: false, undecided: true, reason: `search gave up after ${maxStates} states`, atObservation: frontier.deepest };
    if (i === n && (isHung(st) || st.anyEnd) && endAllowed(st, "stuck") && accept(st)) return succeed(frame);
    if (reduce) {
      // R1 (agent.ts, "Search reductions"): an op no other move depends on goes first, alone.
      const m = localMove(ctx, st);
      if (m) {
        // R3: when the only move R1 keeps leads nowhere, so does the state.
        if (!dead?.(m.st, i)) stack.push({ st: m.st, i, kind: "move", label: m.label, record: undefined, prev: frame });
        continue;
      }
    }
    const next = i < n ? obs[i]!.thread : undefined;
    const moves: Move[] = successors(ctx, st, reduce ? (u) => timeoutCanWait(ctx, st, u, next) : undefined);
    if (i < n) {
      // Only a pending thread at the record's op can match it (consume's other refusals say why, which the search does not need).
      const o = obs[i]!;
      const r = st.runs[o.thread];
      const c = r && r.phase === "pending" && r.pending !== undefined && r.pc === o.op ? consume(ctx, st, o, false) : undefined;
      if (c && "st" in c) {
        if (!dead?.(c.st, i + 1)) stack.push({ st: c.st, i: i + 1, kind: "record", label: "", record: o, prev: frame });
      }
      else frontier.note(i, st, moves, false);
    } else {
      // After the last record: the records the model still expects (pending results) and the ends it allows.
      frontier.note(n, st, moves, true);
    }
    if (i === n && endKind === "budget" && clockAllows(st) && accept(st)) return succeed(frame);
    for (let k = moves.length - 1; k >= 0; k--) {
      const m = moves[k]!;
      if (m.kind === "end") {
        if (i === n && endAllowed(m.st, m.end) && accept(m.st)) return succeed({ st: m.st, i, kind: "end", label: m.label, record: undefined, prev: frame });
        continue;
      }
      if (!dead?.(m.st, i)) stack.push({ st: m.st, i, kind: "move", label: m.label, record: undefined, prev: frame });
    }
  }
  if (unknownOnly !== undefined) return { ok: false, undecided: true, reason: `the run is explained only through an op the model cannot judge (${unknownOnly})`, atObservation: n };
  const deepest = frontier.deepest;
  const allowed = frontier.list();
  if (deepest < n)
    return {
      ok: false,
      reason: `no interleaving explains observation ${deepest} (${fmt(obs[deepest])})`,
      atObservation: deepest,
      allowed: allowed.length ? allowed : ["(no op can complete here)"],
    };
  return { ok: false, reason: `all observations explained but not the end state ${describeEnd(observed.end)}`, atObservation: n, allowed: allowed.length ? allowed : ["(no end reachable)"] };
}

const U64 = (1n << 64n) - 1n;

/**
 * R3 (agent.ts, "Search reductions"): `deadEnd(st, i)` is true when no path from `st` at record
 * index i can be accepted. Every accepted end matches every record and has a clock at most the
 * implementation's end clock, and the model's clock never goes back (timer.ts `advance`).
 * - A thread's records name its ops in order, each once (consume moves it from pending at op k
 *   to idle at k + 1, and nothing else moves a pending thread): its next record in obs[i..] must
 *   name its pending or blocked op, an op at or after an idle thread's next one, and no op of a
 *   thread that is done; and a pending result decides what its record may be whatever other
 *   moves come first, except a learned value (another record may teach it first).
 * - The clock: a SLEEP of a ns completes only by its timeout, at least a ns after it took effect,
 *   which was after the thread's previous record. So a thread whose records in obs[i..] include
 *   sleeps of a1, a2, ... (operands without a base register) that have not taken effect yet
 *   makes the end clock at least its clock now (or its blocked sleep's deadline) plus their sum.
 */
export function deadEnds(script: Script, obs: readonly Observation[], clockNs: bigint | undefined): (st: AgentState, i: number) => boolean {
  const threads = script.threads.length;
  const n = obs.length;
  // next[i * threads + u]: the index of thread u's first record in obs[i..], or -1. In a buffer
  // kept from search to search (one search runs at a time; a typed array per check showed).
  const size = (n + 1) * threads;
  if (nextRecordScratch.length < size) nextRecordScratch = new Int32Array(Math.max(size, 2 * nextRecordScratch.length));
  const next = nextRecordScratch;
  next.fill(-1, n * threads, size);
  // limits[j], for record j of thread u: the end clock minus the SLEEP operands of thread u's
  // records in obs[j..] (the latest clock from which they can still all end by the end clock).
  // Thread u's records in obs[i..] are those in obs[next[i * threads + u]..], so one entry per
  // record serves every i.
  const limits: bigint[] | undefined = clockNs === undefined ? undefined : new Array<bigint>(n);
  const limitAhead: bigint[] | undefined = clockNs === undefined ? undefined : new Array<bigint>(threads).fill(clockNs);
  // Each record's value as consume compares it (mod 2^64).
  const values: bigint[] = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    const row = i * threads;
    next.copyWithin(row, row + threads, row + 2 * threads);
    const o = obs[i]!;
    values[i] = inU64(o.value);
    if (o.thread >= 0 && o.thread < threads) {
      next[row + o.thread] = i;
      if (limits && limitAhead) {
        const a = sleepOperand(script, o.thread, o.op);
        if (a !== 0n) limitAhead[o.thread]! -= a;
        limits[i] = limitAhead[o.thread]!;
      }
    }
  }
  // Allocation-free on the common path: bigint comparisons only, no arithmetic.
  return (st, i) => {
    if (clockNs !== undefined && st.now > clockNs) return true;
    const row = i * threads;
    for (let u = 0; u < threads; u++) {
      const j = next[row + u]!;
      if (j < 0) continue;
      const o = obs[j]!;
      const r = st.runs[u]!;
      let clock = st.now;
      switch (r.phase) {
        case "pending":
          if (o.op !== r.pc || (r.pending !== undefined && !mayMatch(r.pending, o, values[j]!))) return true;
          break;
        case "blocked":
          if (o.op !== r.pc) return true;
          if (r.block?.kind === "sleep") clock = r.block.deadline;
          break;
        case "idle":
          if (o.op < r.pc) return true;
          break;
        case "done":
          return true;
      }
      if (limits) {
        let limit = limits[j]!;
        // The op of a pending or blocked thread's next record took effect already: its sleep is in `clock`.
        if (limit !== clockNs && (r.phase === "pending" || r.phase === "blocked")) limit += sleepOperand(script, u, r.pc);
        if (clock > limit) return true;
      }
    }
    return false;
  };
}

/** deadEnds' table of next records, reused (see there). */
let nextRecordScratch = new Int32Array(256);

/** `v` mod 2^64, without arithmetic when it is in range already. */
function inU64(v: bigint): bigint {
  return v >= 0n && v <= U64 ? v : v & U64;
}

/** Operand a of thread t's op `pc` when it is a SLEEP without a base register (its length in ns), else 0. */
function sleepOperand(script: Script, t: number, pc: number): bigint {
  const op = script.threads[t]?.[pc];
  return op?.kind === OP.SLEEP && !op.base ? (op.a ?? 0n) & U64 : 0n;
}

/** Whether a record `o` (its value mod 2^64: `v`) of a pending op may match its result `p`, as consume judges it, apart from what learned values decide. */
function mayMatch(p: Pending, o: Observation, v: bigint): boolean {
  switch (p.k) {
    case "exact":
      return o.status === p.status && v === inU64(p.value);
    case "learn":
      return o.status === "ok" && o.value % p.align === 0n;
    case "now":
      return o.status === "ok" && o.value >= p.min;
    case "any":
      return true;
    case "value":
      return o.status === "ok";
    case "reject":
      return false;
    case "oneOf":
      return o.status === "ok" && p.values.includes(v);
  }
}

/**
 * The allowed next outcomes at the deepest record index the search reached, for a refusal's
 * message: up to 24 distinct descriptions in the order the search met them. States are queued
 * and described in batches, on demand: an accepted run, the common case, never needs them, and
 * describing every frontier state cost more than the search step.
 */
class Frontier {
  /** The deepest record index a search state reached (-1: none yet). */
  deepest = -1;
  private texts: string[] = [];
  private queued: { st: AgentState; moves: readonly Move[]; afterLast: boolean }[] = [];

  /** State `st`, at record index `i`, could not match record i (or, `afterLast`, is past the last record); `moves` are its moves. */
  note(i: number, st: AgentState, moves: readonly Move[], afterLast: boolean): void {
    if (i < this.deepest) return;
    if (i > this.deepest) {
      this.deepest = i;
      this.texts = [];
      this.queued = [];
    }
    if (this.texts.length >= 24) return;
    this.queued.push({ st, moves, afterLast });
    if (this.queued.length >= 64) this.describe();
  }

  list(): string[] {
    this.describe();
    return this.texts;
  }

  private describe(): void {
    for (const { st, moves, afterLast } of this.queued) {
      const what = [...pendingRecords(st), ...moves.flatMap((m) => (m.kind === "end" ? [`end: ${describeEnd(m.end)}`] : [])), ...(afterLast && isHung(st) ? ["end: hang"] : [])];
      for (const w of what) if (this.texts.length < 24 && !this.texts.includes(w)) this.texts.push(w);
    }
    this.queued = [];
  }
}

/** The records the model expects next from `st` (its pending threads' results), for a refusal's hints. */
function pendingRecords(st: AgentState): string[] {
  return st.runs.flatMap((r, t) => (r.phase === "pending" && r.pending ? [describePending(t, r.pc, r.pending)] : []));
}

/**
 * A search state (index `i` of the next record) and the step that reached it from `prev`'s
 * state: the frames of a path form a persistent list, the accepted interleaving when unwound.
 * One object per step; a record step's label is built only when a witness is asked for.
 */
interface Frame {
  readonly st: AgentState;
  readonly i: number;
  readonly kind: WitnessStep["kind"];
  /** A move's or end's label ("" for a record step and the start). */
  readonly label: string;
  /** The record a record step matched. */
  readonly record: Observation | undefined;
  /** The frame of the state the step left (null: the start). */
  readonly prev: Frame | null;
}

function unwind(frame: Frame): WitnessStep[] {
  const out: WitnessStep[] = [];
  for (let f = frame; f.prev; f = f.prev) out.push(new Step(f.kind, f.kind === "record" ? undefined : f.label, f.record, f.prev.st, f.st));
  return out.reverse();
}

/**
 * A witness step whose label, for a record step, is formatted when first read: the reach
 * measurement reads only the labels of moves, and formatting every matched record of every
 * accepted run showed in the mix. Every step is of this one class.
 */
class Step implements WitnessStep {
  #label: string | undefined;
  constructor(
    readonly kind: WitnessStep["kind"],
    label: string | undefined,
    private readonly record: Observation | undefined,
    readonly before: AgentState,
    readonly after: AgentState,
  ) {
    this.#label = label;
  }

  get label(): string {
    return (this.#label ??= fmt(this.record));
  }
}

function fmt(o: Observation | undefined): string {
  if (!o) return "none";
  return `@1 ${o.thread} ${o.op} ${o.status} ${o.status === "ok" ? o.value.toString(16) : o.value.toString(10)}`;
}

/** A record the model expects, with a description when the value is a pattern. */
export interface ExpectedRecord {
  readonly thread: number;
  readonly op: number;
  /** The exact record when the model knows it. */
  readonly exact?: Observation;
  /** What the record must look like (always set). */
  readonly describe: string;
}

export interface ExpectedRun {
  readonly observations: readonly ExpectedRecord[];
  readonly end: EndState | { readonly kind: "any"; readonly why: string };
}

/**
 * The deterministic outcome of a single-thread script: the records and the end state.
 * Patterns (learned values, NOW in lazy time) carry `describe` only; unknown outcomes end the
 * run with end `any`. Timed waits complete at their deadline (the only thing that can wake them).
 */
export function allowedOutcomes(script: Script, binding: Binding = DEFAULT_BINDING, env: AgentEnv = {}, opts: CheckOptions = {}): ExpectedRun {
  if (script.threads.length !== 1) throw new RangeError("allowedOutcomes needs a single-thread script");
  const ctx = ctxOf(script, binding, env, { ...opts, time: opts.time ?? "eager" });
  let st = init(ctx);
  const out: ExpectedRecord[] = [];
  for (;;) {
    const run = st.runs[0]!;
    if (run.phase === "pending") {
      const p = run.pending!;
      const describe = describePending(0, run.pc, p);
      if (p.k === "any") return { observations: out, end: { kind: "any", why: p.why } };
      if (p.k === "exact") {
        const o: Observation = { thread: 0, op: run.pc, status: p.status, value: p.value };
        out.push({ thread: 0, op: run.pc, exact: o, describe });
        st = (consume(ctx, st, o) as { st: AgentState }).st;
      } else {
        // A pattern: report it and continue as if the smallest allowed value was seen.
        out.push({ thread: 0, op: run.pc, describe });
        if (p.k === "reject") return { observations: out, end: { kind: "any", why: p.why } };
        const v = p.k === "now" ? p.min : p.k === "value" ? 0n : p.k === "oneOf" ? p.values[0]! : p.offset + (st.learned[p.key] ?? 0n);
        const c = consume(ctx, st, { thread: 0, op: run.pc, status: "ok", value: v });
        if (!("st" in c)) return { observations: out, end: { kind: "any", why: `the value after ${describe} is not fixed` } };
        st = c.st;
      }
      continue;
    }
    const moves = successors(ctx, st);
    if (moves.length === 0) return { observations: out, end: { kind: "hang" } };
    const m = moves[0]!;
    if (m.kind === "end") return { observations: out, end: m.end };
    st = m.st;
  }
}

/**
 * Run the model forward under a scheduler: `choose(k)` picks one of k possible next moves
 * (records are printed as soon as they are chosen). Used to generate allowed runs for tests.
 * Learned values are taken from `env`; unknown ones are reported as 0 and NOW as the clock (a
 * record the model would refuse, such as a thread pointer of 0, is never printed).
 */
export function simulate(script: Script, choose: (k: number) => number, binding: Binding = DEFAULT_BINDING, env: AgentEnv = {}, opts: CheckOptions = {}, maxSteps = 10_000): ObservedRun {
  const ctx = ctxOf(script, binding, env, opts);
  let st = init(ctx);
  const observations: Observation[] = [];
  for (let step = 0; step < maxSteps; step++) {
    const prints: { o: Observation; st: AgentState }[] = [];
    st.runs.forEach((r, t) => {
      if (r.phase !== "pending" || !r.pending) return;
      const p = r.pending;
      const value = p.k === "exact" ? p.value : p.k === "now" ? p.min : p.k === "learn" ? p.offset + (st.learned[p.key] ?? 0n) : 0n;
      const o: Observation = { thread: t, op: r.pc, status: p.k === "exact" ? p.status : "ok", value };
      const c = consume(ctx, st, o);
      if ("st" in c) prints.push({ o, st: c.st });
    });
    const moves = successors(ctx, st);
    const k = prints.length + moves.length;
    if (k === 0) return { observations, end: isHung(st) ? { kind: "hang" } : { kind: "budget" } };
    const c = choose(k);
    if (c < prints.length) {
      observations.push(prints[c]!.o);
      st = prints[c]!.st;
      continue;
    }
    const m = moves[c - prints.length]!;
    if (m.kind === "end") return { observations, end: m.end };
    st = m.st;
  }
  return { observations, end: { kind: "budget" } };
}
