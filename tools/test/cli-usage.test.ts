/**
 * The exit-status convention (tools/cli/exit-status.ts) and option validation, run in
 * process through main(): every bad input is one line on stderr and status 2, a selection
 * of nothing is 4, and the shards of a run merge into the unsharded run's results.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli/main.js";
import { MUTANTS } from "../cli/program.js";
import { MUTANT_NAMES } from "../../emulator/capos/index.js";

interface Outcome {
  status: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ") + "\n"));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ") + "\n"));
  try {
    const status = await main(["node", "capos-conform", ...args]);
    return { status, out: out.join(""), err: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
    log.mockRestore();
    error.mockRestore();
    process.exitCode = undefined;
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

const tmp = () => mkdtempSync(join(tmpdir(), "capos-conform-cli-"));
/** Two cheap properties for runs that only test the command line. */
const CHEAP = ["--filter", "^(syscalls\\.unknown|elf\\.malformed|entry\\.)", "--runs", "2"];

describe("exit statuses and option validation", () => {
  it.each([
    [["run", "--seed", "abc"], "--seed"],
    [["run", "--seed", "1.5"], "--seed"],
    [["run", "--runs", "-3"], "--runs"],
    [["run", "--runs", "0"], "--runs"],
    [["run", "--filter", "(["], "--filter"],
    [["run", "--max-insns", "lots"], "--max-insns"],
    [["run", "--mutant", "bogus"], "--mutant"],
    [["run", "--shard", "3/2"], "--shard"],
    [["run", "--shard", "1"], "--shard"],
    [["fuzz", "--time", "3x"], "--time"],
    [["replay", "--seed", "1", "--path", "a:b", "--property", "park.drain-on-unmap"], "--path"],
    [["replay", "--seed", "1", "--path", "0", "--commands-path", "no path", "--property", "vm.model-based"], "--commands-path"],
    [["run-elf", "--mutant", "bogus", "targets/elf/tls-probe.gcc"], "--mutant"],
    [["run-elf", "--personality", "capos", "targets/elf/tls-probe.gcc", "--max-pages", "many"], "--max-pages"],
    [["run-elf", "--personality", "windows", "x"], "--personality"],
    // a mistyped schedule ran silently with seed NaN (= 0): another interleaving than the one named
    [["run-elf", "--personality", "capos", "targets/elf/tls-probe.gcc", "--schedule", "/no/such/schedule.json"], "--schedule"],
    [["run-elf", "--personality", "capos", "targets/elf/tls-probe.gcc", "--schedule", "12:x:"], "--schedule"],
    [["run", "--no-such-option"], "--no-such-option"],
    // torture and mutants read their values with Number() before: `--cases abc` ran no case and
    // passed, `--batch 0` never ended, `--time 5m` and `--seed foo` were ignored.
    [["torture", "--cases", "abc"], "--cases"],
    [["torture", "--cases", "0"], "--cases"],
    [["torture", "--batch", "0"], "--batch"],
    [["torture", "--workers", "0"], "--workers"],
    [["torture", "--from", "-1"], "--from"],
    [["torture", "--time", "5x"], "--time"],
    [["torture", "--seed", "foo"], "--seed"],
    [["torture", "--seed", "4294967296"], "--seed"],
    [["torture", "--only", "x,y"], "--only"],
    [["torture", "--families", "elf-mutation,nope"], "--families"],
    [["mutants", "--seed", "abc"], "--seed"],
    [["mutants", "--jobs", "0"], "--jobs"],
    [["mutants", "--runs-scale", "0"], "--runs-scale"],
    [["mutants", "--runs-scale", "lots"], "--runs-scale"],
  ])("%j is a usage error (2) with one line naming %s", async (args, option) => {
    const r = await cli(...args);
    expect(r.status, r.err).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines[0]).toContain(option);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("an unknown implementation, property or missing file is a usage error (2)", async () => {
    expect((await cli("run", "--impl", "qemu")).status).toBe(2);
    expect((await cli("replay", "--seed", "1", "--path", "0", "--property", "no.such")).status).toBe(2);
    expect((await cli("run", "--expectations", "/nonexistent.json", ...CHEAP, "--no-reports")).status).toBe(2);
    expect((await cli("run-elf", "/nonexistent.elf")).status).toBe(2);
    expect((await cli("compare", "/nonexistent.json", "/nonexistent.json")).status).toBe(2);
  });

  it("a file that is not JSON is one line naming it, with status 2, for every command that reads one", async () => {
    const bad = join(tmp(), "garbage.json");
    writeFileSync(bad, "not json\n{\n");
    for (const args of [["merge", bad, "--out", tmp()], ["compare", bad, bad], ["run", "--expectations", bad, ...CHEAP, "--no-reports"], ["run", "--binding", bad, ...CHEAP, "--no-reports"], ["binding", "--check", bad]]) {
      const r = await cli(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.err.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.err, args.join(" ")).toContain("garbage.json");
    }
  });

  it("an agent or ELF that is a directory or not an ELF is one line naming it, with status 2", async () => {
    const dir = tmp();
    const junk = join(dir, "junk.elf");
    writeFileSync(junk, "definitely not an ELF image ".repeat(4));
    for (const [args, needle] of [
      [["run", "--agent", dir, ...CHEAP, "--no-reports"], `agent image ${dir}: is not a regular file (a directory)`],
      [["run", "--agent", junk, ...CHEAP, "--no-reports"], `agent image ${junk}: not an ELF file`],
      [["run-elf", junk], `${junk}: bad ELF magic`],
    ] as const) {
      const r = await cli(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.err.trimEnd().split("\n"), args.join(" ")).toEqual([`capos-conform: ${needle}`]);
    }
  });

  it("binding: the printed template checks as valid (0); a bad field is a usage error (2) naming it", async () => {
    const dir = tmp();
    const t = await cli("binding");
    expect(t.status).toBe(0);
    writeFileSync(join(dir, "mine.json"), t.out);
    expect((await cli("binding", "--check", join(dir, "mine.json"))).status).toBe(0);
    const bad = JSON.parse(t.out) as { ring: { sqEntries: unknown } };
    bad.ring.sqEntries = "many";
    writeFileSync(join(dir, "bad.json"), JSON.stringify(bad));
    const r = await cli("binding", "--check", join(dir, "bad.json"));
    expect(r.status).toBe(2);
    expect(r.err).toContain("/ring/sqEntries");
  });

  it("a filter, clause, property glob or shard selecting nothing is 4", async () => {
    expect((await cli("run", "--filter", "^nothing$", "--no-reports")).status).toBe(4);
    expect((await cli("run", "--clause", "NOPE-*", "--no-reports")).status).toBe(4);
    expect((await cli("fuzz", "--property", "nothing.*", "--time", "1s")).status).toBe(4);
    expect((await cli("run", "--filter", "^elf\\.", "--shard", "2/2", "--no-reports")).status).toBe(4);
    expect((await cli("list", "--clause", "NOPE-*")).status).toBe(4);
  });

  it("--version prints the package version; --help documents the exit statuses", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const v = await cli("--version");
    expect([v.status, v.out.trim()]).toEqual([0, pkg.version]);
    const h = await cli("--help");
    expect(h.status).toBe(0);
    for (const s of ["0  conformant", "1  conformance failures", "2  usage error", "3  internal error", "4  nothing selected"]) expect(h.out).toContain(s);
  });

  it("fuzz --help shows its time budget as a duration, not as a bare number a reader would take for seconds", async () => {
    const h = await cli("fuzz", "--help");
    expect(h.status).toBe(0);
    expect(h.out.replace(/\s+/g, " ")).toContain("(default: 60s)");
  });

  it("the CLI's mutant list is the emulator's", () => {
    expect([...MUTANTS]).toEqual([...MUTANT_NAMES]);
  });
});

