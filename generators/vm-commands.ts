/**
 * VirtualMemory sequences as fast-check commands (`fc.commands`): each command checks a
 * precondition against a small bookkeeping model (which script registers hold which
 * regions) and appends its op to the script under construction. fast-check's command
 * shrinker then removes whole commands while keeping every later precondition true (an
 * access never outlives the region it names), which shrinks far better than raw op arrays.
 *
 * The bookkeeping is not the oracle: the built script is judged by model/checker.ts.
 */
import fc from "fast-check";
import type { Binding } from "../spec/binding.js";
import { OP, type ScriptOp } from "../spec/agent-protocol.js";

export interface Regions {
  /** Region k lives in script register k + 1; its page count, or 0 once unmapped. */
  pages: number[];
}

export interface ScriptBuilder {
  readonly ops: ScriptOp[];
}

type VmCommand = fc.Command<Regions, ScriptBuilder>;

const MAX_REGIONS = 4;
/** Register of the quota cycle's range (regions use 1..MAX_REGIONS). */
const R_SCRATCH = MAX_REGIONS + 1;

/**
 * A new region, its hint 0 or (`hintAt`) the address of an earlier region when that one is
 * live: the range is taken, so the implementation must place the new one elsewhere (VMX-2).
 * `reserveCommit` is Go's sysReserve + sysMap: reserve, then commit the whole range (GO-3).
 */
class NewRegion implements VmCommand {
  constructor(readonly kind: "map" | "reserve" | "reserveCommit", readonly pages: number, readonly prot: number, readonly page: number, readonly hintAt: number | null = null) {}
  check = (m: Readonly<Regions>) => m.pages.length < MAX_REGIONS;
  run(m: Regions, r: ScriptBuilder): void {
    const dst = m.pages.length + 1;
    const size = BigInt(this.pages * this.page);
    const hint = this.hintAt !== null && (m.pages[this.hintAt] ?? 0) > 0 ? { base: this.hintAt + 1, a: 0n } : { a: 0n };
    r.ops.push(this.kind === "map" ? { kind: OP.MAP, dst, ...hint, b: size, c: BigInt(this.prot) } : { kind: OP.RESERVE, dst, ...hint, b: size });
    if (this.kind === "reserveCommit") r.ops.push({ kind: OP.COMMIT, base: dst, a: 0n, b: size, c: BigInt(this.prot) });
    m.pages.push(this.pages);
  }
  toString = () => `${this.kind}(${this.pages}p${this.kind !== "reserve" ? `, prot ${this.prot}` : ""}${this.hintAt !== null ? `, hint r${this.hintAt + 1}` : ""})`;
}

/** The page range [first, first + count) a range command names, clamped into a region of `pages` pages. */
function clampRange(pages: number, first: number, count: number): { first: number; count: number } {
  const f = first % pages;
  return { first: f, count: Math.max(1, Math.min(count, pages - f)) };
}

class RangeOp implements VmCommand {
  constructor(readonly op: "commit" | "decommit" | "protect" | "unmap", readonly region: number, readonly first: number, readonly count: number, readonly prot: number, readonly page: number) {}
  check = (m: Readonly<Regions>) => (m.pages[this.region] ?? 0) > 0;
  run(m: Regions, r: ScriptBuilder): void {
    const pages = m.pages[this.region]!;
    const { first, count } = clampRange(pages, this.first, this.count);
    const base = this.region + 1;
    const a = BigInt(first * this.page);
    const b = BigInt(count * this.page);
    const kind = { commit: OP.COMMIT, decommit: OP.DECOMMIT, protect: OP.PROTECT, unmap: OP.UNMAP }[this.op];
    r.ops.push({ kind, base, a, b, ...(this.op === "commit" || this.op === "protect" ? { c: BigInt(this.prot) } : {}) });
    if (this.op === "unmap" && first === 0 && count === pages) m.pages[this.region] = 0;
  }
  toString = () => `${this.op}(r${this.region + 1}, page ${this.first}, ${this.count}p${this.op === "commit" || this.op === "protect" ? `, prot ${this.prot}` : ""})`;
}

