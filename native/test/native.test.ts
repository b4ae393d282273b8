/**
 * The native runner (native/build/capos-native) against oracles it does not share code with:
 * the committed probes' own checks (each prints its failure mask), the agent protocol's record
 * format and TLS initial values, the runner protocol's exit statuses, and the conformance
 * properties judged by the model. Skipped with a printed reason when gcc is missing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_TLS_INITIAL, OP, type Script } from "../../spec/agent-protocol.js";
import { DEFAULT_BINDING as B } from "../../spec/binding.js";
import { ALL_PROPERTIES } from "../../properties/index.js";
import { linkGuest } from "../../generators/guest-code.js";
import { Asm } from "../../generators/x86-asm.js";
import { patchScript } from "../../generators/agent-image.js";
import { NATIVE_RUNNER, buildNativeRunner, nativeImplementation } from "../../runner/adapters/native.js";
import { UsageError } from "../../runner/errors.js";
import { runConformance } from "../../runner/run.js";
import { resolveAgent } from "../../runner/setup.js";
import { ELF_DIR, manifestEntries } from "../../targets/manifest.js";

const HAVE_GCC = spawnSync("gcc", ["--version"], { stdio: "ignore" }).status === 0;
const NO_GCC = "gcc not found: the native runner (native/) cannot be built on this machine";

let dir = "";
beforeAll(() => {
  if (HAVE_GCC) buildNativeRunner();
  dir = mkdtempSync(join(tmpdir(), "capos-native-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  console: string;
  stderr: string;
}

function runElf(path: string, args: string[] = []): Run {
  const r = spawnSync(NATIVE_RUNNER, [...args, path], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, console: r.stdout, stderr: r.stderr };
}

let scriptCount = 0;
function runScript(script: Script, args: string[] = [], agent = "agent.gcc"): Run {
  const path = join(dir, `script-${scriptCount++}.elf`);
  writeFileSync(path, patchScript(resolveAgent(agent), script));
  return runElf(path, args);
}

/** The agent's records "@1 <thread> <op> <ok|exc|err> <value>" of one thread, in order. */
function records(out: string, thread: number): string[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith(`@1 ${thread} `))
    .map((l) => l.split(" ").slice(2).join(" "));
}

const hex = (v: bigint) => v.toString(16);
const RW = BigInt(B.vm.prot.read | B.vm.prot.write);
const PAGE = BigInt(B.pageSize);

/** What each probe prints last when every check passed (targets/programs/<program>/main.*). */
const ALL_PASSED: Record<string, RegExp> = {
  "tls-probe": /: done failed=0x0$/,
  "fs-probe": /: result thread=0x0 a=0x0 b=0x0$/,
  "go-contract-probe": /: result failed=0x0$/,
};

describe("committed ELFs run natively to their expected ends", () => {
  for (const entry of manifestEntries()) {
    if (entry.program === "agent") {
      it(`${entry.name}: a script over VirtualMemory, TLS, threads, park and the timer`, (ctx) => {
        if (!HAVE_GCC) ctx.skip(NO_GCC);
        const script: Script = {
          threads: [
            [
              { kind: OP.MAP, dst: 1, a: 0n, b: PAGE, c: RW },
              { kind: OP.STORE, base: 1, a: 8n, b: 8n, c: 0x1234n },
              { kind: OP.LOAD, base: 1, a: 8n, b: 8n },
              { kind: OP.TLS_READ, a: 0n },
              { kind: OP.TLS_READ, a: 3n },
              { kind: OP.SPAWN, a: 1n },
              { kind: OP.SLEEP, a: 50_000_000n },
              { kind: OP.UNPARK, base: 1, a: 0n, b: 1n },
              { kind: OP.JOIN, a: 1n },
              { kind: OP.NOW },
            ],
            [
              { kind: OP.TLS_READ, a: 1n },
              { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever },
            ],
          ],
        };
        const r = runScript(script, [], entry.name);
        expect(r.status, r.stderr).toBe(0);
        const main = records(r.console, 0);
        expect(main.length).toBe(10);
        expect(main.every((l) => l.split(" ")[1] === "ok"), main.join("|")).toBe(true);
        expect(main[2]).toBe(`2 ok ${hex(0x1234n)}`);
        expect(main[3]).toBe(`3 ok ${hex(AGENT_TLS_INITIAL[0]!)}`);
        expect(main[4]).toBe(`4 ok ${hex(AGENT_TLS_INITIAL[3]!)}`);
        expect(main[7]).toBe("7 ok 1"); // one waiter woken
        expect(records(r.console, 1)).toEqual([`0 ok ${hex(AGENT_TLS_INITIAL[1]!)}`, `1 ok ${hex(BigInt(B.park.results.woken))}`]);
      });
    } else {
      it(`${entry.name}: exits 0 and reports every check passed`, (ctx) => {
        if (!HAVE_GCC) ctx.skip(NO_GCC);
        const r = runElf(join(ELF_DIR, entry.name));
        expect(r.status, r.console + r.stderr).toBe(0);
        expect(r.console.trimEnd().split("\n").pop()).toMatch(ALL_PASSED[entry.program]!);
      });
    }
  }
});

