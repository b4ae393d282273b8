/**
 * The capOS personality's own ELF reader (ELFX-1). Independent of targets/ and model/.
 *
 * `parseElf` validates a static x86-64 ET_EXEC image against the binding and returns its
 * PT_LOAD segments and PT_TLS; `tlsLayout` computes the initial thread's Variant II TLS
 * placement (TLSV2-2, TLSV2-3, TLSV2-7). Every rejection is an `ElfError` with a stable
 * `code` and a one-line message; nothing else is thrown for any input bytes.
 */
import type { Binding } from "../../spec/binding.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { DEFAULT_POLICY, type Policy } from "./policy.js";

export type ElfErrorCode =
  | "truncated"
  | "bad-magic"
  | "bad-class"
  | "bad-encoding"
  | "bad-version"
  | "bad-machine"
  | "bad-type"
  | "bad-phdr-table"
  | "no-load"
  | "bad-align"
  | "filesz-gt-memsz"
  | "segment-out-of-file"
  | "segment-out-of-range"
  | "segment-overlap"
  | "bad-tls"
  | "tls-too-large";

export class ElfError extends Error {
  override readonly name = "ElfError";
  constructor(
    readonly code: ElfErrorCode,
    message: string,
  ) {
    super(`ELF rejected (${code}): ${message}`);
  }
}

export const PT_LOAD = 1;
export const PT_TLS = 7;
export const PF_X = 1, PF_W = 2, PF_R = 4;

export interface LoadSegment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly filesz: number;
  readonly offset: number;
  /** PF_* bits. */
  readonly flags: number;
}

export interface TlsSegment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly filesz: number;
  readonly offset: number;
  /** p_align with 0 normalised to 1. */
  readonly align: number;
}

export interface ElfImage {
  readonly entry: number;
  readonly loads: readonly LoadSegment[];
  readonly tls: TlsSegment | null;
}

/** Largest PT_LOAD p_align accepted (2 MiB, the largest x86-64 page size a linker uses). */
export const MAX_LOAD_ALIGN = 0x20_0000;

const hex = (v: bigint | number) => "0x" + v.toString(16);
const isPow2 = (v: bigint) => v > 0n && (v & (v - 1n)) === 0n;

