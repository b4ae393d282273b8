/**
 * The checker's memo keys (`StateKeys`: numbers, tuples, identity caches) must tell states apart
 * exactly as their full canonical text (`stateKey`) does: a key that merged two different states
 * would prune a search branch that may explain a run; one that split equal states would only cost
 * time, but would show the numbering is not canonical. Compared on states the model reaches from
 * the corpus scripts, on deep copies of them (new objects, pages inserted in reverse order) and on
 * copies changed in one part each. `Visited`, which keys only states whose cheap summary an
 * earlier state shared, must answer "first meeting" exactly as comparing those texts does.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { init, type AgentState, type Ctx, type ThreadRun } from "./agent.js";
import { fromPages, pagesOf, type AddressSpace, type Page } from "./address-space.js";
import { StateKeys, stateKey, Visited } from "./state-key.js";
import { ListTable, TupleTable } from "./tuple-table.js";
import { decodeCorpus } from "./tools/checker-corpus-format.js";
import { explore } from "./tools/explore.js";

const corpus = decodeCorpus(JSON.parse(gunzipSync(readFileSync(new URL("./fixtures/checker-corpus.json.gz", import.meta.url))).toString("utf8")));

function copyPage(pg: Page): Page {
  return { state: pg.state, prot: pg.prot, ...(pg.data ? { data: pg.data.slice() } : {}) };
}

/** The same address space in new objects, rebuilt from its pages in reverse order (the keys must not depend on insertion order). */
function copySpace(as: AddressSpace): AddressSpace {
  const { pages, gens } = pagesOf(as);
  return fromPages(as.id, new Map([...pages].reverse().map(([p, pg]) => [p, copyPage(pg)])), new Map([...gens].reverse()));
}

function copyRun(r: ThreadRun): ThreadRun {
  return { ...r, tls: r.tls.slice(), ...(r.pending ? { pending: { ...r.pending } } : {}), ...(r.block ? { block: { ...r.block } } : {}) };
}

/** A deep copy: equal in every part, sharing no object with `st`. */
function copyState(st: AgentState): AgentState {
  return {
    ...st,
    as: copySpace(st.as),
    park: { waiters: st.park.waiters.map((w) => ({ ...w, key: { ...w.key } })) },
    threads: new Map([...st.threads].map(([k, v]) => [k, { ...v }])),
    runs: st.runs.map(copyRun),
    regs: st.regs.slice(),
    learned: { ...st.learned },
    created: st.created.slice(),
  };
}

