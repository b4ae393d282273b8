/**
 * The VirtualMemory window of one address space: reservation, commitment, protection, page
 * contents and the per-page generation that keys park waiters.
 *
 * Immutable: every operation returns a new AddressSpace (page maps are copied, page bytes are
 * copied on write). State is per page; `regions` merges equal neighbours into ranges for
 * descriptions, so range splitting and merging are the page map's natural behaviour.
 *
 * @clause VM-1 VM-2 VM-3 VM-4 VM-5 VMX-1 VMX-2 VMX-3 VMX-4 VMX-5 VMX-6 VMX-7 GO-2 GO-3 GO-4 GO-5 GO-6 PARKX-7
 */
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";

export type PageState = "reserved" | "committed";

export interface Page {
  readonly state: PageState;
  /** Protection bits (binding.vm.prot); meaningful for committed pages. */
  readonly prot: number;
  /** Contents of a committed page; undefined means all zero (GO-3). */
  readonly data?: Uint8Array;
}

/** Pages [first, end) (page numbers), all in one state with one protection. */
export interface PageRun {
  readonly first: number;
  readonly end: number;
  readonly state: PageState;
  readonly prot: number;
}

/** Pages [first, end) (page numbers), all of generation `gen`. */
export interface GenRun {
  readonly first: number;
  readonly end: number;
  readonly gen: number;
}

/**
 * State is per page, stored as runs: a quota-sized reserve or unmap is one run, not thousands
 * of page entries, and every edit copies runs, not pages. Runs are kept maximal (adjacent runs
 * differ or have a gap between them), so equal page maps have equal run lists.
 */
export interface AddressSpace {
  /** Address space id: the first component of a park key (PARKX-7). */
  readonly id: number;
  /** The live pages: sorted, disjoint, maximal runs of equal state and protection (the regions). Pages in no run are free. */
  readonly runs: readonly PageRun[];
  /** Page number -> contents of a committed page that was written; absent means all zero (GO-3). */
  readonly data: ReadonlyMap<number, Uint8Array>;
  /** Sorted, disjoint, maximal runs of pages of equal generation; bumped by unmap and decommit (PARKX-7). Pages in no run: generation 0. */
  readonly gens: readonly GenRun[];
  readonly reservedPages: number;
  readonly committedPages: number;
}

export type ExceptionName = "invalidArgument" | "overloaded";

/** Outcome of a VirtualMemory method. `drained` is the address range whose park waiters must be drained. */
export type VmResult =
  | { readonly ok: true; readonly as: AddressSpace; readonly value: bigint; readonly drained?: readonly [number, number] }
  | { readonly ok: false; readonly exc: ExceptionName; readonly why: string }
  /** The implementation's chosen address breaks the placement rule (VMX-2): no allowed run reports it. */
  | { readonly ok: false; readonly exc: "badPlacement"; readonly why: string };

export type Access = "read" | "write" | "exec";

export type AccessResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: "#PF"; readonly addr: number; readonly access: Access };

export function emptyAddressSpace(id = 1): AddressSpace {
  return { id, runs: [], data: new Map(), gens: [], reservedPages: 0, committedPages: 0 };
}

function fail(exc: ExceptionName, why: string): VmResult {
  return { ok: false, exc, why };
}

/** Index of the first run that ends after page `p` (runs sorted and disjoint). */
function firstEndingAfter(runs: readonly { readonly end: number }[], p: number): number {
  let lo = 0, hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid]!.end <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The run holding page `p`, if the page is live. */
function runAt(as: AddressSpace, p: number): PageRun | undefined {
  const r = as.runs[firstEndingAfter(as.runs, p)];
  return r && r.first <= p ? r : undefined;
}

/** Page `p` (state, protection, contents), undefined when free. */
export function pageAt(as: AddressSpace, p: number): Page | undefined {
  const r = runAt(as, p);
  if (!r) return undefined;
  const data = as.data.get(p);
  return data ? { state: r.state, prot: r.prot, data } : { state: r.state, prot: r.prot };
}

/** The first page of [first, end) that is free, or of a run `skip` passes over; undefined if none. */
function firstPageNot(as: AddressSpace, first: number, end: number, skip: (r: PageRun) => boolean): number | undefined {
  let p = first;
  for (let i = firstEndingAfter(as.runs, first); i < as.runs.length && p < end; i++) {
    const r = as.runs[i]!;
    if (r.first > p || !skip(r)) return p;
    p = r.end;
  }
  return p < end ? p : undefined;
}

