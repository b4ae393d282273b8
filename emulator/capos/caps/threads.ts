/**
 * The thread capabilities: ThreadSpawner.spawn (a new thread with its own ring page, THRX-1),
 * ThreadHandle.join, and ThreadControl (FS base, FSB-*; thread exit). Where a spawned thread's
 * ring goes is `threadRingSlot` / `threadRingAddress` in policy.ts; its TLS is the caller's.
 */
import * as gen from "../../../spec/schema/gen/capos.js";
import { setReg64 } from "../../cpu/state.js";
import { hex } from "../events.js";
import type { Kernel } from "../kernel.js";
import { EMPTY, decodeParams, encodeReply, encodeResult } from "../messages.js";
import { MAX_THREADS_SPAWNED } from "../budget.js";
import { completeCall, initRing } from "../ring.js";
import type { Thread } from "../threads.js";
import { canonical, exc, need, ok } from "./method.js";
import type { Method } from "./method.js";

const SPAWN_RESULT_SIZE = encodeResult(gen.ThreadSpawner_Spawn$Results).length;
const JOIN_RESULT_SIZE = encodeResult(gen.ThreadHandle_Join$Results).length;
const FS_RESULT_SIZE = encodeResult(gen.ThreadControl_GetFsBase$Results).length;

export const spawn: Method = (k, call) => {
  const b = k.binding;
  const { t } = call;
  const p = decodeParams(call.params, gen.ThreadSpawner_Spawn$Params, (x) => ({ entry: x.entry, stackTop: x.stackTop, arg: x.arg, fsBase: x.fsBase }));
  need(call, SPAWN_RESULT_SIZE);
  const live = k.threads.liveSpawned();
  if (live.length >= b.layout.maxThreads) return exc("overloaded", `thread limit ${b.layout.maxThreads} reached`);
  if (!canonical(p.fsBase)) return exc("invalidArgument", `fsBase ${hex(p.fsBase)} is not canonical`);
  if (k.threads.spawned >= MAX_THREADS_SPAWNED) k.overMemory(`${MAX_THREADS_SPAWNED} threads spawned`);
  k.charge("spawn");
  const slot = k.policy.threadRingSlot(new Set(live.map((x) => x.ringSlot)));
  const ring = k.policy.threadRingAddress(b, slot);
  const handleSlot = k.caps.add({ iface: "ThreadHandle" });
  if (handleSlot < 0) return exc("overloaded", "capability table full");
  k.memOp(() => initRing(k, ring));
  const nt = k.threads.add(ring, slot);
  k.caps.set(handleSlot, { iface: "ThreadHandle", thread: nt });
  const c = nt.cpu;
  c.rip = Number(BigInt.asIntN(64, p.entry));
  setReg64(c, k.reg("rsp"), p.stackTop);
  setReg64(c, k.reg(b.entry.ring), BigInt(ring));
  if (k.mutant !== "spawn-arg-dropped") setReg64(c, k.reg(b.entry.threadArg), p.arg); // MUTANT spawn-arg-dropped
  c.fsBase = k.mutant === "spawn-inherits-fs" ? t.cpu.fsBase : Number(BigInt.asIntN(64, p.fsBase)); // MUTANT spawn-inherits-fs
  nt.savedFs = c.fsBase;
  k.event(k.logging ? `t${t.id} spawn t${nt.id} entry=${hex(p.entry)} ring=${hex(ring)} fs=${hex(p.fsBase)}` : "");
  return ok(encodeReply(gen.ThreadSpawner_Spawn$Results, (x) => (x.handleIndex = handleSlot)), {
    capId: k.caps.idOf(handleSlot),
    interfaceId: b.interfaces.ThreadHandle,
  });
};

export const join: Method = (k, call) => {
  decodeParams(call.params, gen.ThreadHandle_Join$Params, () => 0);
  need(call, JOIN_RESULT_SIZE);
  const target = call.cap.obj.thread!;
  if (k.mutant === "join-before-exit") return ok(encodeReply(gen.ThreadHandle_Join$Results, (x) => (x.exitValue = target.exitValue))); // MUTANT join-before-exit
  if (target.state === "exited") return ok(encodeReply(gen.ThreadHandle_Join$Results, (x) => (x.exitValue = target.exitValue)));
  k.pendingRoom();
  k.joiners.push({ thread: call.t, target, userData: call.userData, resultAddr: call.ra, resultLen: call.rl });
  return { kind: "async" };
};

export const setFsBase: Method = (k, call) => {
  const { t } = call;
  const base = decodeParams(call.params, gen.ThreadControl_SetFsBase$Params, (x) => x.base);
  need(call, EMPTY.length);
  if (!canonical(base) && k.mutant !== "setfsbase-noncanonical") return exc( // MUTANT setfsbase-noncanonical
    "invalidArgument", `fsBase ${hex(base)} is not canonical`);
  t.cpu.fsBase = Number(BigInt.asIntN(64, base));
  t.savedFs = t.cpu.fsBase;
  k.event(k.logging ? `t${t.id} setFsBase ${hex(base)}` : "");
  return ok(EMPTY);
};

export const getFsBase: Method = (_k, call) => {
  decodeParams(call.params, gen.ThreadControl_GetFsBase$Params, () => 0);
  need(call, FS_RESULT_SIZE);
  const v = BigInt.asUintN(64, BigInt(call.t.cpu.fsBase));
  return ok(encodeReply(gen.ThreadControl_GetFsBase$Results, (x) => (x.base = v)));
};

export const exit: Method = (k, call) => {
  const value = decodeParams(call.params, gen.ThreadControl_Exit$Params, (x) => x.value);
  exitThread(k, call.t, value);
  return { kind: "stop" };
};

/** End one thread: nothing it waits on outlives it (PARKX-9), its joiners complete. */
function exitThread(k: Kernel, t: Thread, value: bigint): void {
  t.state = "exited";
  t.block = null;
  t.resume = null;
  t.exitValue = k.mutant === "exit-value-truncated" ? BigInt.asUintN(32, value) : value; // MUTANT exit-value-truncated
  if (k.mutant !== "exit-leaves-waiter") k.waiters = k.waiters.filter((w) => w.thread !== t); // MUTANT exit-leaves-waiter
  k.sleepers = k.sleepers.filter((s) => s.thread !== t);
  k.joiners = k.joiners.filter((j) => j.thread !== t);
  k.event(k.logging ? `t${t.id} thread-exit ${hex(value)}` : "");
  const mine = k.joiners.filter((j) => j.target === t);
  k.joiners = k.joiners.filter((j) => j.target !== t);
  const handed = k.mutant === "exit-value-truncated" ? BigInt.asUintN(32, value) : value; // MUTANT exit-value-truncated
  for (const j of mine) completeCall(k, j.thread, j.userData, j.resultAddr, j.resultLen, encodeReply(gen.ThreadHandle_Join$Results, (x) => (x.exitValue = handed)));
  if (k.threads.live().length === 0) k.finish({ kind: "exit", code: 0 });
}
