/**
 * Safe entry point for decoding a framed (unpacked) Cap'n Proto message from untrusted bytes.
 *
 * capnp-es 0.0.16 allocates an array of `segmentCount` entries from the first header word
 * before it checks the header against the buffer length, so 4 hostile bytes can exhaust the
 * heap. Everything that decodes a guest's message goes through `readFramedMessage`, which
 * validates the segment table first and throws a typed `CapnpFrameError`.
 *
 * It then walks every pointer reachable from the root (`checkPointers`) and refuses the
 * message unless each one lands inside its segment, with list lengths bounded by the bytes
 * that hold them, far pointers shaped as the encoding spec says, and the traversal and
 * nesting limits capnp itself applies. capnp-es 0.0.16 trusts those fields: a 40-byte message
 * whose far pointer lands on another far pointer made it build an error text from a list of
 * up to 2^29 elements and abort V8 with "heap out of memory", which no try/catch can stop.
 * So capnp-es only ever sees messages whose every length is bounded by the message size.
 */
import * as capnp from "capnp-es";

/** Upper bound on segments in a message the suite accepts (capnp's own default limit is 512). */
export const MAX_SEGMENTS = 64;

export class CapnpFrameError extends Error {
  override readonly name = "CapnpFrameError";
}

/** Check the segment table of a framed message; returns the total framed length in bytes. */
export function framedLength(bytes: Uint8Array): number {
  if (bytes.length < 8) throw new CapnpFrameError(`message of ${bytes.length} bytes is shorter than a segment table`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint32(0, true) + 1;
  if (count > MAX_SEGMENTS) throw new CapnpFrameError(`message claims ${count} segments (limit ${MAX_SEGMENTS})`);
  const tableBytes = 4 + count * 4 + ((count % 2 === 0) ? 4 : 0);
  if (tableBytes > bytes.length) throw new CapnpFrameError("segment table runs past the message");
  let total = tableBytes;
  for (let i = 0; i < count; i++) total += v.getUint32(4 + i * 4, true) * 8;
  if (total > bytes.length) throw new CapnpFrameError(`segments need ${total} bytes, message has ${bytes.length}`);
  if (v.getUint32(4, true) === 0) throw new CapnpFrameError("first segment is empty");
  return total;
}

/** Nesting limit, as capnp's default ReaderOptions. */
export const MAX_NESTING = 64;

/** Pointer kinds and list element sizes of the Cap'n Proto encoding. */
const STRUCT = 0, LIST = 1, FAR = 2;
const COMPOSITE = 7, POINTER_ELEMENTS = 6;
/** Bits per element for list element sizes 0..5 (void, bit, byte, 2, 4 and 8 bytes). */
const ELEMENT_BITS = [0, 1, 8, 16, 32, 64];

interface Segments {
  readonly view: DataView;
  /** Word offset of each segment's start in the framed message, and its length in words. */
  readonly start: readonly number[];
  readonly words: readonly number[];
}

/**
 * Walk every pointer reachable from the root of a framed message whose segment table
 * `framedLength` accepted; throw CapnpFrameError at the first pointer that does not land
 * inside its segment or whose lengths exceed the message. Every object charges its words
 * (at least one per list element, so a list of 2^29 empty structs cannot amplify) against a
 * traversal budget of 8 times the message size.
 */
export function checkPointers(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true) + 1;
  const tableWords = (4 + count * 4 + (count % 2 === 0 ? 4 : 0)) / 8;
  const start: number[] = [], words: number[] = [];
  let at = tableWords;
  for (let i = 0; i < count; i++) {
    const w = view.getUint32(4 + i * 4, true);
    start.push(at);
    words.push(w);
    at += w;
  }
  const walk = new PointerWalk({ view, start, words }, 8 * at);
  walk.inside(0, 0, 1, "root pointer");
  walk.visit(0, 0, 0);
}

/** One traversal of checkPointers (a class, so a check allocates no closures). */
class PointerWalk {
  constructor(
    private readonly segs: Segments,
    private budget: number,
  ) {}

