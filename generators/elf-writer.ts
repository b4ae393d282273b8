/**
 * Writes minimal static x86-64 ELF executables: one R-X PT_LOAD with the headers and code,
 * one RW PT_LOAD with data, and optionally a PT_TLS inside the data segment.
 *
 * Generated images let properties reach TLS layouts no compiler on this machine emits on
 * demand (any p_align up to 4096, any p_vaddr misalignment, any .tdata/.tbss split).
 * Layout rules follow the ELF-64 gABI; tests check the output with binutils `readelf`.
 */

export interface TlsSegment {
  /** Offset of the TLS image within the data segment. */
  readonly dataOffset: number;
  readonly image: Uint8Array;
  readonly memsz: number;
  readonly align: number;
}

export interface ElfSpec {
  /** Load address of the text segment (ELF headers at its start). */
  readonly textVaddr: number;
  readonly code: Uint8Array;
  /** Offset of the entry point within `code`. */
  readonly entryOffset: number;
  readonly dataVaddr: number;
  readonly data: Uint8Array;
  /** Data segment memory size (>= data.length; the rest is zero). */
  readonly dataMemsz: number;
  readonly tls?: TlsSegment;
}

const EHDR = 64;
const PHDR = 56;
const PT_LOAD = 1;
const PT_TLS = 7;
const PF_X = 1, PF_W = 2, PF_R = 4;

/** Where the code starts inside the text segment (after the headers). */
export function codeOffset(hasTls: boolean): number {
  return EHDR + PHDR * (hasTls ? 3 : 2);
}

export function writeElf(spec: ElfSpec): Uint8Array {
  const phnum = spec.tls ? 3 : 2;
  const textFilesz = codeOffset(!!spec.tls) + spec.code.length;
  // The data segment's file offset must be congruent to its vaddr modulo the page size.
  const dataFileOff = Math.ceil(textFilesz / 4096) * 4096 + (spec.dataVaddr % 4096);
  const total = dataFileOff + spec.data.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELFCLASS64, little-endian, version 1, SysV
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 62, true); // EM_X86_64
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(spec.textVaddr + codeOffset(!!spec.tls) + spec.entryOffset), true);
  v.setBigUint64(32, BigInt(EHDR), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff: no sections
  v.setUint16(52, EHDR, true);
  v.setUint16(54, PHDR, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true); // e_shentsize
  const ph = (i: number, type: number, flags: number, off: number, vaddr: number, filesz: number, memsz: number, align: number) => {
    const at = EHDR + i * PHDR;
    v.setUint32(at, type, true);
    v.setUint32(at + 4, flags, true);
    v.setBigUint64(at + 8, BigInt(off), true);
    v.setBigUint64(at + 16, BigInt(vaddr), true);
    v.setBigUint64(at + 24, BigInt(vaddr), true);
    v.setBigUint64(at + 32, BigInt(filesz), true);
    v.setBigUint64(at + 40, BigInt(memsz), true);
    v.setBigUint64(at + 48, BigInt(align), true);
  };
  ph(0, PT_LOAD, PF_R | PF_X, 0, spec.textVaddr, textFilesz, textFilesz, 4096);
  ph(1, PT_LOAD, PF_R | PF_W, dataFileOff, spec.dataVaddr, spec.data.length, spec.dataMemsz, 4096);
  if (spec.tls) {
    const t = spec.tls;
    ph(2, PT_TLS, PF_R, dataFileOff + t.dataOffset, spec.dataVaddr + t.dataOffset, t.image.length, t.memsz, t.align);
  }
  out.set(spec.code, codeOffset(!!spec.tls));
  out.set(spec.data, dataFileOff);
  return out;
}
