/**
 * `capos-conform run-elf [--personality linux|capos] [options] ELF [ARGS...]`
 *
 * Runs a static x86-64 ELF under a personality, forwarding stdin/stdout/stderr and exiting
 * with the guest's status (the run protocol of spec/run-protocol.ts for capOS). capOS
 * options may also follow the ELF (--schedule FILE|SEED|ENCODED, --trace, --binding FILE,
 * --mutant NAME, --max-insns N, --max-pages N), parsed by the same argument parsers. On a
 * Linux-personality fault it prints the fault, the registers and the last instructions.
 */
import { readFileSync, writeSync } from "node:fs";
import { Command } from "commander";
import { UsageError } from "../../runner/errors.js";
import { InputFileError, readInputFile } from "../../spec/input-file.js";
import { addRunElfOptions, type RunElfOptions } from "./program.js";

export default async function runElf(elf: string | undefined, args: string[], o: RunElfOptions): Promise<number> {
  if (o.batch) {
    if (o.personality !== "capos" || elf !== undefined || o.schedule !== undefined || o.trace) throw new UsageError("--batch needs --personality capos and takes no ELF, --schedule or --trace");
    const { runCaposBatch } = await import("./run-elf-batch.js");
    return runCaposBatch({
      ...(o.binding !== undefined ? { binding: o.binding } : {}),
      ...(o.mutant !== undefined ? { mutant: o.mutant } : {}),
      ...(o.maxInsns !== undefined ? { maxInsns: String(o.maxInsns) } : {}),
      ...(o.maxPages !== undefined ? { maxPages: String(o.maxPages) } : {}),
    });
  }
  if (elf === undefined) throw new UsageError("missing the ELF argument (only --batch runs without one)");
  return o.personality === "capos" ? runCaposPersonality(elf, args, o) : runLinuxPersonality(elf, args, o);
}

/** Regular files only, within a size limit: a FIFO or /dev/zero must not block or exhaust the run. */
function readImage(elf: string): Uint8Array {
  try {
    return readInputFile(elf);
  } catch (e) {
    throw new UsageError(`cannot read ${e instanceof InputFileError ? e.message : `${elf}: ${(e as Error).message}`}`);
  }
}

function withElfPath<T>(elf: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if ((e as Error).name === "ElfError") (e as Error).message = `${elf}: ${(e as Error).message}`;
    throw e;
  }
}

async function runCaposPersonality(elf: string, args: string[], before: RunElfOptions): Promise<number> {
  // Options after the ELF: the same definitions and parsers; a bad one is a usage error (2).
  const after = addRunElfOptions(new Command("run-elf").exitOverride().allowExcessArguments(false)).option("--personality <p>").parse(args, { from: "user" }).opts<RunElfOptions>();
  const o = { ...before, ...Object.fromEntries(Object.entries(after).filter(([, v]) => v !== undefined)) } as RunElfOptions;
  if (after.personality !== undefined && (after.personality as string) !== "capos") throw new UsageError(`--personality ${after.personality} after a capos run`);
  // Check every input here so that a bad one is a usage error (2); then hand the checked
  // options to the capOS personality's own runner.
  const { parseScheduleArg, runCaposElf } = await import("../../emulator/capos/cli.js");
  try {
    if (o.schedule !== undefined) parseScheduleArg(o.schedule);
  } catch (e) {
    throw new UsageError(`bad --schedule ${o.schedule}: ${(e as Error).message}`);
  }
  if (o.binding !== undefined) (await import("../../spec/binding-file.js")).loadBindingFile(o.binding);
  readImage(elf);
  return runCaposElf([
    elf,
    ...(o.schedule !== undefined ? ["--schedule", o.schedule] : []),
    ...(o.trace ? ["--trace"] : []),
    ...(o.binding !== undefined ? ["--binding", o.binding] : []),
    ...(o.mutant !== undefined ? ["--mutant", o.mutant] : []),
    ...(o.policy !== undefined ? ["--policy", o.policy] : []),
    ...(o.maxPages !== undefined ? ["--max-pages", String(o.maxPages)] : []),
    ...(o.maxInsns !== undefined ? ["--max-insns", String(o.maxInsns)] : []),
  ]);
}

function readStdin(): Uint8Array {
  try {
    return new Uint8Array(readFileSync(0));
  } catch {
    return new Uint8Array(0);
  }
}

async function runLinuxPersonality(elf: string, args: string[], o: RunElfOptions): Promise<number> {
  if (o.schedule !== undefined || o.trace || o.binding !== undefined || o.mutant !== undefined || o.policy !== undefined || o.maxPages !== undefined)
    throw new UsageError("--schedule, --trace, --binding, --mutant, --policy and --max-pages apply to --personality capos");
  const { LinuxProcess } = await import("../../emulator/linux/process.js");
  const { TraceRing } = await import("../../emulator/cpu/trace.js");
  const { describeFault, describeRegs, disassembleAt } = await import("../../emulator/cpu/describe.js");
  const maxInsns = o.maxInsns ?? 4_000_000_000;
  const trace = new TraceRing(12);
  // An ElfError (malformed image) is a usage error: one line naming the file, exit 2.
  const proc = withElfPath(elf, () => new LinuxProcess(readImage(elf), {
    argv: [elf, ...args],
    stdin: readStdin(),
    maxInsns,
    trace,
    onStdout: (b) => writeSync(1, b),
    onStderr: (b) => writeSync(2, b),
    log: o.traceLog ? (l) => console.error(`[linux] ${l}`) : undefined,
  }));
  const res = proc.run();
  const v = res.verdict;
  switch (v.kind) {
    case "exit":
      return v.status;
    case "fault":
      console.error(`run-elf: guest fault ${describeFault(v.fault)} at rip=0x${v.rip.toString(16)} after ${res.insns} instructions`);
      console.error(describeRegs(proc.cpu));
      console.error("last instructions:");
      for (const a of trace.list()) console.error("  " + disassembleAt(proc.mem, a));
      return 139;
    case "insn-budget":
      console.error(`run-elf: instruction budget of ${maxInsns} exhausted`);
      return 124;
    case "memory-budget":
      console.error(`run-elf: memory budget of ${v.maxPages} pages exhausted`);
      return 125;
    case "hlt":
      console.error("run-elf: guest executed HLT");
      return 126;
  }
}
