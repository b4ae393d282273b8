/**
 * Search reductions: moves the checker's search may leave out without changing a verdict.
 * Why each is sound (which runs stay accepted, which assumptions of the execution model it
 * rests on) is written down in agent.ts ("Search reductions"); this module only decides.
 *
 * 1. A local move: the linearization of an idle thread's op that reads nothing another thread
 *    can change and writes nothing another thread can read. When one exists it is the only
 *    move the search takes from that state (a singleton persistent set).
 * 2. Late timeouts (lazy time): a sleep, or a park nobody else can wake or drain any more,
 *    times out only right before its own record.
 *
 * @clause TIMERX-1 PARKX-2 PARKX-4 PARKX-6 FSB-1 FSB-4 TLS-3 TLSV2-1
 */
import { OP, type Script } from "../spec/agent-protocol.js";
import { asyncWaiterId, fsView, linearize, operandA, type AgentState, type Ctx, type Move, type ThreadRun } from "./agent.js";

/** What each thread's remaining ops (ops[pc..]) may do, for every pc; computed once per script. */
interface ThreadFacts {
  /** Bit r set: some op in ops[pc..] writes register r. */
  readonly dsts: readonly number[];
  /** Some op in ops[pc..] may read or change the address space (memory, VM, park ops, TLS ops after a SET_FS). */
  readonly memory: readonly boolean[];
  /** Some op in ops[pc..] is a TLS_ADDR (which may learn a TLS offset every thread's TLS_ADDR reads). */
  readonly tlsAddr: readonly boolean[];
  /** Some op in ops[pc..] may wake or drain a park waiter (UNPARK, UNMAP, DECOMMIT). */
  readonly wakes: readonly boolean[];
  /** Some op in ops[pc..] starts, joins or releases a thread (SPAWN, JOIN, RELEASE_HANDLE, RING_BATCH). */
  readonly threadOps: readonly boolean[];
  /** Some op in ops[pc..] is a THREAD_EXIT. */
  readonly threadExit: readonly boolean[];
  /** Some op in ops[pc..] is a RING_BATCH. */
  readonly ringBatch: readonly boolean[];
}

const MEMORY_OPS: ReadonlySet<number> = new Set([OP.MAP, OP.UNMAP, OP.PROTECT, OP.RESERVE, OP.COMMIT, OP.DECOMMIT, OP.LOAD, OP.STORE, OP.PARK, OP.PARK_ASYNC, OP.UNPARK, OP.TLS_READ, OP.TLS_WRITE, OP.TLS_ADDR]);
const WAKE_OPS: ReadonlySet<number> = new Set([OP.UNPARK, OP.UNMAP, OP.DECOMMIT]);
const THREAD_OPS: ReadonlySet<number> = new Set([OP.SPAWN, OP.JOIN, OP.RELEASE_HANDLE, OP.RING_BATCH]);
/** Ops known to touch neither memory nor anything shared (steering, FS base, time, threads, ring). */
const NON_MEMORY_OPS: ReadonlySet<number> = new Set([OP.SPAWN, OP.JOIN, OP.SET_FS, OP.GET_FS, OP.NOW, OP.SLEEP, OP.YIELD, OP.SPIN, OP.EXIT, OP.THREAD_EXIT, OP.RELEASE_HANDLE, OP.RING_BATCH]);

const factsCache = new WeakMap<Script, readonly ThreadFacts[]>();

/** The last script asked about: one search asks for its facts at every state (a WeakMap lookup each time cost more than the reduction's test). */
let last: { script: Script; facts: readonly ThreadFacts[] } | undefined;

