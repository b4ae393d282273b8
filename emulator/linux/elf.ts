/**
 * Static ELF64 (x86-64, ET_EXEC) parsing. Malformed input gives an ElfError with a one-line message.
 */
export class ElfError extends Error {
  readonly kind = "elf-error" as const;
  constructor(message: string) { super(message); this.name = "ElfError"; }
}

export interface ElfSegment {
  readonly vaddr: number;
  readonly memsz: number;
  readonly offset: number;
  readonly filesz: number;
  /** PF_X=1, PF_W=2, PF_R=4 */
  readonly flags: number;
}
export interface ElfImage {
  readonly entry: number;
  readonly phoff: number;
  readonly phnum: number;
  readonly phentsize: number;
  readonly segments: readonly ElfSegment[];
  /** Address of the program headers in memory, if covered by a PT_LOAD (or PT_PHDR). */
  readonly phdrAddr: number;
  readonly sections: readonly { name: string; addr: number; offset: number; size: number; exec: boolean }[];
}

const PT_LOAD = 1, PT_PHDR = 6, PT_INTERP = 3, PT_TLS = 7;

export function parseElf(buf: Uint8Array): ElfImage {
  if (buf.length < 64) throw new ElfError(`truncated ELF: ${buf.length} bytes, need at least 64 for the header`);
  if (buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) throw new ElfError("bad ELF magic");
  if (buf[4] !== 2) throw new ElfError("not a 64-bit ELF (EI_CLASS != ELFCLASS64)");
  if (buf[5] !== 1) throw new ElfError("not a little-endian ELF");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = dv.getUint16(16, true), machine = dv.getUint16(18, true);
  if (machine !== 62) throw new ElfError(`unsupported machine ${machine} (need EM_X86_64)`);
  if (type !== 2) throw new ElfError(type === 3 ? "ET_DYN (PIE/shared) ELF not supported: need a static ET_EXEC" : `unsupported ELF type ${type}`);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`ELF field at offset ${o} out of range`);
    return Number(v);
  };
  const entry = u64(24), phoff = u64(32), shoff = u64(40);
  const phentsize = dv.getUint16(54, true), phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true), shnum = dv.getUint16(60, true), shstrndx = dv.getUint16(62, true);
  if (phentsize !== 56) throw new ElfError(`bad e_phentsize ${phentsize}`);
  if (phnum === 0) throw new ElfError("no program headers");
  if (phoff + phnum * phentsize > buf.length) throw new ElfError("truncated ELF: program headers beyond end of file");
  const segments: ElfSegment[] = [];
  let phdrAddr = 0;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const ptype = dv.getUint32(o, true);
    if (ptype === PT_INTERP) throw new ElfError("dynamically linked ELF (PT_INTERP) not supported");
    if (ptype === PT_PHDR) phdrAddr = u64(o + 16);
    if (ptype !== PT_LOAD) { void PT_TLS; continue; }
    const seg: ElfSegment = {
      flags: dv.getUint32(o + 4, true), offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32), memsz: u64(o + 40),
    };
    if (seg.filesz > seg.memsz) throw new ElfError(`segment ${i}: p_filesz > p_memsz`);
    if (seg.offset + seg.filesz > buf.length) throw new ElfError(`truncated ELF: segment ${i} data beyond end of file`);
    if (seg.vaddr + seg.memsz > 2 ** 47 || seg.memsz > 2 ** 32) throw new ElfError(`segment ${i}: address range out of user space`);
    if (seg.offset % 4096 !== seg.vaddr % 4096) throw new ElfError(`segment ${i}: p_offset and p_vaddr not congruent mod page size`);
    segments.push(seg);
  }
  if (segments.length === 0) throw new ElfError("no PT_LOAD segments");
  if (!phdrAddr) {
    for (const s of segments) if (s.offset <= phoff && phoff < s.offset + s.filesz) phdrAddr = s.vaddr + (phoff - s.offset);
  }
  if (!segments.some((s) => entry >= s.vaddr && entry < s.vaddr + s.memsz && (s.flags & 1)))
    throw new ElfError(`entry point 0x${entry.toString(16)} is not in an executable segment`);
  const sections: { name: string; addr: number; offset: number; size: number; exec: boolean }[] = [];
  if (shoff && shnum && shentsize === 64 && shoff + shnum * 64 <= buf.length && shstrndx < shnum) {
    const strOff = u64(shoff + shstrndx * 64 + 24);
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      const nameOff = dv.getUint32(o, true);
      let name = "";
      for (let k = strOff + nameOff; k < buf.length && buf[k] !== 0 && name.length < 64; k++) name += String.fromCharCode(buf[k]!);
      const flags = Number(dv.getBigUint64(o + 8, true));
      sections.push({ name, addr: u64(o + 16), offset: u64(o + 24), size: u64(o + 32), exec: (flags & 4) !== 0 });
    }
  }
  return { entry, phoff, phnum, phentsize, segments, phdrAddr, sections };
}
