/**
 * Guest address space: 4 KiB pages with R/W/X permissions, a direct-mapped TLB per access
 * kind, a mapped-page budget, and per-page decode caches invalidated on writes.
 *
 * Copy-on-write start: `freeze()` turns a laid-out memory into a `MemoryTemplate` whose pages
 * are shared read-only by every memory started from it (`Memory.startFrom`); the first write
 * to a shared page copies it (the copy has no decode cache). While a started memory's
 * executable pages are all the template's, it also shares their decode caches (the decoded
 * `Insn`s, their successor links, blocks and compiled regions) with every other such memory:
 * their code bytes are identical. Any change to its code (a write to an executable page,
 * mapping, unmapping or re-protecting one, or making a page executable) first gives the
 * memory private copies of all its executable pages (`unshareCode`), so no shared `Insn` can
 * ever link to code that exists in one memory only. A template with a writable and
 * executable page never shares code (a guest store there would diverge inside `run`).
 * One exception, taken lazily: a page made executable away from the shared code (not within
 * or next to its span, so no shared instruction can straddle into it) keeps the code shared
 * until an instruction is first fetched from it (`fetchPage`); then every shared `Insn` is
 * invalidated (the caller may be about to link one to that page's code) and the memory takes
 * private copies. A VirtualMemory case maps pages executable and never runs code there.
 *
 * Code shared by content: a memory laid out without a template (a probe generated per case,
 * whose headers differ and so get no template) may hand its executable pages, before it runs,
 * to `shareCodeByContent`, which swaps them for the pages of an earlier memory with the same
 * executable pages (numbers, protections and bytes), decode caches included; the memory then
 * shares code exactly as one started from a template does. A memory with equal code bytes
 * decodes them equally (decoding reads nothing but code bytes, and a straddling instruction
 * reaches only the next executable page, which is part of the same set).
 *
 * Addresses are integers in doubles. Valid user addresses are 0 <= a < 2^47; anything else
 * faults (#PF for canonical kernel-half addresses, #GP for non-canonical ones).
 */
import { GuestFault, pf, gp } from "./fault.js";
import { cpuStats } from "./stats.js";

export const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PAGE = 4096;
const USER_TOP = 2 ** 47;
const TLB_SIZE = 256, TLB_MASK = TLB_SIZE - 1;
/** A range of more pages than this is forgotten by flushing the whole TLB (flushPages). */
const FLUSH_ALL_PAGES = 64;

/**
 * What the page's decode cache holds, as memory sees it: an entry it can invalidate. (The
 * entries are run.ts's decoded `Insn`s; memory does not need to know more, which keeps
 * memory.ts below insn.ts.)
 */
export interface CachedCode {
  /** 1 while current, 0 once invalidated (a number for speed: see insn.ts). */
  valid: number;
}

/** Invalidate every decoded instruction of a page. */
function dropCode(pg: Page): void {
  const ic = pg.icache;
  if (ic === null) return;
  for (const d of ic) if (d !== undefined) d.valid = 0;
  pg.icache = null;
}

/** Whether a decoded instruction starts in the page's last 15 bytes (it may reach into the next page). */
function decodedNearEnd(ic: (CachedCode | undefined)[]): boolean {
  for (let off = PAGE - 15; off < PAGE; off++) if (ic[off] !== undefined) return true;
  return false;
}

export class Page {
  readonly data: Uint8Array;
  readonly dv: DataView;
  /** Decoded instructions starting in this page, by offset; null when none (run.ts fills it). */
  icache: (CachedCode | undefined)[] | null = null;
  /** A template's page (see freeze) or a zero page (see map): never written in place; its prot never changes. */
  shared = false;
  /** `dv` may be passed when one view of `data` already exists (a DataView costs ~300 ns to make). */
  constructor(public prot: number, data?: Uint8Array, dv?: DataView) {
    this.data = data ?? new Uint8Array(PAGE);
    this.dv = dv ?? new DataView(this.data.buffer, this.data.byteOffset, PAGE);
  }
  /**
   * `count` little-endian elements of `w` bytes (1, 2, 4 or 8; the value as 32-bit halves lo:hi)
   * from byte `off` up, all within this page: the bulk form of a run of stores (REP STOS, a
   * counted loop's stores). The caller got the page through a write lookup (wpage).
   */
  fillElements(off: number, count: number, w: number, lo: number, hi: number): void {
    const dv = this.dv;
    switch (w) {
      case 1: this.data.fill(lo & 255, off, off + count); break;
      case 2: for (let i = 0; i < count; i++) dv.setUint16(off + 2 * i, lo & 0xffff, true); break;
      case 4: for (let i = 0; i < count; i++) dv.setInt32(off + 4 * i, lo | 0, true); break;
      default: for (let i = 0; i < count; i++) { dv.setInt32(off + 8 * i, lo | 0, true); dv.setInt32(off + 8 * i + 4, hi | 0, true); }
    }
  }
}

