/**
 * TLS Variant II layout of the executable's static TLS block (x86-64 psABI), and the
 * placement of the initial thread's block and TCB in the TLS area below the ring page.
 *
 * Pure functions of the PT_TLS header and the binding. All addresses are plain numbers
 * (user addresses are below 2^47, so they are exact in a double).
 *
 * @clause TLS-1 TLS-2 TLSV2-1 TLSV2-2 TLSV2-3 TLSV2-4 TLSV2-5 TLSV2-6 TLSV2-7 TLSV2-8 ELFX-1
 */
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";

/** The PT_TLS program header of an executable, plus its initialisation image. */
export interface PtTls {
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  /** p_align; 0 and 1 both mean "no alignment" (ELF gABI). */
  readonly align: number;
  /** The first p_filesz bytes of the segment (the `.tdata` template). Absent = all zero. */
  readonly image?: Uint8Array;
}

/** Effective alignment: ELF treats p_align 0 and 1 alike. */
export function effectiveAlign(align: number): number {
  return align <= 1 ? 1 : align;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/** x mod m for a positive m, always in [0, m). */
function mod(x: number, m: number): number {
  return ((x % m) + m) % m;
}

export function alignDown(x: number, a: number): number {
  return x - mod(x, a);
}

export function alignUp(x: number, a: number): number {
  return x + mod(-x, a);
}

/**
 * Why a PT_TLS header cannot be laid out (ELFX-1: p_align must be a power of two no larger
 * than a page; p_filesz <= p_memsz), or undefined when it can.
 * @clause ELFX-1
 */
export function tlsHeaderProblem(t: PtTls, b: Binding = DEFAULT_BINDING): string | undefined {
  const a = effectiveAlign(t.align);
  // ELFX-1: a power-of-two p_align <= pageSize.
  if (!isPowerOfTwo(a) || a > b.pageSize) return `p_align ${t.align} is not a power of two <= ${b.pageSize} (ELFX-1)`;
  // ELFX-1: p_filesz <= p_memsz.
  if (!(t.filesz >= 0 && t.memsz >= t.filesz)) return `p_filesz ${t.filesz} > p_memsz ${t.memsz} (ELFX-1)`;
  if (t.image !== undefined && t.image.length < t.filesz) return `image has ${t.image.length} bytes, p_filesz is ${t.filesz}`;
  return undefined;
}

/**
 * Distance from the thread pointer down to the start of the executable's TLS block.
 *
 * @clause TLSV2-2 TLSV2-5
 * Step 1 (TLSV2-2): the smallest integer off >= p_memsz with (-off) mod p_align == p_vaddr mod p_align.
 * Writing d = (-p_vaddr - p_memsz) mod p_align, off = p_memsz + d is that integer: it is >= p_memsz,
 * -off = -p_memsz - d ≡ p_vaddr (mod p_align), and any smaller candidate >= p_memsz differs by
 * less than p_align and so is not congruent.
 * Step 2 (TLSV2-5): for aligned p_vaddr this equals roundup(p_memsz, p_align); for misaligned p_vaddr it
 * does not (memsz 0x284, align 0x100, p_vaddr % 0x100 = 0x80 gives 0x380, not 0x300).
 */
export function tlsOffset(t: Pick<PtTls, "vaddr" | "memsz" | "align">): number {
  const a = effectiveAlign(t.align);
  return t.memsz + mod(-t.vaddr - t.memsz, a);
}

/**
 * TP-relative offset (negative or zero) of the TLS datum at ELF virtual address `addr`
 * (p_vaddr <= addr <= p_vaddr + p_memsz): TP - tlsOffset + (addr - p_vaddr) - TP.
 * @clause TLSV2-2
 */
export function tpOffsetOf(t: Pick<PtTls, "vaddr" | "memsz" | "align">, addr: number): number {
  if (addr < t.vaddr || addr > t.vaddr + t.memsz) throw new RangeError(`address 0x${addr.toString(16)} is outside PT_TLS`);
  return addr - t.vaddr - tlsOffset(t);
}

/**
 * Contents of a fresh TLS block (p_memsz bytes, at TP - tlsOffset).
 * @clause TLSV2-4
 * The first p_filesz bytes are the image, the remaining p_memsz - p_filesz bytes are zero.
 */
export function initialBlock(t: PtTls): Uint8Array {
  const out = new Uint8Array(t.memsz);
  if (t.image) out.set(t.image.subarray(0, t.filesz), 0);
  return out;
}

/** Where the initial thread's TLS block and TCB are, and what the area holds at entry. */
export interface TlsPlacement {
  /** The thread pointer, FS base at entry (PROCX-1). */
  readonly tp: number;
  /** Alignment of the thread pointer: max(p_align, tpMinAlign) (TLSV2-3, TLSV2-7). */
  readonly tpAlign: number;
  /** First byte of the TLS block (TP - tlsOffset); equals tp when there is no PT_TLS. */
  readonly blockStart: number;
  /** tlsOffset, 0 without PT_TLS. */
  readonly tlsOffset: number;
  /** Bytes from blockStart to tp + tcbSize: the block, the alignment padding, then the TCB. */
  readonly bytes: Uint8Array;
  /** The %fs:0 self-pointer, equal to tp (TLSV2-1). */
  readonly selfPointer: bigint;
}

export type PlacementResult = { readonly ok: true; readonly placement: TlsPlacement } | { readonly ok: false; readonly reason: string };

/**
 * Place the initial thread's TLS block and TCB.
 *
 * @clause TLSV2-7 TLSV2-8 TLSV2-1 TLSV2-3 TLSV2-4 ELFX-1
 * Step 1 (ELFX-1): reject a header that cannot be laid out.
 * Step 2 (TLSV2-7, TLSV2-3): TP = alignDown(ringVaddr - tcbSize, max(p_align, tpMinAlign)).
 * Step 3 (TLSV2-2): the block starts at TP - tlsOffset.
 * Step 4 (TLSV2-7): reject when [blockStart, TP + tcbSize) is not inside [ringVaddr - tlsAreaSize, ringVaddr).
 * Step 5 (TLSV2-4): the block holds the image then zeros; (TLSV2-1) the 8 bytes at TP hold TP.
 * Without PT_TLS (TLSV2-8) the same placement with an empty block: the TCB and self-pointer still exist.
 */
export function placeInitialThread(t: PtTls | null, b: Binding = DEFAULT_BINDING): PlacementResult {
  const L = b.layout;
  // Step 1.
  if (t) {
    const problem = tlsHeaderProblem(t, b);
    if (problem) return { ok: false, reason: problem };
  }
  // Step 2.
  const tpAlign = Math.max(t ? effectiveAlign(t.align) : 1, L.tpMinAlign);
  const tp = alignDown(L.ringVaddr - L.tcbSize, tpAlign);
  // Step 3.
  const off = t ? tlsOffset(t) : 0;
  const blockStart = tp - off;
  // Step 4.
  const areaStart = L.ringVaddr - L.tlsAreaSize;
  if (blockStart < areaStart || tp + L.tcbSize > L.ringVaddr)
    return {
      ok: false,
      reason: `TLS block and TCB need [0x${blockStart.toString(16)}, 0x${(tp + L.tcbSize).toString(16)}), the TLS area is [0x${areaStart.toString(16)}, 0x${L.ringVaddr.toString(16)}) (TLSV2-7)`,
    };
  // Step 5.
  const bytes = new Uint8Array(tp + L.tcbSize - blockStart);
  if (t) bytes.set(initialBlock(t), 0);
  new DataView(bytes.buffer).setBigUint64(off, BigInt(tp), true);
  return { ok: true, placement: { tp, tpAlign, blockStart, tlsOffset: off, bytes, selfPointer: BigInt(tp) } };
}

/**
 * Why `tp` cannot be the initial thread's thread pointer for PT_TLS `t`, or undefined when it
 * may be: the rule every implementation follows, of which `placeInitialThread` is one choice.
 * @clause TLSV2-3 TLSV2-7 TLSV2-8
 * Step 1 (TLSV2-3, TLSV2-7): the TP is aligned to max(p_align, tpMinAlign).
 * Step 2 (TLSV2-7): the block and TCB, [TP - tlsOffset, TP + tcbSize), lie in the TLS area
 * [ringVaddr - tlsAreaSize, ringVaddr). Where in the area is the implementation's choice.
 */
export function initialTpProblem(t: Pick<PtTls, "vaddr" | "memsz" | "align"> | null, tp: bigint, b: Binding = DEFAULT_BINDING): string | undefined {
  const L = b.layout;
  const hex = (x: bigint) => "0x" + x.toString(16);
  // Step 1.
  const align = BigInt(Math.max(t ? effectiveAlign(t.align) : 1, L.tpMinAlign));
  if (tp % align !== 0n) return `the TP ${hex(tp)} is not aligned to max(p_align, tpMinAlign) = ${align} (TLSV2-3, TLSV2-7)`;
  // Step 2.
  const lo = tp - BigInt(t ? tlsOffset(t) : 0);
  const hi = tp + BigInt(L.tcbSize);
  const area = BigInt(L.ringVaddr - L.tlsAreaSize);
  if (lo < area || hi > BigInt(L.ringVaddr)) return `the TLS block and TCB [${hex(lo)}, ${hex(hi)}) are not inside the TLS area [${hex(area)}, ${hex(BigInt(L.ringVaddr))}) (TLSV2-7)`;
  return undefined;
}

/**
 * Address of the TLS datum at ELF address `addr` in a thread whose TP is `tp`.
 * @clause TLSV2-2 TLSV2-6
 */
export function tlsAddress(t: PtTls, tp: number, addr: number): number {
  return tp + tpOffsetOf(t, addr);
}
