/**
 * fast-check arbitraries for agent op scripts (spec/agent-protocol.ts).
 *
 * Scripts name memory through registers: the first op of a family reserves or maps a region
 * into r1 (and sometimes r2), and later ops address it as `base + offset`, so a script works
 * wherever an implementation places mappings. Families stay small and mostly valid, so that
 * runs reach interesting states instead of faulting on the first op.
 */
import fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import { recordMap } from "./record-map.js";
import { AGENT_MAX_THREADS, AGENT_TLS_VARS, MAX_SPIN, OP, type Script, type ScriptOp } from "../spec/agent-protocol.js";

const R1 = 1;
const R2 = 2;
const R_FS = 5;

function page(b: Binding): bigint {
  return BigInt(b.pageSize);
}

function prot(b: Binding): fc.Arbitrary<bigint> {
  const p = b.vm.prot;
  return fc.constantFrom(p.none, p.read, p.read | p.write, p.read | p.write | p.exec, p.read | p.exec, p.write).map(BigInt);
}

/** An op on region r1 (or r2) at a page-granular offset. */
function vmOp(b: Binding, pages: number): fc.Arbitrary<ScriptOp> {
  const P = page(b);
  const base = fc.constantFrom(R1, R1, R2);
  const addr = recordMap({ first: fc.integer({ min: 0, max: pages }), count: fc.integer({ min: 0, max: 3 }) }, ({ first, count }) => ({ a: BigInt(first) * P, b: BigInt(count) * P }));
  return fc.oneof(
    fc.tuple(base, addr).map(([r, x]): ScriptOp => ({ kind: OP.UNMAP, base: r, ...x })),
    fc.tuple(base, addr, prot(b)).map(([r, x, c]): ScriptOp => ({ kind: OP.PROTECT, base: r, ...x, c })),
    fc.tuple(base, addr, prot(b)).map(([r, x, c]): ScriptOp => ({ kind: OP.COMMIT, base: r, ...x, c })),
    fc.tuple(base, addr).map(([r, x]): ScriptOp => ({ kind: OP.DECOMMIT, base: r, ...x })),
    memOp(b, pages),
    memOp(b, pages),
  );
}

/** A load or store inside (or just past) region r1/r2. */
function memOp(b: Binding, pages: number): fc.Arbitrary<ScriptOp> {
  const size = fc.constantFrom(1n, 2n, 4n, 8n);
  // Half the accesses straddle a page boundary, where permissions and faults change.
  const offset = fc.oneof(
    fc.integer({ min: 0, max: pages * b.pageSize + 16 }),
    fc.tuple(fc.integer({ min: 1, max: pages }), fc.integer({ min: -7, max: 0 })).map(([p, d]) => p * b.pageSize + d),
  ).map(BigInt);
  return fc.oneof(
    fc.tuple(fc.constantFrom(R1, R2), offset, size).map(([base, a, s]): ScriptOp => ({ kind: OP.LOAD, base, a, b: s })),
    fc.tuple(fc.constantFrom(R1, R2), offset, size, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(
      ([base, a, s, c]): ScriptOp => ({ kind: OP.STORE, base, a, b: s, c }),
    ),
  );
}

/** Single-thread VirtualMemory sequences over two regions (VM-*, VMX-*, GO-2..6). */
export function vmScript(b: Binding, maxOps = 16): fc.Arbitrary<Script> {
  const P = page(b);
  return recordMap({
      pagesA: fc.integer({ min: 1, max: 6 }),
      pagesB: fc.integer({ min: 1, max: 3 }),
      reserveA: fc.boolean(),
      protA: prot(b),
      hint: fc.oneof(fc.constant(0n), fc.integer({ min: 0, max: 64 }).map((n) => BigInt(b.layout.vmWindowBase) + BigInt(n) * P)),
      // VMX-2: the second range's hint is often a page of the first, which is taken: the
      // implementation must place it elsewhere.
      hintInA: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined, freq: 2 }),
      rest: fc.array(vmOp(b, 6), { maxLength: maxOps }),
    },
    ({ pagesA, pagesB, reserveA, protA, hint, hintInA, rest }) => {
      const first: ScriptOp = reserveA
        ? { kind: OP.RESERVE, dst: R1, a: hint, b: BigInt(pagesA) * P }
        : { kind: OP.MAP, dst: R1, a: hint, b: BigInt(pagesA) * P, c: protA };
      const secondHint = hintInA === undefined ? { a: 0n } : { base: R1, a: BigInt(hintInA % pagesA) * P };
      const second: ScriptOp = { kind: OP.MAP, dst: R2, ...secondHint, b: BigInt(pagesB) * P, c: BigInt(b.vm.prot.read | b.vm.prot.write) };
      // The way Go's sysReserve + sysMap use it: commit the front of a reservation read-write (GO-3).
      const commit: ScriptOp[] = reserveA ? [{ kind: OP.COMMIT, base: R1, a: 0n, b: BigInt(Math.max(1, pagesA >> 1)) * P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }] : [];
      return { threads: [[first, second, ...commit, ...rest]] };
    });
}

