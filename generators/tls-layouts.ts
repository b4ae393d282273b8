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
  const withTls = fc
    .record({
      alignLog2: fc.integer({ min: 0, max: maxAlignLog2 }),
      misalignFraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      aligned: fc.boolean(),
      image: fc.uint8Array({ minLength: 0, maxLength: maxMemsz }).map((bytes) => bytes.map((x, i) => x | ((i % 7) + 1))),
      tbss: fc.integer({ min: 0, max: maxMemsz }),
    })
    .map(({ alignLog2, misalignFraction, aligned, image, tbss }) => {
      const align = 2 ** alignLog2;
      const memsz = Math.max(1, Math.min(maxMemsz, image.length + tbss));
      const img = image.slice(0, Math.min(image.length, memsz));
      return { align, misalign: aligned ? 0 : Math.floor(misalignFraction * align), image: img, memsz };
    });
  // One case in twenty has no PT_TLS at all (TLSV2-8).
  return fc.oneof({ weight: 19, arbitrary: withTls }, { weight: 1, arbitrary: fc.constant<TlsLayout>({ align: 1, misalign: 0, image: new Uint8Array(0), memsz: 0 }) });
}
