/**
 * Issue 17's reproducers as guests, end to end (the unit-level regressions live next to the
 * fixes: emulator/cpu/test/run.test.ts for the REP count, spec/test/capnp-frame.test.ts for the
 * pointer walk, emulator/linux/test/hostile.test.ts for the Linux personality; the runaway
 * guests are test/runaway.test.ts).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../../spec/binding.js";
import { writeElf } from "../../../generators/elf-writer.js";
import { guestDataVaddr } from "../../../generators/guest-code.js";
import { runCapos } from "../../../emulator/capos/index.js";
import { runLinuxElf } from "../../../emulator/linux/process.js";
import { callGuest } from "../cases.js";

/** Little-endian words [lo, hi] as bytes, behind a segment table for two segments. */
function farOnFar(): Uint8Array {
  const words: [number, number][] = [[1, 2], [1, 0], [0, 1 << 16], [2, 1], [2, 0xfffffffa]];
  const out = new Uint8Array(words.length * 8);
  const v = new DataView(out.buffer);
  words.forEach(([lo, hi], i) => {
    v.setUint32(8 * i, lo >>> 0, true);
    v.setUint32(8 * i + 4, hi >>> 0, true);
  });
  return out;
}

describe("issue 17 reproducers, end to end", () => {
  it("the 40-byte far-on-far Console.write params: a badMessage completion and a clean exit (V8 aborted before)", () => {
    const msg = farOnFar();
    expect(msg.length).toBe(40);
    const r = runCapos(callGuest(B, "Console", B.methods.Console["write"]!, msg), { trace: true });
    expect(r.end).toEqual({ kind: "exit", code: 0 });
    expect(r.events.some((e) => e.includes(`-> ${B.transportErrors.badMessage} Console.write`))).toBe(true);
  });

  it("REP STOSB with RCX = 2^63: iterates until it faults past its page, on both personalities (hung forever before)", () => {
    const data = guestDataVaddr(B);
    // mov rcx, 1<<63; mov rdi, data; rep stosb
    const code = Uint8Array.from([0x48, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x48, 0xbf, ...new Uint8Array(new BigUint64Array([BigInt(data)]).buffer), 0xf3, 0xaa]);
    const image = writeElf({ textVaddr: B.layout.imageBase, code, entryOffset: 0, dataVaddr: data, data: new Uint8Array(8), dataMemsz: 4096 });
    expect(runCapos(image, { maxInsns: 1_000_000 }).end).toMatchObject({ kind: "fault", fault: "#PF", addr: BigInt(data + 4096), access: "write" });
    const v = runLinuxElf(image, { argv: ["rep"], maxInsns: 1_000_000 }).verdict;
    expect(v.kind).toBe("fault");
  });
});
