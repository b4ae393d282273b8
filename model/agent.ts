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
 * @clause PARK-3 PARKX-1 PARKX-2 PARKX-3 PARKX-4 PARKX-5 PARKX-6 PARKX-8 PARKX-9 TIMERX-1 THRX-2 THRX-3 FSB-1 FSB-3 FSB-4 TLSV2-1 TLSV2-6 VMX-6 PROCX-2 SYS-3 SYS-4
 */
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";
import { AGENT_TLS_INITIAL, AGENT_TLS_VARS, OP, opName, SCRIPT_REGISTERS, type Observation, type ObservationStatus, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import * as vm from "./address-space.js";
import * as pk from "./park.js";
import { advance, deadlineAfter, isDue } from "./timer.js";
import * as th from "./threads.js";

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
}

export interface CheckOptions {
  readonly time?: "lazy" | "eager";
  /** Largest number of search states before the checker gives up (undecided). */
  readonly maxStates?: number;
  /** When given, the checker adds the number of search states it visited (for the bench). */
  readonly stats?: { states: number };
}

/** The result an op will report, decided at its linearization point (or when it is woken). */
export type Pending =
  | { readonly k: "exact"; readonly status: ObservationStatus; readonly value: bigint }
  /** ok v with v % align == 0; binds learned[key] = v - offset (or must equal it). */
  | { readonly k: "learn"; readonly key: string; readonly offset: bigint; readonly align: bigint; readonly why: string }
  /** NOW in lazy time: ok v with v >= min; the clock becomes v. */
  | { readonly k: "now"; readonly min: bigint }
  /** The model does not know: any record. */
  | { readonly k: "any"; readonly why: string };

export type Block =
  | { readonly kind: "park"; readonly deadline: bigint | null }
  | { readonly kind: "sleep"; readonly deadline: bigint }
  | { readonly kind: "join"; readonly target: number };

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
}

export interface AgentState {
  readonly as: vm.AddressSpace;
  readonly park: pk.ParkSpace;
  readonly threads: th.ThreadTable;
  readonly runs: readonly ThreadRun[];
  readonly regs: readonly bigint[];
  readonly now: bigint;
  readonly learned: Readonly<Record<string, bigint>>;
  /** Set once some op's outcome was unknown: any end state is then allowed. */
  readonly anyEnd?: boolean;
}

export interface Ctx {
  readonly script: Script;
  readonly b: Binding;
  readonly env: AgentEnv;
  readonly time: "lazy" | "eager";
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
    runs: ctx.script.threads.map((_, t) => ({ phase: t === 0 ? "idle" : "unstarted", pc: 0, tls: AGENT_TLS_INITIAL })),
    regs: new Array<bigint>(SCRIPT_REGISTERS).fill(0n),
    now: 0n,
    learned,
  };
}

function setRun(st: AgentState, t: number, r: Partial<ThreadRun>): AgentState {
  const runs = st.runs.slice();
  runs[t] = { ...st.runs[t]!, ...r };
  return { ...st, runs };
}

function exact(status: ObservationStatus, value: bigint): Pending {
  return { k: "exact", status, value };
}

/**
 * The ExceptionType number of a schema enumerant (camelCase, e.g. invalidArgument). The
 * binding keys exceptionTypes by the generated names (INVALID_ARGUMENT); accept either.
 */
export function exceptionCode(b: Binding, name: string): number {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  const v = b.exceptionTypes[name] ?? b.exceptionTypes[snake];
  if (v === undefined) throw new RangeError(`binding has no exception type ${name}`);
  return v;
}

function excOf(ctx: Ctx, name: string): Pending {
  return exact("exc", BigInt(exceptionCode(ctx.b, name)));
}

/** Alignment the compiler gives agent TLS variable i (u64s; var 3 is 64-aligned), TLSV2-6. */
export function agentTlsAlign(i: number): bigint {
  return i === 3 ? 64n : 8n;
}

type MemClass = { kind: "model"; addr: number } | { kind: "unknown" } | { kind: "fault"; end: (t: number, access: "read" | "write") => EndState };

