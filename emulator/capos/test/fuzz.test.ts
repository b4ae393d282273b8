/**
 * Hostile input never escapes the kernel (RING-10, ELFX-1): fast-check with a fixed seed,
 * 10,000 hostile ring batches through the ring processor and 10,000 malformed ELFs through
 * the loader, without the CPU so that both run in seconds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B, sqeOffset } from "../../../spec/binding.js";
import * as gen from "../../../spec/schema/gen/capos.js";
import { CaposMachine } from "../machine.js";
import { ElfError, parseElf, tlsLayout } from "../elf.js";
import { buildElf, code, asm, machine, params, PARAMS_AT, RESULT_AT, grant, manifest, readElf } from "./helpers.js";

const SEED = 0x5eed_c0de;
const H = B.ring.header;

/** Valid params messages to start from (so that fuzzing reaches the methods). */
const VALID: Uint8Array[] = [
  params(gen.Console_Write$Params, (p) => p._initData(5)),
  params(gen.VirtualMemory_Map$Params, (p) => { p.size = 0x2000n; p.prot = 3; }),
  params(gen.VirtualMemory_Unmap$Params, (p) => { p.addr = BigInt(B.layout.vmWindowBase); p.size = 0x1000n; }),
  params(gen.VirtualMemory_Reserve$Params, (p) => { p.size = 0x4000n; }),
  params(gen.VirtualMemory_Commit$Params, (p) => { p.addr = BigInt(B.layout.vmWindowBase); p.size = 0x1000n; p.prot = 1; }),
  params(gen.Timer_Sleep$Params, (p) => (p.ns = 10n)),
  params(gen.ThreadControl_SetFsBase$Params, (p) => (p.base = 0x1234n)),
  params(gen.ThreadSpawner_Spawn$Params, (p) => { p.entry = 0x201000n; p.stackTop = 0x1030000n; }),
];

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const addrArb = fc.oneof(
  fc.constant(BigInt(PARAMS_AT)),
  fc.constant(BigInt(RESULT_AT)),
  fc.constant(BigInt(B.layout.userStackBase + 0x100)),
  fc.constant(BigInt(B.layout.vmWindowBase)),
  fc.constant(BigInt(B.layout.capSetVaddr)),
  fc.constant(BigInt(B.layout.ringVaddr)),
  fc.constant(0xffff_8000_0000_0000n),
  fc.constant(BigInt(B.layout.userAddressLimit - 2)),
  u64,
);
const lenArb = fc.oneof(fc.integer({ min: 0, max: 256 }), fc.constant(0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff }));
const capArb = fc.oneof(
  fc.constantFrom(...B.defaultGrants.map((n) => grant(n))),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.constant(0x0002_0000),
);
const sqeArb = fc.oneof(
  // structured entries
  fc.record({
    kind: fc.constant("structured" as const),
    opcode: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })),
    flags: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    capId: capArb,
    userData: u64,
    addr: addrArb,
    len: lenArb,
    methodId: fc.integer({ min: 0, max: 8 }),
    resultAddr: addrArb,
    resultLen: lenArb,
    extra: u64,
    message: fc.oneof(
      fc.constantFrom(...VALID),
      fc.uint8Array({ maxLength: 96 }),
      fc.tuple(fc.constantFrom(...VALID), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, i, b]) => {
        const c = v.slice();
        c[i % c.length] = b;
        return c;
      }),
    ),
  }),
  // raw bytes
  fc.record({ kind: fc.constant("raw" as const), bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
);
const batchArb = fc.record({
  sqes: fc.array(sqeArb, { maxLength: 6 }),
  headerMess: fc.option(fc.record({ sqHead: fc.nat(), sqTail: fc.nat(), cqHead: fc.nat() }), { freq: 8 }),
  enter: fc.boolean(),
});

describe("hostile rings (RING-10)", () => {
  it("10,000 hostile batches never throw and keep the ring consistent", () => {
    let m: CaposMachine | null = null;
    let used = 0;
    fc.assert(
      fc.property(batchArb, (batch) => {
        if (!m || m.end || used++ > 300) {
          m = machine({ maxPages: 4096 });
          used = 0;
        }
        const mm = m;
        const mem = mm.as.mem;
        const ring = mm.ringOf(0);
        let tail = mem.readU32(ring + H["sqTail"]!.offset);
        for (const s of batch.sqes) {
          const at = ring + sqeOffset(B, tail);
          if (s.kind === "raw") mem.writeBytes(at, s.bytes);
          else {
            const e = new Uint8Array(64);
            const v = new DataView(e.buffer);
            v.setUint8(0, s.opcode);
            v.setUint8(1, s.flags);
            v.setUint32(4, s.capId, true);
            v.setBigUint64(8, s.userData, true);
            v.setBigUint64(16, s.addr, true);
            v.setUint32(24, s.len, true);
            v.setUint16(28, s.methodId, true);
            v.setBigUint64(32, s.resultAddr, true);
            v.setUint32(40, s.resultLen, true);
            if (s.opcode === B.opcodes.park) v.setBigUint64(32, s.extra & 0xffffn, true);
            mem.writeBytes(at, e);
            mem.writeBytes(PARAMS_AT, s.message);
          }
          tail = (tail + 1) >>> 0;
        }
        mem.writeU32(ring + H["sqTail"]!.offset, tail);
        if (batch.headerMess) {
          mem.writeU32(ring + H["sqHead"]!.offset, batch.headerMess.sqHead);
          mem.writeU32(ring + H["sqTail"]!.offset, batch.headerMess.sqTail);
          mem.writeU32(ring + H["cqHead"]!.offset, batch.headerMess.cqHead);
        }
        if (batch.enter) mm.enterFromTest(0, 0, 0n);
        else mm.processRing(0);
        if (mm.end) return; // e.g. ThreadControl.exit of the only thread
        const h = mm.ringHeader(0);
        // everything was consumed unless the CQ is full (RINGX-1, RINGX-2)
        const full = ((h["cqTail"]! - h["cqHead"]!) >>> 0) >= B.ring.cqEntries;
        if (!full) expect(h["sqHead"]).toBe(h["sqTail"]);
        // reap so the next batch has room
        mem.writeU32(ring + H["cqHead"]!.offset, h["cqTail"]!);
      }),
      { numRuns: 10_000, seed: SEED },
    );
  });
});

// ---- ELF mutations ---------------------------------------------------------------------------

const SEEDS: Uint8Array[] = [
  buildElf({ code: code(asm.spin()) }),
  buildElf({ code: code(asm.spin()), data: new Uint8Array(0x300).fill(7), bss: 0x2000, tls: { at: 0x80, filesz: 0x40, memsz: 0x284, align: 0x100 } }),
];
for (const e of manifest() ?? []) {
  const b = readElf(e.name);
  if (b && SEEDS.length < 6) SEEDS.push(b);
}

const mutation = fc.oneof(
  fc.record({ k: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ k: fc.constant("flip" as const), at: fc.integer({ min: 0, max: 64 + 56 * 4 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    k: fc.constant("phdr" as const),
    ph: fc.integer({ min: 0, max: 3 }),
    field: fc.constantFrom(0, 4, 8, 16, 32, 40, 48),
    value: fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.constantFrom(0n, 1n, 3n, 0x1000n, 0x20_0000n, 0x40_0000n, 1n << 63n, (1n << 64n) - 1n, 0xfff_ffffn, 0x1000000n),
    ),
  }),
  fc.record({ k: fc.constant("ehdr" as const), field: fc.constantFrom(4, 5, 6, 16, 18, 24, 32, 54, 56), value: fc.integer({ min: 0, max: 0xffff }) }),
);

function mutate(base: Uint8Array, muts: fc.Arbitrary<unknown>[] | unknown[]): Uint8Array {
  let b = base.slice();
  for (const m of muts as { k: string; at?: number; bit?: number; ph?: number; field?: number; value?: bigint | number }[]) {
    const v = new DataView(b.buffer);
    if (m.k === "truncate") b = b.slice(0, m.at! % (b.length + 1));
    else if (m.k === "flip") { if (m.at! < b.length) b[m.at!] = b[m.at!]! ^ (1 << m.bit!); }
    else if (m.k === "phdr") {
      const phoff = b.length >= 64 ? Number(v.getBigUint64(32, true)) : 0;
      const at = phoff + m.ph! * 56 + m.field!;
      if (at + 8 <= b.length) {
        if (m.field === 0 || m.field === 4) v.setUint32(at, Number(BigInt(m.value!) & 0xffff_ffffn), true);
        else v.setBigUint64(at, BigInt(m.value!), true);
      }
    } else if (m.k === "ehdr") {
      if (m.field! + 2 <= b.length) {
        if (m.field! < 8) b[m.field!] = Number(m.value) & 255;
        else v.setUint16(m.field!, Number(m.value), true);
      }
    }
  }
  return b;
}

describe("malformed ELFs (ELFX-1)", () => {
  it("10,000 mutated images are either valid or rejected with a typed ElfError", () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (si, muts) => {
        const img = mutate(SEEDS[si]!, muts);
        let elf;
        try {
          elf = parseElf(img, B);
        } catch (e) {
          expect(e).toBeInstanceOf(ElfError);
          expect((e as ElfError).message).not.toContain("\n");
          rejected++;
          return;
        }
        // accepted: every ELFX-1 condition holds
        for (const l of elf.loads) {
          expect(l.filesz).toBeLessThanOrEqual(l.memsz);
          expect(l.vaddr).toBeGreaterThanOrEqual(B.pageSize);
          expect(l.vaddr + l.memsz).toBeLessThanOrEqual(B.layout.userStackBase);
          expect(l.offset + l.filesz).toBeLessThanOrEqual(img.length);
        }
        const s = [...elf.loads].sort((a, c) => a.vaddr - c.vaddr);
        for (let i = 1; i < s.length; i++) expect(s[i]!.vaddr).toBeGreaterThanOrEqual(s[i - 1]!.vaddr + s[i - 1]!.memsz);
        if (elf.tls) {
          expect(elf.tls.align & (elf.tls.align - 1)).toBe(0);
          expect(elf.tls.align).toBeLessThanOrEqual(B.pageSize);
          const pl = tlsLayout(B, elf.tls, false);
          expect(pl.low).toBeGreaterThanOrEqual(B.layout.ringVaddr - B.layout.tlsAreaSize);
        }
      }),
      { numRuns: 10_000, seed: SEED },
    );
    expect(rejected).toBeGreaterThan(1000);
  });

  it("1,000 mutated images load into a machine without escaping exceptions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 2 }), (si, muts) => {
        const m = new CaposMachine({ maxPages: 2048 });
        const err = m.load(mutate(SEEDS[si]!, muts));
        if (err) expect(m.end).toEqual({ kind: "rejected", reason: err.message });
        else expect(m.end === null || m.end.kind === "budget").toBe(true);
      }),
      { numRuns: 1_000, seed: SEED },
    );
  });
});
