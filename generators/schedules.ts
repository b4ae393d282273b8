/**
 * fast-check arbitraries for schedules (spec/run-protocol.ts): which runnable thread runs at
 * each scheduling point and for how many instructions. Shrinking removes decisions and
 * moves picks towards 0 and quanta towards "run until blocked".
 */
import fc from "fast-check";
import type { Schedule } from "../spec/run-protocol.js";

export interface ScheduleLimits {
  readonly maxDecisions?: number;
  readonly maxQuantum?: number;
  readonly threads?: number;
}

export function schedule(limits: ScheduleLimits = {}): fc.Arbitrary<Schedule> {
  const decision = fc.record({
    pick: fc.integer({ min: 0, max: Math.max(0, (limits.threads ?? 4) - 1) }),
    // Mostly "switch at the next syscall": races between ring operations live there.
    quantum: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: limits.maxQuantum ?? 5000 }) },
    ),
  });
  return fc.record({
    decisions: fc.array(decision, { maxLength: limits.maxDecisions ?? 60 }),
    seed: fc.integer({ min: 0, max: 0x7fff_ffff }),
  });
}