/**
 * Which memory an access of `size` bytes at `addr` touches.
 * @clause VM-5 VMX-6
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
  return { kind: "unknown" };
}

function unknown(st: AgentState, t: number, why: string): AgentState {
  return setRun({ ...st, anyEnd: true }, t, { phase: "pending", pending: { k: "any", why } });
}

function done(st: AgentState, t: number, p: Pending): AgentState {
  return setRun(st, t, { phase: "pending", pending: p });
}

/** The thread's current FS base if it is its own TP ("original"), else the explicit base. */
function fsView(st: AgentState, t: number): { original: true; tp: bigint | undefined } | { original: false; base: bigint } {
  const fs = st.threads.get(t)!.fsBase;
  const tp = st.learned[`fs0:${t}`];
  if (fs === null || (tp !== undefined && fs === tp)) return { original: true, tp };
  return { original: false, base: fs };
}

/** Wake threads with results (drain, unpark, join, timeout): they become pending. */
function wake(st: AgentState, ids: readonly number[], p: Pending): AgentState {
  let s = st;
  for (const id of ids) s = setRun(s, id, { phase: "pending", pending: p, block: undefined });
  return s;
}

/**
 * Thread `t` ends (ThreadControl.exit(value) or the end of a non-zero thread's ops).
 * @clause SYS-4 THR-4 THRX-2 THRX-3
 */
function threadExit(ctx: Ctx, st: AgentState, t: number, value: bigint, label: string): Move {
  const r = th.exitThread(st.threads, t, value);
  let s: AgentState = setRun({ ...st, threads: r.tt }, t, { phase: "done" });
  // THRX-2: joiners complete with the exit value.
  const joiners = s.runs.flatMap((run, i) => (run.phase === "blocked" && run.block?.kind === "join" && run.block.target === t ? [i] : []));
  s = wake(s, joiners, exact("ok", value));
  // THRX-3: the last thread's exit ends the process with status 0.
  if (r.processEnds) return { kind: "end", label, end: { kind: "exit", code: 0 }, st: s };
  return { kind: "state", label, st: s };
}

/**
 * Linearize the current op of idle thread `t`: every allowed effect.
 * @clause PARK-3 PARKX-3 PARKX-5 PARKX-6 GO-7 GO-8 VMX-6 FSB-1 FSB-3 FSB-4 THRX-2 TIMERX-1 SYS-3
 */