/** Hostile VM arguments: zero and unaligned sizes, huge ranges, addresses outside the window (VMX-1, VMX-5). */
export function vmEdgeScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  const weird = fc.oneof(
    fc.constant(0n),
    fc.integer({ min: 1, max: b.pageSize - 1 }).map(BigInt),
    fc.constant(BigInt(b.vm.reservedPageQuota + 1) * P),
    fc.constant(BigInt(b.vm.committedPageQuota + 1) * P),
    fc.constant((1n << 64n) - P),
    fc.integer({ min: 1, max: 8 }).map((n) => BigInt(n) * P),
  );
  const addr = fc.oneof(fc.constant(0n), fc.constant(BigInt(b.layout.vmWindowBase) + 1n), fc.constant(BigInt(b.layout.userAddressLimit)), fc.constant(BigInt(b.layout.imageBase)));
  const op = fc.oneof(
    fc.tuple(addr, weird, prot(b)).map(([a, s, c]): ScriptOp => ({ kind: OP.MAP, dst: R1, a, b: s, c })),
    fc.tuple(addr, weird).map(([a, s]): ScriptOp => ({ kind: OP.RESERVE, dst: R2, a, b: s })),
    fc.tuple(addr, weird).map(([a, s]): ScriptOp => ({ kind: OP.UNMAP, a, b: s })),
    fc.tuple(addr, weird, fc.integer({ min: 0, max: 255 }).map(BigInt)).map(([a, s, c]): ScriptOp => ({ kind: OP.PROTECT, a, b: s, c })),
    fc.tuple(addr, weird, prot(b)).map(([a, s, c]): ScriptOp => ({ kind: OP.COMMIT, a, b: s, c })),
    fc.tuple(addr, weird).map(([a, s]): ScriptOp => ({ kind: OP.DECOMMIT, a, b: s })),
  );
  // VMX-7: unknown prot bits on arguments that are otherwise valid (a fresh range, a live
  // region's pages), so the prot check is the only one that can refuse them.
  const all = b.vm.prot.read | b.vm.prot.write | b.vm.prot.exec;
  const badProt = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(all + 1, 0x10, 0x80, 0x8000_0000)).map(([known, unknown]) => BigInt(known) | BigInt(unknown));
  const rw = BigInt(b.vm.prot.read | b.vm.prot.write);
  const badProtOps = fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 4 }), badProt).map(([n, c]): ScriptOp[] => [{ kind: OP.MAP, dst: R1, a: 0n, b: BigInt(n) * P, c }]),
    fc.tuple(fc.constantFrom(OP.PROTECT, OP.COMMIT), badProt).map(([kind, c]): ScriptOp[] => [
      { kind: OP.MAP, dst: R2, a: 0n, b: P, c: rw },
      { kind, base: R2, a: 0n, b: P, c },
    ]),
  );
  const ops = fc.oneof({ weight: 4, arbitrary: op.map((o) => [o]) }, { weight: 1, arbitrary: badProtOps });
  // VM-5: sometimes the script ends with an access to a kernel (canonical upper-half) address,
  // which must fault with #PF. (Non-canonical addresses raise #GP, which the command protocol
  // cannot tell from #PF: both exit 139.)
  const kernelAccess = fc.option(
    fc.tuple(fc.constantFrom(0xffff_8000_0000_0000n, 0xffff_ffff_8000_0000n, 0xffff_ffff_ffff_f000n), fc.boolean()).map(
      ([a, store]): ScriptOp => (store ? { kind: OP.STORE, a, b: 8n, c: 1n } : { kind: OP.LOAD, a, b: 8n }),
    ),
    { nil: undefined, freq: 3 },
  );
  return fc.tuple(fc.array(ops, { minLength: 1, maxLength: 8 }), kernelAccess).map(([groups, k]) => ({ threads: [k ? [...groups.flat(), k] : groups.flat()] }));
}

