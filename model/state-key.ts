/**
 * Canonical keys of agent states, for the checker's memoisation (Porcupine's `equal`): two
 * states get the same key exactly when every part of them is equal (address space, thread
 * runs, thread table, registers, clock, learned values, park waiters, creation order, whether
 * an unknown outcome was seen).
 *
 * `stateKey` spells a state out in full (the reference, for tests and `equal`). The checker
 * numbers states with a `StateKeys` per search instead (see there), which tells states apart
 * exactly as `stateKey` does (state-key.test.ts compares the two), and only for the states a
 * `Visited` (one per search) finds could be met twice.
 */
import type { Binding } from "../spec/binding.js";
import type { AgentState, Pending, ThreadRun, Block } from "./agent.js";
import { addressSpaceKey, pageDataText, sortedKeys, type AddressSpace } from "./address-space.js";
import { finish, ListTable, TupleTable } from "./tuple-table.js";
import type { ThreadTable } from "./threads.js";
import type { Waiter } from "./park.js";

const hex = (x: bigint): string => x.toString(16);

function pendingText(p: Pending): string {
  switch (p.k) {
    case "exact":
      return `e${p.status}${hex(p.value)}`;
    case "learn":
      return `l${hex(p.offset)}/${hex(p.align)}/${JSON.stringify(p.key)}${JSON.stringify(p.why)}`;
    case "now":
      return `n${hex(p.min)}`;
    case "any":
      return `a${JSON.stringify(p.why)}`;
    case "value":
      return `v${JSON.stringify(p.why)}`;
    case "reject":
      return `r${JSON.stringify(p.why)}`;
    case "oneOf":
      return `o${p.values.map(hex).join("/")}${JSON.stringify(p.why)}`;
  }
}

function blockText(b: Block): string {
  switch (b.kind) {
    case "park":
      return `P${b.deadline === null ? "-" : hex(b.deadline)}`;
    case "sleep":
      return `S${hex(b.deadline)}`;
    case "join":
      return `J${b.target}${b.batch ? `[${b.batch.map(hex).join("/")}]` : ""}`;
  }
}

function runText(r: ThreadRun): string {
  return `${r.phase} ${r.pc} ${r.pending ? pendingText(r.pending) : "."} ${r.block ? blockText(r.block) : "."} ${r.joined ? "J" : ""}${r.handleReleased ? "R" : ""} ${r.tls.map(hex).join(",")}`;
}

function threadsText(tt: ThreadTable): string {
  let s = "";
  for (const [i, x] of tt) s += `${i}${x.status[0]}${x.fsBase === null ? "-" : hex(x.fsBase)}/${x.exitValue === undefined ? "" : hex(x.exitValue)},`;
  return s;
}

function regsText(regs: readonly bigint[]): string {
  return regs.map(hex).join(",");
}

function learnedText(learned: Readonly<Record<string, bigint>>): string {
  return Object.keys(learned)
    .sort()
    .map((k) => `${k}=${hex(learned[k]!)}`)
    .join(",");
}

/** Waiters as a set (their queue order never decides anything, PARKX-2); an async waiter's deadline is its own, a thread's is in its run. */
function waitersText(ws: readonly Waiter[]): string {
  return ws
    .map((w) => `${w.id}@${w.key.asid}:${w.key.gen}:${hex(BigInt(w.key.addr))}${w.id < 0 && w.deadline !== null ? `~${hex(w.deadline)}` : ""}`)
    .sort()
    .join(",");
}

function createdText(c: readonly number[]): string {
  return c.join(",");
}

/** The full canonical text of a state (for tests and `equal`; the checker uses `StateKeys`). */
export function stateKey(st: AgentState, b: Binding): string {
  return [
    addressSpaceKey(st.as, b),
    st.runs.map(runText).join("|"),
    threadsText(st.threads),
    regsText(st.regs),
    hex(st.now),
    learnedText(st.learned),
    waitersText(st.park.waiters),
    createdText(st.created),
    st.anyEnd ? "A" : "",
  ].join("#");
}

/** Kinds of part numbered by canonical text (the kind starts the text, so kinds never share a number). */
type PartKind = "learned";

/**
 * Memo keys for one search: two states get the same id exactly when their `stateKey` texts are
 * equal (state-key.test.ts holds the two to that on explored and mutated states).
 *
 * A state is a tuple of numbers, one per part, interned in a `TupleTable`. A part object seen
 * before (states share every part their move left alone) is looked up by identity; a new one
 * gets the number of an exact numeric form where one exists: a run is a tuple (phase, pc,
 * pending, block, flags, TLS values), registers, TLS values, the thread table, the creation
 * order and the address space (its runs, generations and page contents) are lists of numbers,
 * and bigints (the clock, register values, exact results) are numbered by value (Map compares
 * bigints by value), with no text built; only the learned values by their canonical text. The tables live as long as the search, so nothing accumulates between
 * checks.
 */
