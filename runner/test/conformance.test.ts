/**
 * The fixed-seed conformance run `npm test` includes, and the proof that the properties can
 * fail: every seeded bug of the emulator (`--mutant`) is caught within a fixed budget, and
 * its shrunk repro replays to the same failure.
 */
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { emulatorImplementation } from "../adapters/emulator.js";
import { reachShortfalls, runConformance, runProperty, selectProperties, type RunConfig } from "../run.js";
import { resolveAgent } from "../setup.js";

const SEED = 20261125;

async function config(mutant?: string): Promise<RunConfig> {
  return {
    impl: await emulatorImplementation({ binding: DEFAULT_BINDING, ...(mutant ? { mutant } : {}) }),
    binding: DEFAULT_BINDING,
    bindingName: "default",
    agent: resolveAgent(),
    properties: ALL_PROPERTIES,
    seed: SEED,
    runsScale: 0.5,
    ...(mutant ? { mutant } : {}),
  };
}

describe("conformance of the emulator (fixed seed)", () => {
  let fixedRun: Awaited<ReturnType<typeof runConformance>> | undefined;
  it("passes every property", async () => {
    const run = await runConformance(await config());
    fixedRun = run;
    const bad = run.results.filter((r) => r.status !== "passed").map((r) => `${r.property}: ${r.status} ${r.failure?.message ?? r.reason ?? ""}\n  ${r.failure?.repro ?? ""}`);
    expect(bad).toEqual([]);
    expect(run.results.length).toBe(ALL_PROPERTIES.length);
  });

  it("every property reaches its named situation in at least half of its cases and judges every clause it cites", async () => {
    const run = fixedRun ?? (await runConformance(await config()));
    expect(reachShortfalls(run)).toEqual([]);
    // Every property with a named situation measured it.
    for (const p of ALL_PROPERTIES.filter((x) => x.situation)) expect(run.results.find((r) => r.property === p.id)?.reach?.cases, p.id).toBeGreaterThan(0);
  });
});

describe("the agent built by each toolchain", () => {
  it.each(["agent.clang", "agent.rust"])("%s passes the agent-script properties", async (name) => {
    const base = await config();
    const run = await runConformance({ ...base, agent: resolveAgent(name), runsScale: 0.25, filter: /^(fs|vm|park|timer)\./ });
    const bad = run.results.filter((r) => r.status !== "passed").map((r) => `${r.property}: ${r.failure?.message ?? r.reason ?? ""}\n  ${r.failure?.repro ?? ""}`);
    expect(bad).toEqual([]);
    expect(run.results.length).toBeGreaterThanOrEqual(6);
  });
});

/** Each seeded bug and the properties expected to notice it. */
const MUTANTS: readonly [string, string][] = [
  ["lost-wake", "^park\\."],
  ["no-drain", "^park\\.drain"],
  ["fs-not-restored", "^fs\\."],
  ["tls-ignores-misalign", "^tls\\."],
  ["protect-keeps-write", "^vm\\.sequences$"],
];

describe("seeded bugs are detected and their repros replay", () => {
  it.each(MUTANTS)("%s", async (mutant, props) => {
    const cfg = await config(mutant);
    const selected = selectProperties(ALL_PROPERTIES, new RegExp(props));
    let caught: Awaited<ReturnType<typeof runProperty>> | undefined;
    for (const p of selected) {
      const r = await runProperty(p, { ...cfg, runsScale: 1 }, SEED);
      if (r.status === "failed") {
        caught = r;
        break;
      }
    }
    expect(caught, `${mutant} went undetected by ${props}`).toBeDefined();
    const f = caught!.failure!;
    expect(f.repro).toMatch(new RegExp(`^npx capos-conform replay --impl emulator --seed ${SEED} --path \\S+ --property ${caught!.property}.* --mutant ${mutant}$`));
    const p = ALL_PROPERTIES.find((x) => x.id === caught!.property)!;
    const again = await runProperty(p, { ...cfg, runsScale: 1 }, SEED, f.path);
    expect(again.status).toBe("failed");
    expect(again.failure?.message).toBe(f.message);
    expect(again.failure?.observed).toEqual(f.observed);
    expect(again.failure?.elfSha256).toBe(f.elfSha256);
  });
});
