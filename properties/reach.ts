/**
 * Reach: which situations an agent case reached and which clauses its verdict judged.
 *
 * Derived only from what a black-box implementation shows (the observation records, the end
 * state) and from the model's accepted interleaving (the checker's witness), never from the
 * implementation's internals, so it measures command implementations and real kernels too.
 * A record-derived situation is a fact about the run; a witness-derived one (an UNPARK with a
 * real choice, a stale-generation waiter) is a fact about the interleaving the model found to
 * explain the run, which the records do not contradict.
 */
import type { WitnessStep } from "../model/checker.js";
import { exceptionCode, type AgentState } from "../model/agent.js";
import { generationAt } from "../model/address-space.js";
import { sameKey, wordKey } from "../model/park.js";
import { OP, opName, STEERING_OPS, type Observation, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import type { Binding } from "../spec/binding.js";
import type { EndState } from "../spec/run-protocol.js";
import type { CaseReach, Steering } from "./property.js";

/** The situations agent properties aim at, by name. */
export const SITUATION = {
  /** A PARK blocked (it completed with woken, drained, or timedOut after a non-zero timeout). */
  parkBlocked: "park blocked",
  /** A waiter was parked when an unmap/decommit of its word ran (it completed with drained). */
  waiterDrained: "waiter parked at unmap/decommit",
  /** An UNPARK with 1 <= count < waiters on its word (which waiter wakes is a real choice). */
  unparkRealChoice: "UNPARK with a real choice",
  /** A PARK with a finite non-zero timeout timed out. */
  parkTimeoutFired: "park timeout fired",
  /** A waiter parked under an older page generation than the word's current one (PARKX-7). */
  staleGeneration: "stale-generation key",
  /** A load or store hit a page after a successful PROTECT of it. */
  protectThenAccess: "protect-then-access",
  /** A thread used its FS base (GET_FS/TLS op) after setting it and after another thread printed in between. */
  fsSwitchWhileDiffer: "switch while FS bases differ",
  /** A VirtualMemory call was refused (exception) without side effects. */
  vmRefused: "VM argument refused",
  /** A call through a released ThreadHandle id after a SPAWN made a new cap (which may take its slot, RINGX-7) was refused. */
  staleCapAfterReuse: "stale cap id used after a new cap",
  /** A RING_BATCH's JOIN was still outstanding when its NOPs filled the CQ (its completion had to be held, RINGX-2). */
  heldCompletion: "completion outstanding while the CQ is full",
} as const;

const ok = (o: Observation | undefined): boolean => o?.status === "ok";

/** The steering a case had: schedule control wins; otherwise guest steering ops in the script. */
export function steeringOf(script: Script, scheduled: boolean): Steering {
  if (scheduled) return "schedule";
  // A single-thread script has no interleaving to steer; its sleeps and yields are its subject.
  if (script.threads.length < 2) return "none";
  return script.threads.some((ops) => ops.some((op) => STEERING_OPS.includes(op.kind))) ? "guest" : "none";
}

/**
 * Situations and judged clauses of one agent case that the model accepted.
 * @param witness the checker's accepted interleaving (absent: record-derived situations only)
 */
export function agentReach(script: Script, observations: readonly Observation[], end: EndState, witness: readonly WitnessStep[] | undefined, b: Binding): CaseReach {
  const events = new Set<string>();
  const situations = new Set<string>();
  const opOf = (o: Observation): ScriptOp | undefined => script.threads[o.thread]?.[o.op];
  const { userLimit, cqEntries } = constantsOf(b);

  // Record-derived events, in console order. This runs for every passing case: the constants
  // it compares with are made once per binding, event names once per op kind and status, and
  // an op's address only for the ops that have one. Each op kind's rules are a small function
  // of their own (RECORD_RULES): one giant loop body cost V8 most of a second per optimising
  // compile, and a deopt in one kind's rules recompiled all of them.
  const scan = new RecordScan(observations, events, situations, b, constantsOf(b));
  const lastOp = new Array<number>(script.threads.length).fill(-1); // thread -> highest op index with a record
  for (let idx = 0; idx < observations.length; idx++) {
    const o = observations[idx]!;
    if (o.thread < lastOp.length && o.op > lastOp[o.thread]!) lastOp[o.thread] = o.op;
    const op = opOf(o);
    if (op) scan.record(o, op, idx);
  }
  // Ops that print no record but were reached: EXIT and THREAD_EXIT (the last records show it).
  script.threads.forEach((ops, t) => {
    const last = lastOp[t]!;
    const next = ops[last + 1];
    if (next?.kind === OP.THREAD_EXIT || (t !== 0 && last + 1 >= ops.length && last >= 0)) events.add("thread-exit");
    if (t === 0 && next?.kind === OP.THREAD_EXIT) events.add("main-thread-exit");
  });
  events.add(`end:${end.kind}`);
  // A faulting access prints no record: the model's end move names it.
  const last = witness?.at(-1);
  const fault = last?.kind === "end" ? /^t(\d+)#(\d+) (LOAD|STORE)/.exec(last.label) : null;
  if (fault && last) {
    const op = script.threads[Number(fault[1])]![Number(fault[2])]!;
    const a = addressOf(op, last.before.regs);
    events.add(fault[3]!);
    if (scan.hitsProtected(op, a)) situations.add(SITUATION.protectThenAccess);
    if (a >= userLimit) events.add("upper-half-access");
  }

  // Witness-derived situations: the waiter counts and keys the model's interleaving had.
  // (Reading a label costs: the model builds them by concatenation, so they are flattened on
  // first read. Scripts without an UNPARK need not read them for it.)
  const unparks = script.threads.some((ops) => ops.some((op) => op.kind === OP.UNPARK));
  for (const step of witness ?? []) {
    if (step.kind === "record") continue;
    const m = unparks && step.label.includes(" UNPARK") ? /^t(\d+)#(\d+) UNPARK/.exec(step.label) : null;
    if (m) {
      const op = script.threads[Number(m[1])]![Number(m[2])]!;
      const waiters = waitersOnWord(step.before, op, b);
      const count = Number((op.b ?? 0n) & 0xffff_ffffn);
      if (count >= 1 && count < waiters) situations.add(SITUATION.unparkRealChoice);
    }
    if (hasStaleWaiter(step.after, b)) situations.add(SITUATION.staleGeneration);
    if (step.before.park.waiters.length > 0 && /(EXIT|exit\()/.test(step.label)) events.add("exit-with-waiter");
    const batch = events.has("batch-cq-full") ? /^t(\d+)#(\d+) RING_BATCH/.exec(step.label) : null;
    if (batch && step.after.runs[Number(batch[1])]?.phase === "blocked") {
      const rec = observations.find((o) => o.thread === Number(batch[1]) && o.op === Number(batch[2]));
      if (rec?.status === "ok" && (rec.value & 0xffff_ffffn) === cqEntries) situations.add(SITUATION.heldCompletion);
    }
  }

  return { situations: [...situations], judged: [...judgedClauses(events, situations), ...ALWAYS_JUDGED] };
}

/**
 * The record-derived rules' state over one case's records: what each op kind's rules read
 * and remember (handles released, ranges protected, FS bases set).
 */
class RecordScan {
  readonly fsSetAt = new Map<number, number>(); // thread -> index of its last SET_FS ok record (own base replaced)
  readonly protectedRanges: [bigint, bigint][] = [];
  readonly released = new Map<bigint, boolean>(); // thread -> handle released; true once a SPAWN followed
  readonly regs = new Array<bigint>(16).fill(0n);
  constructor(
    readonly observations: readonly Observation[],
    readonly events: Set<string>,
    readonly situations: Set<string>,
    readonly b: Binding,
    readonly k: ReachConstants,
  ) {}

  /** One record `o` of `op`, the idx-th record of the case. */
  record(o: Observation, op: ScriptOp, idx: number): void {
    const names = eventNames(op.kind);
    const a = ADDRESS_OPS.has(op.kind) ? addressOf(op, this.regs) : 0n;
    this.events.add(names.name);
    this.events.add(names[o.status]);
    const vmOp = VM_OPS.has(op.kind);
    if (o.status === "exc" && vmOp) this.situations.add(SITUATION.vmRefused);
    RECORD_RULES[op.kind]?.(this, o, op, a, idx);
    if (vmOp) vmArgRules(this, o, op, a);
    if (o.status === "exc") this.events.add("exc");
    if (ok(o) && op.dst) this.regs[op.dst] = o.value;
  }

  /** Whether an access of `op` at `a` touches a range a successful PROTECT covered. */
  hitsProtected(op: ScriptOp, a: bigint): boolean {
    return this.protectedRanges.some(([s, e]) => a + (op.b ?? 1n) > s && a < e);
  }
}

/** One op kind's record-derived rules: `a` is the op's address operand (0n for kinds without one). */
type RecordRule = (scan: RecordScan, o: Observation, op: ScriptOp, a: bigint, idx: number) => void;

function parkRules(scan: RecordScan, o: Observation, op: ScriptOp): void {
  const { events, situations, b } = scan;
  const results = b.park.results;
  const r = o.status === "ok" ? Number(o.value) : -1;
  if (op.c === 0n) events.add("park-timeout-0");
  if (op.c === b.park.timeoutForever) events.add("park-forever");
  if (r === results.woken) events.add("PARK:woken");
  if (r === results.mismatch) events.add("PARK:mismatch");
  if (r === results.drained) (events.add("PARK:drained"), situations.add(SITUATION.waiterDrained));
  if (r === results.timedOut && op.c !== 0n) situations.add(SITUATION.parkTimeoutFired);
  if (r === results.woken || r === results.drained || (r === results.timedOut && op.c !== 0n)) situations.add(SITUATION.parkBlocked);
}

function unparkRules(scan: RecordScan, o: Observation, op: ScriptOp): void {
  const { events } = scan;
  if (op.b === 0n) events.add("unpark-count-0");
  if (ok(o) && o.value > 0n) events.add("unpark-woke");
  if (ok(o) && o.value === 0n && (op.b ?? 0n) > 0n) events.add("unpark-no-waiters");
}

function protectRules(scan: RecordScan, o: Observation, op: ScriptOp, a: bigint): void {
  if (!ok(o)) return;
  scan.protectedRanges.push([a, a + (op.b ?? 0n)]);
  if (op.c === 0n) scan.events.add("protect-none:ok");
}

function accessRules(scan: RecordScan, _o: Observation, op: ScriptOp, a: bigint): void {
  if (a >= scan.k.userLimit) scan.events.add("upper-half-access");
  if (scan.hitsProtected(op, a)) scan.situations.add(SITUATION.protectThenAccess);
}

function setFsRules(scan: RecordScan, o: Observation, _op: ScriptOp, _a: bigint, idx: number): void {
  if (ok(o)) scan.fsSetAt.set(o.thread, idx);
}

function fsReadRules(scan: RecordScan, o: Observation, _op: ScriptOp, _a: bigint, idx: number): void {
  const at = scan.fsSetAt.get(o.thread);
  if (at !== undefined && !scan.situations.has(SITUATION.fsSwitchWhileDiffer) && otherThreadBetween(scan.observations, at + 1, idx, o.thread)) scan.situations.add(SITUATION.fsSwitchWhileDiffer);
  if (o.thread !== 0) scan.events.add("spawned-fs-read");
}

function spawnRules(scan: RecordScan): void {
  for (const k of scan.released.keys()) scan.released.set(k, true);
}

function handleRules(scan: RecordScan, o: Observation, op: ScriptOp, a: bigint): void {
  const isInvalidCap = o.status === "err" && o.value === scan.k.invalidCap;
  const reused = scan.released.get(a);
  if (reused !== undefined && isInvalidCap) scan.events.add("stale-cap-use");
  if (reused && isInvalidCap) scan.situations.add(SITUATION.staleCapAfterReuse);
  if (op.kind === OP.RELEASE_HANDLE && ok(o)) scan.released.set(a, false);
  if (op.kind === OP.RING_BATCH && ok(o) && (o.value & 0xffff_ffffn) === scan.k.cqEntries) scan.events.add("batch-cq-full");
}

/** Argument rules every VirtualMemory op shares (after its own kind's rules). */
function vmArgRules(scan: RecordScan, o: Observation, op: ScriptOp, a: bigint): void {
  const { events, k } = scan;
  const size = op.b ?? 0n;
  const addrArg = op.kind !== OP.MAP && op.kind !== OP.RESERVE;
  if (size === 0n || size % k.P !== 0n || (addrArg && a % k.P !== 0n)) events.add("vm-unaligned-arg");
  if ((op.kind === OP.MAP || op.kind === OP.PROTECT || op.kind === OP.COMMIT) && ((op.c ?? 0n) & ~7n) !== 0n) events.add("vm-bad-prot");
  if (o.status === "exc" && o.value === k.overloaded) events.add("vm-overloaded");
}

/** The rules of each op kind that has some, by kind. */
const RECORD_RULES: readonly (RecordRule | undefined)[] = (() => {
  // Every kind has a slot (a read past the end deoptimises the caller).
  const rules = new Array<RecordRule | undefined>(Math.max(...Object.values(OP)) + 1).fill(undefined);
  const set = (kinds: readonly number[], rule: RecordRule): void => kinds.forEach((kind) => (rules[kind] = rule));
  set([OP.PARK], parkRules);
  set([OP.UNPARK], unparkRules);
  set([OP.PROTECT], protectRules);
  set([OP.LOAD, OP.STORE], accessRules);
  set([OP.SET_FS], setFsRules);
  set([OP.GET_FS, OP.TLS_READ, OP.TLS_WRITE, OP.TLS_ADDR], fsReadRules);
  set([OP.SPAWN], spawnRules);
  set([OP.RELEASE_HANDLE, OP.JOIN, OP.RING_BATCH], handleRules);
  return rules;
})();

const MASK64 = (1n << 64n) - 1n;

/** The VirtualMemory op kinds. */
const VM_OPS: ReadonlySet<number> = new Set([OP.MAP, OP.UNMAP, OP.PROTECT, OP.RESERVE, OP.COMMIT, OP.DECOMMIT]);
/** Op kinds whose address operand (`a` plus its base register) reach looks at. */
const ADDRESS_OPS: ReadonlySet<number> = new Set([...VM_OPS, OP.LOAD, OP.STORE, OP.RELEASE_HANDLE, OP.JOIN, OP.RING_BATCH]);

/** The op's address operand, modulo 2^64 (no masking allocation when it is in range already). */
function addressOf(op: ScriptOp, regs: readonly bigint[]): bigint {
  const a = op.base ? (op.a ?? 0n) + regs[op.base]! : (op.a ?? 0n);
  return a >= 0n && a <= MASK64 ? a : a & MASK64;
}

/** The binding's numbers reach compares with, as BigInts, made once per binding. */
interface ReachConstants {
  readonly P: bigint;
  readonly userLimit: bigint;
  readonly overloaded: bigint;
  readonly invalidCap: bigint;
  readonly cqEntries: bigint;
}
const CONSTANTS = new WeakMap<Binding, ReachConstants>();
function constantsOf(b: Binding): ReachConstants {
  let c = CONSTANTS.get(b);
  if (!c) {
    c = {
      P: BigInt(b.pageSize),
      userLimit: BigInt(b.layout.userAddressLimit),
      overloaded: BigInt(exceptionCode(b, "overloaded")),
      invalidCap: BigInt(b.transportErrors.invalidCap),
      cqEntries: BigInt(b.ring.cqEntries),
    };
    CONSTANTS.set(b, c);
  }
  return c;
}

/** Whether a waiter of `st` is parked under an older generation than its word's page has now. */
function hasStaleWaiter(st: AgentState, b: Binding): boolean {
  for (const w of st.park.waiters) if (w.key.gen !== generationAt(st.as, w.key.addr, b)) return true;
  return false;
}

/** An op kind's event names: its name and `NAME:status` for each status. */
type EventNames = { readonly name: string } & Readonly<Record<Observation["status"], string>>;
const EVENT_NAMES = new Map<number, EventNames>();
function eventNames(kind: number): EventNames {
  let e = EVENT_NAMES.get(kind);
  if (!e) {
    const name = opName(kind) ?? String(kind);
    EVENT_NAMES.set(kind, (e = { name, ok: `${name}:ok`, exc: `${name}:exc`, err: `${name}:err` }));
  }
  return e;
}

/** Whether a record in observations[from, to) is another thread's than `thread`. */
function otherThreadBetween(observations: readonly Observation[], from: number, to: number, thread: number): boolean {
  for (let i = from; i < to; i++) if (observations[i]!.thread !== thread) return true;
  return false;
}

function waitersOnWord(st: AgentState, op: ScriptOp, b: Binding): number {
  const a = addressOf(op, st.regs);
  const k = wordKey(st.as, a, b);
  if ("error" in k) return 0;
  return st.park.waiters.filter((w) => sameKey(w.key, k.key)).length;
}

/** Clauses every agent case judges: every record is a Console write through the ring. */
const ALWAYS_JUDGED = ["CON-1", "ENTER-1"];

/**
 * When an agent case judges a clause: any of the listed events (op names, `OP:status`,
 * derived events) or situations occurred. A clause an agent property cites must appear here.
 */
const CLAUSE_TRIGGERS: Readonly<Record<string, readonly string[]>> = {
  "VM-1": ["MAP", "UNMAP", "PROTECT"],
  "VM-2": ["RESERVE", "COMMIT", "DECOMMIT"],
  "VM-3": ["RESERVE:ok", "COMMIT:ok", "MAP:ok"],
  "VM-4": ["protect-none:ok"],
  "VM-5": ["upper-half-access"],
  "VMX-1": ["vm-unaligned-arg"],
  "VMX-2": ["MAP:ok", "RESERVE:ok"],
  "VMX-3": ["UNMAP"],
  "VMX-4": ["COMMIT", "DECOMMIT", "PROTECT"],
  "VMX-5": ["vm-overloaded"],
  "VMX-6": ["LOAD", "STORE", "end:fault"],
  "VMX-7": ["vm-bad-prot"],
  "GO-2": ["RESERVE:ok"],
  "GO-3": ["COMMIT:ok"],
  "GO-4": ["DECOMMIT:ok"],
  "GO-5": ["protect-none:ok"],
  "GO-6": ["UNMAP:ok"],
  "GO-7": ["park-timeout-0", "park-forever"],
  "GO-8": ["unpark-no-waiters"],
  "PROCX-2": ["end:fault"],
  "ERR-2": ["exc"],
  "PARK-1": ["PARK", "UNPARK"],
  "PARK-2": ["PARK"],
  "PARK-3": ["PARK:mismatch", SITUATION.parkBlocked],
  "PARK-4": ["unpark-woke"],
  "PARK-5": [SITUATION.parkTimeoutFired],
  "PARK-6": [SITUATION.waiterDrained],
  "PARKX-1": ["unpark-count-0"],
  "PARKX-2": ["unpark-woke"],
  "PARKX-3": ["park-timeout-0"],
  "PARKX-4": [SITUATION.parkTimeoutFired],
  "PARKX-6": [SITUATION.waiterDrained],
  "PARKX-7": [SITUATION.staleGeneration],
  "PARKX-8": ["PARK:woken", SITUATION.parkBlocked],
  "PARKX-9": ["exit-with-waiter"],
  "THR-1": ["SPAWN:ok"],
  "THR-2": ["SPAWN"],
  "THR-3": ["JOIN"],
  "THR-4": ["thread-exit"],
  "THRX-1": ["SPAWN:ok"],
  "THRX-2": ["JOIN:ok"],
  "THRX-3": ["main-thread-exit"],
  "SYS-3": ["end:exit"],
  "SYS-4": ["thread-exit"],
  "TLS-3": [SITUATION.fsSwitchWhileDiffer],
  "TLS-4": ["SET_FS"],
  "FSB-1": ["SET_FS:ok"],
  "FSB-2": ["spawned-fs-read"],
  "FSB-3": ["SET_FS:exc"],
  "FSB-4": ["GET_FS"],
  "FSB-5": [SITUATION.fsSwitchWhileDiffer],
  "TLSV2-6": ["TLS_ADDR"],
  "TIMERX-1": ["NOW", "SLEEP"],
  "CAP-1": ["stale-cap-use"],
  "CAP-2": [SITUATION.staleCapAfterReuse],
  "CAP-4": ["stale-cap-use"],
  "RINGX-7": [SITUATION.staleCapAfterReuse],
  "ENTER-2": ["RING_BATCH:ok"],
  "ENTERX-1": ["RING_BATCH:ok"],
  "RING-7": ["RING_BATCH:ok"],
  "RINGX-8": ["RING_BATCH:ok"],
  "RING-6": ["batch-cq-full"],
  "RINGX-2": [SITUATION.heldCompletion],
};

/** CLAUSE_TRIGGERS inverted: for each trigger, the indexes of the clauses it triggers in CLAUSE_IDS. */
const CLAUSE_IDS = Object.keys(CLAUSE_TRIGGERS);
const CLAUSES_BY_TRIGGER = new Map<string, number[]>();
CLAUSE_IDS.forEach((id, i) => {
  for (const t of CLAUSE_TRIGGERS[id]!) {
    const list = CLAUSES_BY_TRIGGER.get(t);
    if (list) list.push(i);
    else CLAUSES_BY_TRIGGER.set(t, [i]);
  }
});

/**
 * The clauses whose triggers occurred, in CLAUSE_TRIGGERS order: looked up from the case's
 * few events and situations rather than testing every trigger of every clause.
 */
function judgedClauses(events: ReadonlySet<string>, situations: ReadonlySet<string>): string[] {
  const hit = new Array<boolean>(CLAUSE_IDS.length).fill(false);
  for (const set of [events, situations]) for (const x of set) for (const i of CLAUSES_BY_TRIGGER.get(x) ?? []) hit[i] = true;
  const out: string[] = [];
  for (let i = 0; i < hit.length; i++) if (hit[i]) out.push(CLAUSE_IDS[i]!);
  return out;
}

/** Clause IDs an agent case can judge (for the test that cited clauses are judgeable). */
export function judgeableAgentClauses(): readonly string[] {
  return [...Object.keys(CLAUSE_TRIGGERS), ...ALWAYS_JUDGED];
}
