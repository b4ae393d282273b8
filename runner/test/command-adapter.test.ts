/**
 * The command adapter runs an implementation as a process and reads Console output and exit
 * status. Tested with the emulator's own `run-elf` as the external command: the race
 * properties run through it too, steered by the guest script alone.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { OP } from "../../spec/agent-protocol.js";
import { commandImplementation } from "../adapters/command.js";
import { batchImplementation } from "../adapters/batch.js";
import { patchScript } from "../../generators/agent-image.js";
import { runConformance } from "../run.js";
import type { Implementation } from "../../spec/implementation.js";
import { REPO_ROOT, resolveAgent } from "../setup.js";

const command = `node --import tsx ${join(REPO_ROOT, "tools", "conform.ts")} run-elf --personality capos {elf}`;

describe("command adapter", () => {
  it("recovers exit codes and faults from the process status", async () => {
    const impl = commandImplementation(command);
    const agent = resolveAgent();
    const exit7 = await impl.run(patchScript(agent, { threads: [[{ kind: OP.EXIT, a: 7n }]] }));
    expect(exit7.end).toEqual({ kind: "exit", code: 7 });
    const fault = await impl.run(patchScript(agent, { threads: [[{ kind: OP.LOAD, a: BigInt(DEFAULT_BINDING.layout.vmWindowBase), b: 8n }]] }));
    expect(fault.end.kind).toBe("fault");
    const garbage = await impl.run(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    expect(garbage.end.kind).not.toBe("exit");
  });

  it("runs the race properties with guest steering, the others as usual, with the same verdicts per case and in batch", async () => {
    const config = (impl: Implementation) => ({
      impl,
      binding: DEFAULT_BINDING,
      bindingName: "default",
      agent: resolveAgent(),
      properties: ALL_PROPERTIES,
      seed: 7,
      runs: 2,
      filter: /^(tls\.generated-layouts|vm\.edge-arguments|park\.races)$/,
    });
    const run = await runConformance(config(commandImplementation(command)));
    const status = Object.fromEntries(run.results.map((r) => [r.property, r.status]));
    expect(status).toEqual({ "tls.generated-layouts": "passed", "vm.edge-arguments": "passed", "park.races": "passed" });
    // A command cannot be scheduled: every park.races case was steered by the guest alone.
    expect(run.results.find((r) => r.property === "park.races")?.reach?.steering).toEqual({ guest: 2 });
    const batch = batchImplementation(command.replace(" {elf}", " --batch"));
    const batchRun = await runConformance(config(batch));
    await batch.close!();
    expect(batchRun.results.map((r) => [r.property, r.status, r.runs])).toEqual(run.results.map((r) => [r.property, r.status, r.runs]));
    expect(batchRun.implementation.version).toBe("capos-conform emulator 0.1.0");
  }, 240_000);

  it("passes the probes judged by their Console lines through the batch form", async () => {
    const batch = batchImplementation(command.replace(" {elf}", " --batch"));
    const run = await runConformance({ impl: batch, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: ALL_PROPERTIES, seed: 7, filter: /^probes\.real-elfs$/ });
    await batch.close!();
    expect(run.results.map((r) => [r.property, r.status, r.failure?.message])).toEqual([["probes.real-elfs", "passed", undefined]]);
  }, 120_000);
});
