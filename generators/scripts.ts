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
import { AGENT_MAX_THREADS, AGENT_TLS_VARS, OP, type Script, type ScriptOp } from "../spec/agent-protocol.js";

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
  const range = fc.record({ first: fc.integer({ min: 0, max: pages }), count: fc.integer({ min: 0, max: 3 }) });
  const addr = range.map(({ first, count }) => ({ a: BigInt(first) * P, b: BigInt(count) * P }));
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
  return fc
    .record({
      pagesA: fc.integer({ min: 1, max: 6 }),
      pagesB: fc.integer({ min: 1, max: 3 }),
      reserveA: fc.boolean(),
      protA: prot(b),
      hint: fc.oneof(fc.constant(0n), fc.integer({ min: 0, max: 64 }).map((n) => BigInt(b.layout.vmWindowBase) + BigInt(n) * P)),
      rest: fc.array(vmOp(b, 6), { maxLength: maxOps }),
    })
    .map(({ pagesA, pagesB, reserveA, protA, hint, rest }) => {
      const first: ScriptOp = reserveA
        ? { kind: OP.RESERVE, dst: R1, a: hint, b: BigInt(pagesA) * P }
        : { kind: OP.MAP, dst: R1, a: hint, b: BigInt(pagesA) * P, c: protA };
      const second: ScriptOp = { kind: OP.MAP, dst: R2, a: 0n, b: BigInt(pagesB) * P, c: BigInt(b.vm.prot.read | b.vm.prot.write) };
      return { threads: [[first, second, ...rest]] };
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
  return fc.array(op, { minLength: 1, maxLength: 8 }).map((ops) => ({ threads: [ops] }));
}

/** Timeouts that matter: poll, short, long, forever. */
function timeout(b: Binding): fc.Arbitrary<bigint> {
  return fc.oneof(fc.constant(0n), fc.integer({ min: 1, max: 5_000_000 }).map(BigInt), fc.constant(b.park.timeoutForever));
}

/**
 * Park races: the main thread maps a page of park words, spawns waiters that PARK on shared
 * words, and mixes stores, UNPARKs, unmaps/decommits and sleeps (PARK-*, PARKX-*).
 */
export function parkScript(b: Binding, options: { drain?: boolean } = {}): fc.Arbitrary<Script> {
  const P = page(b);
  const word = fc.constantFrom(0n, 4n, 64n); // offsets of the shared words in the page
  const value = fc.constantFrom(0n, 1n, 2n);
  const waiterOp = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(word, value, timeout(b)).map(([a, v, t]): ScriptOp => ({ kind: OP.PARK, base: R1, a, b: v, c: t })) },
    { weight: 1, arbitrary: fc.tuple(word, value).map(([a, v]): ScriptOp => ({ kind: OP.STORE, base: R1, a, b: 4n, c: v })) },
    { weight: 1, arbitrary: fc.constant<ScriptOp>({ kind: OP.YIELD }) },
  );
  const mainOps: fc.Arbitrary<ScriptOp>[] = [
    fc.tuple(word, fc.constantFrom(0n, 1n, 2n, BigInt(b.park.unparkAll))).map(([a, n]): ScriptOp => ({ kind: OP.UNPARK, base: R1, a, b: n })),
    fc.tuple(word, value).map(([a, v]): ScriptOp => ({ kind: OP.STORE, base: R1, a, b: 4n, c: v })),
    fc.constant<ScriptOp>({ kind: OP.YIELD }),
    fc.integer({ min: 1, max: 3_000_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) })),
  ];
  if (options.drain !== false) {
    mainOps.push(fc.constant<ScriptOp>({ kind: OP.UNMAP, base: R1, a: 0n, b: P }));
    mainOps.push(fc.constant<ScriptOp>({ kind: OP.DECOMMIT, base: R1, a: 0n, b: P }));
  }
  return fc
    .record({
      waiters: fc.array(fc.array(waiterOp, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: Math.min(3, AGENT_MAX_THREADS - 1) }),
      before: fc.array(fc.oneof(...mainOps), { maxLength: 3 }),
      after: fc.array(fc.oneof(...mainOps), { maxLength: 5 }),
      join: fc.boolean(),
    })
    .map(({ waiters, before, after, join }) => {
      const main: ScriptOp[] = [{ kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }, ...before];
      waiters.forEach((_, i) => main.push({ kind: OP.SPAWN, a: BigInt(i + 1) }));
      main.push(...after);
      // Wake everyone before joining, so that a conforming run can finish.
      for (const a of [0n, 4n, 64n]) main.push({ kind: OP.UNPARK, base: R1, a, b: BigInt(b.park.unparkAll) });
      if (join) waiters.forEach((_, i) => main.push({ kind: OP.JOIN, a: BigInt(i + 1) }));
      return { threads: [main, ...waiters] };
    });
}

/**
 * Per-thread FS base and TLS: set, yield, read back; TLS reads in every thread (FSB-*, TLS-3).
 * Each script thread saves its FS base in its own register (r5 + thread), so that no thread
 * restores another's base: the checks stay about FS isolation, not about register races.
 */