/**
 * The bytes of every fresh non-executable page until it is first written (copy-on-write like
 * a template's page): a process maps a 256 KiB stack and writes a page or two of it.
 * Executable pages get their own bytes (a shared page's decoded code is never dropped).
 */
const ZERO = new Uint8Array(PAGE);
const ZERO_DV = new DataView(ZERO.buffer);
function zeroPage(prot: number): Page {
  // One page object per protection for all of them (a mapping of n pages made n DataViews, then
  // n Page objects, before; a stack is 64 pages, a VM quota cycle thousands): a shared page is
  // never written in place and its prot never changes, so nothing tells two of them apart.
  let pg = prot >= 0 && prot < 8 ? ZERO_PAGES[prot] : undefined;
  if (pg === undefined) {
    pg = new Page(prot, ZERO, ZERO_DV);
    pg.shared = true;
    if (prot >= 0 && prot < 8) ZERO_PAGES[prot] = pg;
  }
  return pg;
}
const ZERO_PAGES: (Page | undefined)[] = [];
/** TLB placeholder (never matched: empty TLB entries have NaN tags). */
const NO_PAGE = new Page(PROT_NONE);

/** Private pages of released memories, reused by `privatePage` (bounded: 8 MiB). */
const freePages: Page[] = [];
const MAX_FREE_PAGES = 2048;
/** Released memories, reused by `startFrom` (see the header). */
const freeMemories: Memory[] = [];
const MAX_FREE_MEMORIES = 4;
/** Released memories that had no template, emptied: reused by `Memory.empty`. */
const freeEmpty: Memory[] = [];
const MAX_FREE_EMPTY = 4;
/**
 * Executable pages shared by content (shareCodeByContent): by their page numbers and
 * protections, the page sets seen with those (most recently used last), at most MAX_CODE_SETS in
 * all. A set's pages are shared pages: never written, their prot never changed.
 */
const codeSets = new Map<string, Page[][]>();
let codeSetCount = 0;
const MAX_CODE_SETS = 16, MAX_SETS_PER_KEY = 4;
/**
 * Fingerprints of code seen once (page numbers, protections and sampled bytes): code is offered
 * for sharing only when seen a second time. A set kept for sharing stays alive with its decode
 * caches and is never recycled, and generated probes mostly carry code no other case has:
 * offering each one cost more (retained and churned sets) than sharing saved.
 */
const codeSeenOnce = new Set<string>();
const MAX_CODE_SEEN = 1024;
/** Page-map changes a memory remembers for its release (see `changed`). */
const MAX_CHANGED = 4096;

/** A private page holding a copy of `src` (zero-filled when null), from the free list when it has one. */
function privatePage(prot: number, src: Uint8Array | null): Page {
  const pg = freePages.pop();
  if (pg === undefined) return new Page(prot, src === null ? undefined : src.slice());
  pg.prot = prot;
  if (src === null) pg.data.fill(0);
  else pg.data.set(src);
  return pg;
}
/**
 * Give a private page of a memory being released to the free list. Its decoded code is let go
 * without marking each instruction invalid: only the dead memory reaches it (a shared
 * instruction never links to a private page's, see the header), and marking costs a walk of
 * 4096 slots per code page.
 */
function recyclePage(pg: Page): void {
  if (pg.shared || pg === NO_PAGE) return;
  if (pg.icache !== null) recycleCodeCache(pg.icache);
  pg.icache = null;
  if (freePages.length < MAX_FREE_PAGES) freePages.push(pg);
}

/**
 * Decode caches (a slot per byte of a page) of released memories' pages, emptied, for
 * `newCodeCache`: a process started from a generated probe decodes its code pages afresh, and a
 * new 4096-slot array per code page per process was a large share of what a short case
 * allocated. Only release recycles them, when nothing runs on the memory any more.
 */
const freeCodeCaches: (CachedCode | undefined)[][] = [];
const MAX_FREE_CODE_CACHES = 64;
function recycleCodeCache(ic: (CachedCode | undefined)[]): void {
  if (freeCodeCaches.length >= MAX_FREE_CODE_CACHES || ic.length !== PAGE) return;
  ic.fill(undefined);
  freeCodeCaches.push(ic);
}
/**
 * An empty decode cache for a page (run.ts fetchInsn): a recycled one when there is one. A new
 * one is filled with undefined as a recycled one is: an array of holes is one V8 types as
 * holding small integers until its first Insn, so the first new one a program met (once the
 * recycled ones ran out) deoptimised fetchInsn ("wrong map") and its change of elements kind
 * threw away interpret()'s optimised code (one more ~500 ms compile; `--trace-deopt`, sha256).
 */
export function newCodeCache(): (CachedCode | undefined)[] {
  return freeCodeCaches.pop() ?? new Array<CachedCode | undefined>(PAGE).fill(undefined);
}

/** Thrown by map() when the page budget would be exceeded. */
export class MemoryBudgetExceeded extends Error {
  constructor(readonly maxPages: number) { super(`memory budget of ${maxPages} pages exceeded`); }
}

