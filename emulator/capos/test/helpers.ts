/**
 * Test helpers: a tiny ELF writer, a few hand-encoded x86-64 instructions, ring SQE writers
 * and framed params messages. Written from the ELF spec and spec/binding.ts only.
 */
import * as capnp from "capnp-es";
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Binding } from "../../../spec/binding.js";
import { DEFAULT_BINDING, initialCapId, sqeOffset, cqeOffset } from "../../../spec/binding.js";
import { CaposMachine } from "../machine.js";
import type { MachineOptions } from "../machine.js";

export const CODE_VADDR = 0x20_1000;
export const DATA_VADDR = 0x20_2000;

export interface ElfSpec {
  code: Uint8Array;
  /** Bytes of the RW data segment (file-backed part). */
  data?: Uint8Array;
  /** Extra zero bytes after data (bss). */
  bss?: number;
  /** PT_TLS inside the data segment: its offset in data, image size, memsz and align. */
  tls?: { at: number; filesz: number; memsz: number; align: number };
}

/** Build a static ET_EXEC x86-64 ELF: RX code at CODE_VADDR, optional RW data at DATA_VADDR. */
export function buildElf(s: ElfSpec): Uint8Array {
  const phs: number[][] = [];
  // [type, flags, offset, vaddr, filesz, memsz, align]
  phs.push([1, 5, 0x1000, CODE_VADDR, s.code.length, s.code.length, 0x1000]);
  const data = s.data ?? new Uint8Array(0);
  if (s.data || s.bss) phs.push([1, 6, 0x2000, DATA_VADDR, data.length, data.length + (s.bss ?? 0), 0x1000]);
  if (s.tls) phs.push([7, 4, 0x2000 + s.tls.at, DATA_VADDR + s.tls.at, s.tls.filesz, s.tls.memsz, s.tls.align]);
  const size = 0x2000 + data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 62, true); // EM_X86_64
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(CODE_VADDR), true);
  v.setBigUint64(32, 64n, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phs.length, true);
  phs.forEach((p, i) => {
    const at = 64 + i * 56;
    v.setUint32(at, p[0]!, true);
    v.setUint32(at + 4, p[1]!, true);
    v.setBigUint64(at + 8, BigInt(p[2]!), true);
    v.setBigUint64(at + 16, BigInt(p[3]!), true);
    v.setBigUint64(at + 24, BigInt(p[3]!), true);
    v.setBigUint64(at + 32, BigInt(p[4]!), true);
    v.setBigUint64(at + 40, BigInt(p[5]!), true);
    v.setBigUint64(at + 48, BigInt(p[6]!), true);
  });
  out.set(s.code, 0x1000);
  out.set(data, 0x2000);
  return out;
}

// ---- hand-encoded instructions -----------------------------------------------------------
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
export const asm = {
  movEax: (n: number) => [0xb8, ...le32(n)],
  movEdi: (n: number) => [0xbf, ...le32(n)],
  /** mov rsi, simm32 */
  movRsi: (n: number) => [0x48, 0xc7, 0xc6, ...le32(n)],
  syscall: () => [0x0f, 0x05],
  movEdiEax: () => [0x89, 0xc7],
  /** mov [abs32], eax */
  storeAbs: (addr: number) => [0x89, 0x04, 0x25, ...le32(addr)],
  ud2: () => [0x0f, 0x0b],
  spin: () => [0xeb, 0xfe],
  /** mov rdi, fs:[disp32] */
  movRdiFs: (disp: number) => [0x64, 0x48, 0x8b, 0x3c, 0x25, ...le32(disp)],
};
export const code = (...parts: number[][]) => Uint8Array.from(parts.flat());

/** A program that just spins (the kernel is driven directly by the test). */
export const SPIN_ELF = buildElf({ code: code(asm.spin()) });

export function machine(opts: MachineOptions = {}, image: Uint8Array = SPIN_ELF): CaposMachine {
  const m = new CaposMachine(opts);
  const err = m.load(image);
  if (err) throw err;
  return m;
}

// ---- ring access --------------------------------------------------------------------------
export type SqeFields = Record<string, number | bigint>;

