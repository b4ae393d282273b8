/** Console: bytes and lines appended to the process's console output. */
import * as gen from "../../../spec/schema/gen/capos.js";
import { MAX_CONSOLE_BYTES } from "../budget.js";
import type { Kernel } from "../kernel.js";
import { EMPTY, decodeData, decodeParams } from "../messages.js";
import { need, ok } from "./method.js";
import type { Method } from "./method.js";

function append(k: Kernel, bytes: Uint8Array): void {
  if (k.consoleLen + bytes.length > MAX_CONSOLE_BYTES) k.overMemory(`console output over ${MAX_CONSOLE_BYTES} bytes`);
  k.console.push(bytes);
  k.consoleLen += bytes.length;
}

export const write: Method = (k, call) => {
  const data = decodeData(call.params, gen.Console_Write$Params, "data");
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
