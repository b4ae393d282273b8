/**
 * What each SQE opcode does once the ring has validated it (ring.ts): RELEASE drops a
 * capability, PARK/UNPARK go to park.ts, CALL to call.ts; RECV and RETURN name no
 * interface this process serves.
 */
import { callOp } from "./call.js";
import type { Kernel } from "./kernel.js";
import { parkOp } from "./park.js";
import type { Sqe } from "./ring.js";
import type { Thread } from "./threads.js";

export function execOp(k: Kernel, t: Thread, sqe: Sqe): "done" | "stop" | "yield" {
  const E = k.binding.transportErrors;
  switch (sqe.op) {
    case "release":
      if (k.mutant !== "release-keeps-cap") k.caps.release(sqe.cap.slot, k.mutant === "release-no-generation-bump"); // MUTANT release-keeps-cap, release-no-generation-bump
      return sqe.complete(0);
    case "recv":
    case "return":
      return sqe.complete(E.wrongInterface);
    case "park":
    case "unpark":
      return parkOp(k, t, sqe as Sqe & { op: "park" | "unpark" });
    case "call":
      return callOp(k, t, sqe);
  }
}