/** A frozen memory: the pages every memory started from it shares until it writes them. */
export interface MemoryTemplate {
  readonly pages: ReadonlyMap<number, Page>;
  readonly maxPages: number;
  /** False when some page is writable and executable: started memories then copy code pages. */
  readonly shareCode: boolean;
  /** The lowest and highest executable page numbers (Infinity, -Infinity: none). */
  readonly codeFirst: number;
  readonly codeLast: number;
}

export interface MemorySnapshot {
  readonly pages: ReadonlyArray<readonly [number, number, Uint8Array]>;
  readonly maxPages: number;
}

export class Memory {
  /** Page number -> page. Read it freely; change it only through this class (it tracks what it changes). */
  readonly pages: Map<number, Page>;
  // The TLB arrays start packed with a placeholder (tags are NaN, so it is never used) and
  // keep each page's DataView next to the Page, saving a dependent load on every access.
  // run.ts's interpreter loop reads the keys and views directly for its loads and stores (a hit
  // there is exactly what r32/w32/w64/w8 do on a hit; a miss calls them), so these are readable:
  // change them only here.
  readonly rTag = new Float64Array(TLB_SIZE).fill(NaN);
  // The same tags as int32 keys for the interpreter loop: an entry's key is its page number over
  // the TLB size (address bits 20-46; -1 when empty), so that the loop finds an entry from an
  // address in register halves with integer operations alone. Always written with the tag.
  readonly rKey = new Int32Array(TLB_SIZE).fill(-1);
  private rPage: Page[] = new Array<Page>(TLB_SIZE).fill(NO_PAGE);
  readonly rDv: DataView[] = new Array<DataView>(TLB_SIZE).fill(NO_PAGE.dv);
  readonly wTag = new Float64Array(TLB_SIZE).fill(NaN);
  readonly wKey = new Int32Array(TLB_SIZE).fill(-1);
  private wPage: Page[] = new Array<Page>(TLB_SIZE).fill(NO_PAGE);
  readonly wDv: DataView[] = new Array<DataView>(TLB_SIZE).fill(NO_PAGE.dv);
  /** One-entry instruction TLB. */
  private xPn = NaN;
  private xPage: Page | null = null;
  /** The personality accessors' last page (any permissions; see pageOf); forgotten whenever `pages` changes. */
  private kPn = NaN;
  private kPage: Page | undefined = undefined;

  /** True while this memory's executable pages are all shared template pages (see header). */
  private codeShared = false;
  /** While code is shared: the lowest and highest executable page numbers. */
  private codeFirst = Infinity;
  private codeLast = -Infinity;
  /** The template whose page map this memory started from (or froze), for reuse after release. */
  private template: MemoryTemplate | null = null;
  /**
   * Page numbers whose entry changed since then (repeats allowed): what release puts back.
   * Past MAX_CHANGED (a guest mapping in a loop) it stops growing and release rebuilds the map.
   */
  private changed: number[] = [];
  private changedAll = false;
  /** Set by release until startFrom hands the memory out again. */
  private released = false;

  /** `pages`: a map to start from, copied in one go (startFrom; a copy entry by entry cost more). */
  constructor(public maxPages = 1 << 18, pages?: ReadonlyMap<number, Page>) {
    this.pages = new Map(pages);
  }