/** The parts of the runs inside [first, end), in order. */
function runsIn(as: AddressSpace, first: number, end: number): { run: PageRun; from: number; to: number }[] {
  const out: { run: PageRun; from: number; to: number }[] = [];
  for (let i = firstEndingAfter(as.runs, first); i < as.runs.length && as.runs[i]!.first < end; i++) {
    const r = as.runs[i]!;
    out.push({ run: r, from: Math.max(r.first, first), to: Math.min(r.end, end) });
  }
  return out;
}

/** Appends run `r` to `out`, merged with the last run when adjacent and equal (so runs stay maximal). */
function pushRun(out: PageRun[], first: number, end: number, state: PageState, prot: number): void {
  if (first >= end) return;
  const last = out[out.length - 1];
  if (last && last.end === first && last.state === state && last.prot === prot) out[out.length - 1] = { first: last.first, end, state, prot };
  else out.push({ first, end, state, prot });
}

/** `runs` with pages [first, end) set to (state, prot), or freed when `state` is null. */
function setRange(runs: readonly PageRun[], first: number, end: number, state: PageState | null, prot: number): PageRun[] {
  const out: PageRun[] = [];
  let i = 0;
  for (; i < runs.length && runs[i]!.end <= first; i++) out.push(runs[i]!);
  // A run that starts before the range keeps its part before it.
  if (i < runs.length && runs[i]!.first < first) pushRun(out, runs[i]!.first, first, runs[i]!.state, runs[i]!.prot);
  if (state !== null) pushRun(out, first, end, state, prot);
  while (i < runs.length && runs[i]!.end <= end) i++;
  // A run that ends after the range keeps its part after it.
  if (i < runs.length && runs[i]!.first < end) {
    pushRun(out, end, runs[i]!.end, runs[i]!.state, runs[i]!.prot);
    i++;
  }
  for (; i < runs.length; i++) pushRun(out, runs[i]!.first, runs[i]!.end, runs[i]!.state, runs[i]!.prot);
  return out;
}

/** `gens` with the generation of every page in [first, end) one higher. */
function bumpGens(gens: readonly GenRun[], first: number, end: number): GenRun[] {
  const out: GenRun[] = [];
  // `at`: the first page of [first, end) not yet written out.
  let at = first;
  for (const g of gens) {
    if (g.end <= first) pushGen(out, g.first, g.end, g.gen);
    else if (g.first >= end) {
      pushGen(out, at, end, 1);
      at = end;
      pushGen(out, g.first, g.end, g.gen);
    } else {
      pushGen(out, g.first, first, g.gen);
      const from = Math.max(g.first, first);
      const to = Math.min(g.end, end);
      pushGen(out, at, from, 1);
      pushGen(out, from, to, g.gen + 1);
      at = to;
      pushGen(out, end, g.end, g.gen);
    }
  }
  pushGen(out, at, end, 1);
  return out;
}

/** Append generation run [f, e) to `out`, merged with the last run when they touch and agree (bumpGens; a function, not a closure per call). */
function pushGen(out: GenRun[], f: number, e: number, gen: number): void {
  if (f >= e) return;
  const last = out[out.length - 1];
  if (last && last.end === f && last.gen === gen) out[out.length - 1] = { first: last.first, end: e, gen };
  else out.push({ first: f, end: e, gen });
}

/** The address space with page map `pages` and generations `gens` (page number -> page or generation; a test's and a reader's view). */
export function fromPages(id: number, pages: ReadonlyMap<number, Page>, gens: ReadonlyMap<number, number>): AddressSpace {
  const runs: PageRun[] = [];
  const data = new Map<number, Uint8Array>();
  let reservedPages = 0, committedPages = 0;
  for (const p of [...pages.keys()].sort((x, y) => x - y)) {
    const pg = pages.get(p)!;
    pushRun(runs, p, p + 1, pg.state, pg.prot);
    if (pg.data) data.set(p, pg.data);
    reservedPages++;
    if (pg.state === "committed") committedPages++;
  }
  const genRuns: GenRun[] = [];
  for (const p of [...gens.keys()].sort((x, y) => x - y)) {
    const gen = gens.get(p)!;
    const last = genRuns[genRuns.length - 1];
    if (last && last.end === p && last.gen === gen) genRuns[genRuns.length - 1] = { first: last.first, end: p + 1, gen };
    else genRuns.push({ first: p, end: p + 1, gen });
  }
  return { id, runs, data, gens: genRuns, reservedPages, committedPages };
}

