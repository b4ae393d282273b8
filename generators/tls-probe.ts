/**
 * Generated TLS probe images: a static ELF with a chosen PT_TLS layout whose code reads the
 * `%fs:0` self-pointer and every byte of its TLS block through `%fs`, and reports them in one
 * Console.write: 8 bytes of self-pointer, then the p_memsz bytes of the block.
 *
 * This file plays the static linker: it resolves each TLS access to a local-exec `%fs`
 * offset with lld's formula (lld/ELF/InputSection.cpp getTlsTpOffset), which handles a
 * p_vaddr that is not a multiple of p_align. All ABI numbers come from the binding.
 */
import type { Binding } from "../spec/binding.js";
import { Asm, type Reg64 } from "./x86-asm.js";
import { codeOffset, writeElf } from "./elf-writer.js";
import { emitCapEnter, emitConsoleWrite, emitExit, reg } from "./guest-code.js";

export interface TlsLayout {
  /** p_vaddr mod p_align (must be < align). */
  readonly misalign: number;
  /** p_align: a power of two from 1 to 4096. */
  readonly align: number;
  /** The .tdata image (p_filesz bytes). */
  readonly image: Uint8Array;
  /** p_memsz (>= image length): the rest is .tbss. 0 means the image has no PT_TLS. */
  readonly memsz: number;
}

/** lld: TP offset of the block start is -(memsz + ((-p_vaddr - memsz) & (align - 1))). */
export function lldTlsOffset(pVaddr: number, memsz: number, align: number): number {
  const pad = Number(BigInt.asUintN(64, -BigInt(pVaddr) - BigInt(memsz)) & BigInt(align - 1));
  return memsz + pad;
}

export interface TlsProbe {
  readonly elf: Uint8Array;
  readonly pVaddr: number;
  /** Offset below TP at which the probe reads the block (the linker's answer). */
  readonly tlsOffset: number;
  /** What a conforming implementation prints after the 8 self-pointer bytes. */
  readonly expectedBlock: Uint8Array;
}

/** Build the Console.write params message for `n` data bytes; returns bytes and data offset. */
export function consoleWriteMessage(n: number): { bytes: Uint8Array; dataOffset: number } {
  const dataWords = Math.ceil(n / 8);
  const segWords = 2 + dataWords;
  const bytes = new Uint8Array(8 + segWords * 8);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0, true); // segment count - 1
  v.setUint32(4, segWords, true);
  // Root: struct pointer, offset 0, 0 data words, 1 pointer word.
  v.setUint32(8, 0, true);
  v.setUint32(12, 1 << 16, true);
  // Pointer 0 (data): list pointer, offset 0, element size 2 (byte), n elements.
  v.setUint32(16, 1, true);
  v.setUint32(20, ((n << 3) | 2) >>> 0, true);
  return { bytes, dataOffset: 24 };
}

export function buildTlsProbe(layout: TlsLayout, b: Binding): TlsProbe {
  const { misalign, align, image, memsz } = layout;
  if (misalign >= align || image.length > memsz) throw new RangeError("invalid TLS layout");
  const reportLen = 8 + memsz;
  const msg = consoleWriteMessage(reportLen);
  const asm = new Asm();
  const ring: Reg64 = "r12";
  const buf: Reg64 = "rbx";
  // Estimate the code size to place the data segment: ~ 16 bytes per copied byte + 400.
  const textVaddr = b.layout.imageBase;
  const dataVaddr = textVaddr + Math.ceil((codeOffset(memsz > 0) + 16 * memsz + 600) / 4096) * 4096;
  const tlsDataOffset = misalign;
  const pVaddr = dataVaddr + tlsDataOffset;
  const tlsOffset = lldTlsOffset(pVaddr, memsz, align);
  const msgDataOffset = Math.ceil((tlsDataOffset + memsz) / 8) * 8;
  const msgVaddr = dataVaddr + msgDataOffset;
  const resultVaddr = msgVaddr + msg.bytes.length;

  asm.movReg(ring, reg(b.entry.ring));
  asm.movImm64(buf, BigInt(msgVaddr + msg.dataOffset));
  asm.movRaxFs(0).storeQ(buf, 0, "rax");
  // The block through %fs, a qword at a time (the last one overlapping its predecessor so no
  // read leaves the block), bytes for a block under 8: generated code is decoded afresh for
  // every case, and a byte pair per TLS byte was most of this probe's instructions.
  if (memsz < 8) for (let k = 0; k < memsz; k++) asm.movAlFs(-tlsOffset + k).storeAl(buf, 8 + k);
  else {
    const copyQword = (k: number) => asm.movRaxFs(-tlsOffset + k).storeQ(buf, 8 + k, "rax");
    for (let k = 0; k + 8 < memsz; k += 8) copyQword(k);
    copyQword(memsz - 8);
  }

  emitConsoleWrite(asm, ring, { index: 0, msgVaddr, msgLen: msg.bytes.length, resultVaddr }, b);
  emitCapEnter(asm, b, 1n, b.syscall.capEnterWaitForever);
  emitExit(asm, b, 0n);

  const code = asm.code();
  if (textVaddr + codeOffset(memsz > 0) + code.length > dataVaddr) throw new Error("probe code overruns its data segment");
  const data = new Uint8Array(msgDataOffset + msg.bytes.length);
  data.set(image, tlsDataOffset);
  data.set(msg.bytes, msgDataOffset);
  const expectedBlock = new Uint8Array(memsz);
  expectedBlock.set(image, 0);
  // memsz 0 stands for "no PT_TLS at all" (TLSV2-8): the probe then reports only %fs:0.
  const elf = writeElf({
    textVaddr,
    code,
    entryOffset: 0,
    dataVaddr,
    data,
    dataMemsz: Math.max(data.length, msgDataOffset + msg.bytes.length + 64, tlsDataOffset + memsz),
    ...(memsz > 0 ? { tls: { dataOffset: tlsDataOffset, image, memsz, align } } : {}),
  });
  return { elf, pVaddr, tlsOffset, expectedBlock };
}
