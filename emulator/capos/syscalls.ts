/**
 * The two syscalls, exit and cap_enter; any other number gives noSys (SYSX-1). cap_enter
 * consumes the ring, then returns the completion count or blocks the thread until
 * `cq_tail - cq_head >= min_complete` or its timeout.
 */
import { getReg64, getRegNum } from "../cpu/state.js";
import type { Kernel } from "./kernel.js";
import { execOp } from "./opcodes.js";
import { cqCount, flushOverflow, processRing } from "./ring.js";
import type { Thread } from "./threads.js";

/** Handle the syscall thread `t` just made (number and arguments in its registers). */
export function syscall(k: Kernel, t: Thread): void {
  const b = k.binding;
  const S = b.syscall;
  // Numbers, not BigInts: a register reads exactly within ±2^53, and one beyond that equals no
  // syscall number (binding uints) and exceeds any CQ size, as the u64 comparisons decide.
  const nr = getRegNum(t.cpu, k.reg(S.numberRegister));
  if (nr === S.numbers.exit) {
    const code = Number(BigInt.asIntN(32, k.arg(t, 0)));
    k.event(k.logging ? `t${t.id} syscall exit(${code})` : "");
    k.finish({ kind: "exit", code });
    return;
  }
  if (nr === S.numbers.capEnter) {
    const min = k.argNum(t, 0); // negative: a u64 of 2^63 or more
    const timeout = k.arg(t, 1);
    k.event(k.logging ? `t${t.id} syscall cap_enter(${k.arg(t, 0)}, ${timeout === S.capEnterWaitForever ? "forever" : timeout})` : "");
    if (min < 0 || min > b.ring.cqEntries) {
      k.setRet(t, S.errors.invalid);
      return;
    }
    capEnter(k, t, min, timeout);
    return;
  }
  k.event(k.logging ? `t${t.id} syscall ${getReg64(t.cpu, k.reg(S.numberRegister))} -> nosys` : "");
  k.setRet(t, S.errors.noSys);
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
    k.setRet(t, k.mutant === "enter-returns-zero-when-ready" ? 0 : n); // MUTANT enter-returns-zero-when-ready
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
