/**
 * CLI start-up: whole-process wall time of the `capos-conform` command as users run it (the
 * compiled JavaScript in dist/, no TypeScript loader), next to bare `node -e 0`, in turn, with
 * medians. The targets (targets.ts) come from issue 14: `--help` and `run-elf` of a committed
 * probe end to end.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { alternate, median, timeProcess } from "./timing.js";
import { TARGETS } from "./targets.js";

/** The probe `run-elf` runs: small, committed, exits 0 on a conforming personality. */
export const CLI_PROBE = "targets/elf/tls-probe.gcc";

export interface CliRow { name: string; ms: number; targetMs: number | null; status: string }

/**
 * Why the CLI rows of `root` cannot be measured, or null: its dist/ is missing, or older than
 * one of the checkout's own files it was built from (dist/metafile.json's inputs, modification
 * times). A stale dist/ times the code of an earlier commit under the current one's name: in
 * session 18 a before/after run compared the same old dist/ on both sides after a commit,
 * because nothing rebuilds /work/main's dist/ but `npm run build`, `npm ci` and the tests.
 */
export function cliSkipReason(root: string): string | null {
  const dist = join(root, "dist"), cli = join(dist, "tools/conform.js"), rebuild = "(run `npm run build` there)";
  if (!existsSync(cli)) return `${dist} is not built ${rebuild}`;
  const metafile = join(dist, "metafile.json");
  if (!existsSync(metafile)) return `${dist} has no metafile.json, so whether it is current cannot be told ${rebuild}`;
  const stale = sourceNewerThan(root, metafile, statSync(cli).mtimeMs);
  return stale === null ? null : `${dist} is older than its source ${stale} ${rebuild}`;
}

/** A file of the checkout (not node_modules, not a virtual module) that `metafile` lists as an input and that is missing or was modified after `builtMs`, or null. */
function sourceNewerThan(root: string, metafile: string, builtMs: number): string | null {
  const { inputs } = JSON.parse(readFileSync(metafile, "utf8")) as { inputs: Record<string, unknown> };
  for (const input of Object.keys(inputs)) {
    if (input.startsWith("node_modules/") || input.includes(":")) continue;
    const file = join(root, input);
    if (!existsSync(file)) return `${input} (gone)`;
    if (statSync(file).mtimeMs > builtMs) return input;
  }
  return null;
}

/** The property the command-adapter rows run: its cases need neither schedule control nor inspection. */
export const CMD_PROPERTY = "tls.generated-layouts";
/** Cases in the longer command-adapter row (the difference to the 1-case row, over CMD_EXTRA_CASES, is the cost of a case). */
export const CMD_EXTRA_CASES = 4;
/** Row names of the command-adapter rows (1 case and 1 + CMD_EXTRA_CASES cases). */
export const cmdRowName = (cases: number) => `capos-conform run --impl cmd:'capos-conform run-elf --personality capos {elf}' (${cases} case${cases === 1 ? "" : "s"} of ${CMD_PROPERTY})`;

/** Commands timed for a checkout at `root` (bare node first: the floor every row pays). */
function commands(root: string): { name: string; args: string[]; targetMs: number | null }[] {
  const cli = join(root, "dist/tools/conform.js");
  // a command-adapter run: a process per case, here the suite's own run-elf (the figure issue 14
  // started from: about 5 s per case when every process loaded TypeScript)
  const cmdRun = (cases: number) => [cli, "run", "--no-reports", "--runs", String(cases), "--filter", `^${CMD_PROPERTY.replace(".", "\\.")}$`,
    "--impl", `cmd:${process.execPath} ${cli} run-elf --personality capos {elf}`];
  return [
    { name: "node -e 0 (bare node)", args: ["-e", "0"], targetMs: null },
    { name: "capos-conform --help", args: [cli, "--help"], targetMs: TARGETS.helpMs },
    { name: `capos-conform run-elf --personality capos ${CLI_PROBE}`, args: [cli, "run-elf", "--personality", "capos", join(root, CLI_PROBE)], targetMs: TARGETS.runElfMs },
    { name: cmdRowName(1), args: cmdRun(1), targetMs: null },
    { name: cmdRowName(1 + CMD_EXTRA_CASES), args: cmdRun(1 + CMD_EXTRA_CASES), targetMs: null },
  ];
}

export function measureCli(root: string, rounds: number): CliRow[] {
  const status = new Map<string, number | null>();
  const cmds = commands(root);
  const s = alternate(rounds, Object.fromEntries(cmds.map((c) => [c.name, () => {
    const r = timeProcess(process.execPath, c.args, root);
    status.set(c.name, r.status);
    return r.t;
  }])));
  return cmds.map((c) => ({ name: c.name, ms: median(s[c.name]!) * 1e3, targetMs: c.targetMs, status: status.get(c.name) === 0 ? "exit 0" : `exit ${status.get(c.name)}` }));
}
