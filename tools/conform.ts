/**
 * capos-conform command line. Subcommands live in tools/cli/<name>.ts; add new ones there and
 * register them here.
 */
import { Command } from "commander";
import { registerRunElf } from "./cli/run-elf.js";
import { registerConformCommands } from "./cli/conform-run.js";

const program = new Command();
program.name("conform").description("capOS ABI conformance suite tools").enablePositionalOptions();
registerRunElf(program);
registerConformCommands(program);
await program.parseAsync(process.argv);