/** Write one SQE at the ring's sq_tail and publish it. */
export function submit(m: CaposMachine, thread: number, op: keyof Binding["opcodes"], f: SqeFields, b: Binding = DEFAULT_BINDING): void {
  const ring = m.ringOf(thread);
  const mem = m.as.mem;
  const tail = mem.readU32(ring + b.ring.header["sqTail"]!.offset);
  const at = ring + sqeOffset(b, tail);
  mem.writeBytes(at, new Uint8Array(b.ring.sqeSize));
  const all = { ...b.ring.sqeCommon, ...b.ring.sqeViews[op] };
  const put = (name: string, val: number | bigint) => {
    const fd = all[name];
    if (!fd) throw new Error(`no SQE field ${name}`);
    const a = at + fd.offset;
    if (fd.type === "u8") mem.writeU8(a, Number(val));
    else if (fd.type === "u16") mem.writeU16(a, Number(val));
    else if (fd.type === "u32" || fd.type === "i32") mem.writeU32(a, Number(BigInt.asUintN(32, BigInt(val))));
    else mem.writeU64(a, BigInt(val));
  };
  put("opcode", b.opcodes[op]);
  for (const [k, val] of Object.entries(f)) put(k, val);
  mem.writeU32(ring + b.ring.header["sqTail"]!.offset, tail + 1);
}

export interface CqeView {
  userData: bigint;
  result: number;
  capId: number;
  interfaceId: bigint;
}

/** Pop every unconsumed CQE of a thread's ring (advances cq_head). */
export function reap(m: CaposMachine, thread: number, b: Binding = DEFAULT_BINDING): CqeView[] {
  const ring = m.ringOf(thread);
  const mem = m.as.mem;
  const H = b.ring.header;
  const out: CqeView[] = [];
  let head = mem.readU32(ring + H["cqHead"]!.offset);
  const tail = mem.readU32(ring + H["cqTail"]!.offset);
  while (head !== tail) {
    const at = ring + cqeOffset(b, head);
    const C = b.ring.cqe;
    out.push({
      userData: mem.readU64(at + C["userData"]!.offset),
      result: mem.readU32(at + C["result"]!.offset) | 0,
      capId: mem.readU32(at + C["capId"]!.offset),
      interfaceId: mem.readU64(at + C["interfaceId"]!.offset),
    });
    head = (head + 1) >>> 0;
  }
  mem.writeU32(ring + H["cqHead"]!.offset, head);
  return out;
}

/** Cap id of a default grant by interface name. */
export function grant(name: Binding["defaultGrants"][number], b: Binding = DEFAULT_BINDING): number {
  return initialCapId(b, b.defaultGrants.indexOf(name));
}

// ---- messages -------------------------------------------------------------------------------
export function params<T extends capnp.Struct>(cls: capnp.StructCtor<T>, set?: (s: T) => void): Uint8Array {
  const msg = new capnp.Message();
  const r = msg.initRoot(cls);
  if (set) set(r);
  return new Uint8Array(msg.toArrayBuffer());
}

/** Scratch area in the stack the tests use for params and results. */
export const SCRATCH = DEFAULT_BINDING.layout.userStackBase;
export const PARAMS_AT = SCRATCH;
export const RESULT_AT = SCRATCH + 0x800;

/** Read the root data word `word` of a framed single-segment result at RESULT_AT. */
export function resultWord(m: CaposMachine, word = 0, at = RESULT_AT): bigint {
  const mem = m.as.mem;
  const ptr = mem.readU64(at + 8);
  const off = Number(BigInt.asIntN(32, ptr & 0xffffffffn) >> 2n);
  return mem.readU64(at + 16 + off * 8 + word * 8);
}

// ---- probe ELFs -------------------------------------------------------------------------------
export const ELF_DIR = fileURLToPath(new URL("../../../targets/elf/", import.meta.url));
export interface ManifestEntry { name: string; program: string; toolchain: string }
export function manifest(): ManifestEntry[] | null {
  const p = ELF_DIR + "manifest.json";
  if (!existsSync(p)) return null;
  return (JSON.parse(readFileSync(p, "utf8")) as { elfs: ManifestEntry[] }).elfs;
}
export function readElf(name: string): Uint8Array | null {
  const p = ELF_DIR + name;
  return existsSync(p) ? new Uint8Array(readFileSync(p)) : null;
}
