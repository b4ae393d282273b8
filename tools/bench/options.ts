/**
 * `npm run bench`'s command line, parsed by commander like every capos-conform command: a bad
 * option or value is one line naming it and exit status 2 (EXIT.usage), `--help` prints the
 * options and exits 0. Before this, unknown options were ignored, so `bench --help` or a
 * misspelt `--round 5` silently ran the whole bench with the defaults.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT } from "../cli/exit-status.js";
import { parsePositiveInt } from "../cli/parse.js";

/** The bench's sections, in the order they run. */
export const SECTIONS = ["cpu", "startup", "capos"] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Alternating rounds per figure (the median is reported). */
  readonly rounds: number;
  /** The sections to run; empty = all. */
  readonly only: readonly Section[];
  /** Where to write the report as JSON. */
  readonly json?: string;
  /** Another checkout to measure against (before/after in one run). */
  readonly baseline?: string;
}

/** What the command line asks for: the options, or to exit now (after --help, or a usage error already printed). */
export type BenchCommandLine = { readonly options: BenchOptions } | { readonly exitStatus: number };

/**
 * Parse the bench's arguments (without node and the script). commander prints help to stdout
 * and errors as one line to `writeErr`.
 */
export function parseBenchOptions(argv: readonly string[], writeErr: (s: string) => void = (s) => process.stderr.write(s)): BenchCommandLine {
  const program = new Command("npm run bench --")
    .description("How fast the suite and its emulator are, as ratios measured in one run (tools/bench/README.md).")
    .addOption(new Option("--rounds <n>", "alternating rounds per figure; each figure is their median").argParser(parsePositiveInt).default(3))
    .addOption(new Option("--only <section>", `run only this section (repeatable): ${SECTIONS.join(", ")}`).argParser(collectSection).default([], "all"))
    .option("--json <file>", "also write the report as JSON to this file")
    .option("--baseline <dir>", "before/after: alternate this checkout's bench with DIR's, in child processes")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr });
  try {
    program.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return { exitStatus: e.exitCode === 0 ? 0 : EXIT.usage };
    throw e;
  }
  const o = program.opts<{ rounds: number; only: Section[]; json?: string; baseline?: string }>();
  return { options: { rounds: o.rounds, only: o.only, ...(o.json === undefined ? {} : { json: o.json }), ...(o.baseline === undefined ? {} : { baseline: o.baseline }) } };
}

/** commander calls this once per `--only`; earlier values accumulate. */
function collectSection(value: string, previous: Section[]): Section[] {
  if (!(SECTIONS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SECTIONS.join(", ")}.`);
  return [...previous, value as Section];
}