/** Every live page by page number, and every page's generation other than 0 (the per-page view `fromPages` reads). */
export function pagesOf(as: AddressSpace): { pages: Map<number, Page>; gens: Map<number, number> } {
  const pages = new Map<number, Page>();
  for (const r of as.runs) for (let p = r.first; p < r.end; p++) pages.set(p, pageAt(as, p)!);
  const gens = new Map<number, number>();
  for (const g of as.gens) for (let p = g.first; p < g.end; p++) gens.set(p, g.gen);
  return { pages, gens };
}

/** Generation of the page holding `addr` (PARKX-7). */
export function generationAt(as: AddressSpace, addr: number, b: Binding = DEFAULT_BINDING): number {
  const p = Math.floor(addr / b.pageSize);
  const g = as.gens[firstEndingAfter(as.gens, p)];
  return g && g.first <= p ? g.gen : 0;
}

/**
 * Common argument checks of the range methods.
 * @clause VMX-1 VMX-3
 * Step 1 (VMX-1): size 0, a size that is not a page multiple, or an unaligned address is invalidArgument.
 * Step 2 (decision, VMX-3 speaks only of ranges "inside the window"): a range that leaves
 * [vmWindowBase, vmWindowEnd) is invalidArgument.
 */
function checkRange(addr: bigint, size: bigint, b: Binding): { first: number; count: number } | string {
  const P = BigInt(b.pageSize);
  if (size === 0n || size % P !== 0n) return `size 0x${size.toString(16)} is not a non-zero page multiple (VMX-1)`;
  if (addr % P !== 0n) return `address 0x${addr.toString(16)} is not page aligned (VMX-1)`;
  if (addr < BigInt(b.layout.vmWindowBase) || addr + size > BigInt(b.layout.vmWindowEnd))
    return `range [0x${addr.toString(16)}, 0x${(addr + size).toString(16)}) leaves the VM window`;
  return { first: Number(addr / P), count: Number(size / P) };
}

/** @clause VMX-7: prot values outside read|write|exec are invalidArgument. */
function protProblem(prot: bigint, b: Binding): string | undefined {
  const all = BigInt(b.vm.prot.read | b.vm.prot.write | b.vm.prot.exec);
  return (prot & ~all) !== 0n ? `prot 0x${prot.toString(16)} has bits outside read|write|exec (VMX-7)` : undefined;
}

/** The first live page in [first, first + count), if any. */
function firstLivePage(as: AddressSpace, first: number, count: number): number | undefined {
  const r = as.runs[firstEndingAfter(as.runs, first)];
  return r && r.first < first + count ? Math.max(r.first, first) : undefined;
}

/**
 * Why map/reserve may not place `count` pages at `addr`, or undefined when it may.
 * @clause VMX-2
 * The rule (what every implementation must do): the range is page aligned, lies inside
 * [vmWindowBase, vmWindowEnd) and overlaps no reserved or committed page. The hint is
 * advisory: the manual does not say an implementation must honour it, so any such range is
 * allowed, wherever the hint points.
 */
export function placementProblem(as: AddressSpace, addr: bigint, count: number, b: Binding = DEFAULT_BINDING): string | undefined {
  const P = BigInt(b.pageSize);
  const hex = (x: bigint) => "0x" + x.toString(16);
  if (addr % P !== 0n) return `${hex(addr)} is not page aligned (VMX-2)`;
  const end = addr + BigInt(count) * P;
  if (addr < BigInt(b.layout.vmWindowBase) || end > BigInt(b.layout.vmWindowEnd)) return `[${hex(addr)}, ${hex(end)}) leaves the VM window (VMX-2)`;
  const live = firstLivePage(as, Number(addr / P), count);
  if (live !== undefined) return `[${hex(addr)}, ${hex(end)}) overlaps the live page ${hex(BigInt(live) * P)} (VMX-2)`;
  return undefined;
}

/**
 * Where the reference emulator places `count` pages: its PROVISIONAL default, one of the
 * choices `placementProblem` allows (the checker uses it only when the implementation's own
 * choice was never observed).
 * @clause VMX-2
 * Step 1: at the hint if it is page aligned, inside the window and entirely free.
 * Step 2: otherwise at the lowest free page-aligned address in the window (first fit).
 * Step 3 (decision): no room is CapException overloaded.
 */
