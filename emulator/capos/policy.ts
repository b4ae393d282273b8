/**
 * The emulator's choices where the capOS ABI leaves one to the implementation (rule 3: these
 * are defaults, never requirements; the oracle accepts every conforming choice). Each choice
 * is one pure function here, so a variant implementation swaps exactly one of them:
 *
 *   placeMapping      where VirtualMemory.map/reserve put a range (VMX-2)
 *   threadPointer     where the initial thread's TP (FS base) sits below the ring page (TLSV2-*)
 *   unparkWakes       which waiters an UNPARK wakes (PARKX-2 leaves it open)
 *   timerFiresAt      how late a deadline fires (never early; we fire exactly on time)
 *   threadRingSlot / threadRingAddress   where a spawned thread's ring page goes (THRX-1)
 */
import type { Binding } from "../../spec/binding.js";

/**
 * First page of a free run of `count` pages in [lo, hi): the hint page when it is given (page
 * aligned, inside the window) and free, else first fit from the bottom of the window.
 * `occupied` holds every reserved page number; null: no room.
 */
export function placeMapping(hintPage: number | null, count: number, lo: number, hi: number, occupied: ReadonlyMap<number, unknown>): number | null {
  if (hintPage !== null) {
    let free = true;
    for (let i = 0; i < count; i++) if (occupied.has(hintPage + i)) free = false;
    if (free) return hintPage;
  }
  const used = [...occupied.keys()].sort((a, b) => a - b);
  let cand = lo;
  for (const pn of used) {
    if (pn < cand) continue;
    if (pn - cand >= count) break;
    cand = pn + 1;
  }
  return cand + count <= hi ? cand : null;
}

/** The initial thread pointer: the highest `align`-aligned address leaving the TCB below the ring page. */
export function threadPointer(layout: Binding["layout"], align: number): number {
  return Math.floor((layout.ringVaddr - layout.tcbSize) / align) * align;
}

/** The waiters an UNPARK of `count` wakes, from those on the key in enqueue order: the oldest first. */
export function unparkWakes<W>(waiting: readonly W[], count: number): W[] {
  return waiting.slice(0, Math.max(0, count));
}

/** Virtual time at which the earliest pending deadline fires, given the time now: on time. */
export function timerFiresAt(earliest: bigint, now: bigint): bigint {
  return earliest > now ? earliest : now;
}

/** Ring slot of a new thread: the lowest slot no live spawned thread uses. */
export function threadRingSlot(used: ReadonlySet<number>): number {
  let slot = 0;
  while (used.has(slot)) slot++;
  return slot;
}

/** Ring page address of thread ring slot `slot`. */
export function threadRingAddress(b: Binding, slot: number): number {
  return b.layout.threadRingBase + slot * b.pageSize;
}
