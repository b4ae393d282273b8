/**
 * The `agent` guest as a state machine: what each script op does to the model state, and
 * which observation records and end states it allows (spec/agent-protocol.ts).
 *
 * Porcupine-shaped: `init`, `successors` (every legal next move, nondeterminism as a set),
 * `consume` (match one observation record), `stateKey`/`equal` for memoisation. The search
 * over interleavings lives in checker.ts.
 *
 * Execution model (each point is an assumption about the agent, stated so it can be checked):
 * - An op takes effect atomically at one point (its linearization point) between the
 *   previous record of its thread and its own record; the record is printed later, so other
 *   threads' ops may take effect in between. Console order is the order of records.
 * - Blocking ops (PARK, SLEEP, JOIN) enqueue at their linearization point and get their
 *   result when woken, drained, timed out or the joined thread exits; the record follows.
 * - PARK_ASYNC enqueues like PARK but reports 0 at once: its waiter (asyncWaiterId) is woken,
 *   drained or timed out without a record, and leaves with its thread (PARKX-9).
 * - `base` is added to operand `a` of every op (mod 2^64); `dst` is written when the record
 *   is printed (scripts whose threads race on a register are outside the model's precision).
 * - The agent's TLS variables start with AGENT_TLS_INITIAL in every script thread (the agent
 *   initialises spawned threads' blocks from the template). TLS_READ/TLS_WRITE access
 *   %fs:tpoff(var) and TLS_ADDR computes %fs:0 + tpoff(var): while a thread's FS base is its
 *   own TP these hit the thread's block; after SET_FS they hit whatever memory FS points at.
 * - Values the model cannot know (the TP of each thread, the agent's TLS offsets) are
 *   learned from the first observation that reveals them and must stay consistent after.
 * - Addresses outside the VM window but below userAddressLimit belong to the agent's own
 *   image, stack, TLS, ring and CapSet pages: ops on them are "unknown" (any record, any end).
 *   Addresses at or above userAddressLimit fault (VM-5). Generators should use window addresses.
 * - Time: `lazy` (default) lets virtual time advance at any moment, so a timed-out wait may
 *   complete at any point after its deadline and NOW may return any value >= the clock;
 *   `eager` is the deterministic emulator scheduler: time advances only when every live thread
 *   is blocked, by jumping to the earliest deadline, and NOW returns the clock exactly.
 *   Both enforce "never early" (PARKX-4, TIMERX-1).
 *
 * Search reductions (checker.ts, unless `reduce: false`; reduction.ts decides which moves).
 * The search answers one question: is there a path of moves (linearizations, timeouts,
 * record matches) from the start that matches every record in console order and reaches an
 * accepted end (an end move like the observed end, a hang, or any state for a budget end;
 * the end clock not passed; through an unknown outcome, `undecided`); if not, how many records
 * the longest path matched. Every move makes progress (an op takes effect, a thread wakes, a
 * record is matched, a waiter leaves), so paths are finite. A reduction may leave moves out of
 * a state as long as, whenever some path from that state reaches an accepted end (or matches
 * k records), a move it keeps starts such a path; by induction on the progress left, the
 * reduced search then accepts exactly the runs the full search accepts, matches as many
 * records before refusing, and gives the same verdict. What may differ is which of several
 * equivalent interleavings it reports (the witness), the `allowed` hints of a refusal, and
 * a search that hit `maxStates` unreduced may now finish.
 * - R1, a local op goes first and alone. When an idle thread t's op, at its linearization
 *   point, (a) is one move that neither ends the process nor meets an unknown outcome,
 *   (b) reads nothing another thread's op, a timeout or a record match can still change, and
 *   (c) changes nothing another move reads but t's own run, then in any path it commutes
 *   with every move before it and can be taken first; a path that never takes it reaches its
 *   end just as well with it taken first, since it only moves t from idle to pending or
 *   blocked, which no accepted end tells apart (an idle thread is not hung; end moves, budget
 *   ends and the end clock do not look at t). Such ops:
 *   - YIELD and SPIN (no effect), GET_FS and SET_FS (t's own FS base: FSB-1, FSB-4, FSB-3's
 *     refusal too), TLS_READ, TLS_WRITE and TLS_ADDR while FS is t's own TP (t's own block:
 *     TLS-3, TLSV2-1); a TLS_ADDR whose TLS offset is not yet learned only while no other
 *     thread has a TLS_ADDR left or a TLS offset to report (another thread's record could
 *     teach it first and turn the op's pattern into an exact value);
 *   - LOAD and STORE, and TLS ops after SET_FS (memory), only while no other thread has an op
 *     left that touches the address space (memory, VM, PARK, UNPARK or TLS ops);
 *   - SPAWN and JOIN only while no other thread has a SPAWN, JOIN, RELEASE_HANDLE or
 *     RING_BATCH left, so creation order and the joined thread's handle are the op's alone;
 *     a JOIN taken before the joined thread exits blocks and is woken with its exit value, one
 *     taken after completes with the same value at once (THRX-2, THRX-3): the same record.
 *     Under eager time a JOIN that would block is not local (blocking may let the eager clock
 *     jump), nor is a SLEEP other than SLEEP 0;
 *   - a spawned thread's exit (THREAD_EXIT or the end of its ops) under lazy time, while no
 *     thread exit can end the process (thread 0 lives and has no THREAD_EXIT left: it ends
 *     the process with exit, THRX-3), the thread has no park in flight (PARKX-9: an UNPARK
 *     could tell when it left) and no other thread has a RING_BATCH left (whose JOIN reports
 *     a different count before and after the exit); a plain JOIN of it gets the same record
 *     either way (THRX-2);
 *   - SLEEP under lazy time. A sleep reads the clock, but lazy time is monotone: a state whose
 *     clock and deadlines are earlier, all else equal, allows every path the later one allows
 *     (NOW accepts more values, TIMERX-1; deadlines, timeouts and the end clock only ever
 *     compare "at least", PARKX-4), so taking the sleep first, with the earliest deadline,
 *     loses no run.
 *   Condition (b) also needs the op's operand: the register `base` names must not be the dst
 *   of an op another thread has yet to report (records write registers when matched).
 * - R2, a timeout waits for its record (lazy time only). A blocked SLEEP, or a PARK no other
 *   thread can still wake or drain (no UNPARK, UNMAP or DECOMMIT left in any other thread,
 *   PARKX-2, PARKX-6), ends only by its own timeout, and until its record is matched no other
 *   move reads whether it has ended (neither a sleeping nor a timed-out thread is hung, runs,
 *   or holds anything another op takes). So its timeout is offered only when the next record
 *   is the thread's own: moving a timeout later, to just before its record, or leaving it out
 *   when the record never comes, keeps the clock at most as far on in between, which by the
 *   monotonicity above allows every path the early timeout allowed. Under eager time a
 *   timeout's moment decides which threads may run, so neither R2 nor the SLEEP rule applies.
 * - R3, dead ends (checker.ts `deadEnds`). A state none of whose paths can match every record
 *   with a clock at most the end clock is left out: its subtree holds no accepted end, and every
 *   state reachable from it is such a state too, so the search meets the other states in the
 *   same order, visits a subset of the states and finds the same first accepted path (the same
 *   witness). A state is such a dead end when its clock is past the end clock (time never goes
 *   back); when a thread's next record names another op than its pending or blocked one, an op
 *   before an idle thread's next one, or any op of a finished thread (a thread reports its ops in
 *   order, each once); when a pending result cannot match that record whatever comes first (all
 *   but learned values); or when the clock plus the deadline still to come of a blocked sleep
 *   plus the SLEEP lengths of the thread's records still ahead passes the end clock (each sleep
 *   takes effect after the thread's previous record and completes only by its timeout). What
 *   such a search cannot give is a refusal's deepest record and hints, which dead ends feed: so
 *   a refusal is searched again with them, and its details are those of the whole search.
 *
 * @clause PARK-3 PARKX-1 PARKX-2 PARKX-3 PARKX-4 PARKX-5 PARKX-6 PARKX-8 PARKX-9 TIMERX-1 THRX-2 THRX-3 FSB-1 FSB-3 FSB-4 TLSV2-1 TLSV2-6 VMX-6 PROCX-2 SYS-3 SYS-4
 */
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";
import { AGENT_BAD_SCRIPT_EXIT, AGENT_MAX_THREADS, AGENT_TLS_INITIAL, AGENT_TLS_VARS, OP, opName, SCRIPT_REGISTERS, type Observation, type ObservationStatus, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import * as vm from "./address-space.js";
import * as pk from "./park.js";
import { packedMap } from "./packed-array.js";
import { advance, deadlineAfter, isDue } from "./timer.js";
import * as th from "./threads.js";
import { initialTpProblem, tlsOffset } from "./tls.js";
import { stateKey as fullStateKey } from "./state-key.js";

const U64 = (1n << 64n) - 1n;

export type EndState =
  | { readonly kind: "exit"; readonly code: number }
  /** `thread` is the script thread; an observed end may leave it out (implementations number threads their own way). */
  | { readonly kind: "fault"; readonly fault: "#PF" | "#GP" | "#UD" | "#DE"; readonly addr?: bigint; readonly access?: "read" | "write" | "exec"; readonly thread?: number }
  | { readonly kind: "hang" }
  | { readonly kind: "budget" };

/** What the agent environment fixes that the script does not (all optional: unknowns are learned). */
export interface AgentEnv {
  /** FS base (TP) of script thread t at its start, when known (e.g. from TLSV2-7 and the agent's PT_TLS). */
  readonly initialFsBase?: readonly (bigint | undefined)[];
  /** TP offsets of the agent's TLS variables, when known (from the agent ELF). */
  readonly tlsOffsets?: readonly bigint[];
  /** The agent's loadable segments (from its ELF): accesses outside the VM window are judged against them. */
  readonly segments?: readonly ImageSegment[];
  /** The agent's PT_TLS (from its ELF): every thread's TP is aligned to max(p_align, tpMinAlign) and its block lies where TLSV2-7 / the agent put it. */
  readonly ptTls?: { readonly vaddr: number; readonly memsz: number; readonly align: number };
}

/** A PT_LOAD of the agent image. */
export interface ImageSegment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly writable: boolean;
  /** The segment's first p_filesz bytes as the file holds them (the rest of p_memsz is zero). */
  readonly bytes: Uint8Array;
}

