/**
 * `npx tsx tools/handler-profile.ts [NAME-FILTER] [TOP]`: what the interpreter executes in each
 * bench program (tools/bench/programs.ts; those whose name contains NAME-FILTER): block length,
 * how blocks end, the share of instructions that call their handler (no inline form in
 * interpret(): ops/inline-forms.ts) and the TOP commonest of those by instruction shape
 * (iced-x86's Intel text with registers reduced to their width and numbers to N).
 *
 * How: the program runs with the tier on and a threshold it never reaches, so interpret()
 * counts each block head's entries (Insn.heat) and compiles nothing; each block's instructions
 * are then weighted by its head's entries. A block rebuilt after its code was rewritten loses its
 * earlier entries, so the line says what share of the retired instructions it covers.
 */
import { readFileSync } from "node:fs";
import { benchPrograms } from "./bench/programs.js";
import { LinuxProcess } from "../emulator/linux/process.js";
import { setJitThreshold, DEFAULT_JIT_THRESHOLD } from "../emulator/cpu/run.js";
import { disassembleAt } from "../emulator/cpu/describe.js";
import { K_CALL, K_JCC, K_JMP, K_CALLREL, K_RET } from "../emulator/cpu/ops/inline-forms.js";
import type { Insn } from "../emulator/cpu/insn.js";
import type { Memory } from "../emulator/cpu/memory.js";

const [filter = "", topArg = "30"] = process.argv.slice(2);
const top = Number(topArg);
if (!(top >= 0)) { process.stderr.write("usage: handler-profile.ts [NAME-FILTER] [TOP]\n"); process.exit(2); }

/** The instruction's text with registers reduced to their width and numbers to N. */
function shapeOf(mem: Memory, addr: number): string {
  return disassembleAt(mem, addr).replace(/^[0-9a-f]+: .{30} /, "").replace(/\b[0-9A-Fa-f]+h\b|\b\d+\b/g, "N")
    .replace(/\b(r[a-ds][xip]|r[sd]i|r\d+)\b/g, "R64").replace(/\b(e[a-ds][xip]|e[sd]i|r\d+d)\b/g, "R32")
    .replace(/\b([a-d][lh]|[sd]il|r\d+b|spl|bpl)\b/g, "R8").replace(/\b(r\d+w|[a-d]x|[sd]i)\b/g, "R16").replace(/xmm\d+/g, "X");
}
const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(1)}%`;

for (const p of benchPrograms().filter((q) => q.name.includes(filter))) {
  setJitThreshold(0x3fffffff);
  const argv = p.kind === "real" ? ["busybox", ...p.args] : [p.bin, ...p.args];
  const proc = new LinuxProcess(new Uint8Array(readFileSync(p.bin)), { argv, maxInsns: 1e11, allowHostFiles: true });
  const res = proc.run();
  setJitThreshold(DEFAULT_JIT_THRESHOLD);
  const shapes = new Map<number, string>(), calls = new Map<string, number>(), ends = new Map<string, number>();
  let total = 0, entries = 0, called = 0, heads = 0;
  for (const pg of proc.mem.pages.values()) {
    for (const d of (pg.icache ?? []) as (Insn | undefined)[]) {
      if (d === undefined || d.heat === 0 || d.block === null) continue;
      const h = d.heat, blk = d.block;
      heads++; entries += h; total += h * blk.length;
      for (const x of blk) {
        if (x.k !== K_CALL) continue;
        let s = shapes.get(x.addr);
        if (s === undefined) shapes.set(x.addr, s = shapeOf(proc.mem, x.addr));
        calls.set(s, (calls.get(s) ?? 0) + h); called += h;
      }
      const last = blk[blk.length - 1]!;
      const end = last.k === K_JCC ? "jcc" : last.k === K_JMP ? "jmp rel" : last.k === K_CALLREL ? "call rel" : last.k === K_RET ? "ret" : shapeOf(proc.mem, last.addr).split(" ").slice(0, 2).join(" ");
      ends.set(end, (ends.get(end) ?? 0) + h);
    }
  }
  console.log(`\n${p.name}: ${res.insns} instructions retired, ${pct(total, res.insns)} counted; ${heads} block heads entered ${entries} times, ${(total / entries).toFixed(1)} instructions per block`);
  console.log(`  handler calls: ${pct(called, total)} of the instructions`);
  console.log(`  blocks end in: ${[...ends].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${pct(v, entries)}`).join(", ")}`);
  for (const [s, n] of [...calls].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(n, total).padStart(6)}  ${s}`);
}
