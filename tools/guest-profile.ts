/**
 * `npx tsx tools/guest-profile.ts [--seeds 1,2,3] [--filter REGEX] [--top N] [--json FILE]`:
 * how many guest instructions each conformance case makes the emulator retire, and where they
 * go: per property of the default mix (its default cases on each seed), per ELF and per guest
 * function (the committed ELFs in targets/elf carry symbols; generated probes are named by
 * property). --json FILE writes it all, with per-instruction counts per case of each committed ELF
 * (to lay beside `objdump -d`).
 *
 * How: every run a property makes is run a second time on a machine whose scheduler is wrapped
 * so that each decision's quantum is retired one instruction at a time (the same thread keeps
 * running until the decision's quantum is used up or it enters the kernel, exactly where the
 * unsplit run would have stopped), and the RIP before each retired instruction is counted. A
 * budget stop does no kernel work, so the split run takes the same decisions; the tool checks
 * that each profiled run ends with the same end state, instruction count and console as the
 * property's own run and reports any that do not ("mismatched runs"). Nothing in emulator/ is
 * changed: the wrapper is installed on the machine's kernel object from outside.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CaposMachine } from "../emulator/capos/index.js";
import { cpuStats } from "../emulator/cpu/stats.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import { emulatorImplementation } from "../runner/adapters/emulator.js";
import { runProperty } from "../runner/run.js";
import { resolveAgent } from "../runner/setup.js";
import { DEFAULT_BINDING } from "../spec/binding.js";
import type { Implementation, ImplementationRun, RunOptions } from "../spec/implementation.js";
import { fileOffsetOf, parseElf, PF_X, PT_LOAD, type Elf } from "../targets/elf-reader.js";

const ELF_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "targets", "elf");

/** One function (or generated-code range) of one ELF. */
interface FnRange { readonly start: number; readonly end: number; readonly name: string }

/** A guest image as the profile names it: a committed ELF, or a generated one. */
interface ImageInfo { readonly name: string; readonly fns: readonly FnRange[] }

function textHash(elf: Elf): string {
  const h = createHash("sha256");
  for (const p of elf.phdrs) if (p.type === PT_LOAD && (p.flags & PF_X) !== 0) h.update(elf.bytes.subarray(p.offset, p.offset + p.filesz));
  return h.digest("hex");
}

/** Function ranges from the symbol table: FUNC and NOTYPE symbols in executable segments, each to the next one (or its size). */
function functionsOf(elf: Elf): FnRange[] {
  const exec = elf.phdrs.filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0);
  const inExec = (a: number) => exec.some((p) => a >= p.vaddr && a < p.vaddr + p.memsz);
  const syms = elf.symbols
    .filter((s) => s.name !== "" && ((s.info & 0xf) === 2 || (s.info & 0xf) === 0) && s.shndx !== 0 && inExec(s.value))
    .sort((a, b) => a.value - b.value || (b.info & 0xf) - (a.info & 0xf));
  const out: FnRange[] = [];
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i]!;
    if (out.length > 0 && out[out.length - 1]!.start === s.value) continue; // an alias: the FUNC one (sorted first) names it
    let next = Infinity;
    for (let j = i + 1; j < syms.length; j++) if (syms[j]!.value > s.value) { next = syms[j]!.value; break; }
    out.push({ start: s.value, end: s.size > 0 ? Math.min(s.value + s.size, next) : next, name: s.name });
  }
  return out;
}

const committed = new Map<string, ImageInfo>();
for (const f of readdirSync(ELF_DIR).sort()) {
  if (f.endsWith(".json")) continue;
  const elf = parseElf(new Uint8Array(readFileSync(join(ELF_DIR, f))));
  committed.set(textHash(elf), { name: f, fns: functionsOf(elf) });
}

function imageInfo(image: Uint8Array, property: string): ImageInfo {
  let elf: Elf;
  try {
    elf = parseElf(image);
  } catch {
    return { name: `${property}:malformed`, fns: [] };
  }
  return committed.get(textHash(elf)) ?? { name: `${property}:generated`, fns: functionsOf(elf) };
}