class Access implements VmCommand {
  constructor(readonly store: boolean, readonly region: number, readonly offset: number, readonly size: number, readonly value: bigint) {}
  check = (m: Readonly<Regions>) => (m.pages[this.region] ?? 0) > 0;
  run(_m: Regions, r: ScriptBuilder): void {
    const base = this.region + 1;
    r.ops.push(
      this.store
        ? { kind: OP.STORE, base, a: BigInt(this.offset), b: BigInt(this.size), c: this.value }
        : { kind: OP.LOAD, base, a: BigInt(this.offset), b: BigInt(this.size) },
    );
  }
  toString = () => `${this.store ? "store" : "load"}${this.size}(r${this.region + 1}+0x${this.offset.toString(16)})`;
}

/**
 * Protect a range of a region without write (often to none), then store and load inside it:
 * the access the protection governs, which a kernel keeping a stale writable mapping gets
 * wrong (VMX-6, GO-5).
 */
class ProtectThenAccess implements VmCommand {
  constructor(readonly region: number, readonly first: number, readonly count: number, readonly prot: number, readonly offset: number, readonly store: boolean, readonly page: number) {}
  check = (m: Readonly<Regions>) => (m.pages[this.region] ?? 0) > 0;
  run(m: Regions, r: ScriptBuilder): void {
    const { first, count } = clampRange(m.pages[this.region]!, this.first, this.count);
    const base = this.region + 1;
    r.ops.push({ kind: OP.PROTECT, base, a: BigInt(first * this.page), b: BigInt(count * this.page), c: BigInt(this.prot) });
    const at = BigInt(first * this.page + (this.offset % (count * this.page - 7)));
    r.ops.push(this.store ? { kind: OP.STORE, base, a: at, b: 8n, c: 0x5a5a_5a5an } : { kind: OP.LOAD, base, a: at, b: 8n });
  }
  toString = () => `protectThen${this.store ? "Store" : "Load"}(r${this.region + 1}, page ${this.first}, ${this.count}p, prot ${this.prot}, +0x${this.offset.toString(16)})`;
}

/**
 * Map, unmap and map again a range of more than half the committed-page quota, then unmap
 * it: the second map fits only if the unmap gave back its commit charge (GO-6, VMX-5). The
 * range lives in a scratch register, outside the region bookkeeping.
 */
class QuotaCycle implements VmCommand {
  constructor(readonly pages: number, readonly page: number, readonly rw: number) {}
  check = () => true;
  run(_m: Regions, r: ScriptBuilder): void {
    const size = BigInt(this.pages * this.page);
    for (let i = 0; i < 2; i++) r.ops.push({ kind: OP.MAP, dst: R_SCRATCH, a: 0n, b: size, c: BigInt(this.rw) }, { kind: OP.UNMAP, base: R_SCRATCH, a: 0n, b: size });
  }
  toString = () => `quotaCycle(${this.pages}p)`;
}

/**
 * Arguments the VM calls must refuse without side effects: unaligned, zero-sized, over quota
 * (VMX-1, VMX-5), and a commit of a page the script gave back with unmap just before (VMX-4).
 */
class RefusedOp implements VmCommand {
  constructor(readonly what: "unaligned" | "zero" | "overQuota" | "unreserved", readonly region: number, readonly page: number, readonly quotaPages: number, readonly rw: number) {}
  check = (m: Readonly<Regions>) => this.what === "overQuota" || (m.pages[this.region] ?? 0) > 0;
  run(m: Regions, r: ScriptBuilder): void {
    const base = this.region + 1;
    if (this.what === "overQuota") r.ops.push({ kind: OP.RESERVE, a: 0n, b: BigInt((this.quotaPages + 1) * this.page) });
    else if (this.what === "zero") r.ops.push({ kind: OP.DECOMMIT, base, a: 0n, b: 0n });
    else if (this.what === "unreserved") {
      const last = BigInt((m.pages[this.region]! - 1) * this.page);
      r.ops.push({ kind: OP.UNMAP, base, a: last, b: BigInt(this.page) }, { kind: OP.COMMIT, base, a: last, b: BigInt(this.page), c: BigInt(this.rw) });
      if (last === 0n) m.pages[this.region] = 0;
    }
    else r.ops.push({ kind: OP.PROTECT, base, a: 8n, b: BigInt(this.page), c: 1n });
  }
  toString = () => `refused-${this.what}(r${this.region + 1})`;
}

