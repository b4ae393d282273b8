/**
 * Park/unpark interleavings and determinism through the agent guest (targets/elf/agent.*,
 * skipped when absent): the harness patches an op script (spec/agent-protocol.ts) into the
 * agent's `.capos_script` section and forces interleavings with explicit schedules.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import { OP, encodeScript, parseObservations } from "../../../spec/agent-protocol.js";
import type { Script } from "../../../spec/agent-protocol.js";
import type { Schedule } from "../../../spec/run-protocol.js";
import { runCapos } from "../index.js";
import type { MutantName } from "../machine.js";
import { manifest, readElf } from "./helpers.js";

/** File offset of a named section (own reader: section headers + shstrtab). */
function sectionOffset(img: Uint8Array, name: string): number {
  const v = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const shoff = Number(v.getBigUint64(40, true));
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  const strOff = Number(v.getBigUint64(shoff + shstrndx * shentsize + 24, true));
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    let n = strOff + v.getUint32(at, true);
    let s = "";
    while (img[n]) s += String.fromCharCode(img[n++]!);
    if (s === name) return Number(v.getBigUint64(at + 24, true));
  }
  throw new Error(`no section ${name}`);
}

function withScript(agent: Uint8Array, script: Script): Uint8Array {
  const img = agent.slice();
  img.set(encodeScript(script), sectionOffset(img, ".capos_script"));
  return img;
}

const FOREVER = B.park.timeoutForever;
/** Thread 0 parks on a fresh word expecting 0; thread 1 stores 1 and unparks one waiter. */
const PARK_UNPARK: Script = {
  threads: [
    [
      { kind: OP.MAP, dst: 1, a: 0n, b: 4096n, c: 3n },
      { kind: OP.SPAWN, a: 1n },
      { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: FOREVER },
      { kind: OP.JOIN, a: 1n },
    ],
    [
      { kind: OP.STORE, base: 1, a: 0n, b: 4n, c: 1n },
      { kind: OP.UNPARK, base: 1, a: 0n, b: 1n },
    ],
  ],
};

const agents = (manifest() ?? []).filter((e) => e.program === "agent");

/** All pick sequences of length n over {0, 1} with quantum 0 (run to the next syscall). */
function schedules(n: number): Schedule[] {
  const out: Schedule[] = [];
  for (let bits = 0; bits < 1 << n; bits++)
    out.push({ decisions: Array.from({ length: n }, (_, i) => ({ pick: (bits >> i) & 1, quantum: 0 })) });
  return out;
}

function parkOutcome(img: Uint8Array, schedule: Schedule, mutant?: MutantName) {
  const r = runCapos(img, { schedule, maxInsns: 3_000_000, trace: true, ...(mutant ? { mutant } : {}) });
  const obs = parseObservations(new TextDecoder().decode(r.console)).observations;
  const park = obs.find((o) => o.thread === 0 && o.op === 2);
  const unpark = obs.find((o) => o.thread === 1 && o.op === 1);
  return { r, park, unpark };
}

