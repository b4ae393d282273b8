/**
 * The native runner (native/build/capos-native) as an implementation under test: capOS ELFs
 * run on the host CPU, one Linux thread per guest thread. By default one runner process is
 * started in `--batch` mode (BATCH-PROTOCOL.md) and fed one ELF path per case, which saves a
 * shell and a process start per case; `{ batch: false }` runs it per case through the
 * command adapter. `--mutant` selects one of its seeded bugs. The runner is built (or
 * brought up to date) with `make -C native` when gcc exists.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { endStateFromCommandStatus } from "../../spec/run-protocol.js";
import type { Implementation, ImplementationRun } from "../../spec/implementation.js";
import { UsageError } from "../errors.js";
import { commandImplementation } from "./command.js";
import { packageInfo } from "../package-info.js";

export const NATIVE_MUTANT_NAMES = ["lost-wake", "no-drain", "fs-not-restored"] as const;
export const NATIVE_VERSION = "capos-native 0.1.0";

// From the package root, not this module: the compiled dist/ has no native/ beside it.
const NATIVE_DIR = join(packageInfo().root, "native");
export const NATIVE_RUNNER = join(NATIVE_DIR, "build", "capos-native");

function haveGcc(): boolean {
  const gcc = spawnSync("gcc", ["--version"], { stdio: "ignore" });
  return !gcc.error && gcc.status === 0;
}

/** Runs `make -C native` (a no-op when up to date); throws a UsageError when it fails. */
export function buildNativeRunner(): string {
  const make = spawnSync("make", ["-C", NATIVE_DIR], { encoding: "utf8" });
  if (make.error || make.status !== 0 || !existsSync(NATIVE_RUNNER))
    throw new UsageError(`building the native runner failed (make -C native): ${(make.stderr || String(make.error ?? "")).trim().split("\n").pop() ?? ""}`);
  return NATIVE_RUNNER;
}

/**
 * The runner's path. With gcc present, `make` builds it or brings it up to date (a no-op when
 * it is current); without gcc an existing build is used, and a missing one is a UsageError.
 */
export function ensureNativeRunner(): string {
  if (haveGcc()) return buildNativeRunner();
  if (existsSync(NATIVE_RUNNER)) return NATIVE_RUNNER;
  throw new UsageError(`${NATIVE_RUNNER} is not built and gcc was not found (build it with: make -C native)`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface BatchLine {
  readonly v: number;
  readonly status: number;
  readonly console: string;
  readonly detail?: string;
}

/** A minimal batch client: one runner process, cases answered in order, one at a time. */
function batchRunner(runner: string, args: readonly string[]): (image: Uint8Array) => Promise<ImplementationRun> {
  const dir = mkdtempSync(join(tmpdir(), "capos-native-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  let child: ChildProcessWithoutNullStreams | undefined;
  let waiting: ((line: string | undefined) => void) | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let seq = 0;

  const setRef = (c: ChildProcessWithoutNullStreams, on: boolean) => {
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) (on ? s.ref : s.unref)?.call(s);
    if (on) c.ref();
    else c.unref();
  };
  const start = (): ChildProcessWithoutNullStreams => {
    const c = spawn(runner, [...args, "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    c.stderr.resume(); // diagnostics only
    createInterface({ input: c.stdout }).on("line", (line) => waiting?.(line));
    c.on("close", () => {
      if (child === c) child = undefined;
      waiting?.(undefined);
    });
    c.stdin.on("error", () => {}); // a dead runner shows up as a missing answer
    return c;
  };

  const once = async (image: Uint8Array): Promise<ImplementationRun> => {
    const path = join(dir, `case-${seq++ % 4}.elf`);
    writeFileSync(path, image);
    const c = (child ??= start());
    setRef(c, true);
    const line = await new Promise<string | undefined>((res) => {
      waiting = res;
      c.stdin.write(path + "\n");
    });
    waiting = undefined;
    setRef(c, false);
    if (line === undefined) return { console: new Uint8Array(), end: { kind: "rejected", reason: "the native runner died" }, events: [] };
    const r = JSON.parse(line) as BatchLine;
    const detail = r.detail ?? "";
    return { console: new Uint8Array(Buffer.from(r.console, "base64")), end: endStateFromCommandStatus(r.status, detail), events: detail === "" ? [] : [detail] };
  };
  return (image) => {
    const next = queue.then(() => once(image));
    queue = next.catch(() => undefined);
    return next;
  };
}

export function nativeImplementation(options: { mutant?: string; batch?: boolean } = {}): Implementation {
  const { mutant } = options;
  if (mutant !== undefined && !(NATIVE_MUTANT_NAMES as readonly string[]).includes(mutant))
    throw new UsageError(`unknown native mutant "${mutant}" (known: ${NATIVE_MUTANT_NAMES.join(", ")})`);
  const runner = ensureNativeRunner();
  const args = mutant ? ["--mutant", mutant] : [];
  if (options.batch === false) {
    const base = commandImplementation(`${[runner, ...args].map(shellQuote).join(" ")} {elf}`);
    return { ...base, id: "native", version: NATIVE_VERSION };
  }
  const run = batchRunner(runner, args);
  return { id: "native", version: NATIVE_VERSION, supports: { schedule: false, inspect: false }, run: (image) => run(image) };
}
