/**
 * The emulator's budgets (issue 17): what bounds the wall time and memory of one run, whatever
 * the guest does. These are emulator limits, not ABI: a conforming guest never meets them
 * under the defaults, and a run that does ends with a typed verdict instead of growing.
 *
 * Wall time. The instruction budget (`maxInsns`) is charged for kernel work too, in
 * instruction-equivalents (`KERNEL_CHARGE`), so a guest that makes the kernel work (sleep
 * loops, map loops, thread bombs) reaches `budget/instructions` about as fast as one that
 * spins. The charges are measured costs: on the reference machine the CPU retires about
 * 18 M instructions/s and a CALL (Cap'n Proto decode, method,
 * encode) costs 120-1300 us depending on load and outcome (a failing VirtualMemory.map is the slowest seen); a unit is charged for about 50-80 ns of kernel
 * time, so kernel-heavy runaways end no later than a spinning loop. The `insns` count (and the event log) keep
 * counting retired instructions only.
 *
 * Memory. The page budget (`maxPages`) ends the run with `budget/memory`; so do the caps
 * below, each on something a guest could otherwise grow without bound.
 */

/** Instruction-equivalents charged for kernel work. */
export const KERNEL_CHARGE = {
  /** Each syscall (exit, cap_enter, an unknown number). */
  syscall: 300,
  /** Each SQE consumed, whatever its opcode. */
  sqe: 100,
  /** Each CALL on top of its SQE: params decode, method, result encode. */
  call: 20000,
  /** Each 4 KiB (or part) of CALL params read or result written. */
  copyPage: 256,
  /** Each page mapped, committed, unmapped or decommitted. */
  page: 32,
  /** Each thread spawned (CPU state, ring page). */
  spawn: 10000,
  /** Each virtual-time advance, and each deadline or wake it fires. */
  timer: 3000,
} as const;

/** Console bytes one process may write (Console.write / writeLine); more: budget/memory. */
export const MAX_CONSOLE_BYTES = 16 << 20;

/** Threads one process may spawn over its life (the live limit is the ABI's maxThreads); more: budget/memory. */
export const MAX_THREADS_SPAWNED = 8192;

/** Pending asynchronous operations (PARK waiters, Timer.sleep, ThreadHandle.join) at once; more: budget/memory. */
export const MAX_PENDING_OPS = 4096;
