/**
 * ParkSpace: futex-style waiting on 32-bit user words (PARK-*, PARKX-*). A waiter is keyed by
 * (address, generation of its page); unmap/decommit bump the generation and drain the range.
 * Which waiters an UNPARK wakes is `unparkWakes` in policy.ts.
 */
import { PROT_READ } from "../cpu/memory.js";
import { hex } from "./events.js";
import { fieldGet, fieldNum } from "./guest-fields.js";
import type { Deadline, Kernel } from "./kernel.js";
import { post } from "./ring.js";
import type { Sqe } from "./ring.js";
import type { Thread } from "./threads.js";

/** PARK and UNPARK SQEs on a ParkSpace capability. */
export function parkOp(k: Kernel, t: Thread, sqe: Sqe & { op: "park" | "unpark" }): "done" | "yield" {
  const b = k.binding;
  const E = b.transportErrors;
  if (sqe.cap.obj.iface !== "ParkSpace") return sqe.complete(E.wrongInterface);
  const addrBig = fieldGet(sqe.dv, 0, sqe.view["addr"]);
  if (addrBig % BigInt(b.park.wordAlign) !== 0n && k.mutant !== "park-unaligned-ok") return sqe.complete(E.invalidSqe); // MUTANT park-unaligned-ok
  if (addrBig + BigInt(b.park.wordSize) > BigInt(b.layout.userAddressLimit)) return sqe.complete(E.invalidBuffer);
  const addr = Number(addrBig);
  if (!k.as.accessible(addr, b.park.wordSize, PROT_READ)) return sqe.complete(E.invalidBuffer);
  return sqe.op === "unpark" ? unpark(k, t, sqe, addr) : park(k, t, sqe, addr);
}

function unpark(k: Kernel, t: Thread, sqe: Sqe, addr: number): "done" {
  const count = fieldNum(sqe.dv, 0, sqe.view["count"]);
  const gen = k.as.generation(addr);
  const woken = k.policy.unparkWakes(
    // MUTANT unpark-ignores-address: the key compare is missing.
    k.waiters.filter((w) => (w.addr === addr || k.mutant === "unpark-ignores-address") && w.gen === gen),
    // MUTANT unpark-wakes-extra: off by one; MUTANT unpark-zero-wakes-all: 0 read as "all".
    k.mutant === "unpark-wakes-extra" ? count + 1 : k.mutant === "unpark-zero-wakes-all" && count === 0 ? Number.MAX_SAFE_INTEGER : count,
  );
  k.waiters = k.waiters.filter((w) => !woken.includes(w));
  for (const w of woken) {
    k.event(k.logging ? `t${w.thread.id} unparked addr=${hex(addr)} gen=${gen} by t${t.id}` : "");
    post(k, w.thread, { userData: w.userData, result: k.binding.park.results.woken });
  }
  return sqe.complete(woken.length, k.logging ? ` unpark addr=${hex(addr)} count=${count} woke=[${woken.map((w) => "t" + w.thread.id).join(",")}]` : "");
}

function park(k: Kernel, t: Thread, sqe: Sqe, addr: number): "done" | "yield" {
  const b = k.binding;
  const R = b.park.results;
  const { view: V, dv, userData } = sqe;
  const expected = fieldNum(dv, 0, V["expected"]);
  const timeout = fieldGet(dv, 0, V["timeoutNs"]);
  const value = k.as.mem.readU32(addr);
  const differs =
    k.mutant === "park-skips-value-check" ? false // MUTANT park-skips-value-check
    : k.mutant === "park-compares-low-byte" ? (value & 0xff) !== (expected & 0xff) // MUTANT park-compares-low-byte
    : value !== expected;
  if (differs) return sqe.complete(R.mismatch, k.logging ? ` park addr=${hex(addr)} value=${value} expected=${expected}` : "");
  if (timeout === 0n) return sqe.complete(k.mutant === "park-poll-mismatch" ? R.mismatch : R.timedOut, // MUTANT park-poll-mismatch
       k.logging ? ` park addr=${hex(addr)} poll` : "");
  if (k.mutant === "lost-wake") return deferEnqueue(k, t, addr, timeout, userData); // MUTANT lost-wake
  enqueue(k, t, addr, timeout, userData);
  return "done";
}

/** Queue a waiter on (addr, its page's generation) with its deadline. */
function enqueue(k: Kernel, t: Thread, addr: number, timeout: bigint, userData: bigint): void {
  k.pendingRoom();
  const gen = k.as.generation(addr);
  // MUTANT park-timeout-early: half the timeout.
  const deadline = timeout === k.binding.park.timeoutForever ? null : k.vtime + (k.mutant === "park-timeout-early" ? timeout / 2n : timeout);
  k.waiters.push({ thread: t, addr, gen, userData, deadline, seq: k.seq++ });
  k.event(k.logging ? `t${t.id} parked addr=${hex(addr)} gen=${gen} ud=${hex(userData)} deadline=${deadline ?? "forever"}` : "");
}

/**
 * MUTANT lost-wake: the value check and the enqueue are split by a scheduling point; an
 * UNPARK that runs in between finds no waiter and the wake is lost.
 */
function deferEnqueue(k: Kernel, t: Thread, addr: number, timeout: bigint, userData: bigint): "yield" {
  t.resume = () => enqueue(k, t, addr, timeout, userData);
  k.event(k.logging ? `t${t.id} park-check addr=${hex(addr)} (mutant: enqueue deferred)` : "");
  return "yield";
}

/** Wake every waiter in [start, start+size) with `drained` (PARKX-7): the range went away (`why`: for the log only). */
export function drain(k: Kernel, start: number, size: number, why: string): void {
  if (k.mutant === "no-drain") return; // MUTANT no-drain: waiters stay parked on a dead range.
  const end = start + size - (k.mutant === "drain-misses-last-word" ? k.binding.park.wordSize : 0); // MUTANT drain-misses-last-word
  const hit = k.waiters.filter((w) => w.addr >= start && w.addr < end);
  if (hit.length === 0) return;
  k.waiters = k.waiters.filter((w) => !hit.includes(w));
  for (const w of hit) {
    k.event(k.logging ? `t${w.thread.id} drained addr=${hex(w.addr)} gen=${w.gen} by ${why}` : "");
    const R = k.binding.park.results;
    post(k, w.thread, { userData: w.userData, result: k.mutant === "drain-result-woken" ? R.woken : R.drained }); // MUTANT drain-result-woken
  }
}

/** Park waiters whose deadline is due by `dueBy`, as timer entries that time them out. */
export function parkDeadlines(k: Kernel, dueBy: bigint): Deadline[] {
  return k.waiters
    .filter((w) => w.deadline !== null && w.deadline <= dueBy)
    .map((w) => ({
      deadline: w.deadline!,
      seq: w.seq,
      fire: () => {
        k.waiters = k.waiters.filter((x) => x !== w);
        k.event(k.logging ? `t${w.thread.id} park-timeout addr=${hex(w.addr)}` : "");
        post(k, w.thread, { userData: w.userData, result: k.binding.park.results.timedOut });
      },
    }));
}
