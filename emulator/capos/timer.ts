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

/** Advance virtual time to the earliest deadline and fire everything due. False: none. */
export function advanceTime(k: Kernel): boolean {
  const due: Deadline[] = [...parkDeadlines(k), ...sleepDeadlines(k), ...capEnterDeadlines(k)];
  if (due.length === 0) return false;
  let min = due[0]!.deadline;
  for (const d of due) if (d.deadline < min) min = d.deadline;
  k.vtime = k.policy.timerFiresAt(min, k.vtime);
  k.charge("timer");
  k.event(k.logging ? `time ${k.vtime}` : "");
  due
    .filter((d) => d.deadline <= k.vtime)
    .sort((a, c) => (a.deadline < c.deadline ? -1 : a.deadline > c.deadline ? 1 : a.seq - c.seq))
    .forEach((d) => {
      k.charge("timer");
      d.fire();
    });
  return true;
}

function sleepDeadlines(k: Kernel): Deadline[] {
  return k.sleepers.map((s) => ({
    deadline: s.deadline,
    seq: s.seq,
    fire: () => {
      k.sleepers = k.sleepers.filter((x) => x !== s);
      k.event(k.logging ? `t${s.thread.id} sleep-done` : "");
      completeCall(k, s.thread, s.userData, s.resultAddr, s.resultLen, EMPTY);
    },
  }));
}

function capEnterDeadlines(k: Kernel): Deadline[] {
  const out: Deadline[] = [];
  for (const t of k.threads.live())
    if (t.state === "blocked" && t.block && t.block.deadline !== null)
      out.push({
        deadline: t.block.deadline,
        seq: t.block.seq,
        fire: () => {
          if (t.state === "blocked") wakeCapEnter(k, t, "timeout");
        },
      });
  return out;
}

