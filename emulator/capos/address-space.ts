/**
 * The process address space as the capOS personality sees it: the CPU's `Memory` (4 KiB pages
 * with R/W/X) plus the VirtualMemory capability's bookkeeping inside the VM window
 * (reserved / committed pages, their protection, quotas, first-fit placement, VMX-1..7) and
 * per-page generations for park keys (PARKX-7).
 *
 * Pages outside the window (image, stack, TLS area, rings, CapSet) are "static": mapped at
 * load, generation 0 forever, never touched by VirtualMemory.
 */
import type { Binding } from "../../spec/binding.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { DEFAULT_POLICY, type Policy } from "./policy.js";
import type { MutantName } from "./mutants.js";
import { PageRuns } from "./page-runs.js";

export type VmErrorKind = "invalidArgument" | "overloaded";

export class VmError {
  constructor(
    readonly kind: VmErrorKind,
    readonly message: string,
  ) {}
}

/**
 * A VirtualMemory page's state, one number per page (no object per page: a range is thousands):
 * RESERVED, or the binding prot bits it is committed with (an integer, so never RESERVED).
 */
type VmPage = number;
const RESERVED: VmPage = -0.5;

export interface MappingInfo {
  readonly addr: number;
  readonly pages: number;
  readonly state: "reserved" | "committed";
  /** Binding prot bits (committed ranges only; 0 for reserved). */
  readonly prot: number;
}

export class AddressSpace {
  /**
   * The memory, made on first use: a load from a template (image-cache.ts) brings its own
   * (startFrom), and an empty Memory built first would be thrown away (two per case).
   */
  private memory: Memory | null = null;
  /** VirtualMemory pages by page number: RESERVED or the committed prot (absent: neither). */
  private readonly vm = new PageRuns();
  /** Page generations (PARKX-7), bumped on the pages unmap and decommit drop; absent = 0. */
  private readonly gens = new PageRuns();
  reservedPages = 0;
  committedPages = 0;
  /** The seeded bug this address space runs with (mutants.ts), if any. */
  mutant: MutantName | null = null;
  private readonly P: number;

  constructor(
    readonly binding: Binding,
    /** The memory budget in pages (undefined: Memory's default). */
    readonly maxPages: number | undefined,
    private readonly placeMapping: Policy["placeMapping"] = DEFAULT_POLICY.placeMapping,
  ) {
    this.P = binding.pageSize;
  }

  get mem(): Memory {
    return this.memory ?? (this.memory = Memory.empty(this.maxPages));
  }

  /** Use `mem` (a memory started from a laid-out template, image-cache.ts) instead of an empty one; before the process runs. */
  startFrom(mem: Memory): void {
    this.memory = mem;
  }

  /**
   * The process is over and nothing will read its memory again: hand it back for reuse
   * (Memory.release). A later use finds a fresh empty memory, never the reused one.
   */
  release(): void {
    this.memory?.release();
    this.memory = null;
  }

  /** Memory permission bits for binding prot bits (VMX-6: readable iff not none). */
  memProt(prot: number): number {
    const p = this.binding.vm.prot;
    return (prot !== p.none ? PROT_READ : 0) | (prot & p.write ? PROT_WRITE : 0) | (prot & p.exec ? PROT_EXEC : 0);
  }

  /** Generation of the page holding `addr` (PARKX-7). */
  generation(addr: number): number {
    return this.gens.get(Math.floor(addr / this.P)) ?? 0;
  }

