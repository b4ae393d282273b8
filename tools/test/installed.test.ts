/**
 * The command as a user gets it: `npm run build` compiles dist/, `npm pack` ships dist/ with
 * the data the CLI reads at run time and nothing of the tests or old reports, and a repro
 * line printed by a failing run reproduces when pasted into a shell in the checkout
 * (`npx capos-conform replay ...` runs the compiled bin, no TypeScript loader).
 *
 * One file so that the rebuild of dist/ never races another test that reads it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../runner/setup.js";

beforeAll(() => {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "pipe" });
}, 120_000);

describe("the installed command", () => {
  it("npm pack ships the compiled bin and its run-time data, no tests, no reports", () => {
    const json = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const files = (JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const needed of [
      "package.json",
      "README.md",
      "dist/tools/conform.js",
      "dist/spec/clauses/manual.json",
      "dist/spec/clauses/suite.json",
      "dist/spec/binding.schema.json",
      "dist/targets/elf/manifest.json",
      "dist/targets/elf/agent.gcc",
      "dist/targets/elf/tls-probe.gcc",
    ])
      expect(files).toContain(needed);
    expect(files.filter((f) => /\.test\.|\/test\/|test-fixtures|reports\/out|\.ts$/.test(f))).toEqual([]);
  });

  it("the bin runs without a TypeScript loader", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "dist", "tools", "conform.js"), "--version"], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("a repro line printed by a failing run reproduces when pasted into a shell", () => {
    const out = mkdtempSync(join(tmpdir(), "capos-conform-repro-"));
    const sh = (line: string) => spawnSync("sh", ["-c", line], { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
    const run = sh(`npx capos-conform run --mutant tls-ignores-misalign --filter '^tls\\.' --out ${out}`);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const line = run.stdout.split("\n").find((l) => l.trimStart().startsWith("repro: "));
    expect(line, run.stdout).toBeDefined();
    const repro = line!.trimStart().slice("repro: ".length);
    expect(repro).toMatch(/^npx capos-conform replay /);
    const again = sh(`${repro} --out ${out}`);
    expect(again.status, again.stdout + again.stderr).toBe(1);
    expect(again.stdout).toContain("reproduced: tls.");
    expect(again.stdout).not.toContain("WARNING");
  });
});
