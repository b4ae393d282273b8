/**
 * `npx tsx tools/cachegrind-marginal.ts NAME-FILTER [THRESHOLD] [FACTOR]`: host instructions per
 * guest instruction of a synthetic bench program (tools/bench/programs.ts; its first argument is
 * its length), counted by valgrind's cachegrind over two processes, each running the program
 * three times at a fifth of its bench length (V8 warms up, the regions compile) and then once at
 * 3 times its bench length, or 3 x FACTOR times (default 3), under the JIT threshold given
 * (default 1024, the bench's default tier; 0: the interpreter alone). The figure is the marginal
 * one, the extra host instructions over the extra guest instructions: the load, V8's warm-up and
 * the region's compile cancel. (Without the warm-up runs, whether a compile lands in the measured
 * run moved the loop's figure by 10%.) It is what sessions 12 and 13 merged speed work on: whole-process counts are
 * the same from run to run (about 1%), where timings on this shared machine move by tens of per
 * cent. `node --single-threaded` makes V8 compile on the main thread so its work is counted; that
 * is right for the quality of steady code and wrong for a change to V8's compile scheduling
 * (session 13's note). Exit 0 with a figure; 3 when valgrind is missing (said on one line); 2 on
 * bad arguments; 1 when a run fails.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchPrograms, emulate } from "./bench/programs.js";

const [filter, thArg = "1024", factorArg = "3", child] = process.argv.slice(2);
const threshold = Number(thArg), factor = Number(factorArg);
const usage = "usage: cachegrind-marginal.ts NAME-FILTER [THRESHOLD] [FACTOR]";
if (filter === undefined || !(threshold >= 0) || !(factor > 1)) { process.stderr.write(`${usage}\n`); process.exit(2); }
const program = benchPrograms().find((p) => p.kind === "synthetic" && p.name.includes(filter));
if (program === undefined || !/^\d+$/.test(program.args[0] ?? "")) {
  process.stderr.write(`no synthetic bench program with a length argument matches "${filter}": ${benchPrograms().filter((p) => p.kind === "synthetic").map((p) => p.name).join(", ")}\n`);
  process.exit(2);
}

if (child !== undefined) {
  // warm-up runs, then the measured one in this (valgrind's) process: print the guest instructions it retired
  const elf = new Uint8Array(readFileSync(program.bin)), warm = String(Math.max(1, Math.round(Number(program.args[0]) / 5)));
  for (let i = 0; i < 3; i++) emulate(elf, { ...program, args: [warm, ...program.args.slice(1)] }, threshold);
  const r = emulate(elf, { ...program, args: [child, ...program.args.slice(1)] }, threshold);
  process.stdout.write(`${r.insns}\n`);
  process.exit(0);
}

if (spawnSync("valgrind", ["--version"]).status !== 0) { process.stdout.write("skipped: valgrind is not installed (apt-get install valgrind)\n"); process.exit(3); }

/** Host instructions (cachegrind's I refs) and guest instructions of one run at `length`. */
function measure(length: number): { host: number; guest: number } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync("valgrind", ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
    process.execPath, "--single-threaded", ...process.execArgv, self, filter!, thArg, factorArg, String(length)], { encoding: "utf8", maxBuffer: 1 << 26 });
  const refs = /I\s+refs:\s+([\d,]+)/.exec(r.stderr), guest = Number(r.stdout.trim());
  if (r.status !== 0 || refs === null || !(guest > 0)) {
    process.stderr.write(`run at length ${length} failed (status ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}\n`);
    process.exit(1);
  }
  return { host: Number(refs[1]!.replaceAll(",", "")), guest };
}

const n = 3 * Number(program.args[0]);
const short = measure(n), long = measure(Math.round(n * factor));
const marginal = (long.host - short.host) / (long.guest - short.guest);
process.stdout.write(`${program.name}, threshold ${threshold}: ${short.guest} and ${long.guest} guest instructions, ${short.host} and ${long.host} host; marginal ${marginal.toFixed(2)} host per guest instruction\n`);