export interface CheckOptions {
  readonly time?: "lazy" | "eager";
  /** Largest number of search states before the checker gives up (undecided). */
  readonly maxStates?: number;
  /** When given, the checker adds the number of search states it visited (for measurements). */
  readonly stats?: { states: number };
  /**
   * What the implementation reports about a fault. When it reports addresses, a #PF without
   * one is not a conforming end; when it reports threads, `thread` in an observed fault is the
   * faulting thread's creation index (0 = initial, k = the k-th thread created) and is compared.
   */
  readonly reports?: { readonly faultAddress?: boolean; readonly faultThread?: boolean };
  /** Return the accepted interleaving with an ok verdict (for measuring reach). */
  readonly witness?: boolean;
  /**
   * false: search every interleaving (the reference the reduced search is tested against);
   * default true: skip interleavings that cannot change the verdict (see "Search reductions").
   */
  readonly reduce?: boolean;
  /**
   * false: the reduced search keeps the states no path from which can be accepted (R3; for
   * tests that compare the two). Default true: it leaves them out, then searches again with
   * them when that refuses, so that a refusal's details stay those of the whole search.
   */
  readonly pruneDeadEnds?: boolean;
}

/** The result an op will report, decided at its linearization point (or when it is woken). */
export type Pending =
  | { readonly k: "exact"; readonly status: ObservationStatus; readonly value: bigint }
  /** ok v with v % align == 0; binds learned[key] = v - offset (or must equal it). */
  | { readonly k: "learn"; readonly key: string; readonly offset: bigint; readonly align: bigint; readonly why: string }
  /** NOW in lazy time: ok v with v >= min; the clock becomes v. */
  | { readonly k: "now"; readonly min: bigint }
  /** The model does not know: any record. */
  | { readonly k: "any"; readonly why: string }
  /** ok with any value: readable memory whose contents the model does not track (the agent's own data). */
  | { readonly k: "value"; readonly why: string }
  /** No record can match: the implementation's reported choice breaks a rule (e.g. VMX-2 placement). */
  | { readonly k: "reject"; readonly why: string }
  /** ok with one of these values (e.g. RING_BATCH's cap_enter count, with or without a completion that may race it). */
  | { readonly k: "oneOf"; readonly values: readonly bigint[]; readonly why: string };

export type Block =
  | { readonly kind: "park"; readonly deadline: bigint | null }
  | { readonly kind: "sleep"; readonly deadline: bigint }
  /** `batch`: a RING_BATCH's JOIN, which reports one of these values when the target exits. */
  | { readonly kind: "join"; readonly target: number; readonly batch?: readonly bigint[] };

export type Phase = "unstarted" | "idle" | "pending" | "blocked" | "done";

export interface ThreadRun {
  readonly phase: Phase;
  /** Index of the op being executed (idle: the next one). */
  readonly pc: number;
  readonly pending?: Pending;
  readonly block?: Block;
  /** The thread's own TLS variable values (used while FS base is the thread's TP). */
  readonly tls: readonly bigint[];
  readonly joined?: boolean;
  /** The agent released this thread's ThreadHandle (RELEASE_HANDLE): its id is stale. */
  readonly handleReleased?: boolean;
}

export interface AgentState {
  readonly as: vm.AddressSpace;
  readonly park: pk.ParkSpace;
  readonly threads: th.ThreadTable;
  readonly runs: readonly ThreadRun[];
  readonly regs: readonly bigint[];
  readonly now: bigint;
  readonly learned: Readonly<Record<string, bigint>>;
  /** Script threads in the order the process created them (thread 0 first): the implementation's thread numbering. */
  readonly created: readonly number[];
  /** Why, once some op's outcome was unknown: any end state is then allowed (the checker reports such a run inconclusive). */
  readonly anyEnd?: string;
}

export interface Ctx {
  readonly script: Script;
  readonly b: Binding;
  readonly env: AgentEnv;
  readonly time: "lazy" | "eager";
  /**
   * The observed record of each op, when checking a run: where the ABI
   * leaves a choice to the implementation (where map/reserve place a range, VMX-2), the model
   * takes the implementation's reported choice at the op's linearization point and checks
   * only the rule, so later ops see the range where the implementation put it.
   */
  readonly reported?: ReportedRecords;
}

export interface ReportedRecords {
  /** The record naming op `pc` of thread `t` (the last one, when several do). */
  get(t: number, pc: number): Observation | undefined;
}

export type Move =
  | { readonly kind: "state"; readonly label: string; readonly st: AgentState }
  | { readonly kind: "end"; readonly label: string; readonly end: EndState; readonly st: AgentState };

/** Initial state: thread 0 idle at op 0, empty VM window, no waiters, time 0. */
export function init(ctx: Ctx): AgentState {
  const learned: Record<string, bigint> = {};
  ctx.env.tlsOffsets?.forEach((o, i) => (learned[`tpoff:${i}`] = o));
  ctx.env.initialFsBase?.forEach((f, t) => {
    if (f !== undefined) learned[`fs0:${t}`] = f;
  });
  return {
    as: vm.emptyAddressSpace(1),
    park: pk.EMPTY_PARK_SPACE,
    threads: th.spawnThread(new Map(), 0, null),
    runs: packedMap(ctx.script.threads, (_, t): ThreadRun => ({ phase: t === 0 ? "idle" : "unstarted", pc: 0, pending: undefined, block: undefined, tls: AGENT_TLS_INITIAL, joined: undefined, handleReleased: undefined })),
    regs: new Array<bigint>(SCRIPT_REGISTERS).fill(0n),
    now: 0n,
    learned,
    created: [0],
    anyEnd: undefined,
  };
}

