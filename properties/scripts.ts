/**
 * Agent-script properties, one per clause group: the implementation runs a generated op
 * script and the model decides whether the observed run is allowed. Race properties carry
 * their steering in the script (spins, yields, sleeps: any implementation, real hardware
 * included) and add a generated schedule where the implementation offers schedule control;
 * each case reports which steering it had.
 */
import fc from "fast-check";
import { fsScript, handoffScript, parkScript, protectScript, timerScript, vmEdgeScript, vmScript } from "../generators/scripts.js";
import { schedule } from "../generators/schedules.js";
import { buildVmScript, commandsPathOf, vmCommands, type VmCase } from "../generators/vm-commands.js";
import { encodeSchedule, type Schedule } from "../spec/run-protocol.js";
import type { Script } from "../spec/agent-protocol.js";
import { property, type ConformanceProperty } from "./property.js";
import type { Binding } from "../spec/binding.js";
import { runAgentCase } from "./agent-run.js";
import { SITUATION } from "./reach.js";

interface AgentCase {
  readonly script: Script;
  readonly schedule?: Schedule;
}

export function agentProperty(p: {
  id: string;
  title: string;
  clauses: string[];
  runs: number;
  /** Interleavings matter: the script carries guest steering, and a schedule comes on top where the implementation offers schedule control. */
  steered: boolean;
  situation?: string;
  script: (b: Binding) => fc.Arbitrary<Script>;
}): ConformanceProperty {
  return property<AgentCase>({
    id: p.id,
    group: p.id.split(".")[0]!,
    title: p.title,
    clauses: p.clauses,
    ...(p.situation ? { situation: p.situation } : {}),
    needs: [],
    runs: p.runs,
    arbitrary: (b, impl) =>
      p.steered && impl.supports.schedule
        ? fc.record({ script: p.script(b), schedule: schedule({ threads: 4 }) })
        : p.script(b).map((script) => ({ script })),
    describe: (c) => ({ script: c.script, ...(c.schedule ? { schedule: encodeSchedule(c.schedule) } : {}) }),
    check: (c, ctx) => runAgentCase(c.script, c.schedule, ctx),
  });
}

export const vmSequences = agentProperty({
  id: "vm.sequences",
  title: "VirtualMemory map/reserve/commit/decommit/protect/unmap sequences with loads and stores",
  clauses: ["VM-1", "VM-2", "VM-3", "VM-4", "VMX-2", "VMX-3", "VMX-4", "VMX-6", "GO-2", "GO-3", "GO-4", "GO-5", "GO-6", "PROCX-2", "CON-1", "ENTER-1"],
  situation: SITUATION.protectThenAccess,
  runs: 60,
  steered: false,
  script: (b) => fc.oneof({ weight: 1, arbitrary: vmScript(b) }, { weight: 3, arbitrary: protectScript(b) }),
});

export const vmEdgeArguments = agentProperty({
  id: "vm.edge-arguments",
  title: "VirtualMemory rejects zero, unaligned, out-of-window and over-quota arguments without side effects",
  clauses: ["VMX-1", "VMX-5", "VMX-7", "VM-5", "ERR-2"],
  situation: SITUATION.vmRefused,
  runs: 40,
  steered: false,
  script: (b) => vmEdgeScript(b),
});

export const parkRaces = agentProperty({
  id: "park.races",
  title: "PARK/UNPARK races over shared words under forced interleavings",
  // SYS-3: scripts that do not join end with exit(0) while waiters may still be parked.
  clauses: ["PARK-1", "PARK-2", "PARK-3", "PARK-4", "PARKX-1", "PARKX-2", "PARKX-3", "PARKX-4", "PARKX-8", "THR-1", "THR-2", "THR-3", "THRX-1", "THRX-2", "SYS-3"],
  situation: SITUATION.parkBlocked,
  runs: 40,
  steered: true,
  script: (b) => fc.oneof(parkScript(b, { drain: false }), handoffScript(b)),
});

export const parkDrain = agentProperty({
  id: "park.drain-on-unmap",
  title: "Unmap and decommit drain park waiters before the range can be reused",
  // PARKX-7 is not cited: no sequence the ABI allows leaves a waiter under an older
  // generation (see its clause), so no run can judge it.
  clauses: ["PARK-6", "PARKX-6", "PARKX-9", "GO-8"],
  situation: SITUATION.waiterDrained,
  runs: 40,
  steered: true,
  script: (b) => parkScript(b, { drain: true }),
});

export const fsPerThread = agentProperty({
  id: "fs.per-thread",
  title: "Per-thread FS base survives switches; TLS reads in every thread see the template",
  clauses: ["TLS-3", "TLS-4", "FSB-1", "FSB-2", "FSB-3", "FSB-4", "FSB-5", "TLSV2-6", "THR-1", "THR-4", "SYS-4", "THRX-1", "THRX-2", "THRX-3", "CON-1", "ENTER-1"],
  situation: SITUATION.fsSwitchWhileDiffer,
  runs: 30,
  steered: true,
  script: (b) => fsScript(b),
});

export const timerMonotonic = agentProperty({
  id: "timer.monotonic",
  title: "Timer.now is monotonic; sleeps and park timeouts never end early",
  clauses: ["TIMERX-1", "PARK-5", "PARKX-3", "PARKX-4", "GO-7"],
  situation: SITUATION.parkTimeoutFired,
  runs: 30,
  steered: false,
  script: (b) => timerScript(b),
});

/**
 * The same VirtualMemory ground as vm.sequences, generated as fast-check commands
 * (`fc.commands` + `fc.modelRun`) so that shrinking drops whole commands and keeps every
 * access tied to a live region; the built script is judged by the model checker.
 */
export const vmModelBased = property<VmCase>({
  id: "vm.model-based",
  group: "vm",
  title: "VirtualMemory command sequences (fc.commands) judged by the model",
  clauses: ["VM-1", "VM-2", "VM-3", "VMX-1", "VMX-2", "VMX-3", "VMX-4", "VMX-5", "VMX-6", "GO-2", "GO-3", "GO-4", "GO-5", "GO-6", "PROCX-2"],
  situation: SITUATION.protectThenAccess,
  needs: [],
  runs: 60,
  arbitrary: (b, _impl, commandsPath) => vmCommands(b, commandsPath),
  commandsPathOf,
  // The commands as fast-check prints them (with their replayPath) and the script they built.
  describe: (c) => ({ commands: `${String(c.first)},${c.cycle ? `${String(c.cycle)},` : ""}${String(c.commands)},${String(c.last)}`, script: { threads: [buildVmScript(c)] } }),
  check: (c, ctx) => runAgentCase({ threads: [buildVmScript(c)] }, undefined, ctx),
});
