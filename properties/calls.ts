/**
 * CALL failures on live capabilities: an ordinal the interface does not define completes with
 * applicationException and a serialized CapException of type `unimplemented` in the result
 * buffer (RINGX-6, ERR-2), or applicationExceptionTruncated when that does not fit (ERR-3);
 * a params buffer that is not a well-formed framed message completes with badMessage
 * (RINGX-5); a well-formed Timer.now succeeds with the number of result bytes, its result
 * message carrying the time (RINGX-5, TIMERX-1). Expectations come from the clauses.
 */
import fc from "fast-check";
import { readFramedMessage } from "../spec/capnp-frame.js";
import { CapException, Timer_Now$Results } from "../spec/schema/gen/capos.js";
import { buildCallProbe, callCase, callReportLength, RESULT_SLOT, type CallCase } from "../generators/call-probe.js";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { describeEndState } from "./agent-run.js";

export const callErrors = property<readonly CallCase[]>({
  id: "ring.call-errors",
  group: "ring",
  title: "Unknown ordinals give a CapException, malformed params give badMessage, results report their size",
  clauses: ["RINGX-5", "RINGX-6", "ERR-1", "ERR-2", "ERR-3", "CAP-3", "RING-7", "TIMERX-1"],
  needs: [],
  runs: 40,
  arbitrary: (b) => fc.array(callCase(b), { minLength: 1, maxLength: 6 }),
  describe: (c) => c,
  async check(calls, ctx) {
    const b = ctx.binding;
    const E = b.transportErrors;
    const image = buildCallProbe(calls, b);
    const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
    const observed = [`end: ${describeEndState(run.end)}`];
    const fail = (message: string, allowed: string[] = []) => ({ ok: false, message, elfSha256: sha256(image), observed, allowed });
    if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the probe did not exit(0): ${describeEndState(run.end)}`);
    if (run.console.length !== callReportLength(b, calls.length)) return fail(`expected a ${callReportLength(b, calls.length)}-byte report, got ${run.console.length}`);
    const v = new DataView(run.console.buffer, run.console.byteOffset, run.console.byteLength);
    const cqBytes = b.ring.cqEntries * b.ring.cqeSize;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      const at = i * b.ring.cqeSize;
      const userData = v.getBigUint64(at + b.ring.cqe["userData"]!.offset, true);
      const result = v.getInt32(at + b.ring.cqe["result"]!.offset, true);
      const resultBytes = run.console.subarray(cqBytes + i * RESULT_SLOT, cqBytes + (i + 1) * RESULT_SLOT);
      observed.push(`call ${i} (${c.kind} on ${c.iface}): user_data 0x${userData.toString(16)} result ${result}`);
      if (userData !== c.userData) return fail(`CQE ${i} echoes user_data 0x${userData.toString(16)}, expected 0x${c.userData.toString(16)} (RING-7)`);
      switch (c.kind) {
        case "unknown-ordinal": {
          if (result !== E.applicationException) return fail(`an unknown ordinal on ${c.iface} completed with ${result}, expected applicationException ${E.applicationException} (RINGX-6)`);
          let type: number;
          try {
            type = readFramedMessage(resultBytes).getRoot(CapException).type;
          } catch (e) {
            return fail(`the result buffer does not hold a CapException message: ${(e as Error).message} (ERR-2)`);
          }
          if (type !== b.exceptionTypes["unimplemented"]) return fail(`the CapException type is ${type}, expected unimplemented (RINGX-6)`);
          break;
        }
        case "unknown-ordinal-tiny-result":
          if (result !== E.applicationExceptionTruncated) return fail(`an unknown ordinal with an 8-byte result buffer completed with ${result}, expected applicationExceptionTruncated ${E.applicationExceptionTruncated} (ERR-3)`);
          break;
        case "hostile-segment-table":
        case "truncated-message":
          if (result !== E.badMessage) return fail(`a ${c.kind} params buffer completed with ${result}, expected badMessage ${E.badMessage} (RINGX-5)`);
          break;
        case "timer-now": {
          if (result <= 0 || result > RESULT_SLOT) return fail(`Timer.now completed with ${result}, expected the positive number of result bytes (RINGX-5)`);
          try {
            void readFramedMessage(resultBytes.subarray(0, result)).getRoot(Timer_Now$Results).ns;
          } catch (e) {
            return fail(`Timer.now's ${result} result bytes are not a Timer.now result message: ${(e as Error).message} (RINGX-5)`);
          }
        }
      }
    }
    return { ok: true, observed };
  },
});
