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

export interface AddressSpace {
  /** Address space id: the first component of a park key (PARKX-7). */
  readonly id: number;
  /** Page number (address / pageSize) -> page. Absent pages are free. */
  readonly pages: ReadonlyMap<number, Page>;
  /** Page number -> generation; bumped by unmap and decommit (PARKX-7). Absent = 0. */
  readonly gens: ReadonlyMap<number, number>;
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
  return { id, pages: new Map(), gens: new Map(), reservedPages: 0, committedPages: 0 };
}

function fail(exc: ExceptionName, why: string): VmResult {
  return { ok: false, exc, why };
}

/** Generation of the page holding `addr` (PARKX-7). */
export function generationAt(as: AddressSpace, addr: number, b: Binding = DEFAULT_BINDING): number {
  return as.gens.get(Math.floor(addr / b.pageSize)) ?? 0;
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

function isFree(as: AddressSpace, first: number, count: number): boolean {
  for (let p = first; p < first + count; p++) if (as.pages.has(p)) return false;
  return true;
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
  const first = Number(addr / P);
  for (let p = first; p < first + count; p++)
    if (as.pages.has(p)) return `[${hex(addr)}, ${hex(end)}) overlaps the live page ${hex(BigInt(p) * P)} (VMX-2)`;
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
    if (isFree(as, h, count)) return h;
  }
  // Step 2: walk the occupied pages in order; the first gap of `count` pages wins.
  const used = [...as.pages.keys()].sort((x, y) => x - y);
  let candidate = lo;
  for (const p of used) {
    if (p < candidate) continue;
    if (p - candidate >= count) break;
    candidate = p + 1;
  }
  return candidate + count <= hi ? candidate : undefined;
}

/**
 * A copy of `as` whose page map (and, when `gens` is asked for, generation map) `edit` changes;
 * `edit` returns how many pages it reserved (+) or freed (-) and committed (+) or uncommitted (-),
 * so the ledgers need no walk over every page (a quota-sized map has thousands), and an edit
 * that bumps no generation shares the old generation map.
 */
function withPages(as: AddressSpace, editsGens: boolean, edit: (pages: Map<number, Page>, gens: Map<number, number>) => { reserved: number; committed: number }): AddressSpace {
  const pages = new Map(as.pages);
  const gens = editsGens ? new Map(as.gens) : (as.gens as Map<number, number>);
  const d = edit(pages, gens);
  return { id: as.id, pages, gens, reservedPages: as.reservedPages + d.reserved, committedPages: as.committedPages + d.committed };
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
  const page: Page = prot === undefined ? { state: "reserved", prot: b.vm.prot.none } : { state: "committed", prot: Number(prot) };
  const next = withPages(as, false, (pages) => {
    for (let p = start; p < start + count; p++) pages.set(p, page);
    return { reserved: count, committed: prot === undefined ? 0 : count };
  });
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
  const next = withPages(as, true, (pages, gens) => {
    let freed = 0, uncommitted = 0;
    for (let p = r.first; p < r.first + r.count; p++) {
      const pg = pages.get(p);
      if (!pg) continue;
      freed++;
      if (pg.state === "committed") uncommitted++;
      pages.delete(p);
      gens.set(p, (gens.get(p) ?? 0) + 1);
    }
    return { reserved: -freed, committed: -uncommitted };
  });
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
  let fresh = 0;
  for (let p = r.first; p < r.first + r.count; p++) {
    const pg = as.pages.get(p);
    if (!pg) return fail("invalidArgument", `page 0x${(p * b.pageSize).toString(16)} is not reserved (VMX-4)`);
    if (pg.state === "reserved") fresh++;
  }
  if (as.committedPages + fresh > b.vm.committedPageQuota) return fail("overloaded", "committed-page quota (VMX-5)");
  const next = withPages(as, false, (pages) => {
    for (let p = r.first; p < r.first + r.count; p++) {
      const pg = pages.get(p)!;
      pages.set(p, pg.state === "committed" ? { ...pg, prot: Number(prot) } : { state: "committed", prot: Number(prot) });
    }
    return { reserved: 0, committed: fresh };
  });
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
  for (let p = r.first; p < r.first + r.count; p++)
    if (!as.pages.has(p)) return fail("invalidArgument", `page 0x${(p * b.pageSize).toString(16)} is not reserved (VMX-4)`);
  const next = withPages(as, true, (pages, gens) => {
    let uncommitted = 0;
    for (let p = r.first; p < r.first + r.count; p++) {
      if (pages.get(p)!.state !== "committed") continue;
      uncommitted++;
      pages.set(p, { state: "reserved", prot: b.vm.prot.none });
      gens.set(p, (gens.get(p) ?? 0) + 1);
    }
    return { reserved: 0, committed: -uncommitted };
  });
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
  for (let p = r.first; p < r.first + r.count; p++)
    if (as.pages.get(p)?.state !== "committed") return fail("invalidArgument", `page 0x${(p * b.pageSize).toString(16)} is not committed (VMX-4)`);
  const next = withPages(as, false, (pages) => {
    for (let p = r.first; p < r.first + r.count; p++) pages.set(p, { ...pages.get(p)!, prot: Number(prot) });
    return { reserved: 0, committed: 0 };
  });
  return { ok: true, as: next, value: 0n };
}

