/**
 * Agent scripts that use the ring and capabilities the way runtimes do (issue 18): thread
 * handles that come and go (RELEASE_HANDLE, then a SPAWN whose new cap may take the freed
 * slot, then a call through the stale id), and batches of SQEs whose completions arrive while
 * the CQ is under pressure (RING_BATCH with a JOIN outstanding while its NOPs fill the CQ).
 *
 * Both stay within 3 threads and 10 ops, so a shrunk counterexample is small by construction.
 */
import fc from "fast-check";
import { MAX_SPIN, OP, type Script, type ScriptOp } from "../spec/agent-protocol.js";
import type { Binding } from "../spec/binding.js";

/** A short, harmless op of a helper thread: a switch point, a delay or a clock read. */
function helperOp(): fc.Arbitrary<ScriptOp> {
  return fc.oneof(
    fc.constant<ScriptOp>({ kind: OP.YIELD }),
    fc.constant<ScriptOp>({ kind: OP.NOW }),
    fc.integer({ min: 1, max: MAX_SPIN / 4 }).map((n): ScriptOp => ({ kind: OP.SPIN, a: BigInt(n) })),
  );
}

/** A helper thread: a few short ops, then it ends by running out of ops or with an exit value. */
function helperThread(minOps: number, maxOps: number): fc.Arbitrary<ScriptOp[]> {
  return fc
    .record({ ops: fc.array(helperOp(), { minLength: minOps, maxLength: maxOps }), exit: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }) })
    .map(({ ops, exit }) => (exit === undefined ? ops : [...ops, { kind: OP.THREAD_EXIT, a: BigInt(exit) }]));
}

/**
 * Release, reuse, stale use: thread 0 spawns thread 1, releases its handle, spawns thread 2
 * (lowest free slot: RINGX-7 puts the new handle where the released one was), then calls
 * through the stale id (JOIN, a second RELEASE_HANDLE, or a RING_BATCH whose JOIN names it),
 * and finally joins thread 2 through its live handle (or releases it too).
 */
export function releaseScript(_b: Binding): fc.Arbitrary<Script> {
  const staleUse = fc.oneof(
    fc.constant<ScriptOp>({ kind: OP.JOIN, a: 1n }),
    fc.constant<ScriptOp>({ kind: OP.RELEASE_HANDLE, a: 1n }),
    fc.integer({ min: 0, max: 4 }).map((n): ScriptOp => ({ kind: OP.RING_BATCH, a: 1n, b: BigInt(n) })),
  );
  const last = fc.oneof(
    { weight: 3, arbitrary: fc.constant<ScriptOp[]>([{ kind: OP.JOIN, a: 2n }]) },
    { weight: 1, arbitrary: fc.constant<ScriptOp[]>([{ kind: OP.RELEASE_HANDLE, a: 2n }]) },
    { weight: 1, arbitrary: fc.constant<ScriptOp[]>([]) },
  );
  return fc
    .record({
      // Whether the stale use comes before the reuse too (CAP-4 alone), and after it (CAP-2).
      early: fc.option(staleUse, { freq: 3, nil: undefined }),
      stale: staleUse,
      last,
      t1: helperThread(0, 1),
      t2: helperThread(0, 1),
    })
    .map(({ early, stale, last, t1, t2 }) => ({
      threads: [
        [{ kind: OP.SPAWN, a: 1n }, { kind: OP.RELEASE_HANDLE, a: 1n }, ...(early ? [early] : []), { kind: OP.SPAWN, a: 2n }, stale, ...last],
        t1,
        t2,
      ],
    }));
}

/**
 * Completions under pressure: thread 0 spawns thread 1, then submits a JOIN of it and enough
 * NOPs to fill its CQ before one cap_enter, and yields (without reaping) while thread 1 runs its
 * few ops and exits: the JOIN's completion arrives while the CQ is full and must be held
 * (RINGX-2) with its own user_data (RING-7). Some cases batch fewer NOPs (completions out of
 * order with a non-full CQ) or add a plain NOP batch (the cap_enter count, ENTER-2).
 */
export function pressureScript(b: Binding): fc.Arbitrary<Script> {
  const cq = b.ring.cqEntries;
  const most = b.ring.sqEntries + cq - 2; // lead + NOPs must stay below sqEntries + cqEntries
  const nops = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: cq, max: most }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: cq - 2 }) });
  return fc
    .record({
      pre: fc.array(fc.constant<ScriptOp>({ kind: OP.YIELD }), { maxLength: 1 }),
      nops,
      yields: fc.integer({ min: 4, max: 12 }),
      tail: fc.option(
        fc.oneof(
          fc.integer({ min: 1, max: cq + 4 }).map((n): ScriptOp => ({ kind: OP.RING_BATCH, b: BigInt(n) })),
          fc.constant<ScriptOp>({ kind: OP.RELEASE_HANDLE, a: 1n }),
        ),
        { nil: undefined },
      ),
      // More ops than thread 0 runs before its batch, so that thread 1 exits during the yields.
      t1: helperThread(3, 5),
    })
    .map(({ pre, nops, yields, tail, t1 }) => ({
      threads: [[{ kind: OP.SPAWN, a: 1n }, ...pre, { kind: OP.RING_BATCH, a: 1n, b: BigInt(nops), c: BigInt(yields) }, ...(tail ? [tail] : [])], t1],
    }));
}
