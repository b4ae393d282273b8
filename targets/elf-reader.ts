/**
 * A small ELF64 little-endian reader for the target tests and for harnesses that patch the
 * agent's op script. Deliberately independent of emulator/ and model/.
 */
export const PT_LOAD = 1;
export const PT_TLS = 7;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;
export const ET_EXEC = 2;
export const EM_X86_64 = 62;

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}
export interface SectionHeader {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  readonly link: number;
  readonly entsize: number;
}
export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly info: number;
  readonly shndx: number;
}
export interface Elf {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly phdrs: readonly ProgramHeader[];
  readonly sections: readonly SectionHeader[];
  readonly symbols: readonly ElfSymbol[];
}

export class ElfError extends Error {
  override readonly name = "ElfError";
}

function num(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} too large: ${v}`);
  return Number(v);
}

function cstring(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

export function parseElf(bytes: Uint8Array): Elf {
  if (bytes.length < 64) throw new ElfError("shorter than an ELF header");
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new ElfError("bad magic");
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError("not ELF64 little-endian");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (o: number, what: string) => num(v.getBigUint64(o, true), what);
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  const entry = u64(24, "e_entry");
  const phoff = u64(32, "e_phoff");
  const shoff = u64(40, "e_shoff");
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  if (phoff + phnum * phentsize > bytes.length) throw new ElfError("program headers past end of file");
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    phdrs.push({
      type: v.getUint32(o, true),
      flags: v.getUint32(o + 4, true),
      offset: u64(o + 8, "p_offset"),
      vaddr: u64(o + 16, "p_vaddr"),
      filesz: u64(o + 32, "p_filesz"),
      memsz: u64(o + 40, "p_memsz"),
      align: u64(o + 48, "p_align"),
    });
  }
  const raw: (Omit<SectionHeader, "name"> & { nameOff: number })[] = [];
  if (shoff !== 0) {
    if (shoff + shnum * shentsize > bytes.length) throw new ElfError("section headers past end of file");
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push({
        nameOff: v.getUint32(o, true),
        type: v.getUint32(o + 4, true),
        flags: num(v.getBigUint64(o + 8, true), "sh_flags"),
        addr: u64(o + 16, "sh_addr"),
        offset: u64(o + 24, "sh_offset"),
        size: u64(o + 32, "sh_size"),
        link: v.getUint32(o + 40, true),
        align: u64(o + 48, "sh_addralign"),
        entsize: u64(o + 56, "sh_entsize"),
      });
    }
  }
  const strtab = raw[shstrndx];
  const sections: SectionHeader[] = raw.map(({ nameOff, ...s }) => ({ ...s, name: strtab ? cstring(bytes, strtab.offset + nameOff) : "" }));
  const symbols: ElfSymbol[] = [];
  for (const s of sections) {
    if (s.type !== SHT_SYMTAB) continue;
    const names = sections[s.link];
    for (let o = s.offset; o + 24 <= s.offset + s.size; o += s.entsize || 24) {
      symbols.push({
        name: names ? cstring(bytes, names.offset + v.getUint32(o, true)) : "",
        info: bytes[o + 4]!,
        shndx: v.getUint16(o + 6, true),
        value: u64(o + 8, "st_value"),
        size: u64(o + 16, "st_size"),
      });
    }
  }
  return { bytes, type, machine, entry, phdrs, sections, symbols };
}

export function section(elf: Elf, name: string): SectionHeader | undefined {
  return elf.sections.find((s) => s.name === name);
}
export function symbol(elf: Elf, name: string): ElfSymbol | undefined {
  return elf.symbols.find((s) => s.name === name);
}

/** File offset of virtual address `vaddr` (must lie in the file part of a PT_LOAD). */
export function fileOffsetOf(elf: Elf, vaddr: number, length = 1): number {
  for (const p of elf.phdrs) {
    if (p.type !== PT_LOAD) continue;
    if (vaddr >= p.vaddr && vaddr + length <= p.vaddr + p.filesz) return p.offset + (vaddr - p.vaddr);
  }
  throw new ElfError(`0x${vaddr.toString(16)}+${length} is not backed by file bytes of a PT_LOAD`);
}
