/**
 * Process start-to-exit of tiny programs: the emulator's load (ELF lay-out, initial stack) and
 * run in process, against whole-process native and qemu-x86_64 times, in turn, with medians.
 */
import { readFileSync, existsSync } from "node:fs";
import { buildProgram, LIBC_CFLAGS } from "../../emulator/linux/test/harness.js";
import { BUSYBOX, QEMU, emulate, type Program } from "./programs.js";
import { JIT_THRESHOLD } from "../../emulator/cpu/run.js";
import { alternate, median, timeProcess } from "./timing.js";

export interface StartupRow { name: string; insns: number; load: number; run: number; native: number; qemu: number }

export function measureStartup(rounds: number): StartupRow[] {
  const progs: Program[] = [{ name: "freestanding (selfmod)", kind: "synthetic", bin: buildProgram("selfmod"), args: [] }];
  try { progs.push({ name: "static glibc printf", kind: "synthetic", bin: buildProgram("libc_printf", LIBC_CFLAGS), args: [] }); } catch { /* no static libc: row left out */ }
  if (existsSync(BUSYBOX)) progs.push({ name: "busybox true", kind: "real", bin: BUSYBOX, args: ["true"] }, { name: "busybox echo hi", kind: "real", bin: BUSYBOX, args: ["echo", "hi"] });
  const rows: StartupRow[] = [];
  for (const p of progs) {
    const elf = new Uint8Array(readFileSync(p.bin));
    let insns = 0;
    const loads: number[] = [];
    const s = alternate(rounds, {
      emu: () => { const r = emulate(elf, p, JIT_THRESHOLD); insns = r.insns; loads.push(r.load); return r.run; },
      native: () => timeProcess(p.bin, p.args).t,
      qemu: () => (QEMU ? timeProcess(QEMU, [p.bin, ...p.args]).t : null),
    });
    rows.push({ name: p.name, insns, load: median(loads), run: median(s.emu), native: median(s.native), qemu: median(s.qemu) });
  }
  return rows;
}
