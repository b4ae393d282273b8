/**
 * The command as a user gets it: `npm run build` bundles dist/ (tools/build.ts), `npm pack`
 * ships dist/ with the data the CLI reads at run time and nothing of the tests or old
 * reports, every data file a bundled module finds through `import.meta.url` is where it
 * looks, the code cache is accepted by this node and never used for other bytes than its
 * own, and a repro line printed by a failing run reproduces when pasted into a shell in the
 * checkout (`npx capos-conform replay ...` runs the compiled bin, no TypeScript loader).
 *
 * One file so that the rebuild of dist/ never races another test that reads it.
 */
import { isAscii } from "node:buffer";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../runner/setup.js";
import { manifestEntries } from "../../targets/manifest.js";
import { METAFILE, RUNTIME_DATA } from "../build.js";
import { BIN_FILE, CORE_FILE, REST_FILE, cacheFileOf } from "../cli/code-cache.js";
import { EXIT } from "../cli/exit-status.js";

const BIN = join(REPO_ROOT, "dist", BIN_FILE);
/** Run the built bin bare, as a user does (no TypeScript loader, no inherited node options). */
const runBin = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });

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
      "dist/package.json",
      "dist/tools/conform.js",
      "dist/tools/cli-core.js",
      "dist/tools/cli-core.cache",
      "dist/tools/cli-rest.js",
      "dist/tools/cli-rest.cache",
      "dist/tools/torture/worker.js",
      "dist/runner/mutation-score.json",
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
    const r = runBin(BIN, ["--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("every data file a bundled module finds beside itself is shipped where it looks", () => {
    // A literal `new URL("<path>", import.meta.url)` or `join(import.meta.dirname, "<path>")`
    // in a bundled module names a file relative to the module's mirror place in dist/.
    const inputs = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, METAFILE), "utf8")) as { inputs: Record<string, unknown> }).inputs);
    const suite = inputs.filter((i) => !i.startsWith("node_modules/") && !i.includes(":") && i.endsWith(".ts")); // not the build's virtual modules (namespace:path)
    expect(suite).toContain("runner/mutation-score.ts");
    const looked: string[] = [];
    for (const file of suite) {
      const source = readFileSync(join(REPO_ROOT, file), "utf8");
      for (const m of source.matchAll(/new URL\("([^"]+)", import\.meta\.url\)|join\(import\.meta\.dirname, "([^"]+)"\)/g)) {
        const path = relative(REPO_ROOT, join(REPO_ROOT, dirname(file), m[1] ?? m[2]!));
        if (/\.(ts|js)$/.test(path)) continue; // code, not data
        looked.push(path);
        expect(RUNTIME_DATA.some((d) => path === d || path.startsWith(d + "/")), `${file} reads ${path}, which tools/build.ts RUNTIME_DATA does not ship`).toBe(true);
        expect(existsSync(join(REPO_ROOT, "dist", path)), `dist/${path}`).toBe(true);
      }
    }
    expect(looked).toEqual(expect.arrayContaining(["runner/mutation-score.json", "spec/binding.schema.json", "targets/elf"]));
  });

  it("a run of the bin finds the committed mutation score", () => {
    const r = runBin(BIN, ["run", "--filter", "^tls\\.generated-layouts$", "--runs", "1", "--no-reports"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // With the file missing the line says "no committed score (ENOENT ...)"; with it, why this
    // configuration is not the measured one.
    expect(r.stdout).toMatch(/^mutation score: not measured for this configuration: --runs changes/m);
  });

  it.each([CORE_FILE, REST_FILE])("this node accepts the code cache the build made for %s", (part) => {
    // The cache file: the part's length and bytes, then V8's data (tools/cli/bundle-loader.ts).
    const file = join(REPO_ROOT, "dist", part);
    const cacheFile = join(REPO_ROOT, "dist", cacheFileOf(part));
    const bytes = readFileSync(file);
    const cache = readFileSync(cacheFile);
    expect(isAscii(bytes), "the bin reads an ASCII part as latin1, anything else the slower utf8 way").toBe(true);
    expect(cache.readUInt32LE(0)).toBe(bytes.length);
    expect(bytes.equals(cache.subarray(4, 4 + bytes.length))).toBe(true);
    const probe = `const fs = require("node:fs"), vm = require("node:vm"), Module = require("node:module");
const cache = fs.readFileSync(${JSON.stringify(cacheFile)});
const script = new vm.Script(Module.wrap(fs.readFileSync(${JSON.stringify(file)}, "utf8")), { filename: ${JSON.stringify(file)}, cachedData: cache.subarray(4 + cache.readUInt32LE(0)) });
process.stdout.write(String(script.cachedDataRejected));`;
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(r.stdout, r.stderr).toBe("false");
  });

  it("a code cache made for other bytes of its part is never used", () => {
    // Same length, other text: V8's own check (length, version, flags) accepts the old cache
    // and would print the old help; the bin's comparison with its copy of the part must refuse it.
    const copy = mkdtempSync(join(tmpdir(), "capos-conform-stale-cache-"));
    cpSync(join(REPO_ROOT, "dist"), join(copy, "dist"), { recursive: true });
    cpSync(join(REPO_ROOT, "package.json"), join(copy, "package.json"));
    const core = join(copy, "dist", CORE_FILE);
    const before = "conformance suite for the capOS userspace ABI";
    const text = readFileSync(core, "utf8");
    expect(text).toContain(before);
    writeFileSync(core, text.replace(before, before.toUpperCase()));
    const r = runBin(join(copy, "dist", BIN_FILE), ["--help"]);
    rmSync(copy, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(before.toUpperCase());
    expect(runBin(BIN, ["--help"]).stdout).toContain(before);
  });

  it("run-elf, a command of the rest, works through the parts' shared modules", () => {
    const ok = runBin(BIN, ["run-elf", "--personality", "capos", join(REPO_ROOT, "targets/elf/tls-probe.gcc")]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("tls-probe: done failed=0x0");
    // A bad option after the ELF is commander's error (from the core's commander): a usage error.
    const bad = runBin(BIN, ["run-elf", "--personality", "capos", join(REPO_ROOT, "targets/elf/tls-probe.gcc"), "--bogus"]);
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toBe("error: unknown option '--bogus'\n");
  });

  it("run-elf of every committed probe ends before V8 starts an optimising compile of the interpreter's loop", () => {
    // That compile cannot finish before a probe does, and the process waits for it at exit
    // (tools/cli/bundle-loader.ts SHORT_RUN_V8_FLAGS): ~120 ms of a ~180 ms command.
    const probes = manifestEntries().map((e) => e.name).filter((f) => /-probe\./.test(f));
    expect(probes.length).toBeGreaterThanOrEqual(9);
    for (const probe of probes) {
      const r = spawnSync(process.execPath, ["--trace-opt", BIN, "run-elf", "--personality", "capos", join(REPO_ROOT, "targets/elf", probe)], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000, maxBuffer: 1 << 26 });
      expect(r.status, `${probe}: ${r.stderr}`).toBe(0);
      expect(r.stdout.split("\n").filter((l) => /^\[(marking|compiling method) .*<JSFunction interpret /.test(l)), probe).toEqual([]);
    }
  }, 120_000);

  it("a reader that closes stdout early ends the command quietly with 141, as SIGPIPE ends a C tool", () => {
    // `true` exits at once, long before node has started, so the command's first write meets
    // a closed pipe (EPIPE). Before, that was an unhandled 'error' event: a stack trace and 1.
    // list writes through process.stdout, run-elf to fd 1 directly (emulator/capos/cli.ts).
    for (const args of [["list"], ["--help"], ["run-elf", "--personality", "capos", join(REPO_ROOT, "targets/elf/tls-probe.gcc")]]) {
      const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
      const r = spawnSync("sh", ["-c", `{ ${quoted}; echo "status $?" >&2; } | true`], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
      expect(r.stderr, args.join(" ")).toBe(`status ${EXIT.stdoutClosed}\n`);
    }
  });

  it("torture's worker runs from dist/", () => {
    const r = runBin(BIN, ["torture", "--cases", "2", "--seed", "1", "--families", "runaway", "--json"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { crashes: number; run: number }).crashes).toBe(0);
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
