/**
 * Threads of the process: the per-thread kernel record (CPU state, ring page, block state,
 * saved FS base, held completions) and the thread table in spawn order.
 *
 * Thread ids are 0 for the initial thread, then 1, 2, ... in spawn order; the scheduler lists
 * runnable threads in id order. Spawn, join and exit live in caps/threads.ts, blocking in
 * syscalls.ts, switching in scheduling.ts.
 */
import { restoreCpu, snapshotCpu } from "../cpu/snapshot.js";
import { CpuState } from "../cpu/state.js";

export type ThreadState = "runnable" | "blocked" | "exited";

/**
 * CPUs of disposed machines (`ThreadTable.release`), reset to a new CpuState's values and
 * reused by `add`: a CpuState's buffers and nine typed-array views cost more to make than a
 * short case's kernel work. The reset is restoreCpu from a new CpuState's snapshot plus the
 * run-loop scratch fields; a CpuState field it does not know stops this module from loading
 * (it would otherwise carry one process's value into the next).
 */
const freeCpus: CpuState[] = [];
const MAX_FREE_CPUS = 64;
const PRISTINE = new CpuState();
const PRISTINE_STATE = snapshotCpu(PRISTINE);
/** restoreCpu's fields, the buffers of its views (regs: lo and hi), the XMM buffer's other views, and the run-loop scratch set below. */
const RESET_FIELDS = new Set([
  "regs", "lo", "hi", "rip", "fop", "fw", "fa", "fah", "fb", "fbh", "fr", "frh", "fc", "flags", "fsBase", "gsBase",
  "xmmBuf", "x8", "xs8", "x16", "xs16", "x32", "xu32", "xf32", "xf64", "mxcsr", "st", "ftop", "fcw", "fsw", "ftag", "tsc", "icount",
  "th", "left", "jk", "jb", "runStart", "stop", "mem",
]);
for (const f of Object.keys(PRISTINE)) if (!RESET_FIELDS.has(f)) throw new Error(`threads.ts: CpuState field ${f} is not reset for reuse (add it to freshCpu)`);

/** A CPU in a new CpuState's state: a reused one when there is one. */
function freshCpu(): CpuState {
  const c = freeCpus.pop();
  if (c === undefined) return new CpuState();
  restoreCpu(c, PRISTINE_STATE);
  c.th = PRISTINE.th; c.left = PRISTINE.left; c.jk = PRISTINE.jk; c.jb = PRISTINE.jb; c.runStart = PRISTINE.runStart; c.stop = PRISTINE.stop;
  c.mem = PRISTINE.mem; // no reference to the released process's memory (run() sets it)
  return c;
}

/** A completion queue entry before it is written to the ring. */
export interface Cqe {
  userData: bigint;
  result: number;
  capId?: number;
  interfaceId?: bigint;
}

export interface Thread {
  readonly id: number;
  readonly cpu: CpuState;
  readonly ring: number;
  /** Ring slot for spawned threads (-1 for the initial thread). */
  readonly ringSlot: number;
  state: ThreadState;
  block: { minComplete: number; deadline: bigint | null; seq: number } | null;
  /** FS base saved at switch-out (FSB-5). */
  savedFs: number;
  exitValue: bigint;
  /** Completions held while the CQ was full (RINGX-2). */
  overflow: Cqe[];
  /** Kernel continuation to run before the CPU next time this thread is picked (lost-wake mutant). */
  resume: (() => void) | null;
}

/**
 * Every thread in id order (`all`, for the observer), plus an index of the threads not yet
 * exited: the scheduler and the timer scan only those, so a run's cost grows with the live
 * threads, not with every thread ever spawned (spawn-then-exit churn stays linear).
 */
export class ThreadTable {
  readonly all: Thread[] = [];
  private readonly byId = new Map<number, Thread>();
  /** Threads not known to have exited; exited ones are dropped lazily (live()). */
  private liveList: Thread[] = [];
  private nextId = 0;
  private readonly runnableScratch: Thread[] = [];

  /** Threads spawned so far (the initial thread not counted). */
  get spawned(): number {
    return Math.max(0, this.nextId - 1);
  }

  /** A new runnable thread with a fresh CPU, using the ring page at `ring`. */
  add(ring: number, ringSlot: number): Thread {
    const t: Thread = {
      id: this.nextId++,
      cpu: freshCpu(),
      ring,
      ringSlot,
      state: "runnable",
      block: null,
      savedFs: 0,
      exitValue: 0n,
      overflow: [],
      resume: null,
    };
    this.all.push(t);
    this.byId.set(t.id, t);
    this.liveList.push(t);
    return t;
  }

  /**
   * The process is over and nothing will read its threads' CPUs again (CaposMachine.dispose):
   * they go back for reuse by later processes.
   */
  release(): void {
    if (this.released) return; // twice would hand one CPU to two threads
    this.released = true;
    for (const t of this.all) if (freeCpus.length < MAX_FREE_CPUS) freeCpus.push(t.cpu);
  }
  private released = false;

  /** The thread with id `id`; RangeError when there is none. */
  get(id: number): Thread {
    const t = this.byId.get(id);
    if (!t) throw new RangeError(`no thread ${id}`);
    return t;
  }

  /** Spawned threads that have not exited (they hold a ring slot). */
  liveSpawned(): Thread[] {
    return this.live().filter((x) => x.ringSlot >= 0);
  }

  /** Threads that have not exited, in id order (amortised O(live): each exit is dropped once). */
  live(): Thread[] {
    if (this.liveList.some((t) => t.state === "exited")) this.liveList = this.liveList.filter((t) => t.state !== "exited");
    return this.liveList;
  }

  /**
   * Runnable threads in id order (one pass over the live threads, dropping exited ones as live()
   * does), in one array reused by the next call (a scheduling decision reads it before then).
   */
  runnable(): readonly Thread[] {
    const out = this.runnableScratch;
    out.length = 0;
    let exited = false;
    for (const t of this.liveList) {
      if (t.state === "runnable") out.push(t);
      else if (t.state === "exited") exited = true;
    }
    if (exited) this.liveList = this.liveList.filter((t) => t.state !== "exited");
    return out;
  }
}
