/**
 * Every capos-conform command with its options, help text and argument parsers. This module
 * imports only commander: each action loads its implementation (tools/cli/<command>.ts) when
 * it runs, so `--help`, `--version` and a bad option answer without loading the emulator, the
 * model or the properties.
 */
import { Command, Option } from "commander";
import { EXIT_STATUS_HELP } from "./exit-status.js";
import { parseDuration, parsePositiveInt, parseRegExp, parseCommandsPath, parseReplayPath, parseSeed, parseSha256, parseShard, type Shard } from "./parse.js";

/** The fixed seed of `capos-conform run` and of `npm test`'s conformance run. */
export const DEFAULT_SEED = 20261125;

/**
 * The emulator's seeded bugs, listed here so that help and validation need not load the
 * emulator; a test checks it equals emulator/capos MUTANT_NAMES.
 */
export const MUTANTS = [
  "lost-wake", "no-drain", "fs-not-restored", "tls-ignores-misalign", "protect-keeps-write",
  "unmap-skips-last-page", "protect-skips-last-page", "decommit-keeps-contents", "reserve-commits",
  "map-ignores-prot", "map-overlaps", "reserve-quota-unchecked", "commit-quota-unchecked",
  "commit-unreserved", "vm-unaligned-accepted", "unmap-leaks-commit-charge",
  "prot-unknown-bits-accepted", "park-skips-value-check", "park-compares-low-byte",
  "unpark-wakes-extra", "unpark-zero-wakes-all", "unpark-ignores-address", "park-timeout-early",
  "park-poll-mismatch", "drain-result-woken", "drain-misses-last-word", "park-unaligned-ok",
  "exit-leaves-waiter", "cq-overflow-drops", "cqe-userdata-last-sqe", "sq-consumed-when-cq-full",
  "reserved-flags-ignored", "enter-returns-zero-when-ready", "release-keeps-cap",
  "release-no-generation-bump", "unknown-ordinal-succeeds", "exception-type-failed",
  "join-before-exit", "exit-value-truncated", "spawn-inherits-fs", "setfsbase-noncanonical",
  "spawn-arg-dropped", "tp-align-capped-16", "tbss-copied-from-file",
  "no-self-pointer-without-tls", "now-32-bit", "sleep-early",
] as const;

export interface CommonOptions {
  impl: string;
  binding?: string;
  mutant?: string;
  agent?: string;
  maxInsns: number;
  out: string;
  /** Per-case wall-clock limit (ms) for implementations run as processes. */
  caseTimeout?: number;
}

export interface RunOptions extends CommonOptions {
  seed: number;
  runs?: number;
  quick: boolean;
  filter?: RegExp;
  clause?: string;
  expectations?: string;
  reports: boolean;
  shard?: Shard;
}

export interface FuzzOptions extends CommonOptions {
  property: string;
  seed?: number;
  reports: boolean;
  /** Whole-campaign budget in ms. */
  time: number;
  shard?: Shard;
}

export interface ReplayOptions extends CommonOptions {
  seed: number;
  path: string;
  commandsPath?: string;
  property: string;
  elf?: string;
  schedule?: string;
}

function mutantOption(): Option {
  return new Option("--mutant <name>", "run the emulator with a seeded bug").choices(MUTANTS);
}

function addCommon(cmd: Command): Command {
  return cmd
    .option("--impl <impl>", "implementation: emulator | emulator:alternate (other conforming choices) | native | cmd:'<command> {elf}' | batch:'<command>' | <adapter>.json (spec/runner-protocol.md)", "emulator")
    .option("--case-timeout <duration>", "wall-clock limit per case for a process implementation, e.g. 30s (default 60s or the adapter file's)", parseDuration)
    .option("--binding <file>", "binding JSON of the implementation (default: spec/binding.ts)")
    .addOption(mutantOption())
    .option("--agent <name>", "agent ELF in targets/elf, or a path (default agent.gcc)")
    .option("--max-insns <n>", "instruction budget per guest process", parsePositiveInt, 5_000_000)
    .option("--out <dir>", "report and failure-artefact directory", "reports/out");
}

function shardOption(): Option {
  return new Option("--shard <i/n>", "run only shard i of n (properties dealt round-robin in a fixed order); merge the shards' reports with `merge`").argParser(parseShard);
}

/** Load a command's implementation module and hand it the parsed options. */
type Lazy<A extends unknown[]> = (...args: A) => Promise<void>;
function lazy<A extends unknown[]>(load: () => Promise<{ default: (...args: A) => Promise<number> }>): Lazy<A> {
  return async (...args: A) => {
    process.exitCode = await (await load()).default(...args);
  };
}