export function linearize(ctx: Ctx, st: AgentState, t: number): Move[] {
  const b = ctx.b;
  const ops = ctx.script.threads[t]!;
  const run = st.runs[t]!;
  const label = `t${t}#${run.pc}`;
  // End of the thread's ops: thread 0 calls exit(0) (SYS-3), others ThreadControl.exit(0).
  if (run.pc >= ops.length) {
    if (t === 0) return [{ kind: "end", label: `${label} exit(0)`, end: { kind: "exit", code: 0 }, st }];
    return [threadExit(ctx, st, t, 0n, `${label} thread exit(0)`)];
  }
  const op: ScriptOp = ops[run.pc]!;
  const lab = `${label} ${opName(op.kind) ?? op.kind}`;
  const a = ((op.a ?? 0n) + (op.base ? st.regs[op.base]! : 0n)) & U64;
  const bb = op.b ?? 0n;
  const c = op.c ?? 0n;
  const one = (s: AgentState): Move[] => [{ kind: "state", label: lab, st: s }];
  const vmResult = (r: vm.VmResult): Move[] => {
    if (!r.ok) return one(done(st, t, excOf(ctx, r.exc)));
    let s: AgentState = { ...st, as: r.as };
    // PARKX-6: unmap and decommit drain waiters in the range before they return.
    if (r.drained) {
      const d = pk.drain(s.park, s.as.id, r.drained[0], r.drained[1]);
      s = wake({ ...s, park: d.space }, d.drained, exact("ok", BigInt(pk.parkResultCode("drained", b))));
    }
    return one(done(s, t, exact("ok", r.value)));
  };
  const memAccess = (addr: bigint, size: number, write: bigint | undefined, onOk: (s: AgentState, v: bigint) => AgentState): Move[] => {
    const m = classify(ctx, addr, size);
    if (m.kind === "unknown") return one(unknown(st, t, `address 0x${addr.toString(16)} is outside the VM window`));
    if (m.kind === "fault") return [{ kind: "end", label: lab, end: m.end(t, write === undefined ? "read" : "write"), st }];
    if (write === undefined) {
      const r = vm.load(st.as, m.addr, size, b);
      if (!r.ok) return [{ kind: "end", label: lab, end: { kind: "fault", fault: r.fault, addr: BigInt(r.addr), access: r.access, thread: t }, st }];
      return one(onOk(st, r.value));
    }
    const r = vm.store(st.as, m.addr, size, write, b);
    if (!r.ok) return [{ kind: "end", label: lab, end: { kind: "fault", fault: r.fault, addr: BigInt(r.addr), access: r.access, thread: t }, st }];
    return one(onOk({ ...st, as: r.value }, 0n));
  };
  const tlsIndex = (): number | undefined => (a < BigInt(AGENT_TLS_VARS) ? Number(a) : undefined);

  switch (op.kind) {
    case OP.MAP:
      return vmResult(vm.map(st.as, a, bb, c, b));
    case OP.UNMAP:
      return vmResult(vm.unmap(st.as, a, bb, b));
    case OP.PROTECT:
      return vmResult(vm.protect(st.as, a, bb, c, b));
    case OP.RESERVE:
      return vmResult(vm.reserve(st.as, a, bb, b));
    case OP.COMMIT:
      return vmResult(vm.commit(st.as, a, bb, c, b));
    case OP.DECOMMIT:
      return vmResult(vm.decommit(st.as, a, bb, b));
    case OP.LOAD:
    case OP.STORE: {
      if (bb < 1n || bb > 8n) return one(unknown(st, t, `access size ${bb}`));
      const size = Number(bb);
      const mask = (1n << BigInt(8 * size)) - 1n;
      return op.kind === OP.LOAD ? memAccess(a, size, undefined, (s, v) => done(s, t, exact("ok", v))) : memAccess(a, size, c & mask, (s) => done(s, t, exact("ok", 0n)));
    }
    case OP.PARK: {
      const m = classify(ctx, a, b.park.wordSize);
      if (m.kind === "unknown" && a < BigInt(b.layout.userAddressLimit)) return one(unknown(st, t, "PARK outside the VM window"));
      const r = pk.park(st.park, st.as, t, a, bb, c, st.now, b);
      if (r.kind === "error") return one(done(st, t, exact("err", BigInt(b.transportErrors[r.error]))));
      if (r.kind === "complete") return one(done(st, t, exact("ok", BigInt(pk.parkResultCode(r.result, b)))));
      return one(setRun({ ...st, park: r.space }, t, { phase: "blocked", block: { kind: "park", deadline: r.waiter.deadline } }));
    }
    case OP.UNPARK: {
      const m = classify(ctx, a, b.park.wordSize);
      if (m.kind === "unknown" && a < BigInt(b.layout.userAddressLimit)) return one(unknown(st, t, "UNPARK outside the VM window"));
      const r = pk.unpark(st.park, st.as, a, bb, b);
      if (r.kind === "error") return one(done(st, t, exact("err", BigInt(b.transportErrors[r.error]))));
      // PARKX-2: one move per allowed set of woken waiters.
      return r.choices.map((ch) => ({
        kind: "state" as const,
        label: `${lab} wakes {${ch.woken.join(",")}}`,
        st: done(wake({ ...st, park: ch.space }, ch.woken, exact("ok", BigInt(pk.parkResultCode("woken", b)))), t, exact("ok", BigInt(ch.woken.length))),
      }));
    }
    case OP.SPAWN: {
      const target = Number(a);
      if (a >= BigInt(ctx.script.threads.length) || target === 0 || st.runs[target]!.phase !== "unstarted") return one(unknown(st, t, `SPAWN of thread ${a}`));
      // FSB-2: the new thread starts with the FS base the agent passed (its own TP, learned).
      const s = setRun({ ...st, threads: th.spawnThread(st.threads, target, null) }, target, { phase: "idle" });
      return one(done(s, t, exact("ok", 0n)));
    }
    case OP.JOIN: {
      const target = Number(a);
      if (a >= BigInt(ctx.script.threads.length) || target === 0 || target === t || st.runs[target]!.phase === "unstarted" || st.runs[target]!.joined)
        return one(unknown(st, t, `JOIN of thread ${a}`));
      const s = setRun(st, target, { joined: true });
      const j = th.joinThread(s.threads, target);
      if (j.done) return one(done(s, t, exact("ok", j.value)));
      return one(setRun(s, t, { phase: "blocked", block: { kind: "join", target } }));
    }
    case OP.SET_FS: {
      const r = th.setFsBase(st.threads, t, a);
      if (!r.ok) return one(done(st, t, excOf(ctx, r.exc)));
      return one(done({ ...st, threads: r.tt }, t, exact("ok", 0n)));
    }
    case OP.GET_FS: {
      const v = fsView(st, t);
      if (!v.original) return one(done(st, t, exact("ok", v.base)));
      if (v.tp !== undefined) return one(done(st, t, exact("ok", v.tp)));
      return one(done(st, t, { k: "learn", key: `fs0:${t}`, offset: 0n, align: 1n, why: `thread ${t}'s TP` }));
    }
    case OP.TLS_READ:
    case OP.TLS_WRITE:
    case OP.TLS_ADDR: {
      const i = tlsIndex();
      if (i === undefined) return one(unknown(st, t, `TLS variable ${a}`));
      const v = fsView(st, t);
      const off = st.learned[`tpoff:${i}`];
      if (v.original) {
        if (op.kind === OP.TLS_READ) return one(done(st, t, exact("ok", st.runs[t]!.tls[i]!)));
        if (op.kind === OP.TLS_WRITE) {
          const tls = st.runs[t]!.tls.slice();
          tls[i] = bb & U64;
          return one(done(setRun(st, t, { tls }), t, exact("ok", 0n)));
        }
        // TLSV2-1: %fs:0 is the TP; TLSV2-6: the address is aligned for the variable.
        const align = agentTlsAlign(i);
        if (v.tp !== undefined && off !== undefined) return one(done(st, t, exact("ok", (v.tp + off) & U64)));
        if (v.tp !== undefined) return one(done(st, t, { k: "learn", key: `tpoff:${i}`, offset: v.tp, align, why: `TLS var ${i} address` }));
        if (off !== undefined) return one(done(st, t, { k: "learn", key: `fs0:${t}`, offset: off, align, why: `TLS var ${i} address` }));
        return one(done(st, t, { k: "learn", key: `tlsaddr:${t}:${i}`, offset: 0n, align, why: `TLS var ${i} address` }));
      }
      // FS points elsewhere (SET_FS): the accesses go to memory at FS base + tpoff.
      if (off === undefined) return one(unknown(st, t, `TLS offset of var ${i} unknown after SET_FS`));
      if (op.kind === OP.TLS_READ) return memAccess((v.base + off) & U64, 8, undefined, (s, x) => done(s, t, exact("ok", x)));
      if (op.kind === OP.TLS_WRITE) return memAccess((v.base + off) & U64, 8, bb & U64, (s) => done(s, t, exact("ok", 0n)));
      return memAccess(v.base, 8, undefined, (s, x) => done(s, t, exact("ok", (x + off) & U64)));
    }
    case OP.NOW:
      // TIMERX-1: monotonic virtual nanoseconds.
      return one(done(st, t, ctx.time === "eager" ? exact("ok", st.now) : { k: "now", min: st.now }));
    case OP.SLEEP:
      // TIMERX-1: completes when now >= start + ns; 0 does not block.
      if (a === 0n) return one(done(st, t, exact("ok", 0n)));
      return one(setRun(st, t, { phase: "blocked", block: { kind: "sleep", deadline: deadlineAfter(st.now, a) } }));
    case OP.YIELD:
      return one(done(st, t, exact("ok", 0n)));
    case OP.EXIT:
      // SYS-3: exit(a) ends the process; no record.
      return [{ kind: "end", label: lab, end: { kind: "exit", code: Number(a & 0xffff_ffffn) }, st }];
    case OP.THREAD_EXIT:
      return [threadExit(ctx, st, t, a, lab)];
    default:
      return one(unknown(st, t, `op kind ${op.kind}`));
  }
}