function nameAt(info: ImageInfo, addr: number): string {
  let lo = 0, hi = info.fns.length - 1, found: FnRange | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = info.fns[mid]!;
    if (f.start <= addr) { found = f; lo = mid + 1; } else hi = mid - 1;
  }
  return found !== undefined && addr < found.end ? found.name : `?0x${addr.toString(16)}`;
}

/** The kernel inside a CaposMachine (a private field: read here only to wrap its scheduler). */
interface KernelView {
  readonly sched: { next(runnable: readonly { readonly id: number }[], lastId: number): { index: number; quantum: number; source: string } };
  readonly charged: number;
  readonly endState: unknown;
  readonly threads: { get(id: number): { readonly cpu: { readonly rip: number; readonly icount: number } } };
}

interface Profiled { readonly counts: Map<number, number>; readonly insns: number; readonly end: unknown; readonly console: Uint8Array }

/** Run `image` again one retired instruction at a time under the same decisions; count RIPs. */
function profileRun(image: Uint8Array, opts: RunOptions): Profiled {
  const m = new CaposMachine({ binding: DEFAULT_BINDING, schedule: opts.schedule, maxInsns: opts.maxInsns, maxEvents: 0 });
  const k = (m as unknown as { k: KernelView }).k;
  const counts = new Map<number, number>();
  const real = k.sched.next.bind(k.sched);
  /** The decision being retired one instruction at a time: its thread and quantum left (Infinity for 0). */
  let cur: { id: number; left: number } | null = null;
  let last: { id: number; rip: number; icount: number; charged: number } | null = null;
  const sched = k.sched as { next: KernelView["sched"]["next"] };
  sched.next = (runnable, lastId) => {
    // The previous one-instruction step: count it, and see whether it ended the decision.
    if (last !== null) {
      const cpu = k.threads.get(last.id).cpu;
      const retired = cpu.icount - last.icount;
      if (retired === 1) counts.set(last.rip, (counts.get(last.rip) ?? 0) + 1);
      else if (retired !== 0) throw new Error(`a one-instruction step retired ${retired}`);
      // Kernel work (a syscall, a time advance) or no progress means the unsplit run would have stopped here too.
      if (cur !== null && (k.charged !== last.charged || retired !== 1)) cur = null;
      else if (cur !== null) cur.left -= 1;
    }
    let index = -1;
    const going = cur;
    if (going !== null && going.left > 0) index = runnable.findIndex((t) => t.id === going.id);
    if (index < 0) {
      const d = real(runnable, lastId);
      index = d.index;
      cur = { id: runnable[index]!.id, left: d.quantum === 0 ? Infinity : d.quantum };
    }
    const id = runnable[index]!.id;
    const cpu = k.threads.get(id).cpu;
    last = { id, rip: cpu.rip, icount: cpu.icount, charged: k.charged };
    return { index, quantum: 1, source: "profile" };
  };
  m.load(image);
  const end = m.end ?? m.run();
  // The last step (exit, fault) never came back to the scheduler: count it from its thread.
  if (last !== null) {
    const l = last as { id: number; rip: number; icount: number };
    const retired = k.threads.get(l.id).cpu.icount - l.icount;
    if (retired === 1) counts.set(l.rip, (counts.get(l.rip) ?? 0) + 1);
  }
  const r = { counts, insns: m.insns, end, console: m.console.slice() };
  m.dispose();
  return r;
}

const endText = (e: unknown) => JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));

/** Per image (or per function): instructions retired, and those the emulator retires without interpreting each. */
interface Count {
  runs: number;
  insns: number;
  /** REP string iterations (each retires as an instruction; forward MOVS/STOS run in bulk). */
  rep: number;
}

interface PropertyTally {
  cases: number;
  runs: number;
  insns: number;
  mismatched: number;
  /** cpuStats deltas over the property's own runs: counted-loop iterations retired in closed form, instructions decoded. */
  closedForm: number;
  decoded: number;
  /** Host ms inside the property's own emulator runs, and in the whole property (profiling excluded). */
  runMs: number;
  profileMs: number;
  byImage: Map<string, Count>;
  bySymbol: Map<string, Count>;
  /** Per committed ELF: retired count per instruction address (for --addrs). */
  byAddr: Map<string, Map<number, number>>;
}