/** Copies of `st` changed in one part each (some changes may give an equal text: the comparison decides). */
function variants(st: AgentState): AgentState[] {
  const out: AgentState[] = [];
  const c = () => copyState(st);
  out.push({ ...c(), now: st.now + 1n });
  out.push({ ...c(), regs: st.regs.map((x, k) => (k === 3 ? x + 1n : x)) });
  out.push({ ...c(), anyEnd: st.anyEnd ? undefined : "unknown" });
  out.push({ ...c(), learned: { ...st.learned, "fs0:9": 0x1000n } });
  out.push({ ...c(), created: [...st.created].reverse() });
  const pns = [...pagesOf(st.as).pages.keys()].sort((x, y) => x - y);
  for (const p of pns.length > 0 ? [pns[pns.length >> 1]!, pns[0]!] : []) {
    const withPage = (edit: (pg: Page) => Page): AgentState => {
      const s = c();
      const { pages, gens } = pagesOf(s.as);
      pages.set(p, edit(pages.get(p)!));
      return { ...s, as: fromPages(s.as.id, pages, gens) };
    };
    out.push(withPage((pg) => ({ ...pg, prot: pg.prot ^ 1 })));
    out.push(withPage((pg) => ({ ...pg, state: pg.state === "committed" ? "reserved" : "committed" })));
    out.push(withPage((pg) => ({ ...pg, data: Uint8Array.from({ length: B.pageSize }, (_, k) => (k === 7 ? 1 : 0)) })));
    // All-zero contents are no contents (GO-3): the same text as a page never written.
    out.push(withPage((pg) => ({ ...pg, data: new Uint8Array(B.pageSize) })));
    const s = c();
    const { pages, gens } = pagesOf(s.as);
    out.push({ ...s, as: fromPages(s.as.id, pages, new Map([...gens, [p, (gens.get(p) ?? 0) + 1]])) });
  }
  st.runs.forEach((r, t) => {
    const withRun = (run: ThreadRun): AgentState => {
      const s = c();
      return { ...s, runs: s.runs.map((x, k) => (k === t ? run : x)) };
    };
    out.push(withRun({ ...copyRun(r), pc: r.pc + 1 }));
    out.push(withRun({ ...copyRun(r), tls: r.tls.map((x, k) => (k === 0 ? x ^ 1n : x)) }));
    out.push(withRun({ ...copyRun(r), joined: !r.joined }));
    if (r.pending?.k === "exact") out.push(withRun({ ...copyRun(r), pending: { ...r.pending, value: r.pending.value + 1n } }));
    if (r.pending?.k === "exact") out.push(withRun({ ...copyRun(r), pending: { ...r.pending, status: r.pending.status === "ok" ? "err" : "ok" } }));
    out.push(withRun({ ...copyRun(r), tls: r.tls.slice(0, -1) }));
    if (r.block?.kind === "park") out.push(withRun({ ...copyRun(r), block: { kind: "park", deadline: r.block.deadline === null ? 5n : null } }));
    if (r.block?.kind === "park" && r.block.deadline !== null) out.push(withRun({ ...copyRun(r), block: { kind: "park", deadline: r.block.deadline + 1n } }));
    if (r.block?.kind === "sleep") out.push(withRun({ ...copyRun(r), block: { kind: "sleep", deadline: r.block.deadline + 1n } }));
    if (r.block?.kind === "join") out.push(withRun({ ...copyRun(r), block: { ...r.block, target: r.block.target + 1 } }));
  });
  // Waiters are a set (PARKX-2): the same waiters in another order have the same text.
  if (st.park.waiters.length > 1) {
    const s = c();
    out.push({ ...s, park: { waiters: [...s.park.waiters].reverse() } });
  }
  if (st.park.waiters.length > 0) {
    const s = c();
    out.push({ ...s, park: { waiters: s.park.waiters.map((w, k) => (k === 0 ? { ...w, key: { ...w.key, gen: w.key.gen + 1 } } : w)) } });
  }
  return out;
}

describe("StateKeys", () => {
  it("numbers states exactly as their full canonical text tells them apart", () => {
    const problems: string[] = [];
    let compared = 0;
    let distinct = 0;
    let bigSpaces = 0;
    for (const [k, c] of corpus.cases.entries()) {
      if (k % 8 !== 0) continue;
      // One search's numbering (a search is over one script).
      const keys = new StateKeys();
      const idOfText = new Map<string, number>();
      const textOfId = new Map<number, string>();
      const ctx: Ctx = { script: c.script, b: B, env: c.env, time: "lazy" };
      for (const [j, st] of explore(ctx, 30).entries()) {
        if (st.as.reservedPages > 256) bigSpaces++;
        for (const s of [st, copyState(st), ...(j % 3 === 0 ? variants(st) : [])])
          for (const i of [0, 1]) {
            const text = `${i}#${stateKey(s, B)}`;
            const id = keys.id(s, i);
            compared++;
            const a = idOfText.get(text);
            const b = textOfId.get(id);
            if (a === undefined) idOfText.set(text, id);
            else if (a !== id && problems.length < 5) problems.push(`equal texts, ids ${a} and ${id}: ${text.slice(0, 200)}`);
            if (b === undefined) textOfId.set(id, text);
            else if (b !== text && problems.length < 5) problems.push(`id ${id} for two texts:\n  ${b.slice(0, 200)}\n  ${text.slice(0, 200)}`);
          }
      }
      distinct += idOfText.size;
    }
    expect(problems).toEqual([]);
    // The comparison met what it is about: many states, distinct ones, and large address spaces.
    expect(compared).toBeGreaterThan(10_000);
    expect(distinct).toBeGreaterThan(5_000);
    expect(bigSpaces).toBeGreaterThan(0);
  });

});

