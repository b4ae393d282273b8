/**
 * ParkSpace: futex-style waiting on 32-bit user words (PARK-*, PARKX-*). A waiter is keyed by
 * (address, generation of its page); unmap/decommit bump the generation and drain the range.
 * Which waiters an UNPARK wakes is `unparkWakes` in policy.ts.
 */
import { PROT_READ } from "../cpu/memory.js";
import { hex } from "./events.js";
import { fieldGet } from "./guest-fields.js";
import type { Deadline, Kernel } from "./kernel.js";
import { post } from "./ring.js";
import type { Sqe } from "./ring.js";
import type { Thread } from "./threads.js";

/** PARK and UNPARK SQEs on a ParkSpace capability. */
export function parkOp(k: Kernel, t: Thread, sqe: Sqe & { op: "park" | "unpark" }): "done" | "yield" {
  const b = k.binding;
  const E = b.transportErrors;
  const { view: V, bytes: dv, complete: done } = sqe;
  if (sqe.cap.obj.iface !== "ParkSpace") return done(E.wrongInterface);
  const addrBig = fieldGet(dv, V["addr"]);
  if (addrBig % BigInt(b.park.wordAlign) !== 0n) return done(E.invalidSqe);
  if (addrBig + BigInt(b.park.wordSize) > BigInt(b.layout.userAddressLimit)) return done(E.invalidBuffer);
  const addr = Number(addrBig);
  if (!k.as.accessible(addr, b.park.wordSize, PROT_READ)) return done(E.invalidBuffer);
  return sqe.op === "unpark" ? unpark(k, t, sqe, addr) : park(k, t, sqe, addr);
}

function unpark(k: Kernel, t: Thread, sqe: Sqe, addr: number): "done" {
  const count = Number(fieldGet(sqe.bytes, sqe.view["count"]));
  const gen = k.as.generation(addr);
  const woken = k.policy.unparkWakes(
    k.waiters.filter((w) => w.addr === addr && w.gen === gen),
    count,
  );
  k.waiters = k.waiters.filter((w) => !woken.includes(w));
  for (const w of woken) {
    k.event(`t${w.thread.id} unparked addr=${hex(addr)} gen=${gen} by t${t.id}`);
    post(k, w.thread, { userData: w.userData, result: k.binding.park.results.woken });
  }
  return sqe.complete(woken.length, undefined, ` unpark addr=${hex(addr)} count=${count} woke=[${woken.map((w) => "t" + w.thread.id).join(",")}]`);
}

function park(k: Kernel, t: Thread, sqe: Sqe, addr: number): "done" | "yield" {
  const b = k.binding;
  const R = b.park.results;
  const { view: V, bytes: dv, userData, complete: done } = sqe;
  const expected = Number(fieldGet(dv, V["expected"]));
  const timeout = fieldGet(dv, V["timeoutNs"]);
  const value = k.as.mem.readU32(addr);
  if (value !== expected) return done(R.mismatch, undefined, ` park addr=${hex(addr)} value=${value} expected=${expected}`);
  if (timeout === 0n) return done(R.timedOut, undefined, ` park addr=${hex(addr)} poll`);
  const enqueue = () => {
    k.pendingRoom();
    const gen = k.as.generation(addr);
    const deadline = timeout === b.park.timeoutForever ? null : k.vtime + timeout;
    k.waiters.push({ thread: t, addr, gen, userData, deadline, seq: k.seq++ });
    k.event(`t${t.id} parked addr=${hex(addr)} gen=${gen} ud=${hex(userData)} deadline=${deadline ?? "forever"}`);
  };
  if (k.mutant === "lost-wake") {
    // MUTANT lost-wake: the value check and the enqueue are split by a scheduling point;
    // an UNPARK that runs in between finds no waiter and the wake is lost.
    t.resume = enqueue;
    k.event(`t${t.id} park-check addr=${hex(addr)} (mutant: enqueue deferred)`);
    return "yield";
  }
  enqueue();
  return "done";
}

/** Wake every waiter in [start, start+size) with `drained` (PARKX-7): the range went away. */
export function drain(k: Kernel, start: number, size: number, why: string): void {
  if (k.mutant === "no-drain") return; // MUTANT no-drain: waiters stay parked on a dead range.
  const end = start + size;
  const hit = k.waiters.filter((w) => w.addr >= start && w.addr < end);
  if (hit.length === 0) return;
  k.waiters = k.waiters.filter((w) => !hit.includes(w));
  for (const w of hit) {
    k.event(`t${w.thread.id} drained addr=${hex(w.addr)} gen=${w.gen} by ${why}`);
    post(k, w.thread, { userData: w.userData, result: k.binding.park.results.drained });
  }
}

/** Park waiters with a deadline, as timer entries that time them out. */
export function parkDeadlines(k: Kernel): Deadline[] {
  return k.waiters
    .filter((w) => w.deadline !== null)
    .map((w) => ({
      deadline: w.deadline!,
      seq: w.seq,
      fire: () => {
        k.waiters = k.waiters.filter((x) => x !== w);
        k.event(`t${w.thread.id} park-timeout addr=${hex(w.addr)}`);
        post(k, w.thread, { userData: w.userData, result: k.binding.park.results.timedOut });
      },
    }));
}
