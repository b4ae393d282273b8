/**
 * The hostile-input campaign's cases: case `i` of seed `s` is a pure function of (s, i), so a
 * failure replays bit-exactly from its one-line command. Families (issue 17):
 *
 *   elf-mutation   a committed ELF (targets/elf) or a defective one (generators/bad-elf.ts)
 *                  with random byte edits, run on both personalities
 *   random-code    random bytes as the code of a minimal ELF, on both personalities
 *   capnp-params   a CALL of every method of every granted interface with corrupt params
 *   hostile-ring   a hostile SQ batch (generators/hostile-ring.ts)
 *   runaway        a runaway guest (generators/runaway.ts)
 *   command        a hostile command implementation through runner/adapters/command.ts
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { Binding, InterfaceName } from "../../spec/binding.js";
import { initialCapId, sqeOffset } from "../../spec/binding.js";
import { ELF_DEFECTS, defectiveElf } from "../../generators/bad-elf.js";
import { writeElf } from "../../generators/elf-writer.js";
import { emitCapEnter, emitExit, guestDataVaddr, linkGuest, reg, storeField } from "../../generators/guest-code.js";
import { buildHostileRingProbe, hostileBatch } from "../../generators/hostile-ring.js";
import { RUNAWAY_KINDS, buildRunaway } from "../../generators/runaway.js";
import type { RunawayKind } from "../../generators/runaway.js";
import { Asm } from "../../generators/x86-asm.js";

export const FAMILIES = ["elf-mutation", "random-code", "capnp-params", "hostile-ring", "runaway", "command"] as const;
export type Family = (typeof FAMILIES)[number];

/** Relative weights of the families in a mixed campaign (commands are slow: a few). */
const WEIGHTS: Readonly<Record<Family, number>> = { "elf-mutation": 30, "random-code": 30, "capnp-params": 20, "hostile-ring": 12, runaway: 8, command: 0.02 };

export const COMMAND_KINDS = ["hang", "flood", "signal", "grandchild"] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export type Case =
  | { readonly family: "elf-mutation" | "random-code" | "capnp-params" | "hostile-ring"; readonly what: string; readonly image: Uint8Array }
  | { readonly family: "runaway"; readonly what: RunawayKind; readonly image: Uint8Array }
  | { readonly family: "command"; readonly what: CommandKind };

/** splitmix32: a small deterministic PRNG for case construction. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const ELF_DIR = join(import.meta.dirname, "../../targets/elf");
let committed: { name: string; bytes: Uint8Array }[] | null = null;
function committedElfs(): { name: string; bytes: Uint8Array }[] {
  committed ??= readdirSync(ELF_DIR)
    .filter((f) => !f.endsWith(".json"))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(ELF_DIR, name))) }));
  return committed;
}

/** Random byte edits, most of them in the ELF and program headers. */
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const out = src.slice();
  const edits = 1 + (rnd() % 8);
  const interesting = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x10];
  for (let e = 0; e < edits; e++) {
    const span = rnd() % 4 === 0 ? out.length : Math.min(out.length, 64 + 56 * 4);
    const at = rnd() % span;
    out[at] = rnd() % 2 ? interesting[rnd() % interesting.length]! : rnd() & 0xff;
  }
  if (rnd() % 16 === 0) return out.subarray(0, rnd() % out.length);
  return out;
}

/** A CALL of `iface.method` with `params` as its params buffer, then cap_enter and exit. */
export function callGuest(b: Binding, capIface: InterfaceName, methodId: number, params: Uint8Array): Uint8Array {
  const asm = new Asm();
  const ring = "r12" as const;
  const dataVaddr = guestDataVaddr(b);
  const padded = Math.ceil(params.length / 8) * 8;
  const data = new Uint8Array(padded + 256);
  data.set(params, 0);
  const s = sqeOffset(b, 0);
  const common = b.ring.sqeCommon;
  const call = b.ring.sqeViews.call;
  asm.movReg(ring, reg(b.entry.ring));
  storeField(asm, ring, s, common["opcode"], BigInt(b.opcodes.call));
  storeField(asm, ring, s, common["capId"], BigInt(initialCapId(b, b.defaultGrants.indexOf(capIface))));
  storeField(asm, ring, s, common["userData"], 1n);
  storeField(asm, ring, s, call["addr"], BigInt(dataVaddr));
  storeField(asm, ring, s, call["len"], BigInt(params.length));
  storeField(asm, ring, s, call["methodId"], BigInt(methodId));
  storeField(asm, ring, s, call["resultAddr"], BigInt(dataVaddr + padded));
  storeField(asm, ring, s, call["resultLen"], 256n);
  storeField(asm, ring, 0, b.ring.header["sqTail"], 1n);
  emitCapEnter(asm, b, 1n, 1_000_000n);
  emitExit(asm, b, 0n);
  return linkGuest(asm, b, data, "torture call guest");
}

