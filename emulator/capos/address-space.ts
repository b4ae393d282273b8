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
  private readonly vm = new Map<number, VmPage>();
  private readonly gens = new Map<number, number>();
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
  private bump(pn: number): void {
    this.gens.set(pn, (this.gens.get(pn) ?? 0) + 1);
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
    for (let i = 0; i < count; i++) this.vm.set(first + i, RESERVED);
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
    let fresh = 0;
    // the range's not-yet-committed pages, found once (a range may be thousands of pages)
    const freshPages: number[] = [];
    for (let i = 0; i < r.count; i++) {
      let pg = this.vm.get(r.first + i);
      if (pg === undefined && this.mutant === "commit-unreserved") {
        // MUTANT commit-unreserved: an unreserved page is reserved on the fly.
        pg = RESERVED;
        this.vm.set(r.first + i, pg);
        this.reservedPages++;
      }
      if (pg === undefined) return new VmError("invalidArgument", `page 0x${((r.first + i) * this.P).toString(16)} is not reserved`);
      if (pg === RESERVED) {
        fresh++;
        freshPages.push(r.first + i);
      }
    }
    if (this.committedPages + fresh > this.binding.vm.committedPageQuota && this.mutant !== "commit-quota-unchecked") // MUTANT commit-quota-unchecked
      return new VmError("overloaded", `committed-page quota ${this.binding.vm.committedPageQuota} exceeded`);
    const mp = this.memProt(prot);
    const P = this.P;
    // Map fresh pages first (may throw MemoryBudgetExceeded before any bookkeeping changes).
    let mapped = 0;
    try {
      if (this.mutant === "decommit-keeps-contents") {
        for (const pn of freshPages) {
          // MUTANT decommit-keeps-contents: a page decommit left mapped gets its access back, bytes and all.
          if (this.mem.pages.has(pn)) this.mem.protect(pn * P, P, mp);
          else this.mem.map(pn * P, P, mp);
          mapped++;
        }
      } else {
        // Adjacent fresh pages in one call each: the same pages as one call per page (a run over
        // the budget maps none of its pages), without a TLB flush per page.
        forRuns(freshPages, (pn, n) => {
          this.mem.map(pn * P, n * P, mp);
          mapped += n;
        });
      }
    } catch (e) {
      forRuns(freshPages.slice(0, mapped), (pn, n) => this.mem.unmap(pn * P, n * P));
      throw e;
    }
    const wasCommitted: number[] = [];
    for (let i = 0; i < r.count; i++) {
      const pn = r.first + i;
      if (this.vm.get(pn) !== RESERVED) wasCommitted.push(pn);
      this.vm.set(pn, prot);
    }
    forRuns(wasCommitted, (pn, n) => this.mem.protect(pn * P, n * P, mp));
    this.committedPages += fresh;
    return null;
  }

  protect(addr: bigint, size: bigint, prot: number): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    if (!this.validProt(prot)) return new VmError("invalidArgument", `prot ${prot} has unknown bits`);
    for (let i = 0; i < r.count; i++) {
      const pg = this.vm.get(r.first + i);
      if (pg === undefined || pg === RESERVED) return new VmError("invalidArgument", `page 0x${((r.first + i) * this.P).toString(16)} is not committed`);
    }
    const P = this.P;
    const n = this.mutant === "protect-skips-last-page" ? r.count - 1 : r.count; // MUTANT protect-skips-last-page
    if (this.mutant !== "protect-keeps-write") {
      // One protection for the whole range: one call (one TLB flush), as the per-page calls would leave it.
      for (let i = 0; i < n; i++) this.vm.set(r.first + i, prot);
      if (n > 0) this.mem.protect(r.first * P, n * P, this.memProt(prot));
      return null;
    }
    for (let i = 0; i < n; i++) {
      const pn = r.first + i;
      let mp = this.memProt(prot);
      // MUTANT protect-keeps-write: a writable page stays writable whatever prot says.
      const old = this.mem.pages.get(pn)?.prot ?? 0;
      if (old & PROT_WRITE) mp |= PROT_WRITE | PROT_READ;
      this.vm.set(pn, prot);
      this.mem.protect(pn * P, P, mp);
    }
    return null;
  }

  decommit(addr: bigint, size: bigint): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    for (let i = 0; i < r.count; i++)
      if (!this.vm.has(r.first + i)) return new VmError("invalidArgument", `page 0x${((r.first + i) * this.P).toString(16)} is not reserved`);
    const P = this.P;
    const dropped: number[] = [];
    for (let i = 0; i < r.count; i++) {
      const pn = r.first + i;
      if (this.vm.get(pn) !== RESERVED) {
        if (this.mutant === "decommit-keeps-contents") this.mem.protect(pn * P, P, 0); // MUTANT decommit-keeps-contents
        else dropped.push(pn);
        this.committedPages--;
      }
      this.vm.set(pn, RESERVED);
      this.bump(pn);
    }
    forRuns(dropped, (pn, n) => this.mem.unmap(pn * P, n * P));
    return null;
  }

  unmap(addr: bigint, size: bigint): null | VmError {
    const r = this.range(addr, size);
    if (r instanceof VmError) return r;
    const P = this.P;
    const n = this.mutant === "unmap-skips-last-page" ? r.count - 1 : r.count; // MUTANT unmap-skips-last-page
    const dropped: number[] = [];
    for (let i = 0; i < n; i++) {
      const pn = r.first + i;
      const pg = this.vm.get(pn);
      if (pg === undefined) continue;
      const committed = pg !== RESERVED;
      if (committed || this.mem.pages.has(pn)) dropped.push(pn);
      if (committed && this.mutant !== "unmap-leaks-commit-charge") this.committedPages--; // MUTANT unmap-leaks-commit-charge
      this.reservedPages--;
      this.vm.delete(pn);
      this.bump(pn);
    }
    forRuns(dropped, (pn, n) => this.mem.unmap(pn * P, n * P));
    return null;
  }

  /** VirtualMemory ranges, coalesced, in address order. */
  mappings(): MappingInfo[] {
    const out: MappingInfo[] = [];
    const pns = [...this.vm.keys()].sort((a, b) => a - b);
    let cur: { addr: number; pages: number; state: "reserved" | "committed"; prot: number; next: number } | null = null;
    for (const pn of pns) {
      const pg = this.vm.get(pn)!;
      const state = pg !== RESERVED ? "committed" : "reserved";
      const prot = pg !== RESERVED ? pg : 0;
      if (cur && cur.next === pn && cur.state === state && cur.prot === prot) {
        cur.pages++;
        cur.next++;
        continue;
      }
      if (cur) out.push({ addr: cur.addr, pages: cur.pages, state: cur.state, prot: cur.prot });
      cur = { addr: pn * this.P, pages: 1, state, prot, next: pn + 1 };
    }
    if (cur) out.push({ addr: cur.addr, pages: cur.pages, state: cur.state, prot: cur.prot });
    return out;
  }
}

/** Call `f(first, count)` once per run of consecutive page numbers in `pns` (ascending). */
function forRuns(pns: readonly number[], f: (first: number, count: number) => void): void {
  let i = 0;
  while (i < pns.length) {
    let j = i + 1;
    while (j < pns.length && pns[j] === pns[j - 1]! + 1) j++;
    f(pns[i]!, j - i);
    i = j;
  }
}