  /** True when [addr, addr+len) is user memory mapped with all of `need` (Memory PROT_* bits). */
  accessible(addr: number, len: number, need: number): boolean {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(len) || addr < 0 || len < 0) return false;
    if (addr + len > this.binding.layout.userAddressLimit) return false;
    if (len === 0) return true;
    const P = this.P;
    for (let pn = Math.floor(addr / P), last = Math.floor((addr + len - 1) / P); pn <= last; pn++) {
      const pg = this.mem.pages.get(pn);
      if (!pg || (pg.prot & need) !== need) return false;
    }
    return true;
  }

  private validProt(prot: number): boolean {
    const p = this.binding.vm.prot;
    if (this.mutant === "prot-unknown-bits-accepted") return Number.isInteger(prot); // MUTANT prot-unknown-bits-accepted
    return Number.isInteger(prot) && (prot & ~(p.read | p.write | p.exec)) === 0;
  }

  /** Check an explicit range: aligned, non-empty, page-multiple, inside the window (VMX-1). */
  private range(addr: bigint, size: bigint): { first: number; count: number } | VmError {
    const P = BigInt(this.P);
    const L = this.binding.layout;
    if (size === 0n || size % P !== 0n) return new VmError("invalidArgument", `size ${size} is 0 or not a page multiple`);
    if (addr % P !== 0n && this.mutant === "vm-unaligned-accepted") addr -= addr % P; // MUTANT vm-unaligned-accepted
    if (addr % P !== 0n) return new VmError("invalidArgument", `address 0x${addr.toString(16)} is not page aligned`);
    if (addr < BigInt(L.vmWindowBase) || addr + size > BigInt(L.vmWindowEnd))
      return new VmError("invalidArgument", `range 0x${addr.toString(16)}+0x${size.toString(16)} is outside the VM window`);
    return { first: Number(addr / P), count: Number(size / P) };
  }

  /** Placement of a new range (VMX-2): the policy is `placeMapping` in policy.ts. */
  private place(hint: bigint, count: number): number | null {
    const P = this.P;
    const L = this.binding.layout;
    const hintOk = hint % BigInt(P) === 0n && hint >= BigInt(L.vmWindowBase) && hint + BigInt(count * P) <= BigInt(L.vmWindowEnd);
    if (hintOk && this.mutant === "map-overlaps") return Number(hint / BigInt(P)); // MUTANT map-overlaps: no check that the hint is free
    return this.placeMapping(hintOk ? Number(hint / BigInt(P)) : null, count, L.vmWindowBase / P, L.vmWindowEnd / P, this.vm);
  }

  private sizeCheck(size: bigint): number | VmError {
    const P = BigInt(this.P);
    if (size === 0n || size % P !== 0n) return new VmError("invalidArgument", `size ${size} is 0 or not a page multiple`);
    const L = this.binding.layout;
    if (size > BigInt(L.vmWindowEnd - L.vmWindowBase)) return new VmError("overloaded", `size 0x${size.toString(16)} exceeds the VM window`);
    return Number(size / P);
  }

  reserve(hint: bigint, size: bigint): bigint | VmError {
    const count = this.sizeCheck(size);
    if (count instanceof VmError) return count;
    if (this.reservedPages + count > this.binding.vm.reservedPageQuota && this.mutant !== "reserve-quota-unchecked") // MUTANT reserve-quota-unchecked
      return new VmError("overloaded", `reserved-page quota ${this.binding.vm.reservedPageQuota} exceeded`);
    const first = this.place(hint, count);
    if (first === null) return new VmError("overloaded", "no free range in the VM window");
    this.vm.set(first, first + count, RESERVED);
    this.reservedPages += count;
    if (this.mutant === "reserve-commits") this.mem.map(first * this.P, count * this.P, PROT_READ | PROT_WRITE); // MUTANT reserve-commits
    return BigInt(first) * BigInt(this.P);
  }

  map(hint: bigint, size: bigint, prot: number): bigint | VmError {
    const count = this.sizeCheck(size);
    if (count instanceof VmError) return count;
    if (!this.validProt(prot)) return new VmError("invalidArgument", `prot ${prot} has unknown bits`);
    if (this.committedPages + count > this.binding.vm.committedPageQuota && this.mutant !== "commit-quota-unchecked") // MUTANT commit-quota-unchecked
      return new VmError("overloaded", `committed-page quota ${this.binding.vm.committedPageQuota} exceeded`);
    const r = this.reserve(hint, size);
    if (r instanceof VmError) return r;
    const p = this.binding.vm.prot;
    const c = this.commit(r, size, this.mutant === "map-ignores-prot" ? p.read | p.write : prot); // MUTANT map-ignores-prot
    if (c instanceof VmError) {
      this.unmap(r, size);
      return c;
    }
    return r;
  }

  commit(addr: bigint, size: bigint, prot: number): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    if (!this.validProt(prot)) return new VmError("invalidArgument", `prot ${prot} has unknown bits`);
    const lo = r.first, hi = r.first + r.count;
    if (this.mutant === "commit-unreserved") {
      // MUTANT commit-unreserved: an unreserved page is reserved on the fly.
      for (let pn = this.vm.firstMissing(lo, hi); pn < hi; pn = this.vm.firstMissing(pn, hi)) {
        const end = Math.min(hi, this.nextHeld(pn));
        this.vm.set(pn, end, RESERVED);
        this.reservedPages += end - pn;
        pn = end;
      }
    }
    const missing = this.vm.firstMissing(lo, hi);
    if (missing < hi) return new VmError("invalidArgument", `page 0x${(missing * this.P).toString(16)} is not reserved`);
    // the range's not-yet-committed pages (runs), found once (a range may be thousands of pages)
    const held = this.vm.runsIn(lo, hi);
    const freshRuns: number[] = [], wasCommitted: number[] = [];
    let fresh = 0;
    for (let i = 0; i < held.length; i += 3) {
      const runs = held[i + 2] === RESERVED ? freshRuns : wasCommitted;
      runs.push(held[i]!, held[i + 1]!);
      if (runs === freshRuns) fresh += held[i + 1]! - held[i]!;
    }
    if (this.committedPages + fresh > this.binding.vm.committedPageQuota && this.mutant !== "commit-quota-unchecked") // MUTANT commit-quota-unchecked
      return new VmError("overloaded", `committed-page quota ${this.binding.vm.committedPageQuota} exceeded`);
    const mp = this.memProt(prot);
    const P = this.P;
    // Map fresh pages first (may throw MemoryBudgetExceeded before any bookkeeping changes).
    if (this.mutant === "decommit-keeps-contents") {
      const done: number[] = []; // runs of the pages handled so far, undone if one fails
      try {
        for (let i = 0; i < freshRuns.length; i += 2)
          for (let pn = freshRuns[i]!; pn < freshRuns[i + 1]!; pn++) {
            // MUTANT decommit-keeps-contents: a page decommit left mapped gets its access back, bytes and all.
            if (this.mem.pages.has(pn)) this.mem.protect(pn * P, P, mp);
            else this.mem.map(pn * P, P, mp);
            addRun(done, pn, pn + 1);
          }
      } catch (e) {
        forRunPairs(done, (pn, n) => this.mem.unmap(pn * P, n * P));
        throw e;
      }
    } else {
      // Adjacent fresh pages in one call each (runs are maximal: reserved runs never touch):
      // the same pages as one call per page (a run over the budget maps none of its pages),
      // without a TLB flush per page.
      let i = 0;
      try {
        for (; i < freshRuns.length; i += 2) this.mem.map(freshRuns[i]! * P, (freshRuns[i + 1]! - freshRuns[i]!) * P, mp);
      } catch (e) {
        for (let u = 0; u < i; u += 2) this.mem.unmap(freshRuns[u]! * P, (freshRuns[u + 1]! - freshRuns[u]!) * P);
        throw e;
      }
    }
    this.vm.set(lo, hi, prot);
    forRunPairs(joinRuns(wasCommitted), (pn, n) => this.mem.protect(pn * P, n * P, mp));
    this.committedPages += fresh;
    return null;
  }

  /** The first page at or after `pn` that the VM map holds (Infinity when none). */
  private nextHeld(pn: number): number {
    const held = this.vm.runsIn(pn, Infinity);
    return held.length > 0 ? held[0]! : Infinity;
  }

  protect(addr: bigint, size: bigint, prot: number): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    if (!this.validProt(prot)) return new VmError("invalidArgument", `prot ${prot} has unknown bits`);
    const lo = r.first, hi = r.first + r.count;
    const notCommitted = this.firstNotCommitted(lo, hi);
    if (notCommitted < hi) return new VmError("invalidArgument", `page 0x${(notCommitted * this.P).toString(16)} is not committed`);
    const P = this.P;
    const n = this.mutant === "protect-skips-last-page" ? r.count - 1 : r.count; // MUTANT protect-skips-last-page
    if (this.mutant !== "protect-keeps-write") {
      // One protection for the whole range: one call (one TLB flush), as the per-page calls would leave it.
      if (n > 0) {
        this.vm.set(lo, lo + n, prot);
        this.mem.protect(lo * P, n * P, this.memProt(prot));
      }
      return null;
    }
    for (let i = 0; i < n; i++) {
      const pn = r.first + i;
      let mp = this.memProt(prot);
      // MUTANT protect-keeps-write: a writable page stays writable whatever prot says.
      const old = this.mem.pages.get(pn)?.prot ?? 0;
      if (old & PROT_WRITE) mp |= PROT_WRITE | PROT_READ;
      this.vm.set(pn, pn + 1, prot);
      this.mem.protect(pn * P, P, mp);
    }
    return null;
  }

  /** The first page of [lo, hi) that is not committed (absent or only reserved), or hi. */
  private firstNotCommitted(lo: number, hi: number): number {
    const missing = this.vm.firstMissing(lo, hi);
    const held = this.vm.runsIn(lo, missing, scratchRuns);
    for (let i = 0; i < held.length; i += 3) if (held[i + 2] === RESERVED) return held[i]!;
    return missing;
  }

  decommit(addr: bigint, size: bigint): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    const lo = r.first, hi = r.first + r.count;
    const missing = this.vm.firstMissing(lo, hi);
    if (missing < hi) return new VmError("invalidArgument", `page 0x${(missing * this.P).toString(16)} is not reserved`);
    const P = this.P;
    const dropped: number[] = [];
    const held = this.vm.runsIn(lo, hi, []);
    for (let i = 0; i < held.length; i += 3) {
      if (held[i + 2] === RESERVED) continue;
      const a = held[i]!, b = held[i + 1]!;
      if (this.mutant === "decommit-keeps-contents") for (let pn = a; pn < b; pn++) this.mem.protect(pn * P, P, 0); // MUTANT decommit-keeps-contents
      else addRun(dropped, a, b);
      this.committedPages -= b - a;
    }
    this.gens.bumpWhere(this.vm, lo, hi, 0);
    this.vm.set(lo, hi, RESERVED);
    forRunPairs(dropped, (pn, n) => this.mem.unmap(pn * P, n * P));
    return null;
  }

  unmap(addr: bigint, size: bigint): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    const P = this.P;
    const n = this.mutant === "unmap-skips-last-page" ? r.count - 1 : r.count; // MUTANT unmap-skips-last-page
    const lo = r.first, hi = r.first + Math.max(0, n);
    const dropped: number[] = [];
    const held = this.vm.runsIn(lo, hi, []);
    for (let i = 0; i < held.length; i += 3) {
      const a = held[i]!, b = held[i + 1]!;
      const committed = held[i + 2] !== RESERVED;
      if (committed) addRun(dropped, a, b);
      else this.mappedIn(a, b, dropped); // a reserved page some load or mutant left mapped
      if (committed && this.mutant !== "unmap-leaks-commit-charge") this.committedPages -= b - a; // MUTANT unmap-leaks-commit-charge
      this.reservedPages -= b - a;
    }
    this.gens.bumpWhere(this.vm, lo, hi, 0);
    this.vm.delete(lo, hi);
    forRunPairs(dropped, (pn, n) => this.mem.unmap(pn * P, n * P));
    return null;
  }

  /**
   * Add to `runs` the pages of [a, b) the memory has mapped, in ascending order: by page when
   * the range is the smaller, else by the memory's pages (a reserved range may be thousands).
   */
  private mappedIn(a: number, b: number, runs: number[]): void {
    const pages = this.mem.pages;
    if (b - a <= pages.size) {
      for (let pn = a; pn < b; pn++) if (pages.has(pn)) addRun(runs, pn, pn + 1);
      return;
    }
    const found: number[] = [];
    for (const pn of pages.keys()) if (pn >= a && pn < b) found.push(pn);
    found.sort((x, y) => x - y);
    for (const pn of found) addRun(runs, pn, pn + 1);
  }

  /** VirtualMemory ranges, coalesced, in address order. */
  mappings(): MappingInfo[] {
    const out: MappingInfo[] = [];
    const held = this.vm.runsIn(-Infinity, Infinity, []);
    let cur: { addr: number; pages: number; state: "reserved" | "committed"; prot: number; next: number } | null = null;
    for (let i = 0; i < held.length; i += 3) {
      const pn = held[i]!, pages = held[i + 1]! - pn, pg = held[i + 2]!;
      const state = pg !== RESERVED ? "committed" : "reserved";
      const prot = pg !== RESERVED ? pg : 0;
      if (cur && cur.next === pn && cur.state === state && cur.prot === prot) {
        cur.pages += pages;
        cur.next += pages;
        continue;
      }
      if (cur) out.push({ addr: cur.addr, pages: cur.pages, state: cur.state, prot: cur.prot });
      cur = { addr: pn * this.P, pages, state, prot, next: pn + pages };
    }
    if (cur) out.push({ addr: cur.addr, pages: cur.pages, state: cur.state, prot: cur.prot });
    return out;
  }
}

/** Append pages [a, b) to `runs` (flat start, end pairs, ascending), joining a run it continues. */
function addRun(runs: number[], a: number, b: number): void {
  const n = runs.length;
  if (n > 0 && runs[n - 1] === a) runs[n - 1] = b;
  else runs.push(a, b);
}

/** `runs` (flat start, end pairs, ascending) with touching runs joined: maximal runs of consecutive pages. */
function joinRuns(runs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs.length; i += 2) addRun(out, runs[i]!, runs[i + 1]!);
  return out;
}

/** Call `f(first, count)` once per run of `runs` (flat start, end pairs). */
function forRunPairs(runs: readonly number[], f: (first: number, count: number) => void): void {
  for (let i = 0; i < runs.length; i += 2) f(runs[i]!, runs[i + 1]! - runs[i]!);
}
const scratchRuns: number[] = [];
