/**
 * Virtual time: a nanosecond counter that moves only when no thread is runnable. It then
 * jumps to the earliest pending deadline (PARK timeout, Timer.sleep, cap_enter timeout) and
 * everything due fires in (deadline, creation) order. How late a deadline fires is
 * `timerFiresAt` in policy.ts (never early).
 */
import type { Deadline, Kernel } from "./kernel.js";
import { EMPTY } from "./messages.js";
import { parkDeadlines } from "./park.js";
import { completeCall, wakeCapEnter } from "./ring.js";

/**
 * Advance virtual time to the earliest deadline and fire everything due. False: none. The
 * earliest deadline is found without building timer entries; entries (with their `fire`
 * closures) are made only for what is due, all before any fires.
 */
export function advanceTime(k: Kernel): boolean {
  const min = earliestDeadline(k);
  if (min === null) return false;
  k.vtime = k.policy.timerFiresAt(min, k.vtime);
  k.charge("timer");
  k.event(k.logging ? `time ${k.vtime}` : "");
  const now = k.vtime;
  const due: Deadline[] = [...parkDeadlines(k, now), ...sleepDeadlines(k, now), ...capEnterDeadlines(k, now)];
  due
    .sort((a, c) => (a.deadline < c.deadline ? -1 : a.deadline > c.deadline ? 1 : a.seq - c.seq))
    .forEach((d) => {
      k.charge("timer");
      d.fire();
    });
  return true;
}

/** The earliest pending deadline (PARK timeout, Timer.sleep, cap_enter timeout), or null. */
function earliestDeadline(k: Kernel): bigint | null {
  let min: bigint | null = null;
  for (const w of k.waiters) if (w.deadline !== null && (min === null || w.deadline < min)) min = w.deadline;
  for (const s of k.sleepers) if (min === null || s.deadline < min) min = s.deadline;
  for (const t of k.threads.live())
    if (t.state === "blocked" && t.block && t.block.deadline !== null && (min === null || t.block.deadline < min)) min = t.block.deadline;
  return min;
}

/** Pending sleeps due by `dueBy`, as timer entries. */
function sleepDeadlines(k: Kernel, dueBy: bigint): Deadline[] {
  return k.sleepers.filter((s) => s.deadline <= dueBy).map((s) => ({
    deadline: s.deadline,
    seq: s.seq,
    fire: () => {
      k.sleepers = k.sleepers.filter((x) => x !== s);
      k.event(k.logging ? `t${s.thread.id} sleep-done` : "");
      completeCall(k, s.thread, s.userData, s.resultAddr, s.resultLen, EMPTY);
    },
  }));
}

/** cap_enter timeouts due by `dueBy`, as timer entries. */
function capEnterDeadlines(k: Kernel, dueBy: bigint): Deadline[] {
  const out: Deadline[] = [];
  for (const t of k.threads.live())
    if (t.state === "blocked" && t.block && t.block.deadline !== null && t.block.deadline <= dueBy)
      out.push({
        deadline: t.block.deadline,
        seq: t.block.seq,
        fire: () => {
          if (t.state === "blocked") wakeCapEnter(k, t, "timeout");
        },
      });
  return out;
}

