/**
 * `npx tsx tools/elf-sameness.ts OLD_ELF_DIR [SEEDS]`: after a change to targets/ (runtime or programs), show
 * that the rebuilt ELFs in targets/elf do what the old ones (OLD_ELF_DIR, e.g. a copy of targets/elf taken
 * before the rebuild) did. Agent: every agent-script case of the properties on SEEDS (default 1,2,3) is run
 * with the old and the new agent image (the same script patched into each) under a schedule that switches
 * only at syscalls (defaultQuantum 0), where the interleaving does not depend on instruction counts: the
 * console bytes, the end state and every event (without its instruction count; a fault's RIP as
 * function+offset) must be equal. Probes: each committed probe, under that schedule and the default one.
 * Exit 1 on any difference. Under a case's own schedule (quanta counted in instructions) runs may
 * legitimately differ; they are counted, not judged.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCapos, type CaposRunResult } from "../emulator/capos/index.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import { emulatorImplementation } from "../runner/adapters/emulator.js";
import { runProperty } from "../runner/run.js";
import { resolveAgent } from "../runner/setup.js";
import { DEFAULT_BINDING } from "../spec/binding.js";
import type { Implementation, RunOptions } from "../spec/implementation.js";
import type { Schedule } from "../spec/run-protocol.js";
import { ELF_DIR } from "../targets/manifest.js";
import { fileOffsetOf, parseElf, symbol, type Elf } from "../targets/elf-reader.js";

const [oldDir, seedArg] = process.argv.slice(2);
if (!oldDir) {
  console.error("usage: tsx tools/elf-sameness.ts OLD_ELF_DIR [SEEDS]");
  process.exit(2);
}
const seeds = (seedArg ?? "1,2,3").split(",").map(Number);
const AT_SYSCALLS: Schedule = { decisions: [], defaultQuantum: 0 };

function functionAt(elf: Elf, a: number): string {
  let best: { name: string; value: number } | null = null;
  for (const s of elf.symbols) if (s.name !== "" && ((s.info & 0xf) === 2 || (s.info & 0xf) === 0) && s.value <= a && (best === null || s.value > best.value)) best = s;
  return best ? `${best.name}+${(a - best.value).toString(16)}` : a.toString(16);
}
/** What a run shows, line by line: console lines, the end state, events (instruction count dropped, RIPs by function). */
const text = (r: CaposRunResult, elf: Elf) => [
  ...Buffer.from(r.console).toString("latin1").split("\n").map((l) => `console: ${l}`),
  `end: ${JSON.stringify(r.end, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`,
  ...r.events.map((l) => "event: " + l.replace(/^\d+ /, "").replace(/rip=0x([0-9a-f]+)/, (_m, h: string) => `rip=${functionAt(elf, parseInt(h, 16))}`)),
];
/** The first difference between two runs' observable behaviour, or null. */
function difference(a: CaposRunResult, ea: Elf, b: CaposRunResult, eb: Elf): string | null {
  const x = text(a, ea), y = text(b, eb);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i}: ${String(x[i]).slice(0, 160)} | ${String(y[i]).slice(0, 160)}`;
  return null;
}
const run = (image: Uint8Array, schedule: Schedule | undefined, maxInsns?: number) =>
  runCapos(image, { binding: DEFAULT_BINDING, trace: true, ...(schedule ? { schedule } : {}), ...(maxInsns ? { maxInsns } : {}) });

let failures = 0;
// Probes (and the agent with its own empty script).
for (const f of readdirSync(ELF_DIR).sort()) {
  if (f.endsWith(".json")) continue;
  const oldBytes = new Uint8Array(readFileSync(join(oldDir, f))), newBytes = new Uint8Array(readFileSync(join(ELF_DIR, f)));
  const eo = parseElf(oldBytes), en = parseElf(newBytes);
  const cols: string[] = [];
  for (const [name, s] of [["at syscalls", AT_SYSCALLS], ["default", undefined]] as const) {
    const a = run(oldBytes, s), b = run(newBytes, s);
    const d = difference(a, eo, b, en);
    if (d !== null) failures++;
    cols.push(`${name}: ${d === null ? "same" : `DIFFERENT (${d})`}, ${a.insns} -> ${b.insns} insns`);
  }
  console.log(`${f.padEnd(24)} ${cols.join("; ")}`);
}

// Agent scripts from the properties.
const oldAgent = new Uint8Array(readFileSync(join(oldDir, "agent.gcc"))), newAgent = new Uint8Array(readFileSync(join(ELF_DIR, "agent.gcc")));
const eo = parseElf(oldAgent), en = parseElf(newAgent);
const oOff = fileOffsetOf(eo, symbol(eo, "capos_script")!.value), nOff = fileOffsetOf(en, symbol(en, "capos_script")!.value);
const scriptBytes = 65536;
const base = await emulatorImplementation({ binding: DEFAULT_BINDING });
let runs = 0, differ = 0, ownScheduleSame = 0, oldInsns = 0, newInsns = 0;
const impl: Implementation = {
  ...base,
  async run(image: Uint8Array, opts: RunOptions = {}) {
    if (image.length === newAgent.length && Buffer.from(image.subarray(0, nOff)).equals(Buffer.from(newAgent.subarray(0, nOff)))) {
      const old = oldAgent.slice();
      old.set(image.subarray(nOff, nOff + scriptBytes), oOff);
      const now = image.slice();
      const a = run(old, AT_SYSCALLS, opts.maxInsns), b = run(now, AT_SYSCALLS, opts.maxInsns);
      runs++;
      oldInsns += a.insns;
      newInsns += b.insns;
      const d = difference(a, eo, b, en);
      if (d !== null && differ++ < 5) console.log(`  agent run ${runs}: ${d}`);
      if (difference(run(old, opts.schedule, opts.maxInsns), eo, run(now, opts.schedule, opts.maxInsns), en) === null) ownScheduleSame++;
    }
    return base.run(image, opts);
  },
};
const agentProps = ALL_PROPERTIES.filter((p) => ["fs", "vm", "park", "timer"].includes(p.group) || /^(ring\.completion-pressure|cap\.release-reuse)$/.test(p.id));
for (const p of agentProps) for (const seed of seeds) {
  const r = await runProperty(p, { impl, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: agentProps, seed }, seed);
  if (r.status !== "passed") { failures++; console.log(`${p.id} seed ${seed}: ${r.status}`); }
}
failures += differ;
console.log(`agent: ${runs} runs of ${agentProps.map((p) => p.id).join(", ")} on seeds ${seeds.join(",")}; at syscalls ${runs - differ} identical, ${differ} different; under their own schedules ${ownScheduleSame} identical; retired ${oldInsns} -> ${newInsns} (${(newInsns / Math.max(1, oldInsns)).toFixed(4)}x)`);
process.exit(failures === 0 ? 0 : 1);
