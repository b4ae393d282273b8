/**
 * Virtual time: a monotonic nanosecond counter, deadlines, and the "never early" rule.
 *
 * @clause TIMERX-1 PARKX-4 PARK-5
 */

/** Deadline of a wait of `ns` starting at `now`. */
export function deadlineAfter(now: bigint, ns: bigint): bigint {
  return now + ns;
}

/**
 * Whether a wait with `deadline` may complete by timing out at virtual time `now`.
 * @clause TIMERX-1 PARKX-4: never before start + ns.
 */
export function isDue(deadline: bigint | null, now: bigint): boolean {
  return deadline !== null && deadline <= now;
}

/**
 * Advance the clock; time never goes backwards.
 * @clause TIMERX-1: Timer.now is monotonic.
 */
export function advance(now: bigint, to: bigint): bigint {
  return to > now ? to : now;
}

/**
 * Whether `observed` is an allowed Timer.now result after the clock reached `now`.
 * @clause TIMERX-1
 */
export function nowAllowed(now: bigint, observed: bigint): boolean {
  return observed >= now;
}

/** The earliest finite deadline, or null. */
export function earliest(deadlines: readonly (bigint | null)[]): bigint | null {
  let best: bigint | null = null;
  for (const d of deadlines) if (d !== null && (best === null || d < best)) best = d;
  return best;
}
