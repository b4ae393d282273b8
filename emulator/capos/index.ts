/**
 * Public API of the capOS personality for the conformance runner.
 *
 *   runCapos(image, options?) -> { console, end, insns, events }
 *     Loads a static capOS ELF, runs it under the deterministic scheduler and returns the
 *     Console bytes, the EndState (spec/run-protocol.ts), the instructions retired and the
 *     event log (one fixed-format line per event, each prefixed with the global instruction
 *     count; see README.md). A malformed image gives EndState `rejected` with the ElfError
 *     message. Never throws for any image bytes or guest behaviour.
 *
 *   CaposMachine: the lower-level machine (load, step, run, observer) for tests.
 *   MutantName / MUTANT_NAMES: seeded bugs, off by default.
 */
import type { Binding } from "../../spec/binding.js";
import type { EndState, Schedule } from "../../spec/run-protocol.js";
import { CaposMachine } from "./machine.js";
import type { MutantName } from "./machine.js";
import type { PolicyName } from "./policy.js";

export { CaposMachine, CAUGHT_MUTANT_NAMES, MUTANT_NAMES, MUTANTS, DEFAULT_MAX_INSNS, DEFAULT_MAX_PAGES } from "./machine.js";
export type { MutantName, MachineOptions, ThreadInfo, WaiterInfo, RingHeader, ThreadState } from "./machine.js";
export { ElfError, parseElf, tlsLayout } from "./elf.js";
export { POLICY_NAMES, type PolicyName } from "./policy.js";
export type { ElfErrorCode, ElfImage } from "./elf.js";

export interface CaposRunOptions {
  binding?: Binding;
  schedule?: Schedule;
  /** Total instruction budget (default DEFAULT_MAX_INSNS). */
  maxInsns?: number;
  /** Memory budget in pages (default DEFAULT_MAX_PAGES). */
  maxPages?: number;
  mutant?: MutantName;
  /** Keep the event log in the result (otherwise `events` is empty). */
  trace?: boolean;
  /** The conforming choices to make where the ABI leaves one (policy.ts); default "default". */
  policy?: PolicyName;
}

export interface CaposRunResult {
  console: Uint8Array;
  end: EndState;
  insns: number;
  events: string[];
  /** Virtual time (ns) when the process ended. */
  clockNs: bigint;
  /** Virtual time (ns) when the process started. */
  clockStartNs: bigint;
}

/** Load and run a capOS image to its end state. */
export function runCapos(image: Uint8Array, options: CaposRunOptions = {}): CaposRunResult {
  // Unset options pass as undefined: the machine reads each with `??` (no spread objects per run).
  const m = new CaposMachine({
    binding: options.binding,
    schedule: options.schedule,
    maxInsns: options.maxInsns,
    maxPages: options.maxPages,
    mutant: options.mutant,
    policy: options.policy,
    maxEvents: options.trace ? 1_000_000 : 0,
  });
  m.load(image);
  const end = m.end ?? m.run();
  const r = { console: m.console, end, insns: m.insns, events: options.trace ? [...m.events] : [], clockNs: m.now, clockStartNs: m.startedAt };
  m.dispose(); // nothing outside sees m: its memory is reused by the next run
  return r;
}
