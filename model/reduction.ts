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
import { packedMap } from "./packed-array.js";

/** What each thread's remaining ops (ops[pc..]) may do, for every pc; computed once per script. */
interface ThreadFacts {
  /** Bit r set: some op in ops[pc..] writes register r. */
  readonly dsts: readonly number[];
  /** The `F` bits of every op in ops[pc..], or-ed. */
  readonly flags: readonly number[];
}

/** What an op may do (ThreadFacts.flags). */
const F = {
  /** May read or change the address space (memory, VM, park ops, TLS ops after a SET_FS). */
  memory: 1,
  /** A TLS_ADDR (which may learn a TLS offset every thread's TLS_ADDR reads). */
  tlsAddr: 2,
  /** May wake or drain a park waiter (UNPARK, UNMAP, DECOMMIT). */
  wakes: 4,
  /** Starts, joins or releases a thread (SPAWN, JOIN, RELEASE_HANDLE, RING_BATCH). */
  threadOps: 8,
  THREAD_EXIT: 16,
  RING_BATCH: 32,
} as const;

/** Ops known to touch neither memory nor anything shared (steering, FS base, time, threads, ring); every other kind counts as memory, an unknown one too (the agent judges it "unknown"). */
const NON_MEMORY_OPS: ReadonlySet<number> = new Set([OP.SPAWN, OP.JOIN, OP.SET_FS, OP.GET_FS, OP.NOW, OP.SLEEP, OP.YIELD, OP.SPIN, OP.EXIT, OP.THREAD_EXIT, OP.RELEASE_HANDLE, OP.RING_BATCH]);

/** The F bits of an op kind. */
function kindFlags(kind: number): number {
  let f = NON_MEMORY_OPS.has(kind) ? 0 : F.memory;
  if (kind === OP.TLS_ADDR) f |= F.tlsAddr;
  if (kind === OP.UNPARK || kind === OP.UNMAP || kind === OP.DECOMMIT) f |= F.wakes;
  if (kind === OP.SPAWN || kind === OP.JOIN || kind === OP.RELEASE_HANDLE || kind === OP.RING_BATCH) f |= F.threadOps;
  if (kind === OP.THREAD_EXIT) f |= F.THREAD_EXIT;
  if (kind === OP.RING_BATCH) f |= F.RING_BATCH;
  return f;
}

/**
 * The last script asked about and its facts: one search asks at every state, and every case of
 * a property run has a new script (no cache across scripts: a WeakMap entry per script cost more
 * than computing the facts again when a script comes back).
 */
let last: { script: Script; facts: readonly ThreadFacts[] } | undefined;

function scriptFacts(script: Script): readonly ThreadFacts[] {
  if (last?.script === script) return last.facts;
  const facts = packedMap(script.threads, (ops): ThreadFacts => {
    const n = ops.length;
    const dsts = new Array<number>(n + 1).fill(0);
    const flags = new Array<number>(n + 1).fill(0);
    for (let pc = n - 1; pc >= 0; pc--) {
      const op = ops[pc]!;
      dsts[pc] = dsts[pc + 1]! | (op.dst ? 1 << op.dst : 0);
      flags[pc] = flags[pc + 1]! | kindFlags(op.kind);
    }
    return { dsts, flags };
  });
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
    memory ||= (f.flags[from]! & F.memory) !== 0;
    threadOps ||= (f.flags[from]! & F.threadOps) !== 0;
    tlsAddr ||= (f.flags[from]! & F.tlsAddr) !== 0 || (r.phase === "pending" && r.pending?.k === "learn" && r.pending.key.startsWith("tpoff:"));
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
    if (u === 0 && (ru.phase === "done" || (facts[0]!.flags[from]! & F.THREAD_EXIT) !== 0)) return false;
    if ((facts[u]!.flags[from]! & F.RING_BATCH) !== 0) return false;
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
    if ((facts[w]!.flags[Math.min(nextToTakeEffect(st.runs[w]!, n), n)]! & F.wakes) !== 0) return false;
  }
  return true;
}
