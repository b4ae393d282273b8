/**
 * The two syscalls, exit and cap_enter; any other number gives noSys (SYSX-1). cap_enter
 * consumes the ring, then returns the completion count or blocks the thread until
 * `cq_tail - cq_head >= min_complete` or its timeout.
 */
import { getReg64 } from "../cpu/state.js";
import type { Kernel } from "./kernel.js";
import { execOp } from "./opcodes.js";
import { cqCount, flushOverflow, processRing } from "./ring.js";
import type { Thread } from "./threads.js";

/** Handle the syscall thread `t` just made (number and arguments in its registers). */
export function syscall(k: Kernel, t: Thread): void {
  const b = k.binding;
  const nr = getReg64(t.cpu, k.reg(b.syscall.numberRegister));
  if (nr === BigInt(b.syscall.numbers.exit)) {
    const code = Number(BigInt.asIntN(32, k.arg(t, 0)));
    k.event(k.logging ? `t${t.id} syscall exit(${code})` : "");
    k.finish({ kind: "exit", code });
    return;
  }
  if (nr === BigInt(b.syscall.numbers.capEnter)) {
    const min = k.arg(t, 0);
    const timeout = k.arg(t, 1);
    k.event(k.logging ? `t${t.id} syscall cap_enter(${min}, ${timeout === b.syscall.capEnterWaitForever ? "forever" : timeout})` : "");
    if (min > BigInt(b.ring.cqEntries)) {
      k.setRet(t, BigInt(b.syscall.errors.invalid));
      return;
    }
    capEnter(k, t, Number(min), timeout);
    return;
  }
  k.event(k.logging ? `t${t.id} syscall ${nr} -> nosys` : "");
  k.setRet(t, BigInt(b.syscall.errors.noSys));
}

/** Consume thread `t`'s ring (all opcodes), as cap_enter and the tests do. */
export function consumeRing(k: Kernel, t: Thread): "done" | "stop" | "yield" {
  return processRing(k, t, execOp);
}

function capEnter(k: Kernel, t: Thread, min: number, timeout: bigint): void {
  flushOverflow(k, t);
  const r = consumeRing(k, t);
  if (r === "stop") return;
  if (r === "yield") return resumeLater(k, t, min, timeout);
  const n = cqCount(k, t);
  if (n >= min || timeout === 0n) {
    k.setRet(t, k.mutant === "enter-returns-zero-when-ready" ? 0n : BigInt(n)); // MUTANT enter-returns-zero-when-ready
    return;
  }
  t.state = "blocked";
  const deadline = timeout === k.binding.syscall.capEnterWaitForever ? null : k.vtime + timeout;
  t.block = { minComplete: min, deadline, seq: k.seq++ };
  k.event(k.logging ? `t${t.id} block cap_enter min=${min} deadline=${deadline ?? "forever"}` : "");
}

/**
 * The lost-wake mutant left a continuation in t.resume: cap_enter goes on after it. (Its own
 * function: a closure in capEnter would cost every cap_enter a context allocation.)
 */
function resumeLater(k: Kernel, t: Thread, min: number, timeout: bigint): void {
  const cont = t.resume!;
  t.resume = () => {
    cont();
    capEnter(k, t, min, timeout);
  };
}