/**
 * `st` with thread t's run replaced by `r`'s fields over the old run's. Every run has the same
 * fields in the same order, and the common edits below pass no partial object (one object
 * shape on the search's hot paths; a partial's many shapes made every field read slow).
 */
function setRun(st: AgentState, t: number, r: Partial<ThreadRun>): AgentState {
  const o = st.runs[t]!;
  return withRun(st, t, {
    phase: r.phase ?? o.phase,
    pc: r.pc ?? o.pc,
    pending: "pending" in r ? r.pending : o.pending,
    block: "block" in r ? r.block : o.block,
    tls: r.tls ?? o.tls,
    joined: r.joined ?? o.joined,
    handleReleased: r.handleReleased ?? o.handleReleased,
  });
}

/**
 * `st` with some of its fields replaced, as an object of the one state shape (see init): a
 * spread (`{ ...st, park }`) makes objects of another hidden class, and states of two classes
 * deoptimised every search function the first time a case met the second. One small
 * function per edit keeps each call site's reads monomorphic.
 */
function copyState(st: AgentState, as: vm.AddressSpace, park: pk.ParkSpace, threads: th.ThreadTable, now: bigint, created: readonly number[], anyEnd: string | undefined): AgentState {
  return { as, park, threads, runs: st.runs, regs: st.regs, now, learned: st.learned, created, anyEnd };
}
const withAs = (st: AgentState, as: vm.AddressSpace): AgentState => copyState(st, as, st.park, st.threads, st.now, st.created, st.anyEnd);
const withPark = (st: AgentState, park: pk.ParkSpace): AgentState => copyState(st, st.as, park, st.threads, st.now, st.created, st.anyEnd);
const withThreads = (st: AgentState, threads: th.ThreadTable): AgentState => copyState(st, st.as, st.park, threads, st.now, st.created, st.anyEnd);
/** The clock moved to `now` (and `park` is the waiters after the timeout it fired). */
export const withClock = (st: AgentState, now: bigint, park: pk.ParkSpace): AgentState => copyState(st, st.as, park, st.threads, now, st.created, st.anyEnd);

function withRun(st: AgentState, t: number, run: ThreadRun): AgentState {
  const runs = st.runs.slice();
  runs[t] = run;
  // Spelled out rather than spread: the hottest state copy of the search, and every state has this shape (see init).
  return { as: st.as, park: st.park, threads: st.threads, runs, regs: st.regs, now: st.now, learned: st.learned, created: st.created, anyEnd: st.anyEnd };
}

/** Thread t's op completed with `p` (its record is next); `block` as setRun's callers left it. */
function pendingRun(st: AgentState, t: number, p: Pending, block: Block | undefined): AgentState {
  const o = st.runs[t]!;
  return withRun(st, t, { phase: "pending", pc: o.pc, pending: p, block, tls: o.tls, joined: o.joined, handleReleased: o.handleReleased });
}

/** Thread t blocks in `block` (its result comes when it is woken, times out or the target exits). */
function blockedRun(st: AgentState, t: number, block: Block): AgentState {
  const o = st.runs[t]!;
  return withRun(st, t, { phase: "blocked", pc: o.pc, pending: o.pending, block, tls: o.tls, joined: o.joined, handleReleased: o.handleReleased });
}

function exact(status: ObservationStatus, value: bigint): Pending {
  return { k: "exact", status, value };
}

/**
 * The ExceptionType number of a schema enumerant (camelCase, e.g. invalidArgument). The
 * binding keys exceptionTypes by the generated names (INVALID_ARGUMENT); accept either.
 */
export function exceptionCode(b: Binding, name: string): number {
  // Asked for every refused op the search meets: the binding's numbers by name are kept per binding.
  let byName = exceptionCodes.get(b);
  if (!byName) exceptionCodes.set(b, (byName = new Map()));
  let v = byName.get(name);
  if (v !== undefined) return v;
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  v = b.exceptionTypes[name] ?? b.exceptionTypes[snake];
  if (v === undefined) throw new RangeError(`binding has no exception type ${name}`);
  byName.set(name, v);
  return v;
}

const exceptionCodes = new WeakMap<Binding, Map<string, number>>();

function excOf(ctx: Ctx, name: string): Pending {
  return exact("exc", BigInt(exceptionCode(ctx.b, name)));
}

/** Alignment the compiler gives agent TLS variable i (u64s; var 3 is 64-aligned), TLSV2-6. */
export function agentTlsAlign(i: number): bigint {
  return i === 3 ? 64n : 8n;
}

type MemClass =
  | { kind: "model"; addr: number }
  /** Process memory outside the VM window: the agent image, its stack, the ring and CapSet pages. */
  | { kind: "process"; region: ProcessRegion }
  | { kind: "unknown"; why: string }
  | { kind: "fault"; end: (t: number, access: "read" | "write") => EndState };

/**
 * A range of the process's memory outside the VM window.
 * ro: a read-only image segment, contents known from the file; rw: a writable segment or the
 * stack or the ring page (the agent's own data, contents not tracked); capset: the read-only
 * CapSet page (PROC-3); impl: where the implementation keeps per-thread pages of its choosing
 * (the TLS area, spawned threads' rings: TLSV2-7, THRX-1), not judged.
 */
export interface ProcessRegion {
  readonly start: bigint;
  readonly end: bigint;
  readonly kind: "ro" | "rw" | "capset" | "impl";
  readonly segment?: ImageSegment;
}

const processMaps = new WeakMap<AgentEnv, WeakMap<Binding, ProcessRegion[]>>();

/**
 * The process's memory outside the VM window, in address order; every other address below
 * userAddressLimit is unmapped.
 * @clause ELFX-1 PROC-3 PROC-6 RING-1 TLSV2-7 THRX-1
 * Page 0 and everything below the stack that no PT_LOAD covers (ELFX-1 puts the segments in
 * [pageSize, userStackBase)) is unmapped; so are the gaps from the stack's end to the VM window
 * and from the window's end to threadRingBase (decision, THRX-1: the per-thread pages an
 * implementation lays out, the TLS area and spawned threads' rings, live in
 * [threadRingBase, userAddressLimit)). Without the agent's segments the image range is not
 * judged.
 */
export function processMemory(env: AgentEnv, b: Binding): readonly ProcessRegion[] {
  let byBinding = processMaps.get(env);
  if (!byBinding) processMaps.set(env, (byBinding = new WeakMap()));
  const cached = byBinding.get(b);
  if (cached) return cached;
  const L = b.layout;
  const P = BigInt(b.pageSize);
  const down = (x: bigint) => x - (x % P);
  const up = (x: bigint) => down(x + P - 1n);
  const out: ProcessRegion[] = [];
  if (env.segments)
    for (const seg of env.segments) out.push({ start: down(BigInt(seg.vaddr)), end: up(BigInt(seg.vaddr + seg.memsz)), kind: seg.writable ? "rw" : "ro", segment: seg });
  else out.push({ start: P, end: BigInt(L.userStackBase), kind: "impl" });
  out.push({ start: BigInt(L.userStackBase), end: BigInt(L.userStackBase + L.userStackSize), kind: "rw" });
  const ring = BigInt(L.ringVaddr);
  const capset = BigInt(L.capSetVaddr);
  const special: ProcessRegion[] = [
    { start: ring, end: ring + P, kind: "rw" },
    { start: capset, end: capset + P, kind: "capset" },
  ].sort((x, y) => (x.start < y.start ? -1 : 1)) as ProcessRegion[];
  let at = BigInt(L.threadRingBase);
  for (const r of special) {
    if (r.start > at) out.push({ start: at, end: r.start, kind: "impl" });
    out.push(r);
    at = r.end;
  }
  if (at < BigInt(L.userAddressLimit)) out.push({ start: at, end: BigInt(L.userAddressLimit), kind: "impl" });
  out.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  byBinding.set(b, out);
  return out;
}

function regionAt(ctx: Ctx, addr: bigint): ProcessRegion | undefined {
  return processMemory(ctx.env, ctx.b).find((r) => addr >= r.start && addr < r.end);
}