export function placement(as: AddressSpace, hint: bigint, count: number, b: Binding = DEFAULT_BINDING): number | undefined {
  const P = b.pageSize;
  const lo = b.layout.vmWindowBase / P;
  const hi = b.layout.vmWindowEnd / P;
  // Step 1.
  if (hint % BigInt(P) === 0n && hint >= BigInt(b.layout.vmWindowBase) && hint + BigInt(count * P) <= BigInt(b.layout.vmWindowEnd)) {
    const h = Number(hint / BigInt(P));
    if (firstLivePage(as, h, count) === undefined) return h;
  }
  // Step 2: walk the live runs in order; the first gap of `count` pages wins.
  let candidate = lo;
  for (const r of as.runs) {
    if (r.end <= candidate) continue;
    if (r.first >= candidate && r.first - candidate >= count) break;
    candidate = r.end;
  }
  return candidate + count <= hi ? candidate : undefined;
}

/**
 * VirtualMemory.reserve(hint, size) -> addr.
 * @clause GO-2 VMX-1 VMX-2 VMX-5 VM-3
 * Step 1 (VMX-1): size must be a non-zero page multiple (the hint is advisory, VMX-2).
 * Step 2 (VMX-5, VM-3): the reserved-page ledger must have room, else overloaded.
 * Step 3 (VMX-2): place the range; (GO-2) its pages are reserved and fault on any access.
 */
export function reserve(as: AddressSpace, hint: bigint, size: bigint, b: Binding = DEFAULT_BINDING, at?: bigint): VmResult {
  return mapLike(as, hint, size, undefined, b, at);
}

/**
 * VirtualMemory.map(hint, size, prot) -> addr: reserve and commit in one step.
 * @clause VM-1 VMX-1 VMX-2 VMX-5 VMX-7 GO-3
 * Step 1 (VMX-1, VMX-7): size and prot checks.
 * Step 2 (VMX-5): both ledgers must have room.
 * Step 3 (VMX-2, GO-3): place the range; its pages are committed, zero-filled, with `prot`.
 */
export function map(as: AddressSpace, hint: bigint, size: bigint, prot: bigint, b: Binding = DEFAULT_BINDING, at?: bigint): VmResult {
  return mapLike(as, hint, size, prot, b, at);
}

/** `at`: the address the implementation chose (checked by `placementProblem`); absent: the default placement. */
function mapLike(as: AddressSpace, hint: bigint, size: bigint, prot: bigint | undefined, b: Binding, at?: bigint): VmResult {
  const P = BigInt(b.pageSize);
  // Step 1.
  if (size === 0n || size % P !== 0n) return fail("invalidArgument", `size 0x${size.toString(16)} is not a non-zero page multiple (VMX-1)`);
  if (prot !== undefined) {
    const pp = protProblem(prot, b);
    if (pp) return fail("invalidArgument", pp);
  }
  // Step 2.
  if (size / P > BigInt(b.vm.reservedPageQuota - as.reservedPages)) return fail("overloaded", "reserved-page quota (VMX-5)");
  const count = Number(size / P);
  if (prot !== undefined && as.committedPages + count > b.vm.committedPageQuota) return fail("overloaded", "committed-page quota (VMX-5)");
  // Step 3.
  const first = placement(as, hint, count, b);
  if (first === undefined) return fail("overloaded", "no free range in the VM window (VMX-2)");
  if (at !== undefined) {
    const problem = placementProblem(as, at, count, b);
    if (problem) return { ok: false, exc: "badPlacement", why: problem };
  }
  const start = at !== undefined ? Number(at / P) : first;
  // The range is free, so it holds no contents.
  const runs = prot === undefined ? setRange(as.runs, start, start + count, "reserved", b.vm.prot.none) : setRange(as.runs, start, start + count, "committed", Number(prot));
  const next: AddressSpace = { id: as.id, runs, data: as.data, gens: as.gens, reservedPages: as.reservedPages + count, committedPages: as.committedPages + (prot === undefined ? 0 : count) };
  return { ok: true, as: next, value: BigInt(start) * P };
}

