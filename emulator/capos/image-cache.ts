/**
 * Load once, start many: the first load of an image lays it out and, before that process runs,
 * freezes the result as a template (frozen copy-on-write memory, the initial thread's registers, the
 * `load` event). Every later load of an image with the same headers (and the same binding,
 * policy, mutant and memory budget) starts from that template: its pages are shared until
 * written (cpu/memory.ts), so are their decode caches and compiled regions, and only the file
 * bytes that differ from the template's image (a per-case agent script, say) are written, which
 * copies just the pages they land on.
 *
 * What the template path does must equal a fresh `layOut` (process.ts) state for state: the
 * same pages and bytes, capability table, thread, and event log. The equality test is
 * properties/image-cache.test.ts (event logs of generated agent runs, both ways).
 *
 * Rejected images and loads ended by the memory budget are not cached (they take the fresh
 * path every time; they are rare and cheap).
 */
import type { Binding } from "../../spec/binding.js";
import { Memory } from "../cpu/memory.js";
import type { MemoryTemplate } from "../cpu/memory.js";
import { snapshotCpu, restoreCpu, type CpuSnapshot } from "../cpu/snapshot.js";
import { ElfError } from "./elf.js";
import { u32le } from "./guest-fields.js";
import type { Kernel } from "./kernel.js";
import type { Policy } from "./policy.js";
import { layOut, type Layout } from "./process.js";

interface Template {
  /** The image the template was laid out from (only its loaded bytes are compared). */
  readonly image: Uint8Array;
  /** The kernel configuration it was laid out under (`configId`). */
  readonly config: number;
  readonly layout: Layout;
  readonly mem: MemoryTemplate;
  readonly cpu: CpuSnapshot;
}

/** Templates kept (least recently used dropped first): a run uses a handful of images. */
const MAX_TEMPLATES = 32;
const templates = new WeakMap<Binding, Map<number, Template>>();
/**
 * Keys loaded once without a template. A template pays for itself only from the second load
 * with the same headers (freezing makes the first process copy every page it writes), and
 * generated probes (TLS layouts, CQ sizes) mostly differ in their headers: the first load of a
 * key is plain, the second keeps the template. Cleared when full.
 */
const MAX_SEEN = 1024;
const seenOnce = new WeakMap<Binding, Set<number>>();

/** Whether loads go through templates (tests switch it off to compare with fresh loads). */
let enabled = true;
export function setImageCache(on: boolean): void {
  enabled = on;
}

/**
 * Load `image` into the fresh kernel `k` (nothing loaded, nothing run yet): from a template
 * when one fits, else freshly, keeping the result as the template for next time when the
 * load succeeds and its key was seen before.
 */
export function loadCached(k: Kernel, image: Uint8Array): Layout | ElfError | null {
  if (!enabled) return layOut(k, image);
  const end = headersEnd(image);
  if (end < 0) return layOut(k, image); // the image will be rejected
  const config = configId(k);
  const key = templateKey(config, image, end);
  let byKey = templates.get(k.binding);
  if (!byKey) templates.set(k.binding, (byKey = new Map()));
  const t = byKey.get(key);
  if (t !== undefined && t.config === config && t.image.length === image.length && sameHeaders(image, t.image, end)) {
    byKey.delete(key);
    byKey.set(key, t); // most recently used last
    startFromTemplate(k, t, image);
    return t.layout;
  }
  let seen = seenOnce.get(k.binding);
  if (!seen) seenOnce.set(k.binding, (seen = new Set()));
  if (!seen.has(key)) {
    if (seen.size >= MAX_SEEN) seen.clear();
    seen.add(key);
    return layOutSharingCode(k, image);
  }
  // Second sighting: load freshly, then freeze the result as the template before it runs
  // (this process then runs copy-on-write on the template's pages like every later one).
  seen.delete(key);
  const r = layOutSharingCode(k, image);
  if (r === null || r instanceof ElfError || k.endState) return r;
  if (byKey.size >= MAX_TEMPLATES) byKey.delete(byKey.keys().next().value!);
  byKey.set(key, { image: image.slice(), config, layout: r, mem: k.as.mem.freeze(), cpu: snapshotCpu(k.threads.get(0).cpu) });
  return r;
}

/**
 * A fresh layout whose executable pages, when another load had the same ones, are that load's
 * (decoded code included: cpu/memory.ts shareCodeByContent): generated probes differ in their
 * headers, so each gets no template, but many have the same code.
 */
function layOutSharingCode(k: Kernel, image: Uint8Array): Layout | ElfError | null {
  const r = layOut(k, image);
  if (r !== null && !(r instanceof ElfError) && !k.endState) k.as.mem.shareCodeByContent();
  return r;
}

/**
 * What decides the layout besides the loaded bytes: the ELF and program headers, the file
 * length (segment bounds, the tbss mutant), and the kernel's binding, policy, mutant and
 * memory budget. The key is a number (a string key cost more to build and to hash in the
 * map than the rest of a template start): the headers' FNV-1a hash, plus 20 bits of the
 * configuration and length. A template found by it is used only when its configuration,
 * length and header bytes are the same (`sameHeaders`), so a collision costs a fresh load; in
 * `seenOnce` it can only make a template one load early.
 */