/**
 * Which memory an access of `size` bytes at `addr` touches.
 * @clause VM-5 VMX-6 ELFX-1 PROC-3
 */
function classify(ctx: Ctx, addr: bigint, size: number): MemClass {
  const L = ctx.b.layout;
  const end = addr + BigInt(size);
  if (addr >= BigInt(L.vmWindowBase) && end <= BigInt(L.vmWindowEnd)) return { kind: "model", addr: Number(addr) };
  if (addr >= BigInt(L.userAddressLimit)) {
    // VM-5: the upper half is never user-accessible; non-canonical addresses raise #GP.
    if (!th.isCanonical(addr) || !th.isCanonical(end - 1n)) return { kind: "fault", end: (t) => ({ kind: "fault", fault: "#GP", thread: t }) };
    return { kind: "fault", end: (t, access) => ({ kind: "fault", fault: "#PF", addr, access, thread: t }) };
  }
  if (addr < BigInt(L.vmWindowEnd) && end > BigInt(L.vmWindowBase)) return { kind: "unknown", why: `an access at 0x${addr.toString(16)} straddles the VM window's edge` };
  const first = regionAt(ctx, addr);
  const last = regionAt(ctx, end - 1n);
  // The first unmapped byte of the access faults (as CR2 reports it, VMX-6).
  if (!first) return { kind: "fault", end: (t, access) => ({ kind: "fault", fault: "#PF", addr, access, thread: t }) };
  if (first === last) return first.kind === "impl" ? { kind: "unknown", why: `0x${addr.toString(16)} is in memory the implementation lays out` } : { kind: "process", region: first };
  if (!last && first.kind !== "impl") return { kind: "fault", end: (t, access) => ({ kind: "fault", fault: "#PF", addr: first.end, access, thread: t }) };
  return { kind: "unknown", why: `an access at 0x${addr.toString(16)} spans two process regions` };
}

/** The value of `size` bytes at `addr` of a read-only segment, when the file fixes it. */
function imageValue(region: ProcessRegion, addr: bigint, size: number): bigint | undefined {
  const seg = region.segment;
  if (!seg || addr < BigInt(seg.vaddr) || addr + BigInt(size) > BigInt(seg.vaddr + seg.memsz)) return undefined;
  const off = Number(addr - BigInt(seg.vaddr));
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(seg.bytes[off + i] ?? 0);
  return v;
}

/** What a PARK/UNPARK word is: a VM-window word (park.ts decides), a word of the process image, an error, or not judged. */
type ParkWord =
  | { kind: "window" }
  | { kind: "image"; key: pk.ParkKey; word: bigint | undefined }
  | { kind: "error"; error: "invalidSqe" | "invalidBuffer" }
  | { kind: "unknown"; why: string };

/**
 * The word a PARK/UNPARK outside the VM window names.
 * @clause PARKX-5 PARK-2
 * Step 1 (PARKX-5): a misaligned word is invalidSqe. Step 2 (PARKX-5): an unmapped word is
 * invalidBuffer. Step 3: a word of the image, stack or ring is keyed by its address (these
 * pages are never unmapped, so their generation never changes); its value is known for a
 * read-only segment, not tracked otherwise.
 */
function imageWord(ctx: Ctx, st: AgentState, a: bigint): ParkWord {
  const b = ctx.b;
  if (a % BigInt(b.park.wordAlign) !== 0n) return { kind: "error", error: "invalidSqe" };
  const m = classify(ctx, a, b.park.wordSize);
  if (m.kind === "model" || (m.kind === "fault" && a >= BigInt(b.layout.userAddressLimit))) return { kind: "window" };
  if (m.kind === "unknown") return { kind: "unknown", why: `PARK/UNPARK word: ${m.why}` };
  if (m.kind === "fault") return { kind: "error", error: "invalidBuffer" };
  return { kind: "image", key: { asid: st.as.id, gen: 0, addr: Number(a) }, word: m.region.kind === "ro" ? imageValue(m.region, a, b.park.wordSize) : undefined };
}

/** The address the implementation reported for op `pc` of thread `t`, when it reported one (its placement choice, VMX-2). */
function chosenAddress(ctx: Ctx, t: number, pc: number): bigint | undefined {
  const o = ctx.reported?.get(t, pc);
  return o?.status === "ok" ? o.value & U64 : undefined;
}

/** The agent found its script malformed: it prints "agent: bad script: <why>" and exits (spec/agent-protocol.ts). */
function badScript(st: AgentState, label: string, why: string): Move {
  return { kind: "end", label: `${label} (agent: bad script: ${why})`, end: { kind: "exit", code: AGENT_BAD_SCRIPT_EXIT }, st };
}

/**
 * Why the agent refuses `script` before running its first op, or undefined (the agent's
 * validation: op kinds, registers, access sizes).
 */
export function scriptProblem(script: Script): string | undefined {
  // successors asks at every search state: the last script's answer is kept (every case of a
  // property run has a new script, so a cache over scripts only cost its upkeep).
  if (lastProblem?.script !== script) lastProblem = { script, problem: findScriptProblem(script) };
  return lastProblem.problem;
}

let lastProblem: { script: Script; problem: string | undefined } | undefined;

function findScriptProblem(script: Script): string | undefined {
  for (const ops of script.threads)
    for (const op of ops) {
      if (opName(op.kind) === undefined) return "op kind";
      if ((op.dst ?? 0) >= SCRIPT_REGISTERS || (op.base ?? 0) >= SCRIPT_REGISTERS) return "register";
      if ((op.kind === OP.LOAD || op.kind === OP.STORE) && ((op.b ?? 0n) < 1n || (op.b ?? 0n) > 8n)) return "access size";
    }
  return undefined;
}

/** Alignment of every thread pointer: max(PT_TLS p_align, tpMinAlign) (TLSV2-3, TLSV2-7). */
export function tpAlign(ctx: Ctx): bigint {
  const a = ctx.env.ptTls ? Math.max(ctx.env.ptTls.align, 1) : 1;
  return BigInt(Math.max(a, ctx.b.layout.tpMinAlign));
}

/**
 * Why `v` cannot be the value learned for `key`, or undefined. Only thread pointers have rules.
 * @clause TLSV2-3 TLSV2-7 FSB-2 TLS-3
 * Step 1 (TLSV2-3, TLSV2-7): a TP is aligned to max(p_align, tpMinAlign).
 * Step 2 (TLSV2-7): the initial thread's block and TCB, [TP - tlsOffset, TP + tcbSize), lie in
 * the TLS area [ringVaddr - tlsAreaSize, ringVaddr); where in it is the implementation's choice.
 * Step 3 (FSB-2): a spawned thread starts with the TP the agent built for it, in the agent's
 * own writable memory.
 * Step 4 (TLS-3, FSB-1): no two threads' blocks overlap (each thread has its own TLS).
 */
export function learnProblem(ctx: Ctx, st: AgentState, key: string, v: bigint): string | undefined {
  const m = /^fs0:(\d+)$/.exec(key);
  if (!m) return undefined;
  const t = Number(m[1]);
  const L = ctx.b.layout;
  const hex = (x: bigint) => "0x" + x.toString(16);
  const align = tpAlign(ctx);
  // Step 1.
  if (v % align !== 0n) return `thread ${t}'s TP ${hex(v)} is not aligned to ${align} (TLSV2-3, TLSV2-7)`;
  const off = BigInt(ctx.env.ptTls ? tlsOffset(ctx.env.ptTls) : 0);
  const lo = v - off;
  const hi = v + BigInt(L.tcbSize);
  if (t === 0) {
    // Step 2.
    const problem = initialTpProblem(ctx.env.ptTls ?? null, v, ctx.b);
    if (problem) return problem;
  } else if (ctx.env.segments) {
    // Step 3.
    const inAgent = ctx.env.segments.some((s) => s.writable && lo >= BigInt(s.vaddr) && hi <= BigInt(s.vaddr + s.memsz));
    if (!inAgent) return `thread ${t}'s TLS block [${hex(lo)}, ${hex(hi)}) is not in the agent's writable memory, where the agent built it (FSB-2)`;
  }
  // Step 4.
  for (const [k, u] of Object.entries(st.learned)) {
    const other = /^fs0:(\d+)$/.exec(k);
    if (!other || Number(other[1]) === t) continue;
    if (lo < u + BigInt(L.tcbSize) && u - off < hi) return `thread ${t}'s TP ${hex(v)} shares its TLS block with thread ${other[1]}'s TP ${hex(u)} (TLS-3, FSB-1)`;
  }
  return undefined;
}