/**
 * Guest-carried steering (spec/agent-protocol.ts SPIN, YIELD, SLEEP): delays a thread performs
 * itself, so that different interleavings happen on kernels the suite cannot schedule,
 * real multi-core hardware included. Where the implementation has schedule control the
 * schedule comes on top.
 */
export function steering(options: { maxOps?: number; sleeps?: boolean } = {}): fc.Arbitrary<ScriptOp[]> {
  const ops: fc.Arbitrary<ScriptOp>[] = [
    fc.integer({ min: 1, max: MAX_SPIN }).map((n): ScriptOp => ({ kind: OP.SPIN, a: BigInt(n) })),
    fc.constant<ScriptOp>({ kind: OP.YIELD }),
  ];
  if (options.sleeps !== false) ops.push(fc.integer({ min: 1_000, max: 300_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) })));
  return fc.array(fc.oneof(...ops), { maxLength: options.maxOps ?? 2 });
}

/**
 * A settle delay: the thread sleeps long enough for the threads it spawned to reach their
 * blocking ops (on the emulator's scheduler time only advances once every thread is
 * blocked; on a real kernel a few milliseconds is ample for a handful of ops).
 */
function settle(): fc.Arbitrary<ScriptOp> {
  return fc.integer({ min: 2_000_000, max: 6_000_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) }));
}

/**
 * Park word offsets in the one-page mapping: word 0 (shared), two neighbours, and the page's
 * last word, the one a drain whose range ends a word early would miss (PARK-6, PARKX-6).
 */
function parkWords(b: Binding): bigint[] {
  return [0n, 4n, 64n, page(b) - BigInt(b.park.wordSize)];
}

/** A park word offset, biased to word 0 so that waiters share words (UNPARK has a choice). */
function parkWord(b: Binding): fc.Arbitrary<bigint> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(...parkWords(b).slice(1)) });
}

/**
 * Values park words hold and parks expect: mostly 0 (the words' initial value, so parks
 * block), and values that differ from 0 and from each other only above the low byte, so a
 * kernel that compares less than the whole 32-bit word is seen (PARK-2, PARK-3).
 */
const PARK_VALUES = [1n, 2n, 0x100n, 0x1_0000n, 0x100_0000n];

/**
 * A waiter thread's ops: steering, then parks that mostly expect the word's current value
 * (words start 0 and are stored to only after the settle), with timeouts that can fire
 * before the main thread wakes them; threads also use their TLS and leave with a value,
 * the way runtime threads do.
 */
