/**
 * The bounded reading path for guest Cap'n Proto messages (issue 17): every pointer is checked
 * against the message before capnp-es sees it. The 40-byte message below aborted V8 with
 * "heap out of memory" inside capnp-es (exit 134, no verdict) before checkPointers existed.
 */
import fc from "fast-check";
import * as capnp from "capnp-es";
import { describe, expect, it } from "vitest";
import { CapnpFrameError, checkPointers, framedLength, readFramedMessage, simpleRootStruct } from "../capnp-frame.js";
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

  it("simpleRootStruct accepts and refuses exactly what framedLength + checkPointers do (its flat fast path included)", () => {
    // One segment, a struct root with up to 6 pointers, each null, a capability, a list of any
    // element size (several may share one list: the traversal budget must run out alike), a
    // struct or a far pointer, at offsets that may leave the segment.
    const ptr = fc.oneof(
      fc.constant([0, 0] as const),
      fc.constant([3, 0] as const),
      fc.record({ off: fc.integer({ min: -12, max: 12 }), size: fc.nat(7), n: fc.oneof(fc.nat(40), fc.nat(600)) }).map(({ off, size, n }) => [((off << 2) | 1) >>> 0, ((n << 3) | size) >>> 0] as const),
      fc.record({ off: fc.integer({ min: -3, max: 12 }), d: fc.nat(3), p: fc.nat(2) }).map(({ off, d, p }) => [(off << 2) >>> 0, d | (p << 16)] as const),
      fc.record({ off: fc.nat(12), seg: fc.nat(1) }).map(({ off, seg }) => [((off << 3) | 2) >>> 0, seg] as const),
    );
    const frame = fc.record({
      rootOff: fc.integer({ min: -3, max: 2 }),
      dataWords: fc.nat(3),
      ptrs: fc.array(ptr, { maxLength: 6 }),
      extra: fc.nat(12),
      segWordsDelta: fc.integer({ min: -2, max: 1 }),
      fill: fc.uint8Array({ minLength: 256, maxLength: 256 }),
    }).map(({ rootOff, dataWords, ptrs, extra, segWordsDelta, fill }) => {
      const at = 1 + Math.max(rootOff, 0);
      const words = at + dataWords + ptrs.length + extra;
      const out = new Uint8Array(8 + 8 * words);
      out.set(fill.subarray(0, out.length - 8), 8);
      const v = new DataView(out.buffer);
      v.setUint32(4, Math.max(0, words + segWordsDelta), true);
      v.setUint32(8, (rootOff << 2) >>> 0, true);
      v.setUint32(12, dataWords | (ptrs.length << 16), true);
      ptrs.forEach(([lo, hi], i) => { v.setUint32(8 + 8 * (at + dataWords + i), lo, true); v.setUint32(12 + 8 * (at + dataWords + i), hi, true); });
      return out;
    });
    const outcome = (f: () => unknown): unknown => {
      try { return f(); } catch (e) { expect(e).toBeInstanceOf(CapnpFrameError); return { error: (e as Error).message }; }
    };
    fc.assert(fc.property(frame, (b) => {
      const walked = outcome(() => { checkPointers(b.subarray(0, framedLength(b))); return "accepted"; });
      const flat = outcome(() => simpleRootStruct(b));
      if (walked !== "accepted") {
        expect(flat).toEqual(walked);
        return;
      }
      const v = new DataView(b.buffer);
      const lo = v.getUint32(8, true), hi = v.getUint32(12, true);
      const dataOffset = 16 + 8 * ((lo | 0) >> 2), dataBytes = 8 * (hi & 0xffff);
      expect(flat).toEqual({ dataOffset, dataBytes, pointerOffset: dataOffset + dataBytes, pointers: hi >>> 16 });
    }), { seed: 19, numRuns: 3000 });
  });
});