function unknown(st: AgentState, t: number, why: string): AgentState {
  return setRun(copyState(st, st.as, st.park, st.threads, st.now, st.created, st.anyEnd ?? `thread ${t} op ${st.runs[t]!.pc}: ${why}`), t, { phase: "pending", pending: { k: "any", why } });
}

function done(st: AgentState, t: number, p: Pending): AgentState {
  return pendingRun(st, t, p, st.runs[t]!.block);
}

/** The thread's current FS base if it is its own TP ("original"), else the explicit base. */
export function fsView(st: AgentState, t: number): { original: true; tp: bigint | undefined } | { original: false; base: bigint } {
  const fs = st.threads.get(t)!.fsBase;
  const tp = st.learned[`fs0:${t}`];
  if (fs === null || (tp !== undefined && fs === tp)) return { original: true, tp };
  return { original: false, base: fs };
}

/** Wake threads with results (drain, unpark, join, timeout): they become pending. */
function wake(st: AgentState, ids: readonly number[], p: Pending): AgentState {
  let s = st;
  // An async waiter's completion goes to a thread that does not wait for it (PARK_ASYNC).
  for (const id of ids) if (!isAsyncWaiter(id)) s = pendingRun(s, id, p, undefined);
  return s;
}

/**
 * The waiter id of a PARK_ASYNC by thread t: its own (negative) id, so that waking it leaves
 * the thread alone; the thread's exit removes it (PARKX-9).
 */
export function asyncWaiterId(t: number): number {
  return -1 - t;
}

function isAsyncWaiter(id: number): boolean {
  return id < 0;
}

/**
 * Thread `t` ends (ThreadControl.exit(value) or the end of a non-zero thread's ops).
 * @clause SYS-4 THR-4 THRX-2 THRX-3 PARKX-9
 */
function threadExit(ctx: Ctx, st: AgentState, t: number, value: bigint, label: string): Move {
  const r = th.exitThread(st.threads, t, value);
  // PARKX-9: a park the thread left in flight (PARK_ASYNC) does not outlive it.
  const o = st.runs[t]!;
  let s: AgentState = withRun(copyState(st, st.as, pk.removeWaiter(st.park, asyncWaiterId(t)), r.tt, st.now, st.created, st.anyEnd), t, { phase: "done", pc: o.pc, pending: o.pending, block: o.block, tls: o.tls, joined: o.joined, handleReleased: o.handleReleased });
  // THRX-2: joiners complete with the exit value.
  for (let i = 0; i < s.runs.length; i++) {
    const block = s.runs[i]!.block;
    if (s.runs[i]!.phase !== "blocked" || block?.kind !== "join" || block.target !== t) continue;
    s = pendingRun(s, i, block.batch ? { k: "oneOf", values: block.batch, why: "RING_BATCH's cap_enter count" } : exact("ok", value), undefined);
  }
  // THRX-3: the last thread's exit ends the process with status 0.
  if (r.processEnds) return { kind: "end", label, end: { kind: "exit", code: 0 }, st: s };
  return { kind: "state", label, st: s };
}

/** "t<thread>#<op index> <OP>", the label of op moves, kept for the ops of the last script asked about (built once per op, not per move). */
let labels: { script: Script; labels: (string | undefined)[][] } | undefined;

function opLabel(script: Script, t: number, pc: number): string {
  if (labels?.script !== script) labels = { script, labels: script.threads.map(() => []) };
  const byPc = labels.labels[t]!;
  return (byPc[pc] ??= `t${t}#${pc} ${opName(script.threads[t]![pc]!.kind) ?? script.threads[t]![pc]!.kind}`);
}

/** Operand a of `op` plus its base register, mod 2^64 (spec/agent-protocol.ts); no bigint arithmetic when there is nothing to add or wrap. */
export function operandA(op: ScriptOp, regs: readonly bigint[]): bigint {
  const a = op.a ?? 0n;
  if (op.base) return (a + regs[op.base]!) & U64;
  return a >= 0n && a <= U64 ? a : a & U64;
}

/** The single move of an op (most ops have one outcome). */
function one(label: string, st: AgentState): Move[] {
  return [{ kind: "state", label, st }];
}

/** The move of a VirtualMemory op of thread t with result `r`. @clause PARKX-6 VMX-2 */
function vmMoves(ctx: Ctx, st: AgentState, t: number, lab: string, r: vm.VmResult): Move[] {
  if (!r.ok && r.exc === "badPlacement") return one(lab, done(st, t, { k: "reject", why: r.why }));
  if (!r.ok) return one(lab, done(st, t, excOf(ctx, r.exc)));
  let s: AgentState = withAs(st, r.as);
  // PARKX-6: unmap and decommit drain waiters in the range before they return.
  if (r.drained) {
    const d = pk.drain(s.park, s.as.id, r.drained[0], r.drained[1]);
    s = wake(withPark(s, d.space), d.drained, exact("ok", BigInt(pk.parkResultCode("drained", ctx.b))));
  }
  return one(lab, done(s, t, exact("ok", r.value)));
}

/**
 * The moves of a `size`-byte access by thread t at `addr` (a store when `write` is given);
 * `onOk` makes the state after a successful one from the value read (0 for a store).
 * @clause VMX-6 ELFX-1 PROC-3 PROC-5
 */
function memAccess(ctx: Ctx, st: AgentState, t: number, lab: string, addr: bigint, size: number, write: bigint | undefined, onOk: (s: AgentState, v: bigint) => AgentState): Move[] {
  const b = ctx.b;
  const m = classify(ctx, addr, size);
  if (m.kind === "unknown") return one(lab, unknown(st, t, m.why));
  if (m.kind === "fault") return [{ kind: "end", label: lab, end: m.end(t, write === undefined ? "read" : "write"), st }];
  if (m.kind === "process") {
    // ELFX-1/PROC-5, PROC-3: read-only segments and the CapSet page fault on a store.
    const kind = m.region.kind;
    if (write !== undefined && (kind === "ro" || kind === "capset")) return [{ kind: "end", label: lab, end: { kind: "fault", fault: "#PF", addr, access: "write", thread: t }, st }];
    // A store into the agent's own data, stack or ring may change what the agent does next.
    if (write !== undefined) return one(lab, unknown(st, t, `a store to the agent's own memory at 0x${addr.toString(16)}`));
    const v = kind === "ro" ? imageValue(m.region, addr, size) : undefined;
    if (v === undefined) return one(lab, done(st, t, { k: "value", why: `${size} bytes of the agent's own memory at 0x${addr.toString(16)}` }));
    return one(lab, onOk(st, v));
  }
  if (write === undefined) {
    const r = vm.load(st.as, m.addr, size, b);
    if (!r.ok) return [{ kind: "end", label: lab, end: { kind: "fault", fault: r.fault, addr: BigInt(r.addr), access: r.access, thread: t }, st }];
    return one(lab, onOk(st, r.value));
  }
  const r = vm.store(st.as, m.addr, size, write, b);
  if (!r.ok) return [{ kind: "end", label: lab, end: { kind: "fault", fault: r.fault, addr: BigInt(r.addr), access: r.access, thread: t }, st }];
  return one(lab, onOk(withAs(st, r.value), 0n));
}

