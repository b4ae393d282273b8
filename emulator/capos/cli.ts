/**
 * `conform run-elf --personality capos ELF`: run one capOS ELF in the emulator.
 *
 *   runCaposElf(["path/to.elf", "--schedule", S, "--max-insns", N, "--trace", "--binding", F, "--mutant", M])
 *
 * Prints the process's Console output to stdout and resolves to its exit status:
 *   exit(code)        -> code & 0xff
 *   fault #PF / #GP   -> 139, #UD -> 132, #DE -> 136 (the fault line goes to stderr)
 *   hang              -> 125 (message on stderr)
 *   budget            -> 124 (message on stderr)
 *   rejected image    -> 126 (the one-line ElfError on stderr)
 * (the numbers are spec/run-protocol.ts COMMAND_STATUS, which command adapters read back)
 *   bad usage         -> 64
 * --schedule takes a file (JSON Schedule or the encodeSchedule text), a decimal seed, or
 * the encodeSchedule text itself. --trace prints the event log to stderr.
 */
import { existsSync, readFileSync, writeSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { loadBindingFile } from "../../spec/binding-file.js";
import type { Binding } from "../../spec/binding.js";
import { COMMAND_STATUS } from "../../spec/run-protocol.js";
import type { EndState, Schedule } from "../../spec/run-protocol.js";
import { decodeSchedule } from "../../spec/run-protocol.js";
import { runCapos } from "./index.js";
import { POLICY_NAMES, type PolicyName } from "./policy.js";
import { MUTANT_NAMES } from "./machine.js";
import type { MutantName } from "./machine.js";

/** Parse a --schedule argument: file, seed or encoded schedule. */
export function parseScheduleArg(arg: string): Schedule {
  if (existsSync(arg)) {
    const text = readFileSync(arg, "utf8").trim();
    if (text.startsWith("{")) {
      const j = JSON.parse(text) as Schedule;
      if (!Array.isArray(j.decisions)) throw new Error(`${arg}: schedule JSON needs a "decisions" array`);
      return j;
    }
    return decodeSchedule(text);
  }
  if (/^\d+$/.test(arg)) return decodeSchedule(`${arg}::`);
  // A path that is not there is a typo, not an encoded schedule (those always hold two ':').
  if (!arg.includes(":")) throw new Error(`${arg}: no such schedule file, and not a seed or an encoded schedule (seed:quantum:pick.quantum,...)`);
  return decodeSchedule(arg);
}

/** Exit status for an end state (see the module comment). */
export function exitStatus(end: EndState): number {
  switch (end.kind) {
    case "exit":
      return end.code & 0xff;
    case "fault":
      return end.fault === "#UD" ? COMMAND_STATUS.faultUD : end.fault === "#DE" ? COMMAND_STATUS.faultDE : COMMAND_STATUS.faultPF;
    case "hang":
      return COMMAND_STATUS.hang;
    case "budget":
      return COMMAND_STATUS.budget;
    case "rejected":
      return COMMAND_STATUS.rejected;
  }
}

/** One-line description of a non-exit end state. */
export function describeEnd(end: EndState): string {
  switch (end.kind) {
    case "exit":
      return `exit ${end.code}`;
    case "fault":
      return `fault ${end.fault}${end.addr !== undefined ? " addr=0x" + end.addr.toString(16) : ""}${end.access ? " " + end.access : ""}${end.thread !== undefined ? " thread " + end.thread : ""}`;
    case "hang":
      return "hang: every thread is blocked and no deadline is pending";
    case "budget":
      return `budget: ${end.what} budget exhausted`;
    case "rejected":
      return end.reason;
  }
}

/**
 * Write all of `bytes` to stdout, then resolve. Straight to fd 1: creating process.stdout loads
 * Node's stream and net modules, several milliseconds of a probe's whole run. Should fd 1 refuse
 * (a full non-blocking pipe: EAGAIN; a closed one), the rest goes through process.stdout as
 * before, which waits for the pipe to drain and reports errors the stream's way.
 */
async function writeStdout(bytes: Uint8Array): Promise<void> {
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch {
    await new Promise<void>((resolve) => process.stdout.write(bytes.subarray(written), () => resolve()));
  }
}

/**
 * Two call forms: `runCaposElf(argv)` with the ELF path and options in argv, or the form
 * tools/cli/run-elf.ts uses, `runCaposElf(elf, args, { maxInsns })`, where `args` holds the
 * options after the ELF (--schedule, --trace, ...) and `maxInsns` applies unless args has
 * its own --max-insns.
 */
export async function runCaposElf(argvOrElf: string[] | string, extra: string[] = [], defaults: { maxInsns?: number } = {}): Promise<number> {
  let argv: string[];
  if (typeof argvOrElf === "string") {
    argv = [argvOrElf, ...extra];
    if (defaults.maxInsns !== undefined && !extra.includes("--max-insns")) argv.push("--max-insns", String(defaults.maxInsns));
  } else argv = argvOrElf;
  const cmd = new Command("run-elf")
    .argument("<elf>", "capOS ELF image")
    .option("--schedule <s>", "schedule file, seed, or encoded schedule")
    .option("--max-insns <n>", "instruction budget")
    .option("--max-pages <n>", "memory budget in pages")
    .option("--trace", "print the event log to stderr")
    .option("--binding <file>", "binding JSON file")
    .option("--mutant <name>", `seeded bug: ${MUTANT_NAMES.join(", ")}`)
    .option("--policy <name>", `conforming choices where the ABI leaves one: ${POLICY_NAMES.join(", ")} (default: default)`)
    .option("--personality <p>", "accepted for convenience; must be capos")
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) });
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 64;
    throw e;
  }
  const opts = cmd.opts<{ schedule?: string; maxInsns?: string; maxPages?: string; trace?: boolean; binding?: string; mutant?: string; policy?: string; personality?: string }>();
  const elfPath = cmd.args[0]!;
  const fail = (msg: string) => {
    process.stderr.write(`run-elf: ${msg}\n`);
    return 64;
  };
  if (opts.personality !== undefined && opts.personality !== "capos") return fail(`personality ${opts.personality} is not capos`);
  if (opts.mutant !== undefined && !(MUTANT_NAMES as readonly string[]).includes(opts.mutant)) return fail(`unknown mutant ${opts.mutant}`);
  if (opts.policy !== undefined && !(POLICY_NAMES as readonly string[]).includes(opts.policy)) return fail(`unknown policy ${opts.policy} (known: ${POLICY_NAMES.join(", ")})`);
  let schedule: Schedule | undefined;
  let binding: Binding | undefined;
  let image: Uint8Array;
  try {
    if (opts.schedule !== undefined) schedule = parseScheduleArg(opts.schedule);
    if (opts.binding !== undefined) binding = loadBindingFile(opts.binding);
    image = new Uint8Array(readFileSync(elfPath));
  } catch (e) {
    return fail((e as Error).message);
  }
  const maxInsns = opts.maxInsns !== undefined ? Number(opts.maxInsns) : undefined;
  const maxPages = opts.maxPages !== undefined ? Number(opts.maxPages) : undefined;
  if (maxInsns !== undefined && !(Number.isSafeInteger(maxInsns) && maxInsns >= 0)) return fail(`bad --max-insns ${opts.maxInsns}`);
  if (maxPages !== undefined && !(Number.isSafeInteger(maxPages) && maxPages > 0)) return fail(`bad --max-pages ${opts.maxPages}`);
  const r = runCapos(image, {
    ...(binding ? { binding } : {}),
    ...(schedule ? { schedule } : {}),
    ...(maxInsns !== undefined ? { maxInsns } : {}),
    ...(maxPages !== undefined ? { maxPages } : {}),
    ...(opts.mutant ? { mutant: opts.mutant as MutantName } : {}),
    ...(opts.policy ? { policy: opts.policy as PolicyName } : {}),
    trace: opts.trace === true,
  });
  await writeStdout(r.console);
  if (opts.trace) process.stderr.write(r.events.map((l) => l + "\n").join(""));
  if (r.end.kind !== "exit") process.stderr.write(`run-elf: ${describeEnd(r.end)}\n`);
  return exitStatus(r.end);
}
