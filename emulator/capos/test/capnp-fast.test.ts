/**
 * The capnp fast path (capnp-fast.ts) against capnp-es itself, the oracle: encodings are the
 * same bytes for generated field values, and decoding generated, mutated, truncated and
 * random frames gives the same values or the same typed error (BadMessage with the same text)
 * as the general path, readFramedMessage + capnp-es.
 */
import * as capnp from "capnp-es";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFramedMessage } from "../../../spec/capnp-frame.js";
import * as gen from "../../../spec/schema/gen/capos.js";
import { codecOf, typeTextEncoder } from "../capnp-fast.js";
import { BadMessage, decodeData, decodeParams, encodeException, encodeReply, encodeResult } from "../messages.js";

type Cls = capnp.StructCtor<capnp.Struct>;
const classes = Object.entries(gen).filter(([n, c]) => typeof c === "function" && /\$(Params|Results)$/.test(n)) as [string, Cls][];
const fast = classes.filter(([, c]) => codecOf(c) !== null);

function fields(cls: Cls): string[] {
  const proto = (cls as unknown as { prototype: object }).prototype;
  return Object.entries(Object.getOwnPropertyDescriptors(proto)).filter(([n, d]) => d.get && d.set && !n.startsWith("_")).map(([n]) => n);
}
const readAll = (cls: Cls) => (s: capnp.Struct) => fields(cls).map((n) => (s as unknown as Record<string, unknown>)[n]);

/** The encoding and decoding as they were before the fast path: capnp-es all the way. */
function esEncode(cls: Cls, values: Record<string, unknown>): Uint8Array {
  const m = new capnp.Message();
  const r = m.initRoot(cls) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) r[k] = v;
  return new Uint8Array(m.toArrayBuffer());
}
function esDecode(bytes: Uint8Array, cls: Cls): unknown {
  try {
    return { ok: readAll(cls)(readFramedMessage(bytes).getRoot(cls)) };
  } catch (e) {
    return { error: new BadMessage(e instanceof Error ? e.message : String(e)).message };
  }
}
function ourDecode(bytes: Uint8Array, cls: Cls): unknown {
  try {
    return { ok: decodeParams(bytes, cls, readAll(cls)) };
  } catch (e) {
    if (!(e instanceof BadMessage)) throw e;
    return { error: e.message };
  }
}

/** Field values of the right kinds: bigint for 64-bit fields, numbers otherwise (any width). */
function valuesOf(cls: Cls): fc.Arbitrary<Record<string, unknown>> {
  const fresh = new capnp.Message().initRoot(cls) as unknown as Record<string, unknown>;
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of fields(cls))
    rec[n] = typeof fresh[n] === "bigint" ? fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 1n, (1n << 64n) - 1n, 1n << 63n)) : fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0xffff, 0x1_0000, 0xffff_ffff));
  return fc.record(rec);
}

/**
 * Well-formed one-segment frames of every root shape: null, a struct of 0-5 data words and
 * 0-2 (null) pointers at a small offset (short and long data sections), a list, a capability.
 */
const shaped: fc.Arbitrary<Uint8Array> = fc
  .record({
    root: fc.constantFrom("null", "struct", "struct", "struct", "list", "cap"),
    off: fc.integer({ min: 0, max: 2 }),
    dataWords: fc.integer({ min: 0, max: 5 }),
    ptrs: fc.integer({ min: 0, max: 2 }),
    extra: fc.integer({ min: 0, max: 2 }),
    fill: fc.uint8Array({ minLength: 80, maxLength: 80 }),
  })
  .map(({ root, off, dataWords, ptrs, extra, fill }) => {
    const words = 1 + off + dataWords + ptrs + extra;
    const out = new Uint8Array(8 + 8 * words);
    const v = new DataView(out.buffer);
    v.setUint32(4, words, true);
    out.set(fill.subarray(0, 8 * (off + dataWords)), 16); // padding and data words: any bytes
    if (root === "struct") {
      v.setUint32(8, off << 2, true);
      v.setUint32(12, dataWords | (ptrs << 16), true);
    } else if (root === "list") {
      v.setUint32(8, (off << 2) | 1, true);
      v.setUint32(12, (dataWords << 3) | 2, true);
    } else if (root === "cap") v.setUint32(8, 3, true);
    return out;
  });