  // ---------------------------------------------------------------- copy-on-write start
  /**
   * Freeze this memory's pages into a template. This memory keeps using them copy-on-write
   * (and sharing their code), as any memory started from the template does.
   */
  freeze(): MemoryTemplate {
    let shareCode = true, codeFirst = Infinity, codeLast = -Infinity;
    for (const [pn, pg] of this.pages) {
      pg.shared = true;
      if ((pg.prot & (PROT_WRITE | PROT_EXEC)) === (PROT_WRITE | PROT_EXEC)) shareCode = false;
      if (pg.prot & PROT_EXEC) { codeFirst = Math.min(codeFirst, pn); codeLast = Math.max(codeLast, pn); }
    }
    const t: MemoryTemplate = { pages: new Map(this.pages), maxPages: this.maxPages, shareCode, codeFirst, codeLast };
    this.template = t;
    this.changed.length = 0;
    this.changedAll = false;
    this.codeShared = shareCode;
    this.codeFirst = codeFirst; this.codeLast = codeLast;
    if (!shareCode) this.unshareCode();
    this.flushTlb();
    return t;
  }
  /**
   * Share this memory's executable pages with earlier memories whose executable pages are the
   * same (see the header), or offer them to later ones. Only for a memory laid out without a
   * template that has not run (no page decoded yet) and has no writable and executable page;
   * any other memory is left as it is.
   */
  shareCodeByContent(): void {
    if (this.codeShared || this.template !== null) return;
    const code: [number, Page][] = [];
    for (const e of this.pages) {
      const pg = e[1];
      if ((pg.prot & (PROT_WRITE | PROT_EXEC)) === (PROT_WRITE | PROT_EXEC)) return;
      if (pg.prot & PROT_EXEC) {
        if (pg.shared || pg.icache !== null) return;
        code.push(e);
      }
    }
    if (code.length === 0) return;
    code.sort((a, b) => a[0] - b[0]);
    let key = "";
    for (const [pn, pg] of code) key += `${pn}:${pg.prot},`;
    let sets = codeSets.get(key);
    const i = sets === undefined ? -1 : sets.findIndex((set) => set.every((sp, j) => Buffer.compare(sp.data, code[j]![1].data) === 0));
    if (i < 0) {
      // Not shareable yet: the first sighting of this code only leaves its fingerprint.
      let h = 0x811c9dc5;
      for (const [, pg] of code) for (let o = 0; o < PAGE; o += 16) h = Math.imul(h ^ pg.data[o]! ^ (pg.data[o + 7]! << 8), 0x01000193) >>> 0;
      const seen = `${key}${h}`;
      if (!codeSeenOnce.has(seen)) {
        if (codeSeenOnce.size >= MAX_CODE_SEEN) codeSeenOnce.clear();
        codeSeenOnce.add(seen);
        return;
      }
      codeSeenOnce.delete(seen);
    }
    if (i >= 0) {
      const set = sets!.splice(i, 1)[0]!;
      sets!.push(set); // most recently used last
      for (let j = 0; j < code.length; j++) { this.setPage(code[j]![0], set[j]!); recyclePage(code[j]![1]); }
    } else {
      if (codeSetCount >= MAX_CODE_SETS) { codeSets.clear(); codeSetCount = 0; sets = undefined; }
      if (sets === undefined) codeSets.set(key, (sets = []));
      else if (sets.length >= MAX_SETS_PER_KEY) { sets.shift(); codeSetCount--; }
      for (const [, pg] of code) pg.shared = true;
      sets.push(code.map((e) => e[1]));
      codeSetCount++;
    }
    this.codeShared = true;
    this.codeFirst = code[0]![0]; this.codeLast = code[code.length - 1]![0];
    this.flushTlb();
  }
  /** A memory equal to the template's, sharing its pages until it writes them. */
  static startFrom(t: MemoryTemplate): Memory {
    let m: Memory | undefined;
    const i = freeMemories.findIndex((f) => f.template === t);
    if (i >= 0) {
      m = freeMemories[i]!; // its page map is the template's already (release)
      m.released = false;
      freeMemories[i] = freeMemories[freeMemories.length - 1]!;
      freeMemories.pop();
      m.maxPages = t.maxPages;
    } else {
      m = new Memory(t.maxPages, t.pages);
      m.template = t;
    }
    m.codeShared = t.shareCode;
    m.codeFirst = t.codeFirst; m.codeLast = t.codeLast;
    if (!t.shareCode) m.unshareCode();
    return m;
  }
  /** An empty memory (no pages): a released one when there is one. */
  static empty(maxPages = 1 << 18): Memory {
    const m = freeEmpty.pop();
    if (m === undefined) return new Memory(maxPages);
    m.released = false;
    m.maxPages = maxPages;
    return m;
  }
  /**
   * The owner is done with this memory: nothing may use it afterwards (nor any Page it handed
   * out). Its private pages go to the free list, and the memory itself, its page map put back to
   * its template's, to the free memories for the next `startFrom` of that template.
   */
  release(): void {
    if (this.released) return; // twice would hand this memory to two owners
    this.released = true;
    this.kPn = NaN; this.kPage = undefined;
    const t = this.template;
    if (t === null || this.changedAll) {
      for (const pg of this.pages.values()) recyclePage(pg);
      this.pages.clear();
      this.changed.length = 0;
      this.changedAll = false;
      if (t === null) {
        this.codeShared = false;
        this.flushTlb();
        if (freeEmpty.length < MAX_FREE_EMPTY) freeEmpty.push(this);
        return;
      }
      for (const [pn, pg] of t.pages) this.pages.set(pn, pg);
    }
    for (const pn of this.changed) {
      const pg = this.pages.get(pn);
      if (pg !== undefined) recyclePage(pg); // a repeated pn finds the template's page: kept
      const tp = t.pages.get(pn);
      if (tp === undefined) this.pages.delete(pn);
      else this.pages.set(pn, tp);
    }
    this.changed.length = 0;
    this.flushTlb();
    if (freeMemories.length >= MAX_FREE_MEMORIES) freeMemories.shift();
    freeMemories.push(this);
  }
  /** Set or drop page pn's entry (the one writer of `pages` after construction: see `changed`). */
  private setPage(pn: number, pg: Page | null): void {
    if (pg === null) this.pages.delete(pn);
    else this.pages.set(pn, pg);
    this.kPn = NaN; this.kPage = undefined;
    if (this.changed.length < MAX_CHANGED) this.changed.push(pn);
    else this.changedAll = true;
  }
  /** Private copies of every shared executable page (their decode caches stay with the template). */
  private unshareCode(): void {
    this.codeShared = false;
    for (const [pn, pg] of this.pages) if (pg.shared && pg.prot & PROT_EXEC) { this.setPage(pn, privatePage(pg.prot, pg.data)); cpuStats.pagesCopied++; }
    this.flushTlb();
  }
  /** Before changing page pn's bytes, prot or presence: code shared with other memories stops being shared. */
  private beforeCodeChange(pn: number, prot = 0): void {
    if (!this.codeShared) return;
    // While code is shared, every executable page within the shared code's span (and the page
    // on either side) is one of the template's, so a page outside needs no lookup (a VM range:
    // thousands); one made executable out there waits for its first fetch (see the header).
    if (pn >= this.codeFirst - 1 && pn <= this.codeLast + 1 && (prot & PROT_EXEC || (this.pages.get(pn)?.prot ?? 0) & PROT_EXEC)) this.unshareCode();
  }
  /**
   * An instruction is about to be fetched from `pg`, a page made executable away from the
   * shared code while this memory shares it (beforeCodeChange): its caller may link a shared
   * instruction to code that exists in this memory only, so every shared instruction is
   * invalidated first (every memory sharing them decodes afresh) and this memory takes
   * private copies of its code.
   */
  private unshareBeforeFetch(): void {
    for (const pg of this.pages.values()) if (pg.shared && pg.prot & PROT_EXEC) dropCode(pg);
    this.unshareCode();
  }
  /** The page at pn, made private (copied if shared) so it may be written or re-protected. */
  private own(pn: number, pg: Page): Page {
    if (!pg.shared) return pg;
    this.beforeCodeChange(pn);
    const cur = this.pages.get(pn)!; // unshareCode may already have copied it
    if (!cur.shared) return cur;
    const copy = privatePage(cur.prot, cur.data);
    cpuStats.pagesCopied++;
    this.setPage(pn, copy);
    this.flushPages(pn, pn + 1);
    return copy;
  }