/**
 * VirtualMemory.unmap(addr, size).
 * @clause GO-6 VMX-1 VMX-3 PARKX-6 PARKX-7
 * Step 1 (VMX-1): range checks.
 * Step 2 (VMX-3): holes are fine; every page in the range becomes free and (GO-6) its charges are released.
 * Step 3 (PARKX-7): the generation of every page that was present is bumped; (PARKX-6) the
 * caller drains park waiters in the returned range before the result is visible.
 */
export function unmap(as: AddressSpace, addr: bigint, size: bigint, b: Binding = DEFAULT_BINDING): VmResult {
  const r = checkRange(addr, size, b);
  if (typeof r === "string") return fail("invalidArgument", r);
  const end = r.first + r.count;
  const live = runsIn(as, r.first, end);
  let freed = 0, uncommitted = 0;
  let gens = as.gens;
  for (const { run, from, to } of live) {
    freed += to - from;
    if (run.state === "committed") uncommitted += to - from;
    gens = bumpGens(gens, from, to);
  }
  const next: AddressSpace = { id: as.id, runs: live.length > 0 ? setRange(as.runs, r.first, end, null, 0) : as.runs, data: withoutData(as.data, r.first, end), gens, reservedPages: as.reservedPages - freed, committedPages: as.committedPages - uncommitted };
  return { ok: true, as: next, value: 0n, drained: [Number(addr), Number(addr + size)] };
}

/**
 * VirtualMemory.commit(addr, size, prot).
 * @clause GO-3 VMX-1 VMX-4 VMX-5 VMX-7 VM-3
 * Step 1 (VMX-1, VMX-7): range and prot checks.
 * Step 2 (VMX-4): every page must be reserved or committed, else invalidArgument.
 * Step 3 (VMX-5): newly committed pages must fit the committed-page quota, else overloaded.
 * Step 4 (GO-3, VMX-4): reserved pages become committed and zero; committed pages keep their
 * contents; all take `prot`.
 */
export function commit(as: AddressSpace, addr: bigint, size: bigint, prot: bigint, b: Binding = DEFAULT_BINDING): VmResult {
  const r = checkRange(addr, size, b);
  if (typeof r === "string") return fail("invalidArgument", r);
  const pp = protProblem(prot, b);
  if (pp) return fail("invalidArgument", pp);
  const end = r.first + r.count;
  const hole = firstPageNot(as, r.first, end, () => true);
  if (hole !== undefined) return fail("invalidArgument", `page 0x${(hole * b.pageSize).toString(16)} is not reserved (VMX-4)`);
  let fresh = 0;
  for (const { run, from, to } of runsIn(as, r.first, end)) if (run.state === "reserved") fresh += to - from;
  if (as.committedPages + fresh > b.vm.committedPageQuota) return fail("overloaded", "committed-page quota (VMX-5)");
  // Committed pages keep their contents; reserved ones have none (they read zero once committed).
  const next: AddressSpace = { id: as.id, runs: setRange(as.runs, r.first, end, "committed", Number(prot)), data: as.data, gens: as.gens, reservedPages: as.reservedPages, committedPages: as.committedPages + fresh };
  return { ok: true, as: next, value: 0n };
}

/**
 * VirtualMemory.decommit(addr, size).
 * @clause GO-4 VMX-1 PARKX-6 PARKX-7
 * Step 1 (VMX-1): range checks.
 * Step 2 (decision, as commit's VMX-4): every page must be reserved or committed, else invalidArgument.
 * Step 3 (GO-4): committed pages become reserved, their contents are forfeit and their frames uncharged.
 * Step 4 (PARKX-7): generations of the committed pages are bumped; (PARKX-6) the caller drains the range.
 */
export function decommit(as: AddressSpace, addr: bigint, size: bigint, b: Binding = DEFAULT_BINDING): VmResult {
  const r = checkRange(addr, size, b);
  if (typeof r === "string") return fail("invalidArgument", r);
  const end = r.first + r.count;
  const hole = firstPageNot(as, r.first, end, () => true);
  if (hole !== undefined) return fail("invalidArgument", `page 0x${(hole * b.pageSize).toString(16)} is not reserved (VMX-4)`);
  let uncommitted = 0;
  let runs = as.runs, gens = as.gens, data = as.data;
  for (const { run, from, to } of runsIn(as, r.first, end)) {
    if (run.state !== "committed") continue;
    uncommitted += to - from;
    runs = setRange(runs, from, to, "reserved", b.vm.prot.none);
    gens = bumpGens(gens, from, to);
    data = withoutData(data, from, to);
  }
  const next: AddressSpace = { id: as.id, runs, data, gens, reservedPages: as.reservedPages, committedPages: as.committedPages - uncommitted };
  return { ok: true, as: next, value: 0n, drained: [Number(addr), Number(addr + size)] };
}

