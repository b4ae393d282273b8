/**
 * Canonical keys of agent states, for the checker's memoisation (Porcupine's `equal`): two
 * states get the same key exactly when every part of them is equal (address space, thread
 * runs, thread table, registers, clock, learned values, park waiters, creation order, whether
 * an unknown outcome was seen).
 *
 * `stateKey` spells a state out in full. The checker uses a `StateKeys` per search instead:
 * states share their unchanged parts with their predecessor, so each part object gets a small
 * number once (its canonical text interned) and a state's key is a short string of those
 * numbers. The tables live as long as the search, so nothing accumulates between checks.
 */
import type { Binding } from "../spec/binding.js";
import type { AgentState, Pending, ThreadRun, Block } from "./agent.js";
import { addressSpaceKey, pageDataText, type Page } from "./address-space.js";
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

/** Memo keys for one search: equal keys exactly when `stateKey` is equal. */
export class StateKeys {
  /** Canonical part text -> its number (one table for every kind of part: each text starts with its kind). */
  private readonly numbers = new Map<string, number>();
  /** Part object -> its number. */
  private readonly parts = new Map<object, number>();
  private readonly pageKeys = new Map<Uint8Array, string>();
  private readonly pageKey = (pg: Page): string => {
    if (!pg.data) return "";
    let k = this.pageKeys.get(pg.data);
    if (k === undefined) this.pageKeys.set(pg.data, (k = pageDataText(pg.data)));
    return k;
  };

  constructor(private readonly b: Binding) {}

  private number(text: string): number {
    let n = this.numbers.get(text);
    if (n === undefined) this.numbers.set(text, (n = this.numbers.size));
    return n;
  }

  /** The number of part `obj`, whose canonical text is `text(obj)` (each kind of part has its own letter). */
  private part<T extends object>(obj: T, text: (x: T) => string, kind: string): number {
    let n = this.parts.get(obj);
    if (n === undefined) this.parts.set(obj, (n = this.number(kind + text(obj))));
    return n;
  }

  private readonly spaceText = (as: AgentState["as"]): string => addressSpaceKey(as, this.b, this.pageKey);

  /** The key of `st` at observation index `i`. */
  key(st: AgentState, i: number): string {
    let runs = "";
    for (const r of st.runs) runs += `${this.part(r, runText, "r")},`;
    return `${i}:${this.part(st.as, this.spaceText, "m")}:${runs}${this.part(st.threads, threadsText, "t")}:${this.part(st.regs, regsText, "g")}:${hex(st.now)}:${this.part(st.learned, learnedText, "l")}:${this.part(st.park.waiters, waitersText, "w")}:${this.part(st.created, createdText, "c")}${st.anyEnd ? ":A" : ""}`;
  }
}
