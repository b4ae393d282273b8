/**
 * Memory's 16-byte accesses (SSE loads and stores) against their contract: the same bytes
 * as four 32-bit accesses at a, a+4, a+8, a+12; a read faults at the first unreadable byte's
 * 32-bit piece, as those reads would; a write that faults writes nothing (checkW's rule).
 * Offsets sweep a page boundary, with the next page readable and writable, read-only, or
 * unmapped.
 */
import { describe, it, expect } from "vitest";
import { Memory, PROT_READ, PROT_WRITE } from "../index.js";
import { GuestFault } from "../fault.js";

const BASE = 0x10000;

function mem(next: "rw" | "ro" | "none"): Memory {
  const m = new Memory(16);
  m.map(BASE, 4096, PROT_READ | PROT_WRITE);
  if (next !== "none") m.map(BASE + 4096, 4096, next === "rw" ? PROT_READ | PROT_WRITE : PROT_READ);
  const init = new Uint8Array(next === "none" ? 4096 : 8192);
  for (let i = 0; i < init.length; i++) init[i] = (i * 37 + 11) & 255;
  m.writeBytes(BASE, init);
  return m;
}
function outcome(f: () => unknown): string {
  try { return JSON.stringify(f()); } catch (e) {
    if (e instanceof GuestFault) return `fault ${JSON.stringify(e.fault, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`;
    throw e;
  }
}

describe("Memory 16-byte accesses", () => {
  for (const next of ["rw", "ro", "none"] as const) {
    it(`r128/w128 equal four 32-bit accesses across a page boundary (next page ${next})`, () => {
      for (let off = 4096 - 24; off <= 4096 + 4 && (next !== "none" || off < 4096); off++) {
        const a = BASE + off;
        // read
        const m1 = mem(next), m2 = mem(next);
        const x = new Int32Array(8);
        const got = outcome(() => { m1.r128(a, x, 2); return Array.from(x.subarray(2, 6)); });
        const want = outcome(() => [m2.r32(a), m2.r32(a + 4), m2.r32(a + 8), m2.r32(a + 12)]);
        expect(got, `read at +${off}`).toBe(want);
        // write: bytes as four 32-bit writes, or a fault with nothing written
        const m3 = mem(next), m4 = mem(next);
        const v = Int32Array.of(0, 0x11223344, -0x55667788, 0x0a0b0c0d, -1);
        const gotW = outcome(() => m3.w128(a, v, 1));
        const wantW = outcome(() => { m4.checkW(a, 16); for (let i = 0; i < 4; i++) m4.w32(a + 4 * i, v[1 + i]!); });
        expect(gotW, `write at +${off}`).toBe(wantW);
        const len = next === "none" ? 4096 : 8192;
        expect(Buffer.from(m3.readBytes(BASE, len)).equals(Buffer.from(m4.readBytes(BASE, len))), `bytes after write at +${off}`).toBe(true);
      }
    });
  }
});