export class StateKeys {
  private readonly texts = new Map<string, number>();
  /** Part object -> its number: text parts (`part`) and address spaces (`spaceId`). */
  private readonly partIds = new Map<object, number>();
  /** Lists of bigints (registers, TLS values) -> their number; these arrays are shared by many states. */
  private readonly regsIds = new Map<readonly bigint[], number>();
  private readonly bigints = new Map<bigint, number>();
  /** Exact pending results by status, then value; other pendings by text (`pendingTexts`); both numbered from `pendings`. */
  private readonly exact = new Map<string, Map<bigint, number>>();
  private readonly pendingTexts = new Map<string, number>();
  private pendings = 0;
  private readonly runs = new TupleTable(6);
  private readonly runTuple = [0, 0, 0, 0, 0, 0];
  private readonly valuesTuple: number[] = [];
  private readonly threadsTuple: number[] = [];
  private readonly waitersTuple: number[] = [];
  /** The number of an empty waiter list (most states have no waiter; each park space has its own array). */
  private noWaiters = -1;
  private readonly lists = new ListTable();
  private readonly blocks = new TupleTable(3);
  private readonly blockTuple = [0, 0, 0];
  private states: TupleTable | undefined;
  private stateTuple: number[] = [];
  /** The state `stateTuple` was last filled for. */
  private last: AgentState | undefined;
  private readonly pageKeys = new Map<Uint8Array, number>();
  private readonly spaceSeq: number[] = [];


  /** How many distinct (state, observation index) pairs `id` has numbered. */
  get size(): number {
    return this.states?.size ?? 0;
  }

  /** The number of `st` at observation index `i`: equal exactly when `stateKey` and `i` are. */
  id(st: AgentState, i: number): number {
    const n = st.runs.length;
    if (!this.states) {
      this.states = new TupleTable(9 + n);
      this.stateTuple = new Array<number>(9 + n).fill(0);
    } else if (this.states.width !== 9 + n) throw new RangeError(`a search over ${this.states.width - 9} threads met a state with ${n}`);
    // The tuple still holds the last state's numbers: the search mostly keys a state right after
    // its parent or a sibling, so most parts are the same objects and keep their number.
    const t = this.stateTuple;
    const last = this.last;
    t[0] = i;
    if (st.as !== last?.as) t[1] = this.spaceId(st.as);
    if (st.threads !== last?.threads) t[2] = this.threadsId(st.threads);
    if (st.regs !== last?.regs) t[3] = this.regsId(st.regs);
    if (st.now !== last?.now) t[4] = this.bigintId(st.now);
    if (st.learned !== last?.learned) t[5] = this.part(st.learned, learnedText, "learned");
    if (st.park.waiters !== last?.park.waiters) t[6] = this.waitersId(st.park.waiters);
    if (st.created !== last?.created) t[7] = this.listId(st.created);
    t[8] = st.anyEnd ? 1 : 0;
    if (st.runs !== last?.runs) for (let k = 0; k < n; k++) if (st.runs[k] !== last?.runs[k]) t[9 + k] = this.runId(st.runs[k]!);
    this.last = st;
    return this.states.intern(t);
  }

  /**
   * An address space as the sequence `addressSpaceKey` spells out, in numbers: its runs of
   * pages with equal state and protection (its regions), its runs of pages with equal
   * generation (both maximal, so equal page maps give equal runs), and the non-zero contents of
   * each written page. Equal sequences exactly when equal texts.
   */
  private spaceId(as: AddressSpace): number {
    const seen = this.partIds;
    let n = seen.get(as);
    if (n !== undefined) return n;
    const seq = this.spaceSeq;
    seq.length = 0;
    for (const r of as.runs) seq.push(r.first, r.end, r.state === "committed" ? 1 : 0, r.prot);
    seq.push(-1);
    for (const g of as.gens) seq.push(g.first, g.end, g.gen);
    seq.push(-2);
    if (as.data.size > 0)
      for (const p of sortedKeys(as.data)) {
        const data = as.data.get(p)!;
        let d = this.pageKeys.get(data);
        if (d === undefined) {
          const text = pageDataText(data);
          this.pageKeys.set(data, (d = text === "" ? -1 : this.textId("d" + text)));
        }
        if (d >= 0) seq.push(p, d);
      }
    n = this.listId(seq);
    seen.set(as, n);
    return n;
  }

