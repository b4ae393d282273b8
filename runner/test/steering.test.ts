/**
 * The run result says, per property, which implementation abilities it used and how its
 * cases were steered (issue 12 item 5), tallied from each case's verdict.
 */
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { emulatorImplementation } from "../adapters/emulator.js";
import { runConformance } from "../run.js";
import { resolveAgent } from "../setup.js";

describe("steering and abilities in the run result", () => {
  it("counts schedule-steered and unsteered cases and names the abilities used", async () => {
    const run = await runConformance({
      impl: await emulatorImplementation({ binding: DEFAULT_BINDING }),
      binding: DEFAULT_BINDING,
      bindingName: "default",
      agent: resolveAgent(),
      properties: ALL_PROPERTIES,
      seed: 11,
      runs: 3,
      filter: /^(park\.races|vm\.edge-arguments|elf\.malformed-images)$/,
    });
    const by = Object.fromEntries(run.results.map((r) => [r.property, { status: r.status, abilities: r.abilities, steering: r.steering }]));
    expect(by).toEqual({
      "park.races": { status: "passed", abilities: ["schedule"], steering: { schedule: 3 } },
      "vm.edge-arguments": { status: "passed", abilities: [], steering: { none: 3 } },
      "elf.malformed-images": { status: "passed", abilities: [], steering: { none: 3 } },
    });
  });
});