/**
 * Timeouts that may fire now: blocked PARK/SLEEP whose deadline may be reached.
 * @clause PARKX-4 TIMERX-1
 * lazy: any finite deadline (the clock jumps to it if it has not reached it yet);
 * eager: deadlines already reached, or, when no thread can run, the earliest deadline.
 */
export function timeouts(ctx: Ctx, st: AgentState): Move[] {
  const blocked = st.runs.flatMap((r, i) => (r.phase === "blocked" && (r.block?.kind === "park" || r.block?.kind === "sleep") && r.block.deadline !== null ? [{ i, d: r.block.deadline }] : []));
  if (blocked.length === 0) return [];
  const runnable = st.runs.some((r) => r.phase === "idle" || r.phase === "pending");
  const minD = blocked.reduce((m, x) => (x.d < m ? x.d : m), blocked[0]!.d);
  const out: Move[] = [];
  for (const { i, d } of blocked) {
    const allowed = ctx.time === "lazy" || isDue(d, st.now) || (!runnable && d === minD);
    if (!allowed) continue;
    const run = st.runs[i]!;
    const now = advance(st.now, d);
    const s = { ...st, now, park: pk.removeWaiter(st.park, i) };
    const p = run.block!.kind === "park" ? exact("ok", BigInt(pk.parkResultCode("timedOut", ctx.b))) : exact("ok", 0n);
    out.push({ kind: "state", label: `t${i}#${run.pc} times out at ${now}`, st: wake(s, [i], p) });
  }
  return out;
}