describe("park/unpark interleavings through the agent (PARK-3, PARKX-2, PARKX-8)", () => {
  it("agent ELF present", (ctx) => {
    if (agents.length === 0) ctx.skip("targets/elf has no agent ELF (targets/build.sh)");
  });
  for (const e of agents) {
    it(`${e.name}: every interleaving ends with a consistent wake, and replays identically`, (ctx) => {
      const agent = readElf(e.name);
      if (!agent) ctx.skip(`targets/elf/${e.name} not present (rebuild with targets/build.sh)`);
      const img = withScript(agent!, PARK_UNPARK);
      const seen = new Set<string>();
      // 2^10 schedules is too heavy for CI; stride through them.
      const all = schedules(10).filter((_, i) => i % 8 === 0 || i < 64);
      for (const s of all) {
        const { r, park, unpark } = parkOutcome(img, s);
        expect(r.end, JSON.stringify(s)).toEqual({ kind: "exit", code: 0 });
        expect(park?.status).toBe("ok");
        expect(unpark?.status).toBe("ok");
        // woken (0) iff the UNPARK woke one waiter; mismatch (1) iff it woke none
        if (park!.value === BigInt(B.park.results.woken)) expect(unpark!.value).toBe(1n);
        else {
          expect(park!.value).toBe(BigInt(B.park.results.mismatch));
          expect(unpark!.value).toBe(0n);
        }
        seen.add(`${park!.value}/${unpark!.value}`);
      }
      // both orders are reachable by explicit schedules
      expect(seen.size).toBe(2);
      // same schedule twice: same console and the same event log
      for (const s of all.slice(0, 8)) {
        const a = parkOutcome(img, s).r, b = parkOutcome(img, s).r;
        expect(b.console).toEqual(a.console);
        expect(b.events).toEqual(a.events);
      }
    });

    it(`${e.name}: mutant lost-wake is caught by some schedule`, (ctx) => {
      const agent = readElf(e.name);
      if (!agent) ctx.skip(`targets/elf/${e.name} not present (rebuild with targets/build.sh)`);
      const img = withScript(agent!, PARK_UNPARK);
      const bad = schedules(10).filter((_, i) => i % 4 === 0).some((s) => {
        const { r, park } = parkOutcome(img, s, "lost-wake");
        return r.end.kind !== "exit" || park === undefined;
      });
      expect(bad).toBe(true);
    });

    it(`${e.name}: FS base survives switches; mutant fs-not-restored is caught (FSB-1, FSB-5)`, (ctx) => {
      const agent = readElf(e.name);
      if (!agent) ctx.skip(`targets/elf/${e.name} not present (rebuild with targets/build.sh)`);
      // thread 1 sets its own FS base, yields, and reads it back; thread 0 reads its own.
      const script: Script = {
        threads: [
          [{ kind: OP.SPAWN, a: 1n }, { kind: OP.YIELD }, { kind: OP.GET_FS, dst: 2 }, { kind: OP.YIELD }, { kind: OP.TLS_READ, a: 0n }, { kind: OP.JOIN, a: 1n }],
          [{ kind: OP.MAP, dst: 3, a: 0n, b: 8192n, c: 3n }, { kind: OP.SET_FS, base: 3, a: 4096n }, { kind: OP.YIELD }, { kind: OP.GET_FS }, { kind: OP.YIELD }],
        ],
      };
      const img = withScript(agent!, script);
      const runs = (mutant?: MutantName) =>
        [1, 2, 3, 4, 5].map((seed) => {
          const r = runCapos(img, { schedule: { decisions: [], seed, defaultQuantum: 300 }, maxInsns: 3_000_000, ...(mutant ? { mutant } : {}) });
          return { r, obs: parseObservations(new TextDecoder().decode(r.console)).observations };
        });
      for (const { r, obs } of runs()) {
        expect(r.end).toEqual({ kind: "exit", code: 0 });
        const tls0 = obs.find((o) => o.thread === 0 && o.op === 4)!;
        expect(tls0).toMatchObject({ status: "ok" });
        const fs1 = obs.find((o) => o.thread === 1 && o.op === 3)!;
        expect(fs1.value).toBe(BigInt(B.layout.vmWindowBase + 4096));
      }
      const caught = runs("fs-not-restored").some(({ r, obs }) => {
        if (r.end.kind !== "exit" || r.end.code !== 0) return true;
        const tls0 = obs.find((o) => o.thread === 0 && o.op === 4);
        const fs0 = obs.find((o) => o.thread === 0 && o.op === 2);
        return !tls0 || !fs0 || fs0.value !== BigInt(Math.floor((B.layout.ringVaddr - B.layout.tcbSize) / 64) * 64);
      });
      expect(caught).toBe(true);
    });
  }
});

describe("runCapos results outlive the machines reused after them", () => {
  it("a run's console and end stay as they were after later runs reuse its memory, CPUs and console buffer", (ctx) => {
    const e = agents[0];
    if (!e) return ctx.skip("no agent ELF in targets/elf (run targets/build.sh)");
    const agent = readElf(e.name);
    if (!agent) return ctx.skip(`${e.name} not built (run targets/build.sh)`);
    const one = withScript(agent, PARK_UNPARK);
    const two = withScript(agent, { threads: [[{ kind: OP.EXIT, a: 3n }]] });
    const a = runCapos(one, { maxInsns: 3_000_000 });
    const kept = a.console.slice();
    expect(kept.length).toBeGreaterThan(0);
    const b = runCapos(two, { maxInsns: 3_000_000 });
    for (let i = 0; i < 3; i++) runCapos(one, { maxInsns: 3_000_000 });
    expect(b.console).not.toEqual(kept);
    expect(a.console).toEqual(kept);
    expect(runCapos(one, { maxInsns: 3_000_000 }).console).toEqual(kept);
  });
});
