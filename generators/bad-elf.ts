/**
 * Malformed ELF images, each violating exactly one rule of ELFX-1 / PROC-6, made by editing
 * one field of a valid generated image. The generator knows which rule it broke; that
 * knowledge is the oracle (the image must be refused, never run).
 */
import type { Binding } from "../spec/binding.js";
import { buildTlsProbe } from "./tls-probe.js";

export const ELF_DEFECTS = [
  "truncated-header",
  "bad-magic",
  "elf32",
  "big-endian",
  "not-exec",
  "wrong-machine",
  "phdrs-outside-file",
  "load-filesz-over-memsz",
  "load-past-file",
  "load-overlap",
  "load-above-stack",
  "load-in-page-zero",
  "tls-align-not-power-of-two",
  "tls-align-over-page",
  "tls-outside-load",
] as const;
export type ElfDefect = (typeof ELF_DEFECTS)[number];

const PH = 64; // e_phoff of generated images
const PHSIZE = 56;

/** A valid image with `defect` applied. Program header 0 is text, 1 data, 2 TLS. */
export function defectiveElf(defect: ElfDefect, b: Binding): Uint8Array {
  const base = buildTlsProbe({ misalign: 0, align: 16, image: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), memsz: 24 }, b).elf;
  let elf = base.slice();
  const v = () => new DataView(elf.buffer);
  const ph = (i: number, field: number) => PH + i * PHSIZE + field;
  const u64 = (at: number, x: bigint) => v().setBigUint64(at, x, true);
  const get64 = (at: number) => v().getBigUint64(at, true);
  switch (defect) {
    case "truncated-header": elf = elf.slice(0, 40); break;
    case "bad-magic": elf[1] = 0x45 ^ 0xff; break;
    case "elf32": elf[4] = 1; break;
    case "big-endian": elf[5] = 2; break;
    case "not-exec": v().setUint16(16, 3, true); break; // ET_DYN
    case "wrong-machine": v().setUint16(18, 3, true); break; // EM_386
    case "phdrs-outside-file": u64(32, BigInt(elf.length - 8)); break;
    case "load-filesz-over-memsz": u64(ph(1, 40), get64(ph(1, 32)) - 1n); break;
    case "load-past-file": u64(ph(1, 32), BigInt(elf.length) * 4n); u64(ph(1, 40), BigInt(elf.length) * 4n); break;
    case "load-overlap": u64(ph(1, 16), get64(ph(0, 16))); u64(ph(1, 24), get64(ph(0, 16))); break;
    case "load-above-stack": {
      const to = BigInt(b.layout.userStackBase) - 0x1000n + (get64(ph(1, 16)) % 0x1000n);
      u64(ph(1, 16), to); u64(ph(1, 24), to); u64(ph(1, 40), 0x2000n); break;
    }
    case "load-in-page-zero": u64(ph(1, 16), get64(ph(1, 16)) % 0x1000n); u64(ph(1, 24), get64(ph(1, 16))); break;
    case "tls-align-not-power-of-two": u64(ph(2, 48), 24n); break;
    case "tls-align-over-page": u64(ph(2, 48), BigInt(b.pageSize) * 2n); break;
    case "tls-outside-load": { const far = get64(ph(1, 16)) + 0x100000n; u64(ph(2, 16), far); u64(ph(2, 24), far); break; }
  }
  return elf;
}
