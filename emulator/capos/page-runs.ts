/**
 * A map from page numbers to numbers, kept as sorted runs of consecutive pages with one value
 * each (adjacent runs of equal value are merged). The VirtualMemory bookkeeping
 * (address-space.ts) holds page states and page generations in it: a case reserves ranges of
 * thousands of pages, and a hash-map entry per page cost a map insert per page, a grown table
 * per range (about a tenth of the kernel's allocation) and a sort of every reserved page on
 * each placement. Here an operation costs the runs it touches, whatever the range's size.
 *
 * Runs are [starts[i], ends[i]) with values[i]; starts ascending, runs disjoint.
 */
export class PageRuns {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly values: number[] = [];

  /** Number of runs. */
  get size(): number {
    return this.starts.length;
  }

  /** Index of the first run that ends after `pn` (runs.length when none). */
  private firstEndingAfter(pn: number): number {
    const e = this.ends;
    let lo = 0, hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid]! <= pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The value of page `pn`, or undefined when no run holds it. */
  get(pn: number): number | undefined {
    const i = this.firstEndingAfter(pn);
    return i < this.starts.length && this.starts[i]! <= pn ? this.values[i] : undefined;
  }

  /** Whether any page of [lo, hi) has a value. */
  anyIn(lo: number, hi: number): boolean {
    if (lo >= hi) return false;
    const i = this.firstEndingAfter(lo);
    return i < this.starts.length && this.starts[i]! < hi;
  }

  /** Whether every page of [lo, hi) has a value. */
  allIn(lo: number, hi: number): boolean {
    return this.firstMissing(lo, hi) === hi;
  }

  /** The first page of [lo, hi) without a value, or hi when there is none. */
  firstMissing(lo: number, hi: number): number {
    let at = lo;
    for (let i = this.firstEndingAfter(lo); i < this.starts.length && at < hi; i++) {
      if (this.starts[i]! > at) return at;
      at = this.ends[i]!;
    }
    return at < hi ? at : hi;
  }

  /**
   * The runs holding pages of [lo, hi), clipped to it, in ascending order: `out` receives
   * start, end, value triples (flat; reused by the caller), and is returned.
   */
  runsIn(lo: number, hi: number, out: number[] = []): number[] {
    out.length = 0;
    if (lo >= hi) return out;
    for (let i = this.firstEndingAfter(lo); i < this.starts.length && this.starts[i]! < hi; i++)
      out.push(Math.max(lo, this.starts[i]!), Math.min(hi, this.ends[i]!), this.values[i]!);
    return out;
  }

  /** Give every page of [lo, hi) the value `v`. */
  set(lo: number, hi: number, v: number): void {
    if (lo < hi) this.replace(lo, hi, [lo, hi, v]);
  }

  /** Remove every page of [lo, hi). */
  delete(lo: number, hi: number): void {
    if (lo < hi) this.replace(lo, hi, NONE);
  }

  /**
   * Add 1 to the value of each page of [lo, hi) that has one in `where` (pages without a value
   * here count from `from`): VirtualMemory's page generations, bumped on the pages an unmap or
   * decommit drops.
   */
  bumpWhere(where: PageRuns, lo: number, hi: number, from: number): void {
    const span = where.runsIn(lo, hi, scratchWhere);
    for (let w = 0; w < span.length; w += 3) {
      const a = span[w]!, b = span[w + 1]!;
      const pieces: number[] = [];
      let at = a;
      const mine = this.runsIn(a, b, scratchMine);
      for (let m = 0; m < mine.length; m += 3) {
        if (mine[m]! > at) pieces.push(at, mine[m]!, from + 1);
        pieces.push(mine[m]!, mine[m + 1]!, mine[m + 2]! + 1);
        at = mine[m + 1]!;
      }
      if (at < b) pieces.push(at, b, from + 1);
      this.replace(a, b, pieces);
    }
  }

  /**
   * Replace whatever lies in [lo, hi) with `pieces` (flat start, end, value triples, sorted,
   * inside [lo, hi)), keeping the parts of runs outside it, then merge equal neighbours.
   */
  private replace(lo: number, hi: number, pieces: readonly number[]): void {
    const S = this.starts, E = this.ends, V = this.values;
    const i = this.firstEndingAfter(lo);
    let j = i;
    while (j < S.length && S[j]! < hi) j++;
    // runs i..j-1 overlap [lo, hi): keep their parts below lo and from hi on
    const ns = newStarts, ne = newEnds, nv = newValues;
    ns.length = ne.length = nv.length = 0;
    const from = i > 0 ? i - 1 : i; // the run before, to merge with
    const to = j < S.length ? j + 1 : j; // the run after, likewise
    for (let r = from; r < i; r++) pushMerged(S[r]!, E[r]!, V[r]!);
    if (i < j && S[i]! < lo) pushMerged(S[i]!, lo, V[i]!);
    for (let p = 0; p < pieces.length; p += 3) pushMerged(pieces[p]!, pieces[p + 1]!, pieces[p + 2]!);
    if (i < j && E[j - 1]! > hi) pushMerged(hi, E[j - 1]!, V[j - 1]!);
    for (let r = j; r < to; r++) pushMerged(S[r]!, E[r]!, V[r]!);
    S.splice(from, to - from, ...ns);
    E.splice(from, to - from, ...ne);
    V.splice(from, to - from, ...nv);
  }
}
/**
 * `replace`'s new runs, before they are spliced in: module-level scratch arrays and a plain
 * function rather than three arrays and a closure per call (every VirtualMemory operation
 * replaces runs; under tsx each closure made also costs a __name call).
 */
const newStarts: number[] = [], newEnds: number[] = [], newValues: number[] = [];
/** Append run [s, e) with value v to the scratch runs, merged with the last one when they touch and agree. */
function pushMerged(s: number, e: number, v: number): void {
  const n = newStarts.length;
  if (n > 0 && newEnds[n - 1] === s && newValues[n - 1] === v) newEnds[n - 1] = e;
  else {
    newStarts.push(s);
    newEnds.push(e);
    newValues.push(v);
  }
}
const NONE: readonly number[] = [];
const scratchWhere: number[] = [];
const scratchMine: number[] = [];
