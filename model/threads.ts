/**
 * Threads of one process: spawn, join, exit through ThreadControl, and per-thread FS base.
 *
 * Immutable. Thread ids are the model's own names (the agent uses script thread indexes).
 * A thread's FS base may be unknown to the model (null) when the runtime chose it (the agent
 * builds spawned threads' TLS blocks itself); callers learn it from observations.
 *
 * @clause THR-1 THR-2 THR-3 THR-4 SYS-4 TLS-3 TLS-4 FSB-1 FSB-2 FSB-3 FSB-4 FSB-5 THRX-2 THRX-3 PARKX-9
 */
export type ThreadStatus = "running" | "exited";

export interface ThreadRecord {
  readonly status: ThreadStatus;
  /** Current FS base; null = chosen by the runtime and not yet known to the model. */
  readonly fsBase: bigint | null;
  readonly exitValue?: bigint;
}

export type ThreadTable = ReadonlyMap<number, ThreadRecord>;

const U64 = (1n << 64n) - 1n;

/**
 * x86-64 canonical address with 48-bit virtual addresses.
 * @clause FSB-3
 */
export function isCanonical(x: bigint): boolean {
  const v = x & U64;
  return v < 1n << 47n || v >= (1n << 64n) - (1n << 47n);
}

/**
 * ThreadSpawner.spawn: a new running thread whose FS base is the one passed to spawn.
 * @clause THR-2 FSB-2
 */
export function spawnThread(tt: ThreadTable, id: number, fsBase: bigint | null): ThreadTable {
  if (tt.has(id)) throw new RangeError(`thread ${id} already exists`);
  return new Map(tt).set(id, { status: "running", fsBase });
}

/**
 * ThreadControl.setFsBase(base) for the calling thread.
 * @clause FSB-1 FSB-3 TLS-4
 * Step 1 (FSB-3): a non-canonical base fails with invalidArgument and FS base is unchanged.
 * Step 2 (FSB-1): only the calling thread's FS base changes.
 */
export function setFsBase(tt: ThreadTable, id: number, base: bigint): { ok: true; tt: ThreadTable } | { ok: false; exc: "invalidArgument" } {
  if (!isCanonical(base)) return { ok: false, exc: "invalidArgument" };
  const t = live(tt, id);
  return { ok: true, tt: new Map(tt).set(id, { ...t, fsBase: base & U64 }) };
}

/**
 * ThreadControl.getFsBase for the calling thread (null = not known to the model).
 * @clause FSB-4 FSB-5 TLS-3
 */
export function getFsBase(tt: ThreadTable, id: number): bigint | null {
  return live(tt, id).fsBase;
}

/** Record that the model learned thread `id`'s current FS base. */
export function learnFsBase(tt: ThreadTable, id: number, base: bigint): ThreadTable {
  return new Map(tt).set(id, { ...live(tt, id), fsBase: base });
}

function live(tt: ThreadTable, id: number): ThreadRecord {
  const t = tt.get(id);
  if (!t || t.status !== "running") throw new RangeError(`thread ${id} is not running`);
  return t;
}

/**
 * ThreadControl.exit(value) of thread `id`.
 * @clause SYS-4 THR-4 THRX-3 PARKX-9
 * Step 1 (THR-4): siblings keep running.
 * Step 2 (THRX-3): when no running thread remains, the process ends with status 0.
 * (PARKX-9: a thread can only exit while running, so it is never a park waiter.)
 */
export function exitThread(tt: ThreadTable, id: number, value: bigint): { tt: ThreadTable; processEnds: boolean } {
  live(tt, id);
  const next = new Map(tt).set(id, { status: "exited" as const, fsBase: null, exitValue: value });
  return { tt: next, processEnds: ![...next.values()].some((t) => t.status === "running") };
}

/**
 * ThreadHandle.join on thread `id`.
 * @clause THR-3 THRX-2
 * Completes with the exit value once the thread has exited (immediately if it already has);
 * otherwise the joiner waits.
 */
export function joinThread(tt: ThreadTable, id: number): { done: true; value: bigint } | { done: false } {
  const t = tt.get(id);
  if (t?.status === "exited") return { done: true, value: t.exitValue ?? 0n };
  return { done: false };
}
