/**
 * Interning of fixed-width tuples of small non-negative integers: equal tuples get the same
 * id, different tuples different ids (ids are dense, from 0, in order of first sight).
 *
 * Why not a Set of strings: the checker interns a tuple per search state, and building and
 * hashing a key string per state cost more than the search step itself. Here a tuple is hashed
 * as numbers and compared number by number against the stored one on a hash match, so a hash
 * collision costs a comparison, never a wrong answer.
 */
export class TupleTable {
  // Plain arrays of small integers, not typed arrays: a search makes several tables and most
  // meet a few dozen tuples, and a typed array costs more to create than such a table's lookups.
  /** Tuple of id k at [k * width, (k + 1) * width). */
  private readonly data: number[] = [];
  /** Hash of each id's tuple (kept so growing the slot array needs no rehash of the data). */
  private readonly hashes: number[] = [];
  /** Open addressing, linear probing: id + 1 per slot, 0 = empty; the length is a power of 2. */
  private slots: number[] = new Array<number>(32).fill(0);
  private count = 0;

  constructor(readonly width: number) {}

  /** How many distinct tuples were interned. */
  get size(): number {
    return this.count;
  }

  /** The id of `t[0 .. width)`; a tuple not seen before gets id `size` (and size grows by one). */
  intern(t: ArrayLike<number>): number {
    const w = this.width;
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < w; k++) h = Math.imul(h ^ t[k]!, 0x01000193);
    h = finish(h);
    const slots = this.slots;
    const mask = slots.length - 1;
    const data = this.data;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[s]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] !== h) continue;
      let same = true;
      for (let k = 0, o = id * w; k < w; k++, o++)
        if (data[o] !== t[k]) {
          same = false;
          break;
        }
      if (same) return id;
    }
    return this.add(t, h);
  }

  private add(t: ArrayLike<number>, h: number): number {
    const id = this.count++;
    for (let k = 0; k < this.width; k++) this.data.push(t[k]!);
    this.hashes.push(h);
    // Keep the load at most one half, so probe runs stay short.
    if (this.count * 2 > this.slots.length) this.slots = slotsFor(this.slots.length * 2, this.hashes);
    else place(this.slots, id, h);
    return id;
  }

}

/**
 * Interning of integer lists of any length, in one table: equal lists get the same id,
 * different lists (a different length included) different ids, dense from 0 in order of first
 * sight. The same hashing and exact comparison as `TupleTable`; the length is hashed and
 * compared too. One table for every length, where a table per length and a second lookup of
 * (length, id) cost a short search more than its lists (each table is made per search).
 */
export class ListTable {
  /** The elements of every list, back to back: list k is data[starts[k] .. starts[k + 1]). */
  private readonly data: number[] = [];
  private readonly starts: number[] = [0];
  private readonly hashes: number[] = [];
  /** Open addressing, linear probing: id + 1 per slot, 0 = empty; the length is a power of 2. */
  private slots: number[] = new Array<number>(32).fill(0);
  private count = 0;

  /** @param hashMask kept bits of each hash (tests pass a few bits to make lists collide; the ids do not depend on it). */
  constructor(private readonly hashMask = -1) {}

  /** How many distinct lists were interned. */
  get size(): number {
    return this.count;
  }

  /** The id of list `t`; a list not seen before gets id `size`. */
  intern(t: readonly number[]): number {
    const n = t.length;
    let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
    for (let k = 0; k < n; k++) h = Math.imul(h ^ t[k]!, 0x01000193);
    h = finish(h) & this.hashMask;
    const slots = this.slots;
    const mask = slots.length - 1;
    const data = this.data;
    const starts = this.starts;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[s]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] !== h) continue;
      const from = starts[id]!;
      if (starts[id + 1]! - from !== n) continue;
      let same = true;
      for (let k = 0; k < n; k++)
        if (data[from + k] !== t[k]) {
          same = false;
          break;
        }
      if (same) return id;
    }
    const id = this.count++;
    for (let k = 0; k < n; k++) data.push(t[k]!);
    starts.push(data.length);
    this.hashes.push(h);
    if (this.count * 2 > slots.length) this.slots = slotsFor(slots.length * 2, this.hashes);
    else place(slots, id, h);
    return id;
  }

}

/** Finish a hash (murmur3's fmix32) so its low bits depend on every element. */
export function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Put id (stored as id + 1) in the first free slot of hash h's probe run. */
function place(slots: number[], id: number, h: number): void {
  const mask = slots.length - 1;
  let s = h & mask;
  while (slots[s] !== 0) s = (s + 1) & mask;
  slots[s] = id + 1;
}

/** A slot array of `n` slots holding every id, id k having hash hashes[k]. */
function slotsFor(n: number, hashes: readonly number[]): number[] {
  const slots = new Array<number>(n).fill(0);
  for (let id = 0; id < hashes.length; id++) place(slots, id, hashes[id]!);
  return slots;
}
