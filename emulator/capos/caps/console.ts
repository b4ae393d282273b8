/** Console: bytes and lines appended to the process's console output. */
import * as gen from "../../../spec/schema/gen/capos.js";
import { MAX_CONSOLE_BYTES } from "../budget.js";
import type { Kernel } from "../kernel.js";
import { EMPTY, decodeData, decodeParams } from "../messages.js";
import { need, ok } from "./method.js";
import type { Method } from "./method.js";

/**
 * Copy `bytes` to the end of the kernel's console buffer (kernel.ts: reused from process to
 * process, grown by doubling), not one array per write plus a concatenation at the end.
 */
function append(k: Kernel, bytes: Uint8Array): void {
  const len = k.consoleLen, end = len + bytes.length;
  if (end > MAX_CONSOLE_BYTES) k.overMemory(`console output over ${MAX_CONSOLE_BYTES} bytes`);
  if (end > k.consoleBuf.length) k.growConsole(end);
  k.consoleBuf.set(bytes, len);
  k.consoleLen = end;
}

export const write: Method = (k, call) => {
  const data = decodeData(call.params, gen.Console_Write$Params, "data", true); // a view: append copies it
  need(call, EMPTY.length);
  append(k, data);
  return ok(EMPTY);
};

export const writeLine: Method = (k, call) => {
  const text = decodeParams(call.params, gen.Console_WriteLine$Params, (p) => p.text);
  need(call, EMPTY.length);
  append(k, new TextEncoder().encode(text + "\n"));
  return ok(EMPTY);
};
