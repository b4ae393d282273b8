/**
 * The bounded reading path for guest Cap'n Proto messages (issue 17): every pointer is checked
 * against the message before capnp-es sees it. The 40-byte message below aborted V8 with
 * "heap out of memory" inside capnp-es (exit 134, no verdict) before checkPointers existed.
 */
import fc from "fast-check";
import * as capnp from "capnp-es";
import { describe, expect, it } from "vitest";
import { CapnpFrameError, checkPointers, readFramedMessage } from "../capnp-frame.js";
import * as gen from "../schema/gen/capos.js";

function message(words: readonly (readonly [number, number])[]): Uint8Array {
  const buf = new Uint8Array(words.length * 8);
  const v = new DataView(buf.buffer);
  words.forEach(([lo, hi], i) => { v.setUint32(i * 8, lo >>> 0, true); v.setUint32(i * 8 + 4, hi >>> 0, true); });
  return buf;
}

/** Two segments; the root's one pointer is a far pointer whose landing pad is another far pointer. */
const FAR_ON_FAR = message([[1, 2], [1, 0], [0, 1 << 16], [2, 1], [2, 0xfffffffa]]);

const writeParams = (data: Uint8Array): Uint8Array => {
  const m = new capnp.Message();
  const p = m.initRoot(gen.Console_Write$Params);
  p._initData(data.length).copyBuffer(data);
  return new Uint8Array(m.toArrayBuffer());
};

function rejection(bytes: Uint8Array): string {
  try {
    readFramedMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CapnpFrameError);
    return (e as Error).message;
  }
  return "accepted";
}

describe("checkPointers", () => {
  it("refuses the far-on-far message that exhausted the heap", () => {
    expect(FAR_ON_FAR.length).toBe(40);
    expect(rejection(FAR_ON_FAR)).toBe("far pointer lands on another far pointer");
  });

  it("refuses lists that claim more bytes than their segment holds, and runaway nesting", () => {
    // root struct with one pointer: a byte list of 2^29-1 elements in a 1-word segment
    expect(rejection(message([[0, 2], [0, 1 << 16], [1, ((0x1fffffff << 3) | 2) >>> 0]]))).toMatch(/list of \d+ words at word 2 runs outside segment 0/);
    // a struct whose pointer points back at itself, forever
    expect(rejection(message([[0, 2], [0, 1 << 16], [0xfffffffc, 1 << 16]]))).toMatch(/nest deeper|traversal limit/);
  });

  it("accepts every message capnp-es writes, and the decoded data is unchanged", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
      const bytes = writeParams(data);
      checkPointers(bytes);
      expect(readFramedMessage(bytes).getRoot(gen.Console_Write$Params).data.toUint8Array()).toEqual(data);
    }), { seed: 17, numRuns: 300 });
  });

  it("mutated messages are refused, or decode (or fail to) without reading more data than the message holds", () => {
    const base = writeParams(Uint8Array.from({ length: 24 }, (_, i) => i));
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      fc.nat(3),
      (edits, extraSegments) => {
        const b = base.slice();
        for (const [at, v] of edits) b[at] = v;
        if (extraSegments > 0) b[0] = extraSegments; // claim more segments over the same bytes
        let msg: capnp.Message;
        try { msg = readFramedMessage(b); } catch (e) { expect(e).toBeInstanceOf(CapnpFrameError); return; }
        try {
          expect(msg.getRoot(gen.Console_Write$Params).data.toUint8Array().length).toBeLessThanOrEqual(b.length);
        } catch (e) {
          // capnp-es's own refusals (decodeParams turns them into BadMessage); only our bound matters here
          if (e instanceof Error && e.name !== "AssertionError") return;
          throw e;
        }
      },
    ), { seed: 18, numRuns: 3000 });
  });
});