  private charge(n: number): void {
    this.budget -= Math.max(n, 1);
    if (this.budget < 0) throw new CapnpFrameError("message exceeds the traversal limit (amplified or cyclic pointers)");
  }
  private word(seg: number, off: number): [number, number] {
    const b = (this.segs.start[seg]! + off) * 8;
    return [this.segs.view.getUint32(b, true), this.segs.view.getUint32(b + 4, true)];
  }
  inside(seg: number, off: number, len: number, what: string): void {
    const segs = this.segs;
    if (off < 0 || len < 0 || off + len > segs.words[seg]!) {
      throw new CapnpFrameError(`${what} of ${len} words at word ${off} runs outside segment ${seg} (${segs.words[seg]} words)`);
    }
  }
  visit(seg: number, ptrOff: number, depth: number): void {
    const segs = this.segs;
    let [lo, hi] = this.word(seg, ptrOff);
    if (lo === 0 && hi === 0) return; // null
    if (depth > MAX_NESTING) throw new CapnpFrameError(`pointers nest deeper than ${MAX_NESTING}`);
    // Resolve a far pointer to the (segment, offset) its content starts at and the pointer word
    // (the landing pad or, for a double far, the tag) that describes it.
    let contentSeg = seg;
    let contentOff: number;
    if ((lo & 3) === FAR) {
      const doubleFar = (lo & 4) !== 0;
      const padOff = lo >>> 3;
      const padSeg = hi;
      if (padSeg >= segs.words.length) throw new CapnpFrameError(`far pointer names segment ${padSeg} of ${segs.words.length}`);
      this.inside(padSeg, padOff, doubleFar ? 2 : 1, "far-pointer landing pad");
      [lo, hi] = this.word(padSeg, padOff);
      if (!doubleFar) {
        if ((lo & 3) === FAR) throw new CapnpFrameError("far pointer lands on another far pointer");
        this.visitObject(padSeg, padOff + 1 + ((lo | 0) >> 2), lo, hi, depth);
        return;
      }
      // Double far: the pad is a single far pointer to the content, followed by a tag.
      if ((lo & 3) !== FAR || (lo & 4) !== 0) throw new CapnpFrameError("double-far landing pad does not start with a single far pointer");
      contentSeg = hi;
      contentOff = lo >>> 3;
      if (contentSeg >= segs.words.length) throw new CapnpFrameError(`far pointer names segment ${contentSeg} of ${segs.words.length}`);
      const [tlo, thi] = this.word(padSeg, padOff + 1);
      if ((tlo & 3) === FAR) throw new CapnpFrameError("double-far tag is a far pointer");
      if (tlo >>> 2 !== 0 && (tlo & 3) !== LIST) throw new CapnpFrameError("double-far tag has a non-zero offset");
      this.visitObject(contentSeg, contentOff, tlo, thi, depth);
      return;
    }
    contentOff = ptrOff + 1 + ((lo | 0) >> 2);
    this.visitObject(contentSeg, contentOff, lo, hi, depth);
  }
  /** An object at (seg, off) described by pointer word (lo, hi). */
  private visitObject(seg: number, off: number, lo: number, hi: number, depth: number): void {
    const kind = lo & 3;
    if (kind === STRUCT) {
      const dataWords = hi & 0xffff, ptrs = hi >>> 16;
      this.inside(seg, off, dataWords + ptrs, "struct");
      this.charge(dataWords + ptrs);
      for (let i = 0; i < ptrs; i++) this.visit(seg, off + dataWords + i, depth + 1);
      return;
    }
    if (kind === LIST) {
      const size = hi & 7, n = hi >>> 3;
      if (size === COMPOSITE) {
        this.inside(seg, off, n + 1, "struct list");
        const [tlo, thi] = this.word(seg, off);
        if ((tlo & 3) !== STRUCT) throw new CapnpFrameError("struct list tag is not a struct pointer");
        const elements = tlo >>> 2, dataWords = thi & 0xffff, ptrs = thi >>> 16;
        const each = dataWords + ptrs;
        if (elements * each > n) throw new CapnpFrameError(`struct list of ${elements} elements of ${each} words does not fit its ${n} words`);
        this.charge(Math.max(n, elements));
        for (let e = 0; e < elements; e++) {
          for (let i = 0; i < ptrs; i++) this.visit(seg, off + 1 + e * each + dataWords + i, depth + 1);
        }
        return;
      }
      if (size === POINTER_ELEMENTS) {
        this.inside(seg, off, n, "pointer list");
        this.charge(n);
        for (let i = 0; i < n; i++) this.visit(seg, off + i, depth + 1);
        return;
      }
      const w = Math.ceil((n * ELEMENT_BITS[size]!) / 64);
      this.inside(seg, off, w, "list");
      this.charge(Math.max(w, n)); // a void list of 2^29 elements costs 2^29, not 0
      return;
    }
    // kind 3: a capability pointer; it holds an index, nothing to follow.
  }
}

