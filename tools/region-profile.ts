/**
 * `npx tsx tools/region-profile.ts [NAME-FILTER] [TOP]`: what the compiled tier does with each
 * bench program (tools/bench/programs.ts; those whose name contains NAME-FILTER) under the
 * default policy: the regions it compiled (still compiled or dropped, and the instructions per
 * entry run.ts's demotion probe last counted), then the TOP blocks by interpreted instructions
 * with the last verdict jit.ts's policy gave their head (jit.ts explainRegions: "later" with
 * its volume and bar, "too big", "handler" at which instruction, "no cycle", ...). It is how
 * session 12 found sha256's round loop declined inside its nest, and that the other programs'
 * hot loops run a few trips per entry.
 *
 * How: one run of the program on the default tier; a block's count is its head's entries in the
 * interpreter (Insn.heat; the compiled code does not count), times its length.
 */
import { readFileSync } from "node:fs";
import { benchPrograms } from "./bench/programs.js";
import { LinuxProcess } from "../emulator/linux/process.js";
import { logRegions, regionLog } from "../emulator/cpu/run.js";
import { WASM_SLICE } from "../emulator/cpu/jit-wasm.js";
import { explainRegions } from "../emulator/cpu/jit.js";
import { disassembleAt } from "../emulator/cpu/describe.js";
import type { Insn } from "../emulator/cpu/insn.js";

const [filter = "", topArg = "12"] = process.argv.slice(2);
const top = Number(topArg);
if (!(top >= 0)) { process.stderr.write("usage: region-profile.ts [NAME-FILTER] [TOP]\n"); process.exit(2); }
const hex = (n: number) => n.toString(16);
const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(1)}%`;

for (const p of benchPrograms().filter((q) => q.name.includes(filter))) {
  const verdicts = new Map<Insn, string>();
  explainRegions((head, why, at) => { verdicts.set(head, at === undefined ? why : `${why} at ${hex(at.addr)}`); });
  const argv = p.kind === "real" ? ["busybox", ...p.args] : [p.bin, ...p.args];
  const proc = new LinuxProcess(new Uint8Array(readFileSync(p.bin)), { argv, maxInsns: 1e11, allowHostFiles: true });
  logRegions(true);
  let res;
  try { res = proc.run(); } finally { explainRegions(null); }
  const regions = regionLog ?? [];
  logRegions(false);
  const text = (addr: number) => disassembleAt(proc.mem, addr).replace(/^[0-9a-f]+: .{30} /, "");
  console.log(`\n${p.name}: ${res.insns} instructions retired, ${regions.length} regions compiled`);
  for (const h of regions) {
    const perEntry = h.jitRuns > 0 ? ` ${Math.round(h.jitRetired / h.jitRuns)} instructions per entry over its last ${h.jitRuns} entries` : "";
    console.log(`  region ${hex(h.addr)}${h.jitSlice === WASM_SLICE ? " (wasm)" : ""}: ${h.jit === null ? "dropped" : "compiled"};${perEntry}`);
  }
  const blocks: Insn[] = [];
  for (const pg of proc.mem.pages.values()) {
    for (const d of (pg.icache ?? []) as (Insn | undefined)[]) if (d !== undefined && d.heat > 0 && d.block !== null) blocks.push(d);
  }
  const ran = (d: Insn) => d.heat * d.block!.length;
  blocks.sort((a, b) => ran(b) - ran(a));
  for (const d of blocks.slice(0, top)) {
    const last = d.block![d.block!.length - 1]!;
    console.log(`  ${hex(d.addr)}: ${pct(ran(d), res.insns).padStart(6)} interpreted, ${d.heat} entries x ${d.block!.length}, ends ${text(last.addr)}; ${verdicts.get(d) ?? "not looked at"}`);
  }
}