/** Corrupt Cap'n Proto params: random words, hostile pointers, lying segment tables. */
function corruptParams(rnd: () => number): Uint8Array {
  const words = 1 + (rnd() % 12);
  const out = new Uint8Array(8 * words + (rnd() % 8 === 0 ? rnd() % 8 : 0));
  const v = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i += 4) {
    const r = rnd();
    // Pointer-ish words: far pointers (tag 2), lists (tag 1), structs (tag 0) with wild fields.
    v.setUint32(i, r % 3 === 0 ? (r & ~3) | 2 : r % 3 === 1 ? (r & ~3) | 1 : r, true);
  }
  if (out.length >= 8 && rnd() % 2 === 0) {
    v.setUint32(0, rnd() % 4, true); // segment count - 1
    v.setUint32(4, rnd() % 2 ? words - 1 : rnd(), true);
  }
  return out;
}

/** Case `index` of the campaign with `seed`, optionally restricted to `families`. */
export function makeCase(b: Binding, seed: number, index: number, families: readonly Family[] = FAMILIES): Case {
  const rnd = prng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  const total = families.reduce((s, f) => s + WEIGHTS[f], 0);
  let pick = ((rnd() / 2 ** 32) * total);
  let family: Family = families[families.length - 1]!;
  for (const f of families) {
    if (pick < WEIGHTS[f]) {
      family = f;
      break;
    }
    pick -= WEIGHTS[f];
  }
  switch (family) {
    case "elf-mutation": {
      const elfs = committedElfs();
      const k = rnd() % (elfs.length + ELF_DEFECTS.length);
      const base = k < elfs.length ? elfs[k]! : { name: `bad-elf:${ELF_DEFECTS[k - elfs.length]}`, bytes: defectiveElf(ELF_DEFECTS[k - elfs.length]!, b) };
      return { family, what: base.name, image: mutate(base.bytes, rnd) };
    }
    case "random-code": {
      const code = new Uint8Array(1 + (rnd() % 256));
      for (let i = 0; i < code.length; i++) code[i] = rnd() & 0xff;
      // Half the streams start by loading RCX with a huge count (REP string reproducers).
      const prefix = rnd() % 2 ? [0x48, 0xb9, ...Array.from({ length: 8 }, () => rnd() & 0xff)] : [];
      const all = Uint8Array.from([...prefix, ...code]);
      return { family, what: `code ${all.length} bytes`, image: writeElf({ textVaddr: b.layout.imageBase, code: all, entryOffset: 0, dataVaddr: guestDataVaddr(b), data: new Uint8Array(64), dataMemsz: 4096 }) };
    }
    case "capnp-params": {
      // Every method of every interface; one without a default grant is called on Console's cap.
      const ifaces = (Object.keys(b.methods) as InterfaceName[]).filter((i) => Object.keys(b.methods[i]).length > 0);
      const iface = ifaces[rnd() % ifaces.length]!;
      const methods = Object.entries(b.methods[iface]);
      const [name, id] = methods[rnd() % methods.length]!;
      const capIface = b.defaultGrants.includes(iface) ? iface : "Console";
      return { family, what: `${iface}.${name}`, image: callGuest(b, capIface, id, corruptParams(rnd)) };
    }
    case "hostile-ring": {
      const [batch] = fc.sample(hostileBatch(b), { seed: rnd() | 0, numRuns: 1 });
      return { family, what: `${batch!.sqes.length} sqes tail=${batch!.sqTail}`, image: buildHostileRingProbe(batch!, b) };
    }
    case "runaway": {
      const kind = RUNAWAY_KINDS[rnd() % RUNAWAY_KINDS.length]!;
      return { family, what: kind, image: buildRunaway(kind, b) };
    }
    case "command":
      return { family, what: COMMAND_KINDS[rnd() % COMMAND_KINDS.length]! };
  }
}