/** Where a root struct's sections lie in the framed bytes (byte offsets, lengths in bytes / pointers). */
export interface RootStruct {
  readonly dataOffset: number;
  readonly dataBytes: number;
  readonly pointerOffset: number;
  readonly pointers: number;
}

/**
 * Validate a framed message exactly as `readFramedMessage` does (the same CapnpFrameErrors),
 * then locate its root struct when the message has the shape every small kernel message has:
 * one segment, root pointer a struct pointer or null (a null root reads as the empty struct,
 * as capnp does). Returns null for any other valid shape (far pointers, several segments, a
 * list or capability root), which the general decoder handles.
 */
export function simpleRootStruct(bytes: Uint8Array): RootStruct | null {
  const flat = flatRootStruct(bytes);
  if (flat !== null) return flat;
  const len = framedLength(bytes);
  checkPointers(bytes.subarray(0, len));
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  if (view.getUint32(0, true) !== 0) return null; // several segments
  const lo = view.getUint32(8, true), hi = view.getUint32(12, true);
  if (lo === 0 && hi === 0) return { dataOffset: 16, dataBytes: 0, pointerOffset: 16, pointers: 0 };
  if ((lo & 3) !== STRUCT) return null;
  const dataOffset = 16 + 8 * ((lo | 0) >> 2); // checkPointers kept it inside the segment
  const dataBytes = 8 * (hi & 0xffff);
  return { dataOffset, dataBytes, pointerOffset: dataOffset + dataBytes, pointers: hi >>> 16 };
}

/** Decode a framed message after validating its segment table and every pointer. */
export function readFramedMessage(bytes: Uint8Array): capnp.Message {
  const len = framedLength(bytes);
  const copy = bytes.slice(0, len);
  checkPointers(copy);
  try {
    return new capnp.Message(copy.buffer, false);
  } catch (e) {
    throw new CapnpFrameError(`malformed message: ${(e as Error).message}`);
  }
}

/**
 * The shape nearly every kernel message has, accepted without building the general walk: one
 * segment, a null or struct root whose pointers are null, capabilities, or lists of plain
 * elements (bytes, words...). It makes exactly the checks `framedLength` and `checkPointers`
 * make on such a message, with the same traversal budget, and returns what
 * `simpleRootStruct` would; on any other shape, and on anything those checks refuse, it
 * returns null and the general path decides (and throws its own error).
 */
function flatRootStruct(b: Uint8Array): RootStruct | null {
  // Byte reads, not a DataView: making one costs more than the whole check.
  const n = b.length;
  if (n < 16) return null;
  if (u32(b, 0) !== 0) return null; // several segments
  const words = u32(b, 4);
  if (words === 0 || 8 + words * 8 > n) return null;
  const lo = u32(b, 8), hi = u32(b, 12);
  if (lo === 0 && hi === 0) return { dataOffset: 16, dataBytes: 0, pointerOffset: 16, pointers: 0 };
  if ((lo & 3) !== STRUCT) return null;
  const off = 1 + ((lo | 0) >> 2), dataWords = hi & 0xffff, ptrs = hi >>> 16;
  if (off < 0 || off + dataWords + ptrs > words) return null;
  let budget = 8 * (1 + words) - Math.max(dataWords + ptrs, 1);
  if (budget < 0) return null;
  for (let i = 0, at = off + dataWords; i < ptrs; i++, at++) {
    const plo = u32(b, 8 + 8 * at), phi = u32(b, 12 + 8 * at);
    if (plo === 0 && phi === 0) continue; // null
    const kind = plo & 3;
    if (kind === 3) continue; // a capability: nothing to follow
    if (kind !== LIST) return null; // struct or far pointer
    const size = phi & 7, count = phi >>> 3;
    if (size === COMPOSITE || size === POINTER_ELEMENTS) return null;
    const start = at + 1 + ((plo | 0) >> 2), listWords = Math.ceil((count * ELEMENT_BITS[size]!) / 64);
    if (start < 0 || start + listWords > words) return null;
    budget -= Math.max(listWords, count, 1);
    if (budget < 0) return null;
  }
  const dataOffset = 8 + 8 * off, dataBytes = 8 * dataWords;
  return { dataOffset, dataBytes, pointerOffset: dataOffset + dataBytes, pointers: ptrs };
}

/** The little-endian 32-bit word at byte `at`. */
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
