/**
 * `npx tsx tools/cachegrind-marginal.ts NAME-FILTER [THRESHOLD] [FACTOR] [--cache]`: host
 * instructions per guest instruction of a bench program (tools/bench/programs.ts), counted by
 * valgrind's cachegrind over two processes under the JIT threshold given (default 1024, the
 * bench's default tier; 0: the interpreter alone). The figure is the marginal one, the extra host
 * instructions over the extra guest instructions: the load, V8's warm-up and the regions' compile
 * cancel. It is what sessions 12 and 13 merged speed work on: whole-process counts are the same
 * from run to run, where timings on this shared machine move by tens of per cent.
 *
 * - A synthetic program (its first argument is its length): each process runs it three times at
 *   a fifth of its bench length (V8 warms up, the regions compile; without them, whether a
 *   compile landed in the measured run moved the loop's figure by 10%), then once at 3 times its
 *   bench length, or 3 x FACTOR times (default 3). About 0.6% from run to run.
 * - A real program (busybox; its input is fixed): each process runs it once to warm up, then
 *   once, or FACTOR times (default 3). GC work lands differently from run to run: a few per cent.
 *
 * `--cache` also simulates the host's caches (cachegrind's I1 and D1, 32 KiB 8-way, and an LL
 * of 1 MiB 16-way, the size of this machine's L2 pair) and reports misses per guest instruction
 * and an estimate of cycles, Ir + 10 (I1 + D1 misses) + 100 LL misses. Why: real programs run
 * thousands of distinct instructions and hundreds of handlers, and their cost is in cache misses
 * as much as in instructions (session 16: busybox sort -n took ~2 I1 and ~4 D1 misses per guest
 * instruction, most of the I1 ones in handlers evicted by interpret()'s 45 KB of machine code),
 * so an instruction count alone can call a change that grows the loop a gain. The simulation
 * makes valgrind several times slower.
 *
 * `node --single-threaded` makes V8 compile on the main thread so its work is counted; that is
 * right for the quality of steady code and wrong for a change to V8's compile scheduling
 * (session 13's note). Exit 0 with a figure; 3 when valgrind is missing (said on one line); 2 on
 * bad arguments; 1 when a run fails.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { benchPrograms, emulate, type Program } from "./bench/programs.js";
import { EXIT } from "./cli/exit-status.js";
import { parseNonNegativeInt, parsePositiveNumber } from "./cli/parse.js";

/** The events read from cachegrind's summary, and their names there. */
const EVENTS = { Ir: "I\\s+refs", I1: "I1\\s+misses", D1: "D1\\s+misses", LL: "LL\\s+misses" } as const;
type Counts = Record<keyof typeof EVENTS, number>;
/** The caches simulated with --cache (see the header). */
const CACHE_ARGS = ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"];

/** FACTOR: a number above 1 (the long process must do more work than the short one). */
function parseFactor(text: string): number {
  const n = parsePositiveNumber(text);
  if (!(n > 1)) throw new InvalidArgumentError("expected a number greater than 1, e.g. 3.");
  return n;
}

/** Set in the processes run under valgrind: the work to measure (a length, or a number of runs). */
const CHILD_ENV = "CAPOS_CACHEGRIND_WORK";

interface Args { filter: string; threshold: number; factor: number; cache: boolean; child?: string }
function parseArgs(argv: readonly string[]): Args {
  const cmd = new Command("cachegrind-marginal.ts")
    .description("host instructions (and with --cache, cache misses) per guest instruction of a bench program, valgrind's marginal between two run lengths")
    .argument("<name-filter>", "a bench program whose name contains this")
    .argument("[threshold]", "JIT threshold (0: the interpreter alone)", parseNonNegativeInt, 1024)
    .argument("[factor]", "the long process runs FACTOR times the short one's measured work", parseFactor, 3)
    .option("--cache", "also simulate the host's caches and report misses per guest instruction")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try { cmd.parse([...argv], { from: "user" }); } catch (e) { if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT.usage); throw e; }
  const [filter, threshold, factor] = cmd.processedArgs as [string, number, number];
  return { filter, threshold, factor, cache: cmd.opts<{ cache?: boolean }>().cache === true, child: process.env[CHILD_ENV] };
}

