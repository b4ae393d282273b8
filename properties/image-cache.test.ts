/**
 * Starting a process from a laid-out template (emulator/capos/image-cache.ts: copy-on-write
 * pages, shared decode caches and compiled regions) must not change what a run does: for
 * generated agent scripts, the committed probes, the alternate policy and mutants that act at
 * load, the event log, console, end state, instruction count and clock of a template-started
 * run are byte-identical to those of a fresh load. (Here rather than in emulator/capos/test
 * because it needs the script generators; the emulator itself never imports them.)
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { runCapos, type CaposRunOptions } from "../emulator/capos/index.js";
import { setImageCache } from "../emulator/capos/image-cache.js";
import { DEFAULT_BINDING as B } from "../spec/binding.js";
import { OP, type Script } from "../spec/agent-protocol.js";
import { loadAgentImage, patchScript } from "../generators/agent-image.js";
import { fsScript, handoffScript, parkScript, protectScript, timerScript, vmEdgeScript, vmScript } from "../generators/scripts.js";
import { ELF_DIR, manifestEntries } from "../targets/manifest.js";

function both(image: Uint8Array, opts: CaposRunOptions = {}) {
  const o = { ...opts, trace: true };
  setImageCache(false);
  const fresh = runCapos(image, o);
  setImageCache(true);
  // three times: the first sighting loads plainly, the second freshly and keeps the template,
  // the third starts from it (warm)
  const cached = runCapos(image, o);
  const again = runCapos(image, o);
  const warm = runCapos(image, o);
  return { fresh, cached, again, warm };
}

function expectSame(image: Uint8Array, opts: CaposRunOptions = {}): void {
  const { fresh, cached, again, warm } = both(image, opts);
  for (const r of [cached, again, warm]) {
    expect(r.events).toEqual(fresh.events);
    expect(r.console).toEqual(fresh.console);
    expect(r.end).toEqual(fresh.end);
    expect(r.insns).toBe(fresh.insns);
    expect(r.clockNs).toBe(fresh.clockNs);
  }
}

const agentPath = join(ELF_DIR, "agent.gcc");

describe("template-started runs equal fresh loads", () => {
  afterEach(() => setImageCache(true));

  it("generated agent scripts (park, fs, vm, timer, handoff, protect), default and alternate policy", (ctx) => {
    if (!existsSync(agentPath)) ctx.skip("targets/elf/agent.gcc not present (targets/build.sh)");
    const agent = loadAgentImage(agentPath);
    const scripts: Script[] = [
      ...fc.sample(parkScript(B), { seed: 11, numRuns: 60 }),
      ...fc.sample(parkScript(B, { drain: true }), { seed: 12, numRuns: 30 }),
      ...fc.sample(fsScript(B), { seed: 13, numRuns: 20 }),
      ...fc.sample(vmScript(B), { seed: 14, numRuns: 60 }),
      ...fc.sample(vmEdgeScript(B), { seed: 15, numRuns: 40 }),
      ...fc.sample(timerScript(B), { seed: 16, numRuns: 30 }),
      ...fc.sample(handoffScript(B), { seed: 17, numRuns: 30 }),
      ...fc.sample(protectScript(B), { seed: 18, numRuns: 40 }),
    ];
    let ran = 0;
    for (const [i, s] of scripts.entries()) {
      const image = patchScript(agent, s);
      expectSame(image, i % 3 === 2 ? { policy: "alternate" } : {});
      ran++;
    }
    expect(ran).toBeGreaterThanOrEqual(300);
  }, 240_000);

  it("every committed image, and mutants that act while loading or on memory", (ctx) => {
    const entries = manifestEntries().filter((e) => existsSync(join(ELF_DIR, e.name)));
    if (entries.length === 0) ctx.skip("targets/elf is empty (targets/build.sh)");
    for (const e of entries) {
      const image = new Uint8Array(readFileSync(join(ELF_DIR, e.name)));
      expectSame(image);
      expectSame(image, { policy: "alternate" });
      for (const mutant of ["tbss-copied-from-file", "tls-ignores-misalign", "no-self-pointer-without-tls", "tp-align-capped-16", "decommit-keeps-contents"] as const)
        expectSame(image, { mutant });
    }
  }, 240_000);

  it("a script change reaches the process: different scripts in one template give different runs", (ctx) => {
    if (!existsSync(agentPath)) ctx.skip("targets/elf/agent.gcc not present (targets/build.sh)");
    const agent = loadAgentImage(agentPath);
    const a = runCapos(patchScript(agent, { threads: [[{ kind: OP.EXIT, a: 3n }]] }), { trace: true });
    const b = runCapos(patchScript(agent, { threads: [[{ kind: OP.EXIT, a: 5n }]] }), { trace: true });
    setImageCache(false);
    const bFresh = runCapos(patchScript(agent, { threads: [[{ kind: OP.EXIT, a: 5n }]] }), { trace: true });
    expect(b.events).toEqual(bFresh.events);
    expect(a.events).not.toEqual(b.events);
  });
});