function waiterThread(b: Binding, firstWord: fc.Arbitrary<bigint>): fc.Arbitrary<ScriptOp[]> {
  // Forever and long timeouts outlast the main thread's settle (the waiter is still parked
  // when UNPARKs come); short ones fire during it; a poll never blocks.
  const timeout = fc.oneof(
    { weight: 5, arbitrary: fc.constant(b.park.timeoutForever) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000_000, max: 20_000_000 }).map(BigInt) },
    { weight: 2, arbitrary: fc.integer({ min: 100_000, max: 1_500_000 }).map(BigInt) },
    { weight: 1, arbitrary: fc.constant(0n) },
  );
  const expected = fc.oneof({ weight: 8, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(...PARK_VALUES) });
  // The first park is on word 0, where the main thread's first UNPARK goes (or, for drain
  // scripts, sometimes on the page's last word).
  const firstPark = fc.tuple(firstWord, expected, timeout).map(([w, v, t]): ScriptOp => ({ kind: OP.PARK, base: R1, a: w, b: v, c: t }));
  const parkOp = fc.tuple(parkWord(b), expected, timeout).map(([w, v, t]): ScriptOp => ({ kind: OP.PARK, base: R1, a: w, b: v, c: t }));
  const extra = fc.oneof(
    parkOp,
    fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }).map((v): ScriptOp => ({ kind: OP.TLS_READ, a: BigInt(v) })),
    fc.tuple(fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }), fc.bigInt({ min: 0n, max: 255n })).map(([v, x]): ScriptOp => ({ kind: OP.TLS_WRITE, a: BigInt(v), b: x })),
  );
  return recordMap({
      steer: steering({ sleeps: false }),
      first: firstPark,
      more: fc.array(extra, { maxLength: 2 }),
      exit: fc.option(fc.bigInt({ min: 1n, max: 200n }), { nil: undefined }),
    },
    ({ steer, first, more, exit }) => [...steer, first, ...more, ...(exit !== undefined ? [{ kind: OP.THREAD_EXIT, a: exit } as ScriptOp] : [])]);
}

/**
 * Park races: the main thread maps a page of park words, spawns waiters that PARK on shared
 * words, settles (so the waiters are parked), then mixes UNPARKs with counts that leave a
 * real choice, stores, steering and (for drain) unmaps/decommits of the page, before waking
 * everyone and joining (PARK-*, PARKX-*).
 */
