/**
 * Deterministic scheduling decisions from a `Schedule` (spec/run-protocol.ts).
 *
 * At every scheduling point the machine calls `next(runnable, lastId)` with the runnable
 * threads ordered by thread id and gets the index to run and its quantum (0 = until the
 * thread blocks or makes a syscall). Decision i of the schedule is used for the i-th
 * scheduling point; afterwards:
 *  - with `seed`: a splitmix32 PRNG seeded by `seed` picks the index (`prng mod count`) and a
 *    quantum in [1, 2 * defaultQuantum];
 *  - without: round-robin (the next runnable thread id after the last one run, wrapping),
 *    each for `defaultQuantum` (DEFAULT_QUANTUM when unset).
 */
import type { Schedule } from "../../spec/run-protocol.js";
import { DEFAULT_QUANTUM } from "../../spec/run-protocol.js";

/** splitmix32: small, deterministic, no Math.random. */
export class SplitMix32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
}

export interface Decision {
  readonly index: number;
  readonly quantum: number;
  /** "schedule" (explicit decision), "prng" or "rr". */
  readonly source: "schedule" | "prng" | "rr";
}

export class Scheduler {
  private i = 0;
  private readonly prng: SplitMix32 | null;
  private readonly dq: number;

  constructor(private readonly schedule: Schedule = { decisions: [] }) {
    this.prng = schedule.seed === undefined ? null : new SplitMix32(schedule.seed);
    this.dq = schedule.defaultQuantum ?? DEFAULT_QUANTUM;
  }

  /** Number of decisions consumed so far (explicit ones first). */
  get consumed(): number {
    return this.i;
  }

  /**
   * Choose among `runnable` (the runnable threads, ids ascending); `lastId` is the thread that
   * ran last (for round-robin), -1 at the start.
   */
  next(runnable: readonly { readonly id: number }[], lastId: number): Decision {
    const n = runnable.length;
    const k = this.i++;
    const d = this.schedule.decisions[k];
    if (d) return { index: d.pick % n, quantum: d.quantum, source: "schedule" };
    if (this.prng) {
      const index = this.prng.next() % n;
      const quantum = 1 + (this.prng.next() % Math.max(1, 2 * this.dq));
      return { index, quantum, source: "prng" };
    }
    let index = runnable.findIndex((t) => t.id > lastId);
    if (index < 0) index = 0;
    return { index, quantum: this.dq, source: "rr" };
  }
}