/**
 * A VirtualMemory command sequence that always starts with a region (no empty scripts),
 * sometimes followed by a quota cycle, and ends with a protect-then-access on it while it
 * lives: fc.commands alone often yields no commands at all.
 */
export interface VmCase {
  readonly first: VmCommand;
  readonly cycle: VmCommand | undefined;
  readonly commands: Iterable<VmCommand>;
  readonly last: VmCommand;
}

/** @param replayPath fc.commands' replayPath of a shrunk case being replayed (see `commandsPathOf`). */
export function vmCommands(b: Binding, replayPath?: string): fc.Arbitrary<VmCase> {
  const P = b.pageSize;
  const p = b.vm.prot;
  const prot = fc.constantFrom(p.none, p.read, p.read | p.write, p.read | p.exec);
  const region = fc.integer({ min: 0, max: MAX_REGIONS - 1 });
  const size = fc.constantFrom(1, 2, 4, 8);
  const protectThenAccess = fc
    .tuple(region, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(p.none, p.read, p.read | p.exec, p.read | p.write), fc.integer({ min: 0, max: 4 * P }), fc.boolean())
    .map(([r, f, c, pr, o, st]) => new ProtectThenAccess(r, f, c, pr, o, st, P));
  const refused = fc
    .tuple(fc.constantFrom<RefusedOp["what"]>("unaligned", "zero", "overQuota", "unreserved"), region)
    .map(([w, r]) => new RefusedOp(w, r, P, b.vm.reservedPageQuota, p.read | p.write));
  const commands = fc.commands(
    [
      fc.tuple(fc.constantFrom<"map" | "reserve">("map", "reserve"), fc.integer({ min: 1, max: 4 }), prot, fc.option(region, { nil: null })).map(([k, n, pr, h]) => new NewRegion(k, n, pr, P, h)),
      fc.tuple(fc.constantFrom<"commit" | "decommit" | "protect" | "unmap">("commit", "decommit", "protect", "unmap"), region, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), prot).map(
        ([op, r, f, c, pr]) => new RangeOp(op, r, f, c, pr, P),
      ),
      // Commit and decommit again: a page's life cycle (GO-3, GO-4) is where contents and charges change.
      fc.tuple(fc.constantFrom<"commit" | "decommit">("commit", "decommit"), region, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), prot).map(([op, r, f, c, pr]) => new RangeOp(op, r, f, c, pr, P)),
      fc.tuple(fc.boolean(), region, fc.integer({ min: 0, max: 4 * P - 1 }), size, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([st, r, o, s, v]) => new Access(st, r, o, s, v)),
      protectThenAccess,
      protectThenAccess,
      protectThenAccess,
      protectThenAccess,
      refused,
      refused,
    ],
    { maxCommands: 24, ...(replayPath !== undefined ? { replayPath } : {}) },
  );
  // A quota cycle commits more than the quota's worth of pages in all, which costs the
  // emulator and the model ~0.2 s: one case in ten has one.
  const cycle = new QuotaCycle(Math.floor(b.vm.committedPageQuota / 2) + 1, P, p.read | p.write);
  return fc.record({
    first: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom<["map" | "reserveCommit", number]>(["map", p.read | p.write], ["map", p.read | p.write], ["map", p.read], ["reserveCommit", p.read | p.write]))
      .map(([n, [k, pr]]) => new NewRegion(k, n, pr, P)),
    cycle: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(cycle) }),
    commands,
    last: protectThenAccess.map((c) => new ProtectThenAccess(0, c.first, c.count, c.prot, c.offset, c.store, P)),
  });
}

/**
 * The replayPath fast-check prints after a command sequence, in a comment `replayPath="..."`:
 * which commands ran at each shrink step, without which the case's path does not replay.
 */
export function commandsPathOf(c: VmCase): string | undefined {
  return /\/\*replayPath="([^"]*)"\*\//.exec(String(c.commands))?.[1];
}

/** Run the commands against fresh bookkeeping and return the script they build. */
export function buildVmScript(c: VmCase): ScriptOp[] {
  const real: ScriptBuilder = { ops: [] };
  const model: Regions = { pages: [] };
  c.first.run(model, real);
  c.cycle?.run(model, real);
  fc.modelRun(() => ({ model, real }), c.commands);
  if (c.last.check(model)) c.last.run(model, real);
  return real.ops;
}
