/**
 * The in-process emulator (emulator/capos) as an implementation under test: the default,
 * with schedule control and state inspection.
 *
 * Loaded lazily so that the runner's other parts work without it.
 */
import type { Binding } from "../../spec/binding.js";
import type { EndState, Schedule } from "../../spec/run-protocol.js";
import type { Implementation, ImplementationRun, RunOptions } from "../implementation.js";
import { UsageError } from "../errors.js";

interface CaposModule {
  runCapos(
    image: Uint8Array,
    options?: { binding?: Binding; schedule?: Schedule; maxInsns?: number; mutant?: string; trace?: boolean },
  ): { console: Uint8Array; end: EndState; insns: number; events: string[] };
  MUTANT_NAMES: readonly string[];
}

const MODULE = "../../emulator/capos/index.js";

export async function loadCaposModule(): Promise<CaposModule> {
  return (await import(MODULE)) as CaposModule;
}

export async function emulatorImplementation(options: { binding: Binding; mutant?: string }): Promise<Implementation> {
  const capos = await loadCaposModule();
  if (options.mutant && !capos.MUTANT_NAMES.includes(options.mutant))
    throw new UsageError(`unknown mutant "${options.mutant}" (known: ${capos.MUTANT_NAMES.join(", ")})`);
  return {
    id: "emulator",
    version: "0.1.0",
    supports: { schedule: true, inspect: true },
    async run(image: Uint8Array, opts: RunOptions = {}): Promise<ImplementationRun> {
      const r = capos.runCapos(image, {
        binding: options.binding,
        trace: true,
        ...(opts.schedule ? { schedule: opts.schedule } : {}),
        ...(opts.maxInsns ? { maxInsns: opts.maxInsns } : {}),
        ...(options.mutant ? { mutant: options.mutant } : {}),
      });
      return { console: r.console, end: r.end, insns: r.insns, events: r.events };
    },
  };
}