/**
 * VirtualMemory.protect(addr, size, prot).
 * @clause GO-5 VMX-1 VMX-4 VMX-7 VM-4
 * Step 1 (VMX-1, VMX-7): range and prot checks.
 * Step 2 (VMX-4): every page must be committed, else invalidArgument.
 * Step 3 (GO-5, VM-4): pages take `prot`, stay committed and charged, and keep their contents.
 */
export function protect(as: AddressSpace, addr: bigint, size: bigint, prot: bigint, b: Binding = DEFAULT_BINDING): VmResult {
  const r = checkRange(addr, size, b);
  if (typeof r === "string") return fail("invalidArgument", r);
  const pp = protProblem(prot, b);
  if (pp) return fail("invalidArgument", pp);
  const end = r.first + r.count;
  const bad = firstPageNot(as, r.first, end, (run) => run.state === "committed");
  if (bad !== undefined) return fail("invalidArgument", `page 0x${(bad * b.pageSize).toString(16)} is not committed (VMX-4)`);
  const next: AddressSpace = { id: as.id, runs: setRange(as.runs, r.first, end, "committed", Number(prot)), data: as.data, gens: as.gens, reservedPages: as.reservedPages, committedPages: as.committedPages };
  return { ok: true, as: next, value: 0n };
}

/**
 * Whether `access` to the page holding `addr` is allowed.
 * @clause VMX-6 GO-2 GO-4 GO-5
 * A page is readable iff committed with prot != none, writable iff committed with write,
 * executable iff committed with exec. Reserved and free pages allow nothing.
 */
export function pageAllows(as: AddressSpace, addr: number, access: Access, b: Binding = DEFAULT_BINDING): boolean {
  const pg = runAt(as, Math.floor(addr / b.pageSize));
  if (!pg || pg.state !== "committed") return false;
  if (access === "read") return pg.prot !== b.vm.prot.none;
  if (access === "write") return (pg.prot & b.vm.prot.write) !== 0;
  return (pg.prot & b.vm.prot.exec) !== 0;
}

/**
 * Check every page an access of `size` bytes at `addr` touches, in address order.
 * @clause VMX-6
 * Decision: the fault address is the first byte of the access that lies on a faulting page
 * (the access address, or the start of the second page for a crossing access), as x86 CR2 reports.
 */
function checkAccess(as: AddressSpace, addr: number, size: number, access: Access, b: Binding): { addr: number } | undefined {
  const P = b.pageSize;
  for (let p = Math.floor(addr / P); p <= Math.floor((addr + size - 1) / P); p++) {
    const at = Math.max(addr, p * P);
    if (!pageAllows(as, at, access, b)) return { addr: at };
  }
  return undefined;
}

function byteAt(as: AddressSpace, addr: number, b: Binding): number {
  const data = as.data.get(Math.floor(addr / b.pageSize));
  return data ? data[addr % b.pageSize]! : 0;
}

/**
 * Load `size` (1..8) bytes at `addr`, little-endian, zero-extended.
 * @clause VMX-6 GO-3 GO-4
 * Step 1 (VMX-6): every touched page must be readable, else #PF read.
 * Step 2 (GO-3): committed pages that were never written read zero; stores are visible to later loads.
 */
export function load(as: AddressSpace, addr: number, size: number, b: Binding = DEFAULT_BINDING): AccessResult<bigint> {
  if (size < 1 || size > 8) throw new RangeError(`access size ${size}`);
  const f = checkAccess(as, addr, size, "read", b);
  if (f) return { ok: false, fault: "#PF", addr: f.addr, access: "read" };
  // Bytes gathered into two 32-bit halves as numbers, one bigint at the end (a bigint per byte was the cost of a load).
  let lo = 0, hi = 0;
  for (let i = size - 1; i >= 0; i--) {
    const x = byteAt(as, addr + i, b);
    if (i >= 4) hi = hi * 256 + x;
    else lo = lo * 256 + x;
  }
  return { ok: true, value: hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo) };
}

