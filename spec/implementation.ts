/**
 * The one interface an implementation under test offers the conformance runner.
 *
 * An adapter loads an ELF image (the process gets the binding's default CapSet), runs it,
 * and reports the Console bytes and how the process ended. Optional abilities are declared,
 * not assumed: a property that needs schedule control is reported `unsupported` on an
 * implementation that lacks it, never failed.
 */
import type { CaseEnd, Schedule } from "./run-protocol.js";

export interface ImplementationRun {
  readonly console: Uint8Array;
  /** How the case ended; a runner-imposed end (timeout, output cap, protocol break) is a failure. */
  readonly end: CaseEnd;
  /** Guest instructions executed, when the implementation can count them. */
  readonly insns?: number;
  /** Implementation event log (one line per event), when available. */
  readonly events?: readonly string[];
  /** The implementation's virtual clock (ns, as Timer.now counts) when the process ended, when it reports one. */
  readonly clockNs?: bigint;
  /** The same clock when the process started (Timer.now's origin is the implementation's choice, TIMERX-1). */
  readonly clockStartNs?: bigint;
}

export interface RunOptions {
  /** Only honoured by implementations with `supports.schedule`. */
  readonly schedule?: Schedule;
  readonly maxInsns?: number;
  /** Ask for the event log (costly; the runner asks only when re-running a failure). */
  readonly trace?: boolean;
}

export type Ability = "schedule" | "inspect";

export interface Implementation {
  /** Short id used in repro lines, e.g. "emulator" or "cmd:<command>". */
  readonly id: string;
  readonly version: string;
  readonly supports: Readonly<Record<Ability, boolean>>;
  /**
   * What the implementation's end states carry. faultAddress: every #PF names its address
   * (a #PF without one then fails); faultThread: a fault names the faulting thread by its
   * creation index (0 = initial, k = the k-th thread created), compared with the model's.
   * Absent: neither is reported, and the checker does not ask for them.
   */
  readonly reports?: { readonly faultAddress?: boolean; readonly faultThread?: boolean };
  run(image: Uint8Array, options?: RunOptions): Promise<ImplementationRun>;
  /** Stop whatever the implementation keeps running between cases (a batch process). */
  close?(): Promise<void>;
}