export function parkScript(b: Binding, options: { drain?: boolean } = {}): fc.Arbitrary<Script> {
  const P = page(b);
  const drain = options.drain !== false;
  const count = fc.oneof(
    { weight: 4, arbitrary: fc.constant(1n) },
    { weight: 1, arbitrary: fc.constant(0n) },
    { weight: 1, arbitrary: fc.constant(2n) },
    { weight: 1, arbitrary: fc.constant(BigInt(b.park.unparkAll)) },
  );
  const unparkOp = fc.tuple(parkWord(b), count).map(([a, n]): ScriptOp => ({ kind: OP.UNPARK, base: R1, a, b: n }));
  const mainOps: fc.Arbitrary<ScriptOp>[] = [
    unparkOp,
    fc.tuple(fc.constantFrom(...parkWords(b)), fc.constantFrom(0n, ...PARK_VALUES)).map(([a, v]): ScriptOp => ({ kind: OP.STORE, base: R1, a, b: 4n, c: v })),
    fc.constant<ScriptOp>({ kind: OP.YIELD }),
    fc.integer({ min: 1, max: MAX_SPIN }).map((n): ScriptOp => ({ kind: OP.SPIN, a: BigInt(n) })),
    fc.integer({ min: 1, max: 3_000_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) })),
  ];
  // Drain: the unmap/decommit comes after the settle, so the waiters are parked when it runs;
  // a remap of the same size often lands at the same address (a new generation of the page).
  const drainOps = fc.tuple(fc.constantFrom(OP.UNMAP, OP.DECOMMIT), fc.boolean(), fc.integer({ min: 1, max: 3_000_000 })).map(([kind, remap, ns]): ScriptOp[] => [
    { kind, base: R1, a: 0n, b: P },
    ...(remap
      ? [
          { kind: OP.SLEEP, a: BigInt(ns) } as ScriptOp,
          kind === OP.UNMAP
            ? ({ kind: OP.MAP, dst: R2, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) } as ScriptOp)
            : ({ kind: OP.COMMIT, base: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) } as ScriptOp),
        ]
      : []),
  ]);
  // Drain scripts park some waiters on the page's last word first (a drain range that ends a
  // word early misses them); race scripts share word 0, where the UNPARKs with a choice go.
  const firstWord = drain ? fc.oneof({ weight: 2, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constant(P - BigInt(b.park.wordSize)) }) : fc.constant(0n);
  return recordMap({
      waiters: fc.array(waiterThread(b, firstWord), { minLength: drain ? 1 : 2, maxLength: Math.min(3, AGENT_MAX_THREADS - 1) }),
      // PARKX-9: a thread that leaves with a park in flight (drain scripts, which cite it).
      leaver: drain ? fc.oneof({ withCrossShrink: true }, { weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: leaverThread(b) }) : fc.constant(null),
      before: fc.array(fc.oneof(...mainOps.slice(2)), { maxLength: 2 }),
      settled: drain ? fc.constant(true) : fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      settleFor: settle(),
      // Right after the settle the waiters are parked: an UNPARK there usually has a real choice.
      wakeFirst: fc.option(fc.constantFrom(1n, 1n, 2n).map((n): ScriptOp => ({ kind: OP.UNPARK, base: R1, a: 0n, b: n })), { nil: undefined, freq: 5 }),
      // PARKX-1: an UNPARK of count 0 while waiters are parked wakes nobody.
      wakeNone: fc.boolean(),
      after: fc.array(fc.oneof(...mainOps), { maxLength: drain ? 2 : 3 }),
      drainOps: drain ? drainOps : fc.constant([]),
      // How the main thread ends: it wakes every parked word and then (most scripts) joins
      // the waiters; without the joins the process exits with waiters parked (SYS-3). Both
      // are scaffold for a conforming run to finish, rarely part of a bug's repro, so
      // shrinking may drop them.
      wakeAll: scaffold(),
      joinAll: fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), scaffold()).map(([j, keep]) => j && keep),
    },
    ({ waiters, leaver, before, settled, settleFor, wakeNone, wakeFirst, after, drainOps, wakeAll, joinAll }) => {
      const main: ScriptOp[] = [{ kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }, ...before];
      const threads = leaver ? [...waiters, leaver] : waiters;
      threads.forEach((_, i) => main.push({ kind: OP.SPAWN, a: BigInt(i + 1) }));
      if (settled) main.push(settleFor);
      // The leaver never blocks: once it is joined it has exited, and its park must be gone.
      if (leaver) main.push({ kind: OP.JOIN, a: BigInt(threads.length) }, { kind: OP.UNPARK, base: R1, a: LEAVER_WORD, b: 1n });
      if (wakeNone) main.push({ kind: OP.UNPARK, base: R1, a: 0n, b: 0n });
      if (wakeFirst && !drain) main.push(wakeFirst);
      main.push(...after, ...drainOps);
      if (wakeAll) {
        // Wake every word a waiter parks on, so that a conforming run can finish (after an
        // unmap these UNPARKs fail with invalidBuffer, the drain having woken everyone already).
        const parked = new Set(waiters.flat().filter((op) => op.kind === OP.PARK).map((op) => op.a!));
        for (const a of parkWords(b).filter((w) => parked.has(w))) main.push({ kind: OP.UNPARK, base: R1, a, b: BigInt(b.park.unparkAll) });
      }
      // A join without the wakes could wait forever for a waiter nobody wakes.
      if (wakeAll && joinAll) waiters.forEach((_, i) => main.push({ kind: OP.JOIN, a: BigInt(i + 1) }));
      return { threads: [main, ...threads] };
    });
}

/**
 * Scaffold: always `true` when generated (drawing no randomness, so adding it changes no
 * generated case), `false` when shrunk. For ops a generated script needs so that a
 * conforming run finishes (wakes, joins) but a shrunk repro may not: shrinking can then drop
 * them, which a constant could not, and generation stays as it was, which fc.boolean would not.
 */
export function scaffold(): fc.Arbitrary<boolean> {
  return new ScaffoldArbitrary();
}

class ScaffoldArbitrary extends fc.Arbitrary<boolean> {
  generate(): fc.Value<boolean> {
    return new fc.Value(true, undefined);
  }
  canShrinkWithoutContext(value: unknown): value is boolean {
    return typeof value === "boolean";
  }
  shrink(value: boolean): fc.Stream<fc.Value<boolean>> {
    return value ? fc.Stream.of(new fc.Value(false, undefined)) : fc.Stream.nil();
  }
}

