/**
 * The kernel's state for one process: every table and queue the subsystems share, plus the
 * three things every subsystem needs (the event log, the syscall registers, ending the
 * process). Behaviour lives in the subsystem modules, which take a `Kernel` as first argument;
 * this module imports none of them, so the personality's modules form no import cycle.
 */
import type { Binding } from "../../spec/binding.js";
import type { EndState } from "../../spec/run-protocol.js";
import { MemoryBudgetExceeded } from "../cpu/memory.js";
import { REG_NAMES, getReg64, getRegNum, setRegNum } from "../cpu/state.js";
import { AddressSpace } from "./address-space.js";
import { KERNEL_CHARGE, MAX_CONSOLE_BYTES, MAX_PENDING_OPS } from "./budget.js";
import { CapTable } from "./captable.js";
import { EventLog, describeEnd } from "./events.js";
import type { MutantName } from "./mutants.js";
import type { Policy } from "./policy.js";
import { Scheduler } from "./schedule.js";
import type { Schedule } from "../../spec/run-protocol.js";
import { ThreadTable } from "./threads.js";
import type { Thread } from "./threads.js";

/** A thread parked on a user word (PARK), keyed by (address, page generation). */
export interface Waiter {
  readonly thread: Thread;
  readonly addr: number;
  readonly gen: number;
  readonly userData: bigint;
  readonly deadline: bigint | null;
  readonly seq: number;
}

/** A pending Timer.sleep CALL. */
export interface Sleeper {
  readonly thread: Thread;
  readonly deadline: bigint;
  readonly userData: bigint;
  readonly resultAddr: number;
  readonly resultLen: number;
  readonly seq: number;
}

/** A pending ThreadHandle.join CALL. */
export interface Joiner {
  readonly thread: Thread;
  readonly target: Thread;
  readonly userData: bigint;
  readonly resultAddr: number;
  readonly resultLen: number;
}

/** A pending deadline as the timer sees it; due ones fire in (deadline, seq) order. */
export interface Deadline {
  readonly deadline: bigint;
  readonly seq: number;
  readonly fire: () => void;
}

/** Thrown internally to unwind when the process has ended (exit, fault, budget). */
export class ProcessEnded extends Error {}

export interface KernelOptions {
  binding: Binding;
  schedule: Schedule | undefined;
  maxInsns: number;
  maxPages: number;
  mutant: MutantName | null;
  maxEvents: number;
  /** The implementation's choices where the ABI leaves one (policy.ts). */
  policy: Policy;
}

export const PID = 1;
const NO_BYTES = new Uint8Array(0);
/** Console buffers of ended processes (Kernel.releaseConsole), at most 1 MiB each. */
const freeConsoles: Uint8Array[] = [];
const MAX_FREE_CONSOLES = 8, MAX_KEPT_CONSOLE = 1 << 20;

/** Register index by name (the first of equal names, as REG_NAMES.indexOf finds it). */
const REG_INDEX: ReadonlyMap<string, number> = new Map([...REG_NAMES.entries()].reverse().map(([i, n]) => [n as string, i]));

export class Kernel {
  readonly binding: Binding;
  readonly mutant: MutantName | null;
  readonly policy: Policy;
  readonly maxInsns: number;
  readonly as: AddressSpace;
  readonly sched: Scheduler;
  readonly threads = new ThreadTable();
  readonly caps: CapTable;
  /** PARK waiters in enqueue order (park.ts). */
  waiters: Waiter[] = [];
  /** Pending Timer.sleep calls (caps/timer.ts). */
  sleepers: Sleeper[] = [];
  /** Pending ThreadHandle.join calls (caps/threads.ts). */
  joiners: Joiner[] = [];
  /** Creation order of deadlines: ties fire in this order. */
  seq = 0;
  /**
   * Console output: the first consoleLen bytes (caps/console.ts appends). The buffer comes from
   * a free list and goes back at releaseConsole (CaposMachine.dispose), so observers copy out.
   */
  consoleBuf: Uint8Array = NO_BYTES;
  consoleLen = 0;
  readonly log: EventLog;
  /** The thread whose CPU state is live (FS base loaded). */
  current: Thread | null = null;
  lastRunId = -1;
  /** Virtual time in ns (moves only when no thread is runnable); starts at the policy's clock origin. */
  get vtime(): bigint {
    return this.vtimeBig;
  }
  set vtime(v: bigint) {
    this.vtimeBig = v;
    this.vtimeNum = Number(v);
  }
  private vtimeBig = 0n;
  /**
   * `Number(vtime)`, kept with it: every scheduling decision reads it for the TSC, and converting
   * a BigInt each time was the largest line of a scheduling step.
   */
  vtimeNum = 0;
  /** Virtual time when the process started. */
  readonly vtimeStart: bigint;
  /** Instructions retired by all threads. */
  icount = 0;
  /** Instruction-equivalents charged for kernel work (budget.ts); counts against maxInsns. */
  charged = 0;
  endState: EndState | null = null;