/**
 * Whether `access` to the page holding `addr` is allowed.
 * @clause VMX-6 GO-2 GO-4 GO-5
 * A page is readable iff committed with prot != none, writable iff committed with write,
 * executable iff committed with exec. Reserved and free pages allow nothing.
 */
export function pageAllows(as: AddressSpace, addr: number, access: Access, b: Binding = DEFAULT_BINDING): boolean {
  const pg = as.pages.get(Math.floor(addr / b.pageSize));
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
  const pg = as.pages.get(Math.floor(addr / b.pageSize));
  return pg?.data ? pg.data[addr % b.pageSize]! : 0;
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
  const pages = new Map(as.pages);
  // The value's bytes from two 32-bit halves as numbers (no bigint arithmetic per byte).
  const lo = Number(value & 0xffff_ffffn);
  const hi = Number((value >> 32n) & 0xffff_ffffn);
  for (let i = 0; i < size; i++) {
    const a = addr + i;
    const pn = Math.floor(a / P);
    let pg = pages.get(pn)!;
    if (pg === as.pages.get(pn)) {
      pg = { ...pg, data: pg.data ? pg.data.slice() : new Uint8Array(P) };
      pages.set(pn, pg);
    }
    pg.data![a % P] = (i < 4 ? lo / 2 ** (8 * i) : hi / 2 ** (8 * (i - 4))) & 0xff;
  }
  return { ok: true, value: { ...as, pages } };
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
  const out: Region[] = [];
  for (const p of [...as.pages.keys()].sort((x, y) => x - y)) {
    const pg = as.pages.get(p)!;
    const last = out[out.length - 1];
    if (last && last.end === p * P && last.state === pg.state && last.prot === pg.prot) out[out.length - 1] = { ...last, end: (p + 1) * P };
    else out.push({ start: p * P, end: (p + 1) * P, state: pg.state, prot: pg.prot });
  }
  return out;
}

/**
 * A canonical string for memoisation: regions, generations and non-zero page contents.
 * `pageKey` gives a page's contents (a caller that keys many address spaces sharing pages
 * caches it per page buffer, as the checker's StateKeys does).
 */
export function addressSpaceKey(as: AddressSpace, b: Binding = DEFAULT_BINDING, pageKey: (pg: Page) => string = (pg) => (pg.data ? pageDataText(pg.data) : "")): string {
  // The text `regions` would give, then generations, then page contents, from one numeric sort
  // of the page numbers (the checker keys every address space it meets: this is its hot path).
  const P = b.pageSize;
  const pns = sortedNumbers(as.pages.keys(), as.pages.size);
  let regionText = "", dataText = "";
  let start = -1, end = -1, state: PageState | null = null, prot = 0;
  for (let i = 0; i < pns.length; i++) {
    const p = pns[i]!;
    const pg = as.pages.get(p)!;
    if (start >= 0 && end === p * P && state === pg.state && prot === pg.prot) end = (p + 1) * P;
    else {
      if (start >= 0) regionText += `${regionText === "" ? "" : " "}${start.toString(16)}-${end.toString(16)}${state![0]}${prot}`;
      start = p * P; end = (p + 1) * P; state = pg.state; prot = pg.prot;
    }
    const d = pageKey(pg);
    if (d !== "") dataText += ` d${p.toString(16)}{${d}}`;
  }
  if (start >= 0) regionText += `${regionText === "" ? "" : " "}${start.toString(16)}-${end.toString(16)}${state![0]}${prot}`;
  let gensText = "";
  const gns = sortedNumbers(as.gens.keys(), as.gens.size);
  for (let i = 0; i < gns.length; i++) gensText += ` g${gns[i]!.toString(16)}=${as.gens.get(gns[i]!)}`;
  // parts joined by single spaces, as a join(" ") of [regions..., gens..., data...] would
  const rest = gensText + dataText;
  return regionText === "" ? rest.slice(1) : regionText + rest;
}

/** Page numbers (integers) in ascending order. */
function sortedNumbers(keys: Iterable<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  let i = 0;
  // Edits insert ranges in address order, so the keys usually come sorted: sort only if not.
  let sorted = true;
  for (const k of keys) {
    if (i > 0 && k < out[i - 1]!) sorted = false;
    out[i++] = k;
  }
  return sorted ? out : out.sort();
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
