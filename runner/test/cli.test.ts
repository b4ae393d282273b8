/**
 * The command line end to end: a mutant run exits non-zero and prints a one-line repro, and
 * running that line (as `conform replay ...`) reproduces the same failure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { validateXML } from "xmllint-wasm";
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

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe("conform CLI", () => {
  it("writes reports of a real run that validate against CTRF and JUnit schemas", async () => {
    const out = mkdtempSync(join(tmpdir(), "conform-reports-"));
    const run = conform(["run", "--quick", "--out", out]);
    expect(run.status, run.out + run.err).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith("conformance.")).sort()).toEqual(
      ["conformance.ctrf.json", "conformance.html", "conformance.junit.xml", "conformance.md"],
    );
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO_ROOT, "reports", "schema", "ctrf.schema.json"), "utf8")));
    const ctrf = JSON.parse(readFileSync(join(out, "conformance.ctrf.json"), "utf8"));
    expect(validate(ctrf), JSON.stringify(validate.errors)).toBe(true);
    expect(ctrf.results.summary.failed).toBe(0);
    expect(ctrf.results.tests.length).toBeGreaterThanOrEqual(10);
    const xsd = readFileSync(join(REPO_ROOT, "reports", "schema", "junit-10.xsd"), "utf8");
    const junit = await validateXML({ xml: [{ fileName: "r.xml", contents: readFileSync(join(out, "conformance.junit.xml"), "utf8") }], schema: [{ fileName: "junit-10.xsd", contents: xsd }] });
    expect(junit.errors).toEqual([]);
    expect(existsSync(join(out, "failures"))).toBe(false);
  });

  it("fails a mutant run with a repro line that replays the failure", () => {
    const out = mkdtempSync(join(tmpdir(), "conform-cli-"));
    const run = conform(["run", "--mutant", "no-drain", "--filter", "^park\\.drain", "--out", out]);
    expect(run.status).toBe(1);
    const line = run.out.split("\n").find((l) => l.includes("repro: "));
    expect(line, run.out + run.err).toBeDefined();
    const repro = line!.slice(line!.indexOf("repro: ") + 7);
    expect(repro).toMatch(/^npx capos-conform replay --impl emulator --seed \d+ --path \S+ --property park\.drain-on-unmap --elf [0-9a-f]{64} .*--mutant no-drain$/);
    const again = conform([...argv(repro).slice(2), "--out", out]);
    expect(again.status).toBe(1);
    expect(again.out).toContain("reproduced: park.drain-on-unmap");
    expect(again.out).not.toContain("WARNING");
    expect(again.out.split("\n").find((l) => l.startsWith("repro: "))).toBe(`repro: ${repro}`);
  });

  it("rejects bad input with one line and status 2", () => {
    const r = conform(["run", "--impl", "nonsense", "--no-reports"]);
    expect(r.status).toBe(2);
    expect(r.err.trim().split("\n")).toEqual([`capos-conform: unknown implementation "nonsense" (use emulator, emulator:alternate, native, cmd:'<command> {elf}', batch:'<command>' or an adapter file <name>.json)`]);
  });
});
