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
import { emulatorImplementation } from "./adapters/emulator.js";
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

/** "emulator" or "cmd:<command with {elf}>". */
export async function resolveImplementation(spec: string, binding: Binding, mutant?: string): Promise<Implementation> {
  if (spec === "emulator") return emulatorImplementation({ binding, ...(mutant ? { mutant } : {}) });
  if (spec.startsWith("cmd:")) {
    if (mutant) throw new UsageError("--mutant applies to the emulator only");
    return commandImplementation(spec.slice(4));
  }
  throw new UsageError(`unknown implementation "${spec}" (use emulator or cmd:'<command> {elf}')`);
}
