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

class NewRegion implements VmCommand {
  constructor(readonly kind: "map" | "reserve", readonly pages: number, readonly prot: number, readonly page: number) {}
  check = (m: Readonly<Regions>) => m.pages.length < MAX_REGIONS;
  run(m: Regions, r: ScriptBuilder): void {
    const dst = m.pages.length + 1;
    const size = BigInt(this.pages * this.page);
    r.ops.push(this.kind === "map" ? { kind: OP.MAP, dst, a: 0n, b: size, c: BigInt(this.prot) } : { kind: OP.RESERVE, dst, a: 0n, b: size });
    m.pages.push(this.pages);
  }
  toString = () => `${this.kind}(${this.pages}p${this.kind === "map" ? `, prot ${this.prot}` : ""})`;
}

class RangeOp implements VmCommand {
  constructor(readonly op: "commit" | "decommit" | "protect" | "unmap", readonly region: number, readonly first: number, readonly count: number, readonly prot: number, readonly page: number) {}
  check = (m: Readonly<Regions>) => (m.pages[this.region] ?? 0) > 0;
  run(m: Regions, r: ScriptBuilder): void {
    const pages = m.pages[this.region]!;
    const first = this.first % pages;
    const count = Math.max(1, Math.min(this.count, pages - first));
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

export function vmCommands(b: Binding): fc.Arbitrary<Iterable<VmCommand>> {
  const P = b.pageSize;
  const p = b.vm.prot;
  const prot = fc.constantFrom(p.none, p.read, p.read | p.write, p.read | p.exec);
  const region = fc.integer({ min: 0, max: MAX_REGIONS - 1 });
  const size = fc.constantFrom(1, 2, 4, 8);
  return fc.commands(
    [
      fc.tuple(fc.constantFrom<"map" | "reserve">("map", "reserve"), fc.integer({ min: 1, max: 4 }), prot).map(([k, n, pr]) => new NewRegion(k, n, pr, P)),
      fc.tuple(fc.constantFrom<"commit" | "decommit" | "protect" | "unmap">("commit", "decommit", "protect", "unmap"), region, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), prot).map(
        ([op, r, f, c, pr]) => new RangeOp(op, r, f, c, pr, P),
      ),
      fc.tuple(fc.boolean(), region, fc.integer({ min: 0, max: 4 * P - 1 }), size, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([st, r, o, s, v]) => new Access(st, r, o, s, v)),
    ],
    { maxCommands: 24 },
  );
}

/** Run the commands against fresh bookkeeping and return the script they build. */
export function buildVmScript(cmds: Iterable<VmCommand>): ScriptOp[] {
  const real: ScriptBuilder = { ops: [] };
  fc.modelRun(() => ({ model: { pages: [] }, real }), cmds);
  return real.ops;
}
