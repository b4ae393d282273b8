/**
 * The fixed-seed slice of the hostile-input campaign that `npm test` runs (issue 17): a few
 * hundred mixed cases in worker children under the watchdogs, every one ending with a typed
 * verdict. Fresh seeds and 10^5 cases: `npx capos-conform torture --cases 100000`.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import { makeCase } from "../cases.js";
import type { Family } from "../cases.js";
import { runCampaign } from "../campaign.js";
import { runCase } from "../run-case.js";

const EMULATOR_FAMILIES: readonly Family[] = ["elf-mutation", "random-code", "capnp-params", "hostile-ring", "runaway"];

describe("torture campaign (fixed-seed slice)", () => {
  it("cases are a pure function of (seed, index): a replay line rebuilds the same bytes", () => {
    for (const i of [0, 1, 17, 999]) {
      const a = makeCase(B, 4242, i);
      const b = makeCase(B, 4242, i);
      expect(b).toEqual(a);
    }
  });

  it("300 mixed cases: 0 crashes, 0 hangs, every case a typed verdict, workers under 1 GiB", async () => {
    const lines: string[] = [];
    const r = await runCampaign({
      seed: 17,
      cases: 300,
      families: EMULATOR_FAMILIES,
      workers: 2,
      batch: 150,
      caseTimeoutMs: 20_000,
      heapMiB: 768,
      rssLimitMiB: 1024,
      timeMs: 0,
      log: (l) => lines.push(l),
    });
    expect(lines).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(r.run).toBe(300);
    expect(Object.values(r.verdicts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    for (const f of EMULATOR_FAMILIES) expect(r.families[f] ?? 0, `family ${f} reached`).toBeGreaterThan(0);
    expect(r.peakRssMiB).toBeLessThan(1024);
  }, 60_000);

  it("hostile command implementations through the command adapter: a hang ends at the per-case limit, a signal death is a broken implementation", async () => {
    expect(await runCase({ family: "command", what: "hang" })).toBe("command:timeout out=0");
    expect(await runCase({ family: "command", what: "signal" })).toBe("command:broken out=0");
  }, 20_000);
});
