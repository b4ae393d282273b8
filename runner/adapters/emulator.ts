/**
 * The in-process emulator (emulator/capos) as an implementation under test: the default,
 * with schedule control and state inspection.
 */
import type { Binding } from "../../spec/binding.js";
import { MUTANT_NAMES, POLICY_NAMES, runCapos, type MutantName, type PolicyName } from "../../emulator/capos/index.js";
import type { Implementation, ImplementationRun, RunOptions } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";

function isMutant(name: string): name is MutantName {
  return (MUTANT_NAMES as readonly string[]).includes(name);
}

/**
 * `policy` selects the emulator's conforming choices where the ABI leaves one
 * (emulator/capos/policy.ts); the id is "emulator" or "emulator:<policy>".
 */
export async function emulatorImplementation(options: { binding: Binding; mutant?: string; policy?: string }): Promise<Implementation> {
  const { mutant, policy } = options;
  if (mutant !== undefined && !isMutant(mutant)) throw new UsageError(`unknown mutant "${mutant}" (known: ${MUTANT_NAMES.join(", ")})`);
  if (policy !== undefined && !(POLICY_NAMES as readonly string[]).includes(policy)) throw new UsageError(`unknown emulator policy "${policy}" (known: ${POLICY_NAMES.join(", ")})`);
  return {
    id: policy && policy !== "default" ? `emulator:${policy}` : "emulator",
    version: "0.1.0",
    supports: { schedule: true, inspect: true },
    reports: { faultAddress: true, faultThread: true },
    async run(image: Uint8Array, opts: RunOptions = {}): Promise<ImplementationRun> {
      const r = runCapos(image, {
        binding: options.binding,
        trace: opts.trace === true,
        ...(opts.schedule ? { schedule: opts.schedule } : {}),
        ...(opts.maxInsns ? { maxInsns: opts.maxInsns } : {}),
        ...(mutant !== undefined ? { mutant } : {}),
        ...(policy !== undefined ? { policy: policy as PolicyName } : {}),
      });
      return { console: r.console, end: r.end, insns: r.insns, events: r.events, clockNs: r.clockNs, clockStartNs: r.clockStartNs };
    },
  };
}
