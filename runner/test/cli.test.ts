/**
 * The command line end to end: a mutant run exits non-zero and prints a one-line repro, and
 * running that line (as `conform replay ...`) reproduces the same failure.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../setup.js";

function conform(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "tools", "conform.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Split a repro line into argv (it quotes only what needs quoting, with single quotes). */
function argv(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

describe("conform CLI", () => {
  it("fails a mutant run with a repro line that replays the failure", () => {
    const out = mkdtempSync(join(tmpdir(), "conform-cli-"));
    const run = conform(["run", "--mutant", "no-drain", "--filter", "^park\\.drain", "--out", out]);
    expect(run.status).toBe(1);
    const line = run.out.split("\n").find((l) => l.includes("repro: "));
    expect(line, run.out + run.err).toBeDefined();
    const repro = line!.slice(line!.indexOf("repro: ") + 7);
    expect(repro).toMatch(/^capos-conform replay --impl emulator --seed \d+ --path \S+ --property park\.drain-on-unmap --elf [0-9a-f]{64} .*--mutant no-drain$/);
    const again = conform([...argv(repro).slice(1)]);
    expect(again.status).toBe(1);
    expect(again.out).toContain("reproduced: park.drain-on-unmap");
    expect(again.out).not.toContain("WARNING");
    expect(again.out.split("\n").find((l) => l.startsWith("repro: "))).toBe(`repro: ${repro}`);
  });

  it("rejects bad input with one line and status 2", () => {
    const r = conform(["run", "--impl", "nonsense", "--no-reports"]);
    expect(r.status).toBe(2);
    expect(r.err.trim().split("\n")).toEqual([`conform: unknown implementation "nonsense" (use emulator or cmd:'<command> {elf}')`]);
  });
});