function scriptFacts(script: Script): readonly ThreadFacts[] {
  if (last?.script === script) return last.facts;
  let facts = factsCache.get(script);
  if (facts) {
    last = { script, facts };
    return facts;
  }
  facts = script.threads.map((ops) => {
    const n = ops.length;
    const dsts = new Array<number>(n + 1).fill(0);
    const memory = new Array<boolean>(n + 1).fill(false);
    const tlsAddr = new Array<boolean>(n + 1).fill(false);
    const wakes = new Array<boolean>(n + 1).fill(false);
    const threadOps = new Array<boolean>(n + 1).fill(false);
    const threadExit = new Array<boolean>(n + 1).fill(false);
    const ringBatch = new Array<boolean>(n + 1).fill(false);
    for (let pc = n - 1; pc >= 0; pc--) {
      const op = ops[pc]!;
      dsts[pc] = dsts[pc + 1]! | (op.dst ? 1 << op.dst : 0);
      // An op kind the agent does not know is judged "unknown": count it as touching everything.
      memory[pc] = memory[pc + 1]! || MEMORY_OPS.has(op.kind) || !NON_MEMORY_OPS.has(op.kind);
      tlsAddr[pc] = tlsAddr[pc + 1]! || op.kind === OP.TLS_ADDR;
      wakes[pc] = wakes[pc + 1]! || WAKE_OPS.has(op.kind);
      threadOps[pc] = threadOps[pc + 1]! || THREAD_OPS.has(op.kind);
      threadExit[pc] = threadExit[pc + 1]! || op.kind === OP.THREAD_EXIT;
      ringBatch[pc] = ringBatch[pc + 1]! || op.kind === OP.RING_BATCH;
    }
    return { dsts, memory, tlsAddr, wakes, threadOps, threadExit, ringBatch };
  });
  factsCache.set(script, facts);
  last = { script, facts };
  return facts;
}

/** The first op of thread run `r` not yet linearized (a pending or blocked op took effect already). */
function nextToTakeEffect(r: ThreadRun, opCount: number): number {
  switch (r.phase) {
    case "unstarted":
    case "idle":
      return r.pc;
    case "pending":
    case "blocked":
      return r.pc + 1;
    case "done":
      return opCount;
  }
}

/** What the threads other than `t` may still do. */
interface Others {
  /** Registers some other thread may still write (a record's dst, written when it is consumed). */
  readonly dsts: number;
  readonly memory: boolean;
  readonly tlsAddr: boolean;
  readonly threadOps: boolean;
}

function othersOf(ctx: Ctx, st: AgentState, t: number): Others {
  const facts = scriptFacts(ctx.script);
  let dsts = 0;
  let memory = false;
  let tlsAddr = false;
  let threadOps = false;
  for (let u = 0; u < st.runs.length; u++) {
    if (u === t) continue;
    const r = st.runs[u]!;
    const f = facts[u]!;
    const n = ctx.script.threads[u]!.length;
    // A pending or blocked op writes its dst when its record is consumed.
    if (r.phase !== "done") dsts |= f.dsts[Math.min(r.pc, n)]!;
    const from = Math.min(nextToTakeEffect(r, n), n);
    memory ||= f.memory[from]!;
    threadOps ||= f.threadOps[from]!;
    tlsAddr ||= f.tlsAddr[from]! || (r.phase === "pending" && r.pending?.k === "learn" && r.pending.key.startsWith("tpoff:"));
  }
  return { dsts, memory, tlsAddr, threadOps };
}

/**
 * The local move from `st`, when some idle thread's op is independent of every other move
 * (see agent.ts, "Search reductions", R1); the lowest such thread's.
 */
