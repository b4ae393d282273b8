/**
 * Safe entry point for decoding a framed (unpacked) Cap'n Proto message from untrusted bytes.
 *
 * capnp-es 0.0.16 allocates an array of `segmentCount` entries from the first header word
 * before it checks the header against the buffer length, so 4 hostile bytes can exhaust the
 * heap. Everything that decodes a guest's message goes through `readFramedMessage`, which
 * validates the segment table first and throws a typed `CapnpFrameError`.
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

/** Decode a framed message after validating its segment table. */
export function readFramedMessage(bytes: Uint8Array): capnp.Message {
  const len = framedLength(bytes);
  const copy = bytes.slice(0, len);
  try {
    return new capnp.Message(copy.buffer, false);
  } catch (e) {
    throw new CapnpFrameError(`malformed message: ${(e as Error).message}`);
  }
}
