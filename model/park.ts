/**
 * ParkSpace: futex-style waiting on 32-bit user words, keyed by (address space, page
 * generation, address).
 *
 * Immutable. Waiters are kept in enqueue order only for stable descriptions: which waiters an
 * UNPARK wakes is unspecified (PARKX-2), so `unpark` returns every allowed outcome.
 *
 * @clause PARK-1 PARK-2 PARK-3 PARK-4 PARK-5 PARK-6 PARK-8 PARKX-1 PARKX-2 PARKX-3 PARKX-4 PARKX-5 PARKX-6 PARKX-7 PARKX-8 PARKX-9 GO-7 GO-8
 */
import { DEFAULT_BINDING, type Binding, type TransportErrorName } from "../spec/binding.js";
import { generationAt, load, type AddressSpace } from "./address-space.js";
import { deadlineAfter } from "./timer.js";
import { packedMap } from "./packed-array.js";

/** @clause PARKX-7 */
export interface ParkKey {
  readonly asid: number;
  readonly gen: number;
  readonly addr: number;
}

export interface Waiter {
  /** Who waits (a thread id). */
  readonly id: number;
  readonly key: ParkKey;
  /** Virtual time at which the wait times out; null = forever. */
  readonly deadline: bigint | null;
}

export interface ParkSpace {
  readonly waiters: readonly Waiter[];
}

export type ParkResultName = "woken" | "mismatch" | "timedOut" | "drained";

export const EMPTY_PARK_SPACE: ParkSpace = { waiters: [] };

export function parkResultCode(name: ParkResultName, b: Binding = DEFAULT_BINDING): number {
  return b.park.results[name];
}

export function sameKey(x: ParkKey, y: ParkKey): boolean {
  return x.asid === y.asid && x.gen === y.gen && x.addr === y.addr;
}

export function keyString(k: ParkKey): string {
  return `${k.asid}:${k.gen}:${k.addr.toString(16)}`;
}

/**
 * The key of the word at `addr`, or the transport error PARK/UNPARK give for it.
 * @clause PARKX-5 PARKX-7 PARK-2
 * Step 1 (PARKX-5): an address not aligned to wordAlign is invalidSqe.
 * Step 2 (PARKX-5): a word that is not mapped and readable is invalidBuffer (VMX-6 decides readability).
 * Step 3 (PARKX-7): the key is (address space id, generation of the word's page, address).
 */
export function wordKey(as: AddressSpace, addr: bigint, b: Binding = DEFAULT_BINDING): { key: ParkKey; word: bigint } | { error: TransportErrorName } {
  if (addr % BigInt(b.park.wordAlign) !== 0n) return { error: "invalidSqe" };
  if (addr >= BigInt(b.layout.userAddressLimit)) return { error: "invalidBuffer" };
  const a = Number(addr);
  const w = load(as, a, b.park.wordSize, b);
  if (!w.ok) return { error: "invalidBuffer" };
  return { key: { asid: as.id, gen: generationAt(as, a, b), addr: a }, word: w.value };
}

export type ParkOutcome =
  | { readonly kind: "error"; readonly error: TransportErrorName }
  | { readonly kind: "complete"; readonly result: ParkResultName }
  | { readonly kind: "blocked"; readonly space: ParkSpace; readonly waiter: Waiter };

/**
 * PARK(addr, expected, timeoutNs) by waiter `id` at virtual time `now`.
 * @clause PARK-3 PARKX-3 PARKX-4 PARKX-5 GO-7
 * Step 1 (PARKX-5): address checks (wordKey).
 * Step 2 (PARK-3): atomically with the enqueue, compare the 32-bit word with the low 32 bits
 * of `expected`; a difference completes at once with mismatch and never blocks.
 * Step 3 (PARKX-3, GO-7): timeout 0 never blocks: it completes with timedOut.
 * Step 4 (PARKX-4): otherwise the waiter is enqueued under the key with deadline now + timeout
 * (none for the forever encoding).
 */
export function park(ps: ParkSpace, as: AddressSpace, id: number, addr: bigint, expected: bigint, timeoutNs: bigint, now: bigint, b: Binding = DEFAULT_BINDING): ParkOutcome {
  const k = wordKey(as, addr, b);
  if ("error" in k) return { kind: "error", error: k.error };
  return parkOnKey(ps, id, k.key, k.word, expected, timeoutNs, now, b);
}

/**
 * Steps 2-4 of PARK for a word whose key and value are known (a VM-window word, or a word of
 * the process image, which has no mapping generation that can change).
 * @clause PARK-3 PARKX-3 PARKX-4 GO-7
 */
