/** Public API of the user-mode x86-64 CPU (see README.md). */
export { CpuState, getReg64, setReg64, getRegNum, setRegNum, REG_NAMES } from "./state.js";
export { Memory, MemoryBudgetExceeded, PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PAGE } from "./memory.js";
export type { MemorySnapshot } from "./memory.js";
export { run, fetchInsn } from "./run.js";
export type { Stop, Fault } from "./fault.js";
export { getFlags, setFlags } from "./flags.js";
export { cpuid, virtualTsc } from "./ops/system.js";
export { snapshotMachine, restoreMachine, snapshotCpu, restoreCpu } from "./snapshot.js";
export type { MachineSnapshot, CpuSnapshot } from "./snapshot.js";
export { TraceRing } from "./trace.js";
export { describeFault, describeRegs, disassembleAt } from "./describe.js";