describe("list", () => {
  it("lists every property with its clauses and needed abilities", async () => {
    const r = await cli("list", "--json");
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.out) as { id: string; clauses: string[]; needs: string[] }[];
    const { ALL_PROPERTIES } = await import("../../properties/index.js");
    expect(rows.map((x) => x.id)).toEqual(ALL_PROPERTIES.map((p) => p.id));
    expect(rows.find((x) => x.id === "park.drain-on-unmap")!.clauses).toContain("PARKX-6");
  });
});

describe("campaigns and output", () => {
  it("run --shard 1/2 and 2/2, merged, equal the unsharded run's results", async () => {
    const [all, s1, s2, merged] = [tmp(), tmp(), tmp(), tmp()];
    expect((await cli("run", ...CHEAP, "--out", all)).status).toBe(0);
    expect((await cli("run", ...CHEAP, "--shard", "1/2", "--out", s1)).status).toBe(0);
    expect((await cli("run", ...CHEAP, "--shard", "2/2", "--out", s2)).status).toBe(0);
    const m = await cli("merge", join(s1, "conformance.ctrf.json"), join(s2, "conformance.ctrf.json"), "--out", merged);
    expect(m.status, m.err).toBe(0);
    const results = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, "conformance.ctrf.json"), "utf8")) as { results: { tests: { name: string; status: string; extra: Record<string, unknown> }[] } }).results.tests.map((t) => ({
        name: t.name,
        status: t.status,
        seed: t.extra["seed"],
        runs: t.extra["runs"],
        clauses: t.extra["clauses"],
      }));
    const one = results(s1).map((t) => t.name);
    const two = results(s2).map((t) => t.name);
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
    expect(one.filter((n) => two.includes(n))).toEqual([]);
    expect(results(merged)).toEqual(results(all));
  });

  it("--no-reports writes nothing; a run replaces the failure artefacts of the one before", async () => {
    const out = tmp();
    expect((await cli("run", ...CHEAP, "--no-reports", "--out", out)).status).toBe(0);
    expect(readdirSync(out)).toEqual([]);
    // An old failure artefact and a symlinked failures/ folder from an earlier run.
    const elsewhere = tmp();
    writeFileSync(join(elsewhere, "keep.json"), "{}");
    symlinkSync(elsewhere, join(out, "failures"));
    expect((await cli("run", ...CHEAP, "--out", out)).status).toBe(0);
    expect(existsSync(join(out, "failures"))).toBe(false); // the link is gone, its target untouched
    expect(readdirSync(elsewhere)).toEqual(["keep.json"]);
    mkdirSync(join(out, "failures"));
    writeFileSync(join(out, "failures", "park.old.1.json"), "{}");
    expect((await cli("run", ...CHEAP, "--out", out)).status).toBe(0);
    expect(existsSync(join(out, "failures"))).toBe(false);
    expect(readdirSync(out).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  });

  it("compare: a report against itself has no new failures", async () => {
    const out = tmp();
    expect((await cli("run", ...CHEAP, "--out", out)).status).toBe(0);
    const f = join(out, "conformance.ctrf.json");
    const r = await cli("compare", f, f);
    expect(r.status).toBe(0);
    expect(r.out).toContain("new failures: 0");
  });
});

describe("fuzz --time", () => {
  it("is the budget of the whole campaign, shared by its properties", async () => {
    const started = Date.now();
    // Two properties at 4 s each would take 8 s; the campaign's 4 s ends well before.
    const { status, out } = await cli("fuzz", "--property", "e*", "--time", "4s", "--no-reports");
    const elapsed = Date.now() - started;
    expect(status, out).toBe(0);
    expect(out).toContain("fuzzing 2 properties");
    expect(elapsed).toBeGreaterThanOrEqual(3_500);
    expect(elapsed).toBeLessThan(7_000);
  });
});
