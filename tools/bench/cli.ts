/**
 * CLI start-up: whole-process wall time of the `capos-conform` command as users run it (the
 * compiled JavaScript in dist/, no TypeScript loader), next to bare `node -e 0`, in turn, with
 * medians. The targets (targets.ts) come from issue 14: `--help` and `run-elf` of a committed
 * probe end to end.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { alternate, median, timeProcess } from "./timing.js";
import { TARGETS } from "./targets.js";

/** The probe `run-elf` runs: small, committed, exits 0 on a conforming personality. */
export const CLI_PROBE = "targets/elf/tls-probe.gcc";

export interface CliRow { name: string; ms: number; targetMs: number | null; status: string }

/** Why the CLI rows of `root` cannot be measured, or null. */
export function cliSkipReason(root: string): string | null {
  return existsSync(join(root, "dist/tools/conform.js")) ? null : `${join(root, "dist")} is not built (run \`npm run build\` there)`;
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
