/**
 * Cap'n Proto params decoding and result encoding for the capOS personality (RINGX-5).
 *
 * Guest params are ALWAYS decoded through `readFramedMessage` (spec/capnp-frame.ts), which
 * validates the segment table before capnp-es sees it. Any decoding problem becomes a
 * `BadMessage`, which the ring turns into a `badMessage` completion.
 */
import * as capnp from "capnp-es";
import { readFramedMessage } from "../../spec/capnp-frame.js";
import * as gen from "../../spec/schema/gen/capos.js";
import { NOT_FAST, codecOf, dataIndexOf, fastData, fastDecode, fastEncode, typeTextEncoder } from "./capnp-fast.js";

export class BadMessage extends Error {
  override readonly name = "BadMessage";
}

/**
 * A BadMessage for a decoding error. Made while its caller has stack traces off
 * (Error.stackTraceLimit = 0): the ring turns it into a badMessage completion and nobody reads
 * its stack, which cost microseconds to capture (a hostile batch refuses many CALLs).
 */
function badMessage(e: unknown): BadMessage {
  return new BadMessage(e instanceof Error ? e.message : String(e));
}

type StructCtor<T extends capnp.Struct> = capnp.StructCtor<T>;

/**
 * Decode the root struct of a guest params message; `read` pulls the fields out. Errors are
 * made without stack traces while it decodes: whatever it throws becomes a BadMessage (the
 * bounded reader's CapnpFrameError for a refused frame, once per malformed CALL), and nobody
 * reads their stacks.
 */
export function decodeParams<T extends capnp.Struct, R>(bytes: Uint8Array, cls: StructCtor<T>, read: (s: T) => R): R {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // Small data-only structs of the usual shape skip capnp-es (capnp-fast.ts), validated alike.
    const codec = codecOf(cls);
    const fast = codec ? fastDecode(codec, bytes, read as (s: never) => R) : NOT_FAST;
    if (fast !== NOT_FAST) return fast;
    const msg = readFramedMessage(bytes);
    return read(msg.getRoot(cls));
  } catch (e) {
    throw badMessage(e);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The Data field `name` of a guest params message, as a copy of its bytes (or, when `view`,
 * possibly a view into `bytes`, valid only until the params buffer is reused: the caller copies).
 */
export function decodeData<T extends capnp.Struct>(bytes: Uint8Array, cls: StructCtor<T>, name: keyof T & string, view = false): Uint8Array {
  const index = dataIndexOf(cls, name);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // as in decodeParams
  try {
    const fast = index === null ? undefined : fastData(bytes, index, view);
    if (fast) return fast;
  } catch (e) {
    throw badMessage(e);
  } finally {
    Error.stackTraceLimit = limit;
  }
  return decodeParams(bytes, cls, (p) => (p[name] as capnp.Data).toUint8Array().slice());
}

/** Encode a result message (single segment, framed, unpacked). */
export function encodeResult<T extends capnp.Struct>(cls: StructCtor<T>, set?: (s: T) => void): Uint8Array {
  const codec = codecOf(cls);
  if (codec) return fastEncode(codec, set as ((s: never) => void) | undefined);
  const m = new capnp.Message();
  const r = m.initRoot(cls);
  if (set) set(r);
  return new Uint8Array(m.toArrayBuffer());
}

/**
 * `encodeResult` for a reply the kernel copies into guest memory at once (a CALL's result, a
 * join's completion): a small fixed message is encoded into one buffer per message class,
 * reused by the next reply of that class, so a reply allocates no array. Never keep it.
 */
export function encodeReply<T extends capnp.Struct>(cls: StructCtor<T>, set?: (s: T) => void): Uint8Array {
  const codec = codecOf(cls);
  if (codec) return fastEncode(codec, set as ((s: never) => void) | undefined, true);
  return encodeResult(cls, set);
}

/**
 * A serialized CapException (RINGX-6): written directly (`typeTextEncoder`, byte-exact with
 * capnp-es; many messages name the refused value, so each is new), else by capnp-es, whose
 * encodings are remembered by (type, message). The bytes are only ever copied into guest
 * memory, never changed.
 */
export function encodeException(type: number, message: string): Uint8Array {
  const fast = exceptionEncoder?.(type, message);
  if (fast) return fast;
  const key = `${type} ${message}`;
  let bytes = exceptions.get(key);
  if (bytes === undefined) {
    if (exceptions.size >= MAX_EXCEPTIONS) exceptions.clear();
    bytes = encodeResult(gen.CapException, (e) => {
      e.type = type as gen.ExceptionType;
      e.message = message;
    });
    exceptions.set(key, bytes);
  }
  return bytes;
}
const exceptionEncoder = typeTextEncoder(gen.CapException, "type", "message");
const MAX_EXCEPTIONS = 1024;
const exceptions = new Map<string, Uint8Array>();

/** The empty result message (methods that return nothing). */
export const EMPTY = encodeResult(gen.Console_Write$Results);