export function localMove(ctx: Ctx, st: AgentState): Move | undefined {
  for (let t = 0; t < st.runs.length; t++) {
    const r = st.runs[t]!;
    if (r.phase !== "idle") continue;
    const ops = ctx.script.threads[t]!;
    if (r.pc >= ops.length || ops[r.pc]!.kind === OP.THREAD_EXIT) {
      const m = exitIsLocal(ctx, st, t) ? linearize(ctx, st, t) : [];
      if (m.length === 1 && m[0]!.kind === "state") return m[0];
      continue;
    }
    const op = ops[r.pc]!;
    const a = operandA(op, st.regs);
    let needsQuietMemory = false;
    let readsTpoff = false;
    let needsQuietThreads = false;
    let blocksOnlyWhenLazy = false;
    switch (op.kind) {
      case OP.YIELD:
      case OP.SPIN:
      case OP.GET_FS:
      case OP.SET_FS:
        break;
      case OP.SLEEP:
        // Eager time: only a sleep of 0, which does not block and so reads no clock.
        if (ctx.time !== "lazy" && a !== 0n) continue;
        break;
      case OP.SPAWN:
        needsQuietThreads = true;
        break;
      case OP.JOIN:
        needsQuietThreads = true;
        blocksOnlyWhenLazy = true;
        break;
      case OP.TLS_READ:
      case OP.TLS_WRITE:
      case OP.TLS_ADDR:
        if (!fsView(st, t).original) needsQuietMemory = true;
        else readsTpoff = op.kind === OP.TLS_ADDR;
        break;
      case OP.LOAD:
      case OP.STORE:
        needsQuietMemory = true;
        break;
      default:
        continue;
    }
    const others = othersOf(ctx, st, t);
    if (op.base && (others.dsts & (1 << op.base)) !== 0) continue;
    if (needsQuietMemory && others.memory) continue;
    if (needsQuietThreads && others.threadOps) continue;
    if (readsTpoff && others.tlsAddr && st.learned[`tpoff:${a}`] === undefined) continue;
    const moves = linearize(ctx, st, t);
    if (moves.length !== 1) continue;
    const m = moves[0]!;
    // Not an end (a fault), and no op whose outcome the model cannot know.
    if (m.kind !== "state" || m.st.anyEnd !== st.anyEnd) continue;
    // Eager time: a thread that blocks may let the clock jump (timeouts read who can run).
    if (blocksOnlyWhenLazy && ctx.time !== "lazy" && m.st.runs[t]!.phase === "blocked") continue;
    return m;
  }
  return undefined;
}

/**
 * R1 for the exit of spawned thread `t` (THREAD_EXIT or the end of its ops), lazy time only
 * (see agent.ts, "Search reductions"). Its exit is independent of every other move when no
 * thread exit can end the process (thread 0 lives and ends it with exit, not ThreadControl.exit,
 * THRX-3), it leaves no park in flight (PARKX-9: an UNPARK could tell when it went), and no
 * other thread has a RING_BATCH left (its JOIN reports a different count before and after the
 * exit). A JOIN of t gets the same record either way (THRX-2); its register operand is checked
 * like any op's.
 */
function exitIsLocal(ctx: Ctx, st: AgentState, t: number): boolean {
  if (ctx.time !== "lazy" || t === 0) return false;
  const facts = scriptFacts(ctx.script);
  const ops = ctx.script.threads[t]!;
  const r = st.runs[t]!;
  const op = r.pc < ops.length ? ops[r.pc] : undefined;
  for (let u = 0; u < st.runs.length; u++) {
    if (u === t) continue;
    const n = ctx.script.threads[u]!.length;
    const ru = st.runs[u]!;
    const from = Math.min(nextToTakeEffect(ru, n), n);
    if (u === 0 && (ru.phase === "done" || facts[0]!.threadExit[from])) return false;
    if (facts[u]!.ringBatch[from]) return false;
    if (op?.base && ru.phase !== "done" && (facts[u]!.dsts[Math.min(ru.pc, n)]! & (1 << op.base)) !== 0) return false;
  }
  return !st.park.waiters.some((w) => w.id === asyncWaiterId(t));
}

/**
 * Whether the search may leave out, for now, the timeout of blocked thread `u` (lazy time;
 * see agent.ts, "Search reductions", R2): `nextThread` is the thread of the next record
 * (undefined after the last one).
 */
export function timeoutCanWait(ctx: Ctx, st: AgentState, u: number, nextThread: number | undefined): boolean {
  if (ctx.time !== "lazy" || u === nextThread) return false;
  const block = st.runs[u]!.block;
  if (block?.kind === "sleep") return true;
  if (block?.kind !== "park") return false;
  // A park: only while no other thread can still wake or drain it.
  const facts = scriptFacts(ctx.script);
  for (let w = 0; w < st.runs.length; w++) {
    if (w === u) continue;
    const n = ctx.script.threads[w]!.length;
    if (facts[w]!.wakes[Math.min(nextToTakeEffect(st.runs[w]!, n), n)]) return false;
  }
  return true;
}
