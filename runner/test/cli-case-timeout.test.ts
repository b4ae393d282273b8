/**
 * `--case-timeout` end to end: a command implementation that hangs with a grandchild holding
 * stdout is ended at the limit with a clear verdict, the run fails, and nothing is left
 * running; a malformed duration is one line and status 2.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../setup.js";
import { alive } from "./process-state.js";

function conform(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "tools", "conform.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("--case-timeout", () => {
  it("ends a hanging implementation at the limit with a clear verdict and leaves nothing running", async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "case-timeout-")), "pid");
    const started = Date.now();
    const r = conform(["run", "--no-reports", "--filter", "^probes\\.real-elfs$", "--case-timeout", "1s", "--impl", `cmd:sleep 100 & echo $! > ${pidFile}; wait; : {elf}`]);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.status, r.out + r.err).toBe(1);
    expect(r.out).toContain("ended by the per-case wall-clock limit (1s)");
    expect(r.out).toMatch(/repro: (npx )?capos-conform replay .* --case-timeout 1s$/m);
    expect(await alive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
  });

  it("rejects a malformed duration with one line", () => {
    const r = conform(["run", "--no-reports", "--case-timeout", "soon", "--impl", "cmd:true {elf}"]);
    expect(r.status).toBe(2);
    expect(r.err.trim().split("\n")).toEqual(["error: option '--case-timeout <duration>' argument 'soon' is invalid. expected a duration such as 90s, 5m or 1h."]);
  });
});