  constructor(o: KernelOptions) {
    this.binding = o.binding;
    this.mutant = o.mutant;
    this.policy = o.policy;
    this.vtime = this.vtimeStart = o.policy.clockOriginNs;
    this.maxInsns = o.maxInsns;
    this.log = new EventLog(o.maxEvents);
    this.as = new AddressSpace(this.binding, o.maxPages, o.policy.placeMapping);
    this.as.mutant = this.mutant;
    this.sched = new Scheduler(o.schedule);
    this.caps = new CapTable(this.binding.capId);
  }

  /** Log an event: `k.event(k.logging ? \`...\` : "")`, so its text is built only when the log keeps it. */
  event(text: string): void {
    this.log.add(this.icount, text);
  }

  /**
   * Whether an event logged now keeps its text. Callers write `k.event(k.logging ? \`...\` : "")`
   * rather than pass a closure: a closure makes V8 allocate a context for the variables it
   * captures on every call of the function that makes it, logged or not.
   */
  get logging(): boolean {
    return this.log.keeps;
  }

  /** Register index of a binding register name. */
  reg(name: string): number {
    const i = REG_INDEX.get(name);
    if (i === undefined) throw new Error(`binding names unknown register ${name}`);
    return i;
  }
  /** Syscall argument `i` of thread `t`. */
  arg(t: Thread, i: number): bigint {
    return getReg64(t.cpu, this.reg(this.binding.syscall.argRegisters[i]!));
  }
  /** Syscall argument `i` of thread `t` as a number (signed 64-bit, exact within ±2^53: no BigInt). */
  argNum(t: Thread, i: number): number {
    return getRegNum(t.cpu, this.reg(this.binding.syscall.argRegisters[i]!));
  }
  /** Set the syscall return register of thread `t` to the integer `v` (modulo 2^64, as a BigInt write would). */
  setRet(t: Thread, v: number): void {
    setRegNum(t.cpu, this.reg(this.binding.syscall.returnRegister), v);
  }

  /** End the process (first end wins): every thread exits, every queue empties. */
  finish(e: EndState): void {
    if (this.endState) return;
    this.endState = e;
    for (const t of this.threads.all) if (t.state !== "exited") t.state = "exited";
    this.waiters = [];
    this.sleepers = [];
    this.joiners = [];
    this.event(this.logging ? `end ${describeEnd(e)}` : "");
  }

  /** The instruction budget left after retired instructions and kernel charges. */
  get insnsLeft(): number {
    return this.maxInsns - this.icount - this.charged;
  }

  /** Charge kernel work (budget.ts); the budget is checked at the next scheduling point. */
  charge(what: keyof typeof KERNEL_CHARGE, times = 1): void {
    this.charged += KERNEL_CHARGE[what] * times;
  }

  /** End the process for exceeding a memory cap (budget.ts) and unwind the kernel entry. */
  overMemory(why: string): never {
    this.event(this.logging ? `t${this.current?.id ?? "-"} over budget: ${why}` : "");
    this.finish({ kind: "budget", what: "memory" });
    throw new ProcessEnded();
  }

  /** Check the pending-operation cap before queueing one more (budget.ts MAX_PENDING_OPS). */
  pendingRoom(): void {
    const n = this.waiters.length + this.sleepers.length + this.joiners.length;
    if (n >= MAX_PENDING_OPS) this.overMemory(`${n} pending operations (cap ${MAX_PENDING_OPS})`);
  }

  /** Make room for `need` console bytes (a buffer from the free list, or one twice as large). */
  growConsole(need: number): void {
    let buf = this.consoleBuf === NO_BYTES ? freeConsoles.pop() : undefined;
    if (buf === undefined || buf.length < need) {
      if (buf !== undefined) freeConsoles.push(buf);
      buf = new Uint8Array(Math.min(MAX_CONSOLE_BYTES, Math.max(2 * this.consoleBuf.length, need, 4096)));
    }
    buf.set(this.consoleBuf.subarray(0, this.consoleLen));
    this.consoleBuf = buf;
  }
  /** The process is over and its console copied out: its buffer goes back for the next process. */
  releaseConsole(): void {
    if (this.consoleBuf !== NO_BYTES && this.consoleBuf.length <= MAX_KEPT_CONSOLE && freeConsoles.length < MAX_FREE_CONSOLES) freeConsoles.push(this.consoleBuf);
    this.consoleBuf = NO_BYTES;
    this.consoleLen = 0;
  }

  /** Run a memory-allocating operation; the memory budget ends the process. */
  memOp<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof MemoryBudgetExceeded) {
        this.finish({ kind: "budget", what: "memory" });
        throw new ProcessEnded();
      }
      throw e;
    }
  }
}
