/**
 * Run one capos-conform command line and return its exit status (tools/cli/exit-status.ts):
 * a bad option or input file is one line and 2, a selection of nothing is 4, anything else
 * escaping is a bug of the suite: its stack and 3.
 */
import { CommanderError } from "commander";
import { buildProgram } from "./program.js";
import { EXIT } from "./exit-status.js";
import { packageInfo } from "../../runner/package-info.js";

/** Errors that mean "your input is wrong", by name (their classes live in lower layers). */
const USAGE_ERRORS = new Set(["BindingError", "ExpectationsError", "AgentImageError", "ScriptError", "ElfError", "UsageError", "ReportError"]);

/** `argv` as process.argv has it (node, script, arguments...). */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    const program = buildProgram(packageInfo().version);
    // The hostile-input campaign loads the generators and the emulator when it registers, so
    // it joins the command table only when asked for (so does the mutation run): --help and the other commands start lean.
    if (argv[2] === "torture") (await import("../torture/cli.js")).registerTorture(program);
    if (argv[2] === "mutants") (await import("./mutants.js")).registerMutants(program);
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? EXIT.conformant);
  } catch (e) {
    const err = e as Error;
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.conformant : EXIT.usage; // commander printed the line
    if (USAGE_ERRORS.has(err.name)) {
      console.error(`capos-conform: ${err.message}`);
      return EXIT.usage;
    }
    if (err.name === "NothingSelectedError") {
      console.error(`capos-conform: ${err.message}`);
      return EXIT.nothingSelected;
    }
    console.error(`capos-conform: internal error (a bug of the suite; please report it):\n${err.stack ?? String(e)}`);
    return EXIT.internal;
  }
}