  get mappedPages(): number { return this.pages.size; }

  flushTlb(): void {
    this.rTag.fill(NaN); this.wTag.fill(NaN); this.rKey.fill(-1); this.wKey.fill(-1); this.xPn = NaN; this.xPage = null;
  }
  /**
   * Forget the TLB entries of pages [first, last) and of the page on either side (the write TLB
   * and the instruction TLB exclude each other across a page boundary: fetchPage, fillW), or
   * the whole TLB for a long range. What a full flush does for the pages that changed: an entry
   * of any other page still names that page's current Page with the permissions it was filled
   * under (a COW copy, a VM operation of a few pages: a full flush wrote 4 KiB of tags each).
   */
  private flushPages(first: number, last: number): void {
    if (last - first > FLUSH_ALL_PAGES) { this.flushTlb(); return; }
    const rTag = this.rTag, wTag = this.wTag;
    for (let p = first - 1; p <= last; p++) {
      const i = p & 255;
      if (rTag[i] === p) this.forgetR(i);
      if (wTag[i] === p) this.forgetW(i);
    }
    if (this.xPn >= first - 1 && this.xPn <= last) { this.xPn = NaN; this.xPage = null; }
  }

  /** Empty read or write TLB entry i: its float tag and its int32 key together. */
  private forgetR(i: number): void { this.rTag[i] = NaN; this.rKey[i] = -1; }
  private forgetW(i: number): void { this.wTag[i] = NaN; this.wKey[i] = -1; }

  // ---------------------------------------------------------------- personality API
  /** Map zero-filled pages covering [addr, addr+len) (page-aligned addr). Replaces existing pages. */
  map(addr: number, len: number, prot: number): void {
    const first = Math.floor(addr / PAGE), last = Math.ceil((addr + len) / PAGE);
    // A range larger than the whole budget cannot fit whatever is mapped already: refuse it
    // before walking it page by page (a guest asking for 2^40 bytes must not cost 2^28 steps).
    if (last - first > this.maxPages) throw new MemoryBudgetExceeded(this.maxPages);
    let fresh = 0;
    for (let p = first; p < last; p++) if (!this.pages.has(p)) fresh++;
    if (this.pages.size + fresh > this.maxPages) throw new MemoryBudgetExceeded(this.maxPages);
    for (let p = first; p < last; p++) { this.beforeCodeChange(p, prot); this.invalidateCode(p); this.setPage(p, prot & PROT_EXEC ? privatePage(prot, null) : zeroPage(prot)); }
    this.flushPages(first, last);
  }
  unmap(addr: number, len: number): void {
    const first = Math.floor(addr / PAGE), last = Math.ceil((addr + len) / PAGE);
    for (let p = first; p < last; p++) { this.beforeCodeChange(p); this.invalidateCode(p); this.setPage(p, null); }
    this.flushPages(first, last);
  }
  /** Change permissions of mapped pages in the range; returns false if some page is unmapped. */
  protect(addr: number, len: number, prot: number): boolean {
    const first = Math.floor(addr / PAGE), last = Math.ceil((addr + len) / PAGE);
    let ok = true;
    for (let p = first; p < last; p++) {
      let pg = this.pages.get(p);
      if (pg) {
        if (pg.prot !== prot) { this.beforeCodeChange(p, prot); pg = this.own(p, this.pages.get(p)!); }
        pg.prot = prot;
        if (!(prot & PROT_EXEC)) this.invalidateCode(p);
      } else ok = false;
    }
    this.flushPages(first, last);
    return ok;
  }
  isMapped(addr: number): boolean { return this.pages.has(Math.floor(addr / PAGE)); }
  protAt(addr: number): number | undefined { return this.pages.get(Math.floor(addr / PAGE))?.prot; }

