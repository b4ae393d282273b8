/**
 * Run one campaign case to its verdict, in the calling process (a worker child). Budgets are
 * the campaign's (small, so 10^5 cases fit in minutes); the default-budget wall-time bound of
 * runaway guests is tested separately (test/runaway.test.ts).
 */
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { runCapos } from "../../emulator/capos/index.js";
import { runLinuxElf } from "../../emulator/linux/process.js";
import { ElfError as LinuxElfError } from "../../emulator/linux/elf.js";
import { commandImplementation } from "../../runner/adapters/command.js";
import type { Case, CommandKind } from "./cases.js";

/** Campaign budgets: instructions and pages per personality run. */
export const CAMPAIGN_MAX_INSNS = 200_000;
export const CAMPAIGN_MAX_PAGES = 16_384;
/** Wall-clock limit the command adapter gets for a hostile command. */
export const COMMAND_TIMEOUT_MS = 3_000;

/** A typed verdict per personality, e.g. "capos:budget/instructions linux:fault/#PF". */
export type Verdict = string;

function capos(image: Uint8Array): string {
  const e = runCapos(image, { binding: DEFAULT_BINDING, maxInsns: CAMPAIGN_MAX_INSNS, maxPages: CAMPAIGN_MAX_PAGES }).end;
  return `capos:${e.kind}${e.kind === "budget" ? "/" + e.what : e.kind === "fault" ? "/" + e.fault : ""}`;
}

function linux(image: Uint8Array): string {
  try {
    const v = runLinuxElf(image, { argv: ["guest"], maxInsns: CAMPAIGN_MAX_INSNS, maxPages: CAMPAIGN_MAX_PAGES }).verdict;
    return `linux:${v.kind}${v.kind === "fault" ? "/" + v.fault.type : ""}`;
  } catch (e) {
    // A typed refusal of the image is a verdict; anything else is a harness bug (rethrown).
    if (e instanceof LinuxElfError) return "linux:rejected";
    throw e;
  }
}

const COMMANDS: Readonly<Record<CommandKind, string>> = {
  hang: "exec sleep 60 # {elf}",
  flood: "head -c 200000000 /dev/zero; : {elf}",
  signal: "kill -9 $$; : {elf}",
  grandchild: "(sleep 60 &); : {elf}",
};

async function command(kind: CommandKind): Promise<string> {
  const impl = commandImplementation(COMMANDS[kind], { timeoutMs: COMMAND_TIMEOUT_MS });
  const r = await impl.run(new Uint8Array(16));
  const e = r.end;
  return `command:${e.kind}${e.kind === "budget" ? "/" + e.what : ""} out=${r.console.length}`;
}

export async function runCase(c: Case): Promise<Verdict> {
  switch (c.family) {
    case "capnp-params":
    case "hostile-ring":
    case "runaway":
      return capos(c.image);
    case "elf-mutation":
    case "random-code":
      return `${capos(c.image)} ${linux(c.image)}`;
    case "command":
      return command(c.what);
  }
}