const REP_STRING_OPS = new Set([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
/** Whether the instruction at `addr` is a REP/REPE/REPNE string instruction (its iterations count one each). */
function isRepString(elf: Elf | null, addr: number): boolean {
  if (elf === null) return false;
  let o: number;
  try {
    o = fileOffsetOf(elf, addr, 1);
  } catch {
    return false;
  }
  let rep = false;
  for (let i = 0; i < 15 && o + i < elf.bytes.length; i++) {
    const b = elf.bytes[o + i]!;
    if (b === 0xf3 || b === 0xf2) rep = true;
    else if (b === 0x66 || b === 0x67 || (b >= 0x40 && b <= 0x4f) || b === 0x64 || b === 0x65) continue;
    else return rep && REP_STRING_OPS.has(b);
  }
  return false;
}

function add(m: Map<string, Count>, key: string, runs: number, insns: number, rep: number): void {
  const c = m.get(key) ?? { runs: 0, insns: 0, rep: 0 };
  c.runs += runs;
  c.insns += insns;
  c.rep += rep;
  m.set(key, c);
}

function parseArgs(argv: string[]): { seeds: number[]; filter: RegExp | null; top: number; json: string | null } {
  let seeds = [1, 2, 3], filter: RegExp | null = null, top = 12, json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === "--seeds" && v) { seeds = v.split(",").map(Number); i++; }
    else if (a === "--filter" && v) { filter = new RegExp(v); i++; }
    else if (a === "--top" && v) { top = Number(v); i++; }
    else if (a === "--json" && v) { json = v; i++; }
    else {
      console.error("usage: tsx tools/guest-profile.ts [--seeds 1,2,3] [--filter REGEX] [--top N] [--json FILE]");
      process.exit(2);
    }
  }
  if (seeds.some((s) => !Number.isInteger(s)) || !Number.isInteger(top)) {
    console.error("guest-profile: --seeds takes integers separated by commas, --top an integer");
    process.exit(2);
  }
  return { seeds, filter, top, json };
}

const args = parseArgs(process.argv.slice(2));
const base = await emulatorImplementation({ binding: DEFAULT_BINDING });
let tally: PropertyTally | null = null;
let property = "";
const impl: Implementation = {
  ...base,
  async run(image: Uint8Array, opts: RunOptions = {}): Promise<ImplementationRun> {
    const t = tally!;
    const cf0 = cpuStats.closedFormInsns, dec0 = cpuStats.decoded, t0 = performance.now();
    const r = await base.run(image, opts);
    t.runMs += performance.now() - t0;
    t.closedForm += cpuStats.closedFormInsns - cf0;
    t.decoded += cpuStats.decoded - dec0;
    const t1 = performance.now();
    const p = profileRun(image, opts);
    const same = p.insns === r.insns && endText(p.end) === endText(r.end) && Buffer.compare(Buffer.from(p.console), Buffer.from(r.console)) === 0;
    if (!same) t.mismatched++;
    const info = imageInfo(image, property);
    let elf: Elf | null = null;
    try {
      elf = parseElf(image);
    } catch {
      /* a malformed image never runs */
    }
    const generated = info.name.endsWith(":generated") || info.name.endsWith(":malformed");
    let rep = 0;
    for (const [addr, n] of p.counts) {
      const isRep = isRepString(elf, addr);
      if (isRep) rep += n;
      add(t.bySymbol, `${info.name} ${generated ? "(generated code)" : nameAt(info, addr)}`, 0, n, isRep ? n : 0);
      if (!generated) {
        const a = t.byAddr.get(info.name) ?? new Map<number, number>();
        a.set(addr, (a.get(addr) ?? 0) + n);
        t.byAddr.set(info.name, a);
      }
    }
    t.runs++;
    t.insns += r.insns ?? 0;
    add(t.byImage, info.name, 1, r.insns ?? 0, rep);
    t.profileMs += performance.now() - t1;
    return r;
  },
};