  /** Copy bytes out ignoring permissions (personality/debugger view). Throws GuestFault if unmapped. */
  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = addr + i, pn = Math.floor(a / PAGE), off = a - pn * PAGE;
      const pg = this.pages.get(pn);
      if (!pg) throw pf(a, "read");
      const n = Math.min(PAGE - off, len - i);
      out.set(pg.data.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }
  /** Copy bytes in ignoring permissions; invalidates decoded code. */
  writeBytes(addr: number, bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const a = addr + i, pn = Math.floor(a / PAGE), off = a - pn * PAGE;
      let pg = this.pages.get(pn);
      if (!pg) throw pf(a, "write");
      if (pg.shared) pg = this.own(pn, pg);
      const n = Math.min(PAGE - off, bytes.length - i);
      // the whole of `bytes` in one page (kernel results and CQEs): no view to make
      pg.data.set(n === bytes.length ? bytes : bytes.subarray(i, i + n), off);
      this.invalidateCode(pn);
      i += n;
    }
  }
  /** Read a NUL-terminated string (max bytes). */
  readCString(addr: number, max = 4096): Uint8Array {
    const parts: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.readBytes(addr + i, 1)[0]!;
      if (b === 0) break;
      parts.push(b);
    }
    return Uint8Array.from(parts);
  }
  // Personality accessors: no allocation when the value lies within one page (ring and field
  // accesses of the kernel personality take this path); a page-straddling value goes bytewise.
  // The page size appears as a literal (see the CPU hot path below), and the last page found is
  // kept: a ring operation reads and writes its header words on one page, found by a map lookup
  // with a page number beyond V8's small integers each time before.
  private pageOf(a: number, access: "read" | "write"): Page {
    const pn = Math.floor(a / 4096);
    let pg = pn === this.kPn ? this.kPage : this.pages.get(pn);
    if (!pg) throw pf(a, access);
    if (access === "write" && pg.shared) pg = this.own(pn, pg);
    this.kPn = pn; this.kPage = pg;
    return pg;
  }
  readU8(a: number): number { return this.pageOf(a, "read").data[a - Math.floor(a / 4096) * 4096]!; }
  readU16(a: number): number {
    const off = a - Math.floor(a / 4096) * 4096;
    if (off <= 4094) return this.pageOf(a, "read").dv.getUint16(off, true);
    const b = this.readBytes(a, 2); return b[0]! | (b[1]! << 8);
  }
  readU32(a: number): number {
    const off = a - Math.floor(a / 4096) * 4096;
    if (off <= 4092) return this.pageOf(a, "read").dv.getUint32(off, true);
    const b = this.readBytes(a, 4); return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  readU64(a: number): bigint { return BigInt(this.readU32(a)) | (BigInt(this.readU32(a + 4)) << 32n); }
  writeU8(a: number, v: number): void {
    const pn = Math.floor(a / 4096);
    this.pageOf(a, "write").data[a - pn * 4096] = v & 255;
    this.invalidateCode(pn);
  }
  writeU16(a: number, v: number): void {
    const pn = Math.floor(a / 4096), off = a - pn * 4096;
    if (off > 4094) { this.writeBytes(a, Uint8Array.of(v & 255, (v >>> 8) & 255)); return; }
    this.pageOf(a, "write").dv.setUint16(off, v & 0xffff, true);
    this.invalidateCode(pn);
  }
  writeU32(a: number, v: number): void {
    const pn = Math.floor(a / 4096), off = a - pn * 4096;
    if (off > 4092) { this.writeBytes(a, Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255)); return; }
    this.pageOf(a, "write").dv.setUint32(off, v >>> 0, true);
    this.invalidateCode(pn);
  }
  writeU64(a: number, v: bigint): void {
    v = BigInt.asUintN(64, v);
    this.writeU32(a, Number(v & 0xffffffffn)); this.writeU32(a + 4, Number(v >> 32n));
  }

  snapshot(): MemorySnapshot {
    const pages: [number, number, Uint8Array][] = [];
    for (const [pn, pg] of this.pages) pages.push([pn, pg.prot, pg.data.slice()]);
    return { pages, maxPages: this.maxPages };
  }
  restore(s: MemorySnapshot): void {
    for (const pg of this.pages.values()) if (pg.icache && !pg.shared) dropCode(pg);
    this.pages.clear();
    this.kPn = NaN; this.kPage = undefined;
    this.codeShared = false;
    this.template = null;
    this.changed.length = 0;
    this.changedAll = false;
    this.maxPages = s.maxPages;
    for (const [pn, prot, data] of s.pages) this.pages.set(pn, new Page(prot, data.slice()));
    this.flushTlb();
  }
  static fromSnapshot(s: MemorySnapshot): Memory { const m = new Memory(s.maxPages); m.restore(s); return m; }

  // ---------------------------------------------------------------- code cache
  private invalidateCode(pn: number): void {
    // While code is shared, no private page holds decoded code: private pages are then never
    // fetched from (the first fetch from one unshares first) and a copy starts without a decode cache.
    if (this.codeShared) return;
    // A shared page's code stays valid: its bytes never change, and this memory only drops
    // or replaces it after unshareCode (beforeCodeChange), so it no longer reaches that code.
    const pg = this.pages.get(pn);
    if (pg && pg.icache && !pg.shared) dropCode(pg);
    // Instructions may straddle into this page: only one starting in the previous page's last
    // 15 bytes (the longest x86 instruction) can. Probes keep data right after their code, so
    // dropping that page on every store would decode it again after each one.
    const prev = this.pages.get(pn - 1);
    if (prev && prev.icache && !prev.shared && decodedNearEnd(prev.icache)) dropCode(prev);
  }
  /** Page for instruction fetch at addr (X permission), cached in a 1-entry TLB. */
  fetchPage(a: number): Page {
    const pn = Math.floor(a / 4096);
    if (pn === this.xPn) return this.xPage!;
    if (!(a >= 0 && a < USER_TOP)) throw this.badAddr(a, "exec");
    const pg = this.pages.get(pn);
    if (!pg || !(pg.prot & PROT_EXEC)) throw pf(a, "exec");
    if (this.codeShared && !pg.shared) this.unshareBeforeFetch();
    // a page holding decoded code must not be in the write TLB
    const i = pn & 255;
    if (this.wTag[i] === pn) this.forgetW(i);
    const j = (pn + 1) & 255;
    if (this.wTag[j] === pn + 1) this.forgetW(j);
    this.xPn = pn; this.xPage = pg;
    return pg;
  }
  fetch8(a: number): number {
    const pn = Math.floor(a / 4096);
    const pg = pn === this.xPn ? this.xPage! : this.fetchPage(a);
    return pg.data[a - pn * 4096]!;
  }

  // ---------------------------------------------------------------- CPU hot path
  // The page size and TLB mask appear as literals (4096, 255) from here on: V8 reads a
  // module-level const from the module's context at run time, so `a / PAGE` compiled to a
  // floating-point division on every access; `a / 4096` becomes a multiplication.
  private badAddr(a: number, access: "read" | "write" | "exec"): GuestFault {
    // canonical kernel-half addresses give #PF, non-canonical ones #GP
    if (a < 0 && a >= -USER_TOP) return pf(a, access);
    return gp("non-canonical address", a);
  }
  private fillR(a: number, pn: number, i: number): Page {
    if (!(a >= 0 && a < USER_TOP)) throw this.badAddr(a, "read");
    const pg = this.pages.get(pn);
    if (!pg || !(pg.prot & PROT_READ)) throw pf(a, "read");
    this.rTag[i] = pn; this.rKey[i] = Math.floor(pn / 256); this.rPage[i] = pg; this.rDv[i] = pg.dv;
    return pg;
  }
  private fillW(a: number, pn: number, i: number): Page {
    if (!(a >= 0 && a < USER_TOP)) throw this.badAddr(a, "write");
    let pg = this.pages.get(pn);
    if (!pg || !(pg.prot & PROT_WRITE)) throw pf(a, "write");
    // A shared page is never writable and executable while code is shared (freeze), so this
    // copy never happens under code this memory is running from a shared page.
    if (pg.shared) pg = this.own(pn, pg);
    this.invalidateCode(pn);
    if (this.xPn === pn || this.xPn === pn - 1) { this.xPn = NaN; this.xPage = null; }
    this.wTag[i] = pn; this.wKey[i] = Math.floor(pn / 256); this.wPage[i] = pg; this.wDv[i] = pg.dv;
    return pg;
  }
  rpage(a: number): Page {
    const pn = Math.floor(a / 4096), i = pn & 255;
    return this.rTag[i] === pn ? this.rPage[i]! : this.fillR(a, pn, i);
  }
  /**
   * The page the write TLB holds for page number pn, else null: a page written through it needs
   * no copy and drops no code (fillW did both; fetchPage takes a page out of the write TLB
   * before decoding from it). The compiled tier starts each store site's cache from it.
   */
  cachedWritePage(pn: number): Page | null {
    const i = pn & 255;
    return this.wTag[i] === pn ? this.wPage[i]! : null;
  }
  /** The page the read TLB holds for page number pn, else null (a readable page: a wasm loop's load sites copy it). */
  cachedReadPage(pn: number): Page | null {
    const i = pn & 255;
    return this.rTag[i] === pn ? this.rPage[i]! : null;
  }
  wpage(a: number): Page {
    const pn = Math.floor(a / 4096), i = pn & 255;
    return this.wTag[i] === pn ? this.wPage[i]! : this.fillW(a, pn, i);
  }
  r8(a: number): number {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const pg = this.rTag[i] === pn ? this.rPage[i]! : this.fillR(a, pn, i);
    return pg.data[a - pn * 4096]!;
  }
  r16(a: number): number {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.rTag[i] === pn ? this.rDv[i]! : this.fillR(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4094) return dv.getUint16(off, true);
    return this.r8(a) | (this.r8(a + 1) << 8);
  }
  /** 32-bit read, returned as int32. */
  r32(a: number): number {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.rTag[i] === pn ? this.rDv[i]! : this.fillR(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4092) return dv.getInt32(off, true);
    return this.r8(a) | (this.r8(a + 1) << 8) | (this.r8(a + 2) << 16) | (this.r8(a + 3) << 24);
  }
  w8(a: number, v: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const pg = this.wTag[i] === pn ? this.wPage[i]! : this.fillW(a, pn, i);
    pg.data[a - pn * 4096] = v;
  }
  w16(a: number, v: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.wTag[i] === pn ? this.wDv[i]! : this.fillW(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4094) { dv.setUint16(off, v, true); return; }
    this.wpage((pn + 1) * 4096); // a fault on the second page reports its first byte, as CR2 does
    this.w8(a, v); this.w8(a + 1, v >>> 8);
  }
  w32(a: number, v: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.wTag[i] === pn ? this.wDv[i]! : this.fillW(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4092) { dv.setInt32(off, v, true); return; }
    this.wpage((pn + 1) * 4096); // a fault on the second page reports its first byte, as CR2 does
    this.w8(a, v); this.w8(a + 1, v >>> 8); this.w8(a + 2, v >>> 16); this.w8(a + 3, v >>> 24);
  }
  /** The high half (int32) of the last r64. */
  r64Hi = 0;
  /**
   * 64-bit read: the low half as int32, the high half in r64Hi; one TLB lookup for both unless
   * the access straddles pages (then r32 of each half in order, so a fault reports the same address).
   */
  r64(a: number): number {
    const pn = Math.floor(a / 4096), i = pn & 255, off = a - pn * 4096;
    if (off <= 4088) {
      const dv = this.rTag[i] === pn ? this.rDv[i]! : this.fillR(a, pn, i).dv;
      this.r64Hi = dv.getInt32(off + 4, true);
      return dv.getInt32(off, true);
    }
    const lo = this.r32(a);
    this.r64Hi = this.r32(a + 4);
    return lo;
  }
  /** 64-bit write as two halves; checks both ends before writing anything. */
  w64(a: number, lo: number, hi: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.wTag[i] === pn ? this.wDv[i]! : this.fillW(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4088) { dv.setInt32(off, lo, true); dv.setInt32(off + 4, hi, true); return; }
    this.wpage((pn + 1) * 4096); // a fault on the second page reports its first byte, as CR2 does
    this.w32(a, lo); this.w32(a + 4, hi);
  }

  /** 16-byte read into x[at..at+3] (an XMM slot); one TLB lookup unless it straddles pages. */
  r128(a: number, x: Int32Array, at: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.rTag[i] === pn ? this.rDv[i]! : this.fillR(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4080) {
      x[at] = dv.getInt32(off, true); x[at + 1] = dv.getInt32(off + 4, true);
      x[at + 2] = dv.getInt32(off + 8, true); x[at + 3] = dv.getInt32(off + 12, true);
      return;
    }
    x[at] = this.r32(a); x[at + 1] = this.r32(a + 4); x[at + 2] = this.r32(a + 8); x[at + 3] = this.r32(a + 12);
  }
  /** 16-byte write of x[at..at+3]; checks both ends before writing anything. */
  w128(a: number, x: Int32Array, at: number): void {
    const pn = Math.floor(a / 4096), i = pn & 255;
    const dv = this.wTag[i] === pn ? this.wDv[i]! : this.fillW(a, pn, i).dv;
    const off = a - pn * 4096;
    if (off <= 4080) {
      dv.setInt32(off, x[at]!, true); dv.setInt32(off + 4, x[at + 1]!, true);
      dv.setInt32(off + 8, x[at + 2]!, true); dv.setInt32(off + 12, x[at + 3]!, true);
      return;
    }
    this.checkW(a, 16);
    this.w32(a, x[at]!); this.w32(a + 4, x[at + 1]!); this.w32(a + 8, x[at + 2]!); this.w32(a + 12, x[at + 3]!);
  }

  /** Check that [a, a+n) is writable (faults before any partial write). */
  checkW(a: number, n: number): void {
    this.wpage(a);
    const last = a + n - 1;
    if (n > 1 && Math.floor(last / 4096) !== Math.floor(a / 4096)) this.wpage(Math.floor(last / 4096) * 4096);
  }
}
