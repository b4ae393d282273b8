/**
 * CaposMachine: the capOS kernel personality (one process) on top of the emulator CPU. A
 * façade over the kernel state (kernel.ts) and its subsystems, one module each:
 *
 *   process.ts     process start (PT_LOADs, stack, TLS, ring, CapSet, entry registers)
 *   syscalls.ts    exit and cap_enter (SYSX-1)
 *   ring.ts        one ring per thread: SQE validation, CQE posting, CQ overflow (RINGX-*)
 *   opcodes.ts     what each SQE opcode does; call.ts the CALL opcode
 *   captable.ts    capability slots and generation-tagged ids
 *   caps/          the capability methods, one module per family (console, virtual-memory,
 *                  threads, timer) and the method table (caps/index.ts)
 *   park.ts        PARK / UNPARK / drain (PARK-*, PARKX-*)
 *   threads.ts     the thread table; scheduling.ts the scheduler glue and faults
 *   timer.ts       virtual time and deadlines
 *   address-space.ts  the VirtualMemory window; policy.ts the implementation's choices
 *   observer.ts    read-only views; events.ts the event log; mutants.ts the seeded bugs
 *
 * Everything here is written from spec/ only (never model/).
 */
import type { Binding } from "../../spec/binding.js";
import { DEFAULT_BINDING, INTERFACE_NAMES } from "../../spec/binding.js";
import type { EndState, Schedule } from "../../spec/run-protocol.js";
import { getReg64, setReg64 } from "../cpu/state.js";
import type { CpuState } from "../cpu/state.js";
import type { AddressSpace, MappingInfo } from "./address-space.js";
import { ElfError } from "./elf.js";
import { Kernel, ProcessEnded } from "./kernel.js";
import type { MutantName } from "./mutants.js";
import { POLICIES, type PolicyName } from "./policy.js";
import * as observer from "./observer.js";
import type { RingHeader, ThreadInfo, WaiterInfo } from "./observer.js";
import { loadCached } from "./image-cache.js";
import { step } from "./scheduling.js";
import { consumeRing, syscall } from "./syscalls.js";

export { CAUGHT_MUTANT_NAMES, MUTANT_NAMES, MUTANTS } from "./mutants.js";
export type { MutantName } from "./mutants.js";
export type { ThreadInfo, WaiterInfo, RingHeader } from "./observer.js";
export type { ThreadState } from "./threads.js";

export interface MachineOptions {
  binding?: Binding;
  schedule?: Schedule;
  /** Total instruction budget (EndState budget/instructions). */
  maxInsns?: number;
  /** Memory budget in 4 KiB pages (EndState budget/memory). */
  maxPages?: number;
  mutant?: MutantName;
  /** Cap on event log lines kept (older ones are kept, later dropped). */
  maxEvents?: number;
  /** Which conforming choices the machine makes where the ABI leaves one (policy.ts); default "default". */
  policy?: PolicyName;
}

export const DEFAULT_MAX_INSNS = 50_000_000;
export const DEFAULT_MAX_PAGES = 1 << 16;

export class CaposMachine {
  private readonly k: Kernel;

  constructor(opts: MachineOptions = {}) {
    this.k = new Kernel({
      binding: opts.binding ?? DEFAULT_BINDING,
      schedule: opts.schedule,
      maxInsns: opts.maxInsns ?? DEFAULT_MAX_INSNS,
      maxPages: opts.maxPages ?? DEFAULT_MAX_PAGES,
      mutant: opts.mutant ?? null,
      maxEvents: opts.maxEvents ?? 200_000,
      policy: POLICIES[opts.policy ?? "default"],
    });
  }

  get binding(): Binding {
    return this.k.binding;
  }
  get mutant(): MutantName | null {
    return this.k.mutant;
  }
  get maxInsns(): number {
    return this.k.maxInsns;
  }
  get as(): AddressSpace {
    return this.k.as;
  }

