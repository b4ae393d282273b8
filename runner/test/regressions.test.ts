/**
 * Disagreements found by fuzzing, kept as fixed cases: each committed script runs on the
 * emulator on every `npm test` and must be judged allowed by the model. The scripts are
 * stored as data (not as fast-check paths), so they survive changes to the generators.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import type { OpKind, Script } from "../../spec/agent-protocol.js";
import { runAgentCase } from "../../properties/agent-run.js";
import { emulatorImplementation } from "../adapters/emulator.js";
import { resolveAgent } from "../setup.js";
import { ringHostile } from "../../properties/ring.js";

interface JsonOp { kind: number; dst?: number; base?: number; a?: string; b?: string; c?: string }
interface Regression { property: string; note: string; expect?: "allowed" | "any"; script: { threads: JsonOp[][] } }

const cases = JSON.parse(readFileSync(fileURLToPath(new URL("../regressions.json", import.meta.url)), "utf8")) as Regression[];

function script(j: Regression["script"]): Script {
  return {
    threads: j.threads.map((ops) =>
      ops.map((o) => ({
        kind: o.kind as OpKind,
        ...(o.dst !== undefined ? { dst: o.dst } : {}),
        ...(o.base !== undefined ? { base: o.base } : {}),
        ...(o.a !== undefined ? { a: BigInt(o.a) } : {}),
        ...(o.b !== undefined ? { b: BigInt(o.b) } : {}),
        ...(o.c !== undefined ? { c: BigInt(o.c) } : {}),
      })),
    ),
  };
}

describe("conformance regressions", () => {
  it.each(cases.map((c, i) => [`${i}: ${c.property}`, c] as const))("%s", async (_name, c) => {
    const impl = await emulatorImplementation({ binding: DEFAULT_BINDING });
    const v = await runAgentCase(script(c.script), undefined, { binding: DEFAULT_BINDING, impl, agent: resolveAgent(), maxInsns: 5_000_000 });
    if ((c.expect ?? "allowed") === "allowed") expect(v.ok, `${c.note}\n${v.message ?? ""}\n${(v.observed ?? []).join("\n")}`).toBe(true);
    else expect(v.observed?.length).toBeGreaterThan(0);
  });
});

describe("hostile-ring regressions", () => {
  it("a CALL whose params length is 0xffffffff gets invalidBuffer and the guest goes on (was: budget, charged for 4 GiB it never read)", async () => {
    const sqe = "010000000000010000000000000000000000200000000000ffffffff000000000000000000000000100000000000000000000000000000000000000000000000";
    const impl = await emulatorImplementation({ binding: DEFAULT_BINDING });
    const ctx = { binding: DEFAULT_BINDING, impl, agent: resolveAgent(), maxInsns: 5_000_000 };
    const v = await ringHostile.check({ sqTail: 1, sqes: [Uint8Array.from(Buffer.from(sqe, "hex"))] }, ctx);
    expect(v.ok, `${v.message ?? ""}\n${(v.observed ?? []).join("\n")}`).toBe(true);
  });
});
