/** Timer: virtual time (timer.ts) read by `now` and waited on by `sleep`. */
import * as gen from "../../../spec/schema/gen/capos.js";
import { EMPTY, decodeParams, encodeReply, encodeResult } from "../messages.js";
import { need, ok } from "./method.js";
import type { Method } from "./method.js";

const NOW_RESULT_SIZE = encodeResult(gen.Timer_Now$Results).length;

export const now: Method = (k, call) => {
  decodeParams(call.params, gen.Timer_Now$Params, () => 0);
  need(call, NOW_RESULT_SIZE);
  const v = k.mutant === "now-32-bit" ? BigInt.asUintN(32, k.vtime) : k.vtime; // MUTANT now-32-bit
  return ok(encodeReply(gen.Timer_Now$Results, (x) => (x.ns = v)));
};

export const sleep: Method = (k, call) => {
  const ns = decodeParams(call.params, gen.Timer_Sleep$Params, (x) => x.ns);
  need(call, EMPTY.length);
  if (ns === 0n) return ok(EMPTY);
  k.pendingRoom();
  const deadline = k.vtime + (k.mutant === "sleep-early" ? ns / 1000n : ns); // MUTANT sleep-early
  k.sleepers.push({ thread: call.t, deadline, userData: call.userData, resultAddr: call.ra, resultLen: call.rl, seq: k.seq++ });
  k.event(k.logging ? `t${call.t.id} sleep until ${deadline}` : "");
  return { kind: "async" };
};
