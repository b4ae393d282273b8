/**
 * A fast path for the small fixed messages the kernel decodes and encodes: structs whose
 * fields are all unsigned integers in the data section (VirtualMemory, Timer, ThreadControl,
 * ThreadSpawner params and results). capnp-es builds a Message, an arena and a Struct object
 * per message; here a decode reads the fields straight from the guest's bytes and an encode
 * patches a template, and each is byte-for-byte what capnp-es does (test/capnp-fast.test.ts
 * compares both over generated values and generated, mutated and hostile frames).
 *
 * Nothing here is written by hand per message: a struct's codec is learned once from its
 * capnp-es class (each field set to all-ones in turn shows its offset and width), and a class
 * with any other kind of field (pointer, bool, float, signed, non-zero default) has no codec
 * and takes the general path. Decoding still validates every frame with the bounded reader
 * (spec/capnp-frame.ts: same checks, same CapnpFrameError); messages of any shape other than
 * one segment with a plain struct root also take the general path.
 */
import * as capnp from "capnp-es";
import { simpleRootStruct } from "../../spec/capnp-frame.js";
import { u32le } from "./guest-fields.js";

interface Field {
  readonly name: string;
  /** Byte offset in the data section, and width in bytes (2, 4 or 8). */
  readonly offset: number;
  readonly width: 2 | 4 | 8;
}

export interface Codec {
  /** Field getters over a decoded message's bytes (use only inside the decode call). */
  readonly Reader: new (bytes: Uint8Array, data: number, dataBytes: number) => object;
  /** Field setters over a copy of the empty message. */
  readonly Writer: new (bytes: Uint8Array) => object;
  /** The encoding of the struct with every field zero. */
  readonly empty: Uint8Array;
  /** The buffer `fastEncode` reuses when asked (`reuse`): a copy of `empty` with fields set. */
  readonly reused: Uint8Array;
  /** Byte offset of the data section in `empty`. */
  readonly dataAt: number;
}

const codecs = new Map<unknown, Codec | null>();

/** The fast codec of a capnp-es struct class, or null when it has a field of another kind. */
export function codecOf<T extends capnp.Struct>(cls: capnp.StructCtor<T>): Codec | null {
  let c = codecs.get(cls);
  if (c === undefined) codecs.set(cls, (c = learn(cls)));
  return c;
}

function encode<T extends capnp.Struct>(cls: capnp.StructCtor<T>, set?: (s: T) => void): Uint8Array {
  const m = new capnp.Message();
  const r = m.initRoot(cls);
  if (set) set(r);
  return new Uint8Array(m.toArrayBuffer());
}

function fieldNames(cls: object): string[] {
  const proto = (cls as { prototype: object }).prototype;
  return Object.entries(Object.getOwnPropertyDescriptors(proto))
    .filter(([name, d]) => d.get !== undefined && d.set !== undefined && !name.startsWith("_"))
    .map(([name]) => name);
}