/** A word only the leaver thread parks on (nobody stores to it: it stays 0). */
const LEAVER_WORD = 128n;

/**
 * A thread that leaves with a park in flight: it submits a PARK it does not wait for
 * (PARK_ASYNC, a word that matches, no timeout) and exits, with a value or by running out
 * of ops. Its waiter must go with it (PARKX-9): an UNPARK after joining it wakes nobody.
 */
function leaverThread(b: Binding): fc.Arbitrary<ScriptOp[]> {
  return fc.tuple(steering({ maxOps: 1, sleeps: false }), fc.option(fc.bigInt({ min: 1n, max: 200n }), { nil: undefined })).map(([steer, exit]) => [
    ...steer,
    { kind: OP.PARK_ASYNC, base: R1, a: LEAVER_WORD, b: 0n, c: b.park.timeoutForever },
    ...(exit !== undefined ? [{ kind: OP.THREAD_EXIT, a: exit } as ScriptOp] : []),
  ]);
}

/**
 * Per-thread FS base and TLS: set, yield, read back; TLS reads in every thread (FSB-*, TLS-3).
 * Each script thread saves its FS base in its own register (r5 + thread), so that no thread
 * restores another's base: the checks stay about FS isolation, not about register races.
 */
export function fsScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  // Between setting a base and using it the thread steps aside (a sleep hands the CPU to the
  // other threads on any kernel), so another thread runs while the FS bases differ (FSB-5).
  const aside = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((ns): ScriptOp[] => [{ kind: OP.SLEEP, a: BigInt(ns) }]) },
    { weight: 1, arbitrary: steering({ maxOps: 2, sleeps: false }) },
  );
  // A thread's ops as a function of the register it saves its base in, so that spawned threads
  // are a plain array (shrinking drops any of them) and each still gets its own register.
  type Ops = (saveReg: number) => ScriptOp[];
  const threadOps = (minGroups: number): fc.Arbitrary<Ops> =>
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), aside).map(([k, gap]): Ops => (saveReg) => [
          { kind: OP.GET_FS, dst: saveReg },
          { kind: OP.SET_FS, base: R1, a: BigInt(k * 8) },
          ...gap,
          { kind: OP.GET_FS },
          { kind: OP.SET_FS, base: saveReg, a: 0n },
        ]) },
        fc.tuple(fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }), steering({ maxOps: 1 })).map(([v, gap]): Ops => () => [{ kind: OP.TLS_READ, a: BigInt(v) }, ...gap]),
        // TLSV2-6: every thread's TLS variable addresses are aligned (var 3 to 64).
        fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }).map((v): Ops => () => [{ kind: OP.TLS_ADDR, a: BigInt(v) }]),
        // FSB-3: a non-canonical base is refused and the old base stays.
        fc.constantFrom(0x8000_0000_0000_0000n, 0x0000_8000_0000_0000n, 0xdead_beef_0000_0000n).map((bad): Ops => () => [
          { kind: OP.SET_FS, a: bad },
          { kind: OP.GET_FS },
        ]),
        fc.tuple(fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), aside).map(([v, x, gap]): Ops => () => [
          { kind: OP.TLS_WRITE, a: BigInt(v), b: x },
          ...gap,
          { kind: OP.TLS_READ, a: BigInt(v) },
        ]),
        // Runtime threads park too: a timed park on a private word (FS base preserved across it, FSB-5).
        fc.integer({ min: 1_000, max: 300_000 }).map((ns): Ops => (saveReg) => [{ kind: OP.PARK, base: R1, a: BigInt(2048 + saveReg * 8), b: 0n, c: BigInt(ns) }, { kind: OP.TLS_READ, a: 0n }]),
      ),
      { minLength: minGroups, maxLength: 4 },
    ).map((groups): Ops => (saveReg) => groups.flatMap((g) => g(saveReg)));
  const spawned = fc.tuple(threadOps(0), fc.option(exitValue(), { nil: undefined }));
  return recordMap({
      // The initial thread may do nothing but spawn and join, so a repro about the spawned
      // threads (an exit value, THRX-2) shrinks to them alone.
      main: threadOps(0),
      // One to three spawned threads, each saving its base in its own register (r6 + index).
      // The second and third are options, so shrinking drops them (a chained length would not).
      others: fc
        .tuple(spawned.map((t) => [t]), ...[1, 2].map(() => fc.option(spawned.map((t) => [t]), { nil: [], freq: 5 })))
        .map((slots) => slots.flat()),
      // Sometimes the initial thread leaves through ThreadControl.exit instead of joining:
      // the process must then end with status 0 when its last thread exits (THRX-3, THR-4).
      mainExits: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
      exitValue: fc.bigInt({ min: 0n, max: 255n }),
    },
    ({ main, others, mainExits, exitValue }) => {
      const head: ScriptOp[] = [{ kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }];
      others.forEach((_, i) => head.push({ kind: OP.SPAWN, a: BigInt(i + 1) }));
      const tail: ScriptOp[] = mainExits ? [{ kind: OP.THREAD_EXIT, a: exitValue }] : others.map((_, i) => ({ kind: OP.JOIN, a: BigInt(i + 1) }));
      // Spawned threads leave with a value the join reports (THRX-2), or by running out of ops.
      const threads = others.map(([ops, exit], i) => [...ops(R_FS + 1 + i), ...(exit !== undefined ? [{ kind: OP.THREAD_EXIT, a: exit } as ScriptOp] : [])]);
      return { threads: [[...head, ...main(R_FS), ...tail], ...threads] };
    });
}