describe("runner protocol", () => {
  it("exit codes, #PF with address, access and thread, hang, rejection", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    expect(runScript({ threads: [[{ kind: OP.EXIT, a: 7n }]] }).status).toBe(7);
    const window = BigInt(B.layout.vmWindowBase);
    const pf = runScript({ threads: [[{ kind: OP.LOAD, a: window, b: 8n }]] });
    expect(pf.status).toBe(139);
    expect(pf.stderr).toContain(`#PF at 0x${hex(window)} read thread 0`);
    const wr = runScript({ threads: [[{ kind: OP.MAP, dst: 1, a: 0n, b: PAGE, c: BigInt(B.vm.prot.read) }, { kind: OP.STORE, base: 1, a: 16n, b: 8n, c: 1n }]] });
    expect(wr.status).toBe(139);
    expect(wr.stderr).toMatch(/#PF at 0x[0-9a-f]+010 write thread 0/);
    const hang = runScript({ threads: [[{ kind: OP.MAP, dst: 1, a: 0n, b: PAGE, c: RW }, { kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever }]] });
    expect(hang.status).toBe(125);
    expect(hang.stderr).toContain("hang");
    const bad = join(dir, "truncated.elf");
    writeFileSync(bad, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
    const rejected = runElf(bad);
    expect(rejected.status).toBe(126);
    expect(rejected.stderr).toContain("rejected");
  });

  it("#UD, #DE, #GP for int 0x80 and a runaway guest (CPU-time budget)", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const guest = (name: string, bytes: number[], hang = false) => {
      const asm = new Asm();
      asm.bytes.push(...bytes);
      if (hang) asm.hang();
      const path = join(dir, name);
      writeFileSync(path, linkGuest(asm, B, new Uint8Array(16), name));
      return path;
    };
    const ud = runElf(guest("ud2.elf", [0x0f, 0x0b]));
    expect(ud.status).toBe(132);
    expect(ud.stderr).toContain("#UD");
    const de = runElf(guest("div0.elf", [0x31, 0xc9, 0xf7, 0xf1])); // xor ecx,ecx; div ecx
    expect(de.status).toBe(136);
    expect(de.stderr).toContain("#DE");
    // int 0x80 reaches syscall user dispatch too, but is no capOS syscall: #GP, not exit.
    const int80 = runElf(guest("int80.elf", [0xb8, 1, 0, 0, 0, 0xcd, 0x80], true), ["--cpu-seconds", "1"]); // mov eax,1; int 0x80
    expect(int80.status).toBe(139);
    expect(int80.stderr).toContain("#GP");
    const spin = runElf(guest("spin.elf", [], true), ["--cpu-seconds", "1"]);
    expect(spin.status).toBe(124);
    expect(spin.stderr).toContain("budget");
  });

  it("batch mode: one JSON line per case, in order, with the same statuses", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const paths = [join(ELF_DIR, "tls-probe.gcc"), join(dir, "missing.elf"), join(ELF_DIR, "go-contract-probe.clang")];
    const r = spawnSync(NATIVE_RUNNER, ["--batch"], { input: paths.join("\n") + "\n", encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { v: number; status: number; console: string; version: string });
    expect(lines.map((l) => [l.v, l.status])).toEqual([[1, 0], [1, 126], [1, 0]]);
    expect(Buffer.from(lines[0]!.console, "base64").toString("utf8")).toMatch(/: done failed=0x0\n$/);
    expect(lines[2]!.version).toMatch(/^capos-native /);
  });
});

