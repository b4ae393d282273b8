/**
 * Turning command-line choices into a run configuration: which implementation, binding,
 * agent image, expectations.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_BINDING, type Binding } from "../spec/binding.js";
import { loadBindingFile } from "../spec/binding-file.js";
import { loadAgentImage, type AgentImage } from "../generators/agent-image.js";
import { commandImplementation } from "./adapters/command.js";
import { batchImplementation } from "./adapters/batch.js";
import { isAdapterSpec, loadAdapterFile } from "./adapters/adapter-file.js";
import { emulatorImplementation } from "./adapters/emulator.js";
import { nativeImplementation } from "./adapters/native.js";
import type { Implementation } from "../spec/implementation.js";
import { UsageError } from "./errors.js";
import { ELF_DIR } from "../targets/manifest.js";
import { packageInfo } from "./package-info.js";

/** The package's root folder (the checkout, or the installed package). */
export const REPO_ROOT = packageInfo().root;
/** The agent build the suite uses unless told otherwise. */
export const DEFAULT_AGENT = "agent.gcc";

export function resolveBinding(file?: string): { binding: Binding; name: string } {
  return file ? { binding: loadBindingFile(file), name: file } : { binding: DEFAULT_BINDING, name: "default" };
}

/** `name` is a file in targets/elf (e.g. agent.clang) or a path. */
export function resolveAgent(name = DEFAULT_AGENT): AgentImage {
  const inElfDir = join(ELF_DIR, name);
  const path = existsSync(inElfDir) ? inElfDir : resolve(name);
  if (!existsSync(path)) throw new UsageError(`agent image ${name} not found (looked in ${ELF_DIR})`);
  return loadAgentImage(path, name === DEFAULT_AGENT ? "default" : name);
}

export interface ImplementationOptions {
  readonly mutant?: string;
  /** Per-case wall-clock limit for implementations run as processes (ms). */
  readonly caseTimeoutMs?: number;
}

/**
 * "emulator", "emulator:<policy>" (emulator/capos/policy.ts, e.g. emulator:alternate), "native", "cmd:<command with {elf}>" (per-case protocol), "batch:<command>" (batch
 * protocol), or an adapter file: "adapter:<path>" or any path ending in .json
 * (spec/runner-protocol.md). The mutant may also be given as a string (older callers).
 */
export async function resolveImplementation(spec: string, binding: Binding, options: ImplementationOptions | string = {}): Promise<Implementation> {
  const { mutant, caseTimeoutMs } = typeof options === "string" ? { mutant: options, caseTimeoutMs: undefined } : options;
  if (spec === "emulator") return emulatorImplementation({ binding, ...(mutant ? { mutant } : {}) });
  if (spec.startsWith("emulator:")) return emulatorImplementation({ binding, policy: spec.slice("emulator:".length), ...(mutant ? { mutant } : {}) });
  if (spec === "native") return nativeImplementation(mutant ? { mutant } : {});
  if (mutant) throw new UsageError("--mutant applies to the emulator and the native runner only");
  const limits = caseTimeoutMs !== undefined ? { timeoutMs: caseTimeoutMs } : {};
  if (spec.startsWith("cmd:")) return commandImplementation(spec.slice(4), limits);
  if (spec.startsWith("batch:")) return batchImplementation(spec.slice(6), limits);
  if (isAdapterSpec(spec)) return loadAdapterFile(spec, caseTimeoutMs !== undefined ? { caseTimeoutMs } : {});
  throw new UsageError(`unknown implementation "${spec}" (use emulator, emulator:alternate, native, cmd:'<command> {elf}', batch:'<command>' or an adapter file <name>.json)`);
}