/**
 * A spawned thread's exit value: small ones, and ones that need all 64 bits (THRX-2: the
 * joiner gets the value itself, not its low half).
 */
function exitValue(): fc.Arbitrary<bigint> {
  return fc.oneof(fc.bigInt({ min: 1n, max: 255n }), fc.bigInt({ min: 1n << 32n, max: (1n << 64n) - 1n }));
}

/** Timer: now, sleeps and park timeouts in sequence (TIMERX-1, PARKX-4). */
export function timerScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  const op = fc.oneof(
    fc.constant<ScriptOp>({ kind: OP.NOW }),
    fc.integer({ min: 0, max: 10_000_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) })),
    fc.integer({ min: 0, max: 10_000_000 }).map((ns): ScriptOp => ({ kind: OP.PARK, base: R1, a: 0n, b: 0n, c: BigInt(ns) })),
    // GO-7, PARKX-3: a poll (timeout 0) never blocks, whether the word matches or not;
    // 0x100 differs from the word only above its low byte (PARK-2, PARK-3).
    fc.constantFrom(0n, 1n, 0x100n).map((v): ScriptOp => ({ kind: OP.PARK, base: R1, a: 0n, b: v, c: 0n })),
  );
  return fc.array(op, { minLength: 1, maxLength: 8 }).map((ops) => ({
    threads: [[{ kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }, { kind: OP.NOW }, ...ops, { kind: OP.NOW }]],
  }));
}

/**
 * The classic lost-wake handoff (Drepper, "Futexes Are Tricky"): a waiter parks on a word
 * expecting 0 while the main thread stores 1 and unparks one waiter, then joins. A
 * conforming kernel lets the waiter either see the new value (mismatch) or be woken; a
 * kernel whose value check and enqueue are not atomic can strand it (PARK-3).
 */