/** PARK and PARK_ASYNC of thread t (linearize's case). @clause PARK-3 PARKX-3 PARKX-5 GO-7 */
function parkMoves(ctx: Ctx, st: AgentState, t: number, op: ScriptOp, lab: string, a: bigint, bb: bigint, c: bigint): Move[] {
  const b = ctx.b;
  // PARK_ASYNC: the park takes effect here (ENTER-1: cap_enter drains the SQ) and the op
  // reports 0 whatever its outcome, nobody waiting for the completion. A blocked park
  // stays queued as the thread's async waiter until woken, drained, timed out or the
  // thread exits (PARKX-9).
  const async = op.kind === OP.PARK_ASYNC;
  const id = async ? asyncWaiterId(t) : t;
  const outcome = (r: pk.ParkOutcome): AgentState => {
    if (async) return done(r.kind === "blocked" ? withPark(st, r.space) : st, t, exact("ok", 0n));
    if (r.kind === "error") return done(st, t, exact("err", BigInt(b.transportErrors[r.error])));
    if (r.kind === "complete") return done(st, t, exact("ok", BigInt(pk.parkResultCode(r.result, b))));
    return blockedRun(withPark(st, r.space), t, { kind: "park", deadline: r.waiter.deadline });
  };
  const w = imageWord(ctx, st, a);
  if (w.kind === "window") return one(lab, outcome(pk.park(st.park, st.as, id, a, bb, c, st.now, b)));
  if (w.kind === "unknown") return one(lab, unknown(st, t, w.why));
  if (w.kind === "error") return one(lab, outcome({ kind: "error", error: w.error }));
  // PARK-3 on a word of the agent's own data: its value is not tracked, so both the
  // mismatch and the match (block, or timedOut for timeout 0) are allowed.
  if (w.word === undefined) return packedMap([outcome({ kind: "complete", result: "mismatch" }), outcome(pk.parkOnKey(st.park, id, w.key, bb & 0xffff_ffffn, bb, c, st.now, b))], (x): Move => ({ kind: "state", label: lab, st: x }));
  return one(lab, outcome(pk.parkOnKey(st.park, id, w.key, w.word, bb, c, st.now, b)));
}

/** UNPARK of thread t (linearize's case). @clause PARKX-2 GO-8 */
function unparkMoves(ctx: Ctx, st: AgentState, t: number, lab: string, a: bigint, bb: bigint): Move[] {
  const b = ctx.b;
  const w = imageWord(ctx, st, a);
  if (w.kind === "unknown") return one(lab, unknown(st, t, w.why));
  const r = w.kind === "window" ? pk.unpark(st.park, st.as, a, bb, b) : w.kind === "error" ? ({ kind: "error", error: w.error } as const) : pk.unparkKey(st.park, w.key, bb);
  if (r.kind === "error") return one(lab, done(st, t, exact("err", BigInt(b.transportErrors[r.error]))));
  // PARKX-2: one move per allowed set of woken waiters.
  return packedMap(r.choices, (ch): Move => ({
    kind: "state",
    label: `${lab} wakes {${ch.woken.join(",")}}`,
    st: done(wake(withPark(st, ch.space), ch.woken, exact("ok", BigInt(pk.parkResultCode("woken", b)))), t, exact("ok", BigInt(ch.woken.length))),
  }));
}

/** TLS_READ, TLS_WRITE and TLS_ADDR of thread t (linearize's case). @clause FSB-1 FSB-4 TLSV2-1 TLSV2-6 */
function tlsMoves(ctx: Ctx, st: AgentState, t: number, op: ScriptOp, lab: string, a: bigint, bb: bigint): Move[] {
  const i = a < AGENT_TLS_VARS ? Number(a) : undefined;
  if (i === undefined) return [badScript(st, lab, "tls index")];
  const v = fsView(st, t);
  const off = st.learned[`tpoff:${i}`];
  if (v.original) {
    if (op.kind === OP.TLS_READ) return one(lab, done(st, t, exact("ok", st.runs[t]!.tls[i]!)));
    if (op.kind === OP.TLS_WRITE) {
      const tls = st.runs[t]!.tls.slice();
      tls[i] = bb & U64;
      return one(lab, done(setRun(st, t, { tls }), t, exact("ok", 0n)));
    }
    // TLSV2-1: %fs:0 is the TP; TLSV2-6: the address is aligned for the variable.
    const align = agentTlsAlign(i);
    if (v.tp !== undefined && off !== undefined) return one(lab, done(st, t, exact("ok", (v.tp + off) & U64)));
    if (v.tp !== undefined) return one(lab, done(st, t, { k: "learn", key: `tpoff:${i}`, offset: v.tp, align, why: `TLS var ${i} address` }));
    if (off !== undefined) return one(lab, done(st, t, { k: "learn", key: `fs0:${t}`, offset: off, align, why: `TLS var ${i} address` }));
    return one(lab, done(st, t, { k: "learn", key: `tlsaddr:${t}:${i}`, offset: 0n, align, why: `TLS var ${i} address` }));
  }
  // FS points elsewhere (SET_FS): the accesses go to memory at FS base + tpoff.
  if (off === undefined) return one(lab, unknown(st, t, `TLS offset of var ${i} unknown after SET_FS`));
  if (op.kind === OP.TLS_READ) return memAccess(ctx, st, t, lab, (v.base + off) & U64, 8, undefined, (s, x) => done(s, t, exact("ok", x)));
  if (op.kind === OP.TLS_WRITE) return memAccess(ctx, st, t, lab, (v.base + off) & U64, 8, bb & U64, (s) => done(s, t, exact("ok", 0n)));
  return memAccess(ctx, st, t, lab, v.base, 8, undefined, (s, x) => done(s, t, exact("ok", (x + off) & U64)));
}

/**
 * Linearize the current op of idle thread `t`: every allowed effect.
 * @clause PARK-3 PARKX-3 PARKX-5 PARKX-6 GO-7 GO-8 VMX-6 FSB-1 FSB-3 FSB-4 THRX-2 TIMERX-1 SYS-3
 */