  private textId(text: string): number {
    let n = this.texts.get(text);
    if (n === undefined) this.texts.set(text, (n = this.texts.size));
    return n;
  }

  private bigintId(x: bigint): number {
    let n = this.bigints.get(x);
    if (n === undefined) this.bigints.set(x, (n = this.bigints.size));
    return n;
  }

  /** The number of part `obj` of `kind`, whose canonical text is `text(obj)`. */
  private part<T extends object>(obj: T, text: (x: T) => string, kind: PartKind): number {
    const seen = this.partIds;
    let n = seen.get(obj);
    if (n === undefined) seen.set(obj, (n = this.textId(kind + text(obj))));
    return n;
  }

  private pendingId(p: Pending): number {
    if (p.k === "exact") {
      let byValue = this.exact.get(p.status);
      if (!byValue) this.exact.set(p.status, (byValue = new Map()));
      let n = byValue.get(p.value);
      if (n === undefined) byValue.set(p.value, (n = this.pendings++));
      return n;
    }
    const text = pendingText(p);
    let n = this.pendingTexts.get(text);
    if (n === undefined) this.pendingTexts.set(text, (n = this.pendings++));
    return n;
  }

  /**
   * A run as (phase, pc, pending, block, joined/released, TLS values): the fields `runText` spells
   * out. Not cached by run object: nearly every run the search keys is new (a move makes it), and
   * remembering each cost more than the few lookups that number it.
   */
  private runId(r: ThreadRun): number {
    const t = this.runTuple;
    t[0] = PHASES[r.phase];
    t[1] = r.pc;
    t[2] = r.pending ? this.pendingId(r.pending) + 1 : 0;
    t[3] = r.block ? this.blockId(r.block) + 1 : 0;
    t[4] = (r.joined ? 1 : 0) | (r.handleReleased ? 2 : 0);
    t[5] = this.regsId(r.tls);
    return this.runs.intern(t);
  }

  /** A thread table as `threadsText` spells it, in numbers: per thread in table order, (id, status's first letter, FS base, exit value). */
  private threadsId(tt: ThreadTable): number {
    const t = this.threadsTuple;
    t.length = 0;
    for (const [i, x] of tt) t.push(i, x.status.charCodeAt(0), x.fsBase === null ? -1 : this.bigintId(x.fsBase), x.exitValue === undefined ? -1 : this.bigintId(x.exitValue));
    return this.listId(t);
  }

  /**
   * Waiters as `waitersText` spells them, in numbers: a set, so each waiter's tuple (id, space,
   * generation, address, an async waiter's deadline) in a fixed order; equal lists exactly when
   * equal sorted texts (the text of one waiter and its tuple determine each other).
   */
  private waitersId(ws: readonly Waiter[]): number {
    if (ws.length === 0) return this.noWaiters >= 0 ? this.noWaiters : (this.noWaiters = this.listId([]));
    const seen = this.partIds;
    let n = seen.get(ws);
    if (n !== undefined) return n;
    // Five numbers per waiter in one list, then an insertion sort of the five-number records (a park space has a few waiters).
    const t = this.waitersTuple;
    t.length = 5 * ws.length;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      t[5 * i] = w.id;
      t[5 * i + 1] = w.key.asid;
      t[5 * i + 2] = w.key.gen;
      t[5 * i + 3] = w.key.addr;
      t[5 * i + 4] = w.id < 0 && w.deadline !== null ? this.bigintId(w.deadline) : -1;
    }
    for (let i = 1; i < ws.length; i++)
      for (let j = i; j > 0 && recordAfter(t, 5 * (j - 1), 5 * j); j--)
        for (let k = 0; k < 5; k++) {
          const x = t[5 * j + k]!;
          t[5 * j + k] = t[5 * (j - 1) + k]!;
          t[5 * (j - 1) + k] = x;
        }
    n = this.listId(t);
    seen.set(ws, n);
    return n;
  }

  /** Registers (or a run's TLS values) as the tuple of their values' numbers. */
  private regsId(regs: readonly bigint[]): number {
    const seen = this.regsIds;
    let n = seen.get(regs);
    if (n === undefined) seen.set(regs, (n = this.valuesId(regs)));
    return n;
  }

  /** A list of bigints (registers, a thread's TLS values) as the list of their numbers. */
  private valuesId(xs: readonly bigint[]): number {
    const t = this.valuesTuple;
    if (t.length !== xs.length) t.length = xs.length;
    for (let k = 0; k < xs.length; k++) t[k] = this.bigintId(xs[k]!);
    return this.listId(t);
  }

  /**
   * A list of integers of any length: equal numbers exactly for equal lists. Each position of a
   * state's tuple holds one kind of list, so kinds may share numbers.
   */
  private listId(xs: readonly number[]): number {
    return this.lists.intern(xs);
  }

  /** A block as `blockText` spells it, in numbers: (kind, deadline or target, RING_BATCH values). */
  private blockId(b: Block): number {
    const t = this.blockTuple;
    switch (b.kind) {
      case "park":
        t[0] = 0; t[1] = b.deadline === null ? -1 : this.bigintId(b.deadline); t[2] = 0;
        break;
      case "sleep":
        t[0] = 1; t[1] = this.bigintId(b.deadline); t[2] = 0;
        break;
      case "join":
        t[0] = b.batch ? 3 : 2; t[1] = b.target; t[2] = b.batch ? this.textId(`j${b.batch.map(hex).join("/")}`) : 0;
        break;
    }
    return this.blocks.intern(t);
  }
}

