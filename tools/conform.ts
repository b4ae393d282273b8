/**
 * capos-conform command line. Subcommands live in tools/cli/<name>.ts; add new ones there and
 * register them here.
 *
 * Bad input (a broken binding or expectations file, an unknown implementation, a missing
 * agent image) ends the command with one line naming the problem and exit status 2, never a
 * stack trace; anything else escaping is a harness bug and keeps its stack.
 */
import { Command } from "commander";
import { registerRunElf } from "./cli/run-elf.js";
import { registerConformCommands } from "./cli/conform-run.js";
import { registerMutants } from "./cli/mutants.js";

const USER_ERRORS = new Set(["BindingError", "ExpectationsError", "AgentImageError", "ScriptError", "ElfError", "UsageError"]);

const program = new Command();
program.name("conform").description("capOS ABI conformance suite tools").enablePositionalOptions();
registerRunElf(program);
registerConformCommands(program);
registerMutants(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error;
  if (USER_ERRORS.has(err.name)) {
    console.error(`conform: ${err.message}`);
    process.exitCode = 2;
  } else throw e;
}
