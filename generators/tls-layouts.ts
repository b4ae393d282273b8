/**
 * fast-check arbitraries for PT_TLS layouts: alignments 1..4096, misaligned p_vaddr,
 * non-zero .tdata patterns (a zero image hides offset bugs, rust-lang/rust#48967), .tbss.
 */
import fc from "fast-check";
import type { TlsLayout } from "./tls-probe.js";

export interface TlsLayoutLimits {
  readonly maxMemsz?: number;
  readonly maxAlignLog2?: number;
}

export function tlsLayout(limits: TlsLayoutLimits = {}): fc.Arbitrary<TlsLayout> {
  const maxMemsz = limits.maxMemsz ?? 96;
  const maxAlignLog2 = limits.maxAlignLog2 ?? 12;
  // Large alignments (above the 16-byte TCB alignment) with p_vaddr off its alignment are
  // where linkers and kernels disagree about the TP (TLSV2-3, TLSV2-7): most layouts aim there.
  const alignLog2 = fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.min(4, maxAlignLog2) }) },
    { weight: 3, arbitrary: fc.integer({ min: Math.min(5, maxAlignLog2), max: maxAlignLog2 }) },
  );
  const withTls = fc
    .record({
      align: alignLog2.map((l) => 2 ** l),
      // p_vaddr mod p_align: an integer offset, usually non-zero (misaligned).
      offset: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 ** maxAlignLog2 - 1 }) }),
      image: fc.uint8Array({ minLength: 0, maxLength: maxMemsz }).map((bytes) => bytes.map((x, i) => x | ((i % 7) + 1))),
      tbss: fc.integer({ min: 0, max: maxMemsz }),
    })
    .map(({ align, offset, image, tbss }) => {
      const memsz = Math.max(1, Math.min(maxMemsz, image.length + tbss));
      const img = image.slice(0, Math.min(image.length, memsz));
      return { align, misalign: offset % align, image: img, memsz };
    });
  // One case in twenty has no PT_TLS at all (TLSV2-8).
  return fc.oneof({ weight: 19, arbitrary: withTls }, { weight: 1, arbitrary: fc.constant<TlsLayout>({ align: 1, misalign: 0, image: new Uint8Array(0), memsz: 0 }) });
}
