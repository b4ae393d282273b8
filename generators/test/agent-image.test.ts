/**
 * The leased (reused) patched image must hold exactly the bytes of a fresh patchScript copy,
 * case after case: scripts of growing and shrinking sizes, a script refused half-way through
 * its encoding, and a lease taken while another is out.
 */
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leasePatchedImage, loadAgentImage, patchScript, sha256 } from "../agent-image.js";
import { OP, ScriptError, type Script, type ScriptOp } from "../../spec/agent-protocol.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { fsScript, parkScript, vmScript } from "../scripts.js";

const agent = loadAgentImage(fileURLToPath(new URL("../../targets/elf/agent.gcc", import.meta.url)));

describe("leasePatchedImage", () => {
  it("gives patchScript's bytes for every script of a sequence, and leaves the agent untouched", () => {
    const before = sha256(agent.bytes);
    const scripts = fc.sample(fc.oneof(fsScript(DEFAULT_BINDING), parkScript(DEFAULT_BINDING), vmScript(DEFAULT_BINDING, 40)), { seed: 5, numRuns: 60 });
    // A long script then short ones: the short ones must not keep the long one's tail.
    scripts.splice(10, 0, { threads: [Array.from({ length: 300 }, (): ScriptOp => ({ kind: OP.NOW }))] }, { threads: [[{ kind: OP.EXIT, a: 1n }]] });
    for (const s of scripts) {
      const lease = leasePatchedImage(agent, s);
      expect(sha256(lease.bytes)).toBe(sha256(patchScript(agent, s)));
      lease.release();
    }
    expect(sha256(agent.bytes)).toBe(before);
  });

  it("clears what a script refused half-way wrote", () => {
    const long: Script = { threads: [[...Array.from({ length: 50 }, (): ScriptOp => ({ kind: OP.STORE, a: 0xffn, b: 8n, c: 0xa5a5n })), { kind: 99 as never }]] };
    expect(() => leasePatchedImage(agent, long)).toThrow(ScriptError);
    const small: Script = { threads: [[{ kind: OP.NOW }]] };
    const lease = leasePatchedImage(agent, small);
    expect(sha256(lease.bytes)).toBe(sha256(patchScript(agent, small)));
    lease.release();
  });

  it("gives a private copy while the scratch is out", () => {
    const a: Script = { threads: [[{ kind: OP.EXIT, a: 3n }]] };
    const b: Script = { threads: [[{ kind: OP.EXIT, a: 5n }]] };
    const first = leasePatchedImage(agent, a);
    const second = leasePatchedImage(agent, b);
    expect(second.bytes).not.toBe(first.bytes);
    expect(sha256(first.bytes)).toBe(sha256(patchScript(agent, a)));
    expect(sha256(second.bytes)).toBe(sha256(patchScript(agent, b)));
    second.release();
    first.release();
  });
});