export function buildProgram(version: string): Command {
  const program = new Command();
  program
    .name("capos-conform")
    .description("conformance suite for the capOS userspace ABI")
    .version(version, "-V, --version", "print the version")
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText("after", EXIT_STATUS_HELP);

  addCommon(
    program
      .command("run", { isDefault: true })
      .description("run the conformance properties against an implementation (fixed seed); writes reports")
      .option("--seed <n>", "fast-check seed", parseSeed, DEFAULT_SEED)
      .option("--runs <n>", "cases per property (default: each property's own)", parsePositiveInt)
      .option("--quick", "a quarter of each property's default cases", false)
      .option("--filter <regex>", "only properties whose id matches", parseRegExp)
      .option("--clause <glob>", "only properties citing a matching clause, e.g. PARK-*")
      .option("--expectations <file>", "expected failures and skips of this implementation (JSON)")
      .option("--no-reports", "write no files at all (no reports, no failure artefacts)")
      .addOption(shardOption()),
  ).action(lazy<[RunOptions]>(() => import("./run.js")));

  addCommon(
    program
      .command("fuzz")
      .description("fuzz properties with fresh seeds until a failure or the time budget of the whole campaign runs out")
      .option("--property <glob>", "property ids to fuzz, e.g. 'park.*'", "*")
      // The default is shown as a duration: shown as 60000, it read as 60,000 seconds to anyone
      // who then typed a bare number (which parseDuration takes as seconds).
      .addOption(new Option("--time <duration>", "time budget of the whole campaign, shared by the properties (e.g. 90s, 5m, 1h; a bare number is seconds)").argParser(parseDuration).default(60_000, "60s"))
      .option("--seed <n>", "campaign seed (default: fresh); each property's seed derives from it, so the shards of one campaign share it", parseSeed)
      .option("--no-reports", "write no files at all (no reports, no failure artefacts)")
      .addOption(shardOption()),
  ).action(lazy<[FuzzOptions]>(() => import("./fuzz.js")));

  addCommon(
    program
      .command("replay")
      .description("replay one failure from its repro line, bit-exactly")
      .requiredOption("--seed <n>", "seed of the failing run", parseSeed)
      .requiredOption("--path <path>", "fast-check path of the shrunk case", parseReplayPath)
      .requiredOption("--property <id>", "property id")
      .option("--commands-path <replayPath>", "fc.commands replayPath of the shrunk case (command-based properties)", parseCommandsPath)
      .option("--elf <sha256>", "hash of the image the failure ran; replay checks it", parseSha256)
      .option("--schedule <encoded>", "schedule of the failure; replay checks it"),
  ).action(lazy<[ReplayOptions]>(() => import("./replay.js")));

  program
    .command("list")
    .description("list the properties: clauses they check, abilities they need, default cases")
    .option("--filter <regex>", "only properties whose id matches", parseRegExp)
    .option("--clause <glob>", "only properties citing a matching clause")
    .option("--json", "print JSON instead of a table", false)
    .action(lazy<[{ filter?: RegExp; clause?: string; json: boolean }]>(() => import("./list.js")));

  program
    .command("merge")
    .description("merge CTRF reports (e.g. of the shards of one run) into one set of reports")
    .argument("<reports...>", "conformance.ctrf.json files")
    .option("--out <dir>", "where the merged reports go", "reports/out")
    .action(lazy<[string[], { out: string }]>(() => import("./merge.js")));

  program
    .command("compare")
    .description("compare two CTRF reports: new failures, fixed, changed; exit 1 when there are new failures")
    .argument("<before>", "CTRF report of the earlier run")
    .argument("<after>", "CTRF report of the later run")
    .action(lazy<[string, string]>(() => import("./compare.js")));

  program
    .command("binding")
    .description("print the default binding as JSON (a template for an implementation's own), or check a binding file")
    .option("--check <file>", "validate a binding file and report the first bad field")
    .action(lazy<[{ check?: string }]>(() => import("./binding.js")));

  addRunElfOptions(
    program
      .command("run-elf")
      .description("run a static x86-64 ELF under an emulator personality; exits with the guest's status")
      .addOption(new Option("--personality <name>", "emulator personality").choices(["linux", "capos"]).default("linux"))
      .option("--trace-log", "linux: log unknown syscalls to stderr", false)
      .argument("[elf]", "static ELF executable (none with --batch)")
      .argument("[args...]", "guest arguments (linux), or capOS options given after the ELF")
      .passThroughOptions()
      .addHelpText(
        "after",
        `
Exit status: the guest's own exit status, or
  capos: 124 budget, 125 deadlock, 126 image rejected, 132 #UD, 136 #DE, 139 #PF/#GP (spec/run-protocol.ts)
  linux: 124 instruction budget, 125 memory budget, 126 HLT, 139 fault
and 2 for a usage error (bad option, unreadable ELF; linux: malformed ELF).`,
      ),
  ).action(lazy<[string | undefined, string[], RunElfOptions]>(() => import("./run-elf.js")));

  return program;
}

export interface RunElfOptions {
  personality: "linux" | "capos";
  maxInsns?: number;
  traceLog: boolean;
  schedule?: string;
  trace?: boolean;
  binding?: string;
  mutant?: string;
  policy?: string;
  maxPages?: number;
  batch?: boolean;
}

/** The options of run-elf that capOS also accepts after the ELF (see run-elf.ts). */
export function addRunElfOptions(cmd: Command): Command {
  return cmd
    .option("--max-insns <n>", "instruction budget (default: 4e9 linux, 5e7 capos)", parsePositiveInt)
    .option("--schedule <s>", "capos: schedule file, seed or encoded schedule")
    .option("--trace", "capos: print the event log to stderr")
    .option("--binding <file>", "capos: binding JSON of the ABI numbers")
    .addOption(mutantOption())
    .addOption(new Option("--policy <name>", "capos: the emulator's conforming choices where the ABI leaves one").choices(["default", "alternate"]))
    .option("--max-pages <n>", "capos: memory budget in pages", parsePositiveInt)
    .option("--batch", "capos: read ELF paths on stdin, one per line, answer each with a JSON result line (spec/runner-protocol.md)");
}