  /** Load an image. Returns the rejection as an ElfError (also recorded as EndState rejected). */
  load(image: Uint8Array): ElfError | null {
    const r = loadCached(this.k, image);
    return r instanceof ElfError ? r : null;
  }

  /**
   * Take one scheduling decision and run the chosen thread until its next scheduling point.
   * Returns false once the process has ended.
   */
  step(): boolean {
    if (this.k.endState) return false;
    this.unwinding(() => step(this.k));
    return this.k.endState === null;
  }

  /**
   * The caller is done with this machine (runCapos, once it has copied the result out): its
   * memory's buffers go back for the next process to reuse (address-space.ts release), as do
   * its threads' CPUs (threads.ts) and its console buffer. Only end, insns, events and the
   * clock stay usable.
   */
  dispose(): void {
    this.k.as.release();
    this.k.threads.release();
    this.k.releaseConsole();
  }

  /** Run to the end; returns the end state. */
  run(): EndState {
    while (this.step()) {
      /* loop */
    }
    return this.k.endState!;
  }

  // ---- observer (read-only) -------------------------------------------------------------

  get insns(): number {
    return this.k.icount;
  }
  get now(): bigint {
    return this.k.vtime;
  }
  /** Virtual time when the process started (the policy's clock origin). */
  get startedAt(): bigint {
    return this.k.vtimeStart;
  }
  get end(): EndState | null {
    return this.k.endState;
  }
  get events(): readonly string[] {
    return this.k.log.lines;
  }
  get console(): Uint8Array {
    return observer.consoleBytes(this.k);
  }
  threadInfo(): ThreadInfo[] {
    return observer.threadInfo(this.k);
  }
  /** Park waiters in FIFO order, with their keys (addr, page generation). */
  parkWaiters(): WaiterInfo[] {
    return observer.parkWaiters(this.k);
  }
  /** Waiters on the word's current key. */
  waiterCount(addr: number): number {
    return observer.waiterCount(this.k, addr);
  }
  /** Keys thread `id` waits on. */
  parkedOn(id: number): { addr: number; gen: number }[] {
    return observer.parkedOn(this.k, id);
  }
  mappings(): MappingInfo[] {
    return this.k.as.mappings();
  }
  ringHeader(threadId: number): RingHeader {
    return observer.ringHeader(this.k, threadId);
  }
  /** The ring page address of thread `id`. */
  ringOf(threadId: number): number {
    return this.k.threads.get(threadId).ring;
  }
  /** CPU state of a thread (tests only: mutate at your own risk). */
  cpuOf(threadId: number): CpuState {
    return this.k.threads.get(threadId).cpu;
  }

  // ---- test hooks: drive the kernel without the CPU ---------------------------------------

  /**
   * Consume thread `id`'s SQ (RINGX-1..4). Returns "done", "stop" (the thread or process
   * ended) or "yield" (lost-wake mutant: a continuation is pending).
   */
  processRing(id: number): "done" | "stop" | "yield" {
    const t = this.k.threads.get(id);
    return consumeRing(this.k, t);
  }

  /** Perform cap_enter(min, timeout) for thread `id` as if it had made the syscall. */
  enterFromTest(id: number, min: number, timeout: bigint): bigint {
    const k = this.k;
    const t = k.threads.get(id);
    const S = k.binding.syscall;
    setReg64(t.cpu, k.reg(S.numberRegister), BigInt(S.numbers.capEnter));
    setReg64(t.cpu, k.reg(S.argRegisters[0]!), BigInt(min));
    setReg64(t.cpu, k.reg(S.argRegisters[1]!), timeout);
    this.unwinding(() => syscall(k, t));
    return getReg64(t.cpu, k.reg(S.returnRegister));
  }

  /** Run a kernel entry; the process ending inside it (memory budget) just unwinds. */
  private unwinding(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ProcessEnded)) throw e;
    }
  }
}

export { INTERFACE_NAMES };