export function fsScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  const threadOps = (saveReg: number) =>
    fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((k): ScriptOp[] => [
          { kind: OP.GET_FS, dst: saveReg },
          { kind: OP.SET_FS, base: R1, a: BigInt(k * 8) },
          { kind: OP.YIELD },
          { kind: OP.GET_FS },
          { kind: OP.SET_FS, base: saveReg, a: 0n },
        ]),
        fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }).map((v): ScriptOp[] => [{ kind: OP.TLS_READ, a: BigInt(v) }, { kind: OP.YIELD }]),
        // FSB-3: a non-canonical base is refused and the old base stays.
        fc.constantFrom(0x8000_0000_0000_0000n, 0x0000_8000_0000_0000n, 0xdead_beef_0000_0000n).map((bad): ScriptOp[] => [
          { kind: OP.SET_FS, a: bad },
          { kind: OP.GET_FS },
        ]),
        fc.tuple(fc.integer({ min: 0, max: AGENT_TLS_VARS - 1 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([v, x]): ScriptOp[] => [
          { kind: OP.TLS_WRITE, a: BigInt(v), b: x },
          { kind: OP.YIELD },
          { kind: OP.TLS_READ, a: BigInt(v) },
        ]),
      ),
      { minLength: 1, maxLength: 4 },
    ).map((groups) => groups.flat());
  return fc
    .record({
      main: threadOps(R_FS),
      others: fc.array(fc.constant(null), { minLength: 0, maxLength: 3 }).chain((slots) => fc.tuple(...slots.map((_, i) => threadOps(R_FS + 1 + i)))),
      // Sometimes the initial thread leaves through ThreadControl.exit instead of joining:
      // the process must then end with status 0 when its last thread exits (THRX-3, THR-4).
      mainExits: fc.boolean(),
      exitValue: fc.bigInt({ min: 0n, max: 255n }),
    })
    .map(({ main, others, mainExits, exitValue }) => {
      const head: ScriptOp[] = [{ kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) }];
      others.forEach((_, i) => head.push({ kind: OP.SPAWN, a: BigInt(i + 1) }));
      const tail: ScriptOp[] = mainExits ? [{ kind: OP.THREAD_EXIT, a: exitValue }] : others.map((_, i) => ({ kind: OP.JOIN, a: BigInt(i + 1) }));
      return { threads: [[...head, ...main, ...tail], ...others] };
    });
}

/** Timer: now, sleeps and park timeouts in sequence (TIMERX-1, PARKX-4). */
export function timerScript(b: Binding): fc.Arbitrary<Script> {
  const P = page(b);
  const op = fc.oneof(
    fc.constant<ScriptOp>({ kind: OP.NOW }),
    fc.integer({ min: 0, max: 10_000_000 }).map((ns): ScriptOp => ({ kind: OP.SLEEP, a: BigInt(ns) })),
    fc.integer({ min: 0, max: 10_000_000 }).map((ns): ScriptOp => ({ kind: OP.PARK, base: R1, a: 0n, b: 0n, c: BigInt(ns) })),
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
  return fc
    .record({
      yields: fc.integer({ min: 0, max: 3 }),
      waiterYields: fc.integer({ min: 0, max: 2 }),
      waiters: fc.integer({ min: 1, max: 2 }),
      count: fc.constantFrom(1n, 2n, BigInt(b.park.unparkAll)),
    })
    .map(({ yields, waiterYields, waiters, count }) => {
      const main: ScriptOp[] = [
        { kind: OP.MAP, dst: R1, a: 0n, b: P, c: BigInt(b.vm.prot.read | b.vm.prot.write) },
        ...Array.from({ length: waiters }, (_, i): ScriptOp => ({ kind: OP.SPAWN, a: BigInt(i + 1) })),
        ...Array.from({ length: yields }, (): ScriptOp => ({ kind: OP.YIELD })),
        { kind: OP.STORE, base: R1, a: 0n, b: 4n, c: 1n },
        { kind: OP.UNPARK, base: R1, a: 0n, b: count },
        ...(count === 1n && waiters === 2 ? [{ kind: OP.UNPARK, base: R1, a: 0n, b: 1n } as ScriptOp] : []),
        ...Array.from({ length: waiters }, (_, i): ScriptOp => ({ kind: OP.JOIN, a: BigInt(i + 1) })),
      ];
      const waiter: ScriptOp[] = [
        ...Array.from({ length: waiterYields }, (): ScriptOp => ({ kind: OP.YIELD })),
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
  return fc
    .record({
      pages: fc.integer({ min: 1, max: 4 }),
      first: fc.integer({ min: 0, max: 3 }),
      count: fc.integer({ min: 1, max: 4 }),
      prot: fc.constantFrom(p.read, p.none, p.read | p.exec, p.read | p.write),
      probes: fc.array(fc.record({ page: fc.integer({ min: 0, max: 4 }), off: fc.integer({ min: 0, max: b.pageSize - 8 }), store: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    })
    .map(({ pages, first, count, prot, probes }) => {
      const ops: ScriptOp[] = [
        { kind: OP.MAP, dst: R1, a: 0n, b: BigInt(pages) * P, c: BigInt(p.read | p.write) },
        { kind: OP.STORE, base: R1, a: 0n, b: 8n, c: 0x1122_3344_5566_7788n },
        { kind: OP.PROTECT, base: R1, a: BigInt(Math.min(first, pages - 1)) * P, b: BigInt(Math.min(count, pages - Math.min(first, pages - 1))) * P, c: BigInt(prot) },
      ];
      for (const x of probes) {
        const a = BigInt(x.page) * P + BigInt(x.off);
        ops.push(x.store ? { kind: OP.STORE, base: R1, a, b: 8n, c: 0xa5n } : { kind: OP.LOAD, base: R1, a, b: 8n });
      }
      return { threads: [ops] };
    });
}
