/**
 * Process start (PROCX-*): the PT_LOADs with their ELF permissions, the stack, the initial
 * thread's Variant II TLS block below the ring page with the %fs:0 self-pointer (TLSV2-*; TP
 * placement is `threadPointer` in policy.ts), its ring page, the read-only CapSet page with
 * the default grants, and the entry registers. A malformed image is rejected (ELFX-1).
 */
import { MemoryBudgetExceeded, PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { setReg64 } from "../cpu/state.js";
import { ElfError, PF_R, PF_W, PF_X, parseElf, tlsLayout } from "./elf.js";
import type { ElfImage } from "./elf.js";
import { hex } from "./events.js";
import { fieldWrite } from "./guest-fields.js";
import { PID } from "./kernel.js";
import type { Kernel } from "./kernel.js";
import { initRing } from "./ring.js";

/** Where load() put the image's file bytes: replaying a differing image onto a template needs it (image-cache.ts). */
export interface Layout {
  readonly elf: ElfImage;
  /** The thread pointer (initial FS base). */
  readonly tp: number;
  /** The TLS initialisation image: `tlsCopied` file bytes from `elf.tls.offset` went to `tlsDest`. */
  readonly tlsDest: number;
  readonly tlsCopied: number;
  /** The text of the `load` event. */
  readonly loadEvent: string;
}

/** Load an image. Returns the rejection as an ElfError (also recorded as EndState rejected). */
export function load(k: Kernel, image: Uint8Array): ElfError | null {
  const r = layOut(k, image);
  return r instanceof ElfError ? r : null;
}

/**
 * Load an image: its layout, or the rejection as an ElfError (also recorded as EndState
 * rejected), or null when the memory budget ended the process during the load.
 */
export function layOut(k: Kernel, image: Uint8Array): Layout | ElfError | null {
  const b = k.binding;
  const L = b.layout;
  const P = b.pageSize;
  const mem = k.as.mem;
  let elf: ElfImage;
  let tp: number, low: number, tlsOffset: number;
  try {
    elf = parseElf(image, b);
    const pl = tlsLayout(b, elf.tls, k.mutant === "tls-ignores-misalign", k.policy.threadPointer, k.mutant === "tp-align-capped-16");
    tp = pl.tp;
    low = pl.low;
    tlsOffset = pl.offset;
  } catch (e) {
    if (e instanceof ElfError) {
      k.endState = { kind: "rejected", reason: e.message };
      k.event(k.logging ? `rejected ${e.code}` : "");
      return e;
    }
    throw e;
  }
  let copied = 0;
  try {
    // PT_LOADs with exactly their permissions; a page shared by two segments gets the union.
    const pageProt = new Map<number, number>();
    for (const s of elf.loads) {
      const prot = (s.flags & PF_R ? PROT_READ : 0) | (s.flags & PF_W ? PROT_WRITE : 0) | (s.flags & PF_X ? 4 : 0);
      for (let pn = Math.floor(s.vaddr / P); pn < Math.ceil((s.vaddr + s.memsz) / P); pn++) pageProt.set(pn, (pageProt.get(pn) ?? 0) | prot);
    }
    for (const [pn, prot] of pageProt) mem.map(pn * P, P, prot);
    for (const s of elf.loads) if (s.filesz > 0) mem.writeBytes(s.vaddr, image.subarray(s.offset, s.offset + s.filesz));
    // Stack (PROCX-1).
    mem.map(L.userStackBase, L.userStackSize, PROT_READ | PROT_WRITE);
    // TLS area pages in use, the block (TLSV2-2, -4) and the self-pointer (TLSV2-1, -8).
    const firstTls = Math.floor(low / P) * P;
    mem.map(firstTls, L.ringVaddr - firstTls, PROT_READ | PROT_WRITE);
    // MUTANT tbss-copied-from-file: p_memsz bytes come from the file, .tbss is not zero.
    copied = elf.tls ? (k.mutant === "tbss-copied-from-file" ? Math.min(elf.tls.memsz, image.length - elf.tls.offset) : elf.tls.filesz) : 0;
    if (elf.tls && copied > 0) mem.writeBytes(tp - tlsOffset, image.subarray(elf.tls.offset, elf.tls.offset + copied));
    if (elf.tls || k.mutant !== "no-self-pointer-without-tls") mem.writeU64(tp, BigInt(tp)); // MUTANT no-self-pointer-without-tls
    // Ring page of the initial thread.
    initRing(k, L.ringVaddr);
    // CapSet page (PROCX-3), read-only.
    mem.map(L.capSetVaddr, P, PROT_READ | PROT_WRITE);
    for (const iface of b.defaultGrants) k.caps.add({ iface });
    writeCapSet(k);
    mem.protect(L.capSetVaddr, P, PROT_READ);
  } catch (e) {
    if (e instanceof MemoryBudgetExceeded) {
      k.endState = { kind: "budget", what: "memory" };
      return null;
    }
    throw e;
  }
  const loadEvent = `load entry=${hex(elf.entry)} tp=${hex(tp)} tls=${elf.tls ? hex(tlsOffset) : "none"}`;
  startInitialThread(k, elf.entry, tp, loadEvent);
  return { elf, tp, tlsDest: tp - tlsOffset, tlsCopied: Math.max(0, copied), loadEvent };
}

/** The initial thread with its entry registers (PROCX-1, -3), and the `load` event. */
export function startInitialThread(k: Kernel, entry: number, tp: number, loadEvent: string): void {
  const b = k.binding;
  const L = b.layout;
  const t = k.threads.add(L.ringVaddr, -1);
  const c = t.cpu;
  c.rip = entry;
  setReg64(c, k.reg("rsp"), BigInt(L.userStackBase + L.userStackSize));
  setReg64(c, k.reg(b.entry.ring), BigInt(L.ringVaddr));
  setReg64(c, k.reg(b.entry.pid), BigInt(PID));
  setReg64(c, k.reg(b.entry.capSet), BigInt(L.capSetVaddr));
  c.fsBase = tp;
  t.savedFs = tp;
  k.event(loadEvent);
}

const UTF8 = new TextEncoder();
/** Interface names as CapSet bytes, encoded once (every load writes the same few). */
const nameBytes = new Map<string, Uint8Array>();
function encodedName(iface: string): Uint8Array {
  let bytes = nameBytes.get(iface);
  if (bytes === undefined) nameBytes.set(iface, (bytes = UTF8.encode(iface)));
  return bytes;
}

/** The CapSet page: header, then one entry per default grant in slot order (PROCX-3). */
function writeCapSet(k: Kernel): void {
  const b = k.binding;
  const mem = k.as.mem;
  const base = b.layout.capSetVaddr;
  const cs = b.capSet;
  fieldWrite(mem, base, cs.header["magic"]!, cs.magic);
  fieldWrite(mem, base, cs.header["version"]!, cs.version);
  fieldWrite(mem, base, cs.header["count"]!, b.defaultGrants.length);
  b.defaultGrants.forEach((iface, i) => {
    const at = base + cs.headerSize + i * cs.entrySize;
    fieldWrite(mem, at, cs.entry["capId"]!, k.caps.idOf(i));
    fieldWrite(mem, at, cs.entry["interfaceId"]!, b.interfaces[iface]);
    const name = encodedName(iface).subarray(0, cs.nameLength);
    mem.writeBytes(at + cs.entry["name"]!.offset, name);
  });
}
