/**
 * Snapshot/restore of a whole machine (CPU states of all threads + the shared Memory).
 * Snapshots are plain data (typed arrays and numbers), independent of the live objects.
 */
import { CpuState } from "./state.js";
import { Memory } from "./memory.js";
import type { MemorySnapshot } from "./memory.js";

export interface CpuSnapshot {
  readonly lo: Int32Array; readonly hi: Int32Array; readonly rip: number;
  readonly fop: number; readonly fw: number; readonly fa: number; readonly fah: number; readonly fb: number;
  readonly fbh: number; readonly fr: number; readonly frh: number; readonly fc: number; readonly flags: number;
  readonly fsBase: number; readonly gsBase: number; readonly xmm: Uint8Array; readonly mxcsr: number;
  readonly st: Uint8Array; readonly ftop: number; readonly fcw: number; readonly fsw: number; readonly ftag: number;
  readonly tsc: number; readonly icount: number;
}
export interface MachineSnapshot { readonly cpus: readonly CpuSnapshot[]; readonly mem: MemorySnapshot; }

export function snapshotCpu(c: CpuState): CpuSnapshot {
  return {
    lo: c.lo.slice(), hi: c.hi.slice(), rip: c.rip, fop: c.fop, fw: c.fw, fa: c.fa, fah: c.fah, fb: c.fb, fbh: c.fbh,
    fr: c.fr, frh: c.frh, fc: c.fc, flags: c.flags, fsBase: c.fsBase, gsBase: c.gsBase, xmm: c.x8.slice(), mxcsr: c.mxcsr,
    st: c.st.slice(), ftop: c.ftop, fcw: c.fcw, fsw: c.fsw, ftag: c.ftag, tsc: c.tsc, icount: c.icount,
  };
}
export function restoreCpu(c: CpuState, s: CpuSnapshot): void {
  c.lo.set(s.lo); c.hi.set(s.hi); c.rip = s.rip;
  c.fop = s.fop; c.fw = s.fw; c.fa = s.fa; c.fah = s.fah; c.fb = s.fb; c.fbh = s.fbh; c.fr = s.fr; c.frh = s.frh; c.fc = s.fc;
  c.flags = s.flags; c.fsBase = s.fsBase; c.gsBase = s.gsBase; c.x8.set(s.xmm); c.mxcsr = s.mxcsr;
  c.st.set(s.st); c.ftop = s.ftop; c.fcw = s.fcw; c.fsw = s.fsw; c.ftag = s.ftag; c.tsc = s.tsc; c.icount = s.icount;
}
export function cpuFromSnapshot(s: CpuSnapshot): CpuState { const c = new CpuState(); restoreCpu(c, s); return c; }

export function snapshotMachine(cpus: readonly CpuState[], mem: Memory): MachineSnapshot {
  return { cpus: cpus.map(snapshotCpu), mem: mem.snapshot() };
}
/** Fresh CPU and Memory objects equal to the snapshot. */
export function restoreMachine(s: MachineSnapshot): { cpus: CpuState[]; mem: Memory } {
  return { cpus: s.cpus.map(cpuFromSnapshot), mem: Memory.fromSnapshot(s.mem) };
}
