/**
 * Read-only views of the kernel state for tests and tools (the façade exposes them on
 * CaposMachine). Nothing here changes state.
 */
import type { Kernel } from "./kernel.js";
import { readHeader } from "./ring.js";
import type { ThreadState } from "./threads.js";

export interface ThreadInfo {
  readonly id: number;
  readonly state: ThreadState;
  /** "cap_enter min=N deadline=T|forever" when blocked, else null. */
  readonly blockedOn: string | null;
  readonly ring: number;
  readonly fsBase: bigint;
  readonly rip: number;
  readonly exitValue: bigint | null;
}

export interface WaiterInfo {
  readonly thread: number;
  readonly addr: number;
  readonly gen: number;
  readonly userData: bigint;
  readonly deadline: bigint | null;
}

export type RingHeader = Readonly<Record<string, number>>;

export function threadInfo(k: Kernel): ThreadInfo[] {
  return k.threads.all.map((t) => ({
    id: t.id,
    state: t.state,
    blockedOn: t.block ? `cap_enter min=${t.block.minComplete} deadline=${t.block.deadline ?? "forever"}` : null,
    ring: t.ring,
    fsBase: BigInt.asUintN(64, BigInt(t === k.current ? t.cpu.fsBase : t.savedFs)),
    rip: t.cpu.rip,
    exitValue: t.state === "exited" ? t.exitValue : null,
  }));
}

/** Park waiters in FIFO order, with their keys (addr, page generation). */
export function parkWaiters(k: Kernel): WaiterInfo[] {
  return k.waiters.map((w) => ({ thread: w.thread.id, addr: w.addr, gen: w.gen, userData: w.userData, deadline: w.deadline }));
}

/** Waiters on the word's current key. */
export function waiterCount(k: Kernel, addr: number): number {
  const g = k.as.generation(addr);
  return k.waiters.filter((w) => w.addr === addr && w.gen === g).length;
}

/** Keys thread `id` waits on. */
export function parkedOn(k: Kernel, id: number): { addr: number; gen: number }[] {
  return k.waiters.filter((w) => w.thread.id === id).map((w) => ({ addr: w.addr, gen: w.gen }));
}

export function ringHeader(k: Kernel, threadId: number): RingHeader {
  return readHeader(k, k.threads.get(threadId).ring);
}

/**
 * The console bytes written so far: a copy (the kernel's buffer is reused after the process),
 * which is a view into a shared chunk when short. An ArrayBuffer per copy (`slice`) cost 2-4 us,
 * more than a short case's kernel work; chunk bytes are written once and never reused, so a
 * copy stays valid for good (readers use byteOffset, as for Node's pooled Buffers).
 */
export function consoleBytes(k: Kernel): Uint8Array {
  const n = k.consoleLen;
  if (n > MAX_POOLED_COPY) return k.consoleBuf.slice(0, n);
  if (chunkUsed + n > CHUNK_BYTES) {
    chunk = new ArrayBuffer(CHUNK_BYTES);
    chunkUsed = 0;
  }
  const out = new Uint8Array(chunk, chunkUsed, n);
  out.set(k.consoleBuf.subarray(0, n));
  chunkUsed += (n + 7) & ~7;
  return out;
}
const CHUNK_BYTES = 1 << 16, MAX_POOLED_COPY = 1 << 12;
let chunk = new ArrayBuffer(CHUNK_BYTES);
let chunkUsed = 0;