export function handoffScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  return recordMap({
      yields: steering({ maxOps: 3, sleeps: false }),
      waiterYields: steering({ maxOps: 2, sleeps: false }),
      waiters: fc.integer({ min: 1, max: 2 }),
      count: fc.constantFrom(1n, 2n, BigInt(b.park.unparkAll)),
      // Scaffold a shrunk repro may drop: each waiter's join (a stranded waiter shows as a
      // hang of its own join) and the second UNPARK a count of 1 needs for two waiters.
      joins: fc.tuple(scaffold(), scaffold()),
      second: scaffold(),
    },
    ({ yields, waiterYields, waiters, count, joins, second }) => {
      const main: ScriptOp[] = [
        { kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) },
        ...Array.from({ length: waiters }, (_, i): ScriptOp => ({ kind: OP.SPAWN, a: BigInt(i + 1) })),
        ...yields,
        { kind: OP.STORE, base: R1, a: 0n, b: 4n, c: 1n },
        { kind: OP.UNPARK, base: R1, a: 0n, b: count },
        ...(count === 1n && waiters === 2 && second ? [{ kind: OP.UNPARK, base: R1, a: 0n, b: 1n } as ScriptOp] : []),
        ...Array.from({ length: waiters }, (_, i): ScriptOp[] => (joins[i] ? [{ kind: OP.JOIN, a: BigInt(i + 1) }] : [])).flat(),
      ];
      const waiter: ScriptOp[] = [
        ...waiterYields,
        { kind: OP.PARK, base: R1, a: 0n, b: 0n, c: b.park.timeoutForever },
      ];
      return { threads: [main, ...Array.from({ length: waiters }, () => waiter)] };
    });
}

/**
 * Protection changes followed by the accesses they govern: map read-write, store, protect a
 * sub-range (often removing write), then load and store on both sides of the boundary
 * (VMX-6, GO-5). A kernel that leaves a stale writable mapping is caught by the store.
 */
export function protectScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  const p = b.vm.prot;
  return recordMap({
      pages: fc.integer({ min: 1, max: 4 }),
      first: fc.integer({ min: 0, max: 3 }),
      count: fc.integer({ min: 1, max: 4 }),
      prot: fc.constantFrom(p.read, p.none, p.read | p.exec, p.read | p.write),
      // Most probes land inside the protected range (the access the protection governs).
      probes: fc.array(fc.record({ inside: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), page: fc.integer({ min: 0, max: 4 }), off: fc.integer({ min: 0, max: b.pageSize - 8 }), store: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      // Then a second range mapped without write from the start (VMX-6: map's prot governs
      // like protect's), hinted at a page of the first, which is taken (VMX-2), and stored to.
      mapped: fc.option(fc.record({ prot: fc.constantFrom(p.read, p.none, p.read | p.exec), hintPage: fc.integer({ min: 0, max: 3 }), off: fc.integer({ min: 0, max: b.pageSize - 8 }) }), { nil: undefined, freq: 2 }),
      // Before the protect, sometimes Go's sysUnused + sysUsed on the stored-to page: decommit,
      // commit again, load (it reads zero, GO-4).
      recycle: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    },
    ({ pages, first, count, prot, probes, mapped, recycle }) => {
      const from = Math.min(first, pages - 1);
      const n = Math.min(count, pages - from);
      const ops: ScriptOp[] = [
        { kind: OP.MAP, dst: R1, a: 0n, b: BigInt(pages) * P, c: BigInt(p.read | p.write) },
        { kind: OP.STORE, base: R1, a: 0n, b: 8n, c: 0x1122_3344_5566_7788n },
        ...(recycle
          ? [
              { kind: OP.DECOMMIT, base: R1, a: 0n, b: P },
              { kind: OP.COMMIT, base: R1, a: 0n, b: P, c: BigInt(p.read | p.write) },
              { kind: OP.LOAD, base: R1, a: 0n, b: 8n },
            ]
          : []),
        { kind: OP.PROTECT, base: R1, a: BigInt(from) * P, b: BigInt(n) * P, c: BigInt(prot) },
      ];
      for (const x of probes) {
        const pg = x.inside ? from + (x.page % n) : x.page;
        const a = BigInt(pg) * P + BigInt(x.off);
        ops.push(x.store ? { kind: OP.STORE, base: R1, a, b: 8n, c: 0xa5n } : { kind: OP.LOAD, base: R1, a, b: 8n });
      }
      if (mapped)
        ops.push(
          { kind: OP.MAP, dst: R2, base: R1, a: BigInt(mapped.hintPage % pages) * P, b: P, c: BigInt(mapped.prot) },
          { kind: OP.STORE, base: R2, a: BigInt(mapped.off), b: 8n, c: 0x5an },
        );
      return { threads: [ops] };
    });
}