/** Every move from `st` other than consuming a record. */
export function successors(ctx: Ctx, st: AgentState): Move[] {
  const out: Move[] = [];
  st.runs.forEach((r, t) => {
    if (r.phase === "idle") out.push(...linearize(ctx, st, t));
  });
  out.push(...timeouts(ctx, st));
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
  }
}

/**
 * Match observation `o` against the pending result of its thread; the state after, or why not.
 * @clause TIMERX-1 TLSV2-6
 */
export function consume(ctx: Ctx, st: AgentState, o: Observation): { st: AgentState } | { why: string } {
  const run = st.runs[o.thread];
  if (!run) return { why: `no script thread ${o.thread}` };
  if (run.phase !== "pending" || run.pending === undefined) return { why: `thread ${o.thread} has no completed op to report` };
  if (o.op !== run.pc) return { why: `thread ${o.thread} is at op ${run.pc}, record names op ${o.op}` };
  const p = run.pending;
  let learned = st.learned;
  let now = st.now;
  switch (p.k) {
    case "exact":
      if (o.status !== p.status || (o.value & U64) !== (p.value & U64)) return { why: `expected ${describePending(o.thread, run.pc, p)}` };
      break;
    case "learn": {
      if (o.status !== "ok" || o.value % p.align !== 0n) return { why: `expected ${describePending(o.thread, run.pc, p)}` };
      const v = (o.value - p.offset) & U64;
      const known = learned[p.key];
      if (known !== undefined && known !== v) return { why: `${p.why}: 0x${o.value.toString(16)} contradicts an earlier observation` };
      learned = { ...learned, [p.key]: v };
      break;
    }
    case "now":
      if (o.status !== "ok" || o.value < p.min) return { why: `expected ${describePending(o.thread, run.pc, p)}` };
      now = advance(now, o.value);
      break;
    case "any":
      break;
  }
  const op = ctx.script.threads[o.thread]![run.pc]!;
  let regs = st.regs;
  if (o.status === "ok" && op.dst) {
    regs = regs.slice();
    (regs as bigint[])[op.dst] = o.value & U64;
  }
  return { st: setRun({ ...st, learned, now, regs }, o.thread, { phase: "idle", pc: run.pc + 1, pending: undefined }) };
}

/** A canonical string of the state, for memoisation (Porcupine's `equal`). */
export function stateKey(st: AgentState, b: Binding = DEFAULT_BINDING): string {
  const runs = st.runs.map((r) => {
    const p = r.pending ? JSON.stringify(r.pending, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)) : "";
    const blk = r.block ? JSON.stringify(r.block, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)) : "";
    return `${r.phase}${r.pc}${p}${blk}${r.joined ? "J" : ""}[${r.tls.map((x) => x.toString(16)).join(",")}]`;
  });
  const threads = [...st.threads].map(([i, x]) => `${i}${x.status[0]}${x.fsBase?.toString(16) ?? "-"}${x.exitValue?.toString(16) ?? ""}`);
  const learned = Object.keys(st.learned)
    .sort()
    .map((k) => `${k}=${st.learned[k]!.toString(16)}`);
  const waiters = st.park.waiters.map((w) => `${w.id}@${pk.keyString(w.key)}`).sort();
  return [vm.addressSpaceKey(st.as, b), runs.join("|"), threads.join(","), st.regs.map((r) => r.toString(16)).join(","), st.now.toString(), learned.join(","), waiters.join(","), st.anyEnd ? "A" : ""].join("#");
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
