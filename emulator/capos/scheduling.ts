/**
 * One scheduling decision and the run that follows it: pick a runnable thread (schedule.ts
 * decides which and for how long), switch to it (FS base restore, FSB-5), run its CPU to the
 * next scheduling point and handle why it stopped (syscall, budget, fault). With nothing
 * runnable, virtual time advances (timer.ts); with no deadline either, the process hangs.
 */
import type { EndState } from "../../spec/run-protocol.js";
import type { Fault } from "../cpu/fault.js";
import { run } from "../cpu/run.js";
import { hex } from "./events.js";
import type { Kernel } from "./kernel.js";
import { syscall } from "./syscalls.js";
import type { Thread } from "./threads.js";
import { advanceTime } from "./timer.js";

export function step(k: Kernel): void {
  if (k.insnsLeft <= 0) {
    k.finish({ kind: "budget", what: "instructions" });
    return;
  }
  let runnable = k.threads.runnable();
  while (runnable.length === 0) {
    if (!advanceTime(k)) {
      k.finish({ kind: "hang" });
      return;
    }
    if (k.endState) return;
    runnable = k.threads.runnable();
  }
  const d = k.sched.next(runnable, k.lastRunId);
  const t = runnable[d.index]!;
  const prev = k.current;
  if (prev !== t) {
    if (prev) prev.savedFs = prev.cpu.fsBase;
    // FSB-5: the incoming thread gets its own FS base back.
    // MUTANT fs-not-restored: it keeps the previous thread's FS base instead.
    t.cpu.fsBase = k.mutant === "fs-not-restored" && prev && prev.state !== "exited" ? prev.cpu.fsBase : t.savedFs;
    k.event(k.logging ? `switch t${prev ? prev.id : "-"}->t${t.id} q=${d.quantum} ${d.source}` : "");
    k.current = t;
  }
  k.lastRunId = t.id;
  if (t.resume) {
    const f = t.resume;
    t.resume = null;
    f();
    if (k.endState || t.state !== "runnable" || t.resume) return;
  }
  // Kernel work charged since the check above (timer, continuation) may have used it up.
  const left = k.insnsLeft;
  if (left <= 0) {
    k.finish({ kind: "budget", what: "instructions" });
    return;
  }
  const budget = d.quantum === 0 ? left : Math.min(d.quantum, left);
  const c = t.cpu;
  // RDTSC reads virtual time plus the global instruction count (monotonic across threads).
  c.tsc = k.vtimeNum + k.icount - c.icount;
  const before = c.icount;
  const stop = run(c, k.as.mem, budget);
  k.icount += c.icount - before;
  switch (stop.kind) {
    case "syscall":
      k.charge("syscall");
      syscall(k, t);
      return;
    case "budget":
      if (k.insnsLeft <= 0) k.finish({ kind: "budget", what: "instructions" });
      return;
    case "hlt":
      fault(k, t, { type: "#GP", reason: "hlt in user mode" });
      return;
    case "fault":
      fault(k, t, stop.fault);
      return;
  }
}

/** A CPU fault ends the process with the fault's EndState. */
function fault(k: Kernel, t: Thread, f: Fault): void {
  let e: EndState;
  switch (f.type) {
    case "#PF":
      e = { kind: "fault", fault: "#PF", addr: f.addr, access: f.access, thread: t.id };
      break;
    case "#UD":
      e = { kind: "fault", fault: "#UD", thread: t.id };
      break;
    case "#DE":
    case "#MF":
    case "#XM":
      e = { kind: "fault", fault: "#DE", thread: t.id };
      break;
    default:
      e = f.type === "#GP" && f.addr !== undefined ? { kind: "fault", fault: "#GP", addr: f.addr, thread: t.id } : { kind: "fault", fault: "#GP", thread: t.id };
  }
  k.event(k.logging ? `t${t.id} fault ${f.type} rip=${hex(t.cpu.rip)}${"reason" in f && f.reason ? " (" + f.reason + ")" : ""}` : "");
  k.finish(e);
}