export function parkOnKey(ps: ParkSpace, id: number, key: ParkKey, word: bigint, expected: bigint, timeoutNs: bigint, now: bigint, b: Binding = DEFAULT_BINDING): ParkOutcome {
  if (word !== (expected & 0xffff_ffffn)) return { kind: "complete", result: "mismatch" };
  if (timeoutNs === 0n) return { kind: "complete", result: "timedOut" };
  const waiter: Waiter = { id, key, deadline: timeoutNs === b.park.timeoutForever ? null : deadlineAfter(now, timeoutNs) };
  return { kind: "blocked", space: { waiters: [...ps.waiters, waiter] }, waiter };
}

export type UnparkOutcome =
  | { readonly kind: "error"; readonly error: TransportErrorName }
  /** Every allowed outcome: which waiters woke, and the space afterwards. All have the same count. */
  | { readonly kind: "woke"; readonly choices: readonly { readonly woken: readonly number[]; readonly space: ParkSpace }[] };

/** All k-element subsets of xs, in lexicographic index order. */
export function combinations<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (k > xs.length) return [];
  const out: T[][] = [];
  const rec = (start: number, acc: T[]): void => {
    if (acc.length === k) {
      out.push(acc.slice());
      return;
    }
    for (let i = start; i <= xs.length - (k - acc.length); i++) {
      acc.push(xs[i]!);
      rec(i + 1, acc);
      acc.pop();
    }
  };
  rec(0, []);
  return out;
}

/**
 * UNPARK(addr, count).
 * @clause PARK-4 PARKX-1 PARKX-2 PARKX-5 PARKX-7 PARKX-8 GO-8
 * Step 1 (decision, PARKX-5 applied to UNPARK): the same address checks as PARK.
 * Step 2 (PARKX-7): only waiters under the word's current key are candidates, so a waiter
 * under an older generation is never woken.
 * Step 3 (PARKX-1): count 0 wakes nobody.
 * Step 4 (PARKX-2, decision): exactly min(count, candidates) waiters wake (Linux; "at most"
 * read as "as many as possible", otherwise a lost wake would be legal); every such subset is allowed.
 * Step 5 (PARKX-8): no other waiter changes state.
 */
export function unpark(ps: ParkSpace, as: AddressSpace, addr: bigint, count: bigint, b: Binding = DEFAULT_BINDING): UnparkOutcome {
  const k = wordKey(as, addr, b);
  if ("error" in k) return { kind: "error", error: k.error };
  return unparkKey(ps, k.key, count);
}

/** Steps 2-5 of UNPARK for a word whose key is known. @clause PARKX-1 PARKX-2 PARKX-7 PARKX-8 */
export function unparkKey(ps: ParkSpace, key: ParkKey, count: bigint): UnparkOutcome {
  const candidates = ps.waiters.filter((w) => sameKey(w.key, key));
  const n = Number(count & 0xffff_ffffn);
  const take = Math.min(n, candidates.length);
  return {
    kind: "woke",
    choices: packedMap(combinations(candidates, take), (chosen) => ({
      woken: packedMap(chosen, (w) => w.id),
      space: { waiters: ps.waiters.filter((w) => !chosen.includes(w)) },
    })),
  };
}

/**
 * Drain the waiters of address space `asid` parked on words in [start, end).
 * @clause PARK-6 PARKX-6
 * Every such waiter completes with drained before unmap/decommit returns; none remains.
 */
export function drain(ps: ParkSpace, asid: number, start: number, end: number): { space: ParkSpace; drained: number[] } {
  // Most unmaps drain nobody: then the same space object, and no closure made (a loop, not `some`).
  let any = false;
  for (const w of ps.waiters) if (inRange(w, asid, start, end)) { any = true; break; }
  if (!any) return { space: ps, drained: [] };
  return { space: { waiters: ps.waiters.filter((w) => !inRange(w, asid, start, end)) }, drained: packedMap(ps.waiters.filter((w) => inRange(w, asid, start, end)), (w) => w.id) };
}
/** Whether waiter `w` is parked on a word of address space `asid` in [start, end). */
function inRange(w: Waiter, asid: number, start: number, end: number): boolean {
  return w.key.asid === asid && w.key.addr >= start && w.key.addr < end;
}

/**
 * Remove waiter `id` (its timeout fired, or its thread exited).
 * @clause PARKX-4 PARKX-9
 */
export function removeWaiter(ps: ParkSpace, id: number): ParkSpace {
  // Unchanged when `id` does not wait (every thread exit asks): the same object, so callers that key spaces by identity see no change.
  if (!ps.waiters.some((w) => w.id === id)) return ps;
  return { waiters: ps.waiters.filter((w) => w.id !== id) };
}

/** Waiters whose deadline has passed at `now`: they may complete with timedOut (PARKX-4). */
export function expired(ps: ParkSpace, now: bigint): number[] {
  return packedMap(ps.waiters.filter((w) => w.deadline !== null && w.deadline <= now), (w) => w.id);
}