export function linearize(ctx: Ctx, st: AgentState, t: number): Move[] {
  const b = ctx.b;
  const ops = ctx.script.threads[t]!;
  const run = st.runs[t]!;
  // End of the thread's ops: thread 0 calls exit(0) (SYS-3), others ThreadControl.exit(0).
  if (run.pc >= ops.length) {
    if (t === 0) return [{ kind: "end", label: `t${t}#${run.pc} exit(0)`, end: { kind: "exit", code: 0 }, st }];
    return [threadExit(ctx, st, t, 0n, `t${t}#${run.pc} thread exit(0)`)];
  }
  const op: ScriptOp = ops[run.pc]!;
  const lab = opLabel(ctx.script, t, run.pc);
  const a = operandA(op, st.regs);
  const bb = op.b ?? 0n;
  const c = op.c ?? 0n;
  switch (op.kind) {
    case OP.MAP:
      return vmMoves(ctx, st, t, lab, vm.map(st.as, a, bb, c, b, chosenAddress(ctx, t, run.pc)));
    case OP.UNMAP:
      return vmMoves(ctx, st, t, lab, vm.unmap(st.as, a, bb, b));
    case OP.PROTECT:
      return vmMoves(ctx, st, t, lab, vm.protect(st.as, a, bb, c, b));
    case OP.RESERVE:
      return vmMoves(ctx, st, t, lab, vm.reserve(st.as, a, bb, b, chosenAddress(ctx, t, run.pc)));
    case OP.COMMIT:
      return vmMoves(ctx, st, t, lab, vm.commit(st.as, a, bb, c, b));
    case OP.DECOMMIT:
      return vmMoves(ctx, st, t, lab, vm.decommit(st.as, a, bb, b));
    case OP.LOAD:
    case OP.STORE: {
      // The agent refuses such a script before its first op (see scriptProblem).
      if (bb < 1n || bb > 8n) return [badScript(st, lab, `access size ${bb}`)];
      const size = Number(bb);
      const mask = (1n << BigInt(8 * size)) - 1n;
      return op.kind === OP.LOAD ? memAccess(ctx, st, t, lab, a, size, undefined, (s, v) => done(s, t, exact("ok", v))) : memAccess(ctx, st, t, lab, a, size, c & mask, (s) => done(s, t, exact("ok", 0n)));
    }
    case OP.PARK:
    case OP.PARK_ASYNC:
      return parkMoves(ctx, st, t, op, lab, a, bb, c);
    case OP.UNPARK:
      return unparkMoves(ctx, st, t, lab, a, bb);
    case OP.SPAWN: {
      const target = Number(a);
      if (a >= ctx.script.threads.length || a >= AGENT_MAX_THREADS || target === 0 || st.runs[target]!.phase !== "unstarted") return [badScript(st, lab, "spawn")];
      // FSB-2: the new thread starts with the FS base the agent passed (its own TP, learned).
      const s = setRun(copyState(st, st.as, st.park, th.spawnThread(st.threads, target, null), st.now, [...st.created, target], st.anyEnd), target, { phase: "idle" });
      return one(lab, done(s, t, exact("ok", 0n)));
    }
    case OP.JOIN: {
      const target = Number(a);
      if (a >= ctx.script.threads.length || a >= AGENT_MAX_THREADS || target === 0 || st.runs[target]!.phase === "unstarted") return [badScript(st, lab, "join")];
      // CAP-4, CAP-2: the handle's id went stale at its RELEASE_HANDLE.
      if (st.runs[target]!.handleReleased) return one(lab, done(st, t, staleCap(ctx)));
      if (target === t || st.runs[target]!.joined) return one(lab, unknown(st, t, `JOIN of thread ${a} (itself, or joined before)`));
      const s = setRun(st, target, { joined: true });
      const j = th.joinThread(s.threads, target);
      if (j.done) return one(lab, done(s, t, exact("ok", j.value)));
      return one(lab, blockedRun(s, t, { kind: "join", target, batch: undefined }));
    }
    case OP.SET_FS: {
      const r = th.setFsBase(st.threads, t, a);
      if (!r.ok) return one(lab, done(st, t, excOf(ctx, r.exc)));
      return one(lab, done(withThreads(st, r.tt), t, exact("ok", 0n)));
    }
    case OP.GET_FS: {
      const v = fsView(st, t);
      if (!v.original) return one(lab, done(st, t, exact("ok", v.base)));
      if (v.tp !== undefined) return one(lab, done(st, t, exact("ok", v.tp)));
      return one(lab, done(st, t, { k: "learn", key: `fs0:${t}`, offset: 0n, align: tpAlign(ctx), why: `thread ${t}'s TP` }));
    }
    case OP.TLS_READ:
    case OP.TLS_WRITE:
    case OP.TLS_ADDR:
      return tlsMoves(ctx, st, t, op, lab, a, bb);
    case OP.NOW:
      // TIMERX-1: monotonic virtual nanoseconds.
      return one(lab, done(st, t, ctx.time === "eager" ? exact("ok", st.now) : { k: "now", min: st.now }));
    case OP.SLEEP:
      // TIMERX-1: completes when now >= start + ns; 0 does not block.
      if (a === 0n) return one(lab, done(st, t, exact("ok", 0n)));
      return one(lab, blockedRun(st, t, { kind: "sleep", deadline: deadlineAfter(st.now, a) }));
    case OP.YIELD:
    case OP.SPIN:
      // Steering ops: a switch point or a pure-CPU delay; no state change, record ok 0.
      return one(lab, done(st, t, exact("ok", 0n)));
    case OP.EXIT:
      // SYS-3: exit(a) ends the process; no record.
      return [{ kind: "end", label: lab, end: { kind: "exit", code: Number(a & 0xffff_ffffn) }, st }];
    case OP.THREAD_EXIT:
      return [threadExit(ctx, st, t, a, lab)];
    case OP.RELEASE_HANDLE:
    case OP.RING_BATCH:
      return ringOp(ctx, st, t, op, a, lab);
    default:
      return one(lab, unknown(st, t, `op kind ${op.kind}`));
  }
}

/** The transport error of a call through a released (stale) cap id (CAP-1, CAP-2, CAP-4). */
function staleCap(ctx: Ctx): Pending {
  return exact("err", BigInt(ctx.b.transportErrors.invalidCap));
}

/**
 * The ring and capability ops (spec/agent-protocol.ts, 24..31).
 * @clause CAP-2 CAP-4 RINGX-7 ENTER-2 ENTERX-1 RINGX-2 RINGX-8 RING-7
 * RELEASE_HANDLE: the first release completes with 0 and makes the id stale (CAP-4); a later
 * release or call through it fails with invalidCap even when a new cap took the slot (CAP-2,
 * RINGX-7). RING_BATCH: its NOPs complete with 0 (RINGX-8) carrying their own user_data
 * (RING-7, so the agent counts no anomaly); the reported cap_enter(0, 0) returns the CQEs
 * available (ENTER-2, ENTERX-1): the NOPs' and a JOIN that completed at once, at most a whole
 * CQ (RINGX-2: the kernel stops consuming while the CQ is full); a JOIN still waiting may
 * complete before that cap_enter returns (another thread may exit meanwhile), so then both
 * counts are allowed. A JOIN that completes while the CQ is full is held, not lost (RINGX-2):
 * the batch record still comes.
 */
function ringOp(ctx: Ctx, st: AgentState, t: number, op: ScriptOp, a: bigint, lab: string): Move[] {
  const one = (s: AgentState): Move[] => [{ kind: "state", label: lab, st: s }];
  const b = ctx.b;
  const spawnedThread = (x: bigint) => x > 0n && x < BigInt(ctx.script.threads.length) && x < BigInt(AGENT_MAX_THREADS) && st.runs[Number(x)]!.phase !== "unstarted";
  if (op.kind === OP.RELEASE_HANDLE) {
    if (!spawnedThread(a)) return [badScript(st, lab, "release")];
    const target = Number(a);
    if (st.runs[target]!.handleReleased) return one(done(st, t, staleCap(ctx)));
    return one(done(setRun(st, target, { handleReleased: true }), t, exact("ok", 0n)));
  }
  // A PARK_ASYNC completion of this thread may or may not be among the CQEs cap_enter counts.
  if (ctx.script.threads[t]!.slice(0, st.runs[t]!.pc).some((o) => o.kind === OP.PARK_ASYNC)) return one(unknown(st, t, "RING_BATCH after PARK_ASYNC in the same thread"));
  const lead = a !== 0n ? 1n : 0n;
  const nops = op.b ?? 0n;
  const total = lead + nops;
  if (total >= BigInt(b.ring.sqEntries + b.ring.cqEntries)) return [badScript(st, lab, "batch size")];
  if (lead && !spawnedThread(a)) return [badScript(st, lab, "batch join")];
  const cq = BigInt(b.ring.cqEntries);
  const available = (n: bigint) => (n < cq ? n : cq);
  if (!lead) return one(done(st, t, exact("ok", available(nops))));
  const target = Number(a);
  if (st.runs[target]!.handleReleased) return one(done(st, t, staleCap(ctx)));
  if (target === t || st.runs[target]!.joined) return one(unknown(st, t, `RING_BATCH JOIN of thread ${a} (itself, or joined before)`));
  const s = setRun(st, target, { joined: true });
  const j = th.joinThread(s.threads, target);
  if (j.done) return one(done(s, t, exact("ok", available(total))));
  const values = [...new Set([available(nops), available(total)])];
  return one(blockedRun(s, t, { kind: "join", target, batch: values }));
}

/**
 * Timeouts that may fire now: blocked PARK/SLEEP whose deadline may be reached.
 * @clause PARKX-4 TIMERX-1
 * lazy: any finite deadline (the clock jumps to it if it has not reached it yet);
 * eager: deadlines already reached, or, when no thread can run, the earliest deadline.
 */
