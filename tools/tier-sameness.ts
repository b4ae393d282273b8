/**
 * `tsx tools/tier-sameness.ts`: the bench's guest programs run by the interpreter alone, by the
 * default tier policy, and by the loop policy with its promotion volumes scaled down to nothing
 * (every inlinable loop compiled at its 16th entry, entered at every block head): the exit,
 * the exact retired-instruction count and stdout must be the same (exit status 1 otherwise).
 * A compiled-tier change must leave every line "same".
 */
import { readFileSync } from "node:fs";
import { benchPrograms } from "./bench/programs.js";
import { LinuxProcess } from "../emulator/linux/process.js";
import { setJitThreshold, logRegions, regionLog, sideEntries, DEFAULT_JIT_THRESHOLD } from "../emulator/cpu/run.js";
import { setPromoteScale } from "../emulator/cpu/jit.js";
let bad = 0;
for (const p of benchPrograms()) {
  const elf = new Uint8Array(readFileSync(p.bin));
  const argv = p.kind === "real" ? ["busybox", ...p.args] : [p.bin, ...p.args];
  const go = (th: number, scale: number) => {
    setJitThreshold(th); setPromoteScale(scale); logRegions(true);
    const s0 = sideEntries;
    const r = new LinuxProcess(elf, { argv, maxInsns: 1e11, allowHostFiles: true }).run();
    const regions = regionLog?.length ?? 0; logRegions(false); setPromoteScale(1); setJitThreshold(DEFAULT_JIT_THRESHOLD);
    return { key: JSON.stringify([r.verdict, r.insns, Buffer.from(r.stdout).toString("hex")]), regions, side: sideEntries - s0, insns: r.insns };
  };
  const a = go(0, 1), b = go(DEFAULT_JIT_THRESHOLD, 1), c = go(16, 1e-6);
  const ok = a.key === b.key && a.key === c.key;
  if (!ok) bad++;
  console.log(`${p.name.padEnd(26)} ${a.insns} insns; default ${b.regions} regions; aggressive ${c.regions} regions, ${c.side} side entries: ${ok ? "same" : "DIFFERENT"}`);
}
process.exit(bad ? 1 : 0);
