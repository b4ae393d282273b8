/**
 * Run one capos-conform command line and return its exit status (tools/cli/exit-status.ts):
 * a bad option or input file is one line and 2, a selection of nothing is 4, anything else
 * escaping is a bug of the suite: its stack and 3.
 */
import { CommanderError, type Command } from "commander";
import { buildProgram } from "./program.js";
import { EXIT } from "./exit-status.js";
import { packageInfo } from "../../runner/package-info.js";

/** Errors that mean "your input is wrong", by name (their classes live in lower layers). */
const USAGE_ERRORS = new Set(["BindingError", "ExpectationsError", "AgentImageError", "ScriptError", "ElfError", "UsageError", "ReportError"]);

type Register = (program: Command, description: string) => void;
const HEAVY_COMMANDS: readonly { name: string; description: string; load: () => Promise<Register> }[] = [
  {
    name: "torture",
    description: "hostile-input campaign: mutated ELFs, random code, corrupt params, hostile rings, runaway guests, hostile commands",
    load: async () => (await import("../torture/cli.js")).registerTorture,
  },
  {
    name: "mutants",
    description: "run the fixed-seed conformance configuration against every seeded bug; prints caught N/M",
    load: async () => (await import("./mutants.js")).registerMutants,
  },
];

/** `argv` as process.argv has it (node, script, arguments...). */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    const program = buildProgram(packageInfo().version);
    // These commands load the generators and the emulator when they register, so their real
    // definitions join the command table only when asked for: --help and the other commands
    // start lean, and list them by name and purpose.
    for (const c of HEAVY_COMMANDS) {
      if (argv[2] === c.name) (await c.load())(program, c.description);
      else program.command(c.name).description(`${c.description} (\`capos-conform ${c.name} --help\` for its options)`).allowUnknownOption().allowExcessArguments();
    }
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? EXIT.conformant);
  } catch (e) {
    const err = e as Error;
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.conformant : EXIT.usage; // commander printed the line
    if (USAGE_ERRORS.has(err.name)) {
      console.error(`capos-conform: ${oneLine(err.message)}`);
      return EXIT.usage;
    }
    if (err.name === "NothingSelectedError") {
      console.error(`capos-conform: ${oneLine(err.message)}`);
      return EXIT.nothingSelected;
    }
    console.error(`capos-conform: internal error (a bug of the suite; please report it):\n${err.stack ?? String(e)}`);
    return EXIT.internal;
  }
}

/** A usage error is one line: JSON.parse's messages quote the bad text, newlines included. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}