/**
 * Store the low `size` (1..8) bytes of `value` at `addr`, little-endian.
 * @clause VMX-6
 * Step 1 (VMX-6): every touched page must be writable, else #PF write and nothing is stored
 * (decision: a faulting store ends the process, so partial stores are not observable to the model).
 * Step 2: the bytes are written.
 */
export function store(as: AddressSpace, addr: number, size: number, value: bigint, b: Binding = DEFAULT_BINDING): AccessResult<AddressSpace> {
  if (size < 1 || size > 8) throw new RangeError(`access size ${size}`);
  const f = checkAccess(as, addr, size, "write", b);
  if (f) return { ok: false, fault: "#PF", addr: f.addr, access: "write" };
  const P = b.pageSize;
  const data = new Map(as.data);
  // The value's bytes from two 32-bit halves as numbers (no bigint arithmetic per byte).
  const lo = Number(value & 0xffff_ffffn);
  const hi = Number((value >> 32n) & 0xffff_ffffn);
  for (let i = 0; i < size; i++) {
    const a = addr + i;
    const pn = Math.floor(a / P);
    // Copy on write: a page's bytes are shared with the address spaces before this store.
    let d = data.get(pn);
    if (d === as.data.get(pn)) data.set(pn, (d = d ? d.slice() : new Uint8Array(P)));
    d![a % P] = (i < 4 ? lo / 2 ** (8 * i) : hi / 2 ** (8 * (i - 4))) & 0xff;
  }
  return { ok: true, value: { id: as.id, runs: as.runs, data, gens: as.gens, reservedPages: as.reservedPages, committedPages: as.committedPages } };
}

export interface Region {
  readonly start: number;
  readonly end: number;
  readonly state: PageState;
  readonly prot: number;
}

/** Maximal runs of adjacent pages with equal state and protection. */
export function regions(as: AddressSpace, b: Binding = DEFAULT_BINDING): Region[] {
  const P = b.pageSize;
  return as.runs.map((r) => ({ start: r.first * P, end: r.end * P, state: r.state, prot: r.prot }));
}

/**
 * A canonical string for memoisation: regions, generations (every page's) and non-zero page
 * contents. `pageKey` gives a page's contents (a caller that keys many address spaces sharing
 * pages caches it per page buffer, as the checker's StateKeys does).
 */
export function addressSpaceKey(as: AddressSpace, b: Binding = DEFAULT_BINDING, pageKey: (data: Uint8Array) => string = pageDataText): string {
  const P = b.pageSize;
  const parts: string[] = [];
  for (const r of as.runs) parts.push(`${(r.first * P).toString(16)}-${(r.end * P).toString(16)}${r.state[0]}${r.prot}`);
  for (const g of as.gens) for (let p = g.first; p < g.end; p++) parts.push(`g${p.toString(16)}=${g.gen}`);
  for (const p of sortedKeys(as.data)) {
    const d = pageKey(as.data.get(p)!);
    if (d !== "") parts.push(`d${p.toString(16)}{${d}}`);
  }
  return parts.join(" ");
}

/** The keys of a map keyed by page number, ascending. */
export function sortedKeys(m: ReadonlyMap<number, unknown>): number[] {
  const out: number[] = [];
  // Stores come in any order, but most spaces have a written page or two.
  let sorted = true;
  for (const k of m.keys()) {
    if (out.length > 0 && k < out[out.length - 1]!) sorted = false;
    out.push(k);
  }
  return sorted ? out : out.sort((x, y) => x - y);
}

/** `data` without the pages in [first, end) (the same map when it has none there). */
function withoutData(data: ReadonlyMap<number, Uint8Array>, first: number, end: number): ReadonlyMap<number, Uint8Array> {
  let out: Map<number, Uint8Array> | undefined;
  for (const p of data.keys())
    if (p >= first && p < end) {
      out ??= new Map(data);
      out.delete(p);
    }
  return out ?? data;
}

/** The non-zero bytes of a page as "offset:value,..." ("" for an all-zero page). */
export function pageDataText(data: Uint8Array): string {
  let s = "";
  // A written page is mostly zero: skip it four bytes at a time where the buffer allows a word view.
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : undefined;
  const wordBytes = words ? words.length * 4 : 0;
  for (let i = 0; i < data.length; i++) {
    if (i < wordBytes && (i & 3) === 0 && words![i >> 2] === 0) {
      i += 3;
      continue;
    }
    if (data[i] !== 0) s += `${i.toString(16)}:${data[i]!.toString(16)},`;
  }
  return s;
}
