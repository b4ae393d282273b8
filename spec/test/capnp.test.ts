import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as capnp from "capnp-es";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as gen from "../schema/gen/capos.js";
import { CapnpFrameError, readFramedMessage } from "../capnp-frame.js";
import { generateCapnp } from "../tools/gen-capnp.js";

const specDir = fileURLToPath(new URL("..", import.meta.url));
const hasCapnp = spawnSync("capnp", ["--version"]).status === 0;
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

function flat(msg: capnp.Message): ArrayBuffer {
  const seg = msg.getSegment(0);
  return seg.buffer.slice(0, seg.byteLength);
}

function encodeWithTool(struct: string, text: string, ...flags: string[]): Buffer {
  return execFileSync("capnp", ["encode", ...flags, "schema/test/twins.capnp", struct], { cwd: specDir, input: text });
}

describe("generated capnp-es code", () => {
  it("is reproduced byte for byte by regeneration", (ctx) => {
    if (!hasCapnp) ctx.skip("capnp compiler not installed");
    const out = mkdtempSync(join(tmpdir(), "capnp-gen-"));
    generateCapnp(out);
    expect(readFileSync(join(out, "capos.ts"), "utf8")).toBe(readFileSync(join(specDir, "schema/gen/capos.ts"), "utf8"));
  });

  it("round-trips VirtualMemory.map params framed, packed and flat", () => {
    fc.assert(
      fc.property(u64, u64, u32, (hint, size, prot) => {
        const msg = new capnp.Message();
        const p = msg.initRoot(gen.VirtualMemory_Map$Params);
        p.hint = hint;
        p.size = size;
        p.prot = prot;
        for (const m of [
          new capnp.Message(msg.toArrayBuffer(), false),
          new capnp.Message(msg.toPackedArrayBuffer()),
          new capnp.Message(flat(msg), false, true),
        ]) {
          const q = m.getRoot(gen.VirtualMemory_Map$Params);
          if (q.hint !== hint || q.size !== size || q.prot !== prot) return false;
        }
        return true;
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("round-trips Console.write data and CapException text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 80 }), (data, text) => {
        const m1 = new capnp.Message();
        m1.initRoot(gen.Console_Write$Params)._initData(data.length).copyBuffer(data);
        const back = new capnp.Message(m1.toArrayBuffer(), false).getRoot(gen.Console_Write$Params).data.toUint8Array();
        const m2 = new capnp.Message();
        const ex = m2.initRoot(gen.CapException);
        ex.type = gen.ExceptionType.INVALID_ARGUMENT;
        ex.message = text;
        const ex2 = new capnp.Message(m2.toPackedArrayBuffer()).getRoot(gen.CapException);
        return Buffer.from(back).equals(Buffer.from(data)) && ex2.message === text && ex2.type === gen.ExceptionType.INVALID_ARGUMENT;
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it("matches the capnp tool's framed, packed and flat bytes", (ctx) => {
    if (!hasCapnp) ctx.skip("capnp compiler not installed");
    const cases: [bigint, bigint, number][] = [[0x200000n, 8192n, 3], [0n, 0n, 0], [(1n << 64n) - 1n, 0x1234n, 0xffff_ffff]];
    for (const [hint, size, prot] of cases) {
      const msg = new capnp.Message();
      const p = msg.initRoot(gen.VirtualMemory_Map$Params);
      p.hint = hint;
      p.size = size;
      p.prot = prot;
      const text = `(hint = ${hint}, size = ${size}, prot = ${prot})`;
      expect(Buffer.from(msg.toArrayBuffer())).toEqual(encodeWithTool("MapParams", text));
      expect(Buffer.from(msg.toPackedArrayBuffer())).toEqual(encodeWithTool("MapParams", text, "--packed"));
      expect(Buffer.from(flat(msg))).toEqual(encodeWithTool("MapParams", text, "--flat"));
    }
    const m = new capnp.Message();
    const ex = m.initRoot(gen.CapException);
    ex.type = gen.ExceptionType.OVERLOADED;
    ex.message = "quota";
    expect(Buffer.from(m.toArrayBuffer())).toEqual(encodeWithTool("CapException", '(type = overloaded, message = "quota")'));
  });

  it("gives spawn params the same wire layout as the tool (four u64 fields)", (ctx) => {
    if (!hasCapnp) ctx.skip("capnp compiler not installed");
    const msg = new capnp.Message();
    const p = msg.initRoot(gen.ThreadSpawner_Spawn$Params);
    p.entry = 0x201000n;
    p.stackTop = 0x1_0000_4000n;
    p.arg = 7n;
    p.fsBase = 0x1_0000_8000n;
    expect(Buffer.from(msg.toArrayBuffer())).toEqual(
      encodeWithTool("SpawnParams", `(entry = ${0x201000n}, stackTop = ${0x1_0000_4000n}, arg = 7, fsBase = ${0x1_0000_8000n})`),
    );
  });

  it("decodes garbage through readFramedMessage with a typed error, never an OOM or hang", () => {
    // capnp-es alone allocates an array sized by the hostile header word; this is the guard.
    expect(() => readFramedMessage(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]))).toThrow(CapnpFrameError);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 128 }), (bytes) => {
        try {
          const root = readFramedMessage(bytes).getRoot(gen.CapException);
          void root.message;
          void root.type;
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { seed: 5, numRuns: 2000 },
    );
  });

  it("reads back every well-formed message through readFramedMessage", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.uint8Array({ maxLength: 16 }), (text, tail) => {
        const m = new capnp.Message();
        m.initRoot(gen.CapException).message = text;
        const bytes = new Uint8Array([...new Uint8Array(m.toArrayBuffer()), ...tail]);
        expect(readFramedMessage(bytes).getRoot(gen.CapException).message).toBe(text);
      }),
      { seed: 6, numRuns: 200 },
    );
  });
});
