/**
 * Starting from a template writes exactly the file bytes that differ from the template's image
 * (image-cache.ts writeDiff): the memory equals a fresh load's byte for byte, wherever in the
 * segments the differences lie (first page, a page far in, the last byte, none).
 */
import { afterEach, describe, expect, it } from "vitest";
import { setImageCache } from "../image-cache.js";
import { DATA_VADDR, asm, buildElf, code, machine } from "./helpers.js";

const DATA_LEN = 12 * 4096 + 123;
function image(patches: [number, number][]): Uint8Array {
  const data = new Uint8Array(DATA_LEN);
  for (let i = 0; i < DATA_LEN; i += 97) data[i] = i & 255;
  for (const [at, v] of patches) data[at] = v;
  return buildElf({ code: code(asm.spin()), data });
}
function dataOf(img: Uint8Array, cached: boolean): Uint8Array {
  setImageCache(cached);
  const m = machine({ maxEvents: 0 }, img);
  const bytes = m.as.mem.readBytes(DATA_VADDR, DATA_LEN);
  m.dispose();
  return bytes;
}

describe("a load from a template", () => {
  afterEach(() => setImageCache(true));
  it("has the differing file bytes of its own image wherever they lie", () => {
    dataOf(image([]), true); // first sighting: plain
    dataOf(image([]), true); // second: becomes the template
    for (const patches of [[], [[5, 0xee]], [[10 * 4096 + 7, 0xab]], [[DATA_LEN - 1, 0x11]], [[0, 1], [9 * 4096, 2], [11 * 4096 + 5, 3]]] as [number, number][][]) {
      const img = image(patches);
      expect(dataOf(img, true)).toEqual(dataOf(img, false));
    }
  });
});

describe("template keys", () => {
  afterEach(() => setImageCache(true));
  /** FNV-1a as image-cache.ts keys headers (restated here: the test needs two header sets it maps to one hash). */
  const fnv = (b: Uint8Array, from: number, to: number, h: number) => { for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0; return h; };
  const headerHash = (img: Uint8Array) => fnv(img, 64, 64 + 56 * (img[56]! | (img[57]! << 8)), fnv(img, 0, 64, 0x811c9dc5));
  const setPad = (img: Uint8Array, pad: number) => { img[9] = pad & 255; img[10] = (pad >>> 8) & 255; img[11] = (pad >>> 16) & 255; img[12] = pad >>> 24; };
  const exit = (n: number) => [...asm.movEax(1), ...asm.movEdi(n), ...asm.syscall(), 0x90, 0x90, 0x90, 0x90]; // 16 bytes

  it("a template is used only by images with the same header bytes, even when their key hashes collide", () => {
    // The same code (exit(1) at the entry, exit(2) 16 bytes on); b enters at the exit(2). Their
    // EI_PAD words were found by a birthday search (an LCG from 12345, 138,910 tries) to make
    // the header hashes collide.
    const a = buildElf({ code: code(exit(1), exit(2)) }), b = a.slice();
    const dv = new DataView(b.buffer);
    dv.setUint32(24, dv.getUint32(24, true) + 16, true);
    setPad(a, 783765984);
    setPad(b, 3372695809);
    expect(headerHash(a)).toBe(headerHash(b));
    const end = (img: Uint8Array) => { const m = machine({ maxEvents: 0, maxInsns: 10_000 }, img); const e = m.run(); m.dispose(); return e; };
    expect(end(a)).toEqual({ kind: "exit", code: 1 });
    expect(end(a)).toEqual({ kind: "exit", code: 1 }); // a's headers now have a template
    expect(end(b)).toEqual({ kind: "exit", code: 2 });
    expect(end(b)).toEqual({ kind: "exit", code: 2 });
  });
});