function templateKey(config: number, image: Uint8Array, end: number): number {
  const h = fnv1a(image, u32le(image, 32), end, fnv1a(image, 0, 64, 0x811c9dc5));
  return h + 4294967296 * ((Math.imul(config, 0x9e3779b1) ^ image.length) & 0xfffff);
}

/**
 * A small number per kernel configuration that shapes a layout besides the image (policy,
 * mutant, memory budget); the last one is kept, as a run of cases shares one.
 */
function configId(k: Kernel): number {
  const maxPages = k.as.maxPages ?? -1;
  if (k.policy === lastConfig.policy && k.mutant === lastConfig.mutant && maxPages === lastConfig.maxPages) return lastConfig.id;
  let policyId = policyIds.get(k.policy);
  if (policyId === undefined) policyIds.set(k.policy, (policyId = policyIds.size));
  const text = `${policyId} ${k.mutant ?? "-"} ${maxPages}`;
  let id = configIds.get(text);
  if (id === undefined) configIds.set(text, (id = configIds.size));
  lastConfig = { policy: k.policy, mutant: k.mutant, maxPages, id };
  return id;
}
const policyIds = new Map<Policy, number>();
const configIds = new Map<string, number>();
let lastConfig: { policy: Policy | null; mutant: Kernel["mutant"]; maxPages: number; id: number } = { policy: null, mutant: null, maxPages: NaN, id: -1 };

/**
 * The end of the program header table, or -1 when the image is too short for it. Byte reads,
 * not a DataView (which costs more to make than this whole key). phoff is exact below 2^53,
 * and one above that lies past the end of any image, as the u64 sum would.
 */
function headersEnd(image: Uint8Array): number {
  if (image.length < 64) return -1;
  const phoff = u32le(image, 32) + u32le(image, 36) * 4294967296, phnum = image[56]! | (image[57]! << 8);
  const end = phoff + phnum * 56;
  return end > image.length ? -1 : end;
}

/** FNV-1a (32-bit) of bytes [from, to) of `b`, continuing from `h`. */
function fnv1a(b: Uint8Array, from: number, to: number, h: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h;
}

/**
 * Whether two images of the same length have the same ELF and program headers (templateKey's
 * bytes; `end` is headersEnd(image)). A byte loop: a few hundred bytes, where making Buffer
 * views for a native compare cost more.
 */
function sameHeaders(image: Uint8Array, other: Uint8Array, end: number): boolean {
  for (let i = 0; i < 64; i++) if (image[i] !== other[i]) return false;
  for (let i = u32le(image, 32); i < end; i++) if (image[i] !== other[i]) return false;
  return true;
}

/** The state a fresh `layOut(k, image)` would leave, from the template. */
function startFromTemplate(k: Kernel, t: Template, image: Uint8Array): void {
  const mem = Memory.startFrom(t.mem);
  k.as.startFrom(mem);
  // The file bytes that differ from the template's, in load order: PT_LOADs, then the TLS
  // initialisation image. (PT_LOADs lie below the stack and the TLS area, ring and CapSet
  // pages above it, so no later load step overwrites what is replayed here.)
  const { elf } = t.layout;
  const img = bytesOf(image);
  for (const s of elf.loads) if (s.filesz > 0) writeDiff(mem, s.vaddr, img, t.image, s.offset, s.filesz);
  if (elf.tls && t.layout.tlsCopied > 0) writeDiff(mem, t.layout.tlsDest, img, t.image, elf.tls.offset, t.layout.tlsCopied);
  for (const iface of k.binding.defaultGrants) k.caps.add({ iface });
  const th = k.threads.add(k.binding.layout.ringVaddr, -1);
  restoreCpu(th.cpu, t.cpu);
  th.savedFs = t.layout.tp;
  k.event(t.layout.loadEvent);
}

/**
 * Write image[off, off+len) to addr where it differs from base[off, off+len), a page of
 * guest memory at a time (only the pages that differ get copied). `image` is a Buffer view
 * (made once per load: a view per page cost more than the compares).
 */
function writeDiff(mem: Memory, addr: number, image: Buffer, base: Uint8Array, off: number, len: number): void {
  const P = 4096;
  let i = 0;
  while (i < len) {
    // Up to DIFF_SPAN pages at a time first (one native compare where a case's bytes lie
    // elsewhere: an agent's script is a few hundred bytes of an ~80 KB image), then the pages
    // of a span that differs one by one: the same pages written as a page-by-page walk.
    const span = Math.min(DIFF_SPAN * P - ((addr + i) % P), len - i);
    if (image.compare(base, off + i, off + i + span, off + i, off + i + span) === 0) {
      i += span;
      continue;
    }
    const end = i + span;
    while (i < end) {
      const n = Math.min(P - ((addr + i) % P), end - i);
      if (image.compare(base, off + i, off + i + n, off + i, off + i + n) !== 0) mem.writeBytes(addr + i, image.subarray(off + i, off + i + n));
      i += n;
    }
  }
}
/** Pages compared at once before page by page (writeDiff). */
const DIFF_SPAN = 8;

/** A Buffer view of `u8` (no copy), for Node's native byte operations. */
function bytesOf(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}