const args = parseArgs(process.argv.slice(2));
const program = benchPrograms().find((p) => p.name.includes(args.filter));
if (program === undefined) {
  process.stderr.write(`no bench program matches "${args.filter}": ${benchPrograms().map((p) => p.name).join(", ")}\n`);
  process.exit(EXIT.usage);
}
const synthetic = program.kind === "synthetic" && /^\d+$/.test(program.args[0] ?? "");

/** A synthetic program's arguments at another length. */
const atLength = (p: Program, length: number): Program => ({ ...p, args: [String(length), ...p.args.slice(1)] });

if (args.child !== undefined) {
  // the warm-up, then the measured work in this (valgrind's) process: print the guest instructions it retired
  const elf = new Uint8Array(readFileSync(program.bin)), work = Number(args.child);
  let guest = 0;
  if (synthetic) {
    const warm = Math.max(1, Math.round(Number(program.args[0]) / 5));
    for (let i = 0; i < 3; i++) emulate(elf, atLength(program, warm), args.threshold);
    guest = emulate(elf, atLength(program, work), args.threshold).insns;
  } else {
    emulate(elf, program, args.threshold);
    for (let i = 0; i < work; i++) guest += emulate(elf, program, args.threshold).insns;
  }
  process.stdout.write(`${guest}\n`);
  process.exit(0);
}

if (spawnSync("valgrind", ["--version"]).status !== 0) { process.stdout.write("skipped: valgrind is not installed (apt-get install valgrind)\n"); process.exit(3); }

/** Cachegrind's counts and the guest instructions of one process doing `work` (a length, or a number of runs). */
function measure(work: number): { counts: Counts; guest: number } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync("valgrind", ["--tool=cachegrind", ...(args.cache ? CACHE_ARGS : ["--cache-sim=no"]), "--cachegrind-out-file=/dev/null",
    process.execPath, "--single-threaded", ...process.execArgv, self, args.filter, String(args.threshold), String(args.factor)],
    { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, [CHILD_ENV]: String(work) } });
  const guest = Number(r.stdout.trim());
  const counts = {} as Counts;
  for (const [k, name] of Object.entries(EVENTS) as [keyof Counts, string][]) {
    const m = new RegExp(`${name}:\\s+([\\d,]+)`).exec(r.stderr);
    counts[k] = m === null ? NaN : Number(m[1]!.replaceAll(",", ""));
  }
  if (r.status !== 0 || !(counts.Ir > 0) || (args.cache && !(counts.D1 >= 0)) || !(guest > 0)) {
    process.stderr.write(`the run of ${work} failed (status ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}\n`);
    process.exit(1);
  }
  return { counts, guest };
}

const shortWork = synthetic ? 3 * Number(program.args[0]) : 1;
// at least one more run of a real program (a factor of 1.2 would round a single run to one)
const longWork = Math.max(shortWork + 1, Math.round(shortWork * args.factor));
const short = measure(shortWork), long = measure(longWork);
const per = (k: keyof Counts): number => (long.counts[k] - short.counts[k]) / (long.guest - short.guest);
let line = `${program.name}, threshold ${args.threshold}: ${short.guest} and ${long.guest} guest instructions, ${short.counts.Ir} and ${long.counts.Ir} host; marginal ${per("Ir").toFixed(2)} host per guest instruction`;
if (args.cache) {
  const est = per("Ir") + 10 * (per("I1") + per("D1")) + 100 * per("LL");
  line += `; I1 misses ${per("I1").toFixed(3)}, D1 misses ${per("D1").toFixed(3)}, LL misses ${per("LL").toFixed(3)} per guest instruction; estimate ${est.toFixed(1)} cycles per guest instruction`;
}
process.stdout.write(`${line}\n`);