/** Parse and validate an ELF image (ELFX-1). Throws only ElfError. */
export function parseElf(image: Uint8Array, binding: Binding = DEFAULT_BINDING): ElfImage {
  const L = binding.layout;
  if (image.length < 64) throw new ElfError("truncated", `file of ${image.length} bytes is shorter than the 64-byte ELF header`);
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46)
    throw new ElfError("bad-magic", "missing \\x7fELF magic");
  if (image[4] !== 2) throw new ElfError("bad-class", `EI_CLASS ${image[4]} is not ELFCLASS64`);
  if (image[5] !== 1) throw new ElfError("bad-encoding", `EI_DATA ${image[5]} is not little-endian`);
  if (image[6] !== 1) throw new ElfError("bad-version", `EI_VERSION ${image[6]} is not EV_CURRENT`);
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  if (machine !== 62) throw new ElfError("bad-machine", `e_machine ${machine} is not EM_X86_64`);
  if (type !== 2) throw new ElfError("bad-type", `e_type ${type} is not ET_EXEC`);
  const entry = v.getBigUint64(24, true);
  const phoff = v.getBigUint64(32, true);
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phnum === 0) throw new ElfError("no-load", "no program headers");
  if (phentsize !== 56) throw new ElfError("bad-phdr-table", `e_phentsize ${phentsize} is not 56`);
  const phEnd = phoff + BigInt(phnum) * 56n;
  if (phEnd > BigInt(image.length))
    throw new ElfError("bad-phdr-table", `program headers [${hex(phoff)}, ${hex(phEnd)}) run past the file (${hex(image.length)} bytes)`);
  const fileLen = BigInt(image.length);
  const loads: LoadSegment[] = [];
  let tls: TlsSegment | null = null;
  const lo = BigInt(binding.pageSize);
  const hi = BigInt(L.userStackBase);
  for (let i = 0; i < phnum; i++) {
    const at = Number(phoff) + i * 56;
    const ptype = v.getUint32(at, true);
    if (ptype !== PT_LOAD && ptype !== PT_TLS) continue;
    const flags = v.getUint32(at + 4, true);
    const offset = v.getBigUint64(at + 8, true);
    const vaddr = v.getBigUint64(at + 16, true);
    const filesz = v.getBigUint64(at + 32, true);
    const memsz = v.getBigUint64(at + 40, true);
    const align = v.getBigUint64(at + 48, true);
    const what = `${ptype === PT_LOAD ? "PT_LOAD" : "PT_TLS"} #${i}`;
    if (filesz > memsz) throw new ElfError("filesz-gt-memsz", `${what} p_filesz ${hex(filesz)} > p_memsz ${hex(memsz)}`);
    if (offset + filesz > fileLen) throw new ElfError("segment-out-of-file", `${what} file range [${hex(offset)}, ${hex(offset + filesz)}) runs past the file`);
    if (ptype === PT_LOAD) {
      if (align > 1n && (!isPow2(align) || align > BigInt(MAX_LOAD_ALIGN)))
        throw new ElfError("bad-align", `${what} p_align ${hex(align)} is not a power of two <= ${hex(MAX_LOAD_ALIGN)}`);
      if (memsz === 0n) continue;
      if (vaddr < lo || vaddr + memsz > hi)
        throw new ElfError("segment-out-of-range", `${what} [${hex(vaddr)}, ${hex(vaddr + memsz)}) is outside [${hex(lo)}, ${hex(hi)})`);
      loads.push({ vaddr: Number(vaddr), memsz: Number(memsz), filesz: Number(filesz), offset: Number(offset), flags: flags & 7 });
    } else {
      if (tls) throw new ElfError("bad-tls", "more than one PT_TLS");
      const a = align === 0n ? 1n : align;
      if (!isPow2(a) || a > BigInt(binding.pageSize))
        throw new ElfError("bad-tls", `PT_TLS p_align ${hex(align)} is not a power of two <= ${hex(binding.pageSize)}`);
      if (memsz > BigInt(L.tlsAreaSize))
        throw new ElfError("tls-too-large", `PT_TLS p_memsz ${hex(memsz)} exceeds the TLS area (${hex(L.tlsAreaSize)})`);
      tls = { vaddr: Number(vaddr & 0xffff_ffff_ffffn), memsz: Number(memsz), filesz: Number(filesz), offset: Number(offset), align: Number(a) };
      // range checked against the loads below (vaddr may be huge here)
      if (memsz > 0n && vaddr + filesz > hi) throw new ElfError("bad-tls", `PT_TLS [${hex(vaddr)}, ${hex(vaddr + filesz)}) lies outside every PT_LOAD`);
    }
  }
  if (loads.length === 0) throw new ElfError("no-load", "no PT_LOAD with p_memsz > 0");
  const sorted = [...loads].sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!, q = sorted[i]!;
    if (q.vaddr < p.vaddr + p.memsz)
      throw new ElfError("segment-overlap", `PT_LOAD [${hex(p.vaddr)}, ${hex(p.vaddr + p.memsz)}) overlaps [${hex(q.vaddr)}, ${hex(q.vaddr + q.memsz)})`);
  }
  if (tls) {
    const t = tls;
    const inside = t.memsz === 0 || loads.some((l) => t.vaddr >= l.vaddr && t.vaddr + t.filesz <= l.vaddr + l.memsz);
    if (!inside) throw new ElfError("bad-tls", `PT_TLS [${hex(t.vaddr)}, ${hex(t.vaddr + t.filesz)}) lies outside every PT_LOAD`);
    tlsLayout(binding, t, false); // throws tls-too-large
  }
  return { entry: Number(entry), loads, tls };
}

export interface TlsPlacement {
  /** Thread pointer (initial FS base). */
  readonly tp: number;
  /** tlsOffset: the block starts at tp - offset. */
  readonly offset: number;
  /** Lowest address used (block start, or tp when there is no PT_TLS). */
  readonly low: number;
}

/**
 * Variant II placement of the initial thread's TLS block (TLSV2-2, -3, -5, -7, -8).
 * `ignoreMisalign` is the `tls-ignores-misalign` mutant: offset = roundup(memsz, align).
 */
export function tlsLayout(binding: Binding, tls: TlsSegment | null, ignoreMisalign: boolean, threadPointer: Policy["threadPointer"] = DEFAULT_POLICY.threadPointer, tpAlignCapped16 = false): TlsPlacement {
  const L = binding.layout;
  let align = Math.max(tls ? tls.align : 1, L.tpMinAlign);
  if (tpAlignCapped16) align = Math.min(align, 16); // MUTANT tp-align-capped-16
  if (!tls) {
    const tp = threadPointer(L, align, 0);
    return { tp, offset: 0, low: tp };
  }
  const a = tls.align;
  const want = tls.vaddr % a; // (-offset) mod a == vaddr mod a
  let offset: number;
  if (ignoreMisalign) {
    // MUTANT tls-ignores-misalign: glibc-static style roundup, wrong when p_vaddr % p_align != 0.
    offset = Math.ceil(tls.memsz / a) * a;
  } else {
    // smallest offset >= memsz with (offset + want) % a == 0
    offset = tls.memsz + ((a - ((tls.memsz + want) % a)) % a);
  }
  const tp = threadPointer(L, align, offset);
  const low = tp - offset;
  if (low < L.ringVaddr - L.tlsAreaSize)
    throw new ElfError("tls-too-large", `TLS block of ${hex(offset)} bytes and the TCB do not fit in the ${hex(L.tlsAreaSize)}-byte TLS area`);
  return { tp, offset, low };
}