describe("seeded bugs are observable", () => {
  /** A waiter parks forever on word 0; main sleeps (the waiter blocks meanwhile), then acts. */
  const parked = (act: Script["threads"][number]): Script => ({
    threads: [
      [{ kind: OP.MAP, dst: 1, a: 0n, b: PAGE, c: RW }, { kind: OP.SPAWN, a: 1n }, { kind: OP.SLEEP, a: 50_000_000n }, ...act, { kind: OP.JOIN, a: 1n }],
      [{ kind: OP.PARK, base: 1, a: 0n, b: 0n, c: B.park.timeoutForever }],
    ],
  });

  it("lost-wake: the woken waiter stays parked (hang instead of exit 0)", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const script = parked([{ kind: OP.UNPARK, base: 1, a: 0n, b: 1n }]);
    expect(runScript(script).status).toBe(0);
    expect(runScript(script, ["--mutant", "lost-wake"]).status).toBe(125);
  });

  it("no-drain: unmap leaves the waiter parked (hang instead of drained)", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const script = parked([{ kind: OP.UNMAP, base: 1, a: 0n, b: PAGE }]);
    const ok = runScript(script);
    expect(ok.status).toBe(0);
    expect(records(ok.console, 1)).toEqual([`0 ok ${hex(BigInt(B.park.results.drained))}`]);
    expect(runScript(script, ["--mutant", "no-drain"]).status).toBe(125);
  });

  it("fs-not-restored: the fs-probe's threads see another thread's FS base", (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const r = runElf(join(ELF_DIR, "fs-probe.gcc"), ["--mutant", "fs-not-restored"]);
    expect(r.status).not.toBe(0);
    expect(r.console.trimEnd().split("\n").pop()).not.toMatch(ALL_PASSED["fs-probe"]!);
  });
});

describe("conformance", () => {
  it("every property that needs no schedule control passes with --impl native", async (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const run = await runConformance({
      impl: nativeImplementation(),
      binding: B,
      bindingName: "default",
      agent: resolveAgent(),
      properties: ALL_PROPERTIES,
      seed: 20261126,
      runs: 5,
    });
    const failed = run.results.filter((r) => r.status !== "passed" && r.status !== "unsupported");
    expect(failed.map((r) => `${r.property}: ${r.status}`)).toEqual([]);
    const unsupported = run.results.filter((r) => r.status === "unsupported").map((r) => r.property);
    const scheduled = ALL_PROPERTIES.filter((p) => p.needs.includes("schedule")).map((p) => p.id);
    expect(unsupported.sort()).toEqual(scheduled.sort());
  }, 300_000);

  it("the per-case form passes too, and an unknown mutant is a usage error", async (ctx) => {
    if (!HAVE_GCC) ctx.skip(NO_GCC);
    const run = await runConformance({
      impl: nativeImplementation({ batch: false }),
      binding: B,
      bindingName: "default",
      agent: resolveAgent(),
      properties: ALL_PROPERTIES,
      seed: 20261126,
      runs: 3,
      filter: /^(syscalls\.unknown-and-enter|vm\.edge-arguments)$/,
    });
    expect(run.results.map((r) => r.status)).toEqual(["passed", "passed"]);
    expect(() => nativeImplementation({ mutant: "tls-ignores-misalign" })).toThrow(UsageError);
  }, 120_000);
});
