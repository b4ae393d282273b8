/**
 * The native runner (native/build/capos-native) as an implementation under test: capOS ELFs
 * run on the host CPU, one Linux thread per guest thread. It speaks the per-case runner
 * protocol, so it runs through the command adapter; `--mutant` selects one of its seeded bugs.
 * The runner is built with `make -C native` on first use when it is missing and gcc exists.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Implementation } from "../implementation.js";
import { UsageError } from "../errors.js";
import { commandImplementation } from "./command.js";

export const NATIVE_MUTANT_NAMES = ["lost-wake", "no-drain", "fs-not-restored"] as const;
export const NATIVE_VERSION = "capos-native 0.1.0";

const NATIVE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "native");
export const NATIVE_RUNNER = join(NATIVE_DIR, "build", "capos-native");

/** The runner's path, building it first if it is missing; a UsageError when it cannot be built. */
export function ensureNativeRunner(): string {
  if (existsSync(NATIVE_RUNNER)) return NATIVE_RUNNER;
  const gcc = spawnSync("gcc", ["--version"], { stdio: "ignore" });
  if (gcc.error || gcc.status !== 0) throw new UsageError(`${NATIVE_RUNNER} is not built and gcc was not found (build it with: make -C native)`);
  const make = spawnSync("make", ["-C", NATIVE_DIR], { encoding: "utf8" });
  if (make.error || make.status !== 0 || !existsSync(NATIVE_RUNNER))
    throw new UsageError(`building the native runner failed (make -C native): ${(make.stderr || String(make.error ?? "")).trim().split("\n").pop() ?? ""}`);
  return NATIVE_RUNNER;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function nativeImplementation(options: { mutant?: string } = {}): Implementation {
  const { mutant } = options;
  if (mutant !== undefined && !(NATIVE_MUTANT_NAMES as readonly string[]).includes(mutant))
    throw new UsageError(`unknown native mutant "${mutant}" (known: ${NATIVE_MUTANT_NAMES.join(", ")})`);
  const runner = ensureNativeRunner();
  const command = `${shellQuote(runner)}${mutant ? ` --mutant ${mutant}` : ""} {elf}`;
  const base = commandImplementation(command);
  return { ...base, id: "native", version: NATIVE_VERSION };
}