/** Frames around a real encoding: byte flips, truncation, extension, a rewritten root pointer or segment table. */
function framesOf(cls: Cls): fc.Arbitrary<Uint8Array> {
  return framesAround(valuesOf(cls).map((v) => esEncode(cls, v)));
}
function framesAround(real: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const word = fc.tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }));
  return fc.oneof(
    real,
    fc.tuple(real, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([b, flips]) => {
      const out = b.slice();
      for (const [i, v] of flips) out[i % out.length] = v;
      return out;
    }),
    fc.tuple(real, fc.nat()).map(([b, n]) => b.slice(0, n % (b.length + 1))),
    fc.tuple(real, fc.integer({ min: 1, max: 6 })).map(([b, n]) => {
      const out = new Uint8Array(b.length + 8 * n);
      out.set(b);
      new DataView(out.buffer).setUint32(4, b.length / 8 - 1 + n, true);
      return out;
    }),
    fc.tuple(real, word, fc.integer({ min: 0, max: 3 })).map(([b, [lo, hi], kind]) => {
      // a root pointer of any kind, offset and size
      const out = b.slice();
      const v = new DataView(out.buffer);
      v.setUint32(8, ((lo & ~3) | kind) >>> 0, true);
      v.setUint32(12, hi % 8 === 0 ? hi & 0x0003_0003 : hi, true);
      return out;
    }),
    fc.tuple(real, fc.integer({ min: 0, max: 3 })).map(([b, extra]) => {
      // several segments
      const out = new Uint8Array(b.length + 8 * extra + 8);
      const v = new DataView(out.buffer);
      v.setUint32(0, extra, true);
      v.setUint32(4, (b.length - 8) / 8, true);
      out.set(b.subarray(8), 8 + 8 * Math.ceil(extra / 2) + (extra % 2 === 0 ? 0 : 0));
      return out;
    }),
    shaped,
    fc.uint8Array({ minLength: 0, maxLength: 64 }),
  );
}

describe("capnp fast path", () => {
  it("covers the small data-only kernel messages (not the Console params, which carry pointers)", () => {
    const names = fast.map(([n]) => n);
    for (const n of ["VirtualMemory_Map$Params", "VirtualMemory_Map$Results", "Timer_Now$Results", "Timer_Sleep$Params", "ThreadSpawner_Spawn$Params", "ThreadHandle_Join$Results", "ThreadControl_SetFsBase$Params", "Console_Write$Results"])
      expect(names).toContain(n);
    expect(names).not.toContain("Console_Write$Params");
    expect(codecOf(gen.CapException)).toBeNull();
  });

  for (const [name, cls] of fast) {
    it(`${name}: encodes as capnp-es does`, () => {
      fc.assert(
        fc.property(valuesOf(cls), (v) => {
          expect(encodeResult(cls, (s) => Object.assign(s, v))).toEqual(esEncode(cls, v));
        }),
        { seed: 1, numRuns: 100 },
      );
      expect(encodeResult(cls)).toEqual(esEncode(cls, {}));
    });
    it(`${name}: a reply into the reused buffer is the encoding of its own fields only`, () => {
      fc.assert(
        fc.property(valuesOf(cls), valuesOf(cls), (v, w) => {
          expect(encodeReply(cls, (s) => Object.assign(s, v))).toEqual(esEncode(cls, v));
          expect(encodeReply(cls, (s) => Object.assign(s, w))).toEqual(esEncode(cls, w));
          expect(encodeReply(cls)).toEqual(esEncode(cls, {})); // nothing left of the replies before
        }),
        { seed: 2, numRuns: 50 },
      );
    });
    it(`${name}: decodes generated, mutated and hostile frames as capnp-es does (values or the same BadMessage)`, () => {
      fc.assert(
        fc.property(framesOf(cls), (b) => {
          expect(ourDecode(b, cls)).toEqual(esDecode(b, cls));
        }),
        { seed: 2, numRuns: 300 },
      );
    });
  }
});

