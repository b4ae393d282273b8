/**
 * `conform run-elf [--personality linux|capos] [--max-insns N] [capos options] ELF [ARGS...]`
 *
 * capOS options (before or after the ELF): --schedule FILE|SEED|ENCODED, --trace (event log
 * to stderr), --binding FILE, --mutant NAME, --max-pages N.
 *
 * Runs a static x86-64 ELF under a personality, forwarding stdin/stdout/stderr and exiting
 * with the guest status. On a fault it prints the fault, the registers and the last
 * instructions (disassembled with iced-x86).
 */
import { readFileSync, writeSync } from "node:fs";
import type { Command } from "commander";
import { LinuxProcess } from "../../emulator/linux/process.js";
import { ElfError } from "../../emulator/linux/elf.js";
import { TraceRing } from "../../emulator/cpu/trace.js";
import { describeFault, describeRegs, disassembleAt } from "../../emulator/cpu/describe.js";
import { runCaposElf } from "../../emulator/capos/cli.js";
import { runCaposBatch } from "./run-elf-batch.js";

export function registerRunElf(program: Command): void {
  program
    .command("run-elf")
    .description("run a static x86-64 ELF under an emulator personality")
    .option("--personality <name>", "linux | capos", "linux")
    .option("--max-insns <n>", "instruction budget (default: 4e9 linux, 5e7 capos)")
    .option("--trace-log", "log unknown syscalls to stderr", false)
    .option("--schedule <s>", "capos: schedule file, seed or encoded schedule")
    .option("--trace", "capos: print the event log to stderr")
    .option("--binding <file>", "capos: binding JSON of the ABI numbers")
    .option("--mutant <name>", "capos: run with a seeded bug")
    .option("--policy <name>", "capos: the emulator's conforming choices where the ABI leaves one (default | alternate)")
    .option("--max-pages <n>", "capos: memory budget in pages")
    .option("--batch", "capos: read ELF paths on stdin, one per line, answer each with a JSON result line (spec/runner-protocol.md)")
    .argument("[elf]", "static ELF executable (none with --batch)")
    .argument("[args...]", "guest arguments (after the program name)")
    .passThroughOptions()
    .action(async (elf: string | undefined, args: string[], o: RunElfOptions) => {
      if (o.batch) {
        if (o.personality !== "capos" || elf !== undefined || o.schedule !== undefined || o.trace) {
          console.error("run-elf: --batch needs --personality capos and takes no ELF, --schedule or --trace");
          process.exitCode = 2;
        } else process.exitCode = await runCaposBatch(o);
        return;
      }
      if (elf === undefined) {
        console.error("run-elf: missing the ELF argument");
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runElfCommand(elf, args, o);
    });
}

function readStdin(): Uint8Array {
  try { return new Uint8Array(readFileSync(0)); } catch { return new Uint8Array(0); }
}

interface RunElfOptions {
  personality: string;
  maxInsns?: string;
  traceLog: boolean;
  schedule?: string;
  trace?: boolean;
  binding?: string;
  mutant?: string;
  policy?: string;
  maxPages?: string;
  batch?: boolean;
}

export async function runElfCommand(elf: string, args: string[], o: RunElfOptions): Promise<number> {
  const maxInsns = Number(o.maxInsns ?? 4_000_000_000);
  if (!Number.isSafeInteger(maxInsns) || maxInsns <= 0) { console.error(`bad --max-insns ${o.maxInsns}`); return 2; }
  if (o.personality === "capos") {
    // Options given before the ELF are handed on to the capOS CLI like those after it.
    const forwarded = [
      ...(o.schedule !== undefined ? ["--schedule", o.schedule] : []),
      ...(o.trace ? ["--trace"] : []),
      ...(o.binding !== undefined ? ["--binding", o.binding] : []),
      ...(o.mutant !== undefined ? ["--mutant", o.mutant] : []),
      ...(o.policy !== undefined ? ["--policy", o.policy] : []),
      ...(o.maxPages !== undefined ? ["--max-pages", o.maxPages] : []),
      ...(o.maxInsns !== undefined ? ["--max-insns", o.maxInsns] : []),
    ];
    args = [...forwarded, ...args];
    return await runCaposElf(elf, args);
  }
  if (o.personality !== "linux") { console.error(`unknown personality ${o.personality}`); return 2; }
  if (o.schedule !== undefined || o.trace || o.binding !== undefined || o.mutant !== undefined || o.policy !== undefined) {
    console.error("--schedule, --trace, --binding, --mutant and --policy apply to --personality capos");
    return 2;
  }
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(elf)); } catch (e) { console.error(`cannot read ${elf}: ${(e as Error).message}`); return 2; }
  const trace = new TraceRing(12);
  let proc: LinuxProcess;
  try {
    proc = new LinuxProcess(bytes, {
      argv: [elf, ...args], stdin: readStdin(), maxInsns, trace,
      onStdout: (b) => writeSync(1, b), onStderr: (b) => writeSync(2, b),
      log: o.traceLog ? (l) => console.error(`[linux] ${l}`) : undefined,
    });
  } catch (e) {
    if (e instanceof ElfError) { console.error(`run-elf: ${e.message}`); return 2; }
    throw e;
  }
  const res = proc.run();
  const v = res.verdict;
  switch (v.kind) {
    case "exit": return v.status;
    case "fault":
      console.error(`run-elf: guest fault ${describeFault(v.fault)} at rip=0x${v.rip.toString(16)} after ${res.insns} instructions`);
      console.error(describeRegs(proc.cpu));
      console.error("last instructions:");
      for (const a of trace.list()) console.error("  " + disassembleAt(proc.mem, a));
      return 139;
    case "insn-budget": console.error(`run-elf: instruction budget of ${maxInsns} exhausted`); return 124;
    case "memory-budget": console.error(`run-elf: memory budget of ${v.maxPages} pages exhausted`); return 125;
    case "hlt": console.error("run-elf: guest executed HLT"); return 126;
  }
}