export function timeouts(ctx: Ctx, st: AgentState, canWait?: (u: number) => boolean): Move[] {
  // One pass for what the rule reads (is any wait timed, the earliest deadline, can any thread
  // run), allocating nothing: most states have no timed wait.
  let minD: bigint | undefined;
  let runnable = false;
  for (const r of st.runs) {
    if (r.phase === "idle" || r.phase === "pending") runnable = true;
    else if (timedBlock(r)) {
      const d = (r.block as { deadline: bigint }).deadline;
      if (minD === undefined || d < minD) minD = d;
    }
  }
  for (const w of st.park.waiters) if (timedAsync(w) && (minD === undefined || w.deadline! < minD)) minD = w.deadline!;
  if (minD === undefined) return [];
  const out: Move[] = [];
  // An async waiter's timeout completes into a CQ nobody reads: it only leaves the queue.
  for (const w of st.park.waiters) {
    if (!timedAsync(w) || !mayTimeOut(ctx, st, w.deadline!, runnable, minD)) continue;
    const now = advance(st.now, w.deadline!);
    out.push({ kind: "state", label: `async park of t${-1 - w.id} times out at ${now}`, st: withClock(st, now, { waiters: st.park.waiters.filter((x) => x !== w) }) });
  }
  for (let i = 0; i < st.runs.length; i++) {
    const run = st.runs[i]!;
    if (!timedBlock(run)) continue;
    const d = (run.block as { deadline: bigint }).deadline;
    if (!mayTimeOut(ctx, st, d, runnable, minD) || canWait?.(i)) continue;
    const now = advance(st.now, d);
    const s = withClock(st, now, pk.removeWaiter(st.park, i));
    const p = run.block!.kind === "park" ? exact("ok", BigInt(pk.parkResultCode("timedOut", ctx.b))) : exact("ok", 0n);
    out.push({ kind: "state", label: `t${i}#${run.pc} times out at ${now}`, st: wake(s, [i], p) });
  }
  return out;
}

/**
 * Whether a wait with deadline `d` may time out now (`timeouts`' rule; `minD`: the earliest
 * deadline; `runnable`: some thread can run). A function, not a closure made per state.
 */
function mayTimeOut(ctx: Ctx, st: AgentState, d: bigint, runnable: boolean, minD: bigint): boolean {
  return ctx.time === "lazy" || isDue(d, st.now) || (!runnable && d === minD);
}

function timedBlock(r: ThreadRun): boolean {
  return r.phase === "blocked" && (r.block?.kind === "park" || r.block?.kind === "sleep") && r.block.deadline !== null;
}

function timedAsync(w: pk.Waiter): boolean {
  return isAsyncWaiter(w.id) && w.deadline !== null;
}

/**
 * Every move from `st` other than consuming a record; `canWait(u)`: leave out blocked thread
 * u's timeout for now (a search reduction, see "Search reductions").
 */
export function successors(ctx: Ctx, st: AgentState, canWait?: (u: number) => boolean): Move[] {
  // The agent validates its whole script before the first op.
  const refused = scriptProblem(ctx.script);
  if (refused) return [badScript(st, "agent start", refused)];
  const out: Move[] = [];
  for (let t = 0; t < st.runs.length; t++) if (st.runs[t]!.phase === "idle") for (const m of linearize(ctx, st, t)) out.push(m);
  for (const m of timeouts(ctx, st, canWait)) out.push(m);
  return out;
}

/** Human-readable form of the record a pending thread will print. */
export function describePending(t: number, pc: number, p: Pending): string {
  switch (p.k) {
    case "exact":
      return `@1 ${t} ${pc} ${p.status} ${p.status === "ok" ? p.value.toString(16) : p.value.toString(10)}`;
    case "learn":
      return `@1 ${t} ${pc} ok <${p.why}${p.align > 1n ? `, a multiple of ${p.align}` : ""}>`;
    case "now":
      return `@1 ${t} ${pc} ok <any value >= 0x${p.min.toString(16)}>`;
    case "any":
      return `@1 ${t} ${pc} <anything: ${p.why}>`;
    case "value":
      return `@1 ${t} ${pc} ok <any value: ${p.why}>`;
    case "reject":
      return `@1 ${t} ${pc} <no record: ${p.why}>`;
    case "oneOf":
      return `@1 ${t} ${pc} ok <${p.values.map((v) => v.toString(16)).join(" or ")}: ${p.why}>`;
  }
}

/**
 * Match observation `o` against the pending result of its thread; the state after, or why not
 * (`explain` false: a refusal without its description, for a search that only asks whether).
 * @clause TIMERX-1 TLSV2-6
 */
export function consume(ctx: Ctx, st: AgentState, o: Observation, explain = true): { st: AgentState } | { why: string } {
  const run = st.runs[o.thread];
  if (!run) return { why: `no script thread ${o.thread}` };
  if (run.phase !== "pending" || run.pending === undefined) return { why: `thread ${o.thread} has no completed op to report` };
  if (o.op !== run.pc) return { why: `thread ${o.thread} is at op ${run.pc}, record names op ${o.op}` };
  const p = run.pending;
  let learned = st.learned;
  let now = st.now;
  switch (p.k) {
    case "exact":
      if (o.status !== p.status || (o.value & U64) !== (p.value & U64)) return refused(explain, () => `expected ${describePending(o.thread, run.pc, p)}`);
      break;
    case "learn": {
      if (o.status !== "ok" || o.value % p.align !== 0n) return refused(explain, () => `expected ${describePending(o.thread, run.pc, p)}`);
      const v = (o.value - p.offset) & U64;
      const known = learned[p.key];
      if (known !== undefined && known !== v) return refused(explain, () => `${p.why}: 0x${o.value.toString(16)} contradicts an earlier observation`);
      const problem = known === undefined ? learnProblem(ctx, st, p.key, v) : undefined;
      if (problem) return { why: problem };
      learned = { ...learned, [p.key]: v };
      break;
    }
    case "now":
      if (o.status !== "ok" || o.value < p.min) return refused(explain, () => `expected ${describePending(o.thread, run.pc, p)}`);
      now = advance(now, o.value);
      break;
    case "any":
      break;
    case "value":
      if (o.status !== "ok") return refused(explain, () => `expected ${describePending(o.thread, run.pc, p)}`);
      break;
    case "reject":
      return { why: p.why };
    case "oneOf":
      if (o.status !== "ok" || !p.values.includes(o.value & U64)) return refused(explain, () => `expected ${describePending(o.thread, run.pc, p)}`);
      break;
  }
  const op = ctx.script.threads[o.thread]![run.pc]!;
  let regs = st.regs;
  if (o.status === "ok" && op.dst) {
    regs = regs.slice();
    (regs as bigint[])[op.dst] = o.value & U64;
  }
  const runs = st.runs.slice();
  runs[o.thread] = { phase: "idle", pc: run.pc + 1, pending: undefined, block: run.block, tls: run.tls, joined: run.joined, handleReleased: run.handleReleased };
  return { st: { as: st.as, park: st.park, threads: st.threads, runs, regs, now, learned, created: st.created, anyEnd: st.anyEnd } };
}

/** A refusal of `consume`; its description only when asked for (a search refuses far more records than it reports). */
function refused(explain: boolean, why: () => string): { why: string } {
  return explain ? { why: why() } : NOT_EXPLAINED;
}

const NOT_EXPLAINED: { why: string } = { why: "" };

/** A canonical string of the state, for memoisation (Porcupine's `equal`; state-key.ts). */
export function stateKey(st: AgentState, b: Binding = DEFAULT_BINDING): string {
  return fullStateKey(st, b);
}

export function equal(x: AgentState, y: AgentState, b: Binding = DEFAULT_BINDING): boolean {
  return stateKey(x, b) === stateKey(y, b);
}

/**
 * Whether the process may be observed as hung in `st`: every started, live thread is blocked
 * and none can ever time out.
 */
export function isHung(st: AgentState): boolean {
  const live = st.runs.filter((r) => r.phase !== "unstarted" && r.phase !== "done");
  return live.length > 0 && live.every((r) => r.phase === "blocked" && (r.block!.kind === "join" || (r.block!.kind === "park" && r.block!.deadline === null)));
}

/** Porcupine's `partition`: the agent's threads share registers and memory, so one partition. */
export function partition(script: Script): number[][] {
  return [script.threads.map((_, i) => i)];
}