function learn<T extends capnp.Struct>(cls: capnp.StructCtor<T>): Codec | null {
  const empty = encode(cls);
  const ev = new DataView(empty.buffer);
  // one segment, root struct pointer at offset 0: data right after it
  if (ev.getUint32(0, true) !== 0 || (ev.getUint32(8, true) & 3) !== 0) return null;
  const dataAt = 16;
  const dataBytes = 8 * (ev.getUint32(12, true) & 0xffff);
  if (ev.getUint32(12, true) >>> 16 !== 0) return null; // pointer fields
  const names = fieldNames(cls);
  const fields: Field[] = [];
  const fresh = new capnp.Message().initRoot(cls) as unknown as Record<string, unknown>;
  for (const name of names) {
    const d = fresh[name];
    if (d !== 0 && d !== 0n) return null; // bool, text, struct, or a non-zero default
    const ones = encode(cls, (s) => ((s as unknown as Record<string, unknown>)[name] = typeof d === "bigint" ? (1n << 64n) - 1n : 0xffff_ffff));
    if (ones.length !== empty.length) return null;
    const diff: number[] = [];
    for (let i = 0; i < ones.length; i++) if (ones[i] !== empty[i]) diff.push(i);
    const width = diff.length;
    if (width !== 2 && width !== 4 && width !== 8) return null;
    const offset = diff[0]! - dataAt;
    if (offset < 0 || offset + width > dataBytes || diff[width - 1] !== diff[0]! + width - 1 || offset % width !== 0) return null;
    if ((typeof d === "bigint") !== (width === 8)) return null;
    // unsigned, as read back by capnp-es
    const back = new capnp.Message(ones.slice().buffer, false).getRoot(cls) as unknown as Record<string, unknown>;
    if (back[name] !== (width === 8 ? (1n << 64n) - 1n : width === 4 ? 0xffff_ffff : 0xffff)) return null;
    fields.push({ name, offset, width });
  }
  // `declare`d fields and plain assignments: no field initializers per message. Fields are
  // read and written byte by byte: a DataView per message costs more than the message.
  class Reader {
    declare bytes: Uint8Array;
    declare data: number;
    declare dataBytes: number;
    constructor(bytes: Uint8Array, data: number, dataBytes: number) {
      this.bytes = bytes;
      this.data = data;
      this.dataBytes = dataBytes;
    }
  }
  class Writer {
    declare bytes: Uint8Array;
    constructor(bytes: Uint8Array) {
      this.bytes = bytes;
    }
  }
  for (const f of fields) {
    const { offset: o, width: w } = f;
    Object.defineProperty(Reader.prototype, f.name, {
      get(this: Reader): number | bigint {
        // beyond a short data section a field reads as zero (capnp-es resizes the struct)
        if (o + w > this.dataBytes) return w === 8 ? 0n : 0;
        const b = this.bytes, at = this.data + o;
        if (w === 2) return b[at]! | (b[at + 1]! << 8);
        const lo = u32le(b, at);
        if (w === 4) return lo;
        const hi = u32le(b, at + 4);
        return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
      },
    });
    Object.defineProperty(Writer.prototype, f.name, {
      // the conversions of DataView's setUint16 / setUint32 / setBigUint64(BigInt.asUintN(64, v))
      set(this: Writer, v: number | bigint) {
        const b = this.bytes, at = dataAt + o;
        if (w === 2) {
          const x = (v as number) & 0xffff;
          b[at] = x;
          b[at + 1] = x >>> 8;
        } else if (w === 4) put32(b, at, (v as number) >>> 0);
        else if (typeof v === "bigint" && v >= 0n && v <= MAX_SAFE) {
          const n = Number(v), lo = n % 4294967296;
          put32(b, at, lo);
          put32(b, at + 4, (n - lo) / 4294967296);
        } else {
          const x = BigInt.asUintN(64, v as bigint);
          put32(b, at, Number(x & 0xffff_ffffn));
          put32(b, at + 4, Number(x >> 32n));
        }
      },
    });
  }
  return { Reader, Writer, empty, reused: empty.slice(), dataAt };
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** What fastDecode returns for a message of another shape (the caller takes the general path). */
export const NOT_FAST: unique symbol = Symbol("not fast");

/**
 * Decode with the fast codec: the validated root struct's fields through `read`, or NOT_FAST
 * when the message has another shape (the caller then takes the general path).
 * Throws CapnpFrameError for a frame the bounded reader refuses.
 */
export function fastDecode<R>(codec: Codec, bytes: Uint8Array, read: (s: never) => R): R | typeof NOT_FAST {
  const root = simpleRootStruct(bytes);
  if (root === null) return NOT_FAST;
  return read(new codec.Reader(bytes, root.dataOffset, root.dataBytes) as never);
}

/**
 * Encode with the fast codec: the empty message with the fields `set` assigns. With `reuse`,
 * into the codec's one reused buffer (valid until the next reusing encode of the class: no
 * ArrayBuffer per message, which cost more than the encoding), else into a fresh copy.
 */
export function fastEncode(codec: Codec, set: ((s: never) => void) | undefined, reuse = false): Uint8Array {
  let out: Uint8Array;
  if (reuse) (out = codec.reused).set(codec.empty);
  else out = codec.empty.slice();
  if (set) set(new codec.Writer(out) as never);
  return out;
}

/** Pointer index of each Data field learned so far (by class and field name). */
const dataIndexes = new Map<unknown, Map<string, number | null>>();

/**
 * The pointer slot of the Data field `name` (learned from capnp-es: the slot a one-byte
 * `_init<Name>` fills), or null when the class has no such field in a plain pointer slot.
 */
export function dataIndexOf<T extends capnp.Struct>(cls: capnp.StructCtor<T>, name: string): number | null {
  let byName = dataIndexes.get(cls);
  if (!byName) dataIndexes.set(cls, (byName = new Map()));
  let i = byName.get(name);
  if (i === undefined) {
    const init = `_init${name[0]!.toUpperCase()}${name.slice(1)}`;
    const bytes = encode(cls, (s) => (s as unknown as Record<string, (n: number) => unknown>)[init]?.(1));
    const v = new DataView(bytes.buffer);
    const dataWords = v.getUint32(12, true) & 0xffff, ptrs = v.getUint32(12, true) >>> 16;
    const set: number[] = [];
    for (let p = 0; p < ptrs; p++) if (v.getUint32(16 + 8 * (dataWords + p), true) !== 0 || v.getUint32(20 + 8 * (dataWords + p), true) !== 0) set.push(p);
    i = set.length === 1 ? set[0]! : null;
    byName.set(name, i);
  }
  return i;
}

/**
 * A Data field read straight from the frame: a copy of its bytes (a view into `bytes` when
 * `view`, for a caller that copies them before `bytes` changes), or undefined when the
 * message or the pointer has another shape (null, far, not a byte list), for the general path.
 * Throws CapnpFrameError for a frame the bounded reader refuses.
 */
export function fastData(bytes: Uint8Array, index: number, view = false): Uint8Array | undefined {
  const root = simpleRootStruct(bytes);
  if (root === null || index >= root.pointers) return undefined;
  const at = root.pointerOffset + 8 * index;
  const lo = u32le(bytes, at), hi = u32le(bytes, at + 4);
  if ((lo & 3) !== 1 || (hi & 7) !== 2) return undefined; // a list of bytes
  const start = at + 8 + 8 * ((lo | 0) >> 2); // checkPointers kept it inside the segment
  return view ? bytes.subarray(start, start + (hi >>> 3)) : bytes.slice(start, start + (hi >>> 3));
}

/**
 * An encoder for structs of one 16-bit field at data byte 0 and one Text field in pointer slot
 * 0 (CapException: type and message): the frame capnp-es writes (one segment, root struct of
 * one data and one pointer word, the text's bytes and NUL padded to a word), built directly.
 * Null when capnp-es encodes the class otherwise (checked on probe values when first asked).
 * Only ASCII texts under MAX_FAST_TEXT take it: the kernel's messages; others go to capnp-es.
 */
export type TypeTextEncoder = (type: number, text: string) => Uint8Array | null;
export function typeTextEncoder<T extends capnp.Struct>(cls: capnp.StructCtor<T>, typeField: keyof T & string, textField: keyof T & string): TypeTextEncoder | null {
  const enc: TypeTextEncoder = (type, text) => {
    const n = text.length;
    if (n > MAX_FAST_TEXT) return null;
    const textWords = (n + 8) >>> 3; // the bytes and a NUL, padded
    const out = new Uint8Array(8 + 8 * (3 + textWords));
    out[4] = 3 + textWords; // segment words (at most 3 + 128: one byte)
    out[12] = 1; // root: struct at offset 0, one data word
    out[14] = 1; // and one pointer
    out[16] = type & 255;
    out[17] = (type >>> 8) & 255;
    out[24] = 1; // list pointer at offset 0
    put32(out, 28, ((n + 1) << 3) | 2); // of bytes, n + 1 of them
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return null;
      out[32 + i] = c;
    }
    return out;
  };
  for (const [type, text] of [[0, ""], [3, "x"], [0x1234, "a message of some length"]] as const) {
    const m = new capnp.Message();
    const r = m.initRoot(cls) as unknown as Record<string, unknown>;
    r[typeField] = type;
    r[textField] = text;
    const mine = enc(type, text);
    const theirs = new Uint8Array(m.toArrayBuffer());
    if (mine === null || mine.length !== theirs.length || mine.some((b, i) => b !== theirs[i])) return null;
  }
  return enc;
}
/** Longest text the TypeTextEncoder writes itself (a one-byte segment size; capnp-es's first segment holds it). */
export const MAX_FAST_TEXT = 1000;