/** A search state and the index of the next observation: what the search memoises (the checker's frames are such pairs). */
export interface StateAt {
  readonly st: AgentState;
  readonly i: number;
}

/**
 * The states one search has met, keyed lazily: `visit` gives exactly what comparing full keys
 * (`StateKeys.id`, equal exactly when `stateKey` and `i` are) would give, and keys only the states
 * that could be met twice.
 *
 * Why: the search revisits few states (25 of 45,256 on the captured mix's accepted runs), yet
 * numbering every state's parts cost about a third of the checker. A state's summary (the
 * observation index, each thread's phase and op index) is a few integer reads, and equal states
 * have equal summaries; so a state whose summary hash no earlier state had is new, with no key
 * built. The first state met under a hash is kept unkeyed; when a second one comes, both are
 * keyed, and every later state with that hash too. On the captured mix's accepted runs the
 * summary tells apart exactly the states the full keys do (the 25 summary matches are the 25
 * revisits); refused runs, searched in full, match summaries more often and key those states.
 */
export class Visited {
  /** Made at the first shared summary: most searches never need one, and its tables cost more to make than such a search's visits. */
  private keys: StateKeys | undefined;
  /** Summary hash -> the one state met with it so far, not keyed; KEYED once a second state had it. */
  private readonly firstWith = new Map<number, StateAt | typeof KEYED>();

  /** @param summaryMask kept bits of each summary hash (tests pass a few bits, or 0, so that different states share hashes; the answers do not depend on it). */
  constructor(private readonly summaryMask = 0x3fff_ffff) {}

  /**
   * Whether this search meets `at.st` at observation index `at.i` for the first time (and
   * remembers it). `at` is kept as it is (unkeyed), so its state must not change afterwards
   * (model states never do).
   */
  visit(at: StateAt): boolean {
    const h = summaryHash(at.st, at.i) & this.summaryMask;
    const first = this.firstWith.get(h);
    if (first === undefined) {
      this.firstWith.set(h, at);
      return true;
    }
    const keys = (this.keys ??= new StateKeys());
    if (first !== KEYED) {
      // A second state with this hash: number the first now, so the full keys decide from here on.
      keys.id(first.st, first.i);
      this.firstWith.set(h, KEYED);
    }
    // Every earlier state with this hash is keyed, and states under other hashes differ from
    // this one, so it is new exactly when its key is.
    const before = keys.size;
    return keys.id(at.st, at.i) === before;
  }
}

const KEYED = 0;

/**
 * A hash of what every state equal to `st` (at observation index `i`) shares and is cheap to
 * read: `i` and each thread's phase and op index (runText spells both out, so equal keys imply
 * equal summaries). Kept to 30 bits: a small integer to V8, so the Map keys stay unboxed.
 */
function summaryHash(st: AgentState, i: number): number {
  let h = Math.imul(0x811c9dc5 ^ i, 0x01000193);
  const runs = st.runs;
  for (let k = 0; k < runs.length; k++) {
    const r = runs[k]!;
    h = Math.imul(h ^ r.pc, 0x01000193);
    // The phases' first letters differ (unstarted, idle, pending, blocked, done).
    h = Math.imul(h ^ r.phase.charCodeAt(0), 0x01000193);
  }
  return finish(h);
}

/** Whether the five-number record at `a` in `t` comes after the one at `b` (lexicographic order). */
function recordAfter(t: readonly number[], a: number, b: number): boolean {
  for (let k = 0; k < 5; k++) if (t[a + k] !== t[b + k]) return t[a + k]! > t[b + k]!;
  return false;
}

const PHASES: Readonly<Record<ThreadRun["phase"], number>> = { unstarted: 0, idle: 1, pending: 2, blocked: 3, done: 4 };

