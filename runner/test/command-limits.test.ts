/**
 * The per-case command adapter against hostile implementations (issue 17): a grandchild that
 * keeps stdout open, an output flood, a process killed by a signal, a status outside the
 * protocol, and a hostile TMPDIR with every way of quoting `{elf}`. Each ends with a typed
 * verdict within its limit and leaves no process behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "./process-state.js";
import { commandImplementation } from "../adapters/command.js";
import { elfAsParameter, withoutElf } from "../adapters/process-group.js";

const IMAGE = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);
const scratch = mkdtempSync(join(tmpdir(), "cmd-limits-"));


function pidFromFileRaw(file: string): number {
  const pid = Number(readFileSync(file, "utf8").trim());
  expect(pid).toBeGreaterThan(1);
  return pid;
}

const savedTmp = process.env["TMPDIR"];
afterEach(() => {
  if (savedTmp === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = savedTmp;
});

describe("{elf} substitution", () => {
  it("reads $1 in every quoting context and never splices the path", () => {
    expect(elfAsParameter("run {elf}")).toBe('run "$1"');
    expect(elfAsParameter("run '{elf}'")).toBe(`run ''"$1"''`);
    expect(elfAsParameter('run "{elf}"')).toBe('run "${1}"');
    expect(elfAsParameter("run --file='a {elf}' \\'{elf}")).toBe(`run --file='a '"$1"'' \\'"$1"`);
    expect(withoutElf("run-elf --batch '{elf}' --x")).toBe("run-elf --batch --x");
  });

  it("finds the image under a hostile TMPDIR however {elf} is quoted, and runs nothing from it", async () => {
    const pwned = join(scratch, "pwned");
    const hostile = join(scratch, `x'$(touch ${pwned})"\`touch ${pwned}\` ;touch ${pwned};'`);
    mkdirSync(hostile, { recursive: true });
    process.env["TMPDIR"] = hostile;
    for (const command of ["test -s {elf}", "test -s '{elf}'", 'test -s "{elf}"', "f={elf}; test -s \"$f\"", "sh -c 'test -s \"$0\"' {elf}"]) {
      const run = await commandImplementation(command, { timeoutMs: 10_000 }).run(IMAGE);
      expect(run.end, command).toEqual({ kind: "exit", code: 0 });
    }
    expect(existsSync(pwned)).toBe(false);
  });
});

describe("limits and process groups", () => {
  it("ends a command whose grandchild holds stdout at the wall-clock limit, killing the grandchild", async () => {
    const pidFile = join(scratch, "hang.pid");
    const impl = commandImplementation(`: {elf}; sleep 100 & echo $! > ${pidFile}; wait`, { timeoutMs: 2000 });
    const started = Date.now();
    const run = await impl.run(IMAGE);
    const elapsed = Date.now() - started;
    expect(run.end).toEqual({ kind: "timeout", ms: 2000 });
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    expect(await alive(pidFromFile(pidFile))).toBe(false);
  });

  it("kills what a command left running after it exited", async () => {
    const pidFile = join(scratch, "daemon.pid");
    const impl = commandImplementation(`: {elf}; sleep 100 & echo $! > ${pidFile}; printf hi; exit 0`, { timeoutMs: 20_000 });
    const started = Date.now();
    const run = await impl.run(IMAGE);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.end).toEqual({ kind: "exit", code: 0 });
    expect(Buffer.from(run.console).toString()).toBe("hi");
    expect(await alive(pidFromFile(pidFile))).toBe(false);
  });

  it("cuts a 1 GB stdout flood at the cap with bounded memory", async () => {
    const before = process.memoryUsage().rss;
    const run = await commandImplementation(": {elf}; head -c 1000000000 /dev/zero", { timeoutMs: 60_000 }).run(IMAGE);
    expect(run.end).toEqual({ kind: "output-limit", stream: "stdout", bytes: 1 << 20 });
    expect(run.console.length).toBe(1 << 20);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 << 20);
  });

  it("caps stderr too", async () => {
    const run = await commandImplementation(": {elf}; head -c 5000000 /dev/zero >&2", { outputLimit: 4096 }).run(IMAGE);
    expect(run.end).toEqual({ kind: "output-limit", stream: "stderr", bytes: 4096 });
  });

  it("reports a signal death and a status outside the protocol as protocol breaks", async () => {
    const killed = await commandImplementation(": {elf}; kill -SEGV $$").run(IMAGE);
    expect(killed.end).toEqual({ kind: "broken", reason: "the implementation was killed by SIGSEGV" });
    const status = await commandImplementation(": {elf}; echo oom >&2; exit 137").run(IMAGE);
    expect(status.end).toEqual({ kind: "broken", reason: "exit status 137 is not a protocol status (oom)" });
    const pf = await commandImplementation(": {elf}; echo '#PF at 0x1000 write thread 2' >&2; exit 139").run(IMAGE);
    expect(pf.end).toEqual({ kind: "fault", fault: "#PF", addr: 0x1000n, access: "write", thread: 2 });
  });
});

function pidFromFile(f: string): number {
  return pidFromFileRaw(f);
}

process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
