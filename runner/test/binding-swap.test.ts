/**
 * The binding is replaceable: with other syscall numbers, opcodes, error codes and SQE
 * offsets, the generated guests, the model and the emulator all follow it, and the
 * properties built on generated images still pass. Against an implementation that kept the
 * default numbers the same properties fail: the numbers really come from the binding.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING, type Binding } from "../../spec/binding.js";
import { bindingToJson, parseBinding } from "../../spec/binding-file.js";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { emulatorImplementation } from "../adapters/emulator.js";
import { runConformance } from "../run.js";
import { resolveAgent } from "../setup.js";

function otherBinding(): Binding {
  const j = bindingToJson(DEFAULT_BINDING) as any;
  j.id = "swapped";
  j.syscall.numbers = { exit: 60, capEnter: 400 };
  j.syscall.errors = { noSys: -1000, invalid: -1001 };
  j.opcodes = { nop: 9, call: 10, recv: 11, return: 12, release: 13, park: 14, unpark: 15 };
  j.transportErrors = Object.fromEntries(Object.entries(j.transportErrors).map(([k, v]) => [k, (v as number) * 10]));
  // Move userData and capId in the common SQE part.
  j.ring.sqeCommon.capId.offset = 8;
  j.ring.sqeCommon.userData.offset = 56;
  j.ring.sqeViews.call.callId.offset = 4;
  j.ring.sqeViews.park.timeoutNs.offset = 40;
  return parseBinding(j, "swapped");
}

const GENERATED = /^(tls\.generated-layouts|ring\.hostile-batches|ring\.call-errors|syscalls\.unknown-and-enter|elf\.malformed-images)$/;

async function run(generatorBinding: Binding, implBinding: Binding) {
  return runConformance({
    impl: await emulatorImplementation({ binding: implBinding }),
    binding: generatorBinding,
    bindingName: generatorBinding.id,
    agent: resolveAgent(),
    properties: ALL_PROPERTIES,
    seed: 99,
    runs: 8,
    filter: GENERATED,
  });
}

describe("a different binding", () => {
  const swapped = otherBinding();

  it("is followed by generators, model and emulator alike", async () => {
    const r = await run(swapped, swapped);
    expect(r.results.map((x) => [x.property, x.status, x.failure?.message ?? ""])).toEqual(
      r.results.map((x) => [x.property, "passed", ""]),
    );
    expect(r.results.length).toBe(5);
  });

  it("makes the properties fail against an implementation that kept the default numbers", async () => {
    const r = await run(swapped, DEFAULT_BINDING);
    expect(r.results.filter((x) => x.status === "failed").length).toBeGreaterThanOrEqual(4);
  });
});