describe("Visited (lazy keys)", () => {
  it("says first meeting once per state and observation index", () => {
    const visited = new Visited();
    const ctx: Ctx = { script: corpus.cases[0]!.script, b: B, env: corpus.cases[0]!.env, time: "lazy" };
    const st = init(ctx);
    expect(visited.visit({ st, i: 0 })).toBe(true);
    // Same summary as the first, unkeyed state: both must be keyed to tell.
    expect(visited.visit({ st: copyState(st), i: 0 })).toBe(false);
    expect(visited.visit({ st, i: 1 })).toBe(true);
    expect(visited.visit({ st: { ...st, now: 1n }, i: 0 })).toBe(true);
    expect(visited.visit({ st: copyState({ ...st, now: 1n }), i: 0 })).toBe(false);
  });

  // Mask 0: one summary for every state (everything keyed); 0x7: many summaries shared by different states.
  it.each([undefined, 0x7, 0])("answers as full canonical texts do, on explored states, copies and variants (summary mask %s)", (mask) => {
    const problems: string[] = [];
    let firsts = 0;
    let again = 0;
    for (const [k, c] of corpus.cases.entries()) {
      if (k % 16 !== 0) continue;
      const visited = new Visited(mask);
      const seen = new Set<string>();
      const ctx: Ctx = { script: c.script, b: B, env: c.env, time: "lazy" };
      for (const [j, st] of explore(ctx, 30).entries())
        for (const s of [st, copyState(st), ...(j % 3 === 0 ? variants(st) : [])])
          for (const i of [0, 1]) {
            const text = `${i}#${stateKey(s, B)}`;
            const want = !seen.has(text);
            seen.add(text);
            if (want) firsts++;
            else again++;
            if (visited.visit({ st: s, i }) !== want && problems.length < 5) problems.push(`case ${k}: visit said ${!want} for ${text.slice(0, 200)}`);
          }
    }
    expect(problems).toEqual([]);
    // Both answers were given many times.
    expect(firsts).toBeGreaterThan(2_000);
    expect(again).toBeGreaterThan(2_000);
  });
});

describe("TupleTable", () => {
  it("gives equal tuples one id and different tuples different ids, across growth and hash collisions", () => {
    const t = new TupleTable(3);
    const ids = new Map<string, number>();
    // Tuples that differ in one element, in any position, and many of them (the table grows).
    for (let x = 0; x < 3000; x++)
      for (const tuple of [[x, 0, 0], [0, x, 0], [0, 0, x], [x, x, -x]]) {
        const id = t.intern(tuple);
        const k = tuple.join(",");
        expect(ids.get(k) ?? id).toBe(id);
        ids.set(k, id);
      }
    expect(t.size).toBe(ids.size);
    expect(new Set(ids.values()).size).toBe(ids.size);
  });
});

describe("ListTable", () => {
  it.each([-1, 0xff])("gives equal lists one id and different lists (prefixes and other lengths too) different ids, across growth and hash collisions (hash mask %d)", (hashMask) => {
    const t = new ListTable(hashMask);
    const ids = new Map<string, number>();
    // Lists of lengths 0-4, prefixes of each other among them (longer ones first too); under an
    // 8-bit hash many collide, so the exact comparison (length and elements) decides.
    const lists: number[][] = [[]];
    for (let x = 0; x < (hashMask === -1 ? 20_000 : 2_000); x++) lists.push([x], [x, 0], [x, 0, 0], [0, x], [x, x, -x], [x >> 3, x & 7, x, 1], [x >> 3, x & 7, x, 2], [x + 1e6, 5, 5], [x + 1e6, 5], [x + 1e6]);
    // Plain comparisons, one expect at the end (an expect per list took minutes under load).
    const problems: string[] = [];
    for (const pass of [0, 1])
      for (const list of lists) {
        const id = t.intern(list);
        const k = list.join(",") + "/" + list.length;
        const want = ids.get(k);
        if (want === undefined && pass === 0) ids.set(k, id);
        else if (want !== id && problems.length < 5) problems.push(`[${list.join(",")}]: id ${id}, first given ${want}`);
      }
    expect(problems).toEqual([]);
    expect(t.size).toBe(ids.size);
    expect(new Set(ids.values()).size).toBe(ids.size);
  });
});
