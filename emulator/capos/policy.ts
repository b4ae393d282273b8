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
 *   clockOriginNs     what Timer.now reads when the process starts (TIMERX-1 fixes no origin)
 *
 * `DEFAULT_POLICY` bundles the reference choices; `ALTERNATE_POLICY` a different conforming
 * choice for each (top-down placement, a lower TP, LIFO wakes, late timers, other ring pages),
 * selected with the machine option `policy: "alternate"` (run-elf `--policy alternate`,
 * conform `--impl emulator:alternate`): the suite must pass on both.
 */
import type { Binding } from "../../spec/binding.js";

/**
 * The pages VirtualMemory holds (reserved or committed), as runs of consecutive pages
 * [starts[i], ends[i]), ascending and disjoint (page-runs.ts `PageRuns`; touching runs may
 * differ in state, so a free stretch lies between runs that do not touch).
 */
export interface Occupied {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Whether any page of [lo, hi) is held. */
  anyIn(lo: number, hi: number): boolean;
}

export interface Policy {
  placeMapping(hintPage: number | null, count: number, lo: number, hi: number, occupied: Occupied): number | null;
  /** `offset` is the TLS block's distance below the TP (tlsOffset); the block must stay in the TLS area. */
  threadPointer(layout: Binding["layout"], align: number, offset: number): number;
  unparkWakes<W>(waiting: readonly W[], count: number): W[];
  timerFiresAt(earliest: bigint, now: bigint): bigint;
  threadRingSlot(used: ReadonlySet<number>): number;
  threadRingAddress(b: Binding, slot: number): number;
  /** Virtual time (ns) when the process starts. */
  readonly clockOriginNs: bigint;
}

/**
 * First page of a free run of `count` pages in [lo, hi): the hint page when it is given (page
 * aligned, inside the window) and free, else first fit from the bottom of the window.
 * `occupied` holds every reserved page; null: no room.
 */
export function placeMapping(hintPage: number | null, count: number, lo: number, hi: number, occupied: Occupied): number | null {
  if (hintPage !== null && !occupied.anyIn(hintPage, hintPage + count)) return hintPage;
  // first fit: the lowest candidate at or above lo with `count` free pages before the next held one
  const { starts, ends } = occupied;
  let cand = lo;
  for (let i = 0; i < starts.length; i++) {
    if (ends[i]! <= cand) continue;
    if (Math.max(starts[i]!, cand) - cand >= count) break;
    cand = ends[i]!;
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

/**
 * The clock's reading when the process starts: 1 ms before it passes 2^32 ns. TIMERX-1 says
 * Timer.now is monotonic nanoseconds and fixes no origin; a kernel that counts from boot has
 * passed 2^32 ns (4.29 s) long before a test process runs, so a clock that starts at 0 would
 * hide every bug of a 32-bit time value. Starting just below the boundary makes a run of a
 * few milliseconds cross it (the model accepts any origin).
 */
export const CLOCK_ORIGIN_NS = (1n << 32n) - 1_000_000n;

export const DEFAULT_POLICY: Policy = { placeMapping, threadPointer, unparkWakes, timerFiresAt, threadRingSlot, threadRingAddress, clockOriginNs: CLOCK_ORIGIN_NS };

/**
 * The alternate conforming choices.
 * - placement: top-down, the hint ignored (VMX-2 makes it advisory): the highest free run.
 * - TP: three pages below the default when the block still fits the TLS area (TLSV2-7), else the default.
 * - UNPARK: the newest waiters first (LIFO; PARKX-2 leaves the choice open).
 * - timers: fire ALTERNATE_TIMER_LATENESS ns after the deadline (never early, TIMERX-1, PARKX-4).
 * - rings: spawned threads' ring pages from the top of the ring range down, a guard page between (THRX-1).
 * - clock: starts at 0, as a kernel's clock fresh from boot would (TIMERX-1 fixes no origin).
 */
export const ALTERNATE_TIMER_LATENESS = 1_500n;

export const ALTERNATE_POLICY: Policy = {
  placeMapping(_hintPage, count, lo, hi, occupied) {
    // the highest free stretch of `count` pages below hi: runs from the top down
    const { starts, ends } = occupied;
    let end = hi;
    for (let i = starts.length - 1; i >= 0; i--) {
      if (starts[i]! >= end) continue;
      if (end - Math.min(ends[i]!, end) >= count) break;
      end = starts[i]!;
    }
    return end - count >= lo ? end - count : null;
  },
  threadPointer(layout, align, offset) {
    const lower = Math.floor((layout.ringVaddr - layout.tcbSize - 3 * 4096) / align) * align;
    return lower - offset >= layout.ringVaddr - layout.tlsAreaSize ? lower : threadPointer(layout, align);
  },
  unparkWakes(waiting, count) {
    return waiting.slice().reverse().slice(0, Math.max(0, count));
  },
  timerFiresAt(earliest, now) {
    const late = earliest + ALTERNATE_TIMER_LATENESS;
    return late > now ? late : now;
  },
  threadRingSlot,
  threadRingAddress(b, slot) {
    return b.layout.threadRingBase + (2 * b.layout.maxThreads - 2 - 2 * slot) * b.pageSize;
  },
  clockOriginNs: 0n,
};

export const POLICIES = { default: DEFAULT_POLICY, alternate: ALTERNATE_POLICY } as const;
export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