const selected = ALL_PROPERTIES.filter((p) => args.filter === null || args.filter.test(p.id));
const cfg = { impl, binding: DEFAULT_BINDING, bindingName: "default", agent: resolveAgent(), properties: selected, seed: args.seeds[0]! };
const report: Record<string, unknown> = {};
let mixCases = 0, mixInsns = 0, mixInterp = 0;
const fmt = (n: number) => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
console.log(`guest instructions per case, seeds ${args.seeds.join(",")}; each run profiled again one instruction at a time.
"rep": REP string iterations (one instruction each; forward MOVS/STOS run in bulk, so they cost little host time);
"closed form": counted-loop iterations the interpreter skipped in one step (emulator/cpu/counted-loop.ts);
"interpreted" = retired - rep - closed form: what the emulator decodes and runs one by one.
host ms: wall time of the property's own emulator runs / of the whole property (checking, generation; profiling excluded); a shared machine moves these`);
for (const p of selected) {
  tally = { cases: 0, runs: 0, insns: 0, mismatched: 0, closedForm: 0, decoded: 0, runMs: 0, profileMs: 0, byImage: new Map(), bySymbol: new Map(), byAddr: new Map() };
  property = p.id;
  const statuses: string[] = [];
  const t0 = performance.now();
  for (const seed of args.seeds) {
    const r = await runProperty(p, cfg, seed);
    tally.cases += r.runs;
    if (r.status !== "passed") statuses.push(`seed ${seed} ${r.status}: ${JSON.stringify(r.failure?.message ?? r.reason ?? "").slice(0, 400)}`);
  }
  const t = tally;
  const totalMs = performance.now() - t0 - t.profileMs;
  const cases = Math.max(1, t.cases);
  const rep = [...t.byImage.values()].reduce((s, c) => s + c.rep, 0);
  const interp = t.insns - rep - t.closedForm;
  mixCases += t.cases;
  mixInsns += t.insns;
  mixInterp += interp;
  console.log(`\n## ${p.id}: ${t.cases} cases, ${t.runs} runs; per case: ${fmt(t.insns / cases)} retired, ${fmt(rep / cases)} rep, ${fmt(t.closedForm / cases)} closed form, ${fmt(interp / cases)} interpreted, ${fmt(t.decoded / cases)} decoded; host ms per case ${(t.runMs / cases).toFixed(3)} in runs / ${(totalMs / cases).toFixed(3)} in all${t.mismatched > 0 ? `; ${t.mismatched} MISMATCHED RUNS` : ""}`);
  for (const s of statuses) console.log(`  NOT PASSED: ${s}`);
  for (const [name, v] of [...t.byImage].sort((a, b) => b[1].insns - a[1].insns))
    console.log(`  ${name}: ${v.runs} runs, per run ${fmt(v.insns / v.runs)} retired (${fmt(v.rep / v.runs)} rep), per case ${fmt(v.insns / cases)}`);
  const syms = [...t.bySymbol].sort((a, b) => b[1].insns - a[1].insns);
  const profiled = syms.reduce((s, [, c]) => s + c.insns, 0);
  // every retired instruction is attributed once: the one-at-a-time profile must add up to the runs' own counts
  if (profiled !== t.insns) console.log(`  PROFILE INCOMPLETE: ${profiled} instructions attributed of ${t.insns} retired`);
  for (const [name, c] of syms.slice(0, args.top))
    console.log(`    ${((100 * c.insns) / Math.max(1, profiled)).toFixed(1).padStart(5)}%  ${fmt(c.insns / cases).padStart(8)} per case${c.rep > 0 ? ` (${fmt(c.rep / cases)} rep)` : ""}  ${name}`);
  report[p.id] = {
    cases: t.cases, runs: t.runs, insns: t.insns, rep, closedForm: t.closedForm, decoded: t.decoded, runMs: t.runMs, totalMs, mismatched: t.mismatched,
    byImage: Object.fromEntries(t.byImage), bySymbol: Object.fromEntries(syms),
    byAddr: Object.fromEntries([...t.byAddr].map(([elf, m]) => [elf, Object.fromEntries([...m].sort((a, b) => a[0] - b[0]).map(([a, n]) => [`0x${a.toString(16)}`, n / cases]))])),
  };
}
console.log(`\ndefault mix: ${mixCases} cases; per case ${fmt(mixInsns / Math.max(1, mixCases))} retired, ${fmt(mixInterp / Math.max(1, mixCases))} interpreted`);
if (args.json !== null) writeFileSync(args.json, JSON.stringify(report, null, 1) + "\n");