describe("capnp fast path for Data (Console.write)", () => {
  const cls = gen.Console_Write$Params;
  const real = fc.uint8Array({ maxLength: 40 }).map((data) => {
    const m = new capnp.Message();
    m.initRoot(cls)._initData(data.length).copyBuffer(data);
    return new Uint8Array(m.toArrayBuffer());
  });
  /** A struct root with one pointer that is a list of any element size, at any small offset. */
  const lists = fc.record({ size: fc.integer({ min: 0, max: 7 }), n: fc.integer({ min: 0, max: 24 }), gap: fc.integer({ min: 0, max: 2 }), fill: fc.uint8Array({ minLength: 200, maxLength: 200 }) }).map(({ size, n, gap, fill }) => {
    const words = 2 + gap + 25;
    const out = new Uint8Array(8 + 8 * words);
    const v = new DataView(out.buffer);
    v.setUint32(4, words, true);
    v.setUint32(12, 1 << 16, true); // root: struct of 0 data words, 1 pointer
    v.setUint32(16, (gap << 2) | 1, true);
    v.setUint32(20, (n << 3) | size, true);
    out.set(fill.subarray(0, 8 * 25), 24 + 8 * gap);
    return out;
  });
  const read = (bytes: Uint8Array): unknown => {
    try {
      return { ok: decodeData(bytes, cls, "data") };
    } catch (e) {
      if (!(e instanceof BadMessage)) throw e;
      return { error: e.message };
    }
  };
  const reference = (bytes: Uint8Array): unknown => {
    try {
      return { ok: readFramedMessage(bytes).getRoot(cls).data.toUint8Array().slice() };
    } catch (e) {
      return { error: new BadMessage(e instanceof Error ? e.message : String(e)).message };
    }
  };
  it("reads the same bytes or fails with the same BadMessage as capnp-es", () => {
    fc.assert(
      fc.property(fc.oneof(framesAround(real), lists, shaped), (b) => {
        expect(read(b)).toEqual(reference(b));
      }),
      { seed: 3, numRuns: 1000 },
    );
  });
});

describe("refused params cost no stack trace", () => {
  it("a malformed frame gives a BadMessage without stack frames, and errors made afterwards have theirs", () => {
    const bad = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0); // claims 2^32 segments
    for (const decode of [() => decodeParams(bad, gen.VirtualMemory_Map$Params, (p) => p.size), () => decodeData(bad, gen.Console_Write$Params, "data")]) {
      let caught: unknown;
      try { decode(); } catch (e) { caught = e; }
      expect(caught).toBeInstanceOf(BadMessage);
      expect((caught as Error).stack).not.toMatch(/\n\s+at /);
      expect(new Error("later").stack).toMatch(/\n\s+at /); // the limit is put back
    }
  });
});

describe("CapException written directly", () => {
  it("is capnp-es's encoding for every type and message (ASCII and not, short and past the direct length)", () => {
    expect(typeTextEncoder(gen.CapException, "type", "message")).not.toBeNull(); // the direct path is taken
    for (const message of ["\x7f", "\x80", "a\xff"]) expect(encodeException(5, message)).toEqual(esEncode(gen.CapException as unknown as Cls, { type: 5, message }));
    const text = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 20 }),
      fc.string({ unit: fc.integer({ min: 0x60, max: 0x17f }).map((c) => String.fromCharCode(c)), maxLength: 12 }), // around ASCII's end
      fc.integer({ min: 990, max: 1010 }).map((n) => "x".repeat(n)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), text, (type, message) => {
        expect(encodeException(type, message)).toEqual(esEncode(gen.CapException as unknown as Cls, { type, message }));
      }),
      { seed: 4, numRuns: 100 },
    );
  });
});
